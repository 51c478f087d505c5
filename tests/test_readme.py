"""The README's examples are run: every `$ capplan …` block prints what the README shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capplan.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL)


def examples() -> list[tuple[str, str]]:
    """(command line, expected output) for each `$ capplan` line in a console block."""
    found = []
    for block in BLOCKS:
        parts = re.split(r"^\$ ", block, flags=re.MULTILINE)
        for part in parts[1:]:
            command, _, output = part.partition("\n")
            found.append((command, output))
    return found


EXAMPLES = examples()


def test_readme_has_runnable_examples() -> None:
    """The README shows at least the plan and size commands with their output."""
    commands = " ".join(command for command, _ in EXAMPLES)
    assert "capplan plan" in commands
    assert "capplan size" in commands


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example_output(command: str, expected: str, monkeypatch: pytest.MonkeyPatch,
                               tmp_path: Path) -> None:
    """Each README command exits as stated (0 unless "# exits N") and prints what is shown."""
    monkeypatch.chdir(ROOT)
    # A trailing "# exits N" comment states a non-zero exit code (check's failures).
    exits = re.search(r"#\s*exits (\d+)\s*$", command)
    args = shlex.split(command, comments=True)
    assert args[0] == "capplan"
    args = [str(tmp_path / Path(a).name) if a.startswith("/tmp/") else a for a in args[1:]]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == (int(exits.group(1)) if exits else 0), result.output
    assert result.stdout == expected


def test_quick_start_commands_are_what_ci_runs() -> None:
    """The two quick-start commands are marked for .ci/run, which reads them from here."""
    for marker in ("<!-- ci:run -->", "<!-- ci:test -->"):
        assert marker in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "readme_command run" in ci
    assert "readme_command test" in ci
    run_block = README.split("<!-- ci:run -->")[1].split("```")[1]
    assert "capplan plan" in run_block
    assert "pip install" in run_block
