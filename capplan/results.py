"""What a plan says: the results of ``plan``, ``size`` and ``compare``, and their documents.

The planner (:mod:`capplan.sizing`) builds these values, and each one's ``to_dict()`` is
the document its command prints as JSON (SPEC §3's keys, in its order). The documents live
here, with the types they describe and below every command, so that no command imports
upwards for them. Counts and ratios stay exact fractions in the types and become floats in
the documents, only there (:func:`number`); JSON and YAML render one document, so they
always agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from capplan.units import count_noun

if TYPE_CHECKING:
    from capplan.schemes import Worst

Document = dict[str, Any]


class Rows(Sequence[Document]):
    """A long list of flat rows with the same keys, each made on demand.

    A failover of a million nodes lists a million rows: held as dicts they took 1.3 GB,
    and YAML's emitter a minute. *values* gives row i's values (str, number, bool or None)
    in the order of *keys*; the renderers (:mod:`capplan.render.data`) write each row as it
    is made, and anything else reads the list of dicts it stands for.
    """

    def __init__(self, count: int, keys: tuple[str, ...],
                 values: Callable[[int], tuple[Any, ...]]) -> None:
        self._count = count
        self.keys = keys
        self.values = values

    def _row(self, index: int) -> Document:
        return dict(zip(self.keys, self.values(index), strict=True))

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Document: ...

    @overload
    def __getitem__(self, index: slice) -> list[Document]: ...

    def __getitem__(self, index: int | slice) -> Document | list[Document]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(self._count))]
        if not -self._count <= index < self._count:
            raise IndexError("row index out of range")
        return self._row(index % self._count)

    def __iter__(self) -> Iterator[Document]:
        return map(self._row, range(self._count))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == self._count and all(
                a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, so unhashable as they are

    def __repr__(self) -> str:
        return f"Rows({self._count} rows)"


#: The limits a tier must meet, in the order a tie between them is reported.
LIMITS = ("failures", "zones", "cascade", "latency", "availability", "disk", "memory")


class Assessment(NamedTuple):
    """How a tier of a given size fares at a given demand under its policy.

    ``cascade_utilization`` is the all-up utilization under the cold-cache cascade from
    upstream (None when no upstream cache runs cold). ``factors`` says, per limit the tier
    has, how many times today's peak it carries before that limit breaks (below 1: broken
    now); ``binding`` is the limit with the smallest factor, the first to break.
    """

    worst: Worst
    holds: bool
    headroom: float | None
    runway_months: float | None
    cascade_utilization: Fraction | None
    binding: str | None
    factors: dict[str, float]
    node_worst: Worst | None
    zone_worst: Worst | None
    stranded: str | None


def limit_rank(name: str) -> int:
    """Where *name* stands in LIMITS, which settles a tie between limits that bind."""
    return LIMITS.index(name) if name in LIMITS else len(LIMITS)


@dataclass(frozen=True)
class TierPlan:
    """One tier of the plan; the assessment describes the declared count, else the required."""

    name: str
    redundancy: str
    failures: int
    max_utilization: Fraction
    min_runway_months: Fraction
    demand: Fraction
    planning_demand: Fraction
    bandwidth_mbps: Fraction | None
    nodes: int | None
    nodes_required: int
    nodes_required_now: int
    assessment: Assessment
    node_cost: Fraction
    zones: int = 1
    zone_failures: int = 0
    cascade_demand: Fraction | None = None
    sized_by_cascade: bool = False
    survivable_failures: tuple[int | None, ...] | None = None
    exposed_hours: Fraction | None = None
    latency_ms: dict[str, float | None] | None = None
    availability: float | None = None
    nodes_required_distribution: dict[str, float] | None = None
    #: Idle standbys (active-passive): of the described count, of nodes_required and of
    #: nodes_required_now; None for other schemes.
    standby: int | None = None
    standby_required: int | None = None
    standby_required_now: int | None = None
    #: What limits one node: "rps" (capacity_rps) or "bandwidth" (bandwidth_mbps).
    bottleneck: str = "rps"
    latency_targets: dict[str, float] | None = None
    availability_target: float | None = None
    #: The policy in words, "N+1 at 80%", for messages.
    policy_words: str = ""
    #: Under ranges, whether the declared count holds in policy.confidence of today's draws.
    draws_covered: bool | None = None
    #: Per stored resource the described count cannot hold, why (SPEC §7).
    shortfalls: dict[str, str] = field(default_factory=dict)
    #: With stored resources: the count each of rps, bandwidth, disk, memory alone needs.
    required_by: dict[str, int | None] | None = None
    #: Under policy.choose: regret, the expected regret per count considered (SPEC §7).
    expected_regret: dict[str, float] | None = None
    #: For a tier with node types, what capplan chose (a capplan.fleet.Choice).
    choice: Any = None
    #: The cost of each node type, for the cost of a mix.
    type_costs: dict[str, Fraction] | None = None

    @property
    def covered(self) -> bool:
        """The declared count holds in policy.confidence of the draws (or there are none).

        Counted draw by draw, not as "at least the quantile count": holding is not
        monotone in the count (a ring over zones), so more nodes may hold fewer draws.
        """
        return self.nodes is None or self.draws_covered is not False

    @property
    def long_enough(self) -> bool:
        """The runway reaches min_runway_months."""
        runway = self.assessment.runway_months
        return runway is None or runway >= self.min_runway_months

    @property
    def binding(self) -> str | None:
        """What decides this tier's fate, one of LIMITS, "confidence" or "runway".

        For a failing count, the limit that fails; for a holding one, the first limit to
        break as the peak grows.
        """
        assessment = self.assessment
        if assessment.holds and not self.covered:
            return "confidence"
        if assessment.holds and not self.long_enough and self.nodes is not None:
            return "runway"
        return assessment.binding

    @property
    def why(self) -> str:  # noqa: PLR0911 (one plain sentence per limit reads best)
        """What binds, with its figure against its target, in words (for findings)."""
        assessment = self.assessment
        binding = self.binding
        ceiling = f"{float(self.max_utilization) * 100:.4g}%"  # 0.1% stays 0.1%
        if binding == "failures":
            if assessment.stranded:
                return f"losing {count_noun(self.failures, 'node')} leaves " + (
                    f"shares no standby can take (standby: {self.standby})"
                    if self.standby is not None else "no node to carry the load")
            worst = assessment.node_worst or assessment.worst
            busiest = _share(worst.worst_utilization, self.max_utilization)
            return (f"the busiest node runs at {busiest} after "
                    f"{count_noun(self.failures, 'failure')}, above {ceiling}")
        if binding == "zones":
            lost = f"losing {self.zone_failures} of {self.zones} zones"
            if assessment.stranded:
                return f"{lost} orphans shares no standby can take (standby: {self.standby})"
            worst = assessment.zone_worst or assessment.worst
            busiest = _share(worst.worst_utilization, self.max_utilization)
            return f"{lost} puts {busiest} on one node, above {ceiling}"
        if binding == "cascade":
            cascade = _share(assessment.cascade_utilization or Fraction(0),
                             self.max_utilization)
            return f"a cold cache upstream puts {cascade} on every node, above {ceiling}"
        if binding == "latency":
            return self._latency_words()
        if binding in self.shortfalls:
            return self.shortfalls[binding]
        if binding == "availability":
            return (f"availability {nines(self.availability)} "
                    f"{'<' if assessment.factors.get('availability', 1) < 1 else '≥'} "
                    f"{nines(self.availability_target)}")
        if binding == "confidence":
            declared = count_noun(self.nodes or 0, "node")
            return f"{declared} cover fewer draws than policy.confidence asks"
        if binding == "runway":
            return f"it runs out in {self.assessment.runway_months or 0:.1f} months"
        return "it holds"

    def _latency_words(self) -> str:
        figures = self.latency_ms or {}
        for name, target in (self.latency_targets or {}).items():
            value = figures.get(name)
            if value is None:
                return f"{name} has no bound: the busiest node cannot keep up"
            if value > target:
                return f"{name} {value:.4g} ms > {target:g} ms at the busiest node"
        worst = ", ".join(f"{name} {figures.get(name) or 0:.4g} ms ≤ {target:g} ms"
                          for name, target in (self.latency_targets or {}).items())
        return f"latency breaks first ({worst})"

    @property
    def count(self) -> int:
        """The count the figures describe: declared, else required at the planning peak."""
        return self.nodes if self.nodes is not None else self.nodes_required

    @property
    def cost(self) -> Fraction:
        """Cost of the described count (of the described mix, for a mix of types)."""
        mix = self.mix
        if mix is not None and self.type_costs is not None:
            return sum((count * self.type_costs[name] for name, count in mix.items()),
                       Fraction(0))
        return self.node_cost * self.count

    @property
    def cost_required(self) -> Fraction:
        """Cost of nodes_required (of the cheapest mix, where that is one)."""
        if self.choice is not None and (self.choice.required_is_mix
                                        or self.choice.declared is not None):
            # The fleet capplan chose, whose types may differ from the declared ones.
            return Fraction(self.choice.required.cost)
        return self.node_cost * self.nodes_required

    @property
    def mix(self) -> dict[str, int] | None:
        """The described fleet as a mix of two types or more (None: one kind of node)."""
        return None if self.choice is None else self.choice.mix

    @property
    def node_type(self) -> str | None:
        """The node type of the described fleet, for a tier choosing among node types."""
        return None if self.choice is None else self.choice.node_type

    @property
    def ok(self) -> bool | None:
        """Declared count holds now and has the runway asked for; None when nothing declared."""
        if self.nodes is None:
            return None
        # Under uncertainty, holding at the medians is not enough: the count must cover
        # the draws up to the policy's confidence.
        return self.assessment.holds and self.long_enough and self.covered


def _share(value: Fraction, ceiling: Fraction) -> str:
    """*value* as a percentage with enough decimals to tell it from *ceiling* (107.0%)."""
    for decimals in range(1, 16):
        text = f"{float(value):.{decimals}%}"
        if value == ceiling or text != f"{float(ceiling):.{decimals}%}":
            return text
    return f"a hair {'above' if value > ceiling else 'below'} {float(ceiling):.0%}"


def nines(value: float | None) -> str:
    """An availability as a percentage with enough digits to show its nines (99.9964%)."""
    if value is None:
        return "unknown"
    missing = 1 - value
    if missing <= 0:
        return "100%"
    # Four significant digits of what is missing, whatever the nines before them.
    digits = max(0, math.floor(-math.log10(missing)) + 3)
    text = f"{value * 100:.{min(digits, 15)}f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


@dataclass(frozen=True)
class Plan:
    """A site's plan: entry peaks and every tier's figures."""

    site: str
    peak: Fraction
    planning_peak: Fraction
    horizon_months: Fraction
    tiers: tuple[TierPlan, ...]
    #: (simulations, seed, confidence) when some input is a range.
    uncertainty: tuple[int, int, Fraction] | None = None

    @property
    def availability(self) -> float | None:
        """The site's availability: the product over tiers, if every tier has one."""
        values = [tier.availability for tier in self.tiers]
        if not values or any(value is None for value in values):
            return None
        return math.prod(value for value in values if value is not None)

    @property
    def ok(self) -> bool | None:
        """False if any tier fails; None if none fails but some declare no count; else True."""
        verdicts = [tier.ok for tier in self.tiers]
        if False in verdicts:
            return False
        if None in verdicts:
            return None
        return True

    def to_dict(self) -> dict[str, Any]:
        """The document ``capplan plan --format json`` prints, as plain data."""
        return plan_document(self)


