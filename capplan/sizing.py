"""Policy per tier → TierPlan: required counts, utilization, headroom, runway (SPEC §2).

Pure: takes a validated :class:`~capplan.model.Topology`, returns a :class:`Plan`. Counts
and ratios stay exact fractions here; the report turns them into numbers for output.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from capplan import demand as flow
from capplan.model import Tier, Topology, failures_of, zone_failures_of
from capplan.schemes import (
    ActivePassive,
    Scheme,
    Unattainable,
    Worst,
    Zones,
    boundary,
    make_scheme,
    nodes_required,
)

#: A ring sized for availability is grown node by node at most this far past its policy.
MAX_AVAILABILITY_SCAN = 100_000


@dataclass(frozen=True)
class Assessment:
    """How a tier of a given size fares at a given demand under its policy.

    ``cascade_utilization`` is the all-up utilization under the cold-cache cascade from
    upstream (None when no upstream cache runs cold); headroom and runway count it as one
    more scenario the tier must hold.
    """

    worst: Worst
    holds: bool
    headroom: float | None
    runway_months: float | None
    cascade_utilization: Fraction | None = None


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

    @property
    def count(self) -> int:
        """The count the figures describe: declared, else required at the planning peak."""
        return self.nodes if self.nodes is not None else self.nodes_required

    @property
    def cost(self) -> Fraction:
        """Cost of the described count."""
        return self.node_cost * self.count

    @property
    def cost_required(self) -> Fraction:
        """Cost of nodes_required."""
        return self.node_cost * self.nodes_required

    @property
    def ok(self) -> bool | None:
        """Declared count holds now and has the runway asked for; None when nothing declared."""
        if self.nodes is None:
            return None
        runway = self.assessment.runway_months
        long_enough = runway is None or runway >= self.min_runway_months
        # Under uncertainty, holding at the medians is not enough: the count must cover
        # the draws up to the policy's confidence.
        covered = self.nodes_required_distribution is None \
            or self.nodes >= self.nodes_required_now
        return self.assessment.holds and long_enough and covered


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


def assess(
    scheme: Scheme,
    nodes: int,
    demand: Fraction,
    capacity: Fraction,
    max_utilization: Fraction,
    failures: int,
    growth: Fraction,
    cascade: Fraction | None = None,
    *,
    latency_factor: float | None = None,
    other_targets_met: bool = True,
) -> Assessment:
    """Worst case, headroom and runway of *nodes* nodes carrying *demand*.

    *cascade* is the demand the tier must carry with all nodes up when an upstream cache
    runs cold; like every other load it grows with the peak. *latency_factor* is how far
    the peak may grow before a latency target breaks; *other_targets_met* carries the
    verdict of targets that are not about growth (availability).
    """
    worst = scheme.worst(nodes, demand, capacity, failures)
    cascade_utilization = None if cascade is None \
        else cascade / (scheme.holding_nodes(nodes) * capacity)
    busiest = max(worst.worst_utilization, cascade_utilization or Fraction(0))
    # The peak may grow by this factor before a utilization ceiling breaks, and by
    # latency_factor before a latency target does: the smaller one is the headroom.
    factor = None if busiest == 0 else float(max_utilization / busiest)
    if latency_factor is not None:
        factor = latency_factor if factor is None else min(factor, latency_factor)
    holds = worst.holds(max_utilization) and busiest <= max_utilization and other_targets_met \
        and (latency_factor is None or latency_factor >= 1)
    headroom: float | None
    if scheme.strands(nodes, failures) and demand > 0:
        # Some failure set leaves load with no taker: no peak above zero is carried.
        headroom = -1.0
    elif factor is None or math.isinf(factor):
        headroom = None
    else:
        headroom = factor - 1
    runway: float | None
    if not holds:
        runway = 0.0
    elif growth <= 0 or factor is None or math.isinf(factor):
        runway = None
    else:
        # Loads grow with the peak, so the policy holds until the peak has grown by factor.
        runway = math.log(factor) / math.log(1 + growth)
    return Assessment(worst, holds, headroom, runway, cascade_utilization)


@dataclass(frozen=True)
class Sizing:
    """A one-off answer: how many nodes one tier needs, and how those nodes fare."""

    redundancy: str
    demand: Fraction
    failures: int
    max_utilization: Fraction
    nodes_required: int
    assessment: Assessment


def size(
    redundancy: str,
    demand: Fraction,
    capacity: Fraction,
    *,
    failures: int = 1,
    max_utilization: Fraction = Fraction(1),
    spread: int = 1,
    standby: int | None = None,
) -> Sizing:
    """Size one tier without a file (the ``size`` command)."""
    scheme = make_scheme(redundancy, spread=spread,
                         standby=max(failures, standby if standby is not None else failures))
    required = nodes_required(scheme, demand, capacity, max_utilization, failures)
    assessment = assess(scheme, required, demand, capacity, max_utilization, failures,
                        Fraction(0))
    return Sizing(redundancy, demand, failures, max_utilization, required, assessment)


def _standby_floor(q: float, target: float) -> Callable[[int], int]:
    """Standbys an active-passive tier of n nodes needs for *target* availability."""
    from functools import lru_cache

    from capplan.availability import standbys_for

    # Searches ask for the same sizes again and again; each answer costs O(nodes).
    @lru_cache(maxsize=4096)
    def floor(nodes: int) -> int:
        return standbys_for(nodes, q, target)

    return floor


@dataclass(frozen=True)
class TierShape:
    """A tier's policy and node figures, resolved from the file (overrides applied)."""

    tier: Tier
    index: int
    failures: int
    max_utilization: Fraction
    min_runway_months: Fraction
    capacity: Fraction
    per_request_bytes: Fraction
    declared: Scheme
    sized: Scheme
    latency_targets: dict[str, Fraction] = field(default_factory=dict)
    availability_target: Fraction | None = None

    @property
    def down_probability(self) -> float | None:
        """Share of time one node is down (None without mtbf/mttr)."""
        down = self.tier.node.down_probability
        return None if down is None else float(down)

    @classmethod
    def of(cls, tier: Tier, topology: Topology, index: int) -> TierShape:
        """Resolve the policy of *tier*, the *index*-th, and build its schemes."""
        policy = topology.policy
        failures = failures_of(tier, policy)
        per_request_bytes = flow.bytes_per_request(topology.traffic, tier)
        zones = Zones(tier.zones, zone_failures_of(tier, policy))
        standby = tier.standby if tier.standby is not None else failures
        spread = tier.spread or 1
        node = tier.node
        # Policy-wide targets apply where the node has the figures to judge them.
        latency = tier.latency_ms or (policy.latency_ms if node.service_ms is not None else None)
        availability = tier.availability if tier.availability is not None else (
            policy.availability if node.down_probability is not None else None)
        floor = None
        if availability is not None and tier.redundancy == "active-passive":
            floor = _standby_floor(float(node.down_probability or 0), float(availability))
        return cls(
            tier=tier,
            index=index,
            failures=failures,
            max_utilization=policy.max_utilization if tier.max_utilization is None
            else tier.max_utilization,
            min_runway_months=policy.min_runway_months if tier.min_runway_months is None
            else tier.min_runway_months,
            capacity=flow.usable_capacity(tier.node, per_request_bytes),
            per_request_bytes=per_request_bytes,
            declared=make_scheme(tier.redundancy, spread=spread, standby=standby, zones=zones),
            # A requirement must survive k failures, so it never counts on fewer than k
            # standbys, and it adds standbys until a zone loss orphans no active share.
            sized=make_scheme(tier.redundancy, spread=spread, standby=max(standby, failures),
                              zones=zones, cover_zones=True, standby_floor=floor),
            latency_targets=latency.targets() if latency is not None else {},
            availability_target=availability,
        )

    def required(self, demand: Fraction, cascade: Fraction | None = None) -> int:
        """Nodes needed for *demand* under the policy, and for *cascade* with all nodes up.

        Latency, availability and the cascade only improve as nodes are added (for a pool;
        active-passive adds standbys instead), so they join the monotone search; a ring's
        availability does not (a longer ring has more places for a long run of failures),
        so the search continues node by node from there.
        """
        ceiling = self.capacity * self.max_utilization
        checks: list[Callable[[int], bool]] = []
        if cascade is not None:
            checks.append(lambda count: cascade <= self.sized.holding_nodes(count) * ceiling)
        if self.latency_targets:
            checks.append(lambda count: self.latency_holds(self.sized, count, demand))
        ring_availability = self.availability_target is not None and self.tier.redundancy == "ring"
        if self.availability_target is not None and self.tier.redundancy == "pool":
            checks.append(lambda count: self.availability_holds(self.sized, count, demand))

        def also(count: int) -> bool:
            return all(check(count) for check in checks)

        try:
            count = nodes_required(self.sized, demand, self.capacity, self.max_utilization,
                                   self.failures, also=also if checks else None)
            if ring_availability:
                scanned = 0
                while not self.availability_holds(self.sized, count, demand):
                    count, scanned = count + 1, scanned + 1
                    if scanned > MAX_AVAILABILITY_SCAN:
                        raise Unattainable("the ring is still short after "
                                           f"{MAX_AVAILABILITY_SCAN:,} more nodes")
        except Unattainable as error:
            raise Unattainable(f"tier '{self.tier.name}' cannot meet its policy at any size: "
                               f"{error}", path=self.path) from None
        return count

    @property
    def path(self) -> tuple[str | int, ...]:
        """Where the tier is in the file (for messages about it)."""
        return ("tiers", self.index)

    def latency(self, scheme: Scheme, count: int, demand: Fraction
                ) -> dict[str, float | None] | None:
        """Response-time percentiles (ms) at the busiest node after the worst failure set."""
        node = self.tier.node
        if node.service_ms is None:
            return None
        from capplan.model import PERCENTILES
        from capplan.queueing import Queue

        worst = scheme.worst(count, demand, self.capacity, self.failures)
        queue = Queue(node.workers or 1, float(node.service_ms),
                      float(worst.worst_utilization * self.capacity))
        names = ["p50", "p95", "p99", *[n for n in self.latency_targets
                                         if n not in ("p50", "p95", "p99")]]
        ordered = [name for name in PERCENTILES if name in names]
        return {name: queue.percentile(PERCENTILES[name]) for name in ordered}

    def latency_holds(self, scheme: Scheme, count: int, demand: Fraction) -> bool:
        """Every latency target met at the busiest node after the worst failure set."""
        if not self.latency_targets:
            return True
        figures = self.latency(scheme, count, demand) or {}
        for name, target in self.latency_targets.items():
            value = figures.get(name)
            if value is None or value > float(target):
                return False
        return True

    def unavailability(self, scheme: Scheme, count: int, demand: Fraction) -> float | None:
        """P(the nodes down at a random instant shed something), None where not modelled."""
        q = self.down_probability
        if q is None:
            return None
        from capplan import availability as avail

        if isinstance(scheme, ActivePassive):
            return avail.active_passive_unavailability(count, scheme.standbys(count), q, demand,
                                                       self.capacity)
        if self.tier.redundancy == "ring":
            try:
                return avail.ring_unavailability(count, q, demand, self.capacity,
                                                 self.tier.spread or 1)
            except ValueError:
                return None  # a lightly loaded wide ring: too many states to count exactly
        return avail.pool_unavailability(count, q, demand, self.capacity)

    def latency_factor(self, scheme: Scheme, count: int, demand: Fraction) -> float | None:
        """How many times the demand the tier carries before a latency target breaks.

        None without targets; infinite when the targets hold at any load (no demand). Found
        by bisection: response times only grow with the load.
        """
        if not self.latency_targets:
            return None
        if demand == 0:
            return math.inf

        def holds(times: float) -> bool:
            return self.latency_holds(scheme, count, demand * Fraction(times))

        low, high = 0.0, 1.0
        while holds(high):
            low, high = high, high * 2
            if high > 2**40:
                return math.inf
        for _ in range(60):
            middle = (low + high) / 2
            if holds(middle):
                low = middle
            else:
                high = middle
        return low

    def availability_holds(self, scheme: Scheme, count: int, demand: Fraction) -> bool:
        """The availability target met (True when the tier has none)."""
        if self.availability_target is None:
            return True
        missing = self.unavailability(scheme, count, demand)
        return missing is not None and 1 - missing >= float(self.availability_target)

    def cascade_required(self, cascade: Fraction) -> int:
        """Nodes that carry *cascade* with all of them up, within max_utilization."""
        from capplan.schemes import smallest_holding

        ceiling = self.capacity * self.max_utilization
        lowest = self.sized.minimum_nodes()
        return smallest_holding(lowest, lowest,
                                lambda count: cascade <= self.sized.holding_nodes(count) * ceiling)

    def scheme_for(self, count_declared: bool) -> Scheme:
        """The declared tier keeps its standbys; a sized one has the standbys it needs."""
        return self.declared if count_declared else self.sized


