"""Renderers: a document in, text out. One module per output family.

The registries below are where the command line takes its choices from: a new output
format, check or diff format, or export target is one module plus one line here. Entries name
``module:function`` and are imported only when chosen, so start-up pays for none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

#: ``--format`` of plan, size, compare and failover besides ``table`` (which each command
#: draws its own way): a function from a document (a dict) to text.
DOCUMENT_FORMATS: dict[str, str] = {
    "json": "capplan.render.data:to_json",
    "yaml": "capplan.render.data:to_yaml",
}

#: ``check --format``: a function from a CheckResult to text.
CHECK_FORMATS: dict[str, str] = {
    "text": "capplan.render.ci:render_text",
    "json": "capplan.render.ci:render_json",
    "github": "capplan.render.ci:render_github",
    "sarif": "capplan.render.ci:render_sarif",
}

#: ``diff --format``: a function from a Diff to text (``table`` included: the diff draws
#: its table from the changes, not from the document alone).
DIFF_FORMATS: dict[str, str] = {
    "table": "capplan.render.diff:render_table",
    "json": "capplan.render.diff:render_json",
    "yaml": "capplan.render.diff:render_yaml",
    "markdown": "capplan.render.diff:render_markdown",
    "github": "capplan.render.diff:render_github",
}

#: ``export --to``: a function from the site's name and its export rows to text
#: (prometheus also takes the PromQL template of ``--metric``).
TARGETS: dict[str, str] = {
    "ansible": "capplan.render.provision:to_ansible",
    "terraform": "capplan.render.provision:to_terraform",
    "kubernetes": "capplan.render.provision:to_kubernetes",
    "prometheus": "capplan.render.provision:to_prometheus",
}


def renderer(entry: str) -> Callable[..., Any]:
    """The function a registry entry names, imported now."""
    module, _, function = entry.partition(":")
    found: Callable[..., Any] = getattr(import_module(module), function)
    return found