@dataclass(frozen=True)
class Sizing:
    """A one-off answer: how many nodes one tier needs, and how those nodes fare."""

    redundancy: str
    demand: Fraction
    failures: int
    max_utilization: Fraction
    nodes_required: int
    assessment: Assessment
    standby: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The document ``capplan size --format json`` prints, as plain data."""
        return size_document(self)


class SchemeCost(NamedTuple):
    """One tier under one scheme: nodes required at the planning peak, and their cost."""

    nodes_required: int | None
    cost: Fraction | None
    #: Idle standbys of that count (active-passive only).
    standby: int | None = None


@dataclass(frozen=True)
class Comparison:
    """One tier under every scheme (``compare``), keyed by scheme name in SCHEMES order."""

    name: str
    redundancy: str
    schemes: dict[str, SchemeCost]

    @property
    def cheapest(self) -> str:
        """The scheme with the lowest cost, then the fewest nodes, then the first listed."""
        return _cheapest(self.schemes)


def compare_totals(comparisons: tuple[Comparison, ...]) -> dict[str, SchemeCost]:
    """Per scheme, the whole site's nodes and cost with every tier built that way."""
    from capplan.registry import SCHEMES

    totals = {}
    for name in SCHEMES:
        counts = [c.schemes[name].nodes_required for c in comparisons]
        costs = [c.schemes[name].cost for c in comparisons]
        if any(count is None for count in counts):
            totals[name] = SchemeCost(None, None)
        else:
            totals[name] = SchemeCost(sum(c for c in counts if c is not None),
                                      sum((c for c in costs if c is not None), Fraction(0)))
    return totals


