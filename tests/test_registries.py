"""A new output format or export target is one function and one registry line.

The command line builds its choices from capplan.render's registries, so registering an
entry (here, for the test's lifetime) is all it takes for `--format` or `--to` to offer it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from capplan import render

ROOT = Path(__file__).resolve().parent.parent


def to_lines(document: dict[str, Any]) -> str:
    """A toy format: one 'tier nodes_required' line per tier."""
    return "".join(f"{tier['name']} {tier['nodes_required']}\n" for tier in document["tiers"])


def to_counts(site: str, rows: Sequence[Any]) -> str:
    """A toy target: 'site/tier=count' lines."""
    return "".join(f"{site}/{row.name}={row.nodes}\n" for row in rows)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The CLI rebuilt with one more format and one more target registered."""
    import capplan.cli

    monkeypatch.chdir(ROOT)
    monkeypatch.setitem(render.DOCUMENT_FORMATS, "lines", f"{__name__}:to_lines")
    monkeypatch.setitem(render.TARGETS, "counts", f"{__name__}:to_counts")
    yield importlib.reload(capplan.cli)
    monkeypatch.undo()
    importlib.reload(capplan.cli)


def test_a_registered_format_is_offered_by_plan(registered: ModuleType) -> None:
    """`plan --format lines` works once the registry names the function."""
    result = CliRunner().invoke(registered.app, ["plan", "examples/two-boxes.yaml",
                                                 "--format", "lines"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "zope 4\n"


def test_a_registered_target_is_offered_by_export(registered: ModuleType) -> None:
    """`export --to counts` works once the registry names the function."""
    result = CliRunner().invoke(registered.app, ["export", "examples/two-boxes.yaml",
                                                 "--to", "counts"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "two-boxes/zope=4\n"


def test_an_unregistered_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the registry line, the same format is a usage error (exit 2)."""
    from capplan.cli import app

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["plan", "examples/two-boxes.yaml", "--format", "lines"])
    assert result.exit_code == 2


def test_every_registry_entry_names_a_function() -> None:
    """Each shipped entry imports and is callable (a typo fails here, not in a user's CI)."""
    for registry in (render.DOCUMENT_FORMATS, render.CHECK_FORMATS, render.TARGETS):
        for entry in registry.values():
            assert callable(render.renderer(entry))
