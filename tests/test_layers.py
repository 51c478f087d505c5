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


def source_of(module: str) -> str:
    path = PACKAGE.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return path.read_text(encoding="utf-8")


def imports_of(module: str) -> list[tuple[str, int]]:
    """The capplan modules *module* imports, wherever the import stands, with its line."""
    return imports_in(source_of(module), module)


def _package_of(module: str) -> str:
    """The package a module's relative imports start from ('' for capplan itself)."""
    is_package = PACKAGE.joinpath(*module.split(".")).is_dir()
    return module if is_package else module.rpartition(".")[0]


def _absolute(node: ast.ImportFrom, module: str) -> str | None:
    """An ImportFrom's module as an absolute dotted name; None outside capplan."""
    if node.level == 0:
        return node.module
    package = ["capplan", *filter(None, _package_of(module).split("."))]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _literal_import(node: ast.AST) -> str | None:
    """The module named by import_module("capplan.x") or __import__("capplan.x")."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    called = node.func
    name = called.attr if isinstance(called, ast.Attribute) else \
        called.id if isinstance(called, ast.Name) else ""
    argument = node.args[0]
    if name in ("import_module", "_import_module", "__import__") \
            and isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    return None


def imports_in(source: str, module: str = "__init__") -> list[tuple[str, int]]:
    """The capplan modules *source* imports, written as *module* (for relative imports).

    At the top, inside functions, for type checking only; relative imports, ``import
    capplan`` and import_module with a literal name too.
    """
    known = set(package_modules())
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        dynamic = _literal_import(node)
        if dynamic is not None and (dynamic == "capplan" or dynamic.startswith("capplan.")):
            names = [dynamic.removeprefix("capplan").lstrip(".") or "__init__"]
        elif isinstance(node, ast.ImportFrom):
            absolute = _absolute(node, module)
            if not absolute or not (absolute == "capplan" or absolute.startswith("capplan.")):
                continue
            base = absolute.removeprefix("capplan").lstrip(".")
            for alias in node.names:
                if base == "" and alias.name.startswith("__"):
                    continue  # the package's metadata (__version__), set before any import
                # `from capplan import demand` imports a module; `from capplan import plan`
                # a name of the package's __init__.
                dotted = f"{base}.{alias.name}".lstrip(".")
                names.append(dotted if dotted in known else base or "__init__")
        elif isinstance(node, ast.Import):
            names = [alias.name.removeprefix("capplan").lstrip(".") or "__init__"
                     for alias in node.names
                     if alias.name == "capplan" or alias.name.startswith("capplan.")]
        else:
            continue
        found.extend((name, getattr(node, "lineno", 0)) for name in names if name in known)
    return found


#: A registry entry: "capplan.module:attribute", imported when a caller asks for it.
ENTRY = re.compile(r"capplan((?:\.\w+)*):\w+")


def late_bound(module: str) -> tuple[list[str], list[str]]:
    """A registry's entries (the modules they name) and its resolvers.

    Resolvers are the functions that import an entry by a name known only at run time.
    """
    tree = ast.parse(source_of(module))
    targets = sorted({match.group(1).lstrip(".") for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)
                      for match in [ENTRY.fullmatch(node.value)] if match})
    resolvers = [function.name for function in tree.body
                 if isinstance(function, ast.FunctionDef)
                 and any(isinstance(call, ast.Call) and _literal_import(call) is None
                         and getattr(call.func, "attr", getattr(call.func, "id", ""))
                         == "import_module" for call in ast.walk(function))]
    return targets, resolvers


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


def test_registry_entries_are_resolved_from_their_row_or_above() -> None:
    """Whoever resolves a registry entry stands in the entry's row or above.

    A registry names modules by string, so it may sit below them (the scheme registry is
    read at start-up); the function that imports an entry is then an import by its caller.
    """
    checked = 0
    for registry in package_modules():
        targets, resolvers = late_bound(registry)
        if not targets or not resolvers:
            continue
        for caller in package_modules():
            tree = ast.parse(source_of(caller))
            calls = [node.lineno for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.level == 0
                     and node.module == f"capplan.{registry}".rstrip(".")
                     and any(alias.name in resolvers for alias in node.names)]
            for line in calls:
                checked += 1
                above = [target for target in targets if RANK[target] < RANK[caller]]
                assert above == [], (f"line {line}: {caller} ({ROWS[RANK[caller]][0]}) "
                                     f"resolves {above} from {registry}")
    assert checked >= 2  # the scheme registry's callers at least: the rule is exercised


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
    in_render = ("import capplan\nimport importlib\nfrom . import fmt\n"
                 "from ..schemes import Ring\nfrom .. import sizing\n"
                 "importlib.import_module('capplan.gate')\n")
    assert sorted(imports_in(in_render, "render.table")) == [
        ("__init__", 1), ("gate", 6), ("render.fmt", 3), ("schemes", 4), ("sizing", 5)]
    assert imports_in("from . import schemes\nfrom .render import fmt\n", "demand") == [
        ("schemes", 1), ("render.fmt", 2)]
    assert late_bound("registry") == (["schemes"], ["scheme_class"])