def _cheapest(options: dict[str, SchemeCost]) -> str:
    feasible = [(cost.cost, cost.nodes_required, position, name)
                for position, (name, cost) in enumerate(options.items())
                if cost.nodes_required is not None and cost.cost is not None]
    return min(feasible)[3] if feasible else ""


def cheapest_total(totals: dict[str, SchemeCost]) -> str:
    """The scheme that builds the whole site for least."""
    return _cheapest(totals)


@dataclass(frozen=True)
class Comparisons:
    """Every tier under pool, ring and active-passive (``capplan compare``)."""

    tiers: tuple[Comparison, ...]

    @property
    def totals(self) -> dict[str, SchemeCost]:
        """Per scheme, the whole site's nodes and cost with every tier built that way."""
        return compare_totals(self.tiers)

    @property
    def cheapest(self) -> str | None:
        """The scheme cheapest for the whole site; None when none can be built."""
        return cheapest_total(self.totals) or None

    def to_dict(self) -> dict[str, Any]:
        """The document ``capplan compare --format json`` prints, as plain data."""
        return compare_document(self.tiers)


# --- documents ----------------------------------------------------------------------------


def number(value: Fraction | float | None) -> float | None:
    """A float for output (the nearest double to the exact value), or None."""
    return None if value is None else float(value)


