"""The tables' column aligner is tabulate's 'simple' table, byte for byte (tabulate the oracle)."""

from __future__ import annotations

import pytest
import tabulate
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.loader import InvalidInput, load_text
from capplan.render import table

#: Cells as capplan draws them and worse: any printable text (no line breaks or escapes).
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
               max_size=12)
CELL = st.one_of(TEXT, st.integers(-10**6, 10**6), st.none())
Case = tuple[list[list[str | int | None]], list[str], tuple[str, ...]]


@st.composite
def tables(draw: st.DrawFn) -> Case:
    """Rows, headers and alignments of one table, rows possibly none."""
    columns = draw(st.integers(1, 8))
    headers = draw(st.lists(TEXT, min_size=columns, max_size=columns))
    rows = draw(st.lists(st.lists(CELL, min_size=columns, max_size=columns), max_size=6))
    aligns = tuple(draw(st.lists(st.sampled_from(["left", "right"]), min_size=columns,
                                 max_size=columns)))
    return rows, headers, aligns


@settings(max_examples=1000)
@given(tables())
def test_columns_are_tabulates_simple_table(case: Case) -> None:
    rows, headers, aligns = case
    saved, tabulate.MIN_PADDING = tabulate.MIN_PADDING, 0
    try:
        expected = tabulate.tabulate(rows, headers=headers, tablefmt="simple",
                                     disable_numparse=True, colalign=aligns)
    finally:
        tabulate.MIN_PADDING = saved
    assert table.tabulated(rows, headers, aligns) == expected


def test_size_table_is_tabulates_plain_table() -> None:
    document = {"redundancy": "ring", "demand_rps": 2000.0, "failures": 1,
                "max_utilization": 0.8, "nodes_required": 4, "standby": None,
                "utilization": 0.5, "worst_utilization": 0.667}
    drawn = table.size_table(document)
    rows = [line.split("  ", 1) for line in drawn.splitlines()]
    expected = tabulate.tabulate([[label, value.strip()] for label, value in rows],
                                 tablefmt="plain", disable_numparse=True) + "\n"
    assert drawn == expected


def test_a_byte_order_mark_does_not_move_a_bad_bytes_location() -> None:
    """Editors do not count the mark: the invalid byte is where it is without it."""
    text = b"site: x\nab: \xff\n"
    for data in (text, b"\xef\xbb\xbf" + text):
        with pytest.raises(InvalidInput) as raised:
            load_text(data, "f.yaml")
        assert str(raised.value) == "f.yaml:2:5: not UTF-8 text: save the file as UTF-8"
