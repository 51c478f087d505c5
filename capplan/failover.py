"""Where the load goes: every node of one tier after a named or a worst-case failure set.

Pure: takes a validated topology and the operator's question, returns a :class:`Failover`
(or a ranking of every failure set), with node names as the file implies them
(``<tier>-1 … <tier>-N``, zone j holding nodes j, j+Z, …). Unknown names raise
:class:`UnknownName` listing what exists, so the CLI can say what to type instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from itertools import combinations
from typing import Any

from capplan import demand as flow

# Defined with the rest of the error family; still importable from here, as before.
from capplan.errors import InvalidArgument
from capplan.errors import TooManySets as TooManySets  # noqa: PLC0414
from capplan.errors import UnknownName as UnknownName  # noqa: PLC0414
from capplan.model import Topology
from capplan.results import Document, Rows, number
from capplan.schemes import (
    ActivePassive,
    MixedPool,
    NodeLoad,
    Scheme,
    Zones,
    distinct_loads,
    make_scheme,
)
from capplan.sizing import TierShape, plan, resolved

#: ``--all`` lists every failure set; past this many it asks for a narrower question.
MAX_RANKED_SETS = 5000


@dataclass(frozen=True)
class Failover:
    """One failure set of one tier: every node's state and load, and what is shed."""

    tier: str
    redundancy: str
    nodes: int
    demand: Fraction
    capacity: Fraction
    max_utilization: Fraction
    scenario: str
    failed: tuple[int, ...]
    loads: tuple[NodeLoad, ...]
    shed_fraction: Fraction
    #: Each node's capacity (1-based order) where nodes are not alike (a mix of types).
    capacities: tuple[Fraction, ...] | None = None

    def capacity_of(self, node: int) -> Fraction:
        """What node *node* carries at 100%."""
        return self.capacity if self.capacities is None else self.capacities[node - 1]

    def node_name(self, node: int) -> str:
        """``web-3`` for node 3 of tier web."""
        return f"{self.tier}-{node}"

    @cached_property
    def worst_utilization(self) -> Fraction:
        """The busiest survivor's utilization (0 when nothing survives).

        Worked out once: ``holds`` and the document both ask, and a million-node tier
        takes a pass over every node.
        """
        if self.capacities is not None:
            return max((n.load / self.capacity_of(n.node) for n in self.loads
                        if n.state != "failed"), default=Fraction(0))
        survivors = [load for load, _ in distinct_loads(
            n.load for n in self.loads if n.state != "failed")]
        return max(survivors, default=Fraction(0)) / self.capacity

    @property
    def holds(self) -> bool:
        """Nothing shed and every survivor within max_utilization."""
        return self.shed_fraction == 0 and self.worst_utilization <= self.max_utilization

    def to_dict(self) -> dict[str, Any]:
        """The document ``capplan failover --format json`` prints, as plain data."""
        document = failover_document(self)
        document["loads"] = list(document["loads"])
        return document


@dataclass(frozen=True)
class Ranked:
    """One failure set in the ``--all`` ranking."""

    failed: tuple[int, ...]
    worst_utilization: Fraction
    shed_fraction: Fraction
    holds: bool


@dataclass(frozen=True)
class Ranking:
    """Every failure set of one to k nodes, worst first."""

    tier: str
    redundancy: str
    nodes: int
    failures: int
    max_utilization: Fraction
    sets: tuple[Ranked, ...]

    def to_dict(self) -> dict[str, Any]:
        """The document ``capplan failover --all --format json`` prints, as plain data."""
        return ranking_document(self)


@dataclass(frozen=True)
class _Setting:
    """The tier a question is about, at the count and demand it describes."""

    shape: TierShape
    scheme: Scheme
    nodes: int
    demand: Fraction


