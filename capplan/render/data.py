"""Machine formats: JSON and YAML of the same document, byte-for-byte stable.

A document may hold :class:`~capplan.results.Rows` (a failover's million nodes): each is
rendered row by row into exactly the text the whole list would give, without the list.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from capplan.results import Rows


def to_json(document: Any) -> str:
    """Pretty JSON; NaN and infinities are bugs upstream, so refuse rather than emit them."""
    def dump(value: Any) -> str:
        return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)

    return _with_rows(document, dump, _json_rows) + "\n"


def to_yaml(document: Any) -> str:
    """Block-style YAML with the document's own key order (YAML 1.1 safe types only)."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def dump(value: Any) -> str:
        text: str = yaml.dump(value, Dumper=dumper, sort_keys=False, allow_unicode=True,
                              default_flow_style=False, width=100)
        return text

    return _with_rows(document, dump, _yaml_rows(dump))


# --- rows ---------------------------------------------------------------------------------

#: Stands in for a Rows value while the rest of the document is dumped; a plain scalar in
#: both formats, so its line shows where (and how deep) the rows go.
_MARKER = "capplan-rows-{}-e4b1c9"

RowsWriter = Callable[[Rows, str], Iterable[str]]


def _with_rows(document: Any, dump: Callable[[Any], str], write: RowsWriter) -> str:
    """*dump* of *document*, its Rows written in place by *write* (rows, the line's head)."""
    found: list[Rows] = []

    def stand_in(rows: Rows) -> str:
        found.append(rows)
        return _MARKER.format(len(found) - 1)

    standing = _replace_rows(document, stand_in)
    if not found:
        return dump(document)  # as it is: values it shares stay shared (YAML anchors)
    text = dump(standing)
    pieces: list[str] = []
    for number, rows in enumerate(found):
        marker = _MARKER.format(number)
        before, separator, text = text.partition(marker)
        if not separator or marker in text:
            return dump(_replace_rows(document, list))  # a marker in the data: play safe
        line_start = before.rfind("\n") + 1
        pieces.append(before[:line_start])
        try:
            pieces.extend(_batched(write(rows, before[line_start:])))
        except _NotSimple:
            return dump(_replace_rows(document, list))
        # A JSON marker is quoted; the writer took its closing quote with the line's head.
        text = text.removeprefix('"')
    pieces.append(text)
    return "".join(pieces)


def _batched(chunks: Iterable[str], size: int = 4096) -> Iterable[str]:
    """*chunks* joined *size* at a time: a million small strings cost 50 bytes each more."""
    batch: list[str] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) == size:
            yield "".join(batch)
            batch.clear()
    yield "".join(batch)


class _NotSimple(Exception):
    """A row holds a scalar whose YAML depends on where it stands (line breaks, wrapping)."""


def _replace_rows(value: Any, replace: Callable[[Rows], Any]) -> Any:
    """*value* with each Rows in it replaced by *replace*(rows), in document order."""
    if isinstance(value, Rows):
        return replace(value)
    if isinstance(value, dict):
        return {key: _replace_rows(item, replace) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_rows(item, replace) for item in value]
    return value


def _each_row(rows: Rows, first: str, scalar: Callable[[Any], str],
              tail: Callable[[tuple[Any, ...]], str], separator: str = "") -> Iterable[str]:
    """Each row's text: *first*, its first value, then the rest, *separator* between rows.

    *tail* of the later values is remembered: big tiers repeat a few loads.
    """
    written = _Cache(tail)
    for index in range(len(rows)):
        values = rows.values(index)
        yield f"{separator if index else ''}{first}{scalar(values[0])}{written(values[1:])}"


def _json_rows(rows: Rows, head: str) -> Iterable[str]:
    """`    "loads": [ …rows… ]`, as json.dumps(indent=2) writes the list in that place."""
    from json.encoder import encode_basestring

    key = head.removesuffix('"')
    if not rows:
        yield f"{key}[]"
        return
    indent = " " * (len(key) - len(key.lstrip(" ")))
    outer, inner = indent + "  ", indent + "    "
    names = [f"{inner}{encode_basestring(name)}: " for name in rows.keys]

    def scalar(value: Any) -> str:
        return _json_scalar(value, encode_basestring)

    def tail(values: tuple[Any, ...]) -> str:
        return "".join(f",\n{name}{scalar(value)}"
                       for name, value in zip(names[1:], values, strict=True)) + f"\n{outer}}}"

    yield f"{key}[\n"
    yield from _each_row(rows, f"{outer}{{\n{names[0]}", scalar, tail, ",\n")
    yield f"\n{indent}]"


class _Cache:
    """A function of a row's later values, remembered."""

    #: Entries kept at most, so rows that never repeat cannot grow it without bound.
    LIMIT = 4096

    def __init__(self, function: Callable[[tuple[Any, ...]], str]) -> None:
        self.function = function
        self.known: dict[tuple[Any, ...], str] = {}

    def __call__(self, values: tuple[Any, ...]) -> str:
        # Keyed by type too: 1, 1.0 and True are equal but written differently.
        key = (*values, *map(type, values))
        text = self.known.get(key)
        if text is None:
            if len(self.known) >= self.LIMIT:
                self.known.clear()
            text = self.known[key] = self.function(values)
        return text


def _json_scalar(value: Any, encode: Callable[[str], str]) -> str:
    if isinstance(value, str):
        return encode(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("Out of range float values are not JSON compliant")
        return float.__repr__(value)
    raise TypeError(f"a row holds {type(value).__name__}, not a scalar")


#: Strings YAML 1.1 reads as something else when plain (bools and nulls), besides numbers.
_YAML_WORDS = frozenset({
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
    "~"})

#: Strings written plain without asking the emitter: a letter, then letters, digits, _ and -.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _yaml_rows(dump: Callable[[Any], str]) -> RowsWriter:
    def write(rows: Rows, head: str) -> Iterable[str]:
        """`loads:` and one `- key: value` block per row, as the emitter writes the list."""
        key = head.rstrip(" ")
        if not rows:
            yield f"{key} []"
            return
        indent = " " * (len(key) - len(key.lstrip(" ")))
        scalars: dict[Any, str] = {}
        if not all(_PLAIN.fullmatch(name) and name not in _YAML_WORDS for name in rows.keys):
            raise _NotSimple  # keys the emitter may quote or write as complex keys
        rest = [f"\n{indent}  {name}: " for name in rows.keys[1:]]

        def scalar(value: Any) -> str:
            return _yaml_scalar(value, dump, scalars)

        def tail(values: tuple[Any, ...]) -> str:
            return "".join(name + scalar(value)
                           for name, value in zip(rest, values, strict=True))

        yield key
        # Each row starts its own line; the marker's line break ends the last one.
        yield from _each_row(rows, f"\n{indent}- {rows.keys[0]}: ", scalar, tail)
    return write


def _yaml_scalar(value: Any, dump: Callable[[Any], str], asked: dict[Any, str]) -> str:
    """How the emitter writes *value* in a block mapping; the emitter itself where unsure."""
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value not in _YAML_WORDS:
        return value
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and math.isfinite(value):
        text = float.__repr__(value).lower()
        return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text
    key = (type(value), value)
    written = asked.get(key)
    if written is None:
        written = dump({"k": value}).removeprefix("k: ").removesuffix("\n")
        # Without a space or a line break the emitter writes it the same at any depth.
        if "\n" in written or " " in written:
            raise _NotSimple
        asked[key] = written
    return written
