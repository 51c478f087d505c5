"""Policy per tier → TierPlan: required counts, utilization, headroom, runway (SPEC §2).

Pure: takes a validated :class:`~capplan.model.Topology`, returns a :class:`Plan`. Counts
and ratios stay exact fractions here; the report turns them into numbers for output.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property, lru_cache, partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from capplan import demand as flow
from capplan.model import MAX_NODES, Tier, Topology, failures_of, zone_failures_of
from capplan.resources import Resources, resources_of
from capplan.results import (
    Assessment,
    Comparison,
    Plan,
    SchemeCost,
    Sizing,
    TierPlan,
    limit_rank,
    nines,
)
from capplan.schemes import (
    ActivePassive,
    Pool,
    Ring,
    Scheme,
    TooMany,
    Unattainable,
    Zones,
    boundary,
    make_scheme,
    nodes_required,
)

if TYPE_CHECKING:
    from capplan.availability import Unavailability
    from capplan.uncertainty import Draws



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
    limits: dict[str, float] | None = None,
    verdicts: dict[str, bool] | None = None,
) -> Assessment:
    """Worst case, headroom and runway of *nodes* nodes carrying *demand*.

    Every load grows with the peak, so each limit breaks at some multiple of today's peak:
    the utilization ceiling after node failures and after the zone loss, the all-up
    ceiling under the cold-cache *cascade* from upstream, and what *limits* adds (latency,
    availability: name → factor). Headroom is the smallest factor less one; runway the
    months of growth to reach it. A scenario that leaves load with no taker at any
    demand (more failures than standbys, a zone loss orphaning actives) strands the tier:
    headroom −1, whatever else holds.

    Whether the tier holds is decided exactly (fractions, and *verdicts* for the limits in
    *limits*): a float ratio of 1 − 1e-17 would round to 1 and pass a tier that sheds.
    """
    node_worst = scheme.node_worst(nodes, demand, capacity, failures)
    zone_worst = scheme.zone_worst(nodes, demand, capacity) if scheme.zones.matter else None
    worst = node_worst if zone_worst is None else node_worst.combine(zone_worst)
    cascade_utilization = None if cascade is None \
        else cascade / scheme.carried(nodes, capacity)
    factors: dict[str, float] = {}

    def room(name: str, utilization: Fraction | None) -> None:
        if utilization is not None:
            factors[name] = math.inf if utilization == 0 \
                else float(max_utilization / utilization)

    room("failures", node_worst.worst_utilization)
    room("zones", None if zone_worst is None else zone_worst.worst_utilization)
    room("cascade", cascade_utilization)
    factors.update(limits or {})
    stranded = None
    if demand > 0 and scheme.strands_on_failures(nodes, failures):
        stranded = "failures"
    elif demand > 0 and scheme.strands_on_zone_loss(nodes):
        stranded = "zones"
    if stranded is not None:
        factors[stranded] = 0.0
    held = {
        "failures": stranded != "failures" and node_worst.holds(max_utilization),
        "zones": zone_worst is None or (stranded != "zones"
                                        and zone_worst.holds(max_utilization)),
        "cascade": cascade_utilization is None or cascade_utilization <= max_utilization,
        **(verdicts or {}),
    }
    holds = all(held.values())
    for name, ok in held.items():
        if not ok and name in factors:
            # A limit that fails exactly never reads as holding, whatever its float says.
            factors[name] = min(factors[name], math.nextafter(1.0, 0.0))
    factor = min(factors.values(), default=math.inf)
    failing = [name for name in factors if not held.get(name, True)]
    candidates = failing or list(factors)
    binding = min(candidates, key=lambda name: (factors[name], limit_rank(name))) \
        if candidates else None
    headroom: float | None
    if stranded is not None:
        headroom = -1.0
    elif math.isinf(factor):
        headroom = None
    else:
        headroom = factor - 1
    runway: float | None
    if not holds:
        runway = 0.0
    elif growth <= 0 or math.isinf(factor):
        runway = None
    else:
        # Loads grow with the peak, so the policy holds until the peak has grown by factor.
        runway = math.log(factor) / math.log(1 + growth)
    return Assessment(worst, holds, headroom, runway, cascade_utilization, binding, factors,
                      node_worst, zone_worst, stranded)


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
    """Size one tier without a file (the ``size`` command).

    A standby count given is used as given: fewer standbys than failures can never hold,
    and that is said (:class:`Unattainable`), not quietly corrected.
    """
    standbys = failures if standby is None else standby
    scheme = make_scheme(redundancy, spread=spread, standby=standbys)
    try:
        required = nodes_required(scheme, demand, capacity, max_utilization, failures)
    except Unattainable as error:
        if isinstance(scheme, ActivePassive) and standbys < failures:
            raise Unattainable(f"active-passive with {standbys} standby cannot survive "
                               f"{failures} failures at any size; use --standby {failures} "
                               "or more") from None
        raise Unattainable(f"{redundancy}: {error}") from None
    assessment = assess(scheme, required, demand, capacity, max_utilization, failures,
                        Fraction(0))
    return Sizing(redundancy, demand, failures, max_utilization, required, assessment,
                  scheme.standbys(required) if isinstance(scheme, ActivePassive) else None)


class StandbyFloor:
    """S(n): the fewest standbys of n nodes meeting *target*, and its inverse for actives.

    Searches ask for the same sizes again and again; each answer costs O(nodes) fresh, a
    tail or two next to one already known (see standbys_for). :meth:`nodes_for_actives`
    answers the question a count search really asks, the fewest n with n − S(n) ≥ a, with
    one search over n (availability.nodes_for_up) instead of S(n) at every count tried,
    and tells the cache S there: at that n, S(n) = S(n − 1) = n − a.
    """

    #: Answers kept per floor (a search of many draws asks a few thousand).
    CACHE = 4096

    def __init__(self, q: Fraction, target: Fraction) -> None:
        self.q, self.target = q, target
        self._known: list[tuple[int, int]] = []  # (nodes, standbys), sorted by nodes
        self._cache: dict[int, int] = {}
        self._fewest: list[tuple[int, int]] = []  # (actives, nodes), sorted

    def __call__(self, nodes: int) -> int:
        """S(*nodes*), exactly (availability.standbys_for)."""
        found = self._cache.get(nodes)
        if found is not None:
            return found
        from bisect import bisect_left

        from capplan.availability import standbys_for

        known = self._known
        below = bisect_left(known, (nodes, -1))
        answer = standbys_for(nodes, self.q, self.target, known[below - 1] if below else None,
                              known[below] if below < len(known) else None)
        self._remember(nodes, answer)
        return answer

    def _remember(self, nodes: int, standbys: int) -> None:
        from bisect import bisect_left, insort

        if nodes in self._cache:
            return
        if len(self._cache) >= self.CACHE:
            self._cache.clear()
        self._cache[nodes] = standbys
        known = self._known
        at = bisect_left(known, (nodes, -1))
        if at == len(known) or known[at][0] != nodes:
            insort(known, (nodes, standbys))

    def nodes_for_actives(self, actives: int, limit: int) -> int:
        """The fewest n with n − S(n) ≥ *actives* (*limit* + 1: none up to *limit*).

        S never falls as n grows and the test is n ≥ nodes_for_up(actives) (see there).
        At that n = N, S(N) ≤ N − a, and N − 1 fails it: S(N − 1) ≥ N − a; S(N − 1) ≤ S(N)
        then makes both exactly N − a, which the cache keeps.
        """
        from bisect import bisect_left, insort

        from capplan.availability import nodes_for_up

        fewest = self._fewest
        at = bisect_left(fewest, (actives, -1))
        if at < len(fewest) and fewest[at][0] == actives:
            return fewest[at][1]
        nodes = nodes_for_up(actives, self.q, self.target, limit,
                             fewest[at - 1] if at else None,
                             fewest[at] if at < len(fewest) else None)
        if nodes > limit:
            return nodes  # not kept: another limit may reach further
        insort(fewest, (actives, nodes))
        self._remember(nodes, nodes - actives)
        if nodes - 1 >= 1:
            self._remember(nodes - 1, nodes - actives)
        return nodes


def _pool_availability_count(floor: StandbyFloor, capacity: Fraction,
                             demand: Fraction) -> int:
    """The fewest nodes of a pool meeting its availability target at *demand*.

    availability.pool asks P(fewer than m = max(1, ⌈D / capacity⌉) up) ≤ 1 − target,
    true exactly from :meth:`StandbyFloor.nodes_for_actives` (m) on: a count search that
    starts there confirms it with two checks instead of galloping to it.
    """
    if demand <= 0:
        return 0
    needed = max(1, math.ceil(demand / capacity))
    return floor.nodes_for_actives(needed, MAX_NODES) if needed <= MAX_NODES else needed


def _ring_availability_count(q: float, allowed: float, capacity: Fraction,
                             demand: Fraction) -> int:
    """About the fewest nodes of a ring (spread 1) whose run plateau may meet the target.

    The count search's floor asks that of every count (TierShape._ring_runs_may_hold):
    a run of L failed nodes needs ⌈(L + 1)·D / capacity⌉ nodes or so. Only a start for
    the search: it bisects that floor from here, whatever this returns.
    """
    if demand <= 0:
        return 0
    if demand > capacity * MAX_NODES:
        # Past what any allowed count carries (and perhaps past the floats: growth of
        # 1000% a month for 1000 months): the search refuses the tier from here.
        return MAX_NODES
    per_node = float(demand / capacity)
    first = _first_run_plateau(per_node, q, allowed)
    if first is None:
        return MAX_NODES
    count = (first + 1) * per_node
    return math.ceil(count) if count < MAX_NODES else MAX_NODES


@dataclass(frozen=True)
class TierShape:
    """A tier's policy and node figures, resolved once from the file (overrides applied).

    Everything that decides whether a count holds lives here, so that ``plan``,
    ``compare``, ``check``, ``failover`` and ``export`` ask one question the same way.
    """

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
    #: (the key a binding rps limit comes from) "rps" or "bandwidth".
    bottleneck: str = "rps"
    #: What the survivors must store (data on disk, a working set in memory).
    resources: Resources = field(default_factory=Resources)

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
        declared_standby = standby
        if tier.nodes is not None and tier.standby is None:
            # The default standby (= failures) may leave a declared pair no active node
            # under N+2; such a tier does not hold its policy, which is a finding, not bad
            # input: keep one active and let the plan say what holds.
            declared_standby = min(standby, tier.nodes - 1)
        spread = tier.spread or 1
        node = tier.node
        # Policy-wide targets apply where the node has the figures to judge them.
        latency = tier.latency_ms or (policy.latency_ms if node.service_ms is not None else None)
        availability = tier.availability if tier.availability is not None else (
            policy.availability if node.down_probability is not None else None)
        floor = None
        from capplan.registry import scheme_class

        if availability is not None and \
                getattr(scheme_class(tier.redundancy), "availability_search", "") == "built-in":
            floor = StandbyFloor(node.down_probability or Fraction(0), availability)
        if tier.scaling is not None:
            return cls._scaled(tier, index, policy, failures, zones, per_request_bytes,
                               latency, availability)
        mixed = _mixed_pools(tier, topology, per_request_bytes)
        if mixed is not None:
            # Everything but the fleet is the tier's as one kind of node (its largest).
            plain = tier.model_copy(update={"declared_nodes": tier.nodes})
            plain._chosen = None
            return replace(cls.of(plain, topology, index), tier=tier, declared=mixed[0],
                           sized=mixed[1])
        capacity = flow.usable_capacity(node, per_request_bytes)
        shape = cls(
            tier=tier,
            index=index,
            failures=failures,
            max_utilization=policy.max_utilization if tier.max_utilization is None
            else tier.max_utilization,
            min_runway_months=policy.min_runway_months if tier.min_runway_months is None
            else tier.min_runway_months,
            capacity=capacity,
            per_request_bytes=per_request_bytes,
            declared=make_scheme(tier.redundancy, spread=spread, standby=declared_standby,
                                 zones=zones),
            # A requirement must survive k failures, so it never counts on fewer than k
            # standbys, and it adds standbys until a zone loss orphans no active share.
            sized=make_scheme(tier.redundancy, spread=spread, standby=max(standby, failures),
                              zones=zones, cover_zones=True, standby_floor=floor),
            latency_targets=latency.targets() if latency is not None else {},
            availability_target=availability,
            bottleneck="rps" if capacity >= node.capacity else "bandwidth",
            resources=resources_of(tier),
        )
        if availability is not None and node.down_probability is not None \
                and type(shape.sized) is Pool:
            shape.sized.count_hint = partial(
                _pool_availability_count, floor or StandbyFloor(node.down_probability,
                                                                  availability), capacity)
        elif availability is not None and node.down_probability is not None \
                and type(shape.sized) is Ring and shape.sized.spread == 1:
            shape.sized.count_hint = partial(
                _ring_availability_count, float(node.down_probability),
                float(1 - availability) * (1 + 1e-6), capacity)
        return shape

    @classmethod
    def _scaled(cls, tier: Tier, index: int, policy: Any, failures: int, zones: Zones,
                per_request_bytes: Fraction, latency: Any, availability: Fraction | None,
                ) -> TierShape:
        """A USL-scaled pool: the law says what n nodes carry; ``capacity`` is λ, one alone."""
        from capplan.schemes import ScaledPool
        from capplan.usl import Law

        assert tier.scaling is not None
        usl = tier.scaling.usl
        law = Law(usl.sigma, usl.kappa, usl.lambda_)
        node = tier.node
        network = None
        if node.bandwidth_mbps is not None and per_request_bytes > 0:
            network = node.bandwidth_mbps * flow.BITS_PER_MEGABIT / (8 * per_request_bytes)
        scheme = ScaledPool(law, zones, network)
        return cls(
            tier=tier, index=index, failures=failures,
            max_utilization=policy.max_utilization if tier.max_utilization is None
            else tier.max_utilization,
            min_runway_months=policy.min_runway_months if tier.min_runway_months is None
            else tier.min_runway_months,
            capacity=law.lam, per_request_bytes=per_request_bytes,
            declared=scheme, sized=scheme,
            latency_targets=latency.targets() if latency is not None
            and node.service_ms is not None else {},
            availability_target=availability,
            bottleneck="bandwidth" if network is not None and network < law.lam else "rps",
            resources=resources_of(tier),
        )

    @property
    def path(self) -> tuple[str | int, ...]:
        """Where the tier is in the file (for messages about it)."""
        return ("tiers", self.index)

    # --- the limits ------------------------------------------------------------------------

    @cached_property
    def latency_ceiling(self) -> Fraction | None:
        """The busiest node's utilization up to which every latency target holds.

        Response times only grow with a node's load, so a latency target is a utilization
        ceiling of its own; found once by bisection, it joins max_utilization (None
        without targets).
        """
        if not self.latency_targets:
            return None
        low, high = 0.0, 1.0  # an M/M/w node at 100% never answers: the top is open
        for _ in range(52):
            middle = (low + high) / 2
            if self._latency_holds_at(middle):
                low = middle
            else:
                high = middle
        return Fraction(low)

    def _latency_holds_at(self, utilization: float) -> bool:
        figures = self._percentiles(utilization * float(self.capacity))
        return all(figures.get(name) is not None and figures[name] <= float(target)  # type: ignore[operator]
                   for name, target in self.latency_targets.items())

    def _percentiles(self, load_rps: float) -> dict[str, float | None]:
        from capplan.model import PERCENTILES
        from capplan.queueing import Queue

        node = self.tier.node
        queue = Queue(node.workers or 1, float(node.service_ms or 0), load_rps)
        names = {"p50", "p95", "p99", *self.latency_targets}
        return {name: queue.percentile(PERCENTILES[name])
                for name in PERCENTILES if name in names}

    @property
    def ceiling(self) -> Fraction:
        """The utilization no surviving node may pass: max_utilization, or lower for latency."""
        latency = self.latency_ceiling
        return self.max_utilization if latency is None else min(self.max_utilization, latency)

    def required(self, demand: Fraction, cascade: Fraction | None = None, *,
                 within: tuple[int, int | None] | None = None) -> int:
        """The smallest count at which every limit holds at *demand* (and *cascade*).

        Node failures, zone loss, latency (as a ceiling), the cascade and availability are
        checked together at every count tried: a count is required only when all hold.
        Those that only improve with more nodes are bisected; a ring's zone loss and
        availability are not monotone, so the search walks up from there (see
        :func:`capplan.schemes.smallest_count`). *within*: bounds known for the answer
        (see :func:`capplan.schemes.nodes_required`).
        """
        from capplan.schemes import MixedPool, ScaledPool

        if isinstance(self.sized, MixedPool):
            return self.sized.required  # a fleet chosen exactly (capplan.fleet), not searched
        scaled = self.sized if isinstance(self.sized, ScaledPool) else None
        if scaled is not None:
            for load in (demand, cascade):
                why = None if load is None else scaled.unreachable(load, self.ceiling,
                                                                   self.failures)
                if why is not None:
                    raise Unattainable(why)
        if demand > 0:
            self.refuse_unreachable_targets()
        monotone: list[Callable[[int], bool]] = []
        if cascade is not None:
            monotone.append(partial(self._carries_cascade, cascade))
        if self.resources:
            monotone.append(self._stores)
        without_availability = list(monotone)
        # Each scheme says how its availability may be searched (see Scheme).
        search = self.sized.availability_search
        ring_availability = self.availability_target is not None and search == "walk"
        if self.availability_target is not None and search == "monotone":
            monotone.append(lambda count: self.availability_holds(self.sized, count, demand))
        # A ring of spread 1 has a monotone floor and plateaus of its own (see below).
        ring_runs = ring_availability and isinstance(self.sized, Ring) \
            and self.sized.spread == 1 and demand > 0
        if ring_runs:
            monotone.append(lambda count: self._ring_runs_may_hold(count, demand))
        if ring_availability and demand > 0:
            monotone.append(self._all_down_may_hold)

        def also(count: int) -> bool:
            return all(check(count) for check in monotone)

        def availability(count: int) -> bool:
            return self.availability_holds(self.sized, count, demand)

        plateaus = ring_runs
        with self._availability_blamed(demand, without_availability):
            count = nodes_required(self.sized, demand, self.capacity, self.ceiling,
                                   self.failures, also=also if monotone else None,
                                   not_monotone=availability if ring_availability else None,
                                   not_monotone_next=partial(self._next_run_plateau, demand)
                                   if plateaus else None, within=within)
        if scaled is not None and cascade is not None \
                and scaled.carried(count) * self.max_utilization < cascade:
            # Past the USL peak a larger pool carries less, and every smaller count failed.
            raise Unattainable(f"the cold-cache cascade of {float(cascade):,.6g} rps needs "
                               f"{count} nodes, past the USL peak of {scaled.peak_nodes}")
        return count

    def closed_form_counts(self, demands: Any) -> Any:
        """Counts for many draws at once where the requirement is the 2002 rule, else None.

        A plain pool whose only limits are node failures and its ceiling needs exactly
        k + ⌈d / (capacity · ceiling)⌉ nodes for demand d (active-passive: its standbys
        instead of k; a ring of spread m the same while that leaves at most m survivors,
        else ⌈d·(1 + k/m) / (capacity · ceiling)⌉, see Ring.node_worst). Computed in floats
        for every draw, then every draw within a part in a billion of a step is sized exactly, so
        each count equals :meth:`required`'s (the tests compare them draw by draw).
        """
        sized = self.sized
        if sized.zones.matter or self.resources or self.latency_targets \
                or self.availability_target is not None:
            return None
        spread = None
        if type(sized) is Pool:
            offset = self.failures
        elif type(sized) is Ring and self.max_utilization <= 1:
            # At most 100%, a survivor within the ceiling sheds nothing: the ceiling binds.
            offset, spread = self.failures, sized.spread
        elif type(sized) is ActivePassive and sized.standby_floor is None:
            # Standbys idle until a failure: the actives alone carry the demand, and a
            # standby per failure (at least) takes a failed active's share.
            offset = sized.standby
            if self.failures > offset:
                return None
        else:
            return None
        import numpy as np

        from capplan.model import MAX_NODES

        usable = float(self.capacity * self.max_utilization)
        ratio = demands / usable
        with np.errstate(invalid="ignore", over="ignore"):
            steps = np.ceil(ratio)
            # A positive ratio below one half needs one step whatever its rounding: only
            # zero itself is near a step there (draws of a few rps behind a cache).
            near = ~np.isfinite(ratio) | (ratio <= 0) | ((ratio >= 0.5) & (
                np.abs(ratio - np.round(ratio)) <= 1e-9 * np.maximum(ratio, 1.0)))
        counts = np.maximum(offset + steps, sized.minimum_nodes())
        if spread is not None:
            # Past `spread` survivors each failed share lands on `spread` of them.
            wide = ratio * ((spread + offset) / spread)
            with np.errstate(invalid="ignore", over="ignore"):
                beyond_spread = ~(steps <= spread)
                near |= beyond_spread & (~np.isfinite(wide) | (
                    np.abs(wide - np.round(wide)) <= 1e-9 * np.maximum(wide, 1.0)))
                counts = np.where(beyond_spread, np.ceil(wide), counts)
        with np.errstate(invalid="ignore"):
            # Every scheme here needs at least d/usable nodes: far past the limit, floats
            # cannot tell the steps apart, but no step there is within the limit.
            near &= ~(ratio > 2 * MAX_NODES)
        counts = np.where(near | (counts > MAX_NODES), 0, counts).astype(np.int64)
        from capplan.uncertainty import BEYOND

        counts[~near & (counts == 0)] = BEYOND
        # Draws of one value (every zero draw, say) are sized once.
        sized_at: dict[float, int] = {}
        for position in np.flatnonzero(near):
            value = float(demands[position])
            if value not in sized_at:
                try:
                    sized_at[value] = BEYOND if not math.isfinite(value) else min(
                        BEYOND, self.required(Fraction(value)))
                except Unattainable:
                    sized_at[value] = BEYOND
            counts[position] = sized_at[value]
        return counts

    def _stores(self, count: int) -> bool:
        """The survivors of the worst failure hold what the tier stores."""
        survivors = self.sized.fewest_survivors(count, self.failures)
        return self.resources.holds(survivors, self.max_utilization)

    def resource_shortfalls(self, scheme: Scheme, count: int) -> dict[str, str]:
        """Per stored resource that *count* nodes cannot hold, why (empty: all hold)."""
        if not self.resources:
            return {}
        from capplan.schemes import MixedPool

        if isinstance(scheme, MixedPool):
            return {name: words for name, (_, words) in self._mixed_stored(scheme).items()}
        survivors = scheme.fewest_survivors(count, self.failures)
        return self.resources.failing(survivors, self.max_utilization)

    def _carries_cascade(self, cascade: Fraction, count: int) -> bool:
        """All nodes up carry *cascade* within max_utilization (monotone: see floor_worst)."""
        from capplan.schemes import ScaledPool

        if isinstance(self.sized, ScaledPool):
            # The search needs a monotone check; past its peak a USL pool carries less,
            # which the walk's exact check (assess) catches.
            top = self.sized.peak_nodes
            count = count if top is None else min(count, top)
        return cascade <= self.sized.carried(count, self.capacity) * self.max_utilization

    def refuse_unreachable_targets(self) -> None:
        """Targets no count of these nodes meets at any demand: refused at their keys.

        Asked once per tier where there is demand, before any count search (with ranges,
        before the draws: said once, not as "more than 1,000,000 nodes" in every draw).
        """
        self.refuse_certain_availability()
        self._refuse_unreachable_latency()

    def refuse_certain_availability(self) -> None:
        """A target of 100% on nodes that fail: no count meets it, so say so at the key.

        Asked only where there is demand. Every node is down at once some of the time
        (qᴺ > 0), and that sheds any demand,
        so no tier of such nodes is available 100% of the time; a search would only run to
        the node limit and blame the capacity.
        """
        q = self.tier.node.down_probability
        if self.availability_target is None or self.availability_target < 1 or not q:
            return
        key: tuple[str | int, ...] = (*self.path, "availability") \
            if self.tier.availability is not None else ("policy", "availability")
        # Not "each node is down q": a typed tier's types may differ in q.
        raise Unattainable("availability 100% is out of reach: nodes that fail (mtbf_hours, "
                           "mttr_hours) are all down at once some of the time; set a target "
                           "below 100%, as availability: 99.99%", path=key)

    @contextmanager
    def _availability_blamed(self, demand: Fraction,
                             others: list[Callable[[int], bool]]) -> Iterator[None]:
        """A search past the node limit because of the availability target: said at its key.

        If the tier's other limits alone hold within MAX_NODES, the target is what binds,
        and "raise node.capacity_rps" would be advice that cannot help: nodes that are
        down most of the time need more of them for availability however much each
        carries.
        """
        try:
            yield
        except TooMany:
            if self.availability_target is not None and demand > 0:
                self._refuse_unreachable_availability(demand, others)
            raise

    def _refuse_unreachable_latency(self) -> None:
        """Latency targets that hold only below 2⁻⁵² of a node's capacity: said at their key.

        The file refuses a target under the service time itself; one a hair above it (or
        a capacity_rps far beyond what workers and service_ms serve) leaves a ceiling the
        bisection cannot tell from 0, and no count of such nodes carries any demand.
        """
        if self.latency_ceiling != 0:
            return
        key: tuple[str | int, ...] = (*self.path, "latency_ms") \
            if self.tier.latency_ms is not None else ("policy", "latency_ms")
        raise Unattainable(
            "latency_ms holds only with nodes all but idle (below "
            "2⁻⁵² of node.capacity_rps); raise the targets well above what service alone "
            "takes, or set capacity_rps to what node.workers serve at service_ms", path=key)

    def _refuse_unreachable_availability(self, demand: Fraction,
                                         others: list[Callable[[int], bool]]) -> None:
        import copy

        plain = self.sized
        if getattr(plain, "standby_floor", None) is not None:
            # Standbys added for the target are the target's doing: count without them.
            plain = copy.copy(plain)
            plain.standby_floor = None  # type: ignore[attr-defined]
        try:
            nodes_required(plain, demand, self.capacity, self.ceiling, self.failures,
                           also=(lambda count: all(check(count) for check in others))
                           if others else None)
        except Unattainable:
            return  # the other limits need too many nodes themselves: their message stands
        key: tuple[str | int, ...] = (*self.path, "availability") \
            if self.tier.availability is not None else ("policy", "availability")
        q = self.tier.node.down_probability
        down = "" if q is None else f", its nodes down {float(q) * 100:.6g}% of the time"
        raise AvailabilityOutOfReach(
            f"tier '{self.tier.name}' would need more than {MAX_NODES:,} nodes for "
            f"availability {nines(float(self.availability_target or 0))}{down}; lower "
            "availability, or use nodes that fail less often or recover sooner "
            "(mtbf_hours, mttr_hours)", path=key)

    def _all_down_may_hold(self, count: int) -> bool:
        """A floor for a ring's availability walk, any spread: qᴺ ≤ 1 − target.

        Every node down at once sheds whatever the demand, so a ring is down at least qᴺ
        of the time: a necessary condition that only loosens with more nodes, so the
        search bisects to it. Without it a ring whose one node carries the peak (where
        only all-down sheds) walked up from one node and stopped before the answer.
        """
        q, target = self.tier.node.down_probability, self.availability_target
        if not q or target is None:
            return True
        if q >= 1:
            return False
        allowed = 1 - target
        log_allowed = math.log(allowed.numerator) - math.log(allowed.denominator)
        # Loosened by a part in a million: a floor must never exclude a count that holds.
        return count * (math.log(q.numerator) - math.log(q.denominator)) \
            <= log_allowed + 1e-6

    def _next_run_plateau(self, demand: Fraction, count: int) -> int:
        """The first count above *count* whose survivors take a longer run of failures.

        A ring (spread 1) sheds exactly when some run of ⌊capacity·N/D⌋ consecutive nodes is
        down, so between two such steps only the number of places for that run grows, and
        with it the chance of one: once the availability target fails at a count it fails
        until the next step. (That a longer cycle never makes a run of a given length less
        likely was checked exactly for runs up to 5 and cycles up to 60; the tests compare
        the search with a walk over every count.)
        """
        longest = math.floor(self.capacity * count / demand)
        return max(count + 1, math.ceil((longest + 1) * demand / self.capacity))

    def _ring_runs_may_hold(self, count: int, demand: Fraction) -> bool:
        """A floor for a ring's availability search (spread 1): False only where it fails.

        With L = ⌊capacity·N/D⌋ − 1 the longest run of failed nodes the survivor after it
        can take, any L + 1 consecutive failures shed. The ring holds ⌊D/capacity⌋ or more
        disjoint blocks of L + 1 nodes, so it is down at least 1 − (1 − q^(L+1))^⌊D/c⌋ of
        the time. That bound only falls as N (and with it L) grows: a monotone necessary
        condition, so the search can bisect to it and walk only from there.
        """
        q = self.down_probability
        target = self.availability_target
        if q is None or target is None:
            return True
        longest = math.floor(self.capacity * count / demand) - 1
        if longest < 0:
            return False
        blocks = math.floor(demand / self.capacity)
        run = q ** (longest + 1)
        bound = -math.expm1(blocks * math.log1p(-run)) if run < 1 else 1.0
        # Loosened by a part in a million: a floor must never exclude a count that holds.
        allowed = float(1 - target) * (1 + 1e-6)
        return bound <= allowed and self._some_run_plateau_may_hold(longest, demand, allowed)

    def _some_run_plateau_may_hold(self, longest: int, demand: Fraction,
                                   allowed: float) -> bool:
        """The second floor of :meth:`_ring_runs_may_hold`, from every run plateau at once.

        False only when no count whose survivors take runs of *longest* failed nodes or
        fewer meets the target.
        Where the survivors take runs of up to L failed nodes, the ring sheds whenever some
        node i − 1 is up and i … i + L are down (event Sᵢ, probability p = (1 − q)·q^(L+1)).
        Two such events whose stretches of L + 2 nodes overlap exclude each other (Sⱼ needs
        j − 1 up, inside Sᵢ's downed run), and the others are independent, so by the
        second-moment inequality P(shed) ≥ (N·p)² / (N·p + N²·p²) = N·p / (1 + N·p),
        which grows with N: the smallest N taking runs of L, ⌈(L + 1)·D / capacity⌉, gives
        each plateau's floor. That floor is not monotone in L (N·p first grows when q is
        near 1), so the predicate asks whether any plateau up to *longest* may hold: once
        one may, larger counts stay admissible, as a bisected floor needs. Tighter than the
        block bound by about (L + 1)·(1 − q), which for nodes down most of the time is the
        walk of dozens of plateaus (each an exact ring figure) saved.
        """
        q = self.down_probability
        if q is None:
            return True
        first = _first_run_plateau(float(demand / self.capacity), q, allowed)
        return first is not None and longest >= first


    def limits(self, scheme: Scheme, count: int, demand: Fraction) -> dict[str, float]:
        """Latency and availability as factors: how far the peak grows before each breaks."""
        factors: dict[str, float] = {}
        latency = self.latency_ceiling
        if latency is not None and latency < self.max_utilization:
            busiest = scheme.worst(count, demand, self.capacity, self.failures).worst_utilization
            factors["latency"] = math.inf if busiest == 0 else float(latency / busiest)
        if self.availability_target is not None and self.down_probability is not None:
            factors["availability"] = self.availability_factor(scheme, count, demand)
        return factors

    def latency(self, scheme: Scheme, count: int, demand: Fraction
                ) -> dict[str, float | None] | None:
        """Response-time percentiles (ms) at the busiest node after the worst failure set."""
        if self.tier.node.service_ms is None:
            return None
        worst = scheme.worst(count, demand, self.capacity, self.failures)
        return self._percentiles(float(worst.worst_utilization * self.capacity))

    def unavailability(self, scheme: Scheme, count: int, demand: Fraction
                       ) -> Unavailability | None:
        """P(the nodes down at a random instant shed something), None where not modelled."""
        q = self.tier.node.down_probability
        if q is None:
            return None
        return scheme.unavailability(count, q, demand, self.capacity)

    def availability_holds(self, scheme: Scheme, count: int, demand: Fraction) -> bool:
        """The availability target met (True when the tier has none)."""
        if self.availability_target is None:
            return True
        q = self.tier.node.down_probability
        if q is not None and isinstance(scheme, Ring) and scheme.spread == 1:
            from capplan.availability import ring_meets_quickly

            quick = ring_meets_quickly(count, q, demand, self.capacity, self.availability_target)
            if quick is not None:
                return quick
        missing = self.unavailability(scheme, count, demand)
        return missing is not None and missing.meets(self.availability_target)

    def availability_factor(self, scheme: Scheme, count: int, demand: Fraction) -> float:
        """How many times *demand* the tier carries before its availability target breaks.

        More demand never makes a tier more available, so this is a bisection over the
        factor; 0 when the target fails at any demand (standbys too few).
        """
        if demand == 0:
            return math.inf
        # A ring's shedding probability depends on the demand D only through what its
        # survivors can take: with m = min(spread, N) takers, the window budget
        # ⌊m·(capacity − s)/s⌋ = ⌊m·capacity·N/D⌋ − m (s = D/N; a share past capacity
        # is that floor below m) and, for fewer than m survivors u, whether D/u > capacity,
        # i.e. min(m, ⌈D/capacity⌉) (see availability.ring and ring_meets_quickly). The
        # bisection below tries fifty factors, most with the same two figures near the
        # boundary: each is worked out once (an exact ring figure may be a matrix power).
        takers = min(scheme.spread, count) if type(scheme) is Ring else None
        seen: dict[tuple[int, int], bool] = {}

        def holds(times: float) -> bool:
            load = demand * Fraction(times)
            if takers is None:
                return self.availability_holds(scheme, count, load)
            key = (math.floor(takers * self.capacity * count / load),
                   min(takers, math.ceil(load / self.capacity)))
            found = seen.get(key)
            if found is None:
                found = seen[key] = self.availability_holds(scheme, count, load)
            return found

        if not holds(1e-9):
            return 0.0
        low, high = 1e-9, 1.0
        while holds(high):
            low, high = high, high * 2
            if high > 2.0**40:
                return math.inf
        for _ in range(48):
            middle = (low + high) / 2
            if holds(middle):
                low = middle
            else:
                high = middle
        return low

    def cascade_required(self, cascade: Fraction) -> int:
        """Nodes that carry *cascade* with all of them up, within max_utilization."""
        from capplan.schemes import smallest_holding

        lowest = self.sized.minimum_nodes()
        return smallest_holding(lowest, lowest, partial(self._carries_cascade, cascade))

    def scheme_for(self, count_declared: bool) -> Scheme:
        """The declared tier keeps its standbys; a sized one has the standbys it needs."""
        return self.declared if count_declared else self.sized

    def holding_limit(self, scheme: Scheme, count: int, demand: Fraction,
                      cascade: Fraction | None = None) -> Fraction | None:
        """The tier request rate up to which *count* nodes hold every limit (None: none).

        Exact for the ceiling (latency folded in) and the cascade; an availability target
        lowers it to where the target breaks (the bisection's holding side, so an alert
        on it fires early, never late).
        """
        limit = holding_limit(scheme, count, self.capacity, self.ceiling, self.failures,
                              demand, cascade)
        if limit is not None and self.availability_target is not None and demand > 0:
            factor = self.availability_factor(scheme, count, demand)
            if factor == 0:
                return None
            if not math.isinf(factor):
                limit = min(limit, demand * Fraction(factor))
        return limit

    def standby(self, scheme: Scheme, count: int) -> int | None:
        """Idle standbys of *count* nodes under *scheme* (None unless active-passive)."""
        return scheme.standbys(count) if isinstance(scheme, ActivePassive) else None

    def holds(self, count: int, demand: Fraction, cascade: Fraction | None = None) -> bool:
        """*count* nodes, as capplan would size them, hold every limit at *demand*."""
        return self.assess(self.sized, count, demand, Fraction(0), cascade,
                           factors=False).holds

    def verdicts(self, scheme: Scheme, count: int, demand: Fraction) -> dict[str, bool]:
        """Latency and availability held or not, decided exactly (factors are floats)."""
        verdicts: dict[str, bool] = {}
        latency = self.latency_ceiling
        if latency is not None and latency < self.max_utilization:
            busiest = scheme.worst(count, demand, self.capacity, self.failures).worst_utilization
            verdicts["latency"] = busiest <= latency
        if self.availability_target is not None and self.down_probability is not None:
            verdicts["availability"] = self.availability_holds(scheme, count, demand)
        return verdicts

    def assess(self, scheme: Scheme, count: int, demand: Fraction, growth: Fraction,
               cascade: Fraction | None = None, *, factors: bool = True) -> Assessment:
        """Every limit of *count* nodes at *demand*: holds, headroom, runway, what binds.

        Stored resources do not grow with the peak: one that holds never binds, one that
        fails reports how much of its need the survivors hold (its factor, below 1).
        Without *factors*, latency and availability are only judged, not bisected for
        how far the peak may grow (a bisection of fifty figures): for a yes or no.
        """
        limits = self.limits(scheme, count, demand) if factors else {}
        verdicts = self.verdicts(scheme, count, demand)
        if self.resources:
            from capplan.schemes import MixedPool

            survivors = scheme.fewest_survivors(count, self.failures)
            mixed = self._mixed_stored(scheme) if isinstance(scheme, MixedPool) else None
            for name in self.resource_shortfalls(scheme, count):
                verdicts[name] = False
                limits[name] = min(mixed[name][0], math.nextafter(1.0, 0.0)) \
                    if mixed is not None else self._stored_share(name, survivors)
        return assess(scheme, count, demand, self.capacity, self.max_utilization,
                      self.failures, growth, cascade, limits=limits, verdicts=verdicts)

    def _mixed_stored(self, scheme: Any) -> dict[str, tuple[float, str]]:
        """A mix of types: per failing resource, the share of its need held, and why.

        Each resource holds against its own worst set: the k nodes largest in it.
        """
        ceiling, failures = self.max_utilization, self.failures
        found: dict[str, tuple[float, str]] = {}
        for item in self.resources.stored:
            amounts = sorted(scheme.stored[item.name], reverse=True)
            held = sum(amounts[failures:], Fraction(0)) * ceiling
            if held < item.need:
                found[item.name] = (float(held / item.need) if item.need else 0.0, (
                    f"{float(item.need):,.6g} GiB of {item.name} ({item.key}): losing the "
                    f"{failures} largest leaves {float(held):,.6g} GiB within "
                    f"{float(ceiling):.0%}"))
        survivors = len(scheme.capacities) - failures
        if survivors < self.resources.replicas and "disk" not in found:
            found["disk"] = (survivors / self.resources.replicas, (
                f"replicas: {self.resources.replicas} needs {self.resources.replicas} "
                f"survivors, and the worst failure leaves {survivors}"))
        return found

    def _stored_share(self, name: str, survivors: int) -> float:
        """The share of resource *name*'s need that *survivors* nodes hold (below 1 here)."""
        fewest = self.resources.fewest(name, self.max_utilization) or 1
        return min(survivors / fewest, math.nextafter(1.0, 0.0))


