"""Numbers as operators write them become exact fractions; hostile spellings are refused."""

from fractions import Fraction

import pytest

from capplan.units import MAX_MAGNITUDE, NumberError, parse_count, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200", Fraction(1200)),
        ("1.2k", Fraction(1200)),
        ("40M", Fraction(40_000_000)),
        ("2G", Fraction(2_000_000_000)),
        ("24k", Fraction(24_000)),
        ("1e5", Fraction(100_000)),
        ("0.1", Fraction(1, 10)),
        (".5", Fraction(1, 2)),
        ("2.5e-3", Fraction(1, 400)),
        (" 7 ", Fraction(7)),
        ("-3", Fraction(-3)),
    ],
)
def test_text_forms_parse_exactly(text: str, expected: Fraction) -> None:
    """Every documented spelling gives the exact value, with no float rounding."""
    assert parse_number(text) == expected


def test_percent_is_a_share_where_allowed() -> None:
    """'80%' is 4/5 where percentages are allowed."""
    assert parse_number("80%", percent=True) == Fraction(4, 5)
    assert parse_number("0.5%", percent=True) == Fraction(1, 200)


def test_percent_is_refused_where_not_allowed() -> None:
    """A percentage in a plain quantity is an error, not a silent /100."""
    with pytest.raises(NumberError, match="percentage is not allowed"):
        parse_number("80%")


def test_lowercase_m_is_ambiguous() -> None:
    """'40m' could be milli or mega, so it is refused with the fix in the message."""
    with pytest.raises(NumberError, match="write M for 1e6"):
        parse_number("40m")


def test_unknown_suffix_is_named() -> None:
    """An unknown suffix is named and the valid ones listed."""
    with pytest.raises(NumberError, match="unknown suffix 'K'"):
        parse_number("4K")


def test_floats_become_their_shortest_decimal() -> None:
    """A float 0.1 means one tenth, not the binary approximation of it."""
    assert parse_number(0.1) == Fraction(1, 10)
    assert parse_number(2.5) == Fraction(5, 2)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), ".nan", ".inf",
                                   "-.inf", "NaN", "Infinity"])
def test_non_finite_values_are_refused(value: object) -> None:
    """NaN and infinities never reach the model."""
    with pytest.raises(NumberError, match="not a finite number"):
        parse_number(value)


@pytest.mark.parametrize("value", ["1e308", "1e999999999", "1e-999999999", 1e308, 10**400,
                                   "9" * 60, "2e15"])
def test_huge_magnitudes_are_refused_before_any_big_arithmetic(value: object) -> None:
    """Exponent bombs are refused by their spelling, before Python builds the integer."""
    with pytest.raises(NumberError):
        parse_number(value)


def test_limit_itself_is_accepted() -> None:
    """The documented maximum is inclusive."""
    assert parse_number("1e15") == MAX_MAGNITUDE


@pytest.mark.parametrize("value", [True, None, [1], {"a": 1}, "ten", "", "1.2.3", "k"])
def test_non_numbers_are_refused(value: object) -> None:
    """Booleans, nulls, lists and words are not numbers."""
    with pytest.raises(NumberError):
        parse_number(value)


def test_counts_accept_suffixes_and_refuse_fractions() -> None:
    """A count may be written '2k' but not '2.5'."""
    assert parse_count("2k") == 2000
    assert parse_count(3) == 3
    with pytest.raises(NumberError, match="not a whole number"):
        parse_count("2.5")
