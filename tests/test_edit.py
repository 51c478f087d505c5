"""``--into``: observe's traffic block and fit's scaling written into a topology's text.

Every byte outside the edited entries must survive (comments, blank lines, order, quoting,
CRLF, a byte-order mark, a missing final newline), and any failure must leave the file
exactly as it was.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from capplan import edit
from capplan.cli import ExitCode, app
from capplan.errors import InvalidArgument, InvalidInput, OutputError, UnknownName
from capplan.loader import load_text

EXAMPLES = Path(__file__).parent.parent / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
#: examples/traffic.csv's observed block, as `capplan observe` prints it.
PROFILE = [751.8, 601.5, 501.2, 451.1, 451.1, 551.4, 802.0, 1203.0, 1603.9, 1904.7, 2105.2,
           2255.5, 2355.8, 2405.9, 2431.0, 2456.0, 2506.2, 2456.0, 2305.7, 2105.2, 1854.6,
           1553.8, 1253.1, 952.3]
OBSERVED: dict[str, object] = {"profile": PROFILE, "growth": "4.999%"}
#: The Cisco law (examples/loadtest.csv), to the 7 digits `capplan fit` pastes.
USL = {"sigma": "0.02671595", "kappa": "0.0007690939", "lambda": "995.6488"}


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def block_lines(text: str, path: tuple[str | int, ...]) -> tuple[int, int]:
    """The first and last line (0-based) of the entry at *path* ("traffic", or a tier)."""
    node: Any = yaml.compose(text.lstrip("\ufeff"), Loader=yaml.SafeLoader)
    key_node = None
    for part in path:
        if isinstance(part, int):
            node = node.value[part]
            key_node = node
            continue
        key_node, node = next((k, v) for k, v in node.value if k.value == part)
    assert key_node is not None
    return key_node.start_mark.line, text.lstrip("\ufeff")[:edit._last_end(node)].count("\n")


def outside(text: str, path: tuple[str | int, ...]) -> tuple[list[str], list[str]]:
    """The lines before and after the entry at *path*, line ends included."""
    first, last = block_lines(text, path)
    lines = text.splitlines(keepends=True)
    return lines[:first], lines[last + 1:]


# --- every example ---------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_traffic_replaced_in_every_example_and_nothing_else(path: Path) -> None:
    """Only the traffic block's lines differ; its other keys keep their text."""
    old = path.read_text(encoding="utf-8")
    result = edit.replace_traffic(old, OBSERVED, path.name)
    assert outside(old, ("traffic",)) == outside(result.text, ("traffic",))
    new = load_text(result.text).topology
    before = load_text(old).topology
    assert new.traffic.profile == [Fraction(str(value)) for value in PROFILE]
    assert new.traffic.growth == Fraction(4999, 100_000)
    for key in ("horizon_months", "request_bytes", "response_bytes"):
        assert getattr(new.traffic, key) == getattr(before.traffic, key)
    # A kept key's line is kept as written, comment and all.
    first, last = block_lines(old, ("traffic",))
    for line in old.splitlines()[first:last + 1]:
        if re.match(r"\s+(horizon_months|request_bytes|response_bytes):", line):
            assert line in result.text.splitlines()
    assert new.tiers == before.tiers
    assert new.policy == before.policy


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_scaling_set_on_every_pool_tier_of_every_example(path: Path) -> None:
    """Setting a pool tier's scaling changes that tier's lines only."""
    old = path.read_text(encoding="utf-8")
    before = load_text(old).topology
    # Tiers of node types take no scaling (each type says what it carries).
    pools = [index for index, tier in enumerate(before.tiers) if tier.redundancy == "pool"
             and not tier.typed and tier.latency_ms is None and tier.node.service_ms is None]
    for index in pools:
        name = before.tiers[index].name
        result = edit.set_scaling(old, name, USL, path.name)
        assert outside(old, ("tiers", index)) == outside(result.text, ("tiers", index))
        new = load_text(result.text).topology
        law = new.tiers[index].scaling
        assert law is not None
        assert (law.usl.sigma, law.usl.kappa, law.usl.lambda_) == \
            (Fraction("0.02671595"), Fraction("0.0007690939"), Fraction("995.6488"))
        assert new.tiers[index].node.capacity_rps is None
        assert new.tiers[index].node.cost == before.tiers[index].node.cost
        assert new.tiers[:index] == before.tiers[:index]
        assert new.tiers[index + 1:] == before.tiers[index + 1:]


def test_the_measured_example_is_already_what_fit_writes() -> None:
    """examples/measured.yaml holds fit's paste: writing it again changes no byte."""
    old = (EXAMPLES / "measured.yaml").read_text(encoding="utf-8")
    assert edit.set_scaling(old, "app", USL).text == old


# --- what the text looks like ----------------------------------------------------------