Found = TypeVar("Found")


@lru_cache(maxsize=4096)
def _first_run_plateau(per_node: float, q: float, allowed: float) -> int | None:
    """The shortest run L whose plateau may meet *allowed* (see _some_run_plateau_may_hold).

    Scanned once per demand (the count searches ask for it at every count they try);
    None when no plateau up to MAX_NODES nodes may. *per_node* is D / capacity: the
    smallest count whose survivors take runs of L is ⌈(L + 1)·D / capacity⌉, and one
    node fewer keeps the floating-point figure a lower bound.
    """
    if not 0 < q < 1:
        return 0 if q <= 0 else None
    log_q, log_up = math.log(q), math.log1p(-q)
    for run in range(RUNS_IN_PYTHON):
        smallest = max(1.0, math.ceil((run + 1) * per_node) - 1.0)
        if smallest > MAX_NODES:
            return None
        if smallest < run + 2:
            return run  # one node takes all the rest: the events do not apply
        starts = math.exp(min(math.log(smallest) + log_up + (run + 1) * log_q, 700.0))
        if starts / (1 + starts) <= allowed:
            return run
    return _first_run_plateau_in_blocks(per_node, log_q, log_up, allowed)


#: Runs scanned one by one before numpy takes over: the answer is almost always among
#: the first few, but nodes down nearly all the time at a load just over two nodes' worth
#: scan half a million runs (0.3 s in Python, per distinct demand: per draw under ranges).
RUNS_IN_PYTHON = 64

