"""Numbers and words for people (capplan.render.fmt): every formatter at its boundaries."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capplan import units
from capplan.render import fmt

#: What an SI prefix multiplies by, to read a formatted rate back.
SCALE = {prefix: 1000.0**power for power, prefix in enumerate(fmt.SI_PREFIXES)}
#: Three significant digits: half a unit in the third digit of a mantissa in [1, 10).
THREE_DIGITS = 0.005


def read_rate(text: str) -> float:
    """A formatted rate back to a number: '1.92k' → 1920.0, '1.2e21' → 1.2e21."""
    match = re.fullmatch(r"(-?[0-9.]+(?:e-?[0-9]+)?)([kMGTPE]?)", text)
    assert match, text
    return float(match.group(1)) * SCALE[match.group(2)]


@pytest.mark.parametrize(("value", "expected"), [
    (0, "0"), (0.25, "0.25"), (0.5, "0.5"), (1, "1"), (480, "480"), (999.4, "999"),
    (999.5, "1k"), (1200, "1.2k"), (1920.96, "1.92k"), (12345, "12.3k"),
    (999_949, "1M"), (999_950, "1M"), (999_500_000, "1G"), (3.05e17, "305P"),
    (1e15, "1P"), (9.9996e20, "1e21"), (1e24, "1e24"), (-1200, "-1.2k"), (-999.5, "-1k"),
    (0.001234, "0.00123"), (1.234e-7, "1.23e-7"), (math.inf, "inf"), (-math.inf, "-inf"),
])
def test_rate_rounds_before_choosing_its_prefix(value: float, expected: str) -> None:
    """999.5 is '1k' and 999,950 '1M' (not '1e+03', '1e+03k'); 3.05e17 is '305P', not 'e+08G'."""
    assert fmt.rate(value) == expected


@given(st.floats(min_value=-1e24, max_value=1e24, allow_nan=False))
def test_rate_never_prints_a_positive_exponent_and_reads_back(value: float) -> None:
    """Below 1e21 a rate has no exponent; any rate reads back within three digits."""
    text = fmt.rate(value)
    assert "e+" not in text
    if abs(value) < 1e21:
        assert "e" not in text.lstrip("-") or abs(value) < 1e-6
    number = re.match(r"-?[0-9.]+", text)
    assert number
    # A prefix is only ever used on a number below 1000: never '1000k'.
    if text[-1] in "kMGTPE":
        assert abs(float(number.group())) < 1000
    assert math.isclose(read_rate(text), value, rel_tol=THREE_DIGITS, abs_tol=1e-300)


@pytest.mark.parametrize(("value", "expected"), [
    (0, "0"), (0.5, "0.5"), (12.34, "12.3"), (99.95, "100"), (999.4, "999"),
    (999.5, "1000"), (1234.5, "1234"), (1e15, "1000000000000000"), (1e16, "1e16"),
    (-12.34, "-12.3"), (0.001234, "0.00123"), (-0.4, "-0.4"), (1e-9, "1e-9"),
    (math.inf, "inf"), (math.nan, "nan"),
])
def test_significant_keeps_whole_numbers_and_never_goes_exponential_for_them(
        value: float, expected: str) -> None:
    """Response times and durations: '1234', not '1.23e+03'; float noise past 1e15 is cut."""
    assert units.significant(value) == expected


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_significant_reads_back_within_its_precision(value: float) -> None:
    """Three significant digits, or the nearest whole number, whichever is finer."""
    text = units.significant(value)
    assert "e+" not in text
    assert math.isclose(float(text), value, rel_tol=THREE_DIGITS, abs_tol=0.5)


@pytest.mark.parametrize(("value", "expected"), [
    (None, "-"), (0, "0%"), (0.8, "80%"), (1.5, "150%"), (0.05, "5.0%"), (0.005, "0.5%"),
    (0.0004, "0.04%"), (0.099949, "10%"), (0.09996, "10%"), (0.0995, "10%"), (0.0994, "9.9%"),
    (-0.2, "-20%"), (-0.0004, "-0.04%"), (1e-9, "1e-7%"),
])
def test_percent_never_reads_as_zero_when_it_is_not(value: float | None, expected: str) -> None:
    """A share of 0.04% is '0.04%', not '0.0%'; 9.996% is '10%', not '10.0%'."""
    assert fmt.percent(value) == expected


@given(st.floats(min_value=-10, max_value=10, allow_nan=False))
def test_percent_of_a_nonzero_share_is_nonzero(value: float) -> None:
    """Whatever the share, the printed figure is zero only when the share is."""
    text = fmt.percent(value)
    assert text.endswith("%")
    assert (float(text[:-1]) == 0) == (value == 0)


@pytest.mark.parametrize(("value", "expected"), [
    (None, "-"), (0, "+0%"), (0.25, "+25%"), (-0.12, "-12%"), (0.05, "+5%"),
    (0.003, "+0.3%"), (-0.003, "-0.3%"), (-0.00004, "-0.004%"), (1.0, "+100%"),
    (math.inf, "+inf%"),
])
def test_signed_percent_keeps_the_sign_of_a_sliver(value: float | None, expected: str) -> None:
    """Headroom of -0.3% is '-0.3%' (a failing tier), never '-0%' or '+0%'."""
    assert fmt.signed_percent(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (None, "never"), (0, "0"), (-1, "0"), (0.01, "<0.1 mo"), (0.049, "<0.1 mo"),
    (0.05, "0.1 mo"), (14.23, "14.2 mo"), (999.94, "999.9 mo"), (999.96, ">999 mo"),
    (1e15, ">999 mo"), (math.inf, ">999 mo"),
])
def test_runway_boundaries(value: float | None, expected: str) -> None:
    """A sliver of runway is '<0.1 mo', not '0.0 mo' (which reads as failing now)."""
    assert fmt.runway(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (0, "0"), (0.5, "0"), (-0.4, "0"), (1234.5, "1,234"), (-1500, "-1,500"),
    (1e15, "1,000,000,000,000,000"), (math.inf, "inf"),
])
def test_money_has_separators_and_no_minus_zero(value: float, expected: str) -> None:
    """A cost rounding to nothing is '0', never '-0'."""
    assert fmt.money(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (None, "inf"), (0, "0"), (12.34, "12.3"), (999.5, "1000"), (1234.5, "1234"),
])
def test_milliseconds_never_go_exponential(value: float | None, expected: str) -> None:
    """A 1.2-second p99 is '1234', not '1.23e+03'; None is a queue that cannot keep up."""
    assert fmt.milliseconds(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (3.42857, "3.4 h"), (24, "24 h"), (12.5, "12.5 h"), (1.96, "2 h"), (0.25, "0.25 h"),
    (0.0417, "0.042 h"), (0.999, "1 h"), (0, "0 h"),
])
def test_hours_of_a_day_read_sanely(value: float, expected: str) -> None:
    """A seventh of a day is '3.4 h', not '3.42857 h'; a quarter hour keeps both digits."""
    assert fmt.hours(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (None, "-"), (1.0, "100%"), (0.999964, "99.9964%"), (0.999999948, "99.9999948%"),
    (0.99999, "99.99900%"), (0.999, "99.9000%"), (0.970299, "97.0299%"), (0.5, "50.0000%"),
    (0.0, "0.0000%"),
])
def test_nines_show_two_digits_past_the_last_nine(value: float | None, expected: str) -> None:
    """99.9964%, as documented, not 99.99640%: one digit more than the figure carries."""
    assert fmt.nines(value) == expected


@given(st.floats(min_value=0, max_value=1 - 1e-15))
def test_nines_never_round_up_to_another_nine(value: float) -> None:
    """The printed availability never claims a nine the figure does not have."""
    text = fmt.nines(value)
    assert text != "100%"
    printed = float(text[:-1]) / 100
    assert 1 - printed >= (1 - value) / 2


@pytest.mark.parametrize(("minutes", "expected"), [
    (None, "-"), (0, "0 s"), (0.5, "30 s"), (0.99999, "60 s"), (52.56, "52.6 min"),
    (119.99, "120 min"), (525_960, "8766 h"), (1e-9, "6e-8 s"),
])
def test_downtime_picks_the_unit_and_keeps_whole_hours(minutes: float | None,
                                                           expected: str) -> None:
    """A whole year down is '8766 h', not '8.77e+03 h'; only nanoseconds take an exponent."""
    assert fmt.downtime(minutes) == expected


@pytest.mark.parametrize(("count", "expected"), [
    (0, "0 nodes"), (1, "1 node"), (2, "2 nodes"), (1_000_000, "1000000 nodes"),
])
def test_count_noun_agrees_with_its_count(count: int, expected: str) -> None:
    """'total: 1 node', not '1 nodes'."""
    assert units.count_noun(count, "node") == expected


@pytest.mark.parametrize(("most", "expected"), [
    (1, "every set of 1 failed node"), (2, "every set of 1 to 2 failed nodes"),
    (3, "every set of 1 to 3 failed nodes"), (0, "every set of 0 failed nodes"),
])
def test_failure_sets_never_say_1_to_1(most: int, expected: str) -> None:
    """`failover --all` at N+1 ranks 'every set of 1 failed node', not '1 to 1 … nodes'."""
    assert fmt.failure_sets(most) == expected
