"""The library: what each command prints is what its function's result gives, in Python."""

from __future__ import annotations

import doctest
import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import capplan
from capplan.cli import app
from capplan.loader import load_text
from capplan.render import data

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
runner = CliRunner()

#: The README's notebook section (its ```pycon block), run as it stands from the root.
_PYCON = re.search(r"```pycon\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"),
                   flags=re.DOTALL)
assert _PYCON is not None, "README.md has no ```pycon block"
NOTEBOOK = _PYCON.group(1)


def cli_json(*args: str) -> str:
    """What a command prints on standard output with --format json (exit 0 or 1)."""
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def assert_same_document(document: dict[str, Any], printed: str) -> None:
    """The library's document is the CLI's: equal as data, and byte for byte as JSON."""
    assert document == json.loads(printed)
    assert data.to_json(document) == printed


# --- the library's documents are the CLI's -------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_plan_document_is_the_cli_document(example: Path) -> None:
    """capplan.plan(...).to_dict() is what `capplan plan --format json` prints."""
    document = capplan.plan(capplan.load(example)).to_dict()
    assert_same_document(document, cli_json("plan", str(example)))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_compare_document_is_the_cli_document(example: Path) -> None:
    """capplan.compare(...).to_dict() is what `capplan compare --format json` prints."""
    document = capplan.compare(capplan.load(example)).to_dict()
    assert_same_document(document, cli_json("compare", str(example)))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_failover_document_is_the_cli_document(example: Path) -> None:
    """capplan.failover on the first tier is what `capplan failover --tier` prints."""
    site = capplan.load(example)
    tier = site.tiers[0].name
    document = capplan.failover(site, tier).to_dict()
    assert_same_document(document, cli_json("failover", str(example), "--tier", tier))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_check_document_is_the_cli_document(example: Path) -> None:
    """capplan.check(...).to_dict() is what `capplan check --format json` prints."""
    document = capplan.check(example).to_dict()
    assert_same_document(document, cli_json("check", str(example)))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
@pytest.mark.parametrize("target", ["ansible", "terraform", "kubernetes", "prometheus"])
def test_export_is_the_cli_export(example: Path, target: str) -> None:
    """capplan.export(...).text is what `capplan export --to` writes; .notes its stderr."""
    result = runner.invoke(app, ["export", str(example), "--to", target])
    assert result.exit_code == 0, result.output
    exported = capplan.export(capplan.load(example), target)
    assert exported.text == result.stdout
    assert [f"capplan: {note}" for note in exported.notes] == result.stderr.splitlines()
    assert exported.counts == ("declared" if target == "prometheus" else "required")
    assert [tier.name for tier in exported.tiers] == \
        [tier.name for tier in capplan.load(example).tiers]


def test_export_counts_as_asked() -> None:
    """counts= overrides the target's default; the rows carry the count each tier used."""
    site_ = capplan.load(EXAMPLES[0])
    plan = capplan.plan(site_)
    exported = capplan.export(site_, "terraform", counts="required")
    assert [row.nodes for row in exported.tiers] == [t.nodes_required for t in plan.tiers]
    declared = capplan.export(site_, "prometheus", counts="required")
    assert declared.counts == "required"


def test_check_of_many_files_with_a_broken_one(tmp_path: Path) -> None:
    """Several files, one invalid: the same findings, order and exit code as the CLI."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("site: x\ntraffic: {peak_rps: 1}\ntiers: []\n", encoding="utf-8")
    names = [str(EXAMPLES[0]), str(broken), str(EXAMPLES[-1])]
    result = capplan.check(*names)
    assert result.return_code == 2
    printed = runner.invoke(app, ["check", *names, "--format", "json"])
    assert printed.exit_code == 2
    assert_same_document(result.to_dict(), printed.stdout)


@pytest.mark.parametrize(("named", "options"), [
    ({"fail": ["web-1", "web-3"]}, ["--fail", "web-1,web-3"]),
    ({"fail": "web-2"}, ["--fail", "web-2"]),
    ({"failures": 2}, ["--failures", "2"]),
    ({"nodes": 6}, ["--nodes", "6"]),
])
def test_failover_questions_are_the_cli_questions(named: dict[str, Any],
                                                  options: list[str]) -> None:
    """Named nodes, a worst set of k and a pretended count answer as the CLI does."""
    site = capplan.load(ROOT / "examples" / "blueprint.yaml")
    document = capplan.failover(site, "web", **named).to_dict()
    assert_same_document(document, cli_json("failover", "examples/blueprint.yaml",
                                            "--tier", "web", *options))


def test_failover_every_set_is_the_cli_ranking() -> None:
    """every=True is `failover --all`: a Ranking whose document is the CLI's."""
    site = capplan.load(ROOT / "examples" / "blueprint.yaml")
    ranking = capplan.failover(site, "web", every=True, failures=2)
    assert isinstance(ranking, capplan.Ranking)
    assert_same_document(ranking.to_dict(), cli_json(
        "failover", "examples/blueprint.yaml", "--tier", "web", "--all", "--failures", "2"))