COMMENTED = """\
# A site, with comments everywhere.
site: shop   # the name

traffic:   # what comes in
  # the peak, from last year's sale
  peak_rps: 1200        # guessed
  growth: 4%            # compound, per month

  # how far ahead
  horizon_months: 12    # a year
  request_bytes: "900"  # quoted on purpose
# between blocks
policy: {failures: 1}
tiers:
  - name: web           # the pool
    redundancy: pool
    node:
      capacity_rps: 150   # per node
      cost: 2500          # euros
    # after the node
  - {name: db, redundancy: pool, node: {capacity_rps: 2500, cost: 8000}}
"""


def test_comments_blank_lines_and_quoting_outside_the_entries_are_kept() -> None:
    """A hand-checked result: the form entries go, everything around them stays."""
    result = edit.replace_traffic(COMMENTED, {"profile": [1, 2.5], "growth": "3%"})
    assert result.text == COMMENTED.replace(
        "  peak_rps: 1200        # guessed\n  growth: 4%            # compound, per month\n",
        "  profile: [1, 2.5]\n  growth: 3%\n")
    assert result.updated == "traffic (profile, growth)"
    assert result.notes == ("removed traffic.peak_rps: the observed profile and growth "
                            "replace it",)


def test_a_block_tier_gets_a_block_scaling_after_its_node() -> None:
    """capacity_rps leaves the node, the comments beside the other keys stay."""
    result = edit.set_scaling(COMMENTED, "web", USL)
    assert result.text == COMMENTED.replace(
        "      capacity_rps: 150   # per node\n      cost: 2500          # euros\n",
        "      cost: 2500          # euros\n    scaling:\n      usl:\n"
        "        sigma: 0.02671595\n        kappa: 0.0007690939\n        lambda: 995.6488\n")
    assert result.notes == ("removed tiers[0].node.capacity_rps: scaling says what the nodes "
                            "of 'web' carry",)


def test_a_flow_tier_gets_a_flow_scaling() -> None:
    """A tier written on one line stays on one line."""
    result = edit.set_scaling(COMMENTED, "db", USL)
    assert result.text == COMMENTED.replace(
        "  - {name: db, redundancy: pool, node: {capacity_rps: 2500, cost: 8000}}",
        "  - {name: db, redundancy: pool, node: {cost: 8000}, scaling: {usl: {sigma: "
        "0.02671595, kappa: 0.0007690939, lambda: 995.6488}}}")


def test_flow_traffic_stays_flow_and_wraps_its_profile() -> None:
    """`traffic: {peak_rps: 1k, ...}` keeps its braces and its other keys."""
    old = ("site: s\ntraffic: {peak_rps: 1k, horizon_months: 6}  # kept\n"
           "tiers: [{name: a, redundancy: pool, node: {capacity_rps: 1}}]\n")
    result = edit.replace_traffic(old, OBSERVED)
    lines = result.text.splitlines()
    assert lines[0] == "site: s"
    assert lines[-1] == old.splitlines()[-1]
    assert lines[1].startswith("traffic: {profile: [751.8, 601.5,")
    assert lines[-2].endswith("952.3], growth: 4.999%, horizon_months: 6}  # kept")
    # The list stays within the width; what followed it on its line still follows it.
    assert all(len(line) <= edit.WIDTH for line in lines[1:-2])
    # Continuation lines line up after the bracket.
    assert all(line.startswith(" " * len("traffic: {profile: [")) for line in lines[2:-1])
    topology = load_text(result.text).topology
    assert topology.traffic.horizon_months == 6
    assert topology.traffic.profile == [Fraction(str(value)) for value in PROFILE]


def test_a_flow_node_in_a_block_tier() -> None:
    """`node: {capacity_rps: 150, cost: 2500}` becomes `node: {cost: 2500}`."""
    old = ("site: s\ntraffic:\n  peak_rps: 10\ntiers:\n  - name: a\n    redundancy: pool\n"
           "    node: {capacity_rps: 150, cost: 2500}   # one box\n    nodes: 3\n")
    result = edit.set_scaling(old, "a", USL)
    assert result.text == old.replace(
        "    node: {capacity_rps: 150, cost: 2500}   # one box\n",
        "    node: {cost: 2500}   # one box\n    scaling:\n      usl:\n        sigma: "
        "0.02671595\n        kappa: 0.0007690939\n        lambda: 995.6488\n")


@pytest.mark.parametrize(("node", "written"), [
    ("    node:\n      capacity_rps: 150\n", "    node: {}\n"),
    ("    node: {capacity_rps: 150}\n", "    node: {}\n"),
    ("    node:\n      workers: 8\n      service_ms: 20\n", "    node: {}\n"),
    ("    node: {workers: 8, cost: 1, service_ms: 20}\n", "    node: {cost: 1}\n"),
])
def test_every_excluded_node_key_goes(node: str, written: str) -> None:
    """capacity_rps, workers and service_ms all go; an emptied node is {}."""
    old = ("site: s\ntraffic: {peak_rps: 10}\ntiers:\n  - name: a\n    redundancy: pool\n"
           + node)
    result = edit.set_scaling(old, "a", USL)
    assert result.text.startswith(old.replace(node, written))
    removed = re.findall(r"(capacity_rps|workers|service_ms)", node)
    assert result.notes == tuple(f"removed tiers[0].node.{key}: scaling says what the nodes "
                                 "of 'a' carry" for key in removed)


