"""Golden files: each example planned in each format, and each recorded command line.

Every examples/*.yaml is planned in each format, byte for byte, and every command line in
golden/commands/*.args is run against the .out file beside it.

Discovered automatically: add an example or an .args file, run
``CAPPLAN_REGENERATE=1 pytest tests/test_golden.py`` to write its golden files, review
them, commit them.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capplan.cli import app

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
FORMATS = {"table": "txt", "json": "json", "yaml": "yaml"}
COMMANDS = sorted((GOLDEN / "commands").glob("*.args"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
@pytest.mark.parametrize("output_format", list(FORMATS))
def test_example_matches_its_golden_file(
    example: Path, output_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan of each shipped example is exactly the reviewed golden output."""
    monkeypatch.chdir(ROOT)  # file names in messages are relative to the project
    result = CliRunner().invoke(
        app, ["plan", f"examples/{example.name}", "--format", output_format],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    golden = GOLDEN / f"{example.stem}.{FORMATS[output_format]}"
    if os.environ.get("CAPPLAN_REGENERATE"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with CAPPLAN_REGENERATE=1"
    assert result.stdout == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", COMMANDS, ids=[path.stem for path in COMMANDS])
def test_command_matches_its_golden_file(command: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each recorded command line prints exactly the reviewed output (and exits 0)."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, shlex.split(command.read_text()), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    golden = command.with_suffix(".out")
    if os.environ.get("CAPPLAN_REGENERATE"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with CAPPLAN_REGENERATE=1"
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_every_golden_file_has_its_example() -> None:
    """No golden file is left behind by a removed example or command."""
    expected = {f"{path.stem}.{suffix}" for path in EXAMPLES for suffix in FORMATS.values()}
    assert {path.name for path in GOLDEN.iterdir() if path.is_file()} == expected
    outputs = {path.stem for path in (GOLDEN / "commands").glob("*.out")}
    assert outputs == {path.stem for path in COMMANDS}
