"""Rewrite one block of a topology file and keep every other byte (``--into``).

``capplan observe … --into site.yaml`` replaces the ``traffic:`` block's form keys with the
observed ones; ``capplan fit … --into site.yaml --tier app`` sets that tier's ``scaling:``
and drops the node keys scaling excludes. Comments, blank lines, key order, quoting, line
ends (CRLF stays CRLF), a byte-order mark, a missing final newline and the other tiers are
kept as written. Comments *inside* the entries replaced may go: they described the old
values.

The edit works on the text. YAML's composed nodes (the project's safe loader class) serve
only to find where each key and value starts and ends; nothing is dumped through a YAML
emitter, which would lose every comment. The functions here are pure (text in, text out)
and refuse rather than guess: the old text must be a valid topology, and the new text is
loaded and validated in full, then compared with the old one with the intended parts
masked, before :func:`rewrite_file` writes it (atomically, keeping the file's mode and any
symlink). Any failure leaves the file as it was, byte for byte.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import yaml

from capplan.errors import InvalidArgument, InvalidInput, OutputError, Problem, UnknownName

if TYPE_CHECKING:
    from capplan.loader import Loaded
    from capplan.model import Topology

#: Every key that says how much traffic there is; observe's block replaces them all.
TRAFFIC_FORMS = ("peak_rps", "daily_requests", "peak_to_average", "profile", "growth")
#: Node keys a tier with ``scaling`` may not set (model._check_scaling).
SCALING_EXCLUDES = ("capacity_rps", "workers", "service_ms")
#: Column a wrapped flow list (the profile) stays within.
WIDTH = 88
#: Indentation added per nesting level in blocks capplan writes.
STEP = 2

#: What YAML counts as a line break (PyYAML's list; \r\n is one break).
_BREAKS = "\r\n\x85\u2028\u2029"
#: Scalars written unquoted: numbers as the topology spells them (1200, 4.999%, 1e-05).
_PLAIN = re.compile(r"[0-9A-Za-z.%+-]+")

#: A value to write: a mapping or a list of values, or a scalar (an int, a float, or text
#: already spelt as the topology spells it: '4.999%'). Anything else is InvalidArgument.
Value = object


@dataclass(frozen=True)
class Edit:
    """The new text of a file, what it changed (``updated``), and lines to tell the user."""

    text: str
    updated: str
    notes: tuple[str, ...] = ()


# --- the two edits -------------------------------------------------------------------------


def replace_traffic(source: str | bytes, traffic: Mapping[str, Value],
                    filename: str = "<string>") -> Edit:
    """*source* with its top-level ``traffic:`` form keys replaced by *traffic*'s.

    *traffic* holds form keys only (``profile``, ``growth``, …; observe's ``traffic``
    block). Every form key of the file (peak_rps, daily_requests, peak_to_average, profile,
    growth) goes; the new ones take the place of the first; horizon_months, request_bytes
    and response_bytes stay as written. A ``growth`` the file had and *traffic* lacks is
    removed, with a note: the topology's default is 0.
    """
    unknown = [key for key in traffic if key not in TRAFFIC_FORMS]
    if unknown:
        raise InvalidArgument(f"traffic keys {', '.join(unknown)} are not traffic forms "
                              f"({', '.join(TRAFFIC_FORMS)})")
    document = _Document.read(source, filename)
    block = document.value(document.root, "traffic")
    if not isinstance(block, yaml.MappingNode):  # a valid topology has one
        raise document.problem(block, "traffic: expected a mapping")
    had = [key for key in _keys(block) if key in TRAFFIC_FORMS]
    splices = _rewrite(document, block, new=list(traffic.items()), remove=set(TRAFFIC_FORMS))
    verb = "replaces" if len(traffic) == 1 else "replace"
    notes = [f"removed traffic.{key}: the observed {' and '.join(traffic)} {verb} it"
             for key in had if key not in traffic and key != "growth"]
    if "growth" not in traffic:
        notes.append("the series does not tell growth: removed traffic.growth, so the plan "
                     "assumes 0 a month" if "growth" in had else
                     "the series does not tell growth: traffic has none, so the plan "
                     "assumes 0 a month")
    text = document.finish(document.apply(splices))
    new = _validated(document, text, block)
    intended = _traffic_values(traffic)
    _same_except(document, new, block, mask=_mask_traffic)
    got = {key: getattr(new.traffic, key) for key in intended}
    if got != intended:
        raise _inconsistent(document, block, "traffic")
    return Edit(text, f"traffic ({', '.join(traffic)})", tuple(notes))


def set_scaling(source: str | bytes, tier: str, usl: Mapping[str, Value],
                filename: str = "<string>") -> Edit:
    """*source* with tier *tier*'s ``scaling: {usl: …}`` set and the node keys it excludes gone.

    *usl* maps ``sigma``, ``kappa`` and ``lambda`` to their values. A ``scaling`` already
    there is replaced in place (in its style); a new one goes right after ``node:``. Each
    node key removed (capacity_rps, workers, service_ms) is named in the notes. The tier
    must exist (UnknownName, with a did-you-mean) and be a pool (InvalidInput at its
    redundancy).
    """
    document = _Document.read(source, filename)
    index = tier_index(document.loaded.topology, tier, filename)
    found = document.loaded.topology.tiers[index]
    if found.typed or found.node_types:
        raise InvalidInput([Problem(filename, *document.loaded.locate(
            ("tiers", index)), f"tier '{tier}' takes its nodes from node_types, whose "
            "capacity_rps says what each carries; scaling needs a tier with one node")])
    if found.redundancy != "pool":
        raise InvalidInput([Problem(filename, *document.loaded.locate(
            ("tiers", index, "redundancy")), f"tier '{tier}' is {found.redundancy}: scaling "
            "applies only to pool tiers (a ring or a standby takes over whole shares)")])
    original, node = _tier_nodes(document, index, tier)
    removed = [key for key in _keys(node) if key in SCALING_EXCLUDES]
    if removed and len(removed) == len(node.value) and not node.flow_style:
        # No key would be left under node: it becomes an empty mapping, {}.
        splices = _rewrite(document, original, new=[("node", {})], remove={"node"})
    else:
        splices = _rewrite(document, node, new=[], remove=set(removed))
    # Two steps: in a flow-style tier the node sits inside the span the tier's edit rewrites.
    step = _Text.compose(document.apply(splices), filename)
    stepped, _ = _tier_nodes(step, index, tier)
    body = step.apply(_rewrite(step, stepped, new=[("scaling", {"usl": dict(usl)})],
                               remove={"scaling"}, after="node"))
    text = document.finish(body)
    new = _validated(document, text, original)
    _same_except(document, new, original, mask=lambda dump: _mask_tier(dump, index))
    law = new.tiers[index].scaling
    wanted = {key: _number(value) for key, value in usl.items()}
    if law is None or {"sigma": law.usl.sigma, "kappa": law.usl.kappa,
                       "lambda": law.usl.lambda_} != wanted:
        raise _inconsistent(document, original, f"tier '{tier}'")
    notes = [f"removed tiers[{index}].node.{key}: scaling says what the nodes of "
             f"'{tier}' carry" for key in removed]
    return Edit(text, f"tier '{tier}' scaling (usl)", tuple(notes))


def _tier_nodes(text: _Text, index: int, tier: str) -> tuple[yaml.MappingNode,
                                                            yaml.MappingNode]:
    """The mapping of the tier at *index*, and its node's mapping."""
    tiers = text.value(text.root, "tiers")
    if not isinstance(tiers, yaml.SequenceNode) or len(tiers.value) <= index:
        raise text.problem(tiers, "tiers: expected a list")
    mapping = tiers.value[index]
    node = text.value(mapping, "node")
    if not isinstance(mapping, yaml.MappingNode) or not isinstance(node, yaml.MappingNode):
        raise text.problem(mapping, f"tier '{tier}': expected a mapping with node:")
    return mapping, node