def test_failover_zones_are_the_cli_zones() -> None:
    """Named zones (as numbers or text) and a worst zone loss answer as the CLI does."""
    example = ROOT / "examples" / "failure-domains.yaml"
    site = capplan.load(example)
    tier = next(t for t in site.tiers if t.zones > 2)
    named = capplan.failover(site, tier.name, fail_zones=[1]).to_dict()
    assert_same_document(named, cli_json("failover", str(example), "--tier", tier.name,
                                         "--fail-zone", "1"))
    worst = capplan.failover(site, tier.name, zone_failures=1).to_dict()
    assert_same_document(worst, cli_json("failover", str(example), "--tier", tier.name,
                                         "--zone-failures", "1"))


@pytest.mark.parametrize(("arguments", "options"), [
    ({"peak": 2000, "capacity": 1000, "redundancy": "ring"},
     ["--peak", "2000", "--capacity", "1000", "--redundancy", "ring"]),
    ({"peak": "1.2k", "capacity": 150, "max_utilization": "80%", "failures": 2},
     ["--peak", "1.2k", "--capacity", "150", "--max-utilization", "80%", "--failures", "2"]),
    ({"peak": 900.5, "capacity": "300", "redundancy": "active-passive", "standby": 2},
     ["--peak", "900.5", "--capacity", "300", "--redundancy", "active-passive",
      "--standby", "2"]),
    ({"peak": Fraction(5000), "capacity": 700, "redundancy": "ring", "spread": 2,
      "max_utilization": 0.9},
     ["--peak", "5000", "--capacity", "700", "--redundancy", "ring", "--spread", "2",
      "--max-utilization", "0.9"]),
])
def test_size_document_is_the_cli_document(arguments: dict[str, Any],
                                           options: list[str]) -> None:
    """capplan.size reads numbers as the CLI does and gives the document it prints."""
    assert_same_document(capplan.size(**arguments).to_dict(), cli_json("size", *options))


# --- Topology.model_validate runs every rule the loader runs --------------------------------


