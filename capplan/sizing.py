"""Policy per tier → TierPlan: required counts, utilization, headroom, runway (SPEC §2).

Pure: takes a validated :class:`~capplan.model.Topology`, returns a :class:`Plan`. Counts
and ratios stay exact fractions here; the report turns them into numbers for output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from capplan import demand as flow
from capplan.model import Policy, Tier, Topology, failures_of
from capplan.schemes import Scheme, Worst, make_scheme, nodes_required


@dataclass(frozen=True)
class Assessment:
    """How a tier of a given size fares at a given demand under its policy."""

    worst: Worst
    holds: bool
    headroom: float | None
    runway_months: float | None


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
        return self.assessment.holds and long_enough


@dataclass(frozen=True)
class Plan:
    """A site's plan: entry peaks and every tier's figures."""

    site: str
    peak: Fraction
    planning_peak: Fraction
    horizon_months: Fraction
    tiers: tuple[TierPlan, ...]

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
) -> Assessment:
    """Worst case, headroom and runway of *nodes* nodes carrying *demand*."""
    worst = scheme.worst(nodes, demand, capacity, failures)
    holds = worst.holds(max_utilization)
    headroom: float | None
    if scheme.strands(nodes, failures) and demand > 0:
        # Some failure set leaves load with no taker: no peak above zero is carried.
        headroom = -1.0
    elif worst.worst_utilization == 0:
        headroom = None
    else:
        headroom = float(max_utilization / worst.worst_utilization - 1)
    runway: float | None
    if not holds:
        runway = 0.0
    elif growth <= 0 or worst.worst_utilization == 0:
        runway = None
    else:
        # Loads grow with the peak, so the policy holds until the peak has grown by
        # max_utilization / worst_utilization.
        runway = math.log(max_utilization / worst.worst_utilization) / math.log(1 + growth)
    return Assessment(worst, holds, headroom, runway)


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


def plan(topology: Topology) -> Plan:
    """Plan every tier of *topology* at its current and planning peak."""
    traffic = topology.traffic
    peak = flow.entry_peak(traffic)
    factor = flow.growth_factor(traffic)
    demands = flow.tier_demands(topology, peak)
    tiers = tuple(
        plan_tier(tier, topology.policy, demand, factor, topology)
        for tier, demand in zip(topology.tiers, demands, strict=True)
    )
    return Plan(topology.site, peak, flow.tame(peak * factor), traffic.horizon_months, tiers)


def plan_tier(
    tier: Tier, policy: Policy, demand: Fraction, factor: Fraction, topology: Topology
) -> TierPlan:
    """One tier's plan: requirement at both peaks and the assessment of its count."""
    failures = failures_of(tier, policy)
    max_utilization = policy.max_utilization if tier.max_utilization is None \
        else tier.max_utilization
    min_runway = policy.min_runway_months if tier.min_runway_months is None \
        else tier.min_runway_months
    per_request_bytes = flow.bytes_per_request(topology.traffic, tier)
    capacity = flow.usable_capacity(tier.node, per_request_bytes)
    declared_standby = tier.standby if tier.standby is not None else failures
    declared = make_scheme(tier.redundancy, spread=tier.spread or 1, standby=declared_standby)
    # A requirement must survive k failures, so it never counts on fewer than k standbys.
    sized = make_scheme(tier.redundancy, spread=tier.spread or 1,
                        standby=max(declared_standby, failures))
    planning_demand = flow.tame(demand * factor)
    required = nodes_required(sized, planning_demand, capacity, max_utilization, failures)
    required_now = nodes_required(sized, demand, capacity, max_utilization, failures)
    scheme, count = (declared, tier.nodes) if tier.nodes is not None else (sized, required)
    assessment = assess(scheme, count, demand, capacity, max_utilization, failures,
                        topology.traffic.growth)
    bandwidth = None if tier.node.bandwidth_mbps is None \
        else flow.bandwidth_mbps(demand, per_request_bytes)
    return TierPlan(
        name=tier.name,
        redundancy=tier.redundancy,
        failures=failures,
        max_utilization=max_utilization,
        min_runway_months=min_runway,
        demand=demand,
        planning_demand=planning_demand,
        bandwidth_mbps=bandwidth,
        nodes=tier.nodes,
        nodes_required=required,
        nodes_required_now=required_now,
        assessment=assessment,
        node_cost=tier.node.cost,
    )
