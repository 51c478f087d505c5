"""render.data: JSON and YAML of documents holding lazy Rows equal those of the plain list."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.render.data import to_json, to_yaml
from capplan.results import Rows

# Strings the fast path writes plain, and strings it must leave to the emitter.
names = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,12}", fullmatch=True),
    st.sampled_from(["yes", "No", "on", "OFF", "null", "~", "y", "True", "2024-01-05",
                     "1e3", "0x1F", ".inf", "- dash", "a: b", "#x", "", "héllo", "'q'",
                     "web-1", "line\nbreak", "tab\there", "<<", "="]),
    st.text(max_size=8),
)
scalars = st.one_of(
    names, st.none(), st.booleans(), st.integers(-10**20, 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e17, 1e-5, -0.0, 0.1, 5e-324, 1.7976931348623157e308]),
)


def plain(value: Any) -> Any:
    """The document with every Rows turned into the list it stands for."""
    if isinstance(value, Rows):
        return list(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A document with Rows at the top and one level down, among plain keys."""
    keys = tuple(draw(st.lists(names, min_size=1, max_size=4, unique=True)))
    table = draw(st.lists(st.tuples(*[scalars for _ in keys]), max_size=6))
    rows = Rows(len(table), keys, table.__getitem__)
    return {"tier": draw(names), "loads": rows, "ceiling": draw(scalars),
            "inner": {"more": rows, "after": draw(scalars)},
            "empty": Rows(0, ("node",), table.__getitem__), "last": [1, "two"]}


@settings(max_examples=300, deadline=None)
@given(documents())
def test_rows_render_as_their_list_would(document: dict[str, Any]) -> None:
    """Byte for byte: the fast row writers against json.dumps and yaml.dump of the list."""
    assert to_json(document) == to_json(plain(document))
    assert to_json(document) == json.dumps(plain(document), indent=2, ensure_ascii=False,
                                           allow_nan=False) + "\n"
    assert to_yaml(document) == to_yaml(plain(document))
    assert yaml.safe_load(to_yaml(document)) == json.loads(to_json(document))


def test_a_marker_inside_the_data_falls_back_to_the_plain_list() -> None:
    """A value that happens to spell the stand-in cannot confuse the splice."""
    rows = Rows(1, ("node",), lambda index: ("capplan-rows-0-e4b1c9",))
    document = {"a": "capplan-rows-0-e4b1c9", "loads": rows}
    assert to_json(document) == to_json(plain(document))
    assert to_yaml(document) == to_yaml(plain(document))


def test_rows_read_as_a_list_of_dicts() -> None:
    """Indexing, slicing, len and equality behave as the list does."""
    table = [("web-1", 0.5), ("web-2", 1.0)]
    rows = Rows(2, ("node", "utilization"), table.__getitem__)
    listed = [{"node": "web-1", "utilization": 0.5}, {"node": "web-2", "utilization": 1.0}]
    assert rows == listed
    assert rows[-1] == listed[-1]
    assert rows[0:1] == listed[0:1]
    assert len(rows) == 2
    assert list(reversed(rows)) == listed[::-1]