def test_an_existing_scaling_is_replaced_in_its_style() -> None:
    """A block scaling is rewritten as a block, a flow one as a flow, in place."""
    block = ("site: s\ntraffic: {peak_rps: 10}\ntiers:\n  - name: a\n    redundancy: pool\n"
             "    scaling:   # old law\n      usl:\n        sigma: 0.1  # old\n"
             "        kappa: 0\n        lambda: 50\n    node: {cost: 1}\n")
    result = edit.set_scaling(block, "a", USL)
    assert result.text == block.replace(
        "    scaling:   # old law\n      usl:\n        sigma: 0.1  # old\n        kappa: 0\n"
        "        lambda: 50\n", "    scaling:\n      usl:\n        sigma: 0.02671595\n"
        "        kappa: 0.0007690939\n        lambda: 995.6488\n")
    flow = ("site: s\ntraffic: {peak_rps: 10}\ntiers:\n  - name: a\n    redundancy: pool\n"
            "    scaling: {usl: {sigma: 0.1, kappa: 0, lambda: 50}}\n    node: {cost: 1}\n")
    assert edit.set_scaling(flow, "a", USL).text == flow.replace(
        "{sigma: 0.1, kappa: 0, lambda: 50}",
        "{sigma: 0.02671595, kappa: 0.0007690939, lambda: 995.6488}")


def test_a_tier_whose_first_key_is_node() -> None:
    """`- node:` first in its list item: the dash stays, the scaling lines up with the keys."""
    old = ("site: s\ntraffic: {peak_rps: 10}\ntiers:\n  - node:\n      capacity_rps: 5\n"
           "    name: a\n    redundancy: pool\n")
    result = edit.set_scaling(old, "a", USL)
    assert result.text == ("site: s\ntraffic: {peak_rps: 10}\ntiers:\n  - node: {}\n"
                           "    scaling:\n      usl:\n        sigma: 0.02671595\n"
                           "        kappa: 0.0007690939\n        lambda: 995.6488\n"
                           "    name: a\n    redundancy: pool\n")


def test_daily_requests_and_its_ratio_both_go() -> None:
    """daily_requests + peak_to_average are one form: both make way for the profile."""
    old = ("site: s\ntraffic:\n  daily_requests: 40M\n  horizon_months: 18\n"
           "  peak_to_average: 2.5\ntiers: [{name: a, redundancy: pool, "
           "node: {capacity_rps: 1}}]\n")
    result = edit.replace_traffic(old, {"profile": [5]})
    assert result.text == ("site: s\ntraffic:\n  profile: [5]\n  horizon_months: 18\n"
                           "tiers: [{name: a, redundancy: pool, node: {capacity_rps: 1}}]\n")
    assert "removed traffic.daily_requests" in result.notes[0]
    assert "removed traffic.peak_to_average" in result.notes[1]


def test_no_growth_observed_removes_growth_and_says_so() -> None:
    """Growth null (under two days): the file's growth goes; the plan assumes 0."""
    result = edit.replace_traffic(COMMENTED, {"profile": [100]})
    topology = load_text(result.text).topology
    assert topology.traffic.growth == 0
    assert "growth:" not in result.text.split("policy:")[0]
    assert result.notes == ("removed traffic.peak_rps: the observed profile replaces it",
                            "the series does not tell growth: removed traffic.growth, so "
                            "the plan assumes 0 a month")
    again = edit.replace_traffic(result.text, {"profile": [100]})
    assert again.notes[-1].startswith("the series does not tell growth: traffic has none")


# --- line ends, marks, the end of the file ------------------------------------------------


def test_crlf_stays_crlf() -> None:
    """Every line the edit writes ends as the file's lines do."""
    old = COMMENTED.replace("\n", "\r\n")
    result = edit.replace_traffic(old.encode(), OBSERVED)
    assert "\n" not in result.text.replace("\r\n", "")
    assert result.text == edit.replace_traffic(COMMENTED, OBSERVED).text.replace("\n", "\r\n")
    scaled = edit.set_scaling(old.encode(), "web", USL)
    assert scaled.text == edit.set_scaling(COMMENTED, "web", USL).text.replace("\n", "\r\n")


def test_a_byte_order_mark_is_kept() -> None:
    """A file saved with a BOM keeps it; the rest is edited as without one."""
    old = "\ufeff" + COMMENTED
    result = edit.replace_traffic(old.encode("utf-8"), OBSERVED)
    assert result.text == "\ufeff" + edit.replace_traffic(COMMENTED, OBSERVED).text