#: Runs per numpy block in :func:`_first_run_plateau_in_blocks`.
RUN_BLOCK = 2**16


def _first_run_plateau_in_blocks(per_node: float, log_q: float, log_up: float,
                                 allowed: float) -> int | None:
    """:func:`_first_run_plateau` from run RUNS_IN_PYTHON on, the same tests a block at once."""
    import numpy as np

    start = RUNS_IN_PYTHON
    while True:
        runs = np.arange(start, start + RUN_BLOCK, dtype=np.float64)
        smallest = np.maximum(1.0, np.ceil((runs + 1) * per_node) - 1.0)
        starts = np.exp(np.minimum(np.log(smallest) + log_up + (runs + 1) * log_q, 700.0))
        found = (smallest < runs + 2) | (starts / (1 + starts) <= allowed)
        beyond = smallest > MAX_NODES
        stop = found | beyond
        if stop.any():
            first = int(np.argmax(stop))
            return None if beyond[first] else start + first
        start += RUN_BLOCK


class Spread(NamedTuple):
    """Requirements over simulated draws of uncertain inputs, for one tier."""

    nodes_required: int
    nodes_required_now: int
    distribution: dict[str, float]
    #: Whether the declared count holds today in at least policy.confidence of the draws
    #: (None when the tier declares none).
    covered: bool | None = None
    #: Under policy.choose: regret, the expected regret per count considered.
    expected_regret: dict[str, float] | None = None