def tier_index(topology: Topology, name: str, filename: str = "<string>") -> int:
    """Index of the tier called *name*; UnknownName with a did-you-mean (or the list) if none."""
    from capplan.errors import did_you_mean

    names = [tier.name for tier in topology.tiers]
    if name in names:
        return names.index(name)
    hint = did_you_mean(name, names) or f" (its tiers: {', '.join(names)})"
    raise UnknownName(f"--tier: no tier '{name}' in {filename}{hint}")


# --- the file ------------------------------------------------------------------------------


def check_target(path: str | os.PathLike[str], *, with_output: bool = False,
                 tier: str | None = None) -> None:
    """Refuse, before any work, an ``--into`` that cannot take the result.

    *with_output*: ``-o`` was given too (a usage error). The file must be writable and a
    valid topology, with a tier called *tier* when one is named.
    """
    from capplan.loader import load_file

    if with_output:
        raise InvalidArgument("-o and --into both say where the result goes: give one")
    check_writable(path)
    loaded = load_file(path)
    if tier is not None:
        tier_index(loaded.topology, tier, os.fspath(path))


def check_writable(path: str | os.PathLike[str]) -> None:
    """Refuse a file the edit may not replace: missing, not a regular file, or read-only.

    Read-only means no write permission for us or no write bit at all: a file someone made
    read-only is not rewritten, even by root.
    """
    name = os.fspath(path)
    try:
        status = os.stat(name)
    except FileNotFoundError:
        raise InvalidInput([Problem(name, 1, 1, "no such file (--into edits an existing "
                                    "topology; start one with capplan init)")]) from None
    except OSError as error:
        raise OutputError(f"cannot write {name}: {error.strerror or error}") from None
    if not stat.S_ISREG(status.st_mode):
        raise OutputError(f"cannot write {name}: --into edits a regular file")
    writable = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    if not status.st_mode & writable or not os.access(name, os.W_OK):
        raise OutputError(f"cannot write {name}: it is read-only (chmod u+w {name} to let "
                          "capplan edit it); it is unchanged")


