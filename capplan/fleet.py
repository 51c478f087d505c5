"""What a tier's nodes are: one node, or node types from the catalogue (SPEC §7).

A tier that sets ``node_types`` lets capplan choose: for each type the tier may use, the
count the whole policy requires (every limit, every peak, the confidence: the planner's own
rule, passed in as *required*) and its cost; for a pool, also the cheapest *mix* of types
that survives its worst failures (:func:`capplan.mix.cheapest_mix`, exact). The cheapest
plan wins (ties: fewer nodes, then the order of ``node_types``). A tier that declares a mix
(``nodes: {small: 1, large: 4}``) keeps it, and learns what the cheapest plan would be.

:func:`resolved` turns a topology into one whose tiers all have a node, so the planner
below never sees a catalogue: a single type becomes the tier's ``node``; a mix becomes
the tier's largest type as ``node`` plus the chosen counts, which
:class:`capplan.schemes.MixedPool` plans with. Each resolved tier carries its
:class:`Choice` for the document.

A mix is chosen for pools whose limits are node failures, utilization and stored data.
With zones, latency or availability targets, or a cold cache, capplan chooses the cheapest
single type (each type planned by the full rule); the file's rules refuse a declared mix
there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from capplan import demand as flow
from capplan.model import Node, Tier, Topology

#: The count a tier variant requires at *position* of the site, or None when none holds.
Required = Callable[[Topology, int, Tier], "int | None"]
#: The demand a mix must carry after failures at *position* (the planning peak, at the
#: confidence under ranges), and the cascade reaching it (None: none).
Demand = Callable[[Topology, int], "tuple[Fraction, Fraction | None]"]


@dataclass(frozen=True)
class Plan:
    """One way to build a tier: counts by node type, its nodes and its cost."""

    mix: dict[str, int]
    nodes: int
    cost: Fraction


@dataclass(frozen=True)
class Choice:
    """What capplan chose (or the file declared) for a tier with node types."""

    #: The plan nodes_required describes: cheapest first, then fewest nodes.
    required: Plan
    #: The best plan of each single type, cheapest first (SPEC ``alternatives``).
    alternatives: tuple[Plan, ...]
    #: The declared mix, when the file declares one.
    declared: dict[str, int] | None = None

    @property
    def node_type(self) -> str | None:
        """The one type of the described plan, or None for a mix of types."""
        described = self.declared or self.required.mix
        used = [name for name, count in described.items() if count]
        return used[0] if len(used) == 1 else None

    @property
    def required_is_mix(self) -> bool:
        """Whether the cheapest plan mixes two types or more."""
        return len([count for count in self.required.mix.values() if count]) > 1

    @property
    def mix(self) -> dict[str, int] | None:
        """The described mix of two types or more, or None."""
        return None if self.node_type is not None else dict(self.declared or
                                                            self.required.mix)


def is_typed(topology: Topology) -> bool:
    """Whether some tier takes its nodes from the catalogue."""
    return any(tier.typed for tier in topology.tiers)


def resolved(topology: Topology, required: Required, mix_demand: Demand) -> Topology:
    """*topology* with every tier's nodes settled (itself when no tier uses node types).

    Each candidate is planned in the site as declared with every other typed tier at its
    first type (as ``compare`` plans each scheme), so cascades and draws are the site's.
    """
    if not is_typed(topology):
        return topology
    catalogue = topology.node_types or {}
    provisional = topology.model_copy(update={"tiers": [
        _as_type(tier, _first_type(tier), catalogue) if tier.typed else tier
        for tier in topology.tiers]})
    tiers = []
    for position, tier in enumerate(topology.tiers):
        if not tier.typed:
            tiers.append(tier)
            continue
        candidates = list(tier.node_types or tier.mix or {})
        singles = []
        for name in candidates:
            count = required(provisional, position, _as_type(tier, name, catalogue, size=True))
            if count is not None:
                singles.append(Plan({name: count}, count, count * catalogue[name].cost))
        singles.sort(key=lambda plan: (plan.cost, plan.nodes, candidates.index(
            next(iter(plan.mix)))))
        best = singles[0] if singles else None
        declared = [name for name, count in (tier.mix or {}).items() if count]
        if tier.redundancy != "pool" and len(declared) == 1:
            # A ring or a standby pair of one declared type is checked as that type (the
            # alternatives still show what the others would cost).
            best = next((plan for plan in singles if declared[0] in plan.mix), None)
            if best is None:
                tiers.append(_as_type(tier, declared[0], catalogue))
                continue
        elif len(candidates) > 1 and _may_mix(tier, topology):
            mixed = _cheapest_mix(tier, topology, candidates, *mix_demand(provisional,
                                                                           position))
            if mixed is not None and (best is None or (mixed.cost, mixed.nodes)
                                      < (best.cost, best.nodes)):
                best = mixed
        if best is None:
            # No plan holds: the planner says why, at the first type.
            tiers.append(_as_type(tier, candidates[0], catalogue))
            continue
        choice = Choice(best, tuple(singles), tier.mix)
        tiers.append(_settled(tier, choice, catalogue))
    return topology.model_copy(update={"tiers": tiers})


def _first_type(tier: Tier) -> str:
    used = [name for name, count in (tier.mix or {}).items() if count]
    if len(used) == 1:
        return used[0]
    return (tier.node_types or used)[0]


def _as_type(tier: Tier, name: str, catalogue: dict[str, Node], *,
             size: bool = False) -> Tier:
    """*tier* built of node type *name*; with *size*, its count left for capplan to find.

    A declared mix of one type keeps its count; a mix of several is sized (a provisional
    tier stands in for it while other tiers are planned).
    """
    update: dict[str, object] = {"node_types": None, "declared_node": catalogue[name]}
    if size or (tier.mix is not None and len([c for c in tier.mix.values() if c]) > 1):
        update["declared_nodes"] = None
    elif tier.mix is not None:
        update["declared_nodes"] = tier.nodes
    copied = tier.model_copy(update=update)
    copied._chosen = None
    return copied


def _settled(tier: Tier, choice: Choice, catalogue: dict[str, Node]) -> Tier:
    """The resolved tier: its node (the largest type of a mix) and its choice."""
    described = choice.declared or choice.required.mix
    used = [name for name, count in described.items() if count]
    largest = max(used, key=lambda name: (catalogue[name].capacity, name))
    update: dict[str, object] = {"node_types": None, "declared_node": catalogue[largest]}
    if choice.declared is not None and len(used) == 1:
        update["declared_nodes"] = sum(choice.declared.values())
    copied = tier.model_copy(update=update)
    copied._chosen = choice
    return copied


def _may_mix(tier: Tier, topology: Topology) -> bool:
    """A pool whose limits a mix is planned for (see the module docstring)."""
    policy = topology.policy
    catalogue = topology.node_types or {}
    nodes = [catalogue[name] for name in tier.node_types or tier.mix or {}]
    timed = any(node.service_ms is not None for node in nodes)
    failing = any(node.down_probability is not None for node in nodes)
    return (tier.redundancy == "pool" and tier.zones == 1 and tier.cold_hit_ratio is None
            and tier.latency_ms is None and not (policy.latency_ms is not None and timed)
            and tier.availability is None and not (policy.availability is not None
                                                   and failing))


def _cheapest_mix(tier: Tier, topology: Topology, candidates: list[str], demand: Fraction,
                  cascade: Fraction | None) -> Plan | None:
    """The cheapest mix of *candidates* that holds the tier's policy, exactly."""
    from capplan.mix import cheapest_mix
    from capplan.model import failures_of

    types, needs, replicas = mix_problem(tier, topology, candidates, demand, cascade)
    found = cheapest_mix(types, needs, failures_of(tier, topology.policy), replicas)
    if found is None:
        return None
    return Plan({name: count for name, count in found.counts.items() if count}, found.nodes,
                found.cost)