class Requirement(NamedTuple):
    """A tier's required counts: at the planning peak (every peak up to the horizon) and now."""

    nodes_required: int
    nodes_required_now: int
    distribution: dict[str, float] | None = None
    sized_by_cascade: bool = False
    covered: bool | None = None
    expected_regret: dict[str, float] | None = None


def plan(topology: Topology, *, simulations: int = 10_000, seed: int = 0) -> Plan:
    """Plan every tier of *topology* at its current and planning peak.

    With ranges among the inputs, every figure describes the medians, except the counts
    required: those hold the policy in at least ``policy.confidence`` of *simulations*
    draws (seeded with *seed*).
    """
    topology = resolved(topology, simulations=simulations, seed=seed)
    traffic = topology.traffic
    peak = flow.entry_peak(traffic)
    factor = flow.growth_factor(traffic)
    demands = flow.tier_demands(topology, peak)
    shapes = [TierShape.of(tier, topology, index) for index, tier in enumerate(topology.tiers)]
    moved = _moved_shares(shapes, demands, factor)
    cascades = _cascades(topology, peak, demands, moved)
    shares = flow.slot_demands(traffic)
    requirements = requirements_of(topology, shapes, demands, cascades, moved,
                                   simulations, seed)
    from capplan.model import is_uncertain

    uncertain = (simulations, seed, topology.policy.confidence) \
        if is_uncertain(topology) else None
    tiers = tuple(
        plan_tier(shape, demand, factor, topology, cascade, shares, requirement)
        for shape, demand, cascade, requirement in zip(shapes, demands, cascades, requirements,
                                                       strict=True)
    )
    return Plan(topology.site, peak, flow.tame(peak * factor), traffic.horizon_months, tiers,
                uncertain)


