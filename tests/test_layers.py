"""The architecture table in README.md is the import rule, checked on every module.

Each row of the table (``### Architecture``) is a layer, top first; the names in backticks
outside parentheses are its modules (after ``render/``, modules of that package). Every
module of the package sits in exactly one row, and every import of a capplan module (at
the top of a file, inside a function or for type checking only) points to its own row or
one below. Within a row, the imports between modules form no circle.
"""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "capplan"


def _outside_parentheses(text: str) -> str:
    depth, kept = 0, []
    for character in text:
        depth += character == "("
        if depth == 0:
            kept.append(character)
        depth -= character == ")" and depth > 0
    return "".join(kept)


def layers() -> list[tuple[str, list[str]]]:
    """The README's rows, top first: (layer, dotted module names under capplan)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Architecture"):]
    table = section[section.index("| layer | modules |"):].split("\n\n", 1)[0]
    rows = []
    for line in table.splitlines()[2:]:
        _, layer, cell, _ = (part.strip() for part in line.split("|"))
        modules, prefix = [], ""
        for name in re.findall(r"`([^`]+)`", _outside_parentheses(cell)):
            if name.endswith("/"):
                prefix = name.rstrip("/")
                modules.append(prefix)  # the package's own __init__
                continue
            if prefix and name == "__init__":
                continue
            modules.append(f"{prefix}.{name}" if prefix else name)
        rows.append((layer, modules))
    return rows


def package_modules() -> list[str]:
    """Every module of the package, dotted under capplan (``render`` for its __init__)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found.append(".".join(parts))
    return found


def imports_of(module: str) -> list[tuple[str, int]]:
    """The capplan modules *module* imports, wherever the import stands, with its line."""
    path = PACKAGE.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return imports_in(path.read_text(encoding="utf-8"))


def imports_in(source: str) -> list[tuple[str, int]]:
    """The capplan modules *source* imports (top, inside functions, type checking only)."""
    known = set(package_modules())
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and (node.module == "capplan" or node.module.startswith("capplan.")):
            base = node.module.removeprefix("capplan").lstrip(".")
            for alias in node.names:
                if base == "" and alias.name.startswith("__"):
                    continue  # the package's metadata (__version__), set before any import
                # `from capplan import demand` imports a module; `from capplan import plan`
                # a name of the package's __init__.
                dotted = f"{base}.{alias.name}".lstrip(".")
                names.append(dotted if dotted in known else base or "__init__")
        elif isinstance(node, ast.Import):
            names = [alias.name.removeprefix("capplan.") for alias in node.names
                     if alias.name.startswith("capplan.")]
        found.extend((name, node.lineno) for name in names if name in known)
    return found


ROWS = layers()
RANK = {module: rank for rank, (_, modules) in enumerate(ROWS) for module in modules}


def test_every_module_sits_in_one_row() -> None:
    listed = [module for _, modules in ROWS for module in modules]
    assert sorted(listed) == sorted(set(listed)), "a module is listed twice"
    assert sorted(listed) == package_modules()


@pytest.mark.parametrize("module", package_modules())
def test_imports_point_down(module: str) -> None:
    upward = [f"line {line}: {module} ({ROWS[RANK[module]][0]}) imports {target} "
              f"({ROWS[RANK[target]][0]})"
              for target, line in imports_of(module) if RANK[target] < RANK[module]]
    assert upward == []


def test_no_circle_within_a_row() -> None:
    for layer, modules in ROWS:
        graph = {module: {target for target, _ in imports_of(module)
                          if target in modules and target != module}
                 for module in modules}
        try:
            TopologicalSorter(graph).static_order()
        except CycleError as error:
            pytest.fail(f"{layer}: import circle {error.args[1]}")


def test_the_rule_sees_every_kind_of_import() -> None:
    """Imports inside functions and under TYPE_CHECKING count; names of __init__ too."""
    source = ("from typing import TYPE_CHECKING\n"
              "from capplan import demand, plan\n"
              "if TYPE_CHECKING:\n    from capplan.results import Plan\n"
              "def f():\n    from capplan.render.fmt import rate\n    import capplan.sizing\n")
    assert imports_in(source) == [("demand", 2), ("__init__", 2), ("results", 4),
                                  ("render.fmt", 6), ("sizing", 7)]
    # From the engine, the last two would point up.
    assert RANK["render.fmt"] < RANK["sizing"] < RANK["schemes"]
