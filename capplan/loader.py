"""Text → validated Topology, with ``FILE:LINE:COL: message`` errors. The only YAML reader.

The tree is built from libyaml's event stream by hand, iteratively: anchors, aliases and
tags are refused at their first event (so an alias bomb is never expanded), duplicate keys
are found with the line of the first, and nesting is capped the moment it goes too deep.
Scalars follow YAML 1.2's core schema; numbers stay text for :mod:`capplan.units`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from capplan.model import Topology, cross_check

#: Largest file read: far above any real topology (a 10,000-tier file is about 1 MiB).
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Deepest nesting of mappings and lists; a topology needs 4.
MAX_DEPTH = 32
#: Longest scalar; names and numbers are short.
MAX_SCALAR_CHARS = 4096

Path = tuple[str | int, ...]
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
          "FALSE": False}


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in an input file."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class InvalidInput(Exception):
    """Input that cannot be planned; ``problems`` holds one located line each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass
class SourceMap:
    """Where each key path's value (and key) starts, 1-based."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """The mark of *path*, else of its nearest located ancestor, else (1, 1)."""
        if key and path in self.keys:
            return self.keys[path]
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))


@dataclass(frozen=True)
class Loaded:
    """A validated topology and where its parts were written."""

    topology: Topology
    filename: str
    source: SourceMap

    def locate(self, path: Path) -> tuple[int, int]:
        """(line, column) where the value at *path* starts."""
        return self.source.locate(path)


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _decode(text: str | bytes, filename: str) -> str:
    if isinstance(text, str):
        decoded = text
    else:
        try:
            decoded = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = text.count(b"\n", 0, error.start) + 1
            column = error.start - (text.rfind(b"\n", 0, error.start) + 1) + 1
            raise InvalidInput([Problem(filename, line, column,
                                        "not UTF-8 text: save the file as UTF-8")]) from None
    if "\x00" in decoded:
        offset = decoded.index("\x00")
        line = decoded.count("\n", 0, offset) + 1
        raise InvalidInput([Problem(filename, line, 1, "binary data (NUL byte): not a YAML "
                                    "topology file")])
    return decoded


def parse_yaml(  # noqa: PLR0912, PLR0915  # one event loop owns the stack; split, it would scatter
    text: str | bytes, filename: str = "<string>"
) -> tuple[object, SourceMap]:
    """The document's plain tree (dict/list/str/bool/None) and where each part is."""
    decoded = _decode(text, filename)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    source = SourceMap()
    root: list[object] = []
    # Each frame: (container, its path, pending key or None, key mark, keys seen).
    stack: list[tuple[Any, Path, list[Any], dict[str, int]]] = []
    documents = 0

    def fail(mark: Any, message: str) -> InvalidInput:
        line, column = _mark(mark)
        return InvalidInput([Problem(filename, line, column, message)])

    def place(value: object, event: Any) -> None:
        if not stack:
            root.append(value)
            source.values[()] = _mark(event.start_mark)
            return
        container, path, pending, seen = stack[-1]
        if isinstance(container, list):
            here = (*path, len(container))
            container.append(value)
            source.values[here] = _mark(event.start_mark)
            return
        if not pending:  # this value is a key
            if not isinstance(value, str):
                raise fail(event.start_mark, "keys must be plain names")
            if value in seen:
                raise fail(event.start_mark, f"duplicate key '{value}' (first at line "
                           f"{seen[value]})")
            seen[value] = event.start_mark.line + 1
            source.keys[(*path, value)] = _mark(event.start_mark)
            pending.append(value)
            return
        key = pending.pop()
        container[key] = value
        source.values[(*path, key)] = _mark(event.start_mark)

    try:
        for event in yaml.parse(decoded, Loader=loader):
            if getattr(event, "anchor", None) is not None or isinstance(event, yaml.AliasEvent):
                raise fail(event.start_mark, "YAML anchors and aliases are not allowed: write "
                           "the value out")
            tag = getattr(event, "tag", None)
            if isinstance(event, yaml.ScalarEvent):
                if tag is not None and not any(event.implicit):
                    raise fail(event.start_mark, f"tags are not allowed ({tag})")
                if len(event.value) > MAX_SCALAR_CHARS:
                    raise fail(event.start_mark, f"value longer than {MAX_SCALAR_CHARS} "
                               "characters")
                value: object = event.value
                if not event.style:  # plain ('' from libyaml, None from PyYAML): 1.2 core
                    if event.value in _NULLS:
                        value = None
                    elif event.value in _BOOLS:
                        value = _BOOLS[event.value]
                place(value, event)
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if tag is not None and not event.implicit:
                    raise fail(event.start_mark, f"tags are not allowed ({tag})")
                if len(stack) >= MAX_DEPTH:
                    raise fail(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
                new: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
                parent_path: Path = ()
                if stack:
                    container, path, pending, _ = stack[-1]
                    if isinstance(container, dict) and not pending:
                        raise fail(event.start_mark, "keys must be plain names")
                    parent_path = (*path, pending[-1] if isinstance(container, dict)
                                   else len(container))
                place(new, event)
                stack.append((new, parent_path, [], {}))
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise fail(event.start_mark, "more than one YAML document: keep one "
                               "topology per file")
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = _mark(mark) if mark is not None else (1, 1)
        problem = error.problem or error.context or "invalid YAML"
        raise InvalidInput([Problem(filename, line, column, f"invalid YAML: {problem}")]) \
            from None
    except yaml.YAMLError as error:
        raise InvalidInput([Problem(filename, 1, 1, f"invalid YAML: {error}")]) from None
    if not root or root[0] is None:
        raise InvalidInput([Problem(filename, 1, 1, "empty file: expected a mapping with "
                                    "site, traffic and tiers")])
    if not isinstance(root[0], dict):
        raise InvalidInput([Problem(filename, *source.locate(()), "expected a mapping with "
                                    "site, traffic and tiers")])
    return root[0], source


def load_text(text: str | bytes, filename: str = "<string>") -> Loaded:
    """Parse and validate a topology; every problem found is raised together."""
    tree, source = parse_yaml(text, filename)
    try:
        topology = Topology.model_validate(tree)
    except ValidationError as error:
        items = _without_echoes(error.errors(include_url=False))
        raise InvalidInput([_problem(filename, source, tree, item) for item in items]) from None
    problems = [Problem(filename, *source.locate(path), f"{_show_path(path)}: {message}")
                for path, message in cross_check(topology)]
    if problems:
        raise InvalidInput(problems)
    return Loaded(topology, filename, source)


def load_file(path: str | os.PathLike[str]) -> Loaded:
    """Read and validate a topology file, refusing oversized, missing or odd files."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise InvalidInput([Problem(name, 1, 1, "is a directory, not a topology file")]) \
            from None
    except FileNotFoundError:
        raise InvalidInput([Problem(name, 1, 1, "no such file")]) from None
    except OSError as error:
        raise InvalidInput([Problem(name, 1, 1, f"cannot read: {error.strerror}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput([Problem(name, 1, 1, f"file larger than {MAX_FILE_BYTES // 2**20} "
                                    "MiB: not a topology file")])
    return load_text(data, name)


def _show_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def _model_at(path: Path) -> type[BaseModel] | None:
    """The pydantic model whose keys live at *path* (for suggestions)."""
    import typing

    model: Any = Topology
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        if part not in fields:
            return None
        annotation = fields[part].annotation
        for candidate in (annotation, *typing.get_args(annotation)):
            inner = typing.get_args(candidate) or (candidate,)
            found = [t for t in inner if isinstance(t, type) and issubclass(t, BaseModel)]
            if found:
                model = found[0]
                break
        else:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _without_echoes(items: list[Any]) -> list[Any]:
    """Drop "missing key X" where an unknown key beside it is a misspelling of X.

    ``capacty_rps: 100`` is one mistake; reporting the missing ``capacity_rps`` as well
    would say it twice.
    """
    from difflib import get_close_matches

    misspelt: set[tuple[object, ...]] = set()
    for item in items:
        if item["type"] == "extra_forbidden":
            path = tuple(item["loc"])
            missing_here = [str(other["loc"][-1]) for other in items
                            if other["type"] == "missing" and tuple(other["loc"][:-1]) == path[:-1]]
            for name in get_close_matches(str(path[-1]), missing_here, n=1):
                misspelt.add((*path[:-1], name))
    return [item for item in items
            if not (item["type"] == "missing" and tuple(item["loc"]) in misspelt)]


def _problem(filename: str, source: SourceMap, tree: object, item: Any) -> Problem:
    from difflib import get_close_matches

    path: Path = tuple(item["loc"])
    kind = item["type"]
    where = _show_path(path)
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        valid = sorted(f.alias or n for n, f in model.model_fields.items()) if model else []
        close = get_close_matches(str(path[-1]), valid, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else \
            (f" (valid keys: {', '.join(valid)})" if valid else "")
        return Problem(filename, *source.locate(path, key=True),
                       f"{where}: unknown key '{path[-1]}'{hint}")
    if kind == "missing":
        return Problem(filename, *source.locate(path[:-1]),
                       f"{_show_path(path[:-1])}: missing required key '{path[-1]}'")
    message = item["msg"].removeprefix("Value error, ")
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        close = get_close_matches(str(item.get("input")), options, n=1)
        if close:
            message += f" (did you mean '{close[0]}'?)"
    return Problem(filename, *source.locate(path), f"{where}: {message}")