@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_the_final_line_break_is_kept_or_left_out(ending: str) -> None:
    """With the traffic (or the tier) last in the file, the file still ends as it did."""
    newline = ending or "\n"
    old = newline.join(["site: s", "tiers:", "  - name: a", "    redundancy: pool",
                        "    node:", "      capacity_rps: 5", "traffic:",
                        "  horizon_months: 3", "  peak_rps: 10"]) + ending
    result = edit.replace_traffic(old, {"profile": [7]})
    assert result.text == old.replace("peak_rps: 10", "profile: [7]")
    topology = old.replace("\n  peak_rps: 10", "\n  peak_rps: 10\n  growth: 1%") \
        if newline == "\n" else old.replace("\r\n  peak_rps: 10", "\r\n  peak_rps: 10\r\n"
                                            "  growth: 1%")
    gone = edit.replace_traffic(topology, {"profile": [7]})
    assert gone.text == old.replace("peak_rps: 10", "profile: [7]")
    last = newline.join(["site: s", "traffic: {peak_rps: 1}", "tiers:", "  - name: a",
                         "    redundancy: pool", "    node:", "      capacity_rps: 5"]) + ending
    scaled = edit.set_scaling(last, "a", USL)
    assert scaled.text.endswith("lambda: 995.6488" + ending)
    assert scaled.text.count(newline) == last.count(newline) + 4


def test_the_edit_is_idempotent_on_every_example() -> None:
    """Running the same command twice changes nothing the second time."""
    for path in EXAMPLE_FILES:
        once = edit.replace_traffic(path.read_bytes(), OBSERVED).text
        assert edit.replace_traffic(once, OBSERVED).text == once, path.name


# --- refusals ------------------------------------------------------------------------------


def test_unknown_tier_is_refused_with_a_suggestion() -> None:
    """A typo gets the close name; a wild guess gets the list."""
    with pytest.raises(UnknownName, match=r"no tier 'wbe' in site.yaml \(did you mean "
                                          r"'web'\?\)"):
        edit.set_scaling(COMMENTED, "wbe", USL, "site.yaml")
    with pytest.raises(UnknownName, match=r"\(its tiers: web, db\)"):
        edit.set_scaling(COMMENTED, "zzz", USL, "site.yaml")


def test_scaling_on_a_ring_is_refused_at_its_redundancy() -> None:
    """Only pools scale by the USL: the message points at the tier's redundancy."""
    old = (EXAMPLES / "blueprint.yaml").read_text(encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        edit.set_scaling(old, "cache", USL, "blueprint.yaml")
    line = old.splitlines().index("    redundancy: ring") + 1
    assert str(caught.value) == (f"blueprint.yaml:{line}:17: tier 'cache' is ring: scaling "
                                 "applies only to pool tiers (a ring or a standby takes over "
                                 "whole shares)")


def test_an_edit_that_would_be_invalid_is_refused() -> None:
    """latency_ms needs service_ms, which scaling removes: refused, located in the file."""
    old = ("site: s\ntraffic: {peak_rps: 10}\ntiers:\n  - name: a\n    redundancy: pool\n"
           "    latency_ms: {p99: 100}\n    node: {capacity_rps: 5, service_ms: 10}\n")
    with pytest.raises(InvalidInput, match=r"^f.yaml:4:5: after the edit, .*latency_ms "
                                           r"needs node.service_ms.*the file is unchanged"):
        edit.set_scaling(old, "a", USL, "f.yaml")


def test_an_invalid_file_is_refused_before_any_edit() -> None:
    """The file must be a valid topology to start with: the loader's located message."""
    with pytest.raises(InvalidInput, match=r"^f.yaml:2:21: traffic.peak_rps"):
        edit.replace_traffic("site: s\ntraffic: {peak_rps: -1}\ntiers: []\n", OBSERVED,
                             "f.yaml")
    with pytest.raises(InvalidInput, match="invalid YAML"):
        edit.replace_traffic("site: [\n", OBSERVED, "f.yaml")


def test_values_that_are_not_plain_numbers_are_refused() -> None:
    """Nothing that needs quoting is written; the traffic keys must be traffic forms."""
    with pytest.raises(InvalidArgument):
        edit.replace_traffic(COMMENTED, {"profile": ["1: 2"]})
    with pytest.raises(InvalidArgument):
        edit.replace_traffic(COMMENTED, {"profile": [float("nan")]})
    with pytest.raises(InvalidArgument, match="not traffic forms"):
        edit.replace_traffic(COMMENTED, {"horizon_months": 3})


def test_a_change_beyond_the_block_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The masked comparison is a real guard: unmask the traffic and the edit is refused."""
    monkeypatch.setattr(edit, "_mask_traffic", lambda dump: None)
    with pytest.raises(InvalidInput, match="could not rewrite the edited block without "
                                           "changing something else"):
        edit.replace_traffic(COMMENTED, OBSERVED, "f.yaml")


# --- the command line and the file ---------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the blueprint to edit."""
    path = tmp_path / "site.yaml"
    path.write_bytes((EXAMPLES / "blueprint.yaml").read_bytes())
    return path


def test_observe_into_prints_nothing_and_updates_the_file(site: Path) -> None:
    """Nothing on stdout; stderr says what changed; the file plans with the new traffic."""
    result = invoke("observe", str(EXAMPLES / "traffic.csv"), "--into", str(site))
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"capplan: updated {site}: traffic (profile, growth)",
        "capplan: removed traffic.peak_rps: the observed profile and growth replace it"]
    printed = yaml.safe_load(invoke("observe", str(EXAMPLES / "traffic.csv")).stdout)
    topology = load_text(site.read_bytes()).topology
    assert topology.traffic.profile == [Fraction(str(value)) for value in
                                        printed["traffic"]["profile"]]
    assert topology.traffic.growth == Fraction(printed["traffic"]["growth"].rstrip("%")) / 100
    again = invoke("observe", str(EXAMPLES / "traffic.csv"), "--into", str(site))
    assert again.stderr == f"capplan: {site} unchanged: its traffic (profile, growth) already " \
                           "holds these values\n"