def requirements_of(topology: Topology, shapes: list[TierShape], demands: list[Fraction],
                    cascades: list[Fraction | None], moved: list[Fraction | None],
                    simulations: int = 10_000, seed: int = 0, *,
                    only: int | None = None) -> list[Requirement]:
    """Every tier's required counts: the one rule every command uses.

    A count is required when it holds every limit at every peak from now to the horizon
    (with shrinking traffic that is today's), and, with ranges among the inputs, in at
    least ``policy.confidence`` of the draws.
    """
    from capplan.model import is_uncertain

    factor = flow.growth_factor(topology.traffic)
    if is_uncertain(topology):
        horizon = max(factor, Fraction(1))

        def from_spread(spread: Spread, shape: TierShape, demand: Fraction,
                        cascade: Fraction | None) -> Requirement:
            # Whether the cascade sizes the tier is told at the medians, like every figure
            # but the counts.
            by_cascade = cascade is not None and _searched(
                shape, partial(shape.required, flow.tame(demand * horizon),
                               flow.tame(cascade * horizon)), topology, now=False) > _searched(
                shape, partial(shape.required, flow.tame(demand * horizon)), topology,
                now=False)
            return Requirement(spread.nodes_required, spread.nodes_required_now,
                               spread.distribution, by_cascade, spread.covered,
                               spread.expected_regret)

        return every_tier(
            partial(from_spread, spread, shape, demand, cascade)
            for spread, shape, demand, cascade in zip(
                _spreads(topology, shapes, moved, factor, simulations, seed, only),
                shapes, demands, cascades, strict=True))
    return every_tier(partial(_required, shape, demand, cascade, factor, topology)
                      for shape, demand, cascade in zip(shapes, demands, cascades, strict=True))


