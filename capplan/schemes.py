"""Redistribution schemes: where a tier's load goes when nodes fail.

Each scheme answers three questions, all in exact arithmetic:

* :meth:`Scheme.distribute` — the load on every node after one given failure set
  (what ``failover`` shows, and what the tests' brute-force oracle enumerates);
* :meth:`Scheme.worst` — the worst case over *every* failure set of at most k nodes,
  in closed form (never by enumerating the sets);
* :meth:`Scheme.estimate` — a closed-form node count, which :func:`nodes_required`
  confirms with :meth:`Scheme.worst` so that a slip in an estimate costs time, never a
  wrong answer.

A new scheme is one subclass registered in :data:`SCHEMES`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, Literal

State = Literal["up", "failed", "standby"]
ZERO = Fraction(0)


@dataclass(frozen=True)
class NodeLoad:
    """One node after a failure set: its 1-based position, state and load in rps."""

    node: int
    state: State
    load: Fraction


@dataclass(frozen=True)
class Distribution:
    """Every node's load after a failure set, and the load no surviving node could take."""

    nodes: tuple[NodeLoad, ...]
    unassigned: Fraction

    def shed(self, capacity: Fraction) -> Fraction:
        """Load nobody carries: overload above capacity plus shares with no taker."""
        overload = sum((max(ZERO, n.load - capacity) for n in self.nodes), ZERO)
        return overload + self.unassigned


@dataclass(frozen=True)
class Worst:
    """A tier of N nodes under every failure set of at most k nodes.

    ``utilization`` is the busiest node with all nodes up; ``worst_utilization`` the
    busiest survivor over all failure sets; ``shed_fraction`` the largest share of demand
    shed over all failure sets. The two maxima may come from different sets.
    """

    utilization: Fraction
    worst_utilization: Fraction
    shed_fraction: Fraction

    def holds(self, max_utilization: Fraction) -> bool:
        """True when nothing is shed and no survivor exceeds *max_utilization*."""
        return self.shed_fraction == 0 and self.worst_utilization <= max_utilization


def _ratio(part: Fraction, whole: Fraction) -> Fraction:
    """Part over whole, where a share of nothing is nothing."""
    return part / whole if whole else ZERO


def _ceil(value: Fraction) -> int:
    return math.ceil(value)


class Scheme(ABC):
    """How survivors take over the load of failed nodes."""

    name: ClassVar[str]

    def minimum_nodes(self) -> int:
        """The smallest tier this scheme can be built with."""
        return 1

    def strands(self, nodes: int, failures: int) -> bool:
        """True when some failure set of at most *failures* leaves load with no node to take it.

        No amount of spare capacity helps then; pool and ring strand only when every node
        can fail at once.
        """
        return failures >= nodes

    @abstractmethod
    def distribute(self, nodes: int, demand: Fraction, failed: frozenset[int]) -> Distribution:
        """Every node's load when the 1-based nodes in *failed* are down."""

    @abstractmethod
    def worst(self, nodes: int, demand: Fraction, capacity: Fraction, failures: int) -> Worst:
        """The worst case over all failure sets of at most *failures* nodes (closed form)."""

    @abstractmethod
    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """A closed-form node count for *demand* when each node may carry *usable* rps."""


class Pool(Scheme):
    """A health-checking balancer: survivors share the demand equally."""

    name = "pool"

    def distribute(self, nodes: int, demand: Fraction, failed: frozenset[int]) -> Distribution:
        """Each survivor carries demand / survivors."""
        survivors = nodes - len(failed)
        share = demand / survivors if survivors else ZERO
        loads = tuple(
            NodeLoad(i, "failed", ZERO) if i in failed else NodeLoad(i, "up", share)
            for i in range(1, nodes + 1)
        )
        return Distribution(loads, ZERO if survivors else demand)

    def worst(self, nodes: int, demand: Fraction, capacity: Fraction, failures: int) -> Worst:
        """Losing k nodes leaves N−k survivors at D/(N−k); losing all sheds everything."""
        all_up = demand / nodes / capacity
        lost = min(failures, nodes - 1)
        worst_load = demand / (nodes - lost)
        shed = demand if failures >= nodes else max(ZERO, demand - (nodes - lost) * capacity)
        return Worst(all_up, worst_load / capacity, _ratio(shed, demand))

    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """The 2002 rule: (N − k) × usable ≥ demand."""
        return failures + _ceil(demand / usable)