def rewrite_file(path: str | os.PathLike[str],
                 change: Callable[[bytes, str], Edit]) -> tuple[Edit, bool]:
    """Apply *change* to the file at *path* and write it back whole: (the edit, written?).

    The new text is computed and validated in memory first; the file is replaced through
    a temporary file (capplan.output: mode kept, a symlink stays a symlink and its target
    is replaced). Nothing is written when nothing changes, nor over a file someone else
    changed meanwhile. Every failure leaves the file as it was.
    """
    from capplan.loader import read_bytes
    from capplan.output import write_atomically

    name = os.fspath(path)
    check_writable(name)
    before = read_bytes(name)
    edit = change(before, name)
    if edit.text.encode("utf-8") == before:
        return edit, False
    if read_bytes(name) != before:
        raise OutputError(f"{name} changed while capplan was editing it; it is left as "
                          "the other writer made it: run the command again")
    write_atomically(name, edit.text)
    return edit, True


def update_file(path: str | os.PathLike[str],
                change: Callable[[bytes, str], Edit]) -> list[str]:
    """:func:`rewrite_file`, then what to tell the user: what was updated, then each note."""
    name = os.fspath(path)
    edit, written = rewrite_file(name, change)
    said = f"updated {name}: {edit.updated}" if written \
        else f"{name} unchanged: its {edit.updated} already holds these values"
    return [said, *edit.notes] if written else [said]


def usl_text(usl: Mapping[str, float]) -> dict[str, str]:
    """Fitted coefficients as ``capplan fit``'s table prints them to paste (7 digits)."""
    from capplan.fit import DIGITS
    from capplan.units import significant

    return {key: significant(value, DIGITS) for key, value in usl.items()}



# --- the text and its nodes ----------------------------------------------------------------


