"""capplan diff: tier by tier before and after, the totals, --fail-on, formats and sources."""

from __future__ import annotations

import json
import math
import os
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from typer.testing import CliRunner

import capplan
from capplan.cli import ExitCode, app
from capplan.diff import TIER_KEYS, TOTAL_KEYS, Condition, parse_conditions
from tests.helpers import tier, topology
from tests.strategies import topologies

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT = ROOT / "capplan" / "data" / "blueprint.yaml"
runner = CliRunner()

#: The blueprint after a review: web 4 → 6 nodes, storage removed, a search tier added.
CHANGED = BLUEPRINT.read_text(encoding="utf-8").split("  - name: web")[0] + """\
  - name: web
    redundancy: pool
    nodes: 6
    node: {capacity_rps: 150, cost: 2500}
  - name: search
    redundancy: pool
    nodes: 2
    from: [web]
    node: {capacity_rps: 1000, cost: 1000}
"""


def invoke(*args: str) -> Any:
    """Run capplan in-process, stdout and stderr apart."""
    return runner.invoke(app, list(args))


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    """The reviewed blueprint as a file."""
    path = tmp_path / "changed.yaml"
    path.write_text(CHANGED, encoding="utf-8")
    return path


def plan_json(path: Path) -> dict[str, Any]:
    """What `capplan plan FILE -f json` prints, as data."""
    result = invoke("plan", str(path), "-f", "json")
    assert result.exit_code in (0, 1), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def diff_json(*args: str, code: int = ExitCode.OK) -> dict[str, Any]:
    """What `capplan diff … -f json` prints, as data, after the exit code asked for."""
    result = invoke("diff", *args, "-f", "json")
    assert result.exit_code == code, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


# --- the document ---------------------------------------------------------------------------


def test_each_tier_before_and_after_is_what_plan_prints(changed: Path) -> None:
    """Every figure is plan's own, tiers in NEW's order then the removed; kinds and totals."""
    document = diff_json(str(BLUEPRINT), str(changed))
    old, new = plan_json(BLUEPRINT), plan_json(changed)
    assert [(t["name"], t["change"]) for t in document["tiers"]] == [
        ("lb", "same"), ("cache", "same"), ("web", "changed"), ("search", "added"),
        ("storage", "removed")]
    olds = {t["name"]: {key: t[key] for key in TIER_KEYS} for t in old["tiers"]}
    news = {t["name"]: {key: t[key] for key in TIER_KEYS} for t in new["tiers"]}
    for entry in document["tiers"]:
        assert entry["before"] == olds.get(entry["name"])
        assert entry["after"] == news.get(entry["name"])
    assert document["totals"] == {"before": old["totals"], "after": new["totals"]}
    assert document["totals"] == {
        "before": {"nodes": 10, "nodes_required": 15, "cost": 56000.0, "cost_required": 74000.0},
        "after": {"nodes": 12, "nodes_required": 14, "cost": 47000.0, "cost_required": 52000.0}}
    assert document["tripped"] == []


def test_the_figures_by_hand(changed: Path) -> None:
    """web, search and storage worked out: N+1 at 80% with 4% a month of growth."""
    tiers = {t["name"]: t for t in diff_json(str(BLUEPRINT), str(changed))["tiers"]}
    month = math.log(1.04)
    web_demand = 1200 * 0.4  # the cache's misses
    # 4 web nodes: the 3 left carry 480 rps at 150 each, 107% > 80%: failing now.
    web = tiers["web"]
    assert web["before"]["headroom"] == pytest.approx(0.8 / (web_demand / 3 / 150) - 1)
    assert (web["before"]["ok"], web["before"]["runway_months"]) == (False, 0)
    # 6 nodes: 5 left at 64%, 25% spare, which 4% a month uses up in ln 1.25 / ln 1.04.
    assert web["after"]["headroom"] == pytest.approx(0.25)
    assert web["after"]["runway_months"] == pytest.approx(math.log(1.25) / month)
    assert web["after"]["cost"] == 6 * 2500
    # 8 at the 12-month peak: 480·1.04¹² = 768.5 rps over (n-1)·120 rps needs n = 8.
    assert web["before"]["nodes_required"] == web["after"]["nodes_required"] == 8
    search = tiers["search"]["after"]
    assert search["headroom"] == pytest.approx(0.8 / 0.48 - 1)
    assert search["runway_months"] == pytest.approx(math.log(0.8 / 0.48) / month)
    assert tiers["search"]["before"] is None
    # storage: 4 requests per web request, 1920 rps on the one active node of 2500.
    storage = tiers["storage"]["before"]
    assert storage["headroom"] == pytest.approx(0.8 / 0.768 - 1)
    assert storage["runway_months"] == pytest.approx(math.log(0.8 / 0.768) / month)
    assert tiers["storage"]["after"] is None


