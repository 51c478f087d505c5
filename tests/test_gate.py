"""The CI gate: exit codes for every mix of files, findings located at their tier."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capplan.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

PASSING = """\
site: ok
traffic: {peak_rps: 400}
tiers:
  - name: web
    redundancy: pool
    nodes: 5
    node: {capacity_rps: 100}
"""
FAILING = PASSING.replace("nodes: 5", "nodes: 4")
INVALID = PASSING.replace("capacity_rps", "capacty_rps")
KINDS = {"passing": PASSING, "failing": FAILING, "invalid": INVALID}
EXPECTED = {"passing": 0, "failing": 1, "invalid": 2}


def write(folder: Path, kinds: tuple[str, ...]) -> list[str]:
    """One file per kind, in order."""
    names = []
    for index, kind in enumerate(kinds):
        path = folder / f"{index}-{kind}.yaml"
        path.write_text(KINDS[kind], encoding="utf-8")
        names.append(str(path))
    return names


COMBINATIONS = [combo for size in (1, 2, 3)
                for combo in itertools.combinations_with_replacement(KINDS, size)]


@pytest.mark.parametrize("kinds", COMBINATIONS, ids=["+".join(c) for c in COMBINATIONS])
def test_exit_code_for_every_mix_of_files(kinds: tuple[str, ...], tmp_path: Path) -> None:
    """Exit 2 if any file is invalid, else 1 if any tier fails, else 0; one process."""
    result = runner.invoke(app, ["check", *write(tmp_path, kinds)])
    assert result.exit_code == max(EXPECTED[kind] for kind in kinds), result.output
    assert "Traceback" not in result.output


def test_failing_tier_is_reported_where_it_starts(tmp_path: Path) -> None:
    """The finding sits on the tier's first line, and says how many nodes it needs."""
    [name] = write(tmp_path, ("failing",))
    result = runner.invoke(app, ["check", name, "--format", "text"])
    assert result.stdout.splitlines() == [
        f"{name}:4:5: error: tier 'web' fails N+1 at 100%: the busiest node runs at 133.3% "
        "after 1 failure, above 100%; needs 5 nodes (has 4): set nodes: 5 [CAP002]",
        "Checked 1 file: 1 error.",
    ]


def test_invalid_file_names_the_key_and_its_fix(tmp_path: Path) -> None:
    """A misspelt key gives exit 2 and the loader's located message in check's format."""
    [name] = write(tmp_path, ("invalid",))
    result = runner.invoke(app, ["check", name, "-f", "json"])
    [found] = json.loads(result.stdout)["findings"]
    assert (found["line"], found["rule_name"]) == (7, "invalid-input")
    assert "did you mean 'capacity_rps'?" in found["message"]