@dataclass(frozen=True)
class _Splice:
    """Replace text[start:end] with *text*."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Entry:
    """One key of a mapping and the span of text that holds it."""

    key: str
    value: yaml.Node
    start: int  # block: the line's start (or the key's, after "- "); flow: the key's
    end: int  # block: after the line break that ends the value; flow: the value's end
    inline: bool  # block: something (a "- ") precedes the key on its line
    column: int


@dataclass(frozen=True)
class _Text:
    """A file's text (without its byte-order mark) and its composed nodes."""

    filename: str
    body: str
    root: yaml.MappingNode
    newline: str

    @classmethod
    def compose(cls, body: str, filename: str) -> _Text:
        """The nodes of *body*, which the project's loader has read (no tags, no aliases)."""
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        root = yaml.compose(body, Loader=loader)
        if not isinstance(root, yaml.MappingNode):  # load_text refuses anything else
            raise InvalidInput([Problem(filename, 1, 1, "expected a mapping")])
        found = re.search(r"\r\n|[\r\n\x85\u2028\u2029]", body)
        return cls(filename, body, root, found.group() if found else "\n")

    def value(self, mapping: yaml.Node | None, key: str) -> yaml.Node | None:
        """The value node of *key* in *mapping*, or None."""
        if isinstance(mapping, yaml.MappingNode):
            for key_node, value in mapping.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                    found: yaml.Node = value
                    return found
        return None

    def problem(self, node: yaml.Node | None, message: str) -> InvalidInput:
        """*message* located at *node* (or at the top of the file)."""
        line, column = (1, 1) if node is None else (node.start_mark.line + 1,
                                                    node.start_mark.column + 1)
        return InvalidInput([Problem(self.filename, line, column, message)])

    def apply(self, splices: list[_Splice]) -> str:
        """The body with *splices* applied; they must not overlap."""
        text = self.body
        last = len(text) + 1
        for splice in sorted(splices, key=lambda s: (s.start, s.end), reverse=True):
            if splice.end > last:
                raise AssertionError("overlapping edits")  # a bug here, never bad input
            text = text[:splice.start] + splice.text + text[splice.end:]
            last = splice.start
        return text


@dataclass(frozen=True)
class _Document(_Text):
    """A valid topology's text, its byte-order mark, its nodes and its validated model."""

    loaded: Loaded
    bom: str

    @classmethod
    def read(cls, source: str | bytes, filename: str) -> _Document:
        """Validate *source* (refused, located, as ``plan`` would) and compose its nodes."""
        from capplan.loader import load_text

        loaded = load_text(source, filename)
        text = source.decode("utf-8") if isinstance(source, bytes) else source
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        composed = _Text.compose(text[len(bom):], filename)
        return cls(filename, composed.body, composed.root, composed.newline, loaded, bom)

    def finish(self, body: str) -> str:
        """The whole new file: the mark put back, the final line break as it was.

        A file that ended without a line break still does; one that ended with one still
        does (an entry removed at the very end must not change that).
        """
        ended = self.body.endswith(tuple(_BREAKS))
        if not ended and body.endswith(tuple(_BREAKS)):
            body = body[:-2] if body.endswith("\r\n") else body[:-1]
        elif ended and not body.endswith(tuple(_BREAKS)):
            body += self.newline
        return self.bom + body


def _keys(mapping: yaml.MappingNode) -> list[str]:
    return [key.value for key, _ in mapping.value if isinstance(key, yaml.ScalarNode)]


def _last_end(node: yaml.Node) -> int:
    """Where *node*'s text ends: a block collection ends with its last value's text."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1])
    return int(node.end_mark.index)


def _line_start(text: str, index: int) -> int:
    while index > 0 and text[index - 1] not in _BREAKS:
        index -= 1
    return index


def _line_end(text: str, index: int) -> int:
    """After the line break that ends *index*'s line (a block scalar may have taken it)."""
    if index > 0 and text[index - 1] in _BREAKS:
        return index
    while index < len(text) and text[index] not in _BREAKS:
        index += 1
    if text.startswith("\r\n", index):
        return index + 2
    return min(index + 1, len(text))


def _break_of(text: str, end: int) -> str:
    """The line break that the span ending at *end* ends with ('' at the end of a file)."""
    if text[:end].endswith("\r\n"):
        return "\r\n"
    return text[end - 1] if end > 0 and text[end - 1] in _BREAKS else ""


def _entries(text: str, mapping: yaml.MappingNode) -> list[_Entry]:
    entries = []
    for key, value in mapping.value:
        start = int(key.start_mark.index)
        end = _last_end(value)
        inline = False
        if not mapping.flow_style:
            line = _line_start(text, start)
            inline = bool(text[line:start].strip())
            start = start if inline else line
            end = _line_end(text, end)
        entries.append(_Entry(str(key.value), value, start, end, inline,
                              int(key.start_mark.column)))
    return entries


def _rewrite(document: _Text, mapping: yaml.MappingNode, *,
             new: list[tuple[str, Value]], remove: set[str],
             after: str | None = None) -> list[_Splice]:
    """Splices that remove *remove*'s keys and put *new* in place of the first removed.

    With none of *remove* present, *new* goes after the key *after* (else at the end). The
    mapping keeps its style: block entries are whole lines at the mapping's indentation;
    flow entries are separated as the mapping separates them.
    """
    entries = _entries(document.body, mapping)
    if mapping.flow_style:
        return [_rewrite_flow(document, mapping, entries, new, remove, after)]
    return _rewrite_block(document, entries, new, remove, after)