def site(*tiers: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A topology document: a few tiers, 1000 rps unless *top* says otherwise."""
    return {"site": "lab", "traffic": {"peak_rps": 1000}, **top, "tiers": list(tiers)}


def tier(name: str, **extra: Any) -> dict[str, Any]:
    """A pool tier of 100-rps nodes, with *extra* keys."""
    return {"name": name, "redundancy": "pool", "node": {"capacity_rps": 100}, **extra}


BROKEN = {
    "unknown key": site(tier("web", node={"capacty_rps": 100})),
    "unknown upstream": site(tier("web"), tier("db", **{"from": ["wbe"]})),
    "cycle": site(tier("a", **{"from": ["b"]}), tier("b", **{"from": ["a"]})),
    "bare ratio above 1": site(tier("web", max_utilization=1.5)),
    "percentage out of range": site(tier("web", hit_ratio="150%")),
    "duplicate name": site(tier("web"), tier("web")),
    "scheme key on another scheme": site(tier("web", spread=2)),
    "no traffic form": site(tier("web"), traffic={"growth": "4%"}),
    "wrong scheme": site(tier("web", redundancy="rign")),
    "missing key": site({"name": "web", "redundancy": "pool"}),
    "no tiers": site(),
    "several at once": site(tier("web", zones=3, nodes=2), tier("web", cold_hit_ratio="50%"),
                            traffic={"peak_rps": 100, "daily_requests": "1M"}),
}


def loader_messages(document: dict[str, Any]) -> list[str]:
    """The loader's messages for the YAML that writes *document*, without FILE:LINE:COL."""
    with pytest.raises(capplan.InvalidInput) as info:
        load_text(yaml.safe_dump(document, sort_keys=False), "site.yaml")
    return sorted(problem.message for problem in info.value.problems)


@pytest.mark.parametrize("document", BROKEN.values(), ids=list(BROKEN))
def test_model_validate_says_what_the_loader_says(document: dict[str, Any]) -> None:
    """A broken dict raises InvalidInput with the loader's messages, at <dict>:0:0."""
    with pytest.raises(capplan.InvalidInput) as info:
        capplan.Topology.model_validate(document)
    problems = info.value.problems
    assert {(p.file, p.line, p.column) for p in problems} == {("<dict>", 0, 0)}
    assert sorted(p.message for p in problems) == loader_messages(document)


@pytest.mark.parametrize("document", BROKEN.values(), ids=list(BROKEN))
def test_building_a_topology_directly_runs_the_same_rules(document: dict[str, Any]) -> None:
    """Topology(**data) and model_validate_json refuse what model_validate refuses."""
    with pytest.raises(capplan.InvalidInput) as by_dict:
        capplan.Topology.model_validate(document)
    with pytest.raises(capplan.InvalidInput) as by_init:
        capplan.Topology(**document)
    with pytest.raises(capplan.InvalidInput) as by_json:
        capplan.Topology.model_validate_json(json.dumps(document))
    assert by_init.value.problems == by_dict.value.problems == by_json.value.problems


def test_messages_of_cross_field_rules_are_spelled_out() -> None:
    """The cross-field rules reach a dict: an unknown upstream with did-you-mean, a cycle."""
    with pytest.raises(capplan.InvalidInput) as upstream:
        capplan.Topology.model_validate(BROKEN["unknown upstream"])
    assert str(upstream.value) == \
        "<dict>:0:0: tiers[1].from[0]: unknown upstream tier 'wbe' (did you mean 'web'?)"
    with pytest.raises(capplan.InvalidInput) as cycle:
        capplan.Topology.model_validate(BROKEN["cycle"])
    assert [p.message for p in cycle.value.problems] == ["tiers[1].from: cycle in from: b → a → b"]


@pytest.mark.parametrize("value", [None, [], "site: x", 42, {"tiers": "web"}])
def test_model_validate_of_anything_raises_only_invalid_input(value: object) -> None:
    """Not even a mapping, or the wrong shape: InvalidInput, never a bare pydantic error."""
    with pytest.raises(capplan.InvalidInput) as info:
        capplan.Topology.model_validate(value)
    assert info.value.problems


def test_a_validated_dict_plans_like_its_file() -> None:
    """A dict that validates is the topology its YAML gives: the same plan document."""
    document = site(tier("web", nodes=12), tier("db", **{"from": ["web"]}, per_request=2))
    from_dict = capplan.plan(capplan.Topology.model_validate(document)).to_dict()
    from_text = capplan.plan(capplan.load(yaml.safe_dump(document), text=True)).to_dict()
    assert from_dict == from_text


def test_loader_problems_keep_their_file_and_lines() -> None:
    """Through the shared validation the loader still locates each problem in its file."""
    with pytest.raises(capplan.InvalidInput) as info:
        load_text("site: x\ntraffic: {peak_rps: 10}\ntiers:\n  - name: web\n"
                  "    redundancy: pool\n    from: [nope]\n    node: {capacity_rps: 5}\n",
                  "lab.yaml")
    assert [str(p) for p in info.value.problems] == \
        ["lab.yaml:6:12: tiers[0].from[0]: unknown upstream tier 'nope'"]


# --- the package ---------------------------------------------------------------------------


def test_every_public_name_resolves() -> None:
    """Each name in capplan.__all__ is an attribute, and dir() lists it."""
    for name in capplan.__all__:
        assert getattr(capplan, name) is not None, name
        assert name in dir(capplan)
    with pytest.raises(AttributeError):
        _ = capplan.no_such_name  # type: ignore[attr-defined]  # the missing name is the test


def test_failover_stays_the_function_after_its_module_is_imported() -> None:
    """Importing the engine module capplan.failover does not replace capplan.failover()."""
    from capplan import api
    from capplan.failover import rank_failure_sets

    assert rank_failure_sets is not None
    assert capplan.failover is api.failover


def test_one_exception_family() -> None:
    """Every error capplan raises on purpose is a CapplanError, keeping its old base."""
    from capplan.errors import InvalidArgument, OutputError, TooMany, TooManySets, UnknownName

    for error in (capplan.InvalidInput, capplan.Unattainable, OutputError, TooMany,
                  UnknownName, TooManySets, InvalidArgument):
        assert issubclass(error, capplan.CapplanError), error
    assert issubclass(capplan.Unattainable, ValueError)
    assert issubclass(UnknownName, LookupError)
    assert issubclass(TooManySets, ValueError)


def test_old_import_paths_still_work() -> None:
    """The errors moved to capplan.errors are still importable where they used to live."""
    from capplan import errors, failover, loader, output, schemes

    assert loader.InvalidInput is errors.InvalidInput
    assert loader.Problem is errors.Problem
    assert schemes.Unattainable is errors.Unattainable
    assert schemes.TooMany is errors.TooMany
    assert output.OutputError is errors.OutputError
    assert sys.modules["capplan.failover"].UnknownName is errors.UnknownName
    assert callable(failover)


def test_import_is_cheap() -> None:
    """`import capplan` loads neither pydantic nor the planner until a name is used."""
    code = ("import sys, capplan; "
            "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'capplan.'))))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout
    assert shown.strip() == "[]"


# --- refusals ------------------------------------------------------------------------------


def test_policy_no_count_meets_is_unattainable() -> None:
    """A plan that would need more nodes than a tier may have raises Unattainable."""
    topology = capplan.Topology.model_validate(site(tier("web"), traffic={"peak_rps": "1G"}))
    with pytest.raises(capplan.Unattainable) as info:
        capplan.plan(topology)
    assert isinstance(info.value, capplan.CapplanError)
    assert info.value.path == ("tiers", 0)
    assert info.value.also == ()


def test_every_tier_no_count_holds_is_raised_in_file_order() -> None:
    """The first tier's refusal is raised; the others ride along in ``also``."""
    topology = capplan.Topology.model_validate(site(
        tier("web"), tier("api"), tier("db", node={"capacity_rps": "1G"}),
        traffic={"peak_rps": "1G"}))
    with pytest.raises(capplan.Unattainable) as info:
        capplan.plan(topology)
    assert [each.path for each in info.value.every()] == [("tiers", 0), ("tiers", 1)]
    assert "tier 'api'" in str(info.value.also[0])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: capplan.size(100, 10, redundancy="rign"), "did you mean 'ring'?"),
    (lambda: capplan.size("lots", 10), "peak: 'lots' is not a number"),
    (lambda: capplan.size(100, 0), "capacity: must be more than 0"),
    (lambda: capplan.size(100, 10, max_utilization="120%"), "at most 100%"),
    (lambda: capplan.size(100, 10, spread=2), "spread applies only to redundancy='ring'"),
    (lambda: capplan.size(100, 10, redundancy="active-passive", failures=2, standby=1),
     "standby 1 is below failures 2"),
    # A plain dict where a Topology goes, on purpose: the message must say what to do.
    (lambda: capplan.plan({"site": "x"}), "validate it first"),  # type: ignore[arg-type]
    (lambda: capplan.plan(capplan.load(EXAMPLES[0]), simulations=5), "simulations"),
    (lambda: capplan.failover(capplan.load(EXAMPLES[0]), "web", fail="web-1", failures=2),
     "not both"),
    (lambda: capplan.failover(capplan.load(EXAMPLES[0]), "lb", nodes=1),
     "needs at least 2 nodes"),
    (lambda: capplan.load(b"site: x", text=False), "pass text=True"),
    (capplan.check, "at least one file"),
    (lambda: capplan.export(capplan.load(EXAMPLES[0]), "terrafrom"),
     "did you mean 'terraform'?"),
    (lambda: capplan.export(capplan.load(EXAMPLES[0]), "ansible", metric="rate(x)"),
     "--metric applies only to --to prometheus"),
])
def test_bad_arguments_are_invalid_argument(call: Any, message: str) -> None:
    """An argument the CLI would call a usage error is InvalidArgument, a CapplanError."""
    with pytest.raises(capplan.InvalidArgument, match=message.replace("?", r"\?")) as info:
        call()
    assert isinstance(info.value, capplan.CapplanError)