@dataclass(frozen=True)
class Spread:
    """Requirements over simulated draws of uncertain inputs, for one tier."""

    nodes_required: int
    nodes_required_now: int
    distribution: dict[str, float]


def plan(topology: Topology, *, simulations: int = 10_000, seed: int = 0) -> Plan:
    """Plan every tier of *topology* at its current and planning peak.

    With ranges among the inputs, every figure describes the medians, except the counts
    required: those hold the policy in at least ``policy.confidence`` of *simulations*
    draws (seeded with *seed*).
    """
    traffic = topology.traffic
    peak = flow.entry_peak(traffic)
    factor = flow.growth_factor(traffic)
    demands = flow.tier_demands(topology, peak)
    shapes = [TierShape.of(tier, topology, index) for index, tier in enumerate(topology.tiers)]
    moved = _moved_shares(shapes, demands, factor)
    cascades = _cascades(topology, peak, demands, moved)
    shares = flow.slot_demands(traffic)
    spreads: list[Spread | None] = [None] * len(shapes)
    uncertain = None
    from capplan import uncertainty

    if uncertainty.is_uncertain(topology):
        spreads = _spreads(topology, shapes, moved, factor, simulations, seed)
        uncertain = (simulations, seed, topology.policy.confidence)
    tiers = tuple(
        plan_tier(shape, demand, factor, topology, cascade, shares, spread)
        for shape, demand, cascade, spread in zip(shapes, demands, cascades, spreads,
                                                  strict=True)
    )
    return Plan(topology.site, peak, flow.tame(peak * factor), traffic.horizon_months, tiers,
                uncertain)


