"""Text → validated Topology, with ``FILE:LINE:COL: message`` errors. The only YAML reader.

The tree is built from libyaml's event stream by hand, iteratively: anchors, aliases and
tags are refused at their first event (so an alias bomb is never expanded), duplicate keys
are found with the line of the first, and nesting is capped the moment it goes too deep.
Scalars follow YAML 1.2's core schema; numbers stay text for :mod:`capplan.units`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

# Defined with the rest of the error family; still importable from here, as before.
from capplan.errors import InvalidInput as InvalidInput  # noqa: PLC0414
from capplan.errors import Problem as Problem  # noqa: PLC0414
from capplan.model import Topology, validate


class _PatternOnUse:
    """A regular expression compiled when first used: the pattern's stand-in until then."""

    __slots__ = ("_arguments", "_compiled")

    def __init__(self, *arguments: Any) -> None:
        self._arguments = arguments
        self._compiled: re.Pattern[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        if name in _PatternOnUse.__slots__:  # unset (a copy being made): no pattern to ask
            raise AttributeError(name)
        if self._compiled is None:
            self._compiled = _COMPILE(*self._arguments)
        return getattr(self._compiled, name)


_COMPILE = re.compile


@contextmanager
def _patterns_compiled_on_use(package: str) -> Iterator[None]:
    """While *package* is imported, the patterns its modules compile wait for first use.

    PyYAML compiles about ten at import for its pure-Python reader and resolver (the
    reader's class of non-printable characters alone takes about 8 ms), and this loader
    uses neither: libyaml reads, and the scalars are resolved below. That was about 6 ms
    of a one-tier ``capplan plan``. Other callers of :func:`re.compile`, on any thread, get
    their patterns as ever; PyYAML's own compile when it first uses them (without libyaml,
    or when dumping), so its behaviour is unchanged.
    """
    if package in sys.modules:
        yield
        return

    def compile_for(pattern: Any, flags: Any = 0) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller == package or caller.startswith(f"{package}."):
            return _PatternOnUse(pattern, flags)
        return _COMPILE(pattern, flags)

    re.compile = compile_for
    try:
        yield
    finally:
        re.compile = _COMPILE


with _patterns_compiled_on_use("yaml"):
    import yaml

#: Largest file read: far above any real topology (a 10,000-tier file is about 1 MiB).
MAX_FILE_BYTES = 4 * 1024 * 1024
#: How a file is named as it stands in a git revision: git:REF:PATH (capplan.revisions).
GIT_PREFIX = "git:"
#: Deepest nesting of mappings and lists; a topology needs 4.
MAX_DEPTH = 32
#: Longest scalar; names and numbers are short.
MAX_SCALAR_CHARS = 4096

Path = tuple[str | int, ...]
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
          "FALSE": False}


class SourceMap:
    """Where each key path's value (and key) starts, 1-based."""

    # A plain class, as Loaded is a NamedTuple: a dataclass costs about 1 ms of start-up to
    # create, and nothing compares or prints these.
    __slots__ = ("keys", "values")

    def __init__(self) -> None:
        self.values: dict[Path, tuple[int, int]] = {}
        self.keys: dict[Path, tuple[int, int]] = {}

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """The mark of *path*, else of its nearest located ancestor, else (1, 1)."""
        if key and path in self.keys:
            return self.keys[path]
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))


class Loaded(NamedTuple):
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
        # The byte-order mark some editors write, stripped by hand: the utf-8-sig codec is a
        # module to import, and its error offsets would count from after the mark.
        text = text.removeprefix(b"\xef\xbb\xbf")
        try:
            decoded = text.decode("utf-8")
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
    # The same validation as Topology.model_validate: only the locations differ.
    return Loaded(validate(tree, filename, source.locate), filename, source)


def load_file(path: str | os.PathLike[str]) -> Loaded:
    """Read and validate a topology file, refusing oversized, missing or odd files."""
    name = os.fspath(path)
    return load_text(read_bytes(name), name)


def read_bytes(name: str) -> bytes:
    """A topology file's bytes, refusing oversized, missing or odd files (located).

    git:REF:PATH is the file as it stands in that revision (capplan.revisions, imported
    only then: about 1 ms that every plan of a plain file would pay).
    """
    from capplan.errors import reading

    if name.startswith(GIT_PREFIX):
        from capplan.revisions import read_revision

        return read_revision(name)

    with reading(name, "a topology file"), open(name, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput([Problem(name, 1, 1, f"file larger than {MAX_FILE_BYTES // 2**20} "
                                    "MiB: not a topology file")])
    return data

