"""The code base stays clean: ruff and mypy strict pass, as part of the test command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a tool installed beside this Python (the test extra installs both)."""
    tool = Path(sys.executable).parent / args[0]
    if not tool.exists() and shutil.which(args[0]) is None:
        pytest.skip(f"{args[0]} is not installed (pip install -e '.[test]')")
    command = [str(tool) if tool.exists() else args[0], *args[1:]]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_is_clean() -> None:
    """Ruff finds nothing in the package, tests or benchmarks."""
    result = run_tool("ruff", "check", "capplan", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    """Mypy --strict finds nothing in the package or its tests.

    The tests are checked too: they are the first example code a reader copies, and a
    test that calls the library with the wrong types documents an API that does not exist.
    """
    result = run_tool("mypy", "capplan", "tests")
    assert result.returncode == 0, result.stdout + result.stderr
