"""Brute-force reference for the redistribution schemes, written from SPEC §2 alone.

Nothing here imports or mirrors ``capplan.schemes``: every figure comes from applying the
SPEC's rules literally to one failure set, and worst cases come from enumerating every
failure set of at most k nodes with :func:`itertools.combinations`. It is slow on purpose
and only meant for small tiers.

A scheme is described by a :class:`Spec`: its name (``pool``, ``ring`` or
``active-passive``) and its parameter (``spread`` for a ring, ``standby`` for
active-passive). :func:`spec_of` reads that description off a product scheme object
(only its public ``name``, ``spread`` and ``standby`` attributes).

Where SPEC §2 leaves a choice open — *which* surviving standby takes *which* failed
active's share — the oracle pairs failed actives and surviving idle standbys in ascending
node order. The loads it produces as a multiset do not depend on that choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any

ZERO = Fraction(0)


@dataclass(frozen=True)
class Spec:
    """A redistribution scheme as SPEC §2 names it."""

    name: str
    spread: int = 1
    standby: int = 1

    def minimum_nodes(self) -> int:
        """Active-passive needs one active besides its standbys; the others need one node."""
        return self.standby + 1 if self.name == "active-passive" else 1


def spec_of(scheme: Any) -> Spec:
    """Describe a product scheme object for the oracle (public attributes only)."""
    return Spec(
        scheme.name,
        spread=getattr(scheme, "spread", 1),
        standby=getattr(scheme, "standby", 1),
    )


@dataclass(frozen=True)
class Outcome:
    """One failure set: per node (1-based) its state and load, and load with no taker."""

    states: tuple[str, ...]
    loads: tuple[Fraction, ...]
    unassigned: Fraction

    def survivors(self) -> list[Fraction]:
        """Return the loads of the nodes that did not fail."""
        return [
            load for state, load in zip(self.states, self.loads, strict=True) if state != "failed"
        ]

    def shed(self, capacity: Fraction) -> Fraction:
        """Overload above capacity on every survivor, plus the shares with no taker."""
        over = sum((load - capacity for load in self.survivors() if load > capacity), ZERO)
        return over + self.unassigned


def _pool(n: int, demand: Fraction, failed: frozenset[int]) -> Outcome:
    up = [i for i in range(1, n + 1) if i not in failed]
    states = tuple("failed" if i in failed else "up" for i in range(1, n + 1))
    if not up:
        return Outcome(states, (ZERO,) * n, demand)
    each = demand / len(up)
    loads = tuple(ZERO if i in failed else each for i in range(1, n + 1))
    return Outcome(states, loads, ZERO)


def _ring(n: int, spread: int, demand: Fraction, failed: frozenset[int]) -> Outcome:
    share = demand / n
    states = tuple("failed" if i in failed else "up" for i in range(1, n + 1))
    load = {i: (ZERO if i in failed else share) for i in range(1, n + 1)}
    unassigned = ZERO
    for lost in failed:
        # The next `spread` surviving nodes clockwise (ascending, wrapping after node n).
        takers: list[int] = []
        for step in range(1, n):
            candidate = (lost - 1 + step) % n + 1
            if candidate not in failed:
                takers.append(candidate)
                if len(takers) == spread:
                    break
        if not takers:
            unassigned += share
            continue
        for taker in takers:
            load[taker] += share / len(takers)
    return Outcome(states, tuple(load[i] for i in range(1, n + 1)), unassigned)


def _active_passive(n: int, standby: int, demand: Fraction, failed: frozenset[int]) -> Outcome:
    actives = n - standby
    share = demand / actives
    load = {i: (share if i <= actives else ZERO) for i in range(1, n + 1)}
    state = {i: ("up" if i <= actives else "standby") for i in range(1, n + 1)}
    for i in failed:
        load[i] = ZERO
        state[i] = "failed"
    lost_actives = sorted(i for i in failed if i <= actives)
    idle = sorted(i for i in range(actives + 1, n + 1) if i not in failed)
    unassigned = ZERO
    for position, _lost in enumerate(lost_actives):
        if position < len(idle):
            taker = idle[position]
            load[taker] += share
            state[taker] = "up"
        else:
            unassigned += share
    return Outcome(
        tuple(state[i] for i in range(1, n + 1)),
        tuple(load[i] for i in range(1, n + 1)),
        unassigned,
    )


def outcome(spec: Spec, n: int, demand: Fraction, failed: frozenset[int]) -> Outcome:
    """Every node's state and load when the nodes in *failed* are down (SPEC §2 rules)."""
    assert all(1 <= i <= n for i in failed)
    if spec.name == "pool":
        return _pool(n, demand, failed)
    if spec.name == "ring":
        return _ring(n, spec.spread, demand, failed)
    if spec.name == "active-passive":
        return _active_passive(n, spec.standby, demand, failed)
    raise ValueError(spec.name)