def test_fit_into_gives_the_usl_node_count(tmp_path: Path) -> None:
    """The Cisco law fitted into a linear pool: 21 nodes for 11k rps at N+1, 100%."""
    site = tmp_path / "site.yaml"
    site.write_text((EXAMPLES / "measured.yaml").read_text(encoding="utf-8").replace(
        "    scaling:\n      usl:\n        sigma: 0.02671595\n        kappa: 0.0007690939\n"
        "        lambda: 995.6488\n", "").replace("      cost: 1200\n",
                                                  "      capacity_rps: 995\n      cost: 1200\n"))
    linear = json.loads(invoke("plan", str(site), "-f", "json").stdout)
    assert linear["tiers"][0]["nodes_required"] == 13  # ⌈11000 / 995⌉ + 1
    result = invoke("fit", str(EXAMPLES / "loadtest.csv"), "--into", str(site), "--tier", "app")
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"capplan: updated {site}: tier 'app' scaling (usl)",
        "capplan: removed tiers[0].node.capacity_rps: scaling says what the nodes of 'app' "
        "carry"]
    assert site.read_text(encoding="utf-8") == \
        (EXAMPLES / "measured.yaml").read_text(encoding="utf-8").replace(
            "    scaling:\n      usl:\n        sigma: 0.02671595\n        kappa: 0.0007690939\n"
            "        lambda: 995.6488\n    node:\n      cost: 1200\n",
            "    node:\n      cost: 1200\n    scaling:\n      usl:\n        sigma: 0.02671595\n"
            "        kappa: 0.0007690939\n        lambda: 995.6488\n")
    planned = json.loads(invoke("plan", str(site), "-f", "json").stdout)
    assert planned["tiers"][0]["nodes_required"] == 21


@pytest.mark.parametrize(("args", "message"), [
    (["--into", "SITE", "--tier", "web", "-o", "x.yaml"],
     "-o and --into both say where the result goes: give one"),
    (["--into", "SITE"], "--into needs --tier NAME: the pool tier whose scaling to set"),
    (["--tier", "web"], "--tier applies only with --into FILE"),
    (["--into", "SITE", "--tier", "wbe"], "--tier: no tier 'wbe' in SITE (did you mean "
                                          "'web'?)"),
])
def test_fit_usage_errors(site: Path, args: list[str], message: str) -> None:
    """Each is exit 2 with one line, and the file is untouched."""
    before = site.read_bytes()
    args = [str(site) if arg == "SITE" else arg for arg in args]
    result = invoke("fit", str(EXAMPLES / "loadtest.csv"), *args)
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr == f"capplan: error: {message.replace('SITE', str(site))}\n"
    assert site.read_bytes() == before


def test_observe_with_output_and_into_is_a_usage_error(site: Path, tmp_path: Path) -> None:
    """One destination at a time."""
    result = invoke("observe", str(EXAMPLES / "traffic.csv"), "--into", str(site), "-o",
                    str(tmp_path / "t.yaml"))
    assert result.exit_code == ExitCode.INVALID
    assert "-o and --into" in result.stderr
    assert not (tmp_path / "t.yaml").exists()


