"""Observed traffic → a topology's ``traffic:`` block (SPEC §6 "Observed traffic").

A request-rate series comes in as rows ``(timestamp, rps, nodes, utilization)``: Unix
seconds (UTC), requests per second, and optionally the nodes serving it and their
utilization. :func:`observe_rows` is the pure statistics over such rows; the readers
(:class:`CsvSource`, :class:`PrometheusSource`) turn a CSV file or a Prometheus
``/api/v1/query_range`` response into rows and say where a bad value is
(``FILE:LINE:COL: message``); :func:`query_prometheus` asks a live server.

The figures, and the answers to the questions a real series raises:

- ``peak_rps``: the ``quantile`` (Hyndman–Fan type 7, numpy's default; 1 = the maximum) of
  all samples.
- ``profile``: 24 slots, one per UTC hour of day, each the same quantile of the samples in
  that hour over all days, in requests per second (a topology's ``profile`` is rps per
  slot; its peak is the largest slot). An hour with no sample on any day takes the larger
  of the nearest observed hours either side (round the clock), and a note names it:
  capacity planning would rather over- than under-state a slot it never saw.
- ``growth``: monthly rate ``exp(b × 30.4375) − 1`` from the least-squares line
  ``ln(daily peak) = a + b × day``, a day being a UTC calendar day and its peak the same
  quantile of that day's samples. Days without samples are simply absent from the fit;
  days whose peak is 0 are left out (no logarithm), with a note. Fewer than two days:
  growth is null, with a note. Days with samples in fewer than 24 hours count with the
  peak they have, with a note (a partial first or last day can pull the line down).
- ``peak_to_average``: max(profile) / mean(profile).
- ``capacity_rps``: per node, the least-squares line through the origin of rps against
  nodes × utilization, over the rows that have both; null without them.

The readers refuse, located: timestamps that repeat or go back (the series must be sorted,
each timestamp once: sort the file; the first offending row is named with the row it
repeats or follows), negative, non-finite or non-numeric values, a utilization above 1
written as a bare number. An rps of 0 is a valid sample (a quiet night). ISO 8601
timestamps with an offset are converted to UTC; timestamps without one are read as UTC,
with a note. ``counter=True`` reads a cumulative request counter instead of a rate: each
rate is Δcount / Δt between consecutive samples, and a drop is a counter reset (the
process restarted from 0: the increase is the new value), counted in a note.

Memory is bounded by what the statistics need: with quantile 1 only the maximum of each
(day, hour) cell; otherwise the values of each cell as 8-byte floats (an array).
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TextIO

from capplan.errors import InvalidArgument, InvalidInput, Problem, SourceUnavailable

#: A month, as everywhere in capplan (SPEC Part II): 365.25 / 12 days.
DAYS_PER_MONTH = 30.4375
SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600
HOURS = 24
#: A reader stops after this many bad values: enough to see the pattern, not a flood.
MAX_PROBLEMS = 10
#: Prometheus refuses a range query of more points than this per series.
PROMETHEUS_MAX_POINTS = 11_000
#: Seconds to wait for a live Prometheus server before giving up.
DEFAULT_TIMEOUT = 30.0
#: Significant digits of the rates in the document: far finer than any measurement.
DIGITS = 6
#: Significant digits of the growth percentage in the traffic block (4.214%).
GROWTH_DIGITS = 4
#: Largest monthly growth a topology accepts (model.MAX_GROWTH, 1000%).
MAX_GROWTH = 10.0
#: Rows between two calls of a progress callback.
PROGRESS_EVERY = 65_536

#: A row: Unix seconds (UTC), requests per second, nodes, per-node utilization (0–1).
Row = tuple[float, float, float | None, float | None]
#: A located row: the same, with the reader's spot for messages (see ``locate``).
LocatedRow = tuple[float, float, float | None, float | None, int]




def quantile(values: list[float] | array[float], q: float) -> float:
    """The *q* quantile of *values* (type 7: linear between order statistics; q=1 the max)."""
    if q >= 1:
        return max(values)
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


@dataclass(frozen=True)
class Observation:
    """What a series says about the traffic; ``to_dict()`` is the ``observe`` document."""

    samples: int
    days: int
    peak_rps: float
    peak_to_average: float
    growth: float | None
    profile: tuple[float, ...]
    capacity_rps: float | None
    quantile: float
    notes: tuple[str, ...] = ()

    def traffic_block(self) -> dict[str, Any]:
        """The ``traffic:`` mapping to paste into a topology: only keys a topology accepts.

        The profile form (its peak is the largest slot) and the growth as a percentage;
        growth is left out (a topology's default, 0) where the series cannot tell it.
        """
        block: dict[str, Any] = {"profile": list(self.profile)}
        if self.growth is not None and -1 < self.growth <= MAX_GROWTH:
            block["growth"] = growth_text(self.growth)
        return block

    def to_dict(self) -> dict[str, Any]:
        """The document: SPEC §6's keys in order, then the quantile, notes and the block."""
        return {
            "samples": self.samples,
            "days": self.days,
            "peak_rps": self.peak_rps,
            "peak_to_average": self.peak_to_average,
            "growth": self.growth,
            "profile": list(self.profile),
            "capacity_rps": self.capacity_rps,
            "quantile": self.quantile,
            "notes": list(self.notes),
            "traffic": self.traffic_block(),
        }


def growth_text(growth: float) -> str:
    """A monthly growth rate as a topology writes it: 0.042137 → '4.214%'."""
    from capplan.units import significant

    return f"{significant(growth * 100, GROWTH_DIGITS)}%"


def _rounded(value: float) -> float:
    """*value* to DIGITS significant digits: the document shows no float noise."""
    return float(f"{value:.{DIGITS}g}")


def _hour_label(hour: int) -> str:
    return f"{hour:02d}:00"


def observe_rows(rows: Iterable[Row], *, q: float = 1.0) -> Observation:  # noqa: PLR0912, PLR0915  # one pass over the rows owns every running sum
    """The statistics of a request-rate series (pure: rows in, figures out).

    *rows* are ``(timestamp, rps, nodes, utilization)`` with Unix-second timestamps (UTC);
    order does not matter here. *q* is the quantile for ``peak_rps``, each profile slot and
    each daily peak (1 = the maximum). Raises InvalidArgument for no samples, or no
    traffic above 0.
    """
    if not 0 < q <= 1:
        raise InvalidArgument(f"quantile must be more than 0 and at most 1 (got {q:g})")
    keep_values = q < 1
    # (day, hour) → the cell's maximum, or all its values when a lower quantile is asked.
    maxima: dict[tuple[int, int], float] = {}
    cells: dict[tuple[int, int], array[float]] = {}
    samples = 0
    sum_xy = sum_xx = 0.0
    capacity_rows = 0
    for timestamp, rps, nodes, utilization in rows:
        samples += 1
        day, second = divmod(math.floor(timestamp), SECONDS_PER_DAY)
        key = (day, second // SECONDS_PER_HOUR)
        if keep_values:
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = array("d")
            cell.append(rps)
        else:
            known = maxima.get(key)
            if known is None or rps > known:
                maxima[key] = rps
        if nodes is not None and utilization is not None:
            served = nodes * utilization
            sum_xy += served * rps
            sum_xx += served * served
            capacity_rows += 1
    if samples == 0:
        raise InvalidArgument("no samples to observe")

    notes: list[str] = []
    keys = sorted(cells if keep_values else maxima)

    def of(chosen: list[tuple[int, int]]) -> float:
        """The quantile of the samples in the *chosen* cells."""
        if not keep_values:
            return max(maxima[key] for key in chosen)
        import numpy as np

        # One 8-byte float per sample, sorted in C: a list would take 32 bytes a sample.
        values = np.concatenate([np.frombuffer(cells[key], dtype=np.float64)
                                 for key in chosen])
        return float(np.quantile(values, q, method="linear"))

    by_hour: dict[int, list[tuple[int, int]]] = {}
    by_day: dict[int, list[tuple[int, int]]] = {}
    for key in keys:
        by_day.setdefault(key[0], []).append(key)
        by_hour.setdefault(key[1], []).append(key)
    peak = of(keys)
    if peak <= 0:
        if q < 1:
            raise InvalidArgument(f"the {q:.6g} quantile of the samples is 0 rps: no traffic "
                                  "to plan for at that quantile; raise --quantile")
        raise InvalidArgument("every sample is 0 rps: there is no traffic to plan for")

    observed = {hour: of(chosen) for hour, chosen in by_hour.items()}
    profile, filled = _filled_profile(observed)
    if filled:
        notes.append(f"no samples in the hour{'s' if len(filled) > 1 else ''} from "
                     f"{', '.join(_hour_label(hour) for hour in filled)} UTC on any day: each "
                     "such slot takes the larger of the nearest observed hours either side")

    daily = {day: of(chosen) for day, chosen in by_day.items()}
    partial = sum(1 for chosen in by_day.values() if len(chosen) < HOURS)
    if partial and len(daily) > 1:
        notes.append(f"{partial} of {len(daily)} days have samples in fewer than 24 hours; "
                     "their peaks enter the growth fit as they are")
    growth = _growth(daily, notes)

    capacity = None
    if capacity_rows and sum_xx > 0:
        capacity = _rounded(sum_xy / sum_xx)
    elif capacity_rows:
        notes.append("capacity_rps is null: every row with nodes and utilization has "
                     "nodes × utilization = 0")
    return Observation(
        samples=samples,
        days=len(daily),
        peak_rps=_rounded(peak),
        peak_to_average=_rounded(max(profile) / math.fsum(profile) * len(profile)),
        growth=growth,
        profile=tuple(_rounded(value) for value in profile),
        capacity_rps=capacity,
        quantile=q,
        notes=tuple(notes),
    )


def _filled_profile(observed: dict[int, float]) -> tuple[list[float], list[int]]:
    """The 24 slots, an unobserved hour taking the larger of its nearest observed neighbours."""
    profile: list[float] = []
    filled: list[int] = []
    for hour in range(HOURS):
        if hour in observed:
            profile.append(observed[hour])
            continue
        before = next(observed[(hour - step) % HOURS] for step in range(1, HOURS + 1)
                      if (hour - step) % HOURS in observed)
        after = next(observed[(hour + step) % HOURS] for step in range(1, HOURS + 1)
                     if (hour + step) % HOURS in observed)
        profile.append(max(before, after))
        filled.append(hour)
    return profile, filled


def _growth(daily: dict[int, float], notes: list[str]) -> float | None:
    """Monthly growth from the least-squares line through ln(daily peak) against the day."""
    points = [(day, math.log(peak)) for day, peak in sorted(daily.items()) if peak > 0]
    if len(points) < len(daily):
        notes.append(f"{len(daily) - len(points)} day(s) with a peak of 0 rps are left out "
                     "of the growth fit (a logarithm needs traffic)")
    if len(points) < 2:  # a line needs two points
        notes.append(f"growth is null: it needs samples on at least 2 UTC days with traffic "
                     f"(got {len(points)}); the traffic block leaves growth out (0)")
        return None
    mean_day = math.fsum(day for day, _ in points) / len(points)
    mean_log = math.fsum(value for _, value in points) / len(points)
    slope = math.fsum((day - mean_day) * (value - mean_log) for day, value in points) / \
        math.fsum((day - mean_day) ** 2 for day, _ in points)
    # A rate past e^709 a month overflows a float; it is far past MAX_GROWTH anyway.
    growth = math.expm1(slope * DAYS_PER_MONTH) if slope * DAYS_PER_MONTH < 700 else math.inf
    if not -1 < growth <= MAX_GROWTH:
        notes.append(f"growth {growth:.4g} per month is beyond what a topology accepts "
                     "(above -100%, at most 1000%): the traffic block leaves it out")
    return growth


# --- readers ------------------------------------------------------------------------------


@dataclass
class _Problems:
    """Bad values found so far; raised together once MAX_PROBLEMS are found or at the end."""

    filename: str
    found: list[Problem] = field(default_factory=list)

    def add(self, line: int, column: int, message: str) -> None:
        self.found.append(Problem(self.filename, line, column, message))
        if len(self.found) >= MAX_PROBLEMS:
            raise InvalidInput([*self.found, Problem(
                self.filename, line, column, f"stopping after {MAX_PROBLEMS} problems")])

    def raise_any(self) -> None:
        if self.found:
            raise InvalidInput(self.found)


def _rate(text: str) -> float:
    """A non-negative finite number from *text*; ValueError with the reason otherwise."""
    try:
        value = float(text)
    except ValueError:
        from capplan.units import NumberError, parse_number

        try:
            value = float(parse_number(text))  # 1.2k, 40M: as a topology writes numbers
        except NumberError as error:
            raise ValueError(str(error)) from None
    if not math.isfinite(value):
        raise ValueError(f"'{text}' is not a finite number")
    if value < 0:
        raise ValueError(f"{text} is negative")
    return value


def _utilization(text: str) -> float:
    """A share in [0, 1] from ``0.8`` or ``80%``; a bare 80 is refused as 8000%."""
    stripped = text.strip()
    if stripped.endswith("%"):
        value = _rate(stripped[:-1]) / 100
    else:
        value = _rate(stripped)
        if value > 1:
            raise ValueError(f"{stripped} means {value * 100:g}%; write {value / 100:g} or "
                             f"{stripped}% for {stripped}%")
    if value > 1:
        raise ValueError(f"{stripped} is above 100%")
    return value


class Source:
    """A located series: rows with a spot each, and where a spot is in the file."""

    filename: str
    #: Timestamps read without a UTC offset (taken as UTC, said in a note).
    naive: int = 0
    #: Counter resets met by :func:`located_series` (a drop in a cumulative count).
    resets: int = 0

    def notes(self) -> list[str]:
        """What reading the series assumed, for the document's notes."""
        notes = []
        if self.naive:
            notes.append(f"{self.naive} timestamp(s) without a UTC offset were read as UTC")
        if self.resets:
            notes.append(f"{self.resets} counter reset(s) (the count dropped) read as "
                         "restarts from 0")
        return notes

    def rows(self) -> Iterator[LocatedRow]:
        """The rows as the source holds them."""
        raise NotImplementedError

    def locate(self, spot: int) -> tuple[int, int]:
        """(line, column) of a row's spot."""
        raise NotImplementedError


class CsvSource(Source):
    """A CSV with a header, streamed line by line; spots are line numbers.

    Columns: ``timestamp``, ``rps`` (``requests``, a cumulative count, with a counter) and
    optionally ``nodes`` and ``utilization``; other columns are ignored.
    """

    def __init__(self, lines: Iterable[str], filename: str, *, counter: bool = False) -> None:
        """Read *lines* (a file object streams) named *filename*."""
        self.lines = lines
        self.filename = filename
        self.value_column = "requests" if counter else "rps"

    def locate(self, spot: int) -> tuple[int, int]:
        """(line, 1): a row's problem starts at its line."""
        return spot, 1

    def _header(self, numbered: Iterator[tuple[int, str]]) -> dict[str, int]:
        for number, line in numbered:
            if not line.strip():
                continue
            names = [name.strip().lower() for name in _fields(line.lstrip("\ufeff"))]
            columns = {name: index for index, name in reversed(list(enumerate(names)))}
            for needed in ("timestamp", self.value_column):
                if needed not in columns:
                    hint = ""
                    if needed == "requests":
                        hint = " (--counter reads a cumulative count of requests)"
                    elif "requests" in columns:
                        hint = " (for a cumulative 'requests' column, use --counter)"
                    raise InvalidInput([Problem(self.filename, number, 1,
                                                f"no '{needed}' column{hint}; the header has: "
                                                f"{', '.join(names)}")])
            return columns
        raise InvalidInput([Problem(self.filename, 1, 1, "empty file: expected a header "
                                    f"line 'timestamp,{self.value_column}'")])

    def rows(self) -> Iterator[LocatedRow]:
        """Each data line as a row; bad values are collected and raised together."""
        numbered = enumerate(self.lines, start=1)
        problems = _Problems(self.filename)
        number = 0
        try:
            columns = self._header(numbered)
            at_time, at_value = columns["timestamp"], columns[self.value_column]
            at_nodes, at_use = columns.get("nodes"), columns.get("utilization")
            width = max(columns.values()) + 1
            for number, line in numbered:
                fields = _fields(line)
                if len(fields) < width:
                    if not line.strip():
                        continue
                    problems.add(number, len(line.rstrip("\r\n")) + 1,
                                 f"{len(fields)} field(s); the header needs {width}")
                    continue
                try:
                    timestamp = self._timestamp(fields[at_time])
                except ValueError as error:
                    problems.add(number, _column(fields, at_time), str(error))
                    continue
                try:
                    value = _rate(fields[at_value])
                except ValueError as error:
                    problems.add(number, _column(fields, at_value),
                                 f"{self.value_column}: {error}")
                    continue
                nodes = utilization = None
                if at_nodes is not None and fields[at_nodes].strip():
                    try:
                        nodes = _rate(fields[at_nodes])
                    except ValueError as error:
                        problems.add(number, _column(fields, at_nodes), f"nodes: {error}")
                        continue
                if at_use is not None and fields[at_use].strip():
                    try:
                        utilization = _utilization(fields[at_use])
                    except ValueError as error:
                        problems.add(number, _column(fields, at_use), f"utilization: {error}")
                        continue
                yield timestamp, value, nodes, utilization, number
        except UnicodeDecodeError as error:
            # The line after the last one read whole holds the bad bytes.
            raise InvalidInput([*problems.found, Problem(
                self.filename, number + 1, 1, f"not UTF-8 text ({error.reason})")]) from None
        problems.raise_any()

    def _timestamp(self, text: str) -> float:
        """Unix seconds from a number, or from ISO 8601 (no offset: UTC, counted)."""
        text = text.strip()
        try:
            seconds = float(text)
        except ValueError:
            pass
        else:
            if not math.isfinite(seconds):
                raise ValueError(f"timestamp '{text}' is not a finite number")
            return seconds
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"timestamp '{text}' is neither ISO 8601 "
                             "(2024-05-01T13:00:00Z) nor Unix seconds") from None
        if moment.tzinfo is None:
            self.naive += 1
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()


def _fields(line: str) -> list[str]:
    """A CSV line's fields; plain lines are split directly (fast), quoted ones by csv."""
    line = line.rstrip("\r\n")
    if '"' not in line:
        return line.split(",")
    import csv

    return next(csv.reader([line]), [])


def _column(fields: list[str], index: int) -> int:
    """1-based column where field *index* starts (exact for unquoted lines)."""
    return sum(len(text) + 1 for text in fields[:index]) + 1


class _Json:
    """A cursor over JSON text that walks containers and decodes the leaves it is asked for.

    It keeps offsets, so a bad sample in a response is located by line and column, and a
    long response is never held twice (as text and as a tree of lists).
    """

    _SPACE = re.compile(r"[ \t\n\r]*")

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.position = 0
        self.decoder = json.JSONDecoder()

    def locate(self, position: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, position) + 1
        return line, position - (self.text.rfind("\n", 0, position) + 1) + 1

    def problem(self, message: str, position: int | None = None) -> InvalidInput:
        line, column = self.locate(self.position if position is None else position)
        return InvalidInput([Problem(self.filename, line, column, message)])

    def skip(self) -> int:
        match = self._SPACE.match(self.text, self.position)
        self.position = match.end() if match else self.position
        return self.position

    def expect(self, char: str, what: str) -> None:
        self.skip()
        if not self.text.startswith(char, self.position):
            found = self.text[self.position:self.position + 1] or "the end"
            raise self.problem(f"expected {what} ('{char}'), found '{found}'")
        self.position += 1

    def value(self) -> Any:
        self.skip()
        try:
            decoded, self.position = self.decoder.raw_decode(self.text, self.position)
        except json.JSONDecodeError as error:
            raise self.problem(f"not JSON: {error.msg}", error.pos) from None
        return decoded

    def members(self, what: str) -> Iterator[str]:
        """Each key of an object; the caller reads (or skips) its value before the next."""
        self.expect("{", what)
        if self.skip() < len(self.text) and self.text[self.position] == "}":
            self.position += 1
            return
        while True:
            start = self.skip()
            key = self.value()
            if not isinstance(key, str):
                raise self.problem("expected a key (a string)", start)
            self.expect(":", "a colon")
            yield key
            self.skip()
            if self.text.startswith(",", self.position):
                self.position += 1
                continue
            self.expect("}", f"the end of {what}")
            return

    def items(self, what: str) -> Iterator[int]:
        """The offset of each element of an array; the caller reads it before the next."""
        self.expect("[", what)
        if self.skip() < len(self.text) and self.text[self.position] == "]":
            self.position += 1
            return
        while True:
            yield self.skip()
            self.skip()
            if self.text.startswith(",", self.position):
                self.position += 1
                continue
            self.expect("]", f"the end of {what}")
            return


class PrometheusSource(Source):
    """A Prometheus ``/api/v1/query_range`` response: one series (a matrix of one).

    Spots are offsets in the text. Several series are refused (sum them in the query), an
    instant query's vector too; a status other than success shows Prometheus's own error.
    """

    def __init__(self, text: str, filename: str) -> None:
        """Read the response *text*, named *filename* in messages."""
        self.cursor = _Json(text, filename)
        self.filename = filename

    def locate(self, spot: int) -> tuple[int, int]:
        """(line, column) of the sample at offset *spot*."""
        return self.cursor.locate(spot)

    def rows(self) -> Iterator[LocatedRow]:
        """Each sample of the one series."""
        cursor = self.cursor
        status: object = None
        error: dict[str, object] = {}
        problems = _Problems(self.filename)
        for key in cursor.members("a Prometheus response object"):
            if key == "data":
                yield from self._data(problems)
            elif key == "status":
                status = cursor.value()
            elif key in ("error", "errorType"):
                error[key] = cursor.value()
            else:
                cursor.value()
        if status != "success":
            said = ": ".join(str(error[key]) for key in ("errorType", "error") if key in error)
            raise InvalidInput([Problem(self.filename, 1, 1, f"Prometheus answered status "
                                        f"{json.dumps(status)}{': ' + said if said else ''}")])
        problems.raise_any()

    def _data(self, problems: _Problems) -> Iterator[LocatedRow]:
        cursor = self.cursor
        for key in cursor.members("the data object"):
            if key == "resultType":
                start = cursor.skip()
                kind = cursor.value()
                if kind != "matrix":
                    raise cursor.problem(f"resultType is {json.dumps(kind)}, not \"matrix\": "
                                         "ask /api/v1/query_range, not /api/v1/query", start)
            elif key == "result":
                for index, start in enumerate(cursor.items("the result list")):
                    if index:
                        raise cursor.problem("the response holds more than one series; sum "
                                             "them in the query, e.g. "
                                             "sum(rate(http_requests_total[5m]))", start)
                    yield from self._series(problems)
            else:
                cursor.value()

    def _series(self, problems: _Problems) -> Iterator[LocatedRow]:
        cursor = self.cursor
        for key in cursor.members("a series"):
            if key != "values":
                if key == "histograms":
                    raise cursor.problem("native histograms are not a request rate; query a "
                                         "rate, e.g. sum(rate(http_requests_total[5m]))")
                cursor.value()
                continue
            for start in cursor.items("the values list"):
                pair = cursor.value()
                if not (isinstance(pair, list) and len(pair) == 2
                        and isinstance(pair[0], int | float) and not isinstance(pair[0], bool)
                        and isinstance(pair[1], str)):
                    line, column = cursor.locate(start)
                    problems.add(line, column, "expected a sample [unix_seconds, \"value\"]")
                    continue
                try:
                    value = _rate(pair[1])
                except ValueError as error:
                    line, column = cursor.locate(start)
                    problems.add(line, column, f"value: {error}")
                    continue
                yield float(pair[0]), value, None, None, start


def located_series(source: Source, *, counter: bool = False,
                   progress: Callable[[int], None] | None = None) -> Iterator[Row]:
    """*source*'s rows, checked in order, as rates (from a counter when *counter*).

    Refuses a timestamp that repeats or goes back, naming both rows; refuses a source with
    no samples. Calls *progress* with the rows read so far every PROGRESS_EVERY rows.
    """
    previous: LocatedRow | None = None
    read = 0
    resets = 0
    for row in source.rows():
        read += 1
        if progress is not None and read % PROGRESS_EVERY == 0:
            progress(read)
        if previous is not None and row[0] <= previous[0]:
            line, column = source.locate(row[4])
            earlier, _ = source.locate(previous[4])
            said = "repeats" if row[0] == previous[0] else "goes back from"
            raise InvalidInput([Problem(
                source.filename, line, column,
                f"timestamp {_moment(row[0])} {said} line {earlier}'s ({_moment(previous[0])}): "
                "each timestamp once, in increasing order (sort the series)")])
        if counter:
            if previous is not None:
                increase = row[1] - previous[1]
                if increase < 0:
                    resets += 1
                    increase = row[1]  # a restarted counter counts from 0
                yield row[0], increase / (row[0] - previous[0]), row[2], row[3]
        else:
            yield row[0], row[1], row[2], row[3]
        previous = row
    if read < (2 if counter else 1):
        needed = "two samples (a counter's rate is a difference)" if counter else "a sample"
        raise InvalidInput([Problem(source.filename, 1, 1, f"no rate to observe: the series "
                                    f"needs at least {needed} (got {read})")])
    if progress is not None:
        progress(read)
    source.resets = resets


def _moment(seconds: float) -> str:
    """Unix seconds as ISO 8601 UTC for messages."""
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, ValueError, OSError):
        return f"{seconds:g}"