def _spreads(topology: Topology, shapes: list[TierShape], moved: list[Fraction | None],
             factor: Fraction, simulations: int, seed: int) -> list[Spread | None]:
    from capplan import uncertainty

    draws = uncertainty.draw(topology, moved, simulations, seed)
    confidence = topology.policy.confidence
    result: list[Spread | None] = []
    for shape, demand, cascade in zip(shapes, draws.demands, draws.cascades, strict=True):
        later = uncertainty.tier_counts(shape, demand, cascade, factor)
        now = uncertainty.tier_counts(shape, demand, cascade, Fraction(1))
        result.append(Spread(uncertainty.quantile_count(later, confidence),
                             uncertainty.quantile_count(now, confidence),
                             uncertainty.distribution(later)))
    return result


def _moved_shares(shapes: list[TierShape], demands: list[Fraction],
                  factor: Fraction) -> list[Fraction | None]:
    """Per cold cache, the share of its demand its worst failure moves (None elsewhere).

    From the cache's declared count, or its count required without any cascade.
    """
    moved: list[Fraction | None] = []
    for shape, demand in zip(shapes, demands, strict=True):
        tier = shape.tier
        if tier.cold_hit_ratio is None or tier.cold_hit_ratio >= tier.hit_ratio:
            moved.append(None)
            continue
        declared = tier.nodes is not None
        count = tier.nodes if tier.nodes is not None \
            else shape.required(flow.tame(demand * factor))
        share = shape.scheme_for(declared).moved_fraction(count, shape.failures)
        moved.append(share or None)
    return moved