def _rewrite_block(document: _Text, entries: list[_Entry], new: list[tuple[str, Value]],
                   remove: set[str], after: str | None) -> list[_Splice]:
    text = document.body
    column = entries[0].column
    gone = [entry for entry in entries if entry.key in remove]
    splices = []
    for entry in gone[1:]:
        if entry.inline:
            raise document.problem(entry.value, f"{entry.key}: cannot remove the first key "
                                   "of a list item; move it to a line of its own")
        splices.append(_Splice(entry.start, entry.end, ""))
    if gone:
        first = gone[0]
        newline = _break_of(text, first.end) or document.newline
        lines = [line for key, value in new
                 for line in _block_lines(key, value, column, first.key, first.value)]
        if not lines and first.inline:
            raise document.problem(first.value, f"{first.key}: cannot remove the first key "
                                   "of a list item; move it to a line of its own")
        body = newline.join(lines)
        if lines and first.inline:
            body = body[column:]  # the "- " before it stays
        splices.append(_Splice(first.start, first.end,
                               body + _break_of(text, first.end) if lines else ""))
    elif new:
        anchor = next((entry for entry in entries if entry.key == after), entries[-1])
        ending = _break_of(text, anchor.end)
        lines = [line for key, value in new for line in _block_lines(key, value, column)]
        inserted = "".join(line + ending for line in lines) if ending \
            else "".join(document.newline + line for line in lines)
        splices.append(_Splice(anchor.end, anchor.end, inserted))
    return splices


def _rewrite_flow(document: _Text, mapping: yaml.MappingNode, entries: list[_Entry],
                  new: list[tuple[str, Value]], remove: set[str],
                  after: str | None) -> _Splice:
    text = document.body
    opening, closing = int(mapping.start_mark.index) + 1, int(mapping.end_mark.index) - 1
    count = len(entries)
    separators = [text[entries[i].end:entries[i + 1].start] for i in range(count - 1)]
    default = separators[0] if separators else ", "
    # Each item: the original entry it stands for or follows, and its text.
    items: list[tuple[int, str]] = []
    placed = False
    for index, entry in enumerate(entries):
        if entry.key not in remove:
            items.append((index, text[entry.start:entry.end]))
        elif not placed:
            items.extend((index, _flow_entry(key, value, entry.column, document.newline))
                         for key, value in new)
            placed = True
    if not placed and new:
        anchor = next((i for i, entry in enumerate(entries) if entry.key == after),
                      count - 1)
        at = max((position + 1 for position, item in enumerate(items) if item[0] <= anchor),
                 default=0)
        items[at:at] = [(anchor, _flow_entry(key, value, entries[anchor].column,
                                             document.newline)) for key, value in new]
    if not items:
        return _Splice(opening, closing, "")
    inner = text[opening:entries[0].start] if entries else ""
    for position, (_, item) in enumerate(items):
        if position:
            previous = items[position - 1][0]
            inner += separators[previous] if previous < count - 1 else default
        inner += item
    inner += text[entries[-1].end:closing] if entries else ""
    return _Splice(opening, closing, inner)


# --- values as text ------------------------------------------------------------------------


