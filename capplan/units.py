"""Numbers as operators write them: ``1200``, ``40M``, ``1.2k``, ``80%``, ``1e5``.

Every number becomes an exact :class:`~fractions.Fraction`, so that a boundary such as
"2000 rps on 1000-rps nodes at 100%" stays exactly 2 and never 2.0000000000000004.
The parser refuses hostile magnitudes *before* building the fraction: ``1e999999999``
would otherwise make Python compute a billion-digit integer.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

#: Largest magnitude accepted anywhere in a topology (a peta-request per second).
MAX_MAGNITUDE = Fraction(10**15)
#: Limits on how a number is spelt; far beyond any real figure, far below any bomb.
MAX_DIGITS = 40
MAX_EXPONENT = 30

SUFFIXES = {"k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9)}

_NUMBER = re.compile(
    r"""
    (?P<sign>[+-]?)
    (?P<mantissa>\d+(?:\.\d*)?|\.\d+)
    (?:[eE](?P<exponent>[+-]?\d+))?
    [ ]?(?P<suffix>[A-Za-z%]*)
    """,
    re.VERBOSE,
)


class NumberError(ValueError):
    """A value that is not a number capplan accepts; the message says how to write it."""


def parse_number(value: object, *, percent: bool = False) -> Fraction:
    """Return *value* as an exact fraction.

    Accepts ints, finite floats, fractions and strings such as ``"40M"``, ``"1.2k"``,
    ``"1e5"`` and, when *percent* is true, ``"80%"``.
    """
    if isinstance(value, bool) or value is None:
        raise NumberError(f"expected a number, got {_describe(value)}")
    if isinstance(value, Fraction):
        result = value
    elif isinstance(value, int):
        if value.bit_length() > 64:
            raise NumberError(f"{value} is out of range (at most {_show(MAX_MAGNITUDE)})")
        result = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise NumberError(f"{value} is not a finite number")
        # repr() is the shortest text that round-trips, so 0.1 becomes exactly 1/10.
        result = Fraction(repr(value)) if abs(value) < 1e30 else Fraction(value)
    elif isinstance(value, str):
        result = _parse_text(value, percent=percent)
    else:
        raise NumberError(f"expected a number, got {_describe(value)}")
    if abs(result) > MAX_MAGNITUDE:
        raise NumberError(f"{_show(result)} is out of range (at most {_show(MAX_MAGNITUDE)})")
    return result


def parse_count(value: object) -> int:
    """Return *value* as a whole number (``3``, ``"2k"``); refuse fractions like ``2.5``."""
    number = parse_number(value)
    if number.denominator != 1:
        raise NumberError(f"{_show(number)} is not a whole number")
    return int(number)


def _parse_text(text: str, *, percent: bool) -> Fraction:
    stripped = text.strip()
    if len(stripped) > MAX_DIGITS + 8:
        raise NumberError(f"'{stripped[:20]}…' is too long for a number")
    lowered = stripped.lower().lstrip("+-")
    if lowered in {".inf", "inf", "infinity", ".nan", "nan"}:
        raise NumberError(f"'{stripped}' is not a finite number")
    match = _NUMBER.fullmatch(stripped)
    if match is None:
        raise NumberError(f"'{stripped}' is not a number (write e.g. 1200, 1.2k, 40M, 1e5)")
    mantissa, exponent_text, suffix = match["mantissa"], match["exponent"], match["suffix"]
    if len(mantissa) > MAX_DIGITS:
        raise NumberError(f"'{stripped}' has too many digits")
    exponent = int(exponent_text) if exponent_text else 0
    if abs(exponent) > MAX_EXPONENT:
        raise NumberError(f"'{stripped}' is out of range (exponent beyond ±{MAX_EXPONENT})")
    result = Fraction(mantissa) * Fraction(10) ** exponent
    if match["sign"] == "-":
        result = -result
    if not suffix:
        return result
    if suffix == "%":
        if not percent:
            raise NumberError(f"'{stripped}': a percentage is not allowed here")
        return result / 100
    if suffix == "m":
        raise NumberError(
            f"'{stripped}': suffix 'm' is ambiguous (milli or mega?); write M for 1e6"
        )
    if suffix not in SUFFIXES:
        raise NumberError(f"'{stripped}': unknown suffix '{suffix}' (use k, M or G)")
    return result * SUFFIXES[suffix]


def _describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    return f"a {type(value).__name__}"


def _show(number: Fraction) -> str:
    """Render a fraction compactly for messages: ``1e+15``, ``2.5``, ``3``."""
    if number.denominator == 1 and abs(number) < 10**9:
        return str(number.numerator)
    return f"{float(number):g}"


# --- numbers written back: the values capplan writes into a topology (``--into``) and
# prints for people share one significant-digit rule --------------------------------

#: Below 1e-6 positional notation becomes a row of zeros: use an exponent.
SMALLEST_EXPONENT = -6
#: Past 1e15 the digits of a whole float are noise: use an exponent.
LARGEST_EXPONENT = 15


def significand(magnitude: float, digits: int) -> tuple[Decimal, int]:
    """*magnitude* (> 0) rounded to *digits* significant digits: (d.dd, exponent).

    The exponent is the one after rounding, so 999.5 gives (1.00, 3), not (9.995, 2).
    """
    mantissa, _, exponent = f"{magnitude:.{digits - 1}e}".partition("e")
    return Decimal(mantissa), int(exponent)


def positional(number: Decimal) -> str:
    """Positional notation without trailing zeros: 1.20E+2 → '120', 1.50 → '1.5'."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def non_finite(value: float) -> str | None:
    """The spelling of a value that is not finite (nan, inf, -inf); None otherwise."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return None


def without_digits(value: float) -> str | None:
    """The values no significand describes (nan, ±inf, 0), spelled out; else None."""
    return "0" if value == 0 else non_finite(value)


def significant(value: float, digits: int = 3) -> str:
    """At least *digits* significant digits, never an exponent for large values.

    12.34 → '12.3', 1234.5 → '1234' (whole numbers keep every digit), 0.001234 → '0.00123'.
    """
    special = without_digits(value)
    if special is not None:
        return special
    sign = "-" if value < 0 else ""
    mantissa, exponent = significand(abs(value), digits)
    if exponent > LARGEST_EXPONENT:
        return f"{sign}{positional(mantissa)}e{exponent}"
    if exponent >= digits - 1:
        whole = f"{abs(value):.0f}"
        return "0" if whole == "0" else sign + whole
    if exponent < SMALLEST_EXPONENT:
        return f"{sign}{positional(mantissa)}e{exponent}"
    return sign + positional(mantissa.scaleb(exponent))


def count_noun(count: int, noun: str) -> str:
    """'1 node', '2 nodes', '0 nodes'."""
    return f"{count} {noun if count == 1 else noun + 's'}"