def plan_document(plan: Plan) -> Document:
    """The ``plan`` document."""
    return {
        "site": plan.site,
        "peak_rps": number(plan.peak),
        "planning_peak_rps": number(plan.planning_peak),
        "horizon_months": number(plan.horizon_months),
        "ok": plan.ok,
        "totals": {
            "nodes": sum(tier.count for tier in plan.tiers),
            "nodes_required": sum(tier.nodes_required for tier in plan.tiers),
            "cost": number(sum((tier.cost for tier in plan.tiers), Fraction(0))),
            "cost_required": number(sum((t.cost_required for t in plan.tiers), Fraction(0))),
        },
        "tiers": [tier_document(tier) for tier in plan.tiers],
        "availability": plan.availability,
        "uncertainty": None if plan.uncertainty is None else {
            "simulations": plan.uncertainty[0],
            "seed": plan.uncertainty[1],
            "confidence": number(plan.uncertainty[2]),
        },
    }


def tier_document(tier: TierPlan) -> Document:
    """One tier of the ``plan`` document."""
    downtime = None
    if tier.availability is not None:
        # Here, not at the top: a plan with no availability target never loads the module.
        from capplan.availability import downtime_minutes_per_year

        downtime = downtime_minutes_per_year(tier.availability)
    assessment = tier.assessment
    return {
        "name": tier.name,
        "redundancy": tier.redundancy,
        "failures": tier.failures,
        "max_utilization": number(tier.max_utilization),
        "demand_rps": number(tier.demand),
        "planning_demand_rps": number(tier.planning_demand),
        "bandwidth_mbps": number(tier.bandwidth_mbps),
        "nodes": tier.nodes,
        "nodes_required": tier.nodes_required,
        "nodes_required_now": tier.nodes_required_now,
        "utilization": number(assessment.worst.utilization),
        "worst_utilization": number(assessment.worst.worst_utilization),
        "shed_fraction": number(assessment.worst.shed_fraction),
        "headroom": assessment.headroom,
        "runway_months": assessment.runway_months,
        "cost": number(tier.cost),
        "ok": tier.ok,
        # Beyond SPEC §3's list, after its keys so their order stays as scripts expect.
        "zones": tier.zones,
        "zone_failures": tier.zone_failures,
        "cascade_demand_rps": number(tier.cascade_demand),
        "cascade_utilization": number(assessment.cascade_utilization),
        "sized_by_cascade": tier.sized_by_cascade,
        "survivable_failures": None if tier.survivable_failures is None
        else list(tier.survivable_failures),
        "exposed_hours": number(tier.exposed_hours),
        "latency_ms": tier.latency_ms,
        "availability": tier.availability,
        "downtime_minutes_per_year": downtime,
        "nodes_required_distribution": tier.nodes_required_distribution,
        "standby": tier.standby,
        "standby_required": tier.standby_required,
        "binding": tier.binding,
        "reason": tier.why,
        "bottleneck": tier.bottleneck,
        "latency_targets_ms": tier.latency_targets,
        "availability_target": tier.availability_target,
        # Keys of a feature appear on the tiers that use it, so older documents stay as
        # they were byte for byte.
        **({} if tier.required_by is None else {"required_by": tier.required_by}),
        **({} if tier.expected_regret is None else {"expected_regret": tier.expected_regret}),
        **({} if tier.choice is None else _fleet(tier)),
    }


