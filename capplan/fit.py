"""The Universal Scalability Law fitted to load-test measurements (SPEC §6, ``capplan fit``).

``X(N) = λN / (1 + σ(N−1) + κN(N−1))`` by nonlinear least squares on the measured
throughput (scipy's trust-region reflective solver, σ, κ ≥ 0, λ > 0), the same objective
as R's ``usl`` (``nls``) and codahale/usl (Levenberg–Marquardt). Two steps, both pure:

* reading: CSV text (a stream of lines) → located :class:`Measurements`; every refusal is
  an :class:`~capplan.errors.InvalidInput` at ``FILE:LINE:COL`` with the fix;
* fitting: measurements → :class:`Fit`, whose ``to_dict()`` is the document
  ``capplan fit --format json`` prints. The peak (``n_max``, ``x_max``) comes from the exact
  law in :mod:`capplan.usl`, not from floats.

numpy and scipy are imported inside the functions that fit, so the command line's start-up
does not pay for them.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TextIO

from capplan.errors import InvalidInput, Problem
from capplan.usl import Law

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

#: Data rows read at most: a load test has tens of levels, a raw log some thousands; past
#: this the file is not what the fit expects, and memory stays bounded on hostile input.
MAX_ROWS = 100_000
#: Characters in one line at most (a wide JMeter report is under 2,000).
MAX_LINE_CHARS = 65_536
#: Problems reported at most before reading stops: the first ones show what is wrong.
MAX_PROBLEMS = 20
#: σ, κ and λ: three coefficients need measurements at three different levels.
COEFFICIENTS = ("sigma", "kappa", "lambda")
#: Significant digits of the coefficients printed and pasted: their standard errors are
#: percents, so seven digits lose nothing a plan could feel.
DIGITS = 7
MIN_LEVELS = len(COEFFICIENTS)
#: Default columns: the concurrency (either name, the first found) and the throughput.
X_COLUMNS = ("concurrency", "nodes")
Y_COLUMN = "throughput"
#: The largest concurrency read: past it N² loses the precision the fit needs, and no
#: load test runs a billion clients.
MAX_CONCURRENCY = 10**9
#: Solver evaluations at most; the Cisco data needs about 10.
MAX_EVALUATIONS = 1_000
#: Levels named in a retrograde note at most.
NAMED_LEVELS = 10
#: The file name of measurements given in Python (:func:`fit_points`).
NO_FILE = "<points>"


@dataclass(frozen=True)
class Measurement:
    """One row: throughput measured at a concurrency, and the line it was read from."""

    nodes: float
    throughput: float
    line: int


@dataclass(frozen=True)
class Measurements:
    """What a CSV held, with where to point when the data as a whole is refused."""

    filename: str
    points: tuple[Measurement, ...]
    header_line: int = 0
    y_column: int = 0


@dataclass(frozen=True)
class FittedPoint:
    """One measurement beside the fitted curve."""

    nodes: float
    throughput: float
    fitted: float

    @property
    def residual(self) -> float:
        """(measured − fitted) / fitted: how far the measurement sits from the curve."""
        return (self.throughput - self.fitted) / self.fitted


@dataclass(frozen=True)
class Fit:
    """The fitted law, its uncertainty, and what the fit had to decide (``notes``)."""

    sigma: float
    kappa: float
    lam: float
    #: Standard errors of σ, κ, λ; None where there is none (a bound coefficient, or as many
    #: levels as coefficients).
    stderr: tuple[float | None, float | None, float | None]
    r_squared: float | None
    points: tuple[FittedPoint, ...]
    notes: tuple[str, ...]

    @property
    def law(self) -> Law:
        """The fitted coefficients as an exact law (each float's exact binary value)."""
        return Law(Fraction(self.sigma), Fraction(self.kappa), Fraction(self.lam))

    @property
    def n_max(self) -> int | None:
        """⌊√((1−σ)/κ)⌋; None when κ = 0."""
        return self.law.n_max

    @property
    def x_max(self) -> float | None:
        """X at the better of ⌊·⌋ and ⌈·⌉ of the turning point; None when κ = 0."""
        peak = self.law.x_max
        return None if peak is None else float(peak)

    def to_dict(self) -> dict[str, Any]:
        """The ``capplan fit`` document (SPEC §6 key order, then ``notes``)."""
        coefficients = {"sigma": self.sigma, "kappa": self.kappa, "lambda": self.lam}
        return {
            **coefficients,
            "stderr": dict(zip(COEFFICIENTS, self.stderr, strict=True)),
            "r_squared": self.r_squared,
            "n_max": self.n_max,
            "x_max": self.x_max,
            "points": [{"n": _count(point.nodes), "throughput": point.throughput,
                        "fitted": point.fitted} for point in self.points],
            "scaling": {"usl": dict(coefficients)},
            "notes": list(self.notes),
        }


# --- reading -------------------------------------------------------------------------------


def fit_file(path: str | os.PathLike[str], *, x: str | None = None,
             y: str | None = None) -> Fit:
    """The law fitted to the CSV file *path* (columns *x*, *y*; see :func:`read_csv`)."""
    name = os.fspath(path)
    from capplan.errors import reading

    # utf-8-sig: spreadsheets save CSV with a byte-order mark.
    with reading(name, "a CSV file"), open(name, encoding="utf-8-sig") as stream:
        measurements = read_csv(stream, name, x=x, y=y)
    return fit_measurements(measurements)


def fit_text(text: str, name: str = "<string>", *, x: str | None = None,
             y: str | None = None) -> Fit:
    """The law fitted to CSV *text*; problems are located in a file called *name*."""
    return fit_stream(io.StringIO(text), name, x=x, y=y)


def fit_stream(stream: TextIO, name: str, *, x: str | None = None,
               y: str | None = None) -> Fit:
    """The law fitted to the CSV read from *stream* (standard input, an open file)."""
    return fit_measurements(read_csv(stream, name, x=x, y=y))


def fit_points(points: Iterable[tuple[float, float]]) -> Fit:
    """The law fitted to ``(concurrency, throughput)`` pairs given in Python.

    A refused value is an InvalidInput in the file ``<points>`` whose line is the pair's
    position (from 1) and whose column is 1 for the concurrency, 2 for the throughput.
    """
    measured: list[Measurement] = []
    problems: list[Problem] = []
    for position, (nodes, throughput) in enumerate(points, start=1):
        values = []
        for column, (label, value) in enumerate((("concurrency", nodes),
                                                 ("throughput", throughput)), start=1):
            number, message = _value(label, value)
            if message is not None:
                problems.append(Problem(NO_FILE, position, column, message))
            values.append(number)
        measured.append(Measurement(values[0], values[1], position))
    if problems:
        raise InvalidInput(problems)
    return fit_measurements(Measurements(NO_FILE, tuple(measured)))


def read_csv(stream: TextIO, name: str, *, x: str | None = None,
             y: str | None = None) -> Measurements:
    """The measurements in a CSV with a header, every refusal located at ``name:LINE:COL``.

    *x* names the concurrency column (default ``concurrency``, else ``nodes``), *y* the
    throughput column (default ``throughput``); names match without regard to case or
    surrounding spaces. Blank lines are skipped. At most MAX_ROWS data rows and
    MAX_LINE_CHARS characters per line are read, so memory stays bounded.
    """
    lines = _lines(stream, name)
    header = next(((number, line) for number, line in lines if line.strip()), None)
    if header is None:
        raise InvalidInput([Problem(name, 1, 1, "empty file: expected a header such as "
                                    "'concurrency,throughput' and a row per measurement")])
    header_line, header_text = header
    header_text = header_text.removeprefix("\ufeff")  # a byte-order mark read as text
    x_index, y_index, x_label, y_label, columns = _columns(name, header_line, header_text, x,
                                                           y)
    points: list[Measurement] = []
    problems: list[Problem] = []
    for number, line in lines:
        if not line.strip():
            continue
        if len(points) == MAX_ROWS:
            problems.append(Problem(name, number, 1, f"more than {MAX_ROWS:,} rows: capplan "
                                    "fits at most that many; average the repeated runs at "
                                    "each level first"))
            break
        row = _row(name, number, line, ((x_index, x_label, "concurrency"),
                                        (y_index, y_label, "throughput")), columns)
        if isinstance(row, Measurement):
            points.append(row)
        else:
            problems.extend(row)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InvalidInput(problems[:MAX_PROBLEMS])
    return Measurements(name, tuple(points), header_line, columns[y_index][1])


def _lines(stream: TextIO, name: str) -> Iterator[tuple[int, str]]:
    """(line number, text without its end) of each line, refusing what is no CSV text."""
    number = 0
    while True:
        number += 1
        try:
            line = stream.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError:
            raise InvalidInput([Problem(name, number, 1, "not UTF-8 text: save the file as "
                                        "UTF-8 CSV")]) from None
        if not line:
            return
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            raise InvalidInput([Problem(name, number, 1, f"line longer than "
                                        f"{MAX_LINE_CHARS:,} characters: not a CSV of "
                                        "measurements")])
        if "\x00" in line:
            raise InvalidInput([Problem(name, number, line.index("\x00") + 1,
                                        "a NUL character: this is a binary file, not CSV")])
        yield number, line.rstrip("\r\n")


#: A parsed line: each field's text and the column (from 1) where it starts.
Fields = list[tuple[str, int]]


def _fields(line: str) -> Fields | int:
    """The comma-separated fields of *line* (RFC 4180 quotes on one line).

    Returns the column of an opening quote that is never closed instead.
    """
    fields: Fields = []
    start = 0
    while True:
        if line.startswith('"', start):
            text, after = _quoted(line, start + 1)
            if after < 0:
                return start + 1
            comma = line.find(",", after)
            text += line[after:] if comma < 0 else line[after:comma]
        else:
            comma = line.find(",", start)
            text = line[start:] if comma < 0 else line[start:comma]
        fields.append((text, start + 1))
        if comma < 0:
            return fields
        start = comma + 1


def _quoted(line: str, start: int) -> tuple[str, int]:
    """The text of a quoted field opened before *start*, and the index after its end quote.

    The index is -1 when the quote is never closed on this line.
    """
    parts = []
    while True:
        end = line.find('"', start)
        if end < 0:
            return "", -1
        parts.append(line[start:end])
        if line.startswith('"', end + 1):  # "" is a quote inside the field
            parts.append('"')
            start = end + 2
            continue
        return "".join(parts), end + 1


def _columns(name: str, line: int, text: str, x: str | None,
             y: str | None) -> tuple[int, int, str, str, Fields]:
    """Which fields hold the concurrency and the throughput: (x, y, their labels, header)."""
    fields = _fields(text)
    if isinstance(fields, int):
        raise InvalidInput([Problem(name, line, fields, "a quote that is never closed in "
                                    "the header")])
    keys = [field.strip().casefold() for field, _ in fields]
    shown = ", ".join(field.strip() for field, _ in fields)
    if len(fields) == 1 and any(mark in text for mark in (";", "\t")):
        raise InvalidInput([Problem(name, line, 1, f"the header is one column "
                                    f"'{_clip(text.strip())}': capplan reads comma-separated "
                                    "values; save the file with commas between columns")])
    wanted_x = (x,) if x is not None else X_COLUMNS
    x_index = next((keys.index(key.strip().casefold()) for key in wanted_x
                    if key.strip().casefold() in keys), None)
    wanted_y = y if y is not None else Y_COLUMN
    y_index = keys.index(wanted_y.strip().casefold()) \
        if wanted_y.strip().casefold() in keys else None
    problems = []
    if x_index is None:
        names = " or ".join(f"'{key}'" for key in wanted_x)
        problems.append(Problem(name, line, 1, f"no column {names} (the header has: {shown})"
                                f"; name the concurrency column with --x COLUMN"))
    if y_index is None:
        problems.append(Problem(name, line, 1, f"no column '{wanted_y}' (the header has: "
                                f"{shown}); name the throughput column with --y COLUMN"))
    for index in (x_index, y_index):
        if index is None:
            continue
        twice = [column for key, (_, column) in zip(keys, fields, strict=True)
                 if key == keys[index]]
        if len(twice) > 1:
            problems.append(Problem(name, line, twice[1], f"column '{fields[index][0].strip()}'"
                                    f" appears {len(twice)} times (at columns "
                                    f"{', '.join(map(str, twice))}): rename the others so "
                                    "the fit knows which to read"))
    if x_index is not None and x_index == y_index:
        problems.append(Problem(name, line, fields[x_index][1], f"--x and --y both name "
                                f"'{fields[x_index][0].strip()}': the concurrency and the "
                                "throughput need a column each"))
    if problems or x_index is None or y_index is None:
        raise InvalidInput(sorted(set(problems)))
    return x_index, y_index, fields[x_index][0].strip(), fields[y_index][0].strip(), fields


def _row(name: str, line: int, text: str, wanted: tuple[tuple[int, str, str], ...],
         header: Fields) -> Measurement | list[Problem]:
    """One data row as a measurement, or what is wrong with it."""
    fields = _fields(text)
    if isinstance(fields, int):
        return [Problem(name, line, fields, "a quote that is never closed on this line")]
    problems = []
    values = []
    for index, label, role in wanted:
        if index >= len(fields):
            problems.append(Problem(name, line, len(text) + 1, f"no {label} value: this row "
                                    f"has {len(fields)} of the header's {len(header)} "
                                    f"fields; add the {label}, or delete the row"))
            continue
        field, column = fields[index]
        value, message = _value(label, field, role)
        if message is not None:
            problems.append(Problem(name, line, column, message))
        values.append(value)
    if problems:
        return problems
    return Measurement(values[0], values[1], line)


def _value(label: str, given: object, role: str | None = None) -> tuple[float, str | None]:
    """*given* as a positive finite float, or a message saying what to write instead.

    *label* is the column's name as the file spells it; *role* what it holds
    (``concurrency`` or ``throughput``), when that differs.
    """
    if isinstance(given, str):
        shown = given.strip()
        if not shown:
            return math.nan, f"empty {label}: write a number such as 955.16, or delete the row"
        try:
            value = float(shown)
        except ValueError:
            return math.nan, (f"{label} '{_clip(shown)}' is not a number: write a plain "
                              "number such as 955.16 (no units or thousands separators), or "
                              "delete the row")
    elif isinstance(given, int | float | Fraction) and not isinstance(given, bool):
        shown, value = str(given), float(given)
    else:
        shown, value = repr(given), math.nan
    if not math.isfinite(value):
        return value, f"{label} '{shown}' is not a finite number: delete the row"
    if value <= 0:
        reason = ("the law counts from 1 node or user" if (role or label) == "concurrency"
                  else "a run that carried nothing failed")
        return value, f"{label} {shown} must be more than 0 ({reason}): delete the row"
    if (role or label) == "concurrency" and value > MAX_CONCURRENCY:
        return value, (f"{label} {shown} is more than {MAX_CONCURRENCY:,}: is this the "
                       "concurrency column? Choose it with --x COLUMN")
    return value, None


def _clip(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[:most] + "…"


# --- fitting -------------------------------------------------------------------------------


def fit_measurements(measurements: Measurements) -> Fit:
    """The least-squares law through *measurements*; InvalidInput when it cannot be fitted.

    Deterministic: the starting point is the linear least-squares solution of
    ``N/X = a + bN + cN²`` (Gunther's quadratic form of the same law), so the same rows give
    the same bytes.
    """
    import numpy as np

    name = measurements.filename
    where = (name, measurements.header_line, measurements.y_column)
    rows = measurements.points
    levels = sorted({point.nodes for point in rows})
    if len(rows) < MIN_LEVELS or len(levels) < MIN_LEVELS:
        found = (f"{len(rows)} measurement{'s' * (len(rows) != 1)}" if len(rows) < MIN_LEVELS
                 else f"measurements at {len(levels)} concurrency levels only "
                      f"({', '.join(_show(level) for level in levels)})")
        raise InvalidInput([Problem(*where, f"{found}: fitting σ, κ and λ needs measurements "
                                    f"at {MIN_LEVELS} or more different concurrency levels; "
                                    "add rows")])
    nodes = np.array([point.nodes for point in rows], dtype=np.float64)
    throughput = np.array([point.throughput for point in rows], dtype=np.float64)
    solved = _solve(nodes, throughput)
    if isinstance(solved, str):
        raise InvalidInput([Problem(*where, f"the USL fit failed: {solved}; check that the "
                                    "columns are concurrency and throughput (rps) of one "
                                    "system")])
    sigma, kappa, lam, bound = solved
    with np.errstate(all="ignore"):
        fitted = _model(np.array([sigma, kappa, lam]), nodes)
        residuals = throughput - fitted
        rss = float(residuals @ residuals)
        deviations = throughput - throughput.mean()
        tss = float(deviations @ deviations)
    if not (math.isfinite(rss) and math.isfinite(tss) and np.all(np.isfinite(fitted))
            and np.all(fitted > 0)):
        raise InvalidInput([Problem(*where, "the USL fit failed: the throughput spans more "
                                    "than floating point can square; check the column")])
    notes = []
    if min(levels) > 1:
        notes.append(f"no measurement at 1 node: lambda ({lam:.6g}, one node's rate) is "
                     f"extrapolated by the fit from {_show(min(levels))} and up, not measured")
    if bound[0]:
        notes.append("sigma bounded at 0: throughput grows faster than linearly here "
                     "(superlinear, e.g. caches warming up), which the USL does not model")
    if bound[1]:
        notes.append("kappa bounded at 0: the measurements show no coherency delay; n_max "
                     "and x_max are null")
    stderr, why = _stderr(nodes, residuals, (sigma, kappa, lam), bound)
    if why:
        notes.append(why)
    if tss == 0:
        notes.append("every throughput is the same: r_squared is null")
    law = Law(Fraction(sigma), Fraction(kappa), Fraction(lam))
    notes.extend(_retrograde(law, levels))
    return Fit(sigma, kappa, lam, stderr, None if tss == 0 else 1 - rss / tss,
               tuple(FittedPoint(point.nodes, point.throughput, float(value))
                     for point, value in zip(rows, fitted, strict=True)), tuple(notes))


def _model(coefficients: FloatArray, nodes: FloatArray) -> FloatArray:
    sigma, kappa, lam = coefficients
    result: FloatArray = lam * nodes / (1 + sigma * (nodes - 1) + kappa * nodes * (nodes - 1))
    return result


def _jacobian(coefficients: FloatArray, nodes: FloatArray) -> FloatArray:
    """∂X/∂(σ, κ, λ) at each level, one row per measurement."""
    import numpy as np

    sigma, kappa, lam = coefficients
    denominator = 1 + sigma * (nodes - 1) + kappa * nodes * (nodes - 1)
    slope = -lam * nodes / denominator**2
    result: FloatArray = np.column_stack((slope * (nodes - 1), slope * nodes * (nodes - 1),
                                          nodes / denominator))
    return result


def _start(nodes: FloatArray, throughput: FloatArray) -> FloatArray:
    """σ, κ, λ from the linear least squares of N/X = a + bN + cN², kept within bounds.

    a + b + c = 1/λ, c = κ/λ and b = (σ − κ)/λ. Where that gives no positive λ (data far
    from the law), start from the best rate per node and a linear law.
    """
    import numpy as np

    linear = np.array([0.0, 0.0, float(np.max(throughput / nodes))])
    inverse = nodes / throughput
    if not np.all(np.isfinite(inverse)):
        return linear
    powers = np.column_stack((np.ones_like(nodes), nodes, nodes * nodes))
    try:
        (a, b, c), *_ = np.linalg.lstsq(powers, inverse, rcond=None)
    except np.linalg.LinAlgError:
        return linear
    total = a + b + c
    if not (math.isfinite(total) and total > 0):
        return linear
    lam = 1 / total
    kappa = max(c * lam, 0.0)
    return np.array([max(b * lam + kappa, 0.0), kappa, lam])


def _solve(nodes: FloatArray, throughput: FloatArray
           ) -> tuple[float, float, float, tuple[bool, bool, bool]] | str:
    """σ, κ, λ and which of them rest on their bound at 0; or why the solver gave up."""
    import numpy as np
    from scipy.optimize import least_squares

    # Throughput in units of its largest value: σ and κ do not change, λ scales, and the
    # solver sees numbers near 1 whatever the unit (rps, requests per hour).
    scale = float(np.max(throughput))
    measured = throughput / scale

    def residuals(coefficients: FloatArray) -> FloatArray:
        return _model(coefficients, nodes) - measured

    def jacobian(coefficients: FloatArray) -> FloatArray:
        return _jacobian(coefficients, nodes)

    with np.errstate(all="ignore"):
        start = _start(nodes, measured)
        try:
            solution = least_squares(
                residuals, start, jac=jacobian, bounds=([0.0, 0.0, 0.0], [np.inf] * 3),
                method="trf", x_scale="jac", ftol=1e-15, xtol=1e-15, gtol=1e-15,
                max_nfev=MAX_EVALUATIONS)
        except ValueError as error:  # residuals not finite at the start: absurd magnitudes
            return str(error).rstrip(".").lower()
        except np.linalg.LinAlgError as error:
            return f"the solver's linear algebra failed ({error})"
    coefficients = solution.x
    if solution.status <= 0:
        return (f"no convergence after {solution.nfev} evaluations"
                if solution.status == 0 else str(solution.message).rstrip(".").lower())
    lam = float(coefficients[2]) * scale
    if not (np.all(np.isfinite(coefficients)) and math.isfinite(lam)) or lam <= 0 \
            or solution.active_mask[2]:
        return "no finite coefficients with lambda above 0"
    # A coefficient the solver holds at its bound is exactly 0 (to within xtol): say 0, so
    # that κ = 0 means "no peak" rather than a peak at a billion nodes.
    bound = tuple(bool(mask) for mask in solution.active_mask[:2])
    sigma = 0.0 if bound[0] else float(coefficients[0])
    kappa = 0.0 if bound[1] else float(coefficients[1])
    return sigma, kappa, lam, (bound[0], bound[1], False)


def _stderr(nodes: FloatArray, residuals: FloatArray, coefficients: tuple[float, float, float],
            bound: tuple[bool, bool, bool]
            ) -> tuple[tuple[float | None, float | None, float | None], str | None]:
    """Standard errors from cov = s²·(JᵀJ)⁻¹, s² = RSS/(n − p), over the free coefficients.

    A coefficient at its bound has none (it was not estimated); with as many measurements
    as free coefficients there is no residual variance, hence no errors at all.
    """
    import numpy as np

    free = [index for index, held in enumerate(bound) if not held]
    freedom = len(residuals) - len(free)
    if freedom <= 0:
        return (None, None, None), (f"{len(residuals)} measurements for {len(free)} "
                                    "coefficients: the curve passes through every point, so "
                                    "there are no standard errors")
    with np.errstate(all="ignore"):
        jacobian = _jacobian(np.array(coefficients), nodes)[:, free]
        variance = float(residuals @ residuals) / freedom
        try:
            covariance = variance * np.linalg.inv(jacobian.T @ jacobian)
        except np.linalg.LinAlgError:
            covariance = None
    errors: list[float | None] = [None, None, None]
    if covariance is not None:
        for place, index in enumerate(free):
            spread = float(covariance[place, place])
            errors[index] = math.sqrt(spread) if math.isfinite(spread) and spread >= 0 else None
    if any(errors[index] is None for index in free):
        return (None, None, None), ("the coefficients cannot be told apart from these "
                                    "measurements (a singular Jacobian): no standard errors")
    return (errors[0], errors[1], errors[2]), None


def _retrograde(law: Law, levels: list[float]) -> list[str]:
    """A note naming the measured levels past the peak, where more nodes carry less."""
    peak = law.peak_nodes
    if peak is None:
        return []
    past = [level for level in levels if level > peak]
    if not past:
        return []
    named = ", ".join(_show(level) for level in past[:NAMED_LEVELS])
    more = f" and {len(past) - NAMED_LEVELS} more" if len(past) > NAMED_LEVELS else ""
    nodes = "node" if peak == 1 else "nodes"
    return [f"throughput falls past {peak} {nodes} (retrograde): points at {named}{more} are "
            "past the peak"]


def _count(value: float) -> int | float:
    """A whole concurrency as an int (the document's 4, not 4.0)."""
    return int(value) if value.is_integer() else value


def _show(value: float) -> str:
    return str(_count(value))