TierResult = TypeVar("TierResult")


def every_tier(work: Iterable[Callable[[], TierResult]]) -> list[TierResult]:
    """Each tier's result, in order; one tier no count holds does not hide the others.

    Raises the first tier's :class:`Unattainable` with the later ones in its ``also``,
    so that ``check`` reports each of them, as a linter reports every finding.
    """
    results: list[TierResult] = []
    failed: list[Unattainable] = []
    for one in work:
        try:
            results.append(one())
        except Unattainable as error:
            failed.append(error)
    if failed:
        failed[0].also = tuple(failed[1:])
        raise failed[0]
    return results


def _required(shape: TierShape, demand: Fraction, cascade: Fraction | None, factor: Fraction,
              topology: Topology) -> Requirement:
    horizon = max(factor, Fraction(1))
    planning_demand = flow.tame(demand * horizon)
    planning_cascade = None if cascade is None else flow.tame(cascade * horizon)
    now = _searched(shape, lambda: shape.required(demand, cascade), topology, now=True)
    later = _searched(shape, lambda: shape.required(planning_demand, planning_cascade),
                      topology, now=False)
    by_cascade = cascade is not None and later > _searched(
        shape, lambda: shape.required(planning_demand), topology, now=False)
    return Requirement(max(later, now), now, None, by_cascade)


class AvailabilityOutOfReach(TooMany):
    """More than MAX_NODES for the availability target alone: the message says so, whole."""


def _searched(shape: TierShape, search: Callable[[], Found], topology: Topology, *,
               now: bool) -> Found:
    """Run a count search; a count no tier may have becomes a message about its cause."""
    from capplan.errors import SearchStopped

    try:
        return search()
    except AvailabilityOutOfReach:
        raise
    except TooMany:
        traffic = topology.traffic
        if not now and traffic.growth > 0:
            raise Unattainable(
                f"growth {float(traffic.growth):.2%} a month for "
                f"{float(traffic.horizon_months):g} months: tier '{shape.tier.name}' would "
                f"need more than 1,000,000 nodes for {policy_words(shape)} at the horizon; "
                "lower growth or horizon_months", path=("traffic", "growth"),
            ) from None
        raise Unattainable(f"tier '{shape.tier.name}' would need more than 1,000,000 nodes "
                           f"for {policy_words(shape)}; raise node.capacity_rps or lower the "
                           "peak", path=shape.path) from None
    except SearchStopped as stopped:
        raise Unattainable(
            f"tier '{shape.tier.name}': no count from {stopped.first:,} to {stopped.last:,} "
            f"meets availability {nines(float(shape.availability_target or 0))} for "
            f"{policy_words(shape)}, and capplan stops there (a ring's availability is not "
            "monotone in its count); lower the target, or use a pool", path=shape.path,
        ) from None
    except Unattainable as error:
        # A cause that knows its key (the target itself) keeps it.
        raise Unattainable(f"tier '{shape.tier.name}' cannot meet its policy at any size: "
                           f"{error}", path=error.path or shape.path) from None


def policy_words(shape: TierShape) -> str:
    """'N+1 at 80%', with the zone loss when the tier must survive it."""
    zones = shape.declared.zones
    lost = f" and the loss of {zones.failures} of {zones.count} zones" if zones.matter else ""
    # 80%, 62.5%, 0.1%: never "0%" for a ceiling that is not zero.
    ceiling = f"{float(shape.max_utilization) * 100:.4g}%"
    return f"N+{shape.failures} at {ceiling}{lost}"


#: The last topology's draws: compare sizes every scheme from the same draws.
_LAST_DRAWS: list[tuple[Topology, tuple[Fraction | None, ...], int, int, Draws]] = []


def _draws(topology: Topology, moved: tuple[Fraction | None, ...], simulations: int,
           seed: int) -> Draws:
    """The draws of a topology's uncertain inputs, made once per topology and seed.

    ``compare`` sizes each tier under every scheme from the same draws; drawing them again
    for each was most of its time. Keyed by identity (a Topology holds lists, so it does
    not hash), and only the last one is kept.
    """
    from capplan import uncertainty

    for known, known_moved, known_simulations, known_seed, draws in _LAST_DRAWS:
        if known is topology and (known_moved, known_simulations, known_seed) == (
                moved, simulations, seed):
            return draws
    draws = uncertainty.draw(topology, list(moved), simulations, seed)
    _LAST_DRAWS[:] = [(topology, moved, simulations, seed, draws)]
    return draws