def failure_sets(n: int, k: int) -> Iterator[frozenset[int]]:
    """Every set of at most *k* of the nodes 1..n, the empty set included."""
    for size in range(min(k, n) + 1):
        for combo in combinations(range(1, n + 1), size):
            yield frozenset(combo)


@dataclass(frozen=True)
class OracleWorst:
    """The three figures of SPEC §2, each a maximum over the enumerated failure sets."""

    utilization: Fraction
    worst_utilization: Fraction
    shed_fraction: Fraction


def oracle_worst(spec: Spec, n: int, demand: Fraction, capacity: Fraction, k: int) -> OracleWorst:
    """Utilization all up; busiest survivor and largest shed share over every |F| ≤ k."""
    return worst_over(spec, n, demand, capacity, failure_sets(n, k))


def worst_over(spec: Spec, n: int, demand: Fraction, capacity: Fraction,
               sets: Iterable[frozenset[int]]) -> OracleWorst:
    """Utilization all up; busiest survivor and largest shed share over *sets*."""
    all_up = outcome(spec, n, demand, frozenset())
    utilization = max(all_up.loads) / capacity
    worst = ZERO
    shed_fraction = ZERO
    for failed in sets:
        result = outcome(spec, n, demand, failed)
        survivors = result.survivors()
        if survivors:
            worst = max(worst, max(survivors) / capacity)
        if demand:
            shed_fraction = max(shed_fraction, result.shed(capacity) / demand)
    return OracleWorst(utilization, worst, shed_fraction)


def oracle_holds(
    spec: Spec, n: int, demand: Fraction, capacity: Fraction, *, max_utilization: Fraction, k: int
) -> bool:
    """For every |F| ≤ k: nothing shed and every survivor at most max_utilization."""
    ceiling = capacity * max_utilization
    # Largest sets first: that is where a violation usually shows, so small N fail fast.
    sizes = range(min(k, n), -1, -1)
    for size in sizes:
        for combo in combinations(range(1, n + 1), size):
            result = outcome(spec, n, demand, frozenset(combo))
            if result.shed(capacity) != 0:
                return False
            if any(load > ceiling for load in result.survivors()):
                return False
    return True


def oracle_nodes_required(
    spec: Spec,
    demand: Fraction,
    capacity: Fraction,
    max_utilization: Fraction,
    k: int,
    *,
    limit: int = 200,
) -> int | None:
    """Smallest N ≥ the scheme's minimum that holds, by linear search; None past *limit*."""
    for n in range(spec.minimum_nodes(), limit + 1):
        if oracle_holds(spec, n, demand, capacity, max_utilization=max_utilization, k=k):
            return n
    return None


# --- failure domains (SPEC §2 "Failure domains") ------------------------------------------


def zone_of(node: int, zones: int) -> int:
    """SPEC: node i is in zone ((i − 1) mod Z) + 1."""
    return (node - 1) % zones + 1


def zone_failure_sets(n: int, zones: int, lost: int) -> Iterator[frozenset[int]]:
    """The nodes down for every choice of *lost* whole zones out of *zones*."""
    for combo in combinations(range(1, zones + 1), lost):
        yield frozenset(i for i in range(1, n + 1) if zone_of(i, zones) in combo)


def oracle_zone_worst(spec: Spec, n: int, demand: Fraction, capacity: Fraction, zones: int,
                      lost: int) -> OracleWorst:
    """Busiest survivor and largest shed share over every loss of *lost* whole zones."""
    return worst_over(spec, n, demand, capacity, zone_failure_sets(n, zones, lost))


def moved_share(spec: Spec, n: int, failed: frozenset[int]) -> Fraction:
    """Share of demand that *failed* moves onto other nodes.

    That is what the failed nodes carried with everything up, less what nobody took.
    """
    demand = Fraction(1)
    before = outcome(spec, n, demand, frozenset())
    after = outcome(spec, n, demand, failed)
    return sum((before.loads[i - 1] for i in failed), ZERO) - after.unassigned