def test_missing_file_is_invalid_input(tmp_path: Path) -> None:
    """A file that does not exist is exit 2, reported like any invalid file."""
    result = runner.invoke(app, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml" in result.stdout


def test_undeclared_count_fails_with_the_count_to_add(tmp_path: Path) -> None:
    """A tier with no nodes cannot pass the gate; the message gives the count to declare."""
    path = tmp_path / "sized.yaml"
    path.write_text(PASSING.replace("    nodes: 5\n", ""), encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "tier 'web' declares no node count; add nodes: 5 (N+1 at 100% at the planning " \
           "peak) [CAP003]" in result.stdout


def test_short_runway_fails_and_says_how_many_nodes_last(tmp_path: Path) -> None:
    """Runway under min_runway_months is an error naming the count that lasts long enough."""
    path = tmp_path / "growth.yaml"
    path.write_text(PASSING.replace("{peak_rps: 400}", "{peak_rps: 380, growth: 10%}")
                    .replace("tiers:", "policy: {min_runway_months: 6}\ntiers:"),
                    encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "runs out in 0.5 months at 10.0% growth a month; min_runway_months is 6: " \
           "nodes: 8 lasts that long (has 5) [CAP004]" in result.stdout


def test_warnings_fail_only_when_strict(tmp_path: Path) -> None:
    """A tier with over twice the nodes it needs warns; --strict makes that exit 1."""
    path = tmp_path / "big.yaml"
    path.write_text(PASSING.replace("nodes: 5", "nodes: 11"), encoding="utf-8")
    relaxed = runner.invoke(app, ["check", str(path)])
    assert relaxed.exit_code == 0
    assert "[CAP102]" in relaxed.stdout
    assert runner.invoke(app, ["check", "--strict", str(path)]).exit_code == 1


def test_github_format_is_the_default_in_github_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GITHUB_ACTIONS=true and no --format gives workflow annotations."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    [name] = write(tmp_path, ("failing",))
    result = runner.invoke(app, ["check", name])
    assert result.stdout.startswith(f"::error file={name.replace(':', '%3A')},line=4,col=5,")


def test_every_shipped_example_is_checked_without_error_of_input() -> None:
    """The examples are valid files: check never reports CAP001 for them."""
    examples = sorted(str(path) for path in (ROOT / "examples").glob("*.yaml"))
    result = runner.invoke(app, ["check", "-f", "json", *examples])
    document = json.loads(result.stdout)
    assert result.exit_code == 1  # blueprint and two-boxes fail on purpose
    assert all(entry["rule"] != "CAP001" for entry in document["findings"])


# --- implausible values (CAP103) and the horizon (CAP104) ----------------------------------


def check_text(tmp_path: Path, text: str, *options: str) -> tuple[int, list[str], str]:
    """Exit code, finding lines and the path of a one-file check of *text*."""
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", *options, str(path)])
    return result.exit_code, result.stdout.splitlines()[:-1], str(path)


def position(text: str, needle: str) -> str:
    """'LINE:COL' where *needle* starts in *text*."""
    line = next(n for n, row in enumerate(text.splitlines(), 1) if needle in row)
    return f"{line}:{text.splitlines()[line - 1].index(needle) + 1}"


SLIPS = """\
site: slips
traffic: {profile: [100, 200, 300, 400, 300, 200, 100]}
policy: {max_utilization: 5%}
tiers:
  - name: cache
    redundancy: pool
    nodes: 4
    hit_ratio: 100%
    node: {capacity_rps: 10k, bandwidth_mbps: 2000000}
  - name: web
    redundancy: pool
    nodes: 2
    max_utilization: 0.08
    node: {capacity_rps: 100, mtbf_hours: 8, mttr_hours: 2000}
"""


def test_implausible_values_warn_at_their_keys(tmp_path: Path) -> None:
    """Five kinds of slip each warn at the key's line and column, naming the key and the fix."""
    code, lines, name = check_text(tmp_path, SLIPS)
    assert code == 0
    assert lines == [
        f"{name}:{position(SLIPS, '[100, 200')}: warning: traffic.profile: 7 slots do not "
        "split a day into whole minutes (205.7 minutes a slot): a value is likely missing or "
        "extra; give a count that divides 1440, e.g. 24 (hourly), 48, 96 or 288 [CAP103]",
        f"{name}:{position(SLIPS, '5%')}: warning: policy.max_utilization: a ceiling of 5% "
        "sizes every node to idle 95% of the time; write the ceiling you mean as a "
        "percentage (e.g. 80%) [CAP103]",
        f"{name}:{position(SLIPS, '100%')}: warning: tiers[0].hit_ratio: 100% answers every "
        "request at 'cache', so no request reaches 'web' downstream; write the hit ratio the "
        "cache really has (e.g. 95%) [CAP103]",
        f"{name}:{position(SLIPS, '2000000')}: warning: tiers[0].node.bandwidth_mbps: "
        "2,000,000 Mbit/s is 2 Tbit/s a node; bandwidth_mbps is in Mbit/s (a 10 Gbit/s link "
        "is 10000) [CAP103]",
        f"{name}:{position(SLIPS, '0.08')}: warning: tiers[1].max_utilization: a ceiling of "
        "8% sizes every node to idle 92% of the time; write the ceiling you mean as a "
        "percentage (e.g. 80%) [CAP103]",
        f"{name}:{position(SLIPS, '2000}')}: warning: tiers[1].node.mttr_hours: 2000 hours to "
        "repair is more than the 8 hours between failures: each node is down 99.6% of the "
        "time; are mtbf_hours and mttr_hours swapped? [CAP103]",
    ]
    assert check_text(tmp_path, SLIPS, "--strict")[0] == 1


def test_plausible_values_do_not_warn(tmp_path: Path) -> None:
    """A 10% ceiling, 1 Tbit/s, 24 hourly slots and a 95% cache are left alone."""
    text = (SLIPS.replace("5%", "10%").replace("0.08", "0.1").replace("2000000", "1000000")
            .replace("hit_ratio: 100%", "hit_ratio: 95%")
            .replace("mttr_hours: 2000", "mttr_hours: 8")
            .replace("[100, 200, 300, 400, 300, 200, 100]", str([100] * 23 + [400])))
    assert "CAP103" not in "\n".join(check_text(tmp_path, text)[1])


HORIZON = """\
site: growing
traffic: {peak_rps: 150, growth: 3%, horizon_months: 12}
tiers:
  - name: web
    redundancy: pool
    nodes: 3
    node: {capacity_rps: 100}
"""


def test_runway_ending_before_the_horizon_warns_with_the_count_that_lasts(
        tmp_path: Path) -> None:
    """3 nodes that need 4 by month 12 no longer pass --strict; the warning names 4."""
    code, lines, name = check_text(tmp_path, HORIZON, "--strict")
    assert code == 1
    assert lines == [f"{name}:4:5: warning: tier 'web' runs out in 9.7 months, before the "
                     "12-month horizon: 4 nodes last to the horizon (has 3) [CAP104]"]
    assert check_text(tmp_path, HORIZON.replace("nodes: 3", "nodes: 4"), "--strict")[0] == 0
    assert check_text(tmp_path, HORIZON.replace("horizon_months: 12", "horizon_months: 9"),
                      "--strict")[0] == 0


def test_a_short_runway_is_said_once(tmp_path: Path) -> None:
    """Under 3 months CAP101 says it (with the count for the horizon): no CAP104 beside it."""
    text = HORIZON.replace("peak_rps: 150", "peak_rps: 195")
    _, lines, _ = check_text(tmp_path, text)
    assert [line.rsplit(" ", 1)[-1] for line in lines] == ["[CAP101]"]


UNREACHABLE_TWICE = """\
site: two
traffic: {peak_rps: 1000}
tiers:
  - name: cache
    redundancy: pool
    node: {capacity_rps: 0.0001}
  - name: web
    redundancy: pool
    node: {capacity_rps: 100}
  - name: api
    redundancy: ring
    node: {capacity_rps: 0.00002}
"""


@pytest.mark.parametrize("ranged", [False, True])
def test_every_tier_no_count_holds_is_a_finding(tmp_path: Path, ranged: bool) -> None:
    """Two tiers no count holds: check reports both at their tiers, as a linter would.

    It used to stop at the first ('cache') and say nothing of 'api'; with `{low, high}`
    ranges the counts come from draws, through another path of the planner.
    """
    text = UNREACHABLE_TWICE if not ranged else UNREACHABLE_TWICE.replace(
        "{peak_rps: 1000}", "{peak_rps: {low: 800, high: 1200}}")
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "CAP002" in line]
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:4:5: error: tier 'cache' would need more than")
    assert lines[1].startswith(f"{path}:10:5: error: tier 'api' would need more than")
    planned = runner.invoke(app, ["plan", str(path)])
    assert planned.exit_code == 2
    assert [line.split(":")[1:3] for line in planned.stderr.splitlines()] == \
        [["4", "5"], ["10", "5"]]


NODES_NEARLY_ALWAYS_DOWN = """\
site: flaky
traffic: {peak_rps: 100}
policy: {failures: 0}
tiers:
  - name: web
    redundancy: REDUNDANCY
    nodes: 5
    availability: 50%
    node: {capacity_rps: 1000, mtbf_hours: MTBF, mttr_hours: 1e10}
"""


@pytest.mark.parametrize("redundancy", ["pool", "ring", "active-passive"])
def test_a_target_past_the_node_limit_blames_the_target(tmp_path: Path,
                                                         redundancy: str) -> None:
    """Nodes down all but 1e-20 of the time: availability, not capacity, needs 10¹⁹ nodes.

    The message said "for N+0 at 100%; raise node.capacity_rps", advice that cannot help;
    it now names the target, at its key. With capacity the binding limit as well (a tiny
    node), the capacity message stands.
    """
    path = tmp_path / "flaky.yaml"
    path.write_text(NODES_NEARLY_ALWAYS_DOWN.replace("REDUNDANCY", redundancy)
                    .replace("MTBF", "1e-10"), encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"{path}:8:19: error: tier 'web' would need more than 1,000,000 nodes for "
        "availability 50%, its nodes down 100% of the time; lower availability, or use "
        "nodes that fail less often or recover sooner (mtbf_hours, mttr_hours) [CAP002]")
    path.write_text(path.read_text(encoding="utf-8").replace("capacity_rps: 1000",
                                                             "capacity_rps: 0.00001"),
                    encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert "raise node.capacity_rps" in result.output