def test_identical_files_are_an_empty_diff() -> None:
    """The same file twice: every tier same, nothing tripped, exit 0, one line of table."""
    conditions = ["cost>+0", "nodes<-0", "status", "nodes_required>+0%"]
    document = diff_json(str(BLUEPRINT), str(BLUEPRINT),
                         *(f"--fail-on={text}" for text in conditions))
    assert {t["change"] for t in document["tiers"]} == {"same"}
    assert document["tripped"] == []
    result = invoke("diff", str(BLUEPRINT), str(BLUEPRINT))
    assert result.exit_code == ExitCode.OK
    assert result.stdout == "no change: 4 tiers the same before and after\n"


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(topologies())
def test_a_topology_against_itself_changes_nothing(document: dict[str, Any]) -> None:
    """diff(A, A) is every tier same, nothing tripped, for any topology that plans."""
    try:
        site = capplan.Topology.model_validate(document)
        planned = capplan.plan(site, simulations=100)
    except capplan.CapplanError:
        assume(False)
        return
    result = capplan.diff(planned, site, simulations=100, fail_on=[
        "status", *(f"{key}>+0" for key in TOTAL_KEYS), *(f"{key}<-0%" for key in TOTAL_KEYS)])
    assert [t.change for t in result.tiers] == ["same"] * len(document["tiers"])
    assert result.tripped == ()
    assert result.return_code == ExitCode.OK


def test_yaml_and_json_carry_the_same_document(changed: Path) -> None:
    """Both machine formats parse to one document, the library's."""
    as_json = diff_json(str(BLUEPRINT), str(changed), "--fail-on", "nodes>+1",
                        code=ExitCode.POLICY_FAILED)
    result = invoke("diff", str(BLUEPRINT), str(changed), "--fail-on", "nodes>+1", "-f", "yaml")
    assert result.exit_code == 1
    assert yaml.safe_load(result.stdout) == as_json
    library = capplan.diff(capplan.load(BLUEPRINT), capplan.load(changed), fail_on="nodes>+1")
    assert library.to_dict() == as_json
    assert library.tripped == ("nodes>+1",)


# --- --fail-on ------------------------------------------------------------------------------

# Totals, blueprint → changed: nodes 10 → 12 (+2, +20%), nodes_required 15 → 14 (-1),
# cost 56,000 → 47,000 (-9,000, -16.07%), cost_required 74,000 → 52,000 (-22,000, -29.7%).
BOUNDS = [
    ("nodes>+2", False), ("nodes>+1", True), ("nodes>+1.99", True),
    ("nodes>+20%", False), ("nodes>+19.99%", True),
    ("nodes_required<-1", False), ("nodes_required<-0.5", True),
    ("nodes_required>+0", False),
    ("cost<-9000", False), ("cost<-8999", True), ("cost<-9k", False),
    ("cost<-16.08%", False), ("cost<-16.07%", True),
    ("cost>+0", False), ("cost>+0%", False),
    ("cost_required<-22000", False), ("cost_required<-21999.99", True),
]


@pytest.mark.parametrize(("expression", "trips"), BOUNDS)
def test_each_bound_trips_past_it_and_not_at_it(changed: Path, expression: str,
                                                 trips: bool) -> None:
    """A change exactly at the bound passes (strict > and <); past it, exit 1."""
    code = ExitCode.POLICY_FAILED if trips else ExitCode.OK
    document = diff_json(str(BLUEPRINT), str(changed), "--fail-on", expression, code=code)
    assert document["tripped"] == ([expression] if trips else [])