Command = Callable[[Path], list[str]]
COMMANDS: dict[str, Command] = {
    "observe": lambda path: ["observe", str(EXAMPLES / "traffic.csv"), "--into", str(path)],
    "fit": lambda path: ["fit", str(EXAMPLES / "loadtest.csv"), "--into", str(path),
                         "--tier", "web"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("content", "message"), [
    (b"site: [\n", r"site.yaml:2:1: invalid YAML"),
    (b"site: s\ntraffic: {peak_rps: 10}\n", r"site.yaml:1:1: \(top level\): missing required "
                                            r"key 'tiers'"),
    (b"\xff\xfe", r"site.yaml:1:1: not UTF-8 text"),
    (b"", r"site.yaml:1:1: empty file"),
])
def test_a_file_that_is_no_topology_is_left_untouched(tmp_path: Path, command: str,
                                                      content: bytes, message: str) -> None:
    """Not YAML, not valid, not text, empty: exit 2, located, not a byte changed."""
    path = tmp_path / "site.yaml"
    path.write_bytes(content)
    result = invoke(*COMMANDS[command](path))
    assert result.exit_code == ExitCode.INVALID
    assert re.match(f"^{re.escape(str(tmp_path))}/{message}", result.stderr), result.stderr
    assert path.read_bytes() == content
    assert [entry.name for entry in tmp_path.iterdir()] == ["site.yaml"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_file_is_refused_and_kept(site: Path, command: str) -> None:
    """Mode 0444 means "do not edit", even for root: exit 2, bytes and mode as they were."""
    before = site.read_bytes()
    site.chmod(0o444)
    result = invoke(*COMMANDS[command](site))
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr == (f"capplan: error: cannot write {site}: it is read-only (chmod "
                             f"u+w {site} to let capplan edit it); it is unchanged\n")
    assert site.read_bytes() == before
    assert stat.S_IMODE(site.stat().st_mode) == 0o444


@pytest.mark.parametrize("command", COMMANDS)
def test_a_symlink_stays_a_symlink(site: Path, tmp_path: Path, command: str) -> None:
    """The link's target is replaced, the link kept; a private mode is kept too."""
    link = tmp_path / "link.yaml"
    link.symlink_to(site.name)
    site.chmod(0o600)
    before = site.read_bytes()
    result = invoke(*COMMANDS[command](link))
    assert result.exit_code == ExitCode.OK, result.output
    assert link.is_symlink()
    assert os.readlink(link) == site.name
    assert site.read_bytes() != before
    assert stat.S_IMODE(site.stat().st_mode) == 0o600


@pytest.mark.parametrize("command", COMMANDS)
def test_a_failed_edit_through_a_symlink_leaves_both(site: Path, tmp_path: Path,
                                                     command: str) -> None:
    """An invalid target behind a link: the link and the target are as they were."""
    site.write_text("site: s\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(site.name)
    result = invoke(*COMMANDS[command](link))
    assert result.exit_code == ExitCode.INVALID
    assert link.is_symlink()
    assert os.readlink(link) == site.name
    assert site.read_text() == "site: s\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_write_that_fails_leaves_the_file(site: Path, tmp_path: Path, command: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk at the last step: exit 2, the file whole, no temporary file left."""
    before = site.read_bytes()

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    result = invoke(*COMMANDS[command](site))
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr.endswith(f"capplan: error: cannot write {site}: No space left on "
                                  "device\n")
    assert site.read_bytes() == before
    assert [entry.name for entry in tmp_path.iterdir()] == ["site.yaml"]


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    """--into edits a file that exists; it never creates one."""
    result = invoke(*COMMANDS["observe"](tmp_path / "none.yaml"))
    assert result.exit_code == ExitCode.INVALID
    assert "none.yaml:1:1: no such file" in result.stderr
    assert not (tmp_path / "none.yaml").exists()


def test_a_file_changed_meanwhile_is_not_overwritten(site: Path) -> None:
    """Another writer between the read and the write wins: capplan refuses."""
    def change(source: bytes, name: str) -> edit.Edit:
        site.write_text(source.decode() + "# someone else\n")
        return edit.replace_traffic(source, OBSERVED, name)

    with pytest.raises(OutputError, match="changed while capplan was editing it"):
        edit.rewrite_file(site, change)
    assert site.read_text().endswith("# someone else\n")


# --- a property -----------------------------------------------------------------------------

_COMMENT = st.from_regex(r"[ ]{0,4}#[ a-z0-9:#{}\[\],.'-]{0,20}", fullmatch=True)
_FILLER = st.lists(st.one_of(st.just(""), _COMMENT), max_size=3)
_INLINE = st.one_of(st.just(""), st.from_regex(r"[ ]{1,3}#[ a-z0-9:]{0,12}", fullmatch=True))


@st.composite
def commented_sites(draw: st.DrawFn) -> tuple[list[tuple[str, bool]], str, bool]:
    """A topology as pieces (text, is a form entry) with comments and blank lines around."""
    indent = " " * draw(st.integers(1, 4))
    forms = draw(st.sampled_from([
        ["peak_rps: 1200"], ["peak_rps: {low: 1k, high: 2k}"],
        ["daily_requests: 40M", "peak_to_average: 2.5"],
        ["profile: [1, 2,\n" + indent + "  3]"], ["profile:\n" + indent + "- 5\n" + indent
                                                  + "- 6"]]))
    forms += draw(st.sampled_from([[], ["growth: 4%"], ["growth: -1.5%"]]))
    kept = draw(st.lists(st.sampled_from(["horizon_months: 12", "request_bytes: '900'",
                                          "response_bytes: 24k"]), unique=True))
    entries = [(entry, True) for entry in forms] + [(entry, False) for entry in kept]
    entries = draw(st.permutations(entries))
    pieces: list[tuple[str, bool]] = []

    def filler() -> None:
        pieces.extend((line + "\n", False) for line in draw(_FILLER))

    filler()
    pieces.append(("site: s" + draw(_INLINE) + "\n", False))
    filler()
    pieces.append(("traffic:" + draw(_INLINE) + "\n", False))
    for text, form in entries:
        filler()
        pieces.append((indent + text + draw(_INLINE) + "\n", form))
    filler()
    pieces.append(("tiers:\n- {name: a, redundancy: pool, node: {capacity_rps: 1}}"
                   + draw(_INLINE) + "\n", False))
    filler()
    return pieces, draw(st.sampled_from(["\n", "\r\n"])), draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(commented_sites(), st.lists(st.integers(1, 10**6), min_size=1, max_size=30),
       st.one_of(st.none(), st.sampled_from(["3%", "-0.5%", "12.25%"])))
def test_everything_but_the_form_entries_survives(
        site: tuple[list[tuple[str, bool]], str, bool], profile: list[int],
        growth: str | None) -> None:
    """Comments and blank lines anywhere survive; only the form entries are replaced.

    Kept keys in any order, LF or CRLF, a final line break or none: the new text is the
    old one with the form entries replaced, in place of the first of them, by the new
    block; and the same edit again changes nothing.
    """
    pieces, newline, final = site
    text = "".join(piece for piece, _ in pieces)
    if not final:
        text = text[:-1]
    text = text.replace("\n", newline)
    traffic: dict[str, edit.Value] = {"profile": profile}
    if growth is not None:
        traffic["growth"] = growth
    result = edit.replace_traffic(text, traffic)
    first = next(index for index, (_, form) in enumerate(pieces) if form)
    before = "".join(piece for piece, _ in pieces[:first]).replace("\n", newline)
    after = "".join(piece for piece, form in pieces[first + 1:] if not form)
    if not final:
        after = after[:-1]
    after = after.replace("\n", newline)
    assert result.text.startswith(before)
    assert result.text.endswith(after)
    block = result.text[len(before):len(result.text) - len(after)]
    assert re.fullmatch(r"( +)profile: \[[0-9, \r\n]+\]" + re.escape(newline)
                        + (r"\1growth: " + re.escape(growth) + re.escape(newline)
                           if growth else ""), block)
    topology = load_text(result.text).topology
    assert topology.traffic.profile == [Fraction(value) for value in profile]
    assert topology.traffic.growth == (0 if growth is None else
                                       Fraction(growth.rstrip("%")) / 100)
    assert "\n" not in result.text.replace("\r\n", "") or newline == "\n"
    assert edit.replace_traffic(result.text, traffic).text == result.text


# --- the README's walkthrough -----------------------------------------------------------------

WALKTHROUGH_SITE = """\
# The shop as we guessed it last spring.
site: shop
traffic:
  peak_rps: 2k              # a guess from the launch
  growth: 3%                # another guess
  horizon_months: 12
policy:
  failures: 1
  max_utilization: 80%
tiers:
  - name: lb
    redundancy: active-passive
    nodes: 2
    node: {capacity_rps: 50k, cost: 12000}
  - name: app
    redundancy: pool
    nodes: 6
    node:
      capacity_rps: 1000    # one node's benchmark, times N
      cost: 1200
"""
WALKTHROUGH_BEFORE = """\
shop: peak 2k rps, 2.85k rps in 12 months

tier  scheme    rps  nodes  need/12mo  util  worst   spare    runway  status
----  --------  ---  -----  ---------  ----  -----  ------  --------  ------
lb    act-pass   2k      2        2/2  4.0%   4.0%  +1900%  101.3 mo  ok
app   pool       2k      6        4/5   33%    40%   +100%   23.4 mo  ok

total: 8 nodes, cost 31,200; required: 7 nodes, cost 30,000
"""
WALKTHROUGH_STEPS = [
    ("capplan observe examples/traffic.csv --into site.yaml",
     "capplan: updated site.yaml: traffic (profile, growth)\n"
     "capplan: removed traffic.peak_rps: the observed profile and growth replace it\n"),
    ("capplan fit examples/loadtest.csv --into site.yaml --tier app",
     "capplan: updated site.yaml: tier 'app' scaling (usl)\n"
     "capplan: removed tiers[1].node.capacity_rps: scaling says what the nodes of 'app' "
     "carry\n"),
]
WALKTHROUGH_PLAN = """\
shop: peak 2.51k rps, 4.5k rps in 12 months

tier  scheme      rps  nodes  need/12mo  util  worst   spare   runway  status
----  --------  -----  -----  ---------  ----  -----  ------  -------  ------
lb    act-pass  2.51k      2        2/2  5.0%   5.0%  +1496%  56.8 mo  ok
app   pool      2.51k      6        5/8   49%    56%    +42%   7.1 mo  ok

total: 8 nodes, cost 31,200; required: 10 nodes, cost 33,600

Node failures survived per hour (- = cannot carry it; + = 10 or more):
lb   111111111111111111111111
app  555555443333222222233344
"""


def test_the_readme_walkthrough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walkthrough (observe --into, fit --into, plan) prints what the README shows."""
    (tmp_path / "examples").mkdir()
    for name in ("traffic.csv", "loadtest.csv"):
        (tmp_path / "examples" / name).write_bytes((EXAMPLES / name).read_bytes())
    (tmp_path / "site.yaml").write_text(WALKTHROUGH_SITE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert invoke("plan", "site.yaml").stdout == WALKTHROUGH_BEFORE
    for command, said in WALKTHROUGH_STEPS:
        result = invoke(*command.split()[1:])
        assert result.exit_code == ExitCode.OK
        assert (result.stdout, result.stderr) == ("", said)
    edited = (tmp_path / "site.yaml").read_text(encoding="utf-8")
    assert edited == WALKTHROUGH_SITE.replace(
        "  peak_rps: 2k              # a guess from the launch\n"
        "  growth: 3%                # another guess\n",
        "  profile: [751.8, 601.5, 501.2, 451.1, 451.1, 551.4, 802.0, 1203.0, 1603.9, 1904.7,\n"
        "            2105.2, 2255.5, 2355.8, 2405.9, 2431.0, 2456.0, 2506.2, 2456.0, 2305.7,\n"
        "            2105.2, 1854.6, 1553.8, 1253.1, 952.3]\n"
        "  growth: 4.999%\n").replace(
        "      capacity_rps: 1000    # one node's benchmark, times N\n      cost: 1200\n",
        "      cost: 1200\n    scaling:\n      usl:\n        sigma: 0.02671595\n"
        "        kappa: 0.0007690939\n        lambda: 995.6488\n")
    assert invoke("plan", "site.yaml").stdout == WALKTHROUGH_PLAN
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    if "From measurements to a plan" in readme:  # once the section is in, it must agree
        for text in (WALKTHROUGH_SITE, WALKTHROUGH_BEFORE, WALKTHROUGH_PLAN, *(said for _, said in
                                                           WALKTHROUGH_STEPS)):
            assert text in readme


@st.composite
def pool_tiers(draw: st.DrawFn) -> str:
    """A pool tier in any style: block or flow, node first or last, keys in any order."""
    node_keys = draw(st.sampled_from([["capacity_rps: 150"], ["workers: 8", "service_ms: 20"],
                                      ["capacity_rps: 150", "workers: 8", "service_ms: 20"]]))
    node_keys = draw(st.permutations(node_keys + draw(st.sampled_from(
        [[], ["cost: 2500"], ["cost: 2500", "mtbf_hours: 900", "mttr_hours: 4"]]))))
    keys: list[tuple[str, str | None]] = [("name", "app"), ("redundancy", "pool")]
    keys += draw(st.sampled_from([[], [("nodes", "4")], [("zones", "2"), ("nodes", "4")]]))
    old = draw(st.sampled_from([None, "{usl: {sigma: 0.1, kappa: 0, lambda: 9}}"]))
    if old is not None:  # scaling and capacity_rps cannot both be there: a valid start
        node_keys = [key for key in node_keys if key.split(":")[0] not in
                     edit.SCALING_EXCLUDES] or ["cost: 1"]
        keys.append(("scaling", old))
    flow_node = "{" + ", ".join(node_keys) + "}"
    keys.append(("node", flow_node if draw(st.booleans()) else None))
    keys = draw(st.permutations(keys))
    if draw(st.booleans()):  # the whole tier on one line
        return "  - {" + ", ".join(f"{key}: {value or flow_node}" for key, value in keys) \
            + "}" + draw(_INLINE) + "\n"
    lines = []
    for key, value in keys:
        comment = draw(_INLINE)
        if value is None:
            lines.append(f"{key}:{comment}")
            lines.extend(f"  {entry}{draw(_INLINE)}" for entry in node_keys)
        else:
            lines.append(f"{key}: {value}{comment}")
        lines.extend(draw(_FILLER))
    return "".join(("  - " if index == 0 else "    ") + line + "\n"
                   if not line.lstrip().startswith("#") and line else line + "\n"
                   for index, line in enumerate(lines))


@settings(max_examples=200, deadline=None)
@given(pool_tiers(), st.sampled_from(["\n", "\r\n"]))
def test_any_pool_tier_takes_a_scaling_and_nothing_else_changes(tier: str,
                                                                newline: str) -> None:
    """Whatever the tier's style, the other tiers' lines stay, and a second run is a no-op."""
    before = ("site: s  # c\ntraffic: {peak_rps: 10}\ntiers:\n  - name: lb  # first\n"
              "    redundancy: active-passive\n    node: {capacity_rps: 1k}\n")
    after = "  # after\n  - {name: db, redundancy: pool, node: {capacity_rps: 1}}\n"
    text = (before + tier + after).replace("\n", newline)
    result = edit.set_scaling(text, "app", USL)
    assert result.text.startswith(before.replace("\n", newline))
    assert result.text.endswith(after.replace("\n", newline))
    app_tier = load_text(result.text).topology.tiers[1]
    assert app_tier.scaling is not None
    assert app_tier.scaling.usl.lambda_ == Fraction("995.6488")
    assert (app_tier.node.capacity_rps, app_tier.node.workers, app_tier.node.service_ms) == \
        (None, None, None)
    assert edit.set_scaling(result.text, "app", USL).text == result.text
