"""Plans → output documents: plain dicts with the keys and key order of SPEC §3.

JSON and YAML render the same document, so they always agree. Exact fractions become
floats here and only here; counts stay integers.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from capplan.sizing import Plan, SchemeCost, Sizing, TierPlan

if TYPE_CHECKING:
    from capplan.failover import Failover, Ranking
    from capplan.sizing import Comparison

Document = dict[str, Any]


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


def failover_document(view: Failover) -> Document:
    """The ``failover`` document: SPEC §3's keys, then the scenario and its verdict."""
    return {
        "tier": view.tier,
        "redundancy": view.redundancy,
        "nodes": view.nodes,
        "failed": [view.node_name(node) for node in view.failed],
        "loads": _loads(view),
        "max_utilization": number(view.max_utilization),
        "shed_fraction": number(view.shed_fraction),
        "scenario": view.scenario,
        "demand_rps": number(view.demand),
        "worst_utilization": number(view.worst_utilization),
        "holds": view.holds,
    }


def _loads(view: Failover) -> list[Document]:
    """Every node's entry; each distinct load is converted once (big tiers share one)."""
    figures: dict[tuple[int, Fraction], tuple[float | None, float | None]] = {}
    entries = []
    for entry in view.loads:
        capacity = view.capacity_of(entry.node)
        key = (id(entry.load), capacity)
        figure = figures.get(key)
        if figure is None:
            figure = figures[key] = (number(entry.load), number(entry.load / capacity))
        entries.append({"node": view.node_name(entry.node), "state": entry.state,
                        "load_rps": figure[0], "utilization": figure[1]})
    return entries


def ranking_document(ranking: Ranking) -> Document:
    """``failover --all``: every failure set of one to k nodes, worst first."""
    return {
        "tier": ranking.tier,
        "redundancy": ranking.redundancy,
        "nodes": ranking.nodes,
        "failures": ranking.failures,
        "max_utilization": number(ranking.max_utilization),
        "failure_sets": [
            {
                "failed": [f"{ranking.tier}-{node}" for node in entry.failed],
                "worst_utilization": number(entry.worst_utilization),
                "shed_fraction": number(entry.shed_fraction),
                "holds": entry.holds,
            }
            for entry in ranking.sets
        ],
    }


def compare_document(comparisons: tuple[Comparison, ...]) -> Document:
    """The ``compare`` document: per tier and in total, each scheme's nodes and cost."""
    from capplan.sizing import cheapest_total, compare_totals

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
