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
        f"{name}:4:5: error: tier 'web' needs 5 nodes for N+1 at 100% (has 4) [CAP002]",
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
           "8 nodes last that long (has 5) [CAP004]" in result.stdout


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