def mix_problem(tier: Tier, topology: Topology, candidates: list[str], demand: Fraction,
                cascade: Fraction | None) -> tuple[list, dict[str, Fraction], int]:  # type: ignore[type-arg]
    """The catalogue and needs of :mod:`capplan.mix` for *tier* at *demand*.

    Each type carries its usable rate (its CPU or its network, the lower); the survivors of
    the worst failures carry the demand (or, conservatively, a cold cache's cascade) within
    max_utilization, and hold the stored data and working set within it.
    """
    from capplan.mix import NodeType

    catalogue = topology.node_types or {}
    policy = topology.policy
    ceiling = policy.max_utilization if tier.max_utilization is None else tier.max_utilization
    per_request = flow.bytes_per_request(topology.traffic, tier)
    needs: dict[str, Fraction] = {"rps": max(demand, cascade or Fraction(0)) / ceiling}
    replicas = tier.replicas or 1
    if tier.data_gib is not None:
        needs["disk"] = tier.data_gib * replicas / ceiling
    if tier.working_set_gib is not None:
        needs["memory"] = tier.working_set_gib / ceiling
    types = []
    for name in candidates:
        node = catalogue[name]
        capacity: dict[str, Fraction] = {"rps": flow.usable_capacity(node, per_request)}
        if node.disk_gib is not None:
            capacity["disk"] = node.disk_gib
        if node.memory_gib is not None:
            capacity["memory"] = node.memory_gib
        types.append(NodeType(name, node.cost, capacity))
    return types, needs, replicas