def _cascades(topology: Topology, peak: Fraction, demands: list[Fraction],
              moved: list[Fraction | None]) -> list[Fraction | None]:
    """Each tier's demand when an upstream cache runs cold (None where none does).

    One scenario per cache that can run colder than it runs warm: its worst failure moves
    a share x of its demand to nodes that never cached it, so it passes on more misses.
    A tier downstream of several such caches takes the worst single one (failures in
    different tiers are independent events).
    """
    cascades: list[Fraction | None] = [None] * len(demands)
    for index, share in enumerate(moved):
        if share is None:
            continue
        tier = topology.tiers[index]
        ratios: list[Fraction] = [other.hit_ratio for other in topology.tiers]
        ratios[index] = flow.cold_hit_ratio(tier, share)
        scenario = flow.tier_demands(topology, peak, ratios)
        for position, (cold, warm) in enumerate(zip(scenario, demands, strict=True)):
            if cold > warm:
                cascades[position] = max(cold, cascades[position] or cold)
    return cascades


def plan_tier(shape: TierShape, demand: Fraction, factor: Fraction, topology: Topology,
              cascade: Fraction | None = None,
              shares: list[Fraction] | None = None,
              spread: Spread | None = None) -> TierPlan:
    """One tier's plan: requirement at both peaks and the assessment of its count."""
    tier = shape.tier
    planning_demand = flow.tame(demand * factor)
    planning_cascade = None if cascade is None else flow.tame(cascade * factor)
    required = shape.required(planning_demand, planning_cascade)
    sized_by_cascade = cascade is not None and required > shape.required(planning_demand)
    required_now = shape.required(demand, cascade)
    if spread is not None:
        required, required_now = spread.nodes_required, spread.nodes_required_now
    declared = tier.nodes is not None
    scheme = shape.scheme_for(declared)
    count = tier.nodes if tier.nodes is not None else required
    latency = shape.latency(scheme, count, demand)
    missing = shape.unavailability(scheme, count, demand)
    assessment = assess(scheme, count, demand, shape.capacity, shape.max_utilization,
                        shape.failures, topology.traffic.growth, cascade,
                        latency_factor=shape.latency_factor(scheme, count, demand),
                        other_targets_met=shape.availability_holds(scheme, count, demand))
    bandwidth = None if tier.node.bandwidth_mbps is None \
        else flow.bandwidth_mbps(demand, shape.per_request_bytes)
    survivable: tuple[int | None, ...] | None = None
    exposed: Fraction | None = None
    if shares is not None:
        survivable = tuple(
            survivable_failures(scheme, count, demand * share, shape.capacity,
                                shape.max_utilization)
            for share in shares
        )
        short = sum(1 for f in survivable if f is None or f < shape.failures)
        exposed = Fraction(24 * short, len(shares))
    return TierPlan(
        name=tier.name,
        redundancy=tier.redundancy,
        failures=shape.failures,
        max_utilization=shape.max_utilization,
        min_runway_months=shape.min_runway_months,
        demand=demand,
        planning_demand=planning_demand,
        bandwidth_mbps=bandwidth,
        nodes=tier.nodes,
        nodes_required=required,
        nodes_required_now=required_now,
        assessment=assessment,
        node_cost=tier.node.cost,
        zones=tier.zones,
        zone_failures=shape.declared.zones.failures,
        cascade_demand=cascade,
        sized_by_cascade=sized_by_cascade,
        survivable_failures=survivable,
        exposed_hours=exposed,
        latency_ms=latency,
        availability=None if missing is None else 1 - missing,
        nodes_required_distribution=None if spread is None else spread.distribution,
    )