@pytest.mark.parametrize(("expression", "trips"), [
    ("cost>+9000", False), ("cost>+8999", True),
    # 9,000 on 47,000 is 19.1489…%.
    ("cost>+19.15%", False), ("cost>+19.14%", True),
])
def test_rises_from_new_to_old(changed: Path, expression: str, trips: bool) -> None:
    """The other way round the costs rise: the same bounds, as a rise."""
    code = ExitCode.POLICY_FAILED if trips else ExitCode.OK
    diff_json(str(changed), str(BLUEPRINT), "--fail-on", expression, code=code)


def test_a_share_of_nothing() -> None:
    """From a cost of 0, any rise passes every percentage; no rise passes none."""
    free = topology(tier("web", capacity=100, nodes=12))
    priced = topology(tier("web", capacity=100, nodes=12, node={"cost": 1}))
    assert capplan.diff(free, priced, fail_on="cost>+1000000%").tripped == ("cost>+1000000%",)
    assert capplan.diff(free, free, fail_on="cost>+0%").tripped == ()
    assert capplan.diff(priced, free, fail_on="cost<-99.9%").tripped == ("cost<-99.9%",)
    assert capplan.diff(priced, free, fail_on="cost<-100%").tripped == ()


def test_status_trips_when_a_tier_stops_holding(changed: Path) -> None:
    """The web tier goes ok → FAIL from changed back to the blueprint; FAIL → ok trips nothing."""
    assert diff_json(str(BLUEPRINT), str(changed), "--fail-on", "status")["tripped"] == []
    document = diff_json(str(changed), str(BLUEPRINT), "--fail-on", "cost>+1",
                         "--fail-on", "status", code=ExitCode.POLICY_FAILED)
    assert document["tripped"] == ["cost>+1", "status"]  # in the order given


@pytest.mark.parametrize("added", [{"nodes": 1}, {}], ids=["failing", "no-count"])
def test_status_is_a_tier_going_from_ok_to_not_ok(added: dict[str, Any]) -> None:
    """SPEC §9: a tier goes from ok to not ok. One added not ok, or renamed, went from nothing.

    Tiers are matched by name, so a renamed tier that failed before is added and removed:
    it tripped status as if the pull request had broken it. Losing a tier's count (ok →
    no count, which check fails) does trip it.
    """
    web = tier("web", capacity=100, nodes=12)
    before = topology(web)
    after = topology(web, tier("api", capacity=100, **added))
    result = capplan.diff(before, after, fail_on=["status"])
    assert result.tiers[1].change == "added"
    assert result.tripped == ()
    failing = topology(tier("web", capacity=100, nodes=1))
    renamed = topology(tier("webapp", capacity=100, nodes=1))
    assert capplan.diff(failing, renamed, fail_on="status").tripped == ()
    uncounted = topology(tier("web", capacity=100))
    assert capplan.diff(before, uncounted, fail_on="status").tripped == ("status",)


def test_totals_that_change_under_tiers_that_do_not_are_shown() -> None:
    """Reviewer's find: a cost of the nodes required moved, no tier's six figures did.

    The table said "no change" and the job exited 1 without saying what tripped.
    """
    from capplan.render.diff import render_markdown, render_table

    def site(small_cost: int) -> capplan.Topology:
        return capplan.Topology.model_validate({
            "site": "mix", "traffic": {"peak_rps": 1600},
            "node_types": {"small": {"capacity_rps": 500, "cost": small_cost},
                           "large": {"capacity_rps": 1000, "cost": 9000}},
            "tiers": [{"name": "web", "redundancy": "pool", "node_types": ["small", "large"],
                       "nodes": {"large": 3}}]})

    cheap, dearer = site(4000), site(4100)
    result = capplan.diff(cheap, dearer, fail_on="cost_required>+1%")
    assert [t.change for t in result.tiers] == ["same"]
    assert result.before["cost_required"] < result.after["cost_required"]
    assert result.tripped == ("cost_required>+1%",)
    table = render_table(result)
    assert table.startswith("1 tier the same; the totals changed\n")
    assert "tripped: cost_required>+1%" in table
    assert "no change" not in render_markdown(result)


def test_the_library_takes_no_conditions_as_none() -> None:
    """fail_on=None is no condition (it was a TypeError from deep inside)."""
    site = capplan.load(BLUEPRINT)
    assert capplan.diff(site, site, fail_on=None).tripped == ()