def _spreads(topology: Topology, shapes: list[TierShape], moved: list[Fraction | None],
             factor: Fraction, simulations: int, seed: int,
             only: int | None = None) -> list[Spread]:
    """Counts per draw for *shapes*: every tier, or the tier at position *only*."""
    from capplan import uncertainty

    draws = _draws(topology, tuple(moved), simulations, seed)
    confidence = topology.policy.confidence
    horizon = max(factor, Fraction(1))
    traffic = topology.traffic
    cause = None if traffic.growth <= 0 else (
        f"growth {float(traffic.growth):.2%} a month for {float(traffic.horizon_months):g} "
        "months")
    demands, cascades = draws.demands, draws.cascades
    if only is not None:
        demands, cascades = [demands[only]], [cascades[only]]

    def spread_of(shape: TierShape, demand: Any, cascade: Any) -> Spread:
        # Said once for the tier, not as "more than 1,000,000 nodes" in every draw.
        if bool((demand > 0).any()):
            _searched(shape, shape.refuse_unreachable_targets, topology, now=True)
        later = _searched(shape, partial(uncertainty.tier_counts, shape, demand, cascade,
                                         horizon, confidence), topology, now=False)
        # Without growth the horizon is today: the same draws at the same factor.
        now = later if horizon == 1 else _searched(
            shape, partial(uncertainty.tier_counts, shape, demand, cascade, Fraction(1),
                           confidence), topology, now=True)
        if topology.policy.choose == "regret":
            return _least_regret(shape, topology, later, now, demand, cascade)
        return Spread(
            _searched(shape, partial(uncertainty.quantile_count, later, confidence,
                                     tier=shape.tier.name, cause=cause,
                                     path=("traffic", "growth") if cause else shape.path),
                      topology, now=False),
            _searched(shape, partial(uncertainty.quantile_count, now, confidence,
                                     tier=shape.tier.name, path=shape.path),
                      topology, now=True),
            uncertainty.distribution(later),
            None if shape.tier.nodes is None
            else _draws_held(shape, shape.tier.nodes, demand, cascade) >= confidence)

    return every_tier(partial(spread_of, shape, demand, cascade)
                      for shape, demand, cascade in zip(shapes, demands, cascades, strict=True))


def _least_regret(shape: TierShape, topology: Topology, later: Any, now: Any, demand: Any,
                  cascade: Any) -> Spread:
    """policy.choose: regret: the counts with the least expected regret over the draws.

    A declared count is covered when it holds in at least as many of today's draws as the
    count regret chooses (counted draw by draw: a ring over zones is not monotone).
    """
    from capplan import uncertainty
    from capplan.regret import regret_counts

    policy = topology.policy
    prices = (shape.tier.node.cost, policy.regret.over, policy.regret.under,
              policy.regret.exponent)
    chosen = _searched(shape, partial(regret_counts, later, *prices,
                                      confidence=policy.confidence, tier=shape.tier.name,
                                      path=shape.path), topology, now=False)
    chosen_now = _searched(shape, partial(regret_counts, now, *prices,
                                          confidence=policy.confidence, tier=shape.tier.name,
                                          path=shape.path), topology, now=True)
    covered = None
    if shape.tier.nodes is not None:
        covered = _draws_held(shape, shape.tier.nodes, demand, cascade) >= _draws_held(
            shape, chosen_now.chosen, demand, cascade)
    return Spread(chosen.chosen, chosen_now.chosen, uncertainty.distribution(later), covered,
                  chosen.document())


def _draws_held(shape: TierShape, count: int, demand: Any, cascade: Any) -> Fraction:
    """The share of today's draws in which *count* declared nodes hold every limit.

    Loads grow with demand, so the count holds a draw exactly when its demand is within
    the count's holding limit (and its cascade within the all-up ceiling).
    """
    import numpy as np

    scheme = shape.declared
    limit = shape.holding_limit(scheme, count, Fraction(float(np.median(demand)) or 1))
    if limit is None:
        return Fraction(0)
    held = demand <= float(limit)
    if cascade is not None:
        ceiling = shape.max_utilization * scheme.carried(count, shape.capacity)
        held = held & (cascade <= float(ceiling))
    return Fraction(int(np.count_nonzero(held)), len(demand))


def _moved_shares(shapes: list[TierShape], demands: list[Fraction],
                  factor: Fraction) -> list[Fraction | None]:
    """Per cold cache, the share of its demand its worst failure moves (None elsewhere).

    From the cache's declared count, or its count required without any cascade.
    """
    moved: list[Fraction | None] = []
    horizon = max(factor, Fraction(1))
    for shape, demand in zip(shapes, demands, strict=True):
        tier = shape.tier
        if tier.cold_hit_ratio is None or tier.cold_hit_ratio >= tier.hit_ratio:
            moved.append(None)
            continue
        declared = tier.nodes is not None
        count = tier.nodes if tier.nodes is not None \
            else shape.required(flow.tame(demand * horizon))
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
              requirement: Requirement | None = None) -> TierPlan:
    """One tier's plan: requirement at both peaks and the assessment of its count."""
    tier = shape.tier
    planning_demand = flow.tame(demand * factor)
    if requirement is None:
        requirement = _required(shape, demand, cascade, factor, topology)
    required = requirement.nodes_required
    declared = tier.nodes is not None
    scheme = shape.scheme_for(declared)
    count = tier.nodes if tier.nodes is not None else required
    latency = shape.latency(scheme, count, demand)
    missing = shape.unavailability(scheme, count, demand)
    assessment = shape.assess(scheme, count, demand, topology.traffic.growth, cascade)
    from capplan.schemes import MixedPool

    # A fleet of several types has no count per resource: its needs went to the optimiser.
    required_by = _required_by(shape, demand, cascade, factor, topology) \
        if shape.resources and not isinstance(shape.sized, MixedPool) else None
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
        nodes_required_now=requirement.nodes_required_now,
        assessment=assessment,
        node_cost=tier.node.cost,
        zones=tier.zones,
        zone_failures=shape.declared.zones.failures,
        cascade_demand=cascade,
        sized_by_cascade=requirement.sized_by_cascade,
        survivable_failures=survivable,
        exposed_hours=exposed,
        latency_ms=latency,
        availability=None if missing is None else missing.availability,
        nodes_required_distribution=requirement.distribution,
        standby=shape.standby(scheme, count),
        standby_required=shape.standby(shape.sized, required),
        standby_required_now=shape.standby(shape.sized, requirement.nodes_required_now),
        bottleneck=shape.bottleneck if required_by is None else _most_needed(required_by),
        latency_targets={name: float(value) for name, value in shape.latency_targets.items()}
        or None,
        availability_target=None if shape.availability_target is None
        else float(shape.availability_target),
        policy_words=policy_words(shape),
        draws_covered=requirement.covered,
        shortfalls=shape.resource_shortfalls(scheme, count),
        required_by=required_by,
        expected_regret=requirement.expected_regret,
        choice=tier._chosen,
        type_costs=None if topology.node_types is None
        else {name: node.cost for name, node in topology.node_types.items()},
    )


#: The resources of ``required_by``, in the order a tie between them is reported.
RESOURCES = ("rps", "bandwidth", "disk", "memory")


def _required_by(shape: TierShape, demand: Fraction, cascade: Fraction | None,
                 factor: Fraction, topology: Topology) -> dict[str, int | None]:
    """The count each resource alone needs at the planning peak (None: not declared).

    rps and bandwidth take every traffic limit (failures, zones, cascade, latency,
    availability) with the node's request rate or its network as its capacity; disk and
    memory take what the survivors of the worst failure must hold. nodes_required holds
    them all at once, so it is at least the largest (more on a ring over zones, which is
    not monotone in its count).
    """
    from dataclasses import replace

    from capplan.schemes import ScaledPool, smallest_holding

    traffic_only = replace(shape, resources=Resources())
    node = shape.tier.node
    variants: dict[str, TierShape | None] = {"rps": traffic_only, "bandwidth": None}
    if not isinstance(shape.sized, ScaledPool):
        variants["rps"] = replace(traffic_only, capacity=node.capacity)
    if node.bandwidth_mbps is not None and shape.per_request_bytes > 0:
        network = node.bandwidth_mbps * flow.BITS_PER_MEGABIT / (8 * shape.per_request_bytes)
        variants["bandwidth"] = replace(traffic_only, capacity=network)
    needs: dict[str, int | None] = {}
    for name, variant in variants.items():
        try:
            needs[name] = None if variant is None else \
                _required(variant, demand, cascade, factor, topology).nodes_required
        except Unattainable:
            needs[name] = None
    lowest = shape.sized.minimum_nodes()
    for name in ("disk", "memory"):
        fewest = shape.resources.fewest(name, shape.max_utilization)
        needs[name] = None if fewest is None else smallest_holding(
            lowest, lowest + fewest, partial(_leaves, shape, fewest))
    return needs


