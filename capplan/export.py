"""What ``capplan export`` provisions: each tier's count, and the rate up to which it holds.

Which count a target describes is chosen for the operator's safety (:func:`default_counts`)
and said on stderr (:func:`counts_notes`): an alert describes the nodes that are deployed,
so ``prometheus`` uses each tier's declared count (``nodes_required`` where a tier declares
none); the provisioning targets use ``nodes_required`` (SPEC §3), and a tier that would get
fewer nodes than it declares is named, since applying that removes nodes.

The rows (:class:`ExportTier`) come from the one plan every command shares; the writers in
:mod:`capplan.render.provision` only format them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from capplan import demand as flow
from capplan.errors import InvalidArgument
from capplan.model import Topology
from capplan.results import TierPlan
from capplan.sizing import TierShape, plan, resolved
from capplan.units import count_noun

Counts = Literal["required", "declared"]


class UndeclaredCount(InvalidArgument):
    """``--counts declared`` on a tier that declares no count."""



@dataclass(frozen=True)
class ExportTier:
    """One tier as provisioning sees it.

    *holds_up_to_utilization* is the utilization averaged over all *nodes*, idle standbys
    included, at *holds_up_to_rps*: what an autoscaler averaging over pods compares.
    *counted* says which count *nodes* is; *declared* and *required* are both, for the
    messages; *active* is the nodes that carry load with all up (None: all of them).
    """

    name: str
    redundancy: str
    failures: int
    nodes: int
    max_nodes: int
    holds_up_to_rps: Fraction | None
    holds_up_to_utilization: Fraction | None
    declared: int | None = None
    required: int | None = None
    counted: Counts = "required"
    active: int | None = None
    #: For a tier of node types, the count of each type (hosts are numbered largest first).
    types: dict[str, int] | None = None


@dataclass(frozen=True)
class Export:
    """``capplan export``'s answer: the file for *target*, and what to say about its counts.

    *text* is what the command writes; *notes* are its stderr lines (which count each tier
    used, and what applying it may cost); *tiers* are the rows the text was written from.
    """

    target: str
    counts: Counts
    tiers: tuple[ExportTier, ...]
    text: str
    notes: tuple[str, ...]


#: What each target makes of the counts, for the stderr line.
USES = {"ansible": "hosts", "terraform": "variables", "kubernetes": "replicas",
        "prometheus": "thresholds"}


def default_counts(target: str) -> tuple[Counts, bool]:
    """The counts *target* uses without ``--counts``, and whether undeclared tiers fall back.

    An alert must describe what is deployed: a threshold for the required count is late by
    the nodes a smaller declared tier lacks. Provisioning writes what the plan requires.
    """
    return ("declared", True) if target == "prometheus" else ("required", False)


def export_tiers(topology: Topology, counts: Counts = "required", *,
                 fallback: bool = False) -> list[ExportTier]:
    """Each tier's count (required at the planning peak, or declared) and its limits.

    With *fallback*, a tier that declares no count uses its required one rather than
    refusing ``declared``.
    """
    site = plan(topology)
    topology = resolved(topology)
    undeclared = [tier.name for tier in site.tiers if tier.nodes is None]
    if counts == "declared" and undeclared and not fallback:
        raise UndeclaredCount(f"--counts declared: {', '.join(undeclared)} declare"
                              f"{'s' if len(undeclared) == 1 else ''} no nodes; declare them "
                              "or use --counts required")
    rows = []
    for index, (tier, model_tier) in enumerate(zip(site.tiers, topology.tiers, strict=True)):
        shape = TierShape.of(model_tier, topology, index)
        declared = counts == "declared" and tier.nodes is not None
        count = tier.nodes if declared and tier.nodes is not None else tier.nodes_required
        scheme = shape.scheme_for(declared)
        limit = shape.holding_limit(scheme, count, tier.demand, tier.cascade_demand)
        active = scheme.holding_nodes(count)
        # Over every node: an autoscaler averages idle standbys in with the actives.
        utilization = None if limit is None \
            else flow.tame(limit / (count * scheme.node_capacity(count, shape.capacity)))
        most = max(2 * count, tier.nodes or 0, tier.nodes_required)
        peak = scheme.peak_nodes
        if peak is not None:
            # A USL pool carries less past its peak: an autoscaler must never go there.
            most = max(count, min(most, peak))
        rows.append(ExportTier(tier.name, tier.redundancy, tier.failures, count, most, limit,
                               utilization, declared=tier.nodes, required=tier.nodes_required,
                               counted="declared" if declared else "required",
                               active=None if active == count else active,
                               types=_types(tier, declared)))
    return rows


def _types(tier: TierPlan, declared: bool) -> dict[str, int] | None:
    """The count of each node type a tier of node types provisions (None: one node)."""
    choice = tier.choice
    if choice is None:
        return None
    fleet = (choice.declared or {tier.node_type: tier.nodes}) if declared \
        else choice.required.mix
    ordered = sorted(((name, count) for name, count in fleet.items() if count),
                     key=lambda item: item[0])
    return dict(ordered)


def counts_notes(target: str, tiers: Sequence[ExportTier], counts: Counts = "required"
                 ) -> list[str]:
    """Lines for stderr: which count each tier used, then what that may cost.

    The first line is always there, so a script's log shows what its file describes.
    """
    def listed(rows: Sequence[ExportTier]) -> str:
        return ", ".join(f"{tier.name} {tier.nodes:,}" for tier in rows)

    by_declared = [tier for tier in tiers if tier.counted == "declared"]
    by_required = [tier for tier in tiers if tier.counted == "required"]
    uses = USES.get(target, "counts")
    if counts == "required":
        first = (f"export {target}: {uses} for the required counts, nodes_required "
                 f"({listed(by_required)})")
    elif not by_required:
        first = f"export {target}: {uses} for the declared counts ({listed(by_declared)})"
    elif not by_declared:
        first = (f"export {target}: no tier declares a count, so {uses} for the required "
                 f"counts, nodes_required ({listed(by_required)})")
    else:
        first = (f"export {target}: {uses} for the declared counts ({listed(by_declared)}); "
                 f"tiers without one use nodes_required ({listed(by_required)})")
    notes = [first]
    for tier in by_required:
        if tier.declared is None or tier.declared == tier.nodes:
            continue
        if target == "prometheus" and tier.nodes > tier.declared:
            assumed = count_noun(tier.nodes, "node")
            notes.append(f"export prometheus: {tier.name}'s threshold assumes {assumed}"
                         f" but it declares {tier.declared:,}: the alert fires late for the "
                         "nodes deployed (drop --counts required)")
        elif target != "prometheus" and tier.nodes < tier.declared:
            given = count_noun(tier.nodes, "node")
            notes.append(f"export {target}: {tier.name} gets {given}, fewer than "
                         f"the {tier.declared:,} it declares: applying this removes "
                         f"{tier.declared - tier.nodes:,} (--counts declared keeps them)")
    if target == "kubernetes":
        standing = [tier.name for tier in tiers if tier.redundancy == "active-passive"]
        if standing:
            notes.append(f"export kubernetes: no HorizontalPodAutoscaler for active-passive "
                         f"{', '.join(standing)}: adding pods may add idle standbys "
                         "(annotation capplan/autoscaling on the PodDisruptionBudget)")
    return notes