def survivable_failures(scheme: Scheme, nodes: int, demand: Fraction, capacity: Fraction,
                        max_utilization: Fraction) -> int | None:
    """The largest f such that *nodes* nodes hold the policy with any f of them failed.

    None when the tier cannot carry *demand* even with every node up. Holding with f
    failures implies holding with fewer, so a bisection over f is exact.
    """
    def holds(failed: int) -> bool:
        return scheme.node_worst(nodes, demand, capacity, failed).holds(max_utilization)

    if not holds(0):
        return None
    # One more failure than there are nodes can never hold: the bracket's false end.
    return boundary(nodes + 1, 0, holds)


@dataclass(frozen=True)
class SchemeCost:
    """One tier under one scheme: nodes required at the planning peak, and their cost."""

    nodes_required: int | None
    cost: Fraction | None


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


def compare(topology: Topology) -> tuple[Comparison, ...]:
    """Every tier's requirement and cost under pool, ring and active-passive.

    Each scheme keeps the tier's own parameters (a ring its spread, active-passive its
    standbys, at least k) and its zones; the cold-cache cascade reaching a tier is the one
    the plan computed with the tiers as declared.
    """
    from capplan.schemes import SCHEMES

    traffic = topology.traffic
    peak = flow.entry_peak(traffic)
    factor = flow.growth_factor(traffic)
    demands = flow.tier_demands(topology, peak)
    shapes = [TierShape.of(tier, topology, index) for index, tier in enumerate(topology.tiers)]
    cascades = _cascades(topology, peak, demands, _moved_shares(shapes, demands, factor))
    result = []
    for shape, demand, cascade in zip(shapes, demands, cascades, strict=True):
        planning = flow.tame(demand * factor)
        planning_cascade = None if cascade is None else flow.tame(cascade * factor)
        costs = {}
        for name in SCHEMES:
            variant = TierShape.of(shape.tier.model_copy(update={"redundancy": name}), topology,
                                   shape.index)
            try:
                count: int | None = variant.required(planning, planning_cascade)
            except ValueError:
                count = None
            costs[name] = SchemeCost(count, None if count is None else count * shape.tier.node.cost)
        result.append(Comparison(shape.tier.name, shape.tier.redundancy, costs))
    return tuple(result)