def _mixed_pools(tier: Tier, topology: Topology, per_request_bytes: Fraction
                 ) -> tuple[Scheme, Scheme] | None:
    """The declared and the required fleet of a pool of node types, or None.

    A pool that declares a mix (``nodes: {small: 1, large: 4}``, or one type as
    ``{small: 5}``) is assessed as that fleet, and its requirement is the fleet capplan.fleet
    chose (``tier._chosen``), whichever types each has; an undeclared pool whose choice mixes
    types is sized as that mix. Otherwise (one type chosen, or not a pool) None: the tier
    is planned as nodes of its one type.
    """
    from capplan.schemes import MixedPool, Pool

    choice = tier._chosen
    if tier.redundancy != "pool" or (choice is None and tier.mix is None):
        return None
    catalogue = topology.node_types or {}

    def fleet(counts: dict[str, int], required: int) -> MixedPool:
        nodes = [name for name, count in sorted(counts.items()) for _ in range(count)]
        return MixedPool(
            tuple(flow.usable_capacity(catalogue[name], per_request_bytes) for name in nodes),
            tuple(nodes), required,
            stored={"disk": tuple(catalogue[name].disk_gib or Fraction(0) for name in nodes),
                    "memory": tuple(catalogue[name].memory_gib or Fraction(0)
                                    for name in nodes)})

    required_mix = choice.required.mix if choice is not None else None
    declared_mix = tier.mix
    if declared_mix is None and (required_mix is None or len(
            [count for count in required_mix.values() if count]) < 2):
        return None
    needed = choice.required.nodes if choice is not None \
        else sum((declared_mix or {}).values())
    sized = fleet(required_mix, needed) if required_mix is not None else None
    declared = fleet(declared_mix, needed) if declared_mix is not None else None
    return (declared or sized or Pool(), sized or declared or Pool())


def resolved(topology: Topology, *, simulations: int = 10_000, seed: int = 0) -> Topology:
    """*topology* with the nodes of every tier that uses node types chosen (capplan.fleet).

    Each candidate type is sized by :func:`requirements_of`, the rule of every command, in
    the site as declared; the same topology and draws give the same choice.
    """
    if not any(tier.typed for tier in topology.tiers):
        return topology  # the common case: no catalogue, nothing to import or choose
    from capplan import fleet

    for known, known_simulations, known_seed, settled in _LAST_RESOLVED:
        if known is topology and (known_simulations, known_seed) == (simulations, seed):
            return settled
    contexts: dict[int, tuple[list[Fraction], list[Fraction | None], list[Fraction | None],
                              Fraction]] = {}

    def context(site: Topology) -> tuple[list[Fraction], list[Fraction | None],
                                         list[Fraction | None], Fraction]:
        if id(site) not in contexts:
            peak = flow.entry_peak(site.traffic)
            factor = flow.growth_factor(site.traffic)
            demands = flow.tier_demands(site, peak)
            shapes = [TierShape.of(tier, site, index) for index, tier in enumerate(site.tiers)]
            moved = _moved_shares(shapes, demands, factor)
            contexts[id(site)] = (demands, moved, _cascades(site, peak, demands, moved), factor)
        return contexts[id(site)]

    def required(site: Topology, position: int, tier: Tier) -> int | None:
        demands, moved, cascades, _ = context(site)
        try:
            return requirements_of(site, [TierShape.of(tier, site, position)],
                                   [demands[position]], [cascades[position]],
                                   [moved[position]], simulations, seed,
                                   only=position)[0].nodes_required
        except Unattainable:
            return None

    def mix_demand(site: Topology, position: int) -> tuple[Fraction, Fraction | None]:
        from capplan import uncertainty

        demands, moved, cascades, factor = context(site)
        horizon = max(factor, Fraction(1))
        demand, cascade = demands[position] * horizon, cascades[position]
        if cascade is not None:
            cascade = cascade * horizon
        if uncertainty.is_uncertain(site):
            draws = _draws(site, tuple(moved), simulations, seed)
            demand = _at_confidence(draws.demands[position], horizon, site)
            if draws.cascades[position] is not None:
                cascade = _at_confidence(draws.cascades[position], horizon, site)
        return flow.tame(demand), None if cascade is None else flow.tame(cascade)

    settled = fleet.resolved(topology, required, mix_demand)
    _LAST_RESOLVED[:] = [(topology, simulations, seed, settled)]
    return settled


#: The last topology resolved (plan, export and check ask for the same one in turn).
_LAST_RESOLVED: list[tuple[Topology, int, int, Topology]] = []


def _at_confidence(values: Any, horizon: Fraction, site: Topology) -> Fraction:
    """The draw at policy.confidence (a fleet holding it holds every smaller draw)."""
    import numpy as np

    ordered = np.sort(values)
    position = max(0, math.ceil(float(site.policy.confidence) * len(ordered)) - 1)
    return Fraction(float(ordered[position])) * horizon


def _leaves(shape: TierShape, least: int, count: int) -> bool:
    """*count* nodes leave at least *least* after the worst failure."""
    return shape.sized.fewest_survivors(count, shape.failures) >= least


def _most_needed(required_by: dict[str, int | None]) -> str:
    """The resource that needs the most nodes (ties: the first in RESOURCES)."""
    return max(RESOURCES, key=lambda name: (required_by.get(name) or 0,
                                            -RESOURCES.index(name)))


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


def compare(topology: Topology, *, simulations: int = 10_000,
            seed: int = 0) -> tuple[Comparison, ...]:
    """Every tier's requirement and cost under pool, ring and active-passive.

    Each scheme keeps the tier's own parameters (a ring its spread, active-passive its
    standbys, at least k) and its zones, and is sized by the same rule as ``plan``
    (every limit, every peak to the horizon, the confidence over the draws); the
    cold-cache cascade reaching a tier is the one the plan computed with the tiers as
    declared. A scheme no count can build is None.
    """
    from capplan.registry import SCHEMES

    declared = topology
    topology = resolved(topology, simulations=simulations, seed=seed)
    traffic = topology.traffic
    peak = flow.entry_peak(traffic)
    factor = flow.growth_factor(traffic)
    demands = flow.tier_demands(topology, peak)
    shapes = [TierShape.of(tier, topology, index) for index, tier in enumerate(topology.tiers)]
    moved = _moved_shares(shapes, demands, factor)
    cascades = _cascades(topology, peak, demands, moved)
    costs: list[dict[str, SchemeCost]] = [{} for _ in shapes]
    for name in SCHEMES:
        for position, shape in enumerate(shapes):
            if shape.tier.scaling is not None and name != "pool":
                # A USL law describes a pool; a ring or standby pair cannot use it.
                costs[position][name] = SchemeCost(None, None)
                continue
            if declared.tiers[position].typed:
                costs[position][name] = _typed_cost(declared, position, name, simulations,
                                                    seed)
                continue
            variant = TierShape.of(shape.tier.model_copy(update={"redundancy": name}),
                                   topology, shape.index)
            try:
                count: int | None = requirements_of(
                    topology, [variant], [demands[position]], [cascades[position]],
                    [moved[position]], simulations, seed, only=position,
                )[0].nodes_required
            except Unattainable:
                count = None
            costs[position][name] = SchemeCost(
                count, None if count is None else count * shape.tier.node.cost,
                None if count is None else variant.standby(variant.sized, count))
    return tuple(Comparison(shape.tier.name, shape.tier.redundancy, cost)
                 for shape, cost in zip(shapes, costs, strict=True))


def _typed_cost(declared: Topology, position: int, scheme: str, simulations: int,
                seed: int) -> SchemeCost:
    """A tier of node types under *scheme*: the cheapest type (or, for a pool, mix)."""
    tier = declared.tiers[position]
    update: dict[str, object] = {"redundancy": scheme}
    if scheme != "pool" or tier.mix is not None:
        update["declared_nodes"] = None  # sized: a ring or standby pair takes one type
    if tier.node_types is None and tier.mix is not None:
        update["node_types"] = [name for name, count in tier.mix.items() if count]
    tiers = list(declared.tiers)
    tiers[position] = tier.model_copy(update=update)
    site = resolved(declared.model_copy(update={"tiers": tiers}), simulations=simulations,
                    seed=seed)
    settled = site.tiers[position]
    choice = settled._chosen
    if choice is None:
        return SchemeCost(None, None)
    shape = TierShape.of(settled, site, position)
    count = choice.required.nodes
    return SchemeCost(count, Fraction(choice.required.cost), shape.standby(shape.sized, count))


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
        limit = min(limit, max_utilization * scheme.carried(nodes, capacity) * demand / cascade)
    # Shares with no taker (more failures than standbys, a zone loss orphaning actives)
    # are shed at any rate; what remains at the limit is exactly the ceiling.
    if not scheme.worst(nodes, limit, capacity, failures).holds(max_utilization):
        return None
    return limit