def observe_source(source: Source, *, q: float = 1.0, counter: bool = False,
                   progress: Callable[[int], None] | None = None) -> Observation:
    """The observation of a located *source*, with the reader's notes first."""
    observation = observe_rows(located_series(source, counter=counter, progress=progress),
                               q=q)
    return replace(observation, notes=(*source.notes(), *observation.notes))


def observe_file(path: str, *, prometheus: bool = False, q: float = 1.0,
                 counter: bool = False,
                 progress: Callable[[int], None] | None = None) -> Observation:
    """Observe a CSV file (streamed line by line) or a saved Prometheus response."""
    from capplan.errors import reading

    with reading(path, "a series"), open(path, encoding="utf-8-sig", newline="") as handle:
        if prometheus:
            try:
                text = handle.read()
            except UnicodeDecodeError as error:
                raise InvalidInput([Problem(path, 1, 1, f"not UTF-8 text ({error.reason})")]
                                   ) from None
            return observe_source(PrometheusSource(text, path), q=q, counter=counter,
                                  progress=progress)
        return observe_source(CsvSource(handle, path, counter=counter), q=q,
                              counter=counter, progress=progress)


# --- a live Prometheus --------------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800,
                 "y": 31557600}


def duration_seconds(text: str, name: str) -> float:
    """Seconds in a Prometheus duration (``30d``, ``1h30m``, ``5m``) or a bare number."""
    stripped = text.strip()
    try:
        seconds = float(stripped)
    except ValueError:
        parts = _DURATION.findall(stripped)
        if not parts or "".join(amount + unit for amount, unit in parts) != stripped:
            raise InvalidArgument(f"{name}: '{text}' is not a duration (e.g. 30d, 5m, 1h30m)"
                                  ) from None
        seconds = sum(float(amount) * _UNIT_SECONDS[unit] for amount, unit in parts)
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidArgument(f"{name}: '{text}' must be a duration above 0")
    return seconds