def test_unknown_names_list_what_exists() -> None:
    """An unknown tier or node raises UnknownName naming the ones that exist."""
    site_ = capplan.load(EXAMPLES[0])
    with pytest.raises(capplan.UnknownName, match="the tiers are: lb, cache, web, storage"):
        capplan.failover(site_, "wbe")
    with pytest.raises(capplan.UnknownName, match="tier 'web' has nodes"):
        capplan.failover(site_, "web", fail=["web-9"])


def test_load_reads_text_and_reports_located_problems() -> None:
    """load(text=True) parses YAML text; its problems are located in '<string>'."""
    text = (ROOT / "examples" / "blueprint.yaml").read_text(encoding="utf-8")
    assert capplan.load(text, text=True) == capplan.load(ROOT / "examples" / "blueprint.yaml")
    with pytest.raises(capplan.InvalidInput) as info:
        capplan.load("site: x\ntraffic: {peak_rps: 1}\ntiers: []\n", text=True)
    assert str(info.value).startswith("<string>:3:8: tiers: ")


# --- the README's notebook section ---------------------------------------------------------


def test_notebook_section_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's Python session gives exactly the output it shows."""
    monkeypatch.chdir(ROOT)
    test = doctest.DocTestParser().get_doctest(NOTEBOOK, {}, "README notebook", "README.md", 0)
    output: list[str] = []
    runner_ = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner_.run(test, out=output.append)
    assert result.failed == 0, "".join(output)
    assert result.attempted > 5
