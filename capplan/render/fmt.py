"""Numbers and words for people: rates, shares, durations, money and counted nouns.

Pure functions of their arguments, shared by every human-readable renderer. The rule they
all keep: round first, then choose the form, so that rounding can never produce a
``1e+03``, a ``1e+03k`` or a share that reads as zero when it is not.
"""

from __future__ import annotations

import math

from capplan.units import (
    SMALLEST_EXPONENT,
    count_noun,
    non_finite,
    positional,
    significand,
    significant,
    without_digits,
)

#: SI prefixes for rates; past exa, a plain exponent reads better than a made-up prefix.
SI_PREFIXES = ("", "k", "M", "G", "T", "P", "E")
def rate(value: float) -> str:
    """A rate in three significant digits with an SI prefix: 1200 → '1.2k', 480 → '480'.

    999.5 → '1k' and 999,950 → '1M': the prefix follows the rounded value.
    """
    special = without_digits(value)
    if special is not None:
        return special
    sign = "-" if value < 0 else ""
    mantissa, exponent = significand(abs(value), 3)
    if exponent < 0:
        if exponent < SMALLEST_EXPONENT:
            return f"{sign}{positional(mantissa)}e{exponent}"
        return sign + positional(mantissa.scaleb(exponent))
    step = exponent // 3
    if step >= len(SI_PREFIXES):
        return f"{sign}{positional(mantissa)}e{exponent}"
    return sign + positional(mantissa.scaleb(exponent - 3 * step)) + SI_PREFIXES[step]


def percent(value: float | None) -> str:
    """A share: 0.8 → '80%'; under 10% one decimal, and a tiny share is never '0.0%'.

    0.05 → '5.0%', 0.0004 → '0.04%', None → '-'.
    """
    if value is None:
        return "-"
    points = value * 100
    special = non_finite(points)
    if special is not None:
        return special + "%"
    if points == 0:
        return "0%"
    one_decimal = f"{points:.1f}"
    if abs(float(one_decimal)) >= 10:
        return f"{points:.0f}%"
    if float(one_decimal) != 0:
        return one_decimal + "%"
    return ("-" if points < 0 else "") + significant(abs(points), 1) + "%"


def signed_percent(value: float | None) -> str:
    """Headroom: '+25%', '-12%'; a sliver keeps its digit ('-0.3%', never '-0%').

    Exactly zero is '+0%' (no spare, nothing short); None is '-'.
    """
    if value is None:
        return "-"
    points = value * 100
    special = non_finite(points)
    if special is not None:
        return ("+" if points > 0 else "") + special + "%"
    whole = f"{points:+.0f}"
    if points == 0 or whole not in ("+0", "-0"):
        return whole + "%"
    return ("+" if points > 0 else "-") + significant(abs(points), 1) + "%"


def runway(value: float | None) -> str:
    """Runway: '14.2 mo'; '0' when the tier fails now, 'never' when it never runs out.

    Values that round past 999.9 read '>999 mo'; a sliver reads '<0.1 mo', not '0.0 mo'
    (which would look like a tier that fails now).
    """
    if value is None:
        return "never"
    if value <= 0:
        return "0"
    text = f"{value:.1f}"
    if float(text) >= 1000:
        return ">999 mo"
    if float(text) == 0:
        return "<0.1 mo"
    return f"{text} mo"


def money(value: float) -> str:
    """Costs with thousands separators and no false precision: 1234.5 → '1,234'."""
    special = non_finite(value)
    if special is not None:
        return special
    text = f"{value:,.0f}"
    return "0" if text == "-0" else text


def milliseconds(value: float | None) -> str:
    """A response time: '12.3', '1234'; 'inf' (None) where the queue cannot keep up."""
    return "inf" if value is None else significant(value)


def hours(value: float) -> str:
    """Hours of a day: one decimal, two significant digits below an hour.

    3.42857 → '3.4 h', 24 → '24 h', 0.25 → '0.25 h'.
    """
    if value >= 1:
        text = f"{value:.1f}"
        return (text[:-2] if text.endswith(".0") else text) + " h"
    return significant(value, 2) + " h"


def nines(value: float | None) -> str:
    """Availability with two digits past its last nine: 99.9964%, 99.9999948%.

    Never fewer than four decimals (99.9000%); '100%' only when nothing is ever down.
    """
    if value is None:
        return "-"
    if value >= 1:
        return "100%"
    # The epsilon keeps exact powers (1 - 0.99999 = 1.0000000000065512e-05) at their nines.
    decimals = max(4, math.floor(-math.log10(1 - value) + 1e-9))
    return f"{value * 100:.{decimals}f}%"


def downtime(minutes: float | None) -> str:
    """Downtime a year in the unit that reads best: '36 s', '52.6 min', '8766 h'."""
    if minutes is None:
        return "-"
    if minutes < 1:
        return f"{significant(minutes * 60)} s"
    if minutes < 120:
        return f"{significant(minutes)} min"
    return f"{significant(minutes / 60)} h"


def failure_sets(most: int) -> str:
    """What ``failover --all`` ranks: 'every set of 1 failed node', '… of 1 to 3 failed nodes'."""
    if most <= 1:
        return f"every set of {count_noun(most, 'failed node')}"
    return f"every set of 1 to {most} failed nodes"