def compare_totals(comparisons: tuple[Comparison, ...]) -> dict[str, SchemeCost]:
    """Per scheme, the whole site's nodes and cost with every tier built that way."""
    from capplan.schemes import SCHEMES

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


def holding_limit(scheme: Scheme, nodes: int, capacity: Fraction, max_utilization: Fraction,
                  failures: int, demand: Fraction,
                  cascade: Fraction | None = None) -> Fraction | None:
    """The tier request rate up to which *nodes* nodes hold the policy (None: at no rate).

    Every load is proportional to the demand, so the limit is the demand at which the
    busiest scenario reaches max_utilization: worked out at 1 rps and scaled. A cascade
    from a cold cache upstream grows in proportion too.
    """
    per_rps = scheme.worst(nodes, Fraction(1), capacity, failures)
    if per_rps.worst_utilization == 0:
        return None
    limit = max_utilization / per_rps.worst_utilization
    if cascade is not None and demand > 0:
        limit = min(limit, max_utilization * capacity * scheme.holding_nodes(nodes)
                    * demand / cascade)
    # Shares with no taker (more failures than standbys, a zone loss orphaning actives)
    # are shed at any rate; what remains at the limit is exactly the ceiling.
    if not scheme.worst(nodes, limit, capacity, failures).holds(max_utilization):
        return None
    return limit