@pytest.mark.parametrize(("expression", "said"), [
    ("cots>+5%", "did you mean 'cost'?"),
    ("stauts", "did you mean 'status'?"),
    ("cost>5%", "'>' takes a rise, +N; '<' a fall, -N"),
    ("cost>-5%", "'>' takes a rise"),
    ("cost>+", "'' is not a number"),
    ("cost>+abc", "cost>+abc"),
    ("cost=+5", "KEY>+N, KEY>+N%, KEY<-N, KEY<-N%"),
    ("cost>=+5%", "the bounds are strict: '>' and '<', not '>='"),
    ("COST>+5%", "did you mean 'cost'?"),
])
def test_a_malformed_expression_is_a_usage_error(expression: str, said: str) -> None:
    """Exit 2 with one line naming the expression and the accepted forms, before reading."""
    result = invoke("diff", "missing-old.yaml", "missing-new.yaml", "--fail-on", expression)
    assert result.exit_code == ExitCode.INVALID
    assert result.stdout == ""
    assert result.stderr.startswith(f"capplan: error: --fail-on '{expression}': expected ")
    assert said in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_library_parses_what_the_command_line_does() -> None:
    """Conditions in the library's words; a bad one is an InvalidArgument."""
    assert parse_conditions(["cost > +5 %", "status", "status", "cost>+5%"]) == (
        Condition("cost > +5 %", "cost", True, Fraction(5), True), Condition("status", "status"))
    with pytest.raises(capplan.InvalidArgument, match="fail_on 'nodes>>1'"):
        capplan.diff(capplan.load(BLUEPRINT), capplan.load(BLUEPRINT), fail_on=["nodes>>1"])


# --- bad input ------------------------------------------------------------------------------


def test_an_invalid_new_file_is_located(tmp_path: Path) -> None:
    """Exit 2, FILE:LINE:COL as plan prints it, no traceback; both files' problems at once."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(CHANGED.replace("capacity_rps: 150", "capacity_rps: -150"),
                      encoding="utf-8")
    line = CHANGED.splitlines().index("    node: {capacity_rps: 150, cost: 2500}") + 1
    result = invoke("diff", str(BLUEPRINT), str(broken))
    assert result.exit_code == ExitCode.INVALID
    assert result.stdout == ""
    assert result.stderr.startswith(f"{broken}:{line}:")
    assert result.stderr == invoke("plan", str(broken)).stderr
    both = invoke("diff", str(tmp_path / "gone.yaml"), str(broken))
    assert both.stderr.splitlines() == [f"{broken}:{line}:" + result.stderr.split(":", 2)[2]
                                        .rstrip("\n"), f"{tmp_path / 'gone.yaml'}:1:1: no such "
                                        "file"]


def test_a_policy_no_count_meets_is_located_as_plan_does(tmp_path: Path) -> None:
    """A tier no count can hold: exit 2 at the tier's line, as plan says it."""
    huge = tmp_path / "huge.yaml"
    huge.write_text(CHANGED.replace("peak_rps: 1200", "peak_rps: 1T"), encoding="utf-8")
    result = invoke("diff", str(BLUEPRINT), str(huge))
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr == invoke("plan", str(huge)).stderr
    assert "Traceback" not in result.output


# --- git:REF:PATH ---------------------------------------------------------------------------