def _scalar(value: Value) -> str:
    if isinstance(value, bool):
        raise InvalidArgument(f"cannot write {value!r} as a number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if not _PLAIN.fullmatch(text) or text in {"inf", "nan"}:
            raise InvalidArgument(f"cannot write {value!r} as a number")
        return text
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return value
    raise InvalidArgument(f"cannot write {value!r} into a topology")


def _flow(value: Value) -> str:
    """*value* in flow style on one line: {a: 1, b: [1, 2]}."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    return _scalar(value)


def _flow_entry(key: str, value: Value, column: int, newline: str) -> str:
    """``key: value`` inside a flow mapping, its key at *column*: a long list is wrapped."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        lines = _wrapped(" " * column + f"{key}: [", [_flow(item) for item in value])
        return newline.join(lines)[column:]
    return f"{key}: {_flow(value)}"


def _block_lines(key: str, value: Value, column: int, old_key: str = "",
                 old_value: yaml.Node | None = None) -> list[str]:
    """``key: value`` as lines at *column*: mappings nested in block style, lists wrapped.

    A mapping that replaces a flow-style value of the same key stays in flow style.
    """
    indent = " " * column
    keep_flow = old_key == key and getattr(old_value, "flow_style", False)
    if isinstance(value, Mapping) and value and not keep_flow:
        lines = [f"{indent}{key}:"]
        for inner, item in value.items():
            lines.extend(_block_lines(inner, item, column + STEP))
        return lines
    if isinstance(value, Sequence) and not isinstance(value, str):
        return _wrapped(f"{indent}{key}: [", [_flow(item) for item in value])
    return [f"{indent}{key}: {_flow(value)}"]


def _wrapped(prefix: str, items: list[str]) -> list[str]:
    """A flow list that starts with *prefix* ("  profile: ["), wrapped within WIDTH columns.

    Continuation lines line up after the bracket, deeper than the key: valid YAML in block
    and in flow context alike.
    """
    lines: list[str] = []
    line = prefix
    for position, item in enumerate(items):
        piece = item + ("," if position < len(items) - 1 else "]")
        if line.strip() and not line.endswith("[") and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = " " * len(prefix) + piece
        else:
            line += (" " if not line.endswith("[") else "") + piece
    if not items:
        line += "]"
    lines.append(line)
    return lines


# --- the checks after the edit -------------------------------------------------------------


def _validated(document: _Document, text: str, near: yaml.Node) -> Topology:
    """The edited text loaded and validated in full, or its problems located at *near*.

    *near* is in the file as it is: the edited text is never on disk, so its own lines
    would point nowhere.
    """
    from capplan.loader import load_text

    try:
        return load_text(text, document.filename).topology
    except InvalidInput as error:
        line, column = near.start_mark.line + 1, near.start_mark.column + 1
        raise InvalidInput([Problem(document.filename, line, column,
                                    f"after the edit, {problem.message}; the file is "
                                    "unchanged") for problem in error.problems]) from None


def _same_except(document: _Document, new: Topology, near: yaml.Node,
                 mask: Callable[[dict[str, Any]], None]) -> None:
    """Refuse an edit that changed the topology anywhere but where *mask* blanks out."""
    old_dump = _tree(document.loaded.topology)
    new_dump = _tree(new)
    mask(old_dump)
    mask(new_dump)
    if old_dump != new_dump:
        raise _inconsistent(document, near, "the edited block")


def _tree(value: object) -> Any:
    """*value* as plain dicts and lists, each range with its bounds: what equality compares.

    (Not model_dump: the exact number types have no serializer of their own.)
    """
    from pydantic import BaseModel

    from capplan.model import Uncertain

    if isinstance(value, BaseModel):
        return {name: _tree(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list | tuple):
        return [_tree(item) for item in value]
    if isinstance(value, Uncertain):
        return ("range", Fraction(value), value.low, value.high, value.confidence, value.share)
    return value


def _mask_traffic(dump: dict[str, Any]) -> None:
    for key in TRAFFIC_FORMS:
        dump["traffic"][key] = None


def _mask_tier(dump: dict[str, Any], index: int) -> None:
    tier = dump["tiers"][index]
    tier["scaling"] = None
    for key in SCALING_EXCLUDES:
        tier["declared_node"][key] = None  # the model's name for the file's `node`


def _inconsistent(document: _Document, near: yaml.Node, what: str) -> InvalidInput:
    # Only a bug in this module gets here: the check exists so that such a bug costs a
    # refusal, never a silently changed file.
    return document.problem(near, f"capplan could not rewrite {what} without changing "
                            "something else; the file is unchanged (please report this, "
                            "with the file)")


def _number(value: Value) -> Fraction:
    from capplan.units import parse_number

    return parse_number(_scalar(value), percent=True)


def _traffic_values(traffic: Mapping[str, Value]) -> dict[str, object]:
    """What the validated topology must hold for each written traffic key."""
    values: dict[str, object] = {}
    for key, value in traffic.items():
        if isinstance(value, Sequence) and not isinstance(value, str):
            values[key] = [_number(item) for item in value]
        else:
            values[key] = _number(value)
    values.setdefault("growth", Fraction(0))
    return values