def _setting(topology: Topology, tier_name: str, nodes: int | None) -> _Setting:
    names = [tier.name for tier in topology.tiers]
    if tier_name not in names:
        raise UnknownName(f"unknown tier '{tier_name}'; the tiers are: {', '.join(names)}")
    index = names.index(tier_name)
    topology = resolved(topology)
    demand = flow.tier_demands(topology, flow.entry_peak(topology.traffic))[index]
    shape = TierShape.of(topology.tiers[index], topology, index)
    declared = shape.tier.nodes
    if nodes is not None and isinstance(shape.declared, MixedPool):
        raise InvalidArgument(f"tier '{tier_name}' is a mix of node types, a fleet of its own: "
                              "--nodes does not apply (declare another mix in the file)")
    if nodes is not None:
        count, scheme = nodes, shape.declared
    elif declared is not None:
        count, scheme = declared, shape.declared
    else:
        # Nothing declared: show the count the plan requires (cascade, confidence and every
        # other limit counted), the one export provisions, never a count of its own.
        count, scheme = plan(topology).tiers[index].nodes_required, shape.sized
    if count < scheme.minimum_nodes():
        raise ValueError(f"tier '{tier_name}' needs at least {scheme.minimum_nodes()} nodes "
                         f"as {shape.tier.redundancy}")
    return _Setting(shape, scheme, count, demand)


def failover(
    topology: Topology,
    tier_name: str,
    *,
    fail: list[str] | None = None,
    fail_zones: list[str] | None = None,
    failures: int | None = None,
    zone_failures: int | None = None,
    nodes: int | None = None,
) -> Failover:
    """Every node's load after the named nodes or zones fail, or after the worst set.

    With nothing named, the worst set of *failures* nodes (default: the tier's k), or of
    *zone_failures* whole zones when that is given.
    """
    setting = _setting(topology, tier_name, nodes)
    scheme, count = setting.scheme, setting.nodes
    failed: set[int] = set()
    scenario_parts = []
    if fail:
        failed |= {_node_number(name, tier_name, count) for name in fail}
        scenario_parts.append("named nodes")
    if fail_zones:
        zones = [_zone_number(text, scheme.zones.count) for text in fail_zones]
        failed |= scheme.zones.members(tuple(zones), count)
        scenario_parts.append("named zones")
    if not scenario_parts:
        if zone_failures:
            zones_lost = scheme.zones.failures
            if zone_failures != zones_lost:
                scheme = _with_zone_failures(setting, zone_failures)
            failed = set(scheme.zones.members(scheme.worst_zone_set(count), count))
            plural = "s" if zone_failures > 1 else ""
            scenario_parts.append(f"worst loss of {zone_failures} zone{plural}")
        else:
            k = setting.shape.failures if failures is None else failures
            failed = set(scheme.worst_failure_set(count, k))
            scenario_parts.append(f"worst set of {k} node failure{'s' if k != 1 else ''}")
    distribution = scheme.distribute(count, setting.demand, frozenset(failed))
    # What one node carries depends on how many run, where capacity is not linear (USL).
    capacity = scheme.node_capacity(count - len(failed), setting.shape.capacity)
    demand = setting.demand
    capacities = scheme.capacities if isinstance(scheme, MixedPool) else None
    if capacities is not None:
        over = sum((max(Fraction(0), n.load - capacities[n.node - 1])
                    for n in distribution.nodes), Fraction(0)) + distribution.unassigned
        shed = over / demand if demand else Fraction(0)
    else:
        shed = distribution.shed(capacity) / demand if demand else Fraction(0)
    return Failover(
        tier=tier_name,
        redundancy=setting.shape.tier.redundancy,
        nodes=count,
        demand=demand,
        capacity=capacity,
        max_utilization=setting.shape.max_utilization,
        scenario=" and ".join(scenario_parts),
        failed=tuple(sorted(failed)),
        loads=distribution.nodes,
        shed_fraction=shed,
        capacities=capacities,
    )