def git(folder: Path, *args: str) -> None:
    """Run git in *folder* as a throwaway identity, ignoring the machine's configuration."""
    environment = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                   "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=folder, env=environment, check=True,
                   capture_output=True)


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository in tmp_path, the working directory: site.yaml changed since HEAD.

    HEAD holds the blueprint; the working tree the reviewed version.
    """
    git(tmp_path, "init", "-q")
    (tmp_path / "site.yaml").write_bytes(BLUEPRINT.read_bytes())
    git(tmp_path, "add", "site.yaml")
    git(tmp_path, "commit", "-q", "-m", "the blueprint")
    (tmp_path / "site.yaml").write_text(CHANGED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_git_revision_is_read_with_git_show(repository: Path, changed: Path) -> None:
    """git:HEAD:site.yaml is the committed file: the diff of the two files themselves."""
    assert diff_json("git:HEAD:site.yaml", "site.yaml") == \
        diff_json(str(BLUEPRINT), str(changed))


def test_a_git_revision_with_problems_is_named_as_written(repository: Path) -> None:
    """A file invalid at a revision is located under its git:REF:PATH name."""
    (repository / "site.yaml").write_text("site: x\n", encoding="utf-8")
    git(repository, "commit", "-q", "-a", "-m", "broken")
    result = invoke("diff", "git:HEAD:site.yaml", "git:HEAD~1:site.yaml")
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr.startswith("git:HEAD:site.yaml:1:1: ")


@pytest.mark.parametrize(("name", "said"), [
    ("git:nope:site.yaml", "git:nope:site.yaml:1:1: git show nope:site.yaml: invalid object "
                           "name 'nope'"),
    ("git:HEAD:gone.yaml", "git:HEAD:gone.yaml:1:1: git show HEAD:gone.yaml: path 'gone.yaml' "
                           "does not exist in 'HEAD'"),
    ("git:--output=x:site.yaml", "git:--output=x:site.yaml:1:1: git show "
                                 "--output=x:site.yaml: "),
    ("git:HEAD", "capplan: error: git:HEAD: expected git:REF:PATH"),
    ("git:HEAD:site.yaml\nHEAD:x", "capplan: error: git:HEAD:site.yaml\\nHEAD:x: expected "
                                    "git:REF:PATH on one line"),
])
def test_an_unknown_revision_is_one_line(repository: Path, name: str, said: str) -> None:
    """An unknown ref or path: exit 2 and one line naming it; an option is never one."""
    result = invoke("diff", name, "site.yaml")
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr.startswith(said)
    assert result.stderr.count("\n") == 1
    assert not (repository / "x").exists()


def test_a_symbolic_link_is_followed_inside_the_repository(repository: Path,
                                                           changed: Path) -> None:
    """A topology kept as a link (examples/blueprint.yaml is one) is read where it points.

    git stores a link as a blob holding its target, which `git show` prints as it is:
    the diff then refused the file as "expected a mapping".
    """
    (repository / "sites").mkdir()
    (repository / "sites" / "current.yaml").symlink_to("../site.yaml")
    (repository / "outside.yaml").symlink_to("/etc/hostname")
    git(repository, "add", "sites/current.yaml", "outside.yaml")
    git(repository, "commit", "-q", "-m", "links")
    assert diff_json("git:HEAD:sites/current.yaml", "site.yaml") == \
        diff_json(str(BLUEPRINT), str(changed))
    result = invoke("diff", "git:HEAD:outside.yaml", "site.yaml")
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr == ("git:HEAD:outside.yaml:1:1: git show HEAD:outside.yaml: a "
                             "symbolic link out of the repository\n")


def test_without_git_the_error_says_so(repository: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No git on PATH: one line saying git could not run."""
    monkeypatch.setenv("PATH", str(repository / "no-such-folder"))
    result = invoke("diff", "git:HEAD:site.yaml", "site.yaml")
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr.startswith("capplan: error: git:HEAD:site.yaml: cannot run git")


# --- formats and output ---------------------------------------------------------------------


def test_the_table_shows_what_changed(changed: Path) -> None:
    """One row per changed, added or removed tier, before→after, then the totals; 80 wide."""
    result = invoke("diff", str(BLUEPRINT), str(changed), "--fail-on", "nodes>+1")
    assert result.exit_code == ExitCode.POLICY_FAILED
    lines = result.stdout.splitlines()
    assert lines[0] == "5 tiers: 1 changed, 1 added, 1 removed, 2 unchanged"
    assert lines[2].split() == ["tier", "change", "nodes", "required", "cost", "status",
                                "spare", "runway"]
    rows = {line.split()[0]: " ".join(line.split()[1:]) for line in lines[4:8]}
    assert rows == {
        "web": "changed 4→6 8 10,000→15,000 FAIL→ok -25%→+25% 0→5.7 mo",
        "search": "added 2 2 2,000 ok +67% 13.0 mo",
        "storage": "removed 2 3 16,000 ok +4% 1.0 mo",
        "total": "10→12 15→14 56,000→47,000",
    }
    assert lines[-2:] == ["cost of the nodes required: 74,000 → 52,000", "tripped: nodes>+1"]
    assert max(len(line) for line in lines) <= 80


