"""Golden files: every examples/*.yaml planned in each format, byte for byte.

Discovered automatically: add an example, run
``CAPPLAN_REGENERATE=1 pytest tests/test_golden.py`` to write its golden files, review
them, commit them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capplan.cli import app

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
FORMATS = {"table": "txt", "json": "json", "yaml": "yaml"}


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


def test_every_golden_file_has_its_example() -> None:
    """No golden file is left behind by a removed example."""
    expected = {f"{path.stem}.{suffix}" for path in EXAMPLES for suffix in FORMATS.values()}
    assert {path.name for path in GOLDEN.iterdir()} == expected