def query_url(url: str, query: str, *, range_seconds: float, step_seconds: float,
              end: float) -> str:
    """The ``/api/v1/query_range`` address for *query* over the *range_seconds* to *end*."""
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidArgument(f"--url: '{url}' is not an http(s) address "
                              "(e.g. http://prometheus:9090)")
    points = range_seconds / step_seconds
    if points > PROMETHEUS_MAX_POINTS:
        raise InvalidArgument(
            f"--range / --step asks for {points:.0f} points; Prometheus answers at most "
            f"{PROMETHEUS_MAX_POINTS:,} per series: use --step "
            f"{math.ceil(range_seconds / PROMETHEUS_MAX_POINTS)}s or more")
    arguments = urlencode({"query": query, "start": f"{end - range_seconds:.3f}",
                           "end": f"{end:.3f}", "step": f"{step_seconds:g}"})
    return f"{url.rstrip('/')}/api/v1/query_range?{arguments}"


def fetch(address: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The body of a GET of *address*; SourceUnavailable on any HTTP or network failure."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(address, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read()
    except urllib.error.HTTPError as error:
        said = _prometheus_error(error.read())
        raise SourceUnavailable(f"Prometheus answered HTTP {error.code} {error.reason}"
                                f"{': ' + said if said else ''} ({address})") from None
    except TimeoutError:
        raise SourceUnavailable(f"no answer within {timeout:g} s from {address}") from None
    except urllib.error.URLError as error:
        raise SourceUnavailable(f"cannot reach {address}: {error.reason}") from None
    except OSError as error:
        raise SourceUnavailable(f"cannot reach {address}: {error}") from None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceUnavailable(f"the answer from {address} is not UTF-8 text") from None


def _prometheus_error(body: bytes) -> str:
    """Prometheus's own words from an error body ({"error": …}), else the body's start."""
    try:
        said = json.loads(body)
        return str(said.get("error") or "") if isinstance(said, dict) else ""
    except (ValueError, UnicodeDecodeError):
        return body[:200].decode("utf-8", "replace").strip()


def query_prometheus(url: str, query: str, *, range_text: str = "30d", step_text: str = "5m",
                     q: float = 1.0, counter: bool = False, end: float | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> Observation:
    """Ask a live Prometheus for *query* over the last *range_text* and observe the answer."""
    range_seconds = duration_seconds(range_text, "--range")
    step_seconds = duration_seconds(step_text, "--step")
    address = query_url(url, query, range_seconds=range_seconds, step_seconds=step_seconds,
                        end=time.time() if end is None else end)
    text = fetch(address, timeout=timeout)
    return observe_source(PrometheusSource(text, url), q=q, counter=counter)


# --- progress -----------------------------------------------------------------------------


class Progress:
    """Rows read so far, on a terminal only, once the work has taken *delay* seconds.

    Written over one line (a carriage return) at most every *interval* seconds, ended by
    :meth:`done`. Nothing at all when *stream* is not a terminal: logs and pipes stay clean.
    """

    def __init__(self, label: str, stream: TextIO | None = None, *, delay: float = 2.0,
                 interval: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        """Report on *stream* (default: standard error) about *label*."""
        self.stream = sys.stderr if stream is None else stream
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = label
        self.clock = clock
        self.start = clock()
        self.next = self.start + delay
        self.interval = interval
        self.shown = False

    def say(self, message: str) -> None:
        """A one-off line (e.g. before a live query), on a terminal only."""
        if self.active:
            self.stream.write(f"capplan: {message}\n")
            self.stream.flush()

    def __call__(self, rows: int) -> None:
        """Rows read so far."""
        if not self.active:
            return
        now = self.clock()
        if now < self.next:
            return
        self.next = now + self.interval
        self.shown = True
        self.stream.write(f"\rcapplan: {self.label}: {rows:,} samples read")
        self.stream.flush()

    def done(self) -> None:
        """End the progress line, if one was shown."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False