def _fleet(tier: TierPlan) -> Document:
    """A tier choosing among node types: its type or mix, cost_required, alternatives."""
    mix = tier.mix
    return {
        **({"mix": mix} if mix is not None else {"node_type": tier.node_type}),
        "cost_required": number(tier.cost_required),
        # The fleet nodes_required and cost_required describe (the fix of a declared one).
        "required_fleet": {"mix": tier.choice.required.mix, "nodes": tier.nodes_required,
                           "cost": number(tier.cost_required)},
        "alternatives": [{"mix": plan.mix, "nodes": plan.nodes, "cost": number(plan.cost)}
                         for plan in tier.choice.alternatives],
    }


def size_document(sizing: Sizing) -> Document:
    """The ``size`` document."""
    worst = sizing.assessment.worst
    return {
        "redundancy": sizing.redundancy,
        "demand_rps": number(sizing.demand),
        "failures": sizing.failures,
        "max_utilization": number(sizing.max_utilization),
        "nodes_required": sizing.nodes_required,
        "utilization": number(worst.utilization),
        "worst_utilization": number(worst.worst_utilization),
        "standby": sizing.standby,
    }


def compare_document(comparisons: tuple[Comparison, ...]) -> Document:
    """The ``compare`` document: per tier and in total, each scheme's nodes and cost."""
    totals = compare_totals(comparisons)
    return {
        "tiers": [
            {
                "name": entry.name,
                "redundancy": entry.redundancy,
                **{name: _tier_scheme_cost(cost) for name, cost in entry.schemes.items()},
                "cheapest": entry.cheapest or None,
            }
            for entry in comparisons
        ],
        "totals": {name: _scheme_cost(cost) for name, cost in totals.items()},
        "cheapest": cheapest_total(totals) or None,
    }


def _scheme_cost(cost: SchemeCost) -> Document:
    return {"nodes_required": cost.nodes_required, "cost": number(cost.cost)}


def _tier_scheme_cost(cost: SchemeCost) -> Document:
    """One tier under one scheme; active-passive names the standbys it was sized with."""
    return {**_scheme_cost(cost), "standby": cost.standby}