def test_markdown_is_a_pull_request_comment(changed: Path) -> None:
    """A heading, the files, the tripped expressions, a GitHub table with a row per change."""
    result = invoke("diff", str(changed), str(BLUEPRINT), "--fail-on", "status", "-f",
                    "markdown")
    assert result.exit_code == ExitCode.POLICY_FAILED
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "### capplan diff: 5 tiers: 1 changed, 1 added, 1 removed, 2 unchanged", "",
        f"`{changed}` → `{BLUEPRINT}`", "", "**Tripped:** `status`"]
    assert lines[6:12] == [
        "| tier | change | nodes | required | cost | status | spare | runway |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
        "| web | changed | 6 → 4 | 8 | 15,000 → 10,000 | ok → FAIL | +25% → -25% | 5.7 mo → 0 |",
        "| storage | added | 2 | 3 | 16,000 | ok | +4% | 1.0 mo |",
        "| search | removed | 2 | 2 | 2,000 | ok | +67% | 13.0 mo |",
        "| **total** |  | 12 → 10 | 14 → 15 | 47,000 → 56,000 |  |  |  |"]


def test_github_annotates_the_tier_that_stops_holding(changed: Path) -> None:
    """An error at the line of NEW where web starts, and one at line 1 per other tripped test."""
    result = invoke("diff", str(changed), str(BLUEPRINT), "--fail-on", "status",
                    "--fail-on", "cost>+1000", "-f", "github")
    assert result.exit_code == ExitCode.POLICY_FAILED
    line = BLUEPRINT.read_text(encoding="utf-8").splitlines().index("  - name: web") + 1
    name = str(BLUEPRINT).replace(":", "%3A").replace(",", "%2C")
    annotations = result.stdout.splitlines()
    assert annotations[0].startswith(
        f"::error file={name},line={line},title=capplan diff status::tier 'web' is FAIL "
        "(was ok): nodes 6 → 4, ")
    assert [a.split("::")[1] for a in annotations[1:2]] == [
        f"error file={name},line=1,title=capplan diff cost>+1000"]
    assert annotations[2] == "5 tiers: 1 changed, 1 added, 1 removed, 2 unchanged"


def test_github_warns_of_a_failing_tier_the_gate_does_not_fail_on(changed: Path) -> None:
    """Without --fail-on status a job that passes shows a warning, not a red error."""
    result = invoke("diff", str(changed), str(BLUEPRINT), "-f", "github")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.startswith("::warning file=")
    assert "::error" not in result.stdout


def test_github_names_the_path_of_a_git_revision(repository: Path) -> None:
    """Annotations land on the file in the pull request: PATH of git:REF:PATH."""
    result = invoke("diff", "site.yaml", "git:HEAD:site.yaml", "-f", "github")
    assert result.stdout.startswith("::warning file=site.yaml,line=")


def test_output_file_is_written_whole_and_never_over_an_input(changed: Path) -> None:
    """-o writes what stdout would show, through the one writer; an input is refused."""
    target = changed.parent / "diff.json"
    assert invoke("diff", str(BLUEPRINT), str(changed), "-f", "json", "-o",
                  str(target)).exit_code == ExitCode.OK
    assert target.read_text(encoding="utf-8") == \
        invoke("diff", str(BLUEPRINT), str(changed), "-f", "json").stdout
    before = changed.read_bytes()
    refused = invoke("diff", str(BLUEPRINT), str(changed), "-o", str(changed))
    assert refused.exit_code == ExitCode.INVALID
    assert "refusing to overwrite the input file" in refused.stderr
    assert changed.read_bytes() == before


def test_every_command_and_the_library_read_a_revision(repository: Path) -> None:
    """git:REF:PATH is read by the loader, so plan, check and capplan.load take it too."""
    planned = invoke("plan", "git:HEAD:site.yaml", "-f", "json")
    assert planned.exit_code == ExitCode.OK
    assert json.loads(planned.stdout) == json.loads(
        invoke("plan", str(BLUEPRINT), "-f", "json").stdout)
    assert capplan.load("git:HEAD:site.yaml") == capplan.load(BLUEPRINT)
    checked = invoke("check", "git:HEAD:site.yaml")
    assert checked.stdout.startswith("git:HEAD:site.yaml:")