class Ring(Scheme):
    """IP takeover in a ring: a failed node's share goes to the next `spread` survivors."""

    name = "ring"

    def __init__(self, spread: int = 1) -> None:
        self.spread = spread

    def distribute(self, nodes: int, demand: Fraction, failed: frozenset[int]) -> Distribution:
        """Walk clockwise from each failed node to its next `spread` survivors."""
        share = demand / nodes
        survivors = nodes - len(failed)
        if not survivors:
            return Distribution(
                tuple(NodeLoad(i, "failed", ZERO) for i in range(1, nodes + 1)), demand
            )
        takers = min(self.spread, survivors)
        loads = {i: (ZERO if i in failed else share) for i in range(1, nodes + 1)}
        next_up = _next_survivor(nodes, failed)
        for lost in sorted(failed):
            taker = lost
            for _ in range(takers):
                taker = next_up[taker]
                loads[taker] += share / takers
        nodes_out = tuple(
            NodeLoad(i, "failed" if i in failed else "up", loads[i]) for i in range(1, nodes + 1)
        )
        return Distribution(nodes_out, ZERO)

    def worst(self, nodes: int, demand: Fraction, capacity: Fraction, failures: int) -> Worst:
        """Failures in one block just before a node all land on the same m survivors.

        With f = min(k, N−1) failures and m = min(spread, N−f) takers, each of those m
        survivors carries s·(1 + f/m), s = D/N: no survivor can receive more, because every
        failed share reaches it at most once and in pieces of s/m.
        """
        share = demand / nodes
        lost = min(failures, nodes - 1)
        takers = min(self.spread, nodes - lost)
        worst_load = share * (1 + Fraction(lost, takers))
        if failures >= nodes:
            shed = demand
        else:
            # Overload is convex in each node's load, so the block that piles the f shares
            # on m survivors is also the set that sheds most.
            shed = takers * max(ZERO, worst_load - capacity) + (
                nodes - lost - takers
            ) * max(ZERO, share - capacity)
        return Worst(share / capacity, worst_load / capacity, _ratio(shed, demand))

    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """Like a pool while survivors ≤ spread, then D·(1 + k/spread) / usable."""
        pool = failures + _ceil(demand / usable)
        if pool < failures + self.spread:
            return pool
        return max(failures + self.spread, _ceil(demand * (1 + Fraction(failures, self.spread))
                                                 / usable))


class ActivePassive(Scheme):
    """Hot standby: the last `standby` nodes idle until an active node fails."""

    name = "active-passive"

    def __init__(self, standby: int = 1) -> None:
        self.standby = standby

    def minimum_nodes(self) -> int:
        """At least one active node besides the standbys."""
        return self.standby + 1

    def strands(self, nodes: int, failures: int) -> bool:
        """More failures than standbys leave an active's share with no taker."""
        return min(failures, nodes) > self.standby

    def distribute(self, nodes: int, demand: Fraction, failed: frozenset[int]) -> Distribution:
        """Each failed active's share moves to the first surviving idle standby."""
        active = nodes - self.standby
        share = demand / active
        idle = [i for i in range(active + 1, nodes + 1) if i not in failed]
        taken: set[int] = set()
        unassigned = ZERO
        for _lost in sorted(i for i in failed if i <= active):
            if idle:
                taken.add(idle.pop(0))
            else:
                unassigned += share
        loads: list[NodeLoad] = []
        for i in range(1, nodes + 1):
            if i in failed:
                loads.append(NodeLoad(i, "failed", ZERO))
            elif i <= active or i in taken:
                loads.append(NodeLoad(i, "up", share))
            else:
                loads.append(NodeLoad(i, "standby", ZERO))
        return Distribution(tuple(loads), unassigned)

    def worst(self, nodes: int, demand: Fraction, capacity: Fraction, failures: int) -> Worst:
        """Every carrier holds one share D/A; k − S lost actives find no standby."""
        active = nodes - self.standby
        share = demand / active
        orphaned = max(0, min(failures, nodes) - self.standby)
        carriers = active - orphaned
        shed = orphaned * share + carriers * max(ZERO, share - capacity)
        return Worst(share / capacity, share / capacity, _ratio(shed, demand))

    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """Enough actives for the demand, plus the standbys."""
        return self.standby + max(1, _ceil(demand / usable))


def _next_survivor(nodes: int, failed: frozenset[int]) -> dict[int, int]:
    """For every node, the first surviving node clockwise after it (linear in N)."""
    following: dict[int, int] = {}
    # Walk the ring twice backwards so that every node sees the survivor after it.
    upcoming = 0
    for step in range(2 * nodes, 0, -1):
        node = (step - 1) % nodes + 1
        following[node] = upcoming
        if node not in failed:
            upcoming = node
    return following


SCHEMES: dict[str, type[Scheme]] = {cls.name: cls for cls in (Pool, Ring, ActivePassive)}


def make_scheme(redundancy: str, *, spread: int = 1, standby: int = 1) -> Scheme:
    """Build the scheme called *redundancy* with its own parameter."""
    if redundancy == "ring":
        return Ring(spread)
    if redundancy == "active-passive":
        return ActivePassive(standby)
    return SCHEMES[redundancy]()


def nodes_required(
    scheme: Scheme, demand: Fraction, capacity: Fraction, max_utilization: Fraction, failures: int
) -> int:
    """The smallest N at which *scheme* holds the policy.

    Starts from the scheme's closed-form estimate and confirms it with the exact worst
    case: gallop to a bracket, then bisect. Every scheme's worst case only improves as N
    grows, which is what makes the bracket valid.
    """
    lowest = scheme.minimum_nodes()
    if demand > 0 and scheme.strands(max(lowest, failures + 1), failures):
        # More failures than standbys: some share is shed at every size, so no N holds.
        raise ValueError(f"{scheme.name} cannot survive {failures} failures at any size")

    def holds(count: int) -> bool:
        return scheme.worst(count, demand, capacity, failures).holds(max_utilization)

    guess = max(lowest, scheme.estimate(demand, capacity * max_utilization, failures))
    if holds(guess):
        good, step = guess, 1
        bad = lowest - 1
        while good - step >= lowest:
            if not holds(good - step):
                bad = good - step
                break
            good -= step
            step *= 2
    else:
        bad, step = guess, 1
        while not holds(bad + step):
            bad += step
            step *= 2
        good = bad + step
    while good - bad > 1:
        middle = (good + bad) // 2
        if holds(middle):
            good = middle
        else:
            bad = middle
    return good
