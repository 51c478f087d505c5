"""The topology file as pydantic models: the single source of its rules and its JSON Schema.

Field validation (types, ranges, unknown keys) lives on the models. Rules that look across
fields or tiers (exactly one traffic form, unknown upstreams, cycles) are in
:func:`cross_check`, which returns every problem at once with the path of the key to fix.

:class:`Topology` runs both, however it is built (``model_validate``, ``Topology(**data)``,
``model_validate_json``), and raises :class:`~capplan.errors.InvalidInput` with every
problem, never pydantic's ``ValidationError``. The loader calls :func:`validate` with the
file's name and source map, so the same rules give the same messages with a line and
column; a topology built in Python has no file: its problems read ``<dict>:0:0: …``.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from capplan.errors import NO_FILE, InvalidInput, Problem, did_you_mean
from capplan.units import MAX_MAGNITUDE, NumberError, parse_count, parse_number

#: Largest node count a file may declare; beyond it capplan refuses rather than guess.
MAX_NODES = 1_000_000
#: Largest number of tiers in one topology.
MAX_TIERS = 10_000
#: Planning horizons beyond a century are refused (the growth factor would be meaningless).
MAX_HORIZON_MONTHS = 1200
#: Growth above 1000% a month (×10 ** 12 in a year) is refused: no plan means it.
MAX_GROWTH = 10
#: Slots in a day's profile: up to one a minute.
MAX_PROFILE_SLOTS = 1440
#: Ways to choose the failing zones that capplan examines per tier (C(zones, zone_failures)).
#: Rings and standbys are checked zone set by zone set; 1,000 covers every layout up to
#: 10 zones with any zone_failures, and racks by the dozen with one or two lost.
MAX_ZONE_SETS = 1000

Path = tuple[str | int, ...]

_NUMBER_TEXT: dict[str, Any] = {
    "type": "string", "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s?[kMG]?\s*$"}
_RATIO_TEXT: dict[str, Any] = {
    "type": "string", "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s?%?\s*$"}
_COUNT_TEXT: dict[str, Any] = {
    "type": "string", "pattern": r"^\s*\d+(\.\d*)?([eE][+-]?\d+)?\s?[kMG]?\s*$"}
#: What parse_number accepts at most, as a JSON number.
_MAGNITUDE = int(MAX_MAGNITUDE)


def _schema(text: dict[str, Any], kind: str = "number", **bounds: int) -> dict[str, Any]:
    """A number (with the loader's range: editors flag ``max_utilization: 85``) or a text.

    Texts keep their pattern only: ``80%`` and ``40M`` carry units a range cannot see.
    """
    return {"anyOf": [{"type": kind, **bounds}, text]}


_POSITIVE_SCHEMA = _schema(_NUMBER_TEXT, exclusiveMinimum=0, maximum=_MAGNITUDE)
_NON_NEGATIVE_SCHEMA = _schema(_NUMBER_TEXT, minimum=0, maximum=_MAGNITUDE)
_RATIO_SCHEMA = _schema(_RATIO_TEXT, minimum=0, maximum=1)
_UTILIZATION_SCHEMA = _schema(_RATIO_TEXT, exclusiveMinimum=0, maximum=1)
_CONFIDENCE_SCHEMA = _schema(_RATIO_TEXT, exclusiveMinimum=0, exclusiveMaximum=1)
#: Bare growth lies in (−1, 1]; beyond, only a percentage says what is meant (SPEC §1).
_GROWTH_SCHEMA = _schema(_RATIO_TEXT, exclusiveMinimum=-1, maximum=1)
_MONTHS_SCHEMA = _schema(_NUMBER_TEXT, minimum=0, maximum=MAX_HORIZON_MONTHS)


def _count_schema(low: int, high: int) -> dict[str, Any]:
    return _schema(_COUNT_TEXT, "integer", minimum=low, maximum=high)


def _bounded(
    parse: Callable[[object], Fraction | int],
    low: Fraction | int | None,
    high: Fraction | int | None,
    *,
    low_open: bool = False,
) -> Callable[[object], Any]:
    """Build a validator: parse a number, then check it lies within [low, high]."""

    def validate(value: object) -> Fraction | int:
        try:
            number = parse(value)
        except NumberError as error:
            raise PydanticCustomError("number", str(error)) from None
        too_low = low is not None and (number <= low if low_open else number < low)
        too_high = high is not None and number > high
        if too_low or too_high:
            raise PydanticCustomError(
                "range", "{value} is out of range: {bounds}",
                {"value": _show(number), "bounds": _bounds(low, high, low_open)},
            )
        return number

    return validate


def _show(number: Fraction | int) -> str:
    if isinstance(number, int) or number.denominator == 1:
        return str(int(number))
    return f"{float(number):g}"


def _bounds(low: Fraction | int | None, high: Fraction | int | None, low_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'more than' if low_open else 'at least'} {_show(low)}")
    if high is not None:
        parts.append(f"at most {_show(high)}")
    return "must be " + " and ".join(parts)


def _parse_ratio(value: object) -> Fraction:
    return parse_number(value, percent=True)


def _written_as_percent(value: object) -> bool:
    return isinstance(value, str) and value.strip().endswith("%")


def _percent(number: Fraction | int) -> str:
    return f"{_show(Fraction(number) * 100)}%"


def _ratio(
    low: Fraction | int,
    high: Fraction | int,
    *,
    low_open: bool = False,
    high_open: bool = False,
    per: str = "",
) -> Callable[[object], Fraction]:
    """Build a validator for a ratio key: a percentage, or a bare number in [−1, 1].

    A bare ``5`` is refused rather than read as 500% (SPEC §1): nobody writes a share of
    five, and a growth of 500% a month is far likelier a forgotten ``%`` than a plan.
    Range messages name the bound that is broken, in percent, as the key is documented.
    """

    def validate(value: object) -> Fraction:
        try:
            number = _parse_ratio(value)
        except NumberError as error:
            raise PydanticCustomError("number", str(error)) from None
        percent = _written_as_percent(value)
        if not percent and number > 1:
            within = number < high if high_open else number <= high
            fix = f"write {_percent(number)} if you mean it" if within else \
                f"above {_percent(high)}; write {_show(number)}% if you mean " \
                f"{_show(number)}%{per}"
            raise PydanticCustomError("ratio", "{message}", {
                "message": f"{_show(number)} means {_percent(number)}{per}"
                           f"{'; ' if within else ', '}{fix}"})
        if number <= low if low_open else number < low:
            side = f"{'more than' if low_open else 'at least'} {_percent(low)}"
        elif number >= high if high_open else number > high:
            side = f"{'below' if high_open else 'at most'} {_percent(high)}"
        else:
            return number
        shown = _percent(number) if percent or number == 0 else \
            f"{_show(number)} ({_percent(number)})"
        raise PydanticCustomError("range", "{message}", {
            "message": f"{shown} is out of range: must be {side}{per}"})

    return validate


PositiveQuantity = Annotated[
    Fraction, PlainValidator(_bounded(parse_number, 0, None, low_open=True)),
    WithJsonSchema(_POSITIVE_SCHEMA),
]
NonNegativeQuantity = Annotated[
    Fraction, PlainValidator(_bounded(parse_number, 0, None)),
    WithJsonSchema(_NON_NEGATIVE_SCHEMA),
]
Ratio = Annotated[Fraction, PlainValidator(_ratio(0, 1)), WithJsonSchema(_RATIO_SCHEMA)]
Utilization = Annotated[
    Fraction, PlainValidator(_ratio(0, 1, low_open=True)), WithJsonSchema(_UTILIZATION_SCHEMA)
]
Months = Annotated[
    Fraction, PlainValidator(_bounded(parse_number, 0, MAX_HORIZON_MONTHS)),
    WithJsonSchema(_MONTHS_SCHEMA),
]
Growth = Annotated[
    Fraction,
    PlainValidator(_ratio(-1, MAX_GROWTH, low_open=True, per=" per month")),
    WithJsonSchema(_GROWTH_SCHEMA),
]
NodeCount = Annotated[
    int, PlainValidator(_bounded(parse_count, 1, MAX_NODES)),
    WithJsonSchema(_count_schema(1, MAX_NODES)),
]
FailureCount = Annotated[
    int, PlainValidator(_bounded(parse_count, 0, MAX_NODES)),
    WithJsonSchema(_count_schema(0, MAX_NODES)),
]
#: A node type's name in the ``node_types`` catalogue.
TYPE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


def _count_or_mix(value: object) -> int | dict[str, int]:
    """``nodes``: a count, or a mix of node types by name (``{small: 1, large: 4}``)."""
    import re

    if not isinstance(value, dict):
        return int(_bounded(parse_count, 1, MAX_NODES)(value))
    if not value:
        raise PydanticCustomError("mix", "an empty mix: name node types and their counts, "
                                  "e.g. {small: 1, large: 4}")
    mix: dict[str, int] = {}
    for name, count in value.items():
        if not isinstance(name, str) or not re.match(TYPE_NAME, name):
            raise PydanticCustomError("mix", "{name!r} is not a node type name",
                                      {"name": name})
        mix[name] = int(_bounded(parse_count, 0, MAX_NODES)(count))
    total = sum(mix.values())
    if not 1 <= total <= MAX_NODES:
        raise PydanticCustomError("mix", "a mix of {total} nodes: declare 1 to {most}",
                                  {"total": total, "most": f"{MAX_NODES:,}"})
    return mix


NodeCountOrMix = Annotated[
    int | dict[str, int], PlainValidator(_count_or_mix),
    WithJsonSchema({"anyOf": [_count_schema(1, MAX_NODES), {
        "type": "object", "propertyNames": {"pattern": TYPE_NAME},
        "additionalProperties": _count_schema(0, MAX_NODES), "minProperties": 1}]}),
]
PositiveCount = NodeCount
#: Workers per node: the queueing model is exact and quick up to here (Erlang B is O(w)).
MAX_WORKERS = 100_000
WorkerCount = Annotated[
    int, PlainValidator(_bounded(parse_count, 1, MAX_WORKERS)),
    WithJsonSchema(_count_schema(1, MAX_WORKERS)),
]


class Uncertain(Fraction):
    """A quantity known only as a range: its median, carrying the range it came from.

    Written ``{low: X, high: Y, confidence: 90%}``: X and Y bound the central
    ``confidence`` interval of a lognormal (a logit-normal for shares). Arithmetic sees
    the median, so every deterministic figure is the plan at the median; the uncertainty
    module draws from the distribution.
    """

    low: Fraction
    high: Fraction
    confidence: Fraction
    share: bool

    @classmethod
    def of(cls, low: Fraction, high: Fraction, confidence: Fraction, *,
           share: bool) -> Uncertain:
        """The median of the distribution that *low* … *high* bound, carrying the range."""
        import math

        if share:
            middle = (logit(low) + logit(high)) / 2
            median = 1 / (1 + math.exp(-middle))
        else:
            median = math.sqrt(float(low) * float(high))
        value = cls(Fraction(median).limit_denominator(10**12) if low != high else low)
        value.low, value.high, value.confidence, value.share = low, high, confidence, share
        return value


def logit(share: Fraction) -> float:
    """ln(p / (1 − p)): the scale on which a share's range is normal."""
    import math

    return math.log(float(share) / (1 - float(share)))


_INTERVAL_KEYS = {"low", "high", "confidence"}


def _interval_or(parse: Callable[[object], Any], *, share: bool) -> Callable[[object], Any]:
    """Accept what *parse* accepts, or a ``{low, high, confidence}`` range of it."""

    def validate(value: object) -> Any:
        if not isinstance(value, dict):
            return parse(value)
        unknown = sorted(str(key) for key in value if key not in _INTERVAL_KEYS)
        if unknown or not {"low", "high"} <= set(value):
            raise PydanticCustomError(
                "interval", "a range is written {form}{extra}",
                {"form": "{low: X, high: Y, confidence: 90%}",
                 "extra": f" (unknown key '{unknown[0]}')" if unknown else ""})
        low, high = _part(parse, value, "low"), _part(parse, value, "high")
        confidence = _part(_CONFIDENCE, {"confidence": Fraction(9, 10), **value}, "confidence")
        if low > high:
            raise PydanticCustomError("interval", "low {low} is above high {high}",
                                      {"low": _show(low), "high": _show(high)})
        if share and (low <= 0 or high >= 1):
            raise PydanticCustomError(
                "interval", "a range of shares must lie strictly between 0% and 100% "
                "(a logit-normal never reaches either)")
        return Uncertain.of(low, high, confidence, share=share)

    return validate


def _part(parse: Callable[[object], Any], interval: dict[Any, Any], key: str) -> Any:
    """Parse one bound of a range; its problem names the bound (the range has one line)."""
    try:
        return parse(interval[key])
    except PydanticCustomError as error:
        raise PydanticCustomError("interval", "{message}",
                                  {"message": f"{key} {error.message()}"}) from None


_CONFIDENCE = _ratio(0, 1, low_open=True, high_open=True)


def _interval_schema(bound: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of a {low, high, confidence} range whose bounds follow *bound*."""
    return {
        "type": "object",
        "description": "A range: low and high bound the central confidence interval of a "
                       "lognormal (of a logit-normal for shares).",
        "additionalProperties": False,
        "required": ["low", "high"],
        "properties": {
            "low": {"description": "Lower bound of the central interval.", **bound},
            "high": {"description": "Upper bound of the central interval.", **bound},
            "confidence": {"description": "Share of draws between low and high (default 90%).",
                           **_CONFIDENCE_SCHEMA},
        },
    }


_SHARE_BOUND_SCHEMA = _schema(_RATIO_TEXT, exclusiveMinimum=0, exclusiveMaximum=1)
_uncertain_quantity = _interval_or(_bounded(parse_number, 0, None, low_open=True), share=False)

UncertainQuantity = Annotated[
    Fraction,
    PlainValidator(_uncertain_quantity),
    WithJsonSchema({"anyOf": [*_POSITIVE_SCHEMA["anyOf"], _interval_schema(_POSITIVE_SCHEMA)]}),
]
#: peak_to_average: a single figure is at least 1 (peak ≥ average, see _check_traffic); a
#: range only needs its median there, so its bounds keep the wider range.
PeakToAverage = Annotated[
    Fraction,
    PlainValidator(_uncertain_quantity),
    WithJsonSchema({"anyOf": [
        *_schema(_NUMBER_TEXT, minimum=1, maximum=_MAGNITUDE)["anyOf"],
        _interval_schema(_POSITIVE_SCHEMA)]}),
]
UncertainRatio = Annotated[
    Fraction,
    PlainValidator(_interval_or(_ratio(0, 1), share=True)),
    WithJsonSchema({"anyOf": [*_RATIO_SCHEMA["anyOf"], _interval_schema(_SHARE_BOUND_SCHEMA)]}),
]

Confidence = Annotated[
    Fraction, PlainValidator(_CONFIDENCE), WithJsonSchema(_CONFIDENCE_SCHEMA)
]

#: Bounds of policy.regret. over and under: only their ratio decides a count, and a ratio
#: past 10^6 either way is a hard rule (cover every draw, or the fewest), not a price. The
#: exponent: below 1 regret is not convex (missing by two would cost less than twice
#: missing by one); above 3 the largest miss alone decides, and (cost · miss)^exponent
#: would leave float range for costs the file allows.
MIN_REGRET_FACTOR = Fraction(1, 1000)
MAX_REGRET_FACTOR = Fraction(1000)
MIN_REGRET_EXPONENT = Fraction(1)
MAX_REGRET_EXPONENT = Fraction(3)
RegretFactor = Annotated[
    Fraction, PlainValidator(_bounded(parse_number, MIN_REGRET_FACTOR, MAX_REGRET_FACTOR)),
    WithJsonSchema(_schema(_NUMBER_TEXT, minimum=float(MIN_REGRET_FACTOR),
                           maximum=int(MAX_REGRET_FACTOR))),
]
RegretExponent = Annotated[
    Fraction, PlainValidator(_bounded(parse_number, MIN_REGRET_EXPONENT, MAX_REGRET_EXPONENT)),
    WithJsonSchema(_schema(_NUMBER_TEXT, minimum=int(MIN_REGRET_EXPONENT),
                           maximum=int(MAX_REGRET_EXPONENT))),
]

def _scheme_name(value: object) -> str:
    """A name in the scheme registry (capplan.registry), read when the file is."""
    from capplan.registry import SCHEMES

    if not isinstance(value, str) or value not in SCHEMES:
        names = [f"'{name}'" for name in SCHEMES]
        expected = names[0] if len(names) == 1 else \
            f"{', '.join(names[:-1])} or {names[-1]}"
        raise PydanticCustomError("literal_error", "Input should be {expected}",
                                  {"expected": expected})
    return value


class _SchemeNames:
    """The JSON Schema of a scheme name: the registry's names when the schema is made.

    Not a WithJsonSchema, whose dict is fixed when this module is imported: a scheme
    registered later validates, and must be in ``capplan schema`` too.
    """

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        from capplan.registry import SCHEMES

        return {"type": "string", "enum": list(SCHEMES)}


#: A redundancy scheme, by the name it has in the registry (capplan.registry).
Redundancy = Annotated[str, PlainValidator(_scheme_name), _SchemeNames()]


class _Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must never be silently ignored."""

    # defer_build: the validators are built on first use, and only Topology's (with the
    # others inside it), not one per model at import: about 4 ms off every command's start.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              defer_build=True)


class Traffic(_Strict):
    """Entry traffic: exactly one of peak_rps, daily_requests (+ peak_to_average), profile."""

    peak_rps: UncertainQuantity | None = Field(
        None, description="Peak requests per second at the front door."
    )
    daily_requests: UncertainQuantity | None = Field(
        None, description="Requests per day; needs peak_to_average."
    )
    peak_to_average: PeakToAverage | None = Field(
        None, description="Ratio of the peak rate to the day's average rate (at least 1)."
    )
    profile: list[NonNegativeQuantity] | None = Field(
        None,
        max_length=MAX_PROFILE_SLOTS,
        # Not min_length=1: _check_traffic says what an empty profile lacks, located.
        json_schema_extra={"minItems": 1},
        description="Requests per second in each equal slot of a day (24 = hourly); peak = max.",
    )
    growth: Growth = Field(Fraction(0), description="Compound growth per month, e.g. 4%.")
    horizon_months: Months = Field(
        Fraction(0), description="How many months ahead to plan (growth applies)."
    )
    request_bytes: NonNegativeQuantity = Field(
        Fraction(0), description="Mean request size in bytes."
    )
    response_bytes: NonNegativeQuantity = Field(
        Fraction(0), description="Mean response size in bytes."
    )


PERCENTILES: dict[str, float] = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99,
                                 "p999": 0.999}


class LatencyTargets(_Strict):
    """Response-time ceilings in milliseconds at the busiest node after the worst failure."""

    p50: PositiveQuantity | None = Field(None, description="Median response time, ms.")
    p90: PositiveQuantity | None = Field(None, description="90th percentile, ms.")
    p95: PositiveQuantity | None = Field(None, description="95th percentile, ms.")
    p99: PositiveQuantity | None = Field(None, description="99th percentile, ms.")
    p999: PositiveQuantity | None = Field(None, description="99.9th percentile, ms.")

    def targets(self) -> dict[str, Fraction]:
        """The percentiles set, by name, in increasing order."""
        return {name: value for name in PERCENTILES
                if (value := getattr(self, name)) is not None}


class Regret(_Strict):
    """Netflix's regret of a plan against a draw's cheapest holding plan (SPEC §7)."""

    over: RegretFactor = Field(
        Fraction(1), description="Weight of money spent beyond a draw's cheapest holding plan.")
    under: RegretFactor = Field(
        Fraction(5, 4), description="Weight of money short of a draw's cheapest holding plan.")
    exponent: RegretExponent = Field(
        Fraction(6, 5), description="Power on each weighted miss: above 1, large misses "
        "weigh more than their size.")


class Policy(_Strict):
    """What every tier must survive; each key may be overridden on a tier."""

    failures: FailureCount = Field(
        1, description="N+k: survive any k simultaneous node failures."
    )
    max_utilization: Utilization = Field(
        Fraction(1), description="Ceiling for every surviving node after those failures."
    )
    min_runway_months: Months = Field(
        Fraction(0), description="`check` fails a tier whose runway is shorter than this."
    )
    zone_failures: FailureCount = Field(
        0, description="Also survive the loss of this many whole zones (a scenario of its own)."
    )
    latency_ms: LatencyTargets | None = Field(
        None, description="Response-time ceilings (p50, p90, p95, p99, p999) for tiers whose "
        "nodes set service_ms.",
    )
    availability: Utilization | None = Field(
        None, description="Least share of time a tier sheds nothing, e.g. 99.99%, for tiers "
        "whose nodes set mtbf_hours and mttr_hours.",
    )
    confidence: Confidence = Field(
        Fraction(95, 100), description="With ranges as inputs: nodes_required holds the "
        "policy in at least this share of simulated draws.",
    )
    choose: Literal["quantile", "regret"] = Field(
        "quantile", description="With ranges as inputs, how nodes_required is chosen: the "
        "confidence quantile of the draws, or the least expected regret over them.",
    )
    regret: Regret = Field(
        default_factory=Regret.model_construct,
        description="Prices of over- and under-provisioning for choose: regret.",
    )


class Node(_Strict):
    """One node of a tier: what it can carry and what it costs."""

    capacity_rps: PositiveQuantity | None = Field(
        None, description="Requests per second one node carries (default with workers and "
        "service_ms: workers × 1000 / service_ms).",
    )
    bandwidth_mbps: PositiveQuantity | None = Field(
        None, description="Network capacity of one node in Mbit/s."
    )
    cost: NonNegativeQuantity = Field(Fraction(0), description="Cost of one node.")
    workers: WorkerCount | None = Field(
        None, description="Requests one node serves at once (an M/M/w queue); needs service_ms."
    )
    service_ms: PositiveQuantity | None = Field(
        None, description="Mean service time of one request in milliseconds."
    )
    mtbf_hours: PositiveQuantity | None = Field(
        None, description="Mean time between failures of one node, in hours; needs mttr_hours."
    )
    mttr_hours: PositiveQuantity | None = Field(
        None, description="Mean time to repair one node, in hours."
    )
    memory_gib: PositiveQuantity | None = Field(
        None, description="Memory of one node in GiB, for a tier's working_set_gib."
    )
    disk_gib: PositiveQuantity | None = Field(
        None, description="Disk of one node in GiB, for a tier's data_gib × replicas."
    )

    @property
    def capacity(self) -> Fraction:
        """capacity_rps, or what the workers carry at their mean service time."""
        if self.capacity_rps is not None:
            return self.capacity_rps
        if self.workers is not None and self.service_ms is not None:
            return self.workers * 1000 / self.service_ms
        raise ValueError("node has neither capacity_rps nor workers and service_ms")

    @property
    def down_probability(self) -> Fraction | None:
        """Share of time a node is down, mttr / (mtbf + mttr); None without both."""
        if self.mtbf_hours is None or self.mttr_hours is None:
            return None
        return self.mttr_hours / (self.mtbf_hours + self.mttr_hours)


class UslLaw(_Strict):
    """The Universal Scalability Law: n nodes carry λn / (1 + σ(n−1) + κn(n−1)) rps."""

    sigma: NonNegativeQuantity = Field(description="Contention σ (serialised share of work).")
    kappa: NonNegativeQuantity = Field(description="Coherency κ (crosstalk between nodes).")
    lambda_: PositiveQuantity = Field(
        alias="lambda", description="λ: requests/second of one node alone at 100%.")


class Scaling(_Strict):
    """How a pool's capacity grows with its nodes when it does not grow linearly."""

    usl: UslLaw = Field(description="Coefficients from `capplan fit` on load-test results.")


class Tier(_Strict):
    """A tier of identical nodes behind one redundancy scheme."""

    name: str = Field(
        pattern=r"^[a-z0-9_-]+$", min_length=1, max_length=63,
        description="Unique tier name: lowercase letters, digits, _ and -.",
    )
    redundancy: Redundancy = Field(description="pool | ring | active-passive.")
    declared_nodes: NodeCountOrMix | None = Field(
        None, alias="nodes", description="Declared node count, or a mix of node types "
        "({small: 1, large: 4}); omit to ask capplan for a size.",
    )
    declared_node: Node | None = Field(
        None, alias="node", description="Capacity and cost of one node (or node_types).",
    )
    node_types: list[Annotated[str, Field(pattern=TYPE_NAME)]] | None = Field(
        None, min_length=1, description="Let capplan choose among these node types of the "
        "catalogue (instead of node): the cheapest type, or for a pool the cheapest mix.",
    )
    scaling: Scaling | None = Field(
        None, description="pool only: capacity that is not linear in the nodes (the USL), "
        "instead of node.capacity_rps.",
    )
    spread: PositiveCount | None = Field(
        None, description="ring only: survivors that split a failed node's load (default 1)."
    )
    standby: FailureCount | None = Field(
        None, description="active-passive only: idle standby nodes (default: the failures)."
    )
    hit_ratio: UncertainRatio = Field(
        Fraction(0), description="Share of this tier's demand it answers itself."
    )
    cold_hit_ratio: Ratio | None = Field(
        None, description="Hit ratio on shares taken over from a failed node (default: "
        "hit_ratio); a lower one sends a cascade of misses downstream.",
    )
    zones: PositiveCount = Field(
        1, description="Failure domains: node i sits in zone ((i-1) mod zones)+1."
    )
    per_request: UncertainQuantity = Field(
        Fraction(1), description="Requests to this tier per request reaching it from upstream."
    )
    from_: list[str] | None = Field(
        None, alias="from", min_length=1,
        description="Upstream tiers (default: the tier listed just before; the first: the entry).",
    )
    direct_server_return: bool = Field(
        False, description="Responses bypass this tier: its bandwidth counts requests only."
    )
    failures: FailureCount | None = Field(None, description="Overrides policy.failures.")
    max_utilization: Utilization | None = Field(
        None, description="Overrides policy.max_utilization."
    )
    min_runway_months: Months | None = Field(
        None, description="Overrides policy.min_runway_months."
    )
    zone_failures: FailureCount | None = Field(None, description="Overrides policy.zone_failures.")
    latency_ms: LatencyTargets | None = Field(None, description="Overrides policy.latency_ms.")
    availability: Utilization | None = Field(None, description="Overrides policy.availability.")
    data_gib: NonNegativeQuantity | None = Field(
        None, description="Data the tier stores, in GiB, once (replicas makes the copies); "
        "the survivors of the worst failure hold it within max_utilization of their disks.",
    )
    replicas: PositiveCount | None = Field(
        None, description="Copies of data_gib (default 1); at least this many nodes survive "
        "the worst failure.",
    )
    working_set_gib: NonNegativeQuantity | None = Field(
        None, description="Memory the tier's working set takes across its nodes, in GiB; "
        "the survivors hold it within max_utilization.",
    )
    #: The fleet capplan chose for a tier with node_types (set by capplan.fleet, never read
    #: from a file): node type names and counts, largest capacity first.
    _chosen: Any = PrivateAttr(default=None)

    @property
    def nodes(self) -> int | None:
        """The declared count (a mix's total), or None when capplan is to size the tier."""
        declared = self.declared_nodes
        return sum(declared.values()) if isinstance(declared, dict) else declared

    @property
    def mix(self) -> dict[str, int] | None:
        """The declared mix of node types, or None."""
        declared = self.declared_nodes
        return declared if isinstance(declared, dict) else None

    @property
    def node(self) -> Node:
        """The tier's node (capplan.fleet settles one for tiers with node_types first)."""
        if self.declared_node is None:
            raise LookupError(f"tier '{self.name}' chooses among node types: plan it with "
                              "capplan.fleet.resolved() first")
        return self.declared_node

    @property
    def typed(self) -> bool:
        """Whether the tier's nodes come from the node_types catalogue."""
        return self.declared_node is None


class Topology(_Strict):
    """A site: its entry traffic, its default policy and its tiers in order."""

    site: str = Field(min_length=1, max_length=200, description="Name of the site.")
    traffic: Traffic = Field(description="Entry traffic and its growth.")
    # model_construct: the defaults are valid already, and a file without a policy then
    # builds no validator for it (about 2 ms of every start-up).
    policy: Policy = Field(default_factory=Policy.model_construct,
                           description="Defaults for every tier.")
    node_types: dict[Annotated[str, Field(pattern=TYPE_NAME)], Node] | None = Field(
        None, description="A catalogue of node types by name (each a node: capacity_rps, "
        "cost, …), for tiers that set node_types or declare a mix.",
    )
    tiers: list[Tier] = Field(
        min_length=1, max_length=MAX_TIERS, description="Tiers in order, front door first."
    )

    @model_validator(mode="wrap")
    @classmethod
    def _every_rule(cls, data: Any, handler: ModelWrapValidatorHandler[Topology],
                    info: ValidationInfo) -> Topology:
        """Field rules, then cross-field rules: one gate that no way of building skips.

        InvalidInput is no ValueError, so pydantic lets it through unwrapped.
        """
        filename, locate = _where(info.context)
        try:
            topology = handler(data)
        except ValidationError as error:
            items = _without_echoes(error.errors(include_url=False))
            raise InvalidInput([_problem(filename, locate, item) for item in items]) from None
        problems = [Problem(filename, *locate(path), f"{_show_path(path)}: {message}")
                    for path, message in cross_check(topology)]
        if problems:
            raise InvalidInput(problems)
        return topology


# --- rules across fields -------------------------------------------------------------------


def cross_check(topology: Topology) -> list[tuple[Path, str]]:
    """Return every rule that spans fields or tiers and is broken, as (key path, message)."""
    problems = _check_traffic(topology.traffic)
    names: dict[str, int] = {}
    for index, tier in enumerate(topology.tiers):
        here: Path = ("tiers", index)
        if tier.name in names:
            problems.append(
                ((*here, "name"), f"duplicate tier name '{tier.name}' "
                 f"(first used by tiers[{names[tier.name]}])")
            )
        else:
            names[tier.name] = index
        problems.extend(_check_scheme_keys(tier, here))
        problems.extend(_check_zones(tier, here, zone_failures_of(tier, topology.policy)))
        problems.extend(_check_cold_cache(tier, here))
        if tier.typed or tier.mix is not None or tier.node_types:
            problems.extend(_check_types(tier, here, topology))
        else:
            problems.extend(_check_node(tier, here, topology.policy))
    problems.extend(_check_upstreams(topology.tiers, names))
    return problems


def is_uncertain(topology: Topology) -> bool:
    """True when some input is a range."""
    traffic = topology.traffic
    values: list[object] = [traffic.peak_rps, traffic.daily_requests, traffic.peak_to_average]
    for tier in topology.tiers:
        values += [tier.per_request, tier.hit_ratio]
    return any(isinstance(value, Uncertain) for value in values)


def failures_of(tier: Tier, policy: Policy) -> int:
    """The tier's k: its own override, else the policy's."""
    return policy.failures if tier.failures is None else tier.failures


def zone_failures_of(tier: Tier, policy: Policy) -> int:
    """How many whole zones the tier must survive: its own override, else the policy's."""
    return policy.zone_failures if tier.zone_failures is None else tier.zone_failures


def _check_traffic(traffic: Traffic) -> list[tuple[Path, str]]:
    problems: list[tuple[Path, str]] = []
    forms = [
        key for key in ("peak_rps", "daily_requests", "profile")
        if getattr(traffic, key) is not None
    ]
    if not forms:
        problems.append(
            (("traffic",), "traffic needs one of peak_rps, daily_requests or profile")
        )
    elif len(forms) > 1:
        problems.append(
            (("traffic", forms[1]), "traffic takes exactly one of peak_rps, daily_requests, "
             f"profile (got {', '.join(forms)})")
        )
    if traffic.daily_requests is not None and traffic.peak_to_average is None:
        problems.append(
            (("traffic", "daily_requests"), "daily_requests needs peak_to_average (e.g. 2.5)")
        )
    if traffic.peak_to_average is not None:
        if traffic.daily_requests is None:
            problems.append(
                (("traffic", "peak_to_average"), "peak_to_average applies only to daily_requests")
            )
        elif traffic.peak_to_average < 1:
            problems.append(
                (("traffic", "peak_to_average"),
                 "peak_to_average must be at least 1 (peak ≥ average)")
            )
    if traffic.profile is not None:
        if not traffic.profile:
            problems.append((("traffic", "profile"), "profile needs at least one slot"))
        elif max(traffic.profile) <= 0:
            problems.append((("traffic", "profile"), "profile needs a slot with traffic above 0"))
    return problems


def _check_scheme_keys(tier: Tier, here: Path) -> list[tuple[Path, str]]:
    from capplan.registry import SCHEMES

    problems: list[tuple[Path, str]] = []
    # A key only one scheme reads (the registry says which) is refused on any other.
    for scheme, entry in SCHEMES.items():
        for key in entry.keys:
            if getattr(tier, key, None) is not None and tier.redundancy != scheme:
                problems.append(((*here, key), f"{key} applies only to {scheme} tiers "
                                 f"('{tier.name}' is {tier.redundancy})"))
    # Only a standby count the file states can leave no node active. The default (the
    # tier's failures) and a stated count below the failures describe a tier that misses
    # its N+k: a policy finding with the count that would hold, not unreadable input.
    if tier.redundancy == "active-passive" and tier.nodes is not None \
            and tier.standby is not None and tier.nodes <= tier.standby:
        problems.append(((*here, "standby"), f"tier '{tier.name}' declares {tier.nodes} "
                         f"nodes but standby: {tier.standby}: at least one node must be "
                         f"active (standby: {tier.nodes - 1} at most, or more nodes)"))
    return problems


def _check_zones(tier: Tier, here: Path, zone_failures: int) -> list[tuple[Path, str]]:
    from math import comb

    problems: list[tuple[Path, str]] = []
    if tier.nodes is not None and tier.zones > tier.nodes:
        problems.append(((*here, "zones"), f"tier '{tier.name}' has {tier.zones} zones but "
                         f"only {tier.nodes} nodes; use at most {tier.nodes} zones"))
    if zone_failures and zone_failures >= tier.zones:
        # Point at the key the user wrote: the tier's override, its zones, or the tier.
        key = ("zone_failures",) if tier.zone_failures is not None else ()
        problems.append(((*here, *key), f"tier '{tier.name}' must survive {zone_failures} zone "
                         f"failure{'s' if zone_failures > 1 else ''} but has {tier.zones} "
                         f"zone{'s' if tier.zones > 1 else ''}; set zones: "
                         f"{zone_failures + 1} or more, or zone_failures: 0 on the tier"))
    elif zone_failures and comb(tier.zones, zone_failures) > MAX_ZONE_SETS:
        problems.append(((*here, "zones"), f"{comb(tier.zones, zone_failures):,} ways to lose "
                         f"{zone_failures} of {tier.zones} zones; capplan examines at most "
                         f"{MAX_ZONE_SETS:,} (group racks into fewer zones)"))
    return problems


def _check_cold_cache(tier: Tier, here: Path) -> list[tuple[Path, str]]:
    if tier.cold_hit_ratio is None:
        return []
    if tier.hit_ratio == 0:
        return [((*here, "cold_hit_ratio"), f"cold_hit_ratio needs a hit_ratio on tier "
                 f"'{tier.name}' (the warm hit ratio it falls from)")]
    if tier.cold_hit_ratio > tier.hit_ratio:
        return [((*here, "cold_hit_ratio"), f"cold_hit_ratio {_show(tier.cold_hit_ratio)} is "
                 f"above hit_ratio {_show(tier.hit_ratio)}; a cold cache hits less often")]
    return []


def _check_node(tier: Tier, here: Path, policy: Policy) -> list[tuple[Path, str]]:
    import math

    node = tier.node
    at: Path = (*here, "node")
    problems: list[tuple[Path, str]] = []
    if node.workers is not None and node.service_ms is None:
        problems.append(((*at, "workers"), f"workers needs service_ms on tier '{tier.name}' "
                         "(the mean time one request takes, in ms)"))
    if tier.scaling is not None:
        problems.extend(_check_scaling(tier, here))
    elif node.capacity_rps is None and (node.workers is None or node.service_ms is None):
        problems.append((at, f"node of tier '{tier.name}' needs capacity_rps, or workers and "
                         "service_ms"))
    if node.mttr_hours is not None and node.mtbf_hours is None:
        problems.append(((*at, "mttr_hours"), f"mttr_hours needs mtbf_hours on tier "
                         f"'{tier.name}'"))
    if node.mtbf_hours is not None and node.mttr_hours is None:
        problems.append(((*at, "mtbf_hours"), f"mtbf_hours needs mttr_hours on tier "
                         f"'{tier.name}'"))
    problems.extend(_check_stored(tier, here))
    if tier.latency_ms is not None and node.service_ms is None:
        problems.append(((*here, "latency_ms"), f"latency_ms needs node.service_ms on tier "
                         f"'{tier.name}'"))
    target = tier.availability if tier.availability is not None else policy.availability
    if target is not None and node.down_probability is not None and tier.redundancy == "ring" \
            and (tier.spread or 1) > 1:
        problems.append(((*here, "spread"), f"availability targets size rings with spread 1 "
                         f"only (tier '{tier.name}' has spread {tier.spread}); use spread: 1, "
                         "or drop the target (the tier still reports its availability)"))
    if tier.availability is not None and node.down_probability is None:
        problems.append(((*here, "availability"), f"availability needs node.mtbf_hours and "
                         f"mttr_hours on tier '{tier.name}'"))
    latency, latency_at = tier.latency_ms, (*here, "latency_ms")
    if latency is None:
        latency, latency_at = policy.latency_ms, ("policy", "latency_ms")
    if latency is not None and node.service_ms is not None:
        for name, target in latency.targets().items():
            # Even an idle node takes the service time: its p-quantile is −ln(1−p)·s.
            floor = -math.log(1 - PERCENTILES[name]) * float(node.service_ms)
            if float(target) <= floor:
                problems.append(((*latency_at, name), f"{name} {_show(target)} ms is below "
                                 f"what service alone takes at {name} on tier '{tier.name}' "
                                 f"({floor:.4g} ms for service_ms {_show(node.service_ms)}): "
                                 "no node count meets it"))
    return problems


def _check_types(tier: Tier, here: Path, topology: Topology) -> list[tuple[Path, str]]:
    """A tier whose nodes come from the catalogue: names, schemes, and each type's figures."""
    catalogue = topology.node_types or {}
    problems: list[tuple[Path, str]] = []
    mix = tier.mix or {}
    if tier.declared_node is not None:
        key = "node_types" if tier.node_types else "nodes"
        return [((*here, key), f"tier '{tier.name}' sets node and "
                 f"{'node_types' if tier.node_types else 'a mix of node types'}: keep one "
                 "(node for one kind of node, node_types to let capplan choose)")]
    if not tier.node_types and not mix:
        return [(here, f"tier '{tier.name}' needs node, or node_types naming types of the "
                 "top-level node_types catalogue")]
    if not catalogue:
        return [((*here, "node_types" if tier.node_types else "nodes"), f"tier "
                 f"'{tier.name}' names node types, but the file has no top-level node_types "
                 "catalogue")]
    problems.extend(_check_type_names(tier, here, catalogue))
    if tier.node_types and isinstance(tier.declared_nodes, int):
        problems.append(((*here, "nodes"), f"tier '{tier.name}' chooses among node types: "
                         f"declare its nodes by type, e.g. nodes: {{{tier.node_types[0]}: "
                         f"{tier.declared_nodes}}}, or let capplan size it"))
    if tier.scaling is not None:
        problems.append(((*here, "scaling"), f"tier '{tier.name}' chooses among node types, "
                         "whose capacity_rps says what each carries; drop scaling"))
    used = [name for name, count in mix.items() if count > 0]
    if tier.redundancy != "pool" and len(used) > 1:
        problems.append(((*here, "nodes"), f"a {tier.redundancy} tier uses one node type "
                         f"('{tier.name}' mixes {', '.join(used)}); only a pool balances "
                         "by capacity"))
    if len(used) > 1 and all(name in catalogue for name in used):
        problems.extend(_check_mixed_limits(tier, here, topology.policy,
                                            [catalogue[name] for name in used]))
    if problems:
        return problems
    # Each type the tier may use must have what the tier's limits need (service times for
    # latency targets, disks for data): checked as if the tier had that node.
    for name in dict.fromkeys([*(tier.node_types or []), *used]):
        as_typed = tier.model_copy(update={"declared_node": catalogue[name],
                                           "declared_nodes": None})
        for path, message in _check_node(as_typed, here, topology.policy):
            at_type = path[:len(here) + 1] == (*here, "node")
            problems.append((("node_types", name, *path[len(here) + 1:]) if at_type else path,
                             f"{message} (node type '{name}')"))
    return list(dict.fromkeys(problems))


def _check_type_names(tier: Tier, here: Path, catalogue: dict[str, Node]
                      ) -> list[tuple[Path, str]]:
    """Every name a tier gives (node_types, its mix) is in the catalogue (and node_types)."""
    problems: list[tuple[Path, str]] = []
    allowed = tier.node_types or list(catalogue)
    for position, name in enumerate(tier.node_types or []):
        if name not in catalogue:
            problems.append(((*here, "node_types", position), f"unknown node type '{name}'"
                             f"{did_you_mean(name, list(catalogue))}"))
    for name in tier.mix or {}:
        if name not in catalogue or name not in allowed:
            problems.append(((*here, "nodes"), f"the mix names '{name}', which is not "
                             f"{'a node type' if name not in catalogue else 'in node_types'}"
                             f"{did_you_mean(name, allowed)}"))
    return problems


def _check_mixed_limits(tier: Tier, here: Path, policy: Policy,
                        nodes: list[Node]) -> list[tuple[Path, str]]:
    """A declared mix of types is planned for failures, utilization and storage only."""
    found = []
    if tier.zones > 1:
        found.append("zones")
    timed = any(node.service_ms is not None for node in nodes)
    if tier.latency_ms is not None or (policy.latency_ms is not None and timed):
        found.append("latency targets")
    failing = any(node.down_probability is not None for node in nodes)
    if tier.availability is not None or (policy.availability is not None and failing):
        found.append("availability targets")
    if tier.cold_hit_ratio is not None:
        found.append("cold_hit_ratio")
    if not found:
        return []
    return [((*here, "nodes"), f"a mix of node types is planned for node failures, "
             f"utilization and stored data, not for {' and '.join(found)} (tier "
             f"'{tier.name}'): declare one type, or drop them")]


def _check_stored(tier: Tier, here: Path) -> list[tuple[Path, str]]:
    problems: list[tuple[Path, str]] = []
    for need, have in (("data_gib", "disk_gib"), ("working_set_gib", "memory_gib")):
        if getattr(tier, need) is not None and getattr(tier.node, have) is None:
            problems.append(((*here, need), f"{need} needs node.{have} on tier '{tier.name}' "
                             f"(what one node holds)"))
    if tier.replicas is not None and tier.data_gib is None:
        problems.append(((*here, "replicas"), f"replicas counts copies of data_gib: set "
                         f"data_gib on tier '{tier.name}'"))
    return problems


def _check_scaling(tier: Tier, here: Path) -> list[tuple[Path, str]]:
    node, at = tier.node, (*here, "scaling")
    if tier.redundancy != "pool":
        return [(at, f"scaling applies only to pool tiers ('{tier.name}' is {tier.redundancy}: "
                 "a ring or a standby takes over whole shares, whatever the pool's size)")]
    problems: list[tuple[Path, str]] = []
    for key in ("capacity_rps", "workers"):
        if getattr(node, key) is not None:
            problems.append(((*here, "node", key), f"tier '{tier.name}' sets scaling, which "
                             f"says what its nodes carry; drop node.{key}"))
    if node.service_ms is not None:
        # Latency is modelled per node (an M/M/w queue at its own rate); under the USL a
        # node's rate depends on how many run, so the two models would contradict.
        problems.append(((*here, "node", "service_ms"), f"latency is not modelled on a "
                         f"USL-scaled tier ('{tier.name}'); drop node.service_ms"))
    return problems


def _check_upstreams(tiers: list[Tier], names: dict[str, int]) -> list[tuple[Path, str]]:
    problems: list[tuple[Path, str]] = []
    for index, tier in enumerate(tiers):
        for position, upstream in enumerate(tier.from_ or ()):
            where: Path = ("tiers", index, "from", position)
            if upstream == tier.name:
                problems.append((where, f"tier '{tier.name}' lists itself in from"))
            elif upstream not in names:
                problems.append((where, f"unknown upstream tier '{upstream}'"
                                 f"{did_you_mean(upstream, names)}"))
            elif tier.from_ is not None and tier.from_.index(upstream) != position:
                problems.append((where, f"upstream '{upstream}' is listed twice"))
    if problems:
        return problems
    cycle = find_cycle(upstreams_by_index(tiers, names))
    if cycle:
        path = " → ".join(tiers[i].name for i in [*cycle, cycle[0]])
        problems.append((("tiers", cycle[0], "from"), f"cycle in from: {path}"))
    return problems


def upstreams_by_index(tiers: list[Tier], names: dict[str, int]) -> list[list[int]]:
    """Each tier's upstream tiers by index; -1 stands for the entry (the front door)."""
    result: list[list[int]] = []
    for index, tier in enumerate(tiers):
        if tier.from_ is None:
            result.append([index - 1])
        else:
            result.append([names[name] for name in tier.from_])
    return result


def find_cycle(upstreams: list[list[int]]) -> list[int]:
    """Return one cycle among tier indices (in flow order), or [] when the graph is acyclic.

    Iterative depth-first search: a 2,000-tier chain must not meet Python's recursion limit.
    """
    state = [0] * len(upstreams)  # 0 unseen, 1 on the current path, 2 done
    for root in range(len(upstreams)):
        if state[root]:
            continue
        stack: list[tuple[int, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            node, next_edge = stack[-1]
            edges = upstreams[node]
            if next_edge == len(edges):
                state[node] = 2
                stack.pop()
                continue
            stack[-1] = (node, next_edge + 1)
            upstream = edges[next_edge]
            if upstream < 0 or state[upstream] == 2:
                continue
            if state[upstream] == 1:
                path = [entry[0] for entry in stack]
                cycle = path[path.index(upstream):]
                return cycle[::-1]
            state[upstream] = 1
            stack.append((upstream, 0))
    return []


# --- validation, and its problems as located lines -------------------------------------------


class Locator(Protocol):
    """Where the value (or, with *key*, the key) at a key path was written: (line, column)."""

    def __call__(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """(line, column) of *path*, or of its nearest located ancestor."""


def _nowhere(path: Path, *, key: bool = False) -> tuple[int, int]:
    """A topology built in Python has no lines: every problem is at 0:0."""
    return (0, 0)


#: Validation context key under which the loader hands over the file name and source map.
_WHERE = "capplan.where"


def validate(data: object, filename: str = NO_FILE, locate: Locator = _nowhere) -> Topology:
    """A topology from a plain tree, or InvalidInput with every problem, located by *locate*.

    The one validation path: the loader calls it with a file's source map, and
    ``Topology.model_validate`` is it with no file.
    """
    return Topology.model_validate(data, context={_WHERE: (filename, locate)})


def _where(context: object) -> tuple[str, Locator]:
    if isinstance(context, dict) and _WHERE in context:
        filename, locate = context[_WHERE]
        return filename, locate
    return NO_FILE, _nowhere


def _show_path(path: Path) -> str:
    """``tiers[2].node.capacity_rps``, as messages name a key; ``(top level)`` for ()."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def _model_at(path: Path) -> type[BaseModel] | None:
    """The pydantic model whose keys live at *path* (for suggestions)."""
    import typing

    model: Any = Topology
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        if part not in fields:
            return None
        annotation = fields[part].annotation
        for candidate in (annotation, *typing.get_args(annotation)):
            inner = typing.get_args(candidate) or (candidate,)
            found = [t for t in inner if isinstance(t, type) and issubclass(t, BaseModel)]
            if found:
                model = found[0]
                break
        else:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _without_echoes(items: list[Any]) -> list[Any]:
    """Drop "missing key X" where an unknown key beside it is a misspelling of X.

    ``capacty_rps: 100`` is one mistake; reporting the missing ``capacity_rps`` as well
    would say it twice.
    """
    from difflib import get_close_matches

    misspelt: set[tuple[object, ...]] = set()
    for item in items:
        if item["type"] == "extra_forbidden":
            path = tuple(item["loc"])
            missing_here = [str(other["loc"][-1]) for other in items
                            if other["type"] == "missing" and tuple(other["loc"][:-1]) == path[:-1]]
            for name in get_close_matches(str(path[-1]), missing_here, n=1):
                misspelt.add((*path[:-1], name))
    return [item for item in items
            if not (item["type"] == "missing" and tuple(item["loc"]) in misspelt)]


def _problem(filename: str, locate: Locator, item: Any) -> Problem:
    """One of pydantic's errors as capplan says it: the key path, then what to change."""
    from difflib import get_close_matches

    path: Path = tuple(item["loc"])
    kind = item["type"]
    where = _show_path(path)
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        valid = sorted(f.alias or n for n, f in model.model_fields.items()) if model else []
        close = get_close_matches(str(path[-1]), valid, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else \
            (f" (valid keys: {', '.join(valid)})" if valid else "")
        return Problem(filename, *locate(path, key=True),
                       f"{where}: unknown key '{path[-1]}'{hint}")
    if kind == "missing":
        return Problem(filename, *locate(path[:-1]),
                       f"{_show_path(path[:-1])}: missing required key '{path[-1]}'")
    message = item["msg"].removeprefix("Value error, ")
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        close = get_close_matches(str(item.get("input")), options, n=1)
        if close:
            message += f" (did you mean '{close[0]}'?)"
    return Problem(filename, *locate(path), f"{where}: {message}")