def rank_failure_sets(topology: Topology, tier_name: str, *, failures: int | None = None,
                      nodes: int | None = None) -> Ranking:
    """Every set of one to k failed nodes, worst first (most shed, then busiest survivor).

    This enumerates on purpose, for people comparing sets on small tiers; the plan never
    does. Refuses past :data:`MAX_RANKED_SETS` sets.
    """
    setting = _setting(topology, tier_name, nodes)
    scheme, count = setting.scheme, setting.nodes
    k = min(setting.shape.failures if failures is None else failures, count)
    total = sum(math.comb(count, size) for size in range(1, k + 1))
    if total > MAX_RANKED_SETS:
        raise TooManySets(f"tier '{tier_name}' has {total:,} sets of 1 to {k} failed nodes "
                          f"out of {count}; --all lists at most {MAX_RANKED_SETS:,} "
                          "(lower --failures, or name a set with --fail)")
    capacity, demand = setting.shape.capacity, setting.demand
    ceiling = setting.shape.max_utilization
    ranked = []
    for size in range(1, k + 1):
        for combo in combinations(range(1, count + 1), size):
            result = scheme.distribute(count, demand, frozenset(combo))
            if isinstance(scheme, MixedPool):
                busiest = max((n.load / scheme.capacity_of(n.node) for n in result.nodes
                               if n.state != "failed"), default=Fraction(0))
                over = sum((max(Fraction(0), n.load - scheme.capacity_of(n.node))
                            for n in result.nodes), Fraction(0)) + result.unassigned
            else:
                per_node = scheme.node_capacity(count - size, capacity)
                busiest = max((n.load for n in result.nodes if n.state != "failed"),
                              default=Fraction(0)) / per_node
                over = result.shed(per_node)
            shed = over / demand if demand else Fraction(0)
            ranked.append(Ranked(combo, busiest, shed, shed == 0 and busiest <= ceiling))
    ranked.sort(key=lambda r: (-r.shed_fraction, -r.worst_utilization, len(r.failed), r.failed))
    return Ranking(tier_name, setting.shape.tier.redundancy, count, k, ceiling, tuple(ranked))


def _with_zone_failures(setting: _Setting, zone_failures: int) -> Scheme:
    """The tier's scheme asked about a different number of lost zones."""
    scheme = setting.scheme
    zones = scheme.zones.count
    if zone_failures >= zones:
        raise ValueError(f"tier '{setting.shape.tier.name}' has {zones} zone"
                         f"{'s' if zones > 1 else ''}; --zone-failures must be less than that")
    tier = setting.shape.tier
    standby = scheme.standbys(setting.nodes) if isinstance(scheme, ActivePassive) else 1
    return make_scheme(tier.redundancy, spread=tier.spread or 1, standby=standby,
                       zones=Zones(zones, zone_failures))


def _node_number(name: str, tier: str, count: int) -> int:
    prefix = f"{tier}-"
    number = name[len(prefix):] if name.startswith(prefix) else ""
    if number.isdigit() and 1 <= int(number) <= count:
        return int(number)
    shown = f"{tier}-1 … {tier}-{count}" if count > 3 else \
        ", ".join(f"{tier}-{i}" for i in range(1, count + 1))
    raise UnknownName(f"unknown node '{name}'; tier '{tier}' has nodes {shown}")


def _zone_number(text: str, zones: int) -> int:
    if text.isdigit() and 1 <= int(text) <= zones:
        return int(text)
    raise UnknownName(f"unknown zone '{text}'; this tier has zones 1 to {zones}"
                      if zones > 1 else f"unknown zone '{text}'; this tier has one zone, 1")


# --- documents ----------------------------------------------------------------------------


def failover_document(view: Failover) -> Document:
    """The ``failover`` document: SPEC §3's keys, then the scenario and its verdict.

    ``loads`` is :class:`~capplan.results.Rows`, one row per node made as it is read, so a
    renderer writes a million nodes without holding a million dicts (``to_dict()`` turns
    it into the plain list).
    """
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


def _loads(view: Failover) -> Rows:
    """Every node's entry; each distinct load is converted once (big tiers share one)."""
    figures: dict[tuple[int, int], tuple[str, float | None, float | None]] = {}
    tier, loads, alike = view.tier, view.loads, view.capacities is None

    def values(index: int) -> tuple[str, str, float | None, float | None]:
        entry = loads[index]
        capacity = view.capacity if alike else view.capacity_of(entry.node)
        # Identities: the loads and capacities live in *view*, and hashing a Fraction per
        # node was most of a million-node document.
        key = (id(entry.load), id(capacity))
        figure = figures.get(key)
        if figure is None:
            figure = figures[key] = (entry.state, number(entry.load),
                                     number(entry.load / capacity))
        elif figure[0] != entry.state:
            figure = (entry.state, figure[1], figure[2])
        return (f"{tier}-{entry.node}", *figure)

    return Rows(len(loads), ("node", "state", "load_rps", "utilization"), values)


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
