"""Redistribution schemes: where a tier's load goes when nodes fail.

Each scheme answers three questions, all in exact arithmetic:

* :meth:`Scheme.distribute` — the load on every node after one given failure set
  (what ``failover`` shows, and what the tests' brute-force oracle enumerates);
* :meth:`Scheme.worst` — the worst case over *every* failure set of at most k nodes,
  in closed form (never by enumerating the sets);
* :meth:`Scheme.estimate` — a closed-form node count, which :func:`nodes_required`
  confirms with :meth:`Scheme.worst` so that a slip in an estimate costs time, never a
  wrong answer.

Failure domains (:class:`Zones`) add a second scenario to every worst case: the loss of any
``zone_failures`` whole zones. Pools and standbys have closed forms for it; a ring's is counted
zone set by zone set (at most ``MAX_ZONE_SETS`` of them, all at once): what a survivor receives
depends only on its place among the survivors modulo those of one period, so each set costs
O(zones) whatever the tier's size, once per count (:func:`_zone_profile`).

A new scheme is one subclass (in any module) and one line in :mod:`capplan.registry`.
"""

from __future__ import annotations

import gc
import math
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from itertools import combinations
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

# Defined with the rest of the error family; still importable from here, as before.
from capplan.errors import SearchStopped
from capplan.errors import TooMany as TooMany  # noqa: PLC0414
from capplan.errors import Unattainable as Unattainable  # noqa: PLC0414
from capplan.model import MAX_NODES

if TYPE_CHECKING:
    from capplan.availability import Unavailability
    from capplan.usl import Law

State = Literal["up", "failed", "standby"]
ZERO = Fraction(0)


class NodeLoad(NamedTuple):
    """One node after a failure set: its 1-based position, state and load in rps."""

    node: int
    state: State
    load: Fraction


class Distribution(NamedTuple):
    """Every node's load after a failure set, and the load no surviving node could take."""

    nodes: tuple[NodeLoad, ...]
    unassigned: Fraction

    def shed(self, capacity: Fraction) -> Fraction:
        """Load nobody carries: overload above capacity plus shares with no taker."""
        overload = sum((count * max(ZERO, load - capacity)
                        for load, count in distinct_loads(n.load for n in self.nodes)),
                       ZERO)
        return overload + self.unassigned


def distinct_loads(loads: Iterable[Fraction]) -> list[tuple[Fraction, int]]:
    """(load, how many nodes carry it), grouping the very same objects.

    Most nodes of a big tier carry one shared Fraction object; exact arithmetic on each
    of half a million copies took seconds. Grouping by identity is exact and cheap.
    """
    groups: dict[int, list[Any]] = {}
    for load in loads:
        entry = groups.get(id(load))
        if entry is None:
            groups[id(load)] = [load, 1]
        else:
            entry[1] += 1
    return [(entry[0], entry[1]) for entry in groups.values()]


class Worst(NamedTuple):
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


    def combine(self, other: Worst) -> Worst:
        """The worse of two scenarios of the same tier (all-up utilization is shared)."""
        return Worst(self.utilization, max(self.worst_utilization, other.worst_utilization),
                     max(self.shed_fraction, other.shed_fraction))


class Zones(NamedTuple):
    """Failure domains: node i sits in zone ((i − 1) mod count) + 1.

    ``failures`` is how many whole zones the tier must survive losing, as a scenario of its
    own (not on top of node failures).
    """

    # A field named count hides tuple.count, which nothing here calls.
    count: int = 1  # type: ignore[assignment]
    failures: int = 0

    @property
    def matter(self) -> bool:
        """True when the zone scenario adds anything to the node scenario."""
        return self.failures > 0 and self.count > 1

    def zone_of(self, node: int) -> int:
        """The zone of 1-based *node*."""
        return (node - 1) % self.count + 1

    def sizes(self, nodes: int) -> list[int]:
        """Nodes per zone, zone 1 first; round-robin makes them non-increasing."""
        whole, extra = divmod(nodes, self.count)
        return [whole + (1 if zone <= extra else 0) for zone in range(1, self.count + 1)]

    def largest_loss(self, nodes: int) -> int:
        """Nodes lost when the ``failures`` largest zones (the first ones) fail."""
        return sum(self.sizes(nodes)[: self.failures])

    def failed_sets(self) -> Iterator[tuple[int, ...]]:
        """Every set of ``failures`` zones, in lexicographic order."""
        return combinations(range(1, self.count + 1), min(self.failures, self.count))

    def members(self, zones: tuple[int, ...], nodes: int) -> frozenset[int]:
        """The nodes in *zones*."""
        return frozenset(i for i in range(1, nodes + 1) if self.zone_of(i) in zones)


NO_ZONES = Zones()


def _ratio(part: Fraction, whole: Fraction) -> Fraction:
    """Part over whole, where a share of nothing is nothing."""
    return part / whole if whole else ZERO


def _ceil(value: Fraction) -> int:
    return math.ceil(value)


class Scheme(ABC):
    """How survivors take over the load of failed nodes, and where the nodes stand (zones).

    A scheme owns everything about itself: how it is built from a tier's keys
    (:meth:`build`), its worst cases and count searches, and its availability
    (:meth:`unavailability`, and how a target may be searched: ``availability_search``).
    """

    name: ClassVar[str]
    #: How a count search meets an availability target: "monotone" (more nodes never make
    #: it worse: bisected), "walk" (not monotone: walked up from a floor) or "built-in"
    #: (the scheme grows what meets it, as standbys do).
    availability_search: ClassVar[str] = "monotone"
    #: demand → a count near the answer that a count search may start from (set by the
    #: planner for availability targets, which :meth:`estimate` knows nothing of). Any
    #: count will do: searches bisect monotone checks, so only their speed depends on it.
    count_hint: Callable[[Fraction], int] | None = None

    def __init__(self, zones: Zones = NO_ZONES) -> None:
        self.zones = zones

    @classmethod
    def build(cls, *, spread: int = 1, standby: int = 1, zones: Zones = NO_ZONES,
              cover_zones: bool = False,
              standby_floor: Callable[[int], int] | None = None) -> Scheme:
        """The scheme for a tier: each scheme takes the tier keys it reads, and zones."""
        return cls(zones)

    def unavailability(self, nodes: int, q: Fraction | float, demand: Fraction,
                       capacity: Fraction) -> Unavailability | None:
        """P(the nodes down at a random instant shed something); None where not modelled."""
        return None

    def minimum_nodes(self) -> int:
        """The smallest tier this scheme can be built with: one node in every zone.

        A file may not declare fewer nodes than zones, so no advice may either.
        """
        return self.zones.count

    def strands(self, nodes: int, failures: int) -> bool:
        """True when some scenario leaves load with no node to take it, at any demand.

        No amount of spare capacity helps then. Pool and ring strand only when every node
        can fail at once, by node failures or by the zone loss.
        """
        return self.strands_on_failures(nodes, failures) or self.strands_on_zone_loss(nodes)

    def strands_on_failures(self, nodes: int, failures: int) -> bool:
        """Some set of at most *failures* node failures leaves load with no taker."""
        return failures >= nodes

    def strands_on_zone_loss(self, nodes: int) -> bool:
        """Losing the largest zones leaves load with no taker."""
        return self.zones.matter and self.zones.largest_loss(nodes) >= nodes

    @abstractmethod
    def distribute(self, nodes: int, demand: Fraction, failed: frozenset[int]) -> Distribution:
        """Every node's load when the 1-based nodes in *failed* are down."""

    def worst(self, nodes: int, demand: Fraction, capacity: Fraction, failures: int) -> Worst:
        """The worst case over node failures and, with zones, over zone losses.

        Node failures: every set of at most *failures* nodes. Zones: every loss of
        ``zones.failures`` whole zones, a scenario of its own.
        """
        worst = self.node_worst(nodes, demand, capacity, failures)
        if self.zones.matter:
            worst = worst.combine(self.zone_worst(nodes, demand, capacity))
        return worst

    def holds_at(self, nodes: int, demand: Fraction, capacity: Fraction, failures: int,
                 max_utilization: Fraction) -> bool:
        """``worst(…).holds(max_utilization)``: what a count search asks of each count.

        A scheme may answer it without working out how much a failing count sheds.
        """
        return self.worst(nodes, demand, capacity, failures).holds(max_utilization)

    @abstractmethod
    def node_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                   failures: int) -> Worst:
        """The worst case over all sets of at most *failures* nodes (closed form)."""

    @abstractmethod
    def zone_worst(self, nodes: int, demand: Fraction, capacity: Fraction) -> Worst:
        """The worst case over every loss of ``zones.failures`` whole zones."""

    @abstractmethod
    def worst_failure_set(self, nodes: int, failures: int) -> frozenset[int]:
        """One set of at most *failures* nodes whose loss is as bad as any (for ``failover``)."""

    def worst_zone_set(self, nodes: int) -> tuple[int, ...]:
        """One loss of ``zones.failures`` zones as bad as any: the largest zones, 1…z."""
        return tuple(range(1, self.zones.failures + 1))

    @abstractmethod
    def moved_fraction(self, nodes: int, failures: int) -> Fraction:
        """The largest share of demand that any failure scenario moves onto other nodes.

        Those shares reach nodes whose caches have never seen them (SPEC: cold caches).
        """

    @abstractmethod
    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """A closed-form node count for *demand* when each node may carry *usable* rps."""

    def holding_nodes(self, nodes: int) -> int:
        """Nodes that carry load with everything up (all but idle standbys)."""
        return nodes

    # The fleet seam: what nodes carry together. Linear here (every node *capacity*);
    # a scheme whose capacity is not linear in its nodes (ScaledPool) overrides both.

    def carried(self, nodes: int, capacity: Fraction) -> Fraction:
        """Requests/second *nodes* nodes carry at 100% with everything up."""
        return self.holding_nodes(nodes) * capacity

    def node_capacity(self, up: int, capacity: Fraction) -> Fraction:
        """Requests/second one node carries at 100% while *up* nodes run."""
        return capacity

    @property
    def peak_nodes(self) -> int | None:
        """The count past which more nodes carry less (None: more never hurts)."""
        return None

    def fewest_survivors(self, nodes: int, failures: int) -> int:
        """Nodes left after the worst loss: k nodes, or the largest zones (never fewer).

        Only grows with *nodes*, so what survivors must hold (data, a working set) is a
        monotone check. Standbys count: they hold their copies like any node.
        """
        lost = min(failures, nodes)
        if self.zones.matter:
            lost = max(lost, self.zones.largest_loss(nodes))
        return nodes - lost

    def floor_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                    failures: int) -> Worst:
        """The part of the worst case that only improves as nodes are added.

        Every count that holds :meth:`worst` holds this, so bisecting it gives a floor for
        the search. For most schemes it is the whole worst case.
        """
        return self.worst(nodes, demand, capacity, failures)

    def candidate(self, nodes: int, demand: Fraction, capacity: Fraction,
                  ceiling: Fraction) -> int:
        """The smallest count ≥ *nodes* that could hold (*nodes* itself when monotone)."""
        return nodes


class Pool(Scheme):
    """A health-checking balancer: survivors share the demand equally."""

    name = "pool"

    def unavailability(self, nodes: int, q: Fraction | float, demand: Fraction,
                       capacity: Fraction) -> Unavailability | None:
        """P(fewer nodes up than the demand needs)."""
        from capplan import availability

        return availability.pool(nodes, q, demand, capacity)

    def distribute(self, nodes: int, demand: Fraction, failed: frozenset[int]) -> Distribution:
        """Each survivor carries demand / survivors."""
        survivors = nodes - len(failed)
        share = demand / survivors if survivors else ZERO
        # One state and one load object per kind of node, laid out in lists: a million
        # nodes in a generator of conditionals took a second.
        states: list[State] = ["up"] * nodes
        loads = [share] * nodes
        for lost in failed:
            if 1 <= lost <= nodes:
                states[lost - 1], loads[lost - 1] = "failed", ZERO
        with _collector_paused():
            return Distribution(tuple(map(NodeLoad, range(1, nodes + 1), states, loads)),
                                ZERO if survivors else demand)

    def node_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                   failures: int) -> Worst:
        """Losing k nodes leaves N−k survivors at D/(N−k); losing all sheds everything."""
        return self._after_losing(nodes, min(failures, nodes), demand, capacity)

    def zone_worst(self, nodes: int, demand: Fraction, capacity: Fraction) -> Worst:
        """Losing the largest zones leaves the fewest survivors: the same closed form."""
        return self._after_losing(nodes, self.zones.largest_loss(nodes), demand, capacity)

    @staticmethod
    def _after_losing(nodes: int, lost: int, demand: Fraction, capacity: Fraction) -> Worst:
        all_up = demand / nodes / capacity
        # With nothing left the whole demand is shed; the utilization reported is that of a
        # last node trying to carry everything, so it still reads as "far too much".
        survivors = max(1, nodes - lost)
        worst_load = demand / survivors
        shed = demand if lost >= nodes else max(ZERO, demand - survivors * capacity)
        return Worst(all_up, worst_load / capacity, _ratio(shed, demand))

    def worst_failure_set(self, nodes: int, failures: int) -> frozenset[int]:
        """Any k nodes are as bad as any other k: the first ones."""
        return frozenset(range(1, min(failures, nodes) + 1))

    def moved_fraction(self, nodes: int, failures: int) -> Fraction:
        """The shares of the lost nodes: at most N − 1 of them, or nobody is left to move to."""
        return _survivable_loss(self.zones, nodes, failures)

    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """The 2002 rule: (N − k) × usable ≥ demand."""
        return failures + _ceil(demand / usable)


class ScaledPool(Pool):
    """A pool whose capacity follows the Universal Scalability Law, not the node count.

    With m nodes up the pool carries C(m) = X(m) rps at 100% (capped, with a bandwidth
    limit L per node, at m·L), shared equally, so each survivor runs at D / C(m). X rises
    to its peak and then falls (the retrograde region), so C is unimodal: over every set
    of at most k failures the worst survivor count is an end of [N − k, N], and the counts
    that hold are one interval, found in closed form (:meth:`holding_interval`).
    ``capacity`` arguments are ignored: the law says what nodes carry.
    """

    def __init__(self, law: Law, zones: Zones = NO_ZONES,
                 per_node_limit: Fraction | None = None) -> None:
        super().__init__(zones)
        self.law = law
        self.per_node_limit = per_node_limit

    def unavailability(self, nodes: int, q: Fraction | float, demand: Fraction,
                       capacity: Fraction) -> Unavailability | None:
        """Shed exactly when the nodes up fall outside the interval that carries it."""
        from capplan import availability

        return availability.pool_carrying(nodes, q, self.fewest_carrying(demand),
                                          self.most_carrying(demand))

    def carried(self, nodes: int, capacity: Fraction = ZERO) -> Fraction:
        """C(nodes): the law's X, within each node's bandwidth."""
        carried = self.law.throughput(nodes)
        if self.per_node_limit is not None:
            carried = min(carried, nodes * self.per_node_limit)
        return carried

    def node_capacity(self, up: int, capacity: Fraction = ZERO) -> Fraction:
        """C(up)/up: what one of *up* running nodes carries at 100%."""
        return self.carried(up) / up if up > 0 else self.law.lam

    @property
    def peak_nodes(self) -> int | None:
        """The count with the most throughput (None when it only rises)."""
        top = self.law.peak_nodes
        if top is None or self.per_node_limit is None:
            return top
        # X(n)/n falls with n, so the bandwidth cap binds on a prefix 1…m₀−1 (C = n·L there)
        # and the law from m₀ on. C rises to the law's peak when m₀ ≤ it; past it, C peaks
        # where the cap lets go: at m₀ − 1 or m₀.
        low, high = 1, max(top, 1)
        while self.law.throughput(high) > high * self.per_node_limit:
            high *= 2
        while low < high:  # m₀: the first n with X(n) ≤ n·L
            middle = (low + high) // 2
            if self.law.throughput(middle) <= middle * self.per_node_limit:
                high = middle
            else:
                low = middle + 1
        if low <= top:
            return top
        candidates = (low - 1, low) if low > 1 else (low,)
        return max(candidates, key=lambda n: (self.carried(n), -n))

    @property
    def most(self) -> Fraction | None:
        """The most any count carries (None when unbounded, or approached only)."""
        top = self.peak_nodes
        if top is not None:
            return self.carried(top)
        return None

    def fewest_carrying(self, rate: Fraction) -> int | None:
        """The fewest nodes that carry *rate* at 100% (None: no count does)."""
        first = self.law.smallest_carrying(rate)
        if first is None:
            return None
        if self.per_node_limit is not None:
            first = max(first, math.ceil(rate / self.per_node_limit))
            top = self.peak_nodes
            while top is None or first <= top:
                if self.carried(first) >= rate:
                    return first
                first += 1
            return None
        return first

    def most_carrying(self, rate: Fraction) -> int | None:
        """The most nodes that still carry *rate* (None: unbounded, as when κ = 0)."""
        top = self.peak_nodes
        if top is None:
            return None
        if self.carried(top) < rate:
            return top - 1  # an empty interval: below any count that carries it
        low, high = top, top + 1
        while self.carried(high) >= rate:  # gallop past the retrograde side, then bisect
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            if self.carried(middle) >= rate:
                low = middle
            else:
                high = middle
        return low

    def _after_losing(self, nodes: int, lost: int, demand: Fraction,  # type: ignore[override]
                      capacity: Fraction, *, all_up: bool = True) -> Worst:
        survivors = nodes - lost
        carried_up = self.carried(nodes)
        least = self.carried(max(1, survivors))
        if all_up:  # "at most k failures" includes none: the retrograde side may be worse
            least = min(least, carried_up)
        utilization = demand / carried_up if carried_up else ZERO
        worst = demand / least if least else ZERO
        shed = demand if survivors <= 0 else max(ZERO, demand - least)
        return Worst(utilization, worst, _ratio(shed, demand))

    def node_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                   failures: int) -> Worst:
        """The worse end of [N − k, N] survivors (C is unimodal)."""
        return self._after_losing(nodes, min(failures, nodes), demand, capacity)

    def zone_worst(self, nodes: int, demand: Fraction, capacity: Fraction) -> Worst:
        """Losing the largest zones: C at the fewest survivors."""
        return self._after_losing(nodes, self.zones.largest_loss(nodes), demand, capacity,
                                  all_up=False)

    def floor_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                    failures: int) -> Worst:
        """The worst case under C's rising envelope (C held at its peak past it): monotone."""
        lost = max(min(failures, nodes), self.zones.largest_loss(nodes)
                   if self.zones.matter else 0)
        top = self.peak_nodes
        survivors = nodes - lost if top is None else min(nodes - lost, top)
        least = self.carried(max(1, survivors))
        worst = demand / least if least else ZERO
        shed = demand if nodes - lost <= 0 else max(ZERO, demand - least)
        return Worst(worst, worst, _ratio(shed, demand))

    def candidate(self, nodes: int, demand: Fraction, capacity: Fraction,
                  ceiling: Fraction) -> int:
        """Past the retrograde side's last carrying count nothing holds: stop there."""
        last = self.most_carrying(demand / ceiling) if ceiling > 0 else None
        if last is not None and nodes > last:
            return MAX_NODES + 1
        return nodes

    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """The fewest nodes whose N − k survivors carry the demand (closed form)."""
        ceiling = usable / self.law.lam if self.law.lam else Fraction(1)
        fewest = self.fewest_carrying(demand / ceiling) if ceiling > 0 else None
        return failures + (fewest if fewest is not None else 1)

    def unreachable(self, demand: Fraction, ceiling: Fraction, failures: int) -> str | None:
        """Why no count holds *demand* within *ceiling* after k failures, or None."""
        need = demand / ceiling
        most = self.most
        if most is not None and most < need:
            top = self.peak_nodes
            return (f"the USL peaks at {_rate(most * ceiling)} rps within "
                    f"{_percent_of(ceiling)} (at {top} nodes), below the {_rate(demand)} rps "
                    "it must carry; no count of these nodes carries it (scale out a "
                    "second tier, or lower the contention)")
        if most is None and self.law.kappa == 0 and self.law.sigma > 0 \
                and self.law.lam <= need * self.law.sigma:
            return (f"the USL approaches {_rate(self.law.lam / self.law.sigma * ceiling)} rps "
                    f"within {_percent_of(ceiling)}, never the {_rate(demand)} rps it must "
                    "carry")
        first, last = self.fewest_carrying(need), self.most_carrying(need)
        if first is not None and last is not None and first + failures > last:
            return (f"{first} to {last} nodes carry {_rate(demand)} rps within "
                    f"{_percent_of(ceiling)}, but losing {failures} of {first + failures} "
                    "leaves too few and adding more passes the USL peak")
        return None


class MixedPool(Pool):
    """A pool of nodes that are not alike: its balancer weights every node by capacity.

    Node i (largest first) carries demand · c_i / Σ c over the nodes up, so every survivor
    runs at demand / Σ c_up, and the worst set of k failures is the k largest nodes. The
    fleet is fixed (capplan.fleet chooses it exactly): the count is not searched, and
    ``capacity`` arguments are ignored. Zones, latency and availability are not modelled
    for mixes (the file's rules refuse them).
    """

    def __init__(self, capacities: tuple[Fraction, ...], types: tuple[str, ...],
                 required: int, stored: dict[str, tuple[Fraction, ...]] | None = None) -> None:
        super().__init__(NO_ZONES)
        order = sorted(range(len(capacities)), key=lambda i: -capacities[i])
        self.capacities = tuple(capacities[i] for i in order)
        self.types = tuple(types[i] for i in order)
        #: Per stored resource (disk, memory), each node's GiB, in the same order.
        self.stored = {name: tuple(amounts[i] for i in order)
                       for name, amounts in (stored or {}).items()}
        #: The count of the cheapest holding mix (what ``nodes_required`` reports).
        self.required = required

    def unavailability(self, nodes: int, q: Fraction | float, demand: Fraction,
                       capacity: Fraction) -> Unavailability | None:
        """Not modelled for mixes (the file's rules refuse targets there)."""
        return None

    def capacity_of(self, node: int) -> Fraction:
        """What 1-based node *node* carries at 100%."""
        return self.capacities[node - 1]

    def carried(self, nodes: int, capacity: Fraction = ZERO) -> Fraction:
        """Σ c of the whole fleet (all up)."""
        return sum(self.capacities, ZERO)

    def node_capacity(self, up: int, capacity: Fraction = ZERO) -> Fraction:
        """The mean capacity of the *up* smallest nodes (the worst case's survivors)."""
        kept = self.capacities[len(self.capacities) - up:] if up else ()
        return sum(kept, ZERO) / up if up else self.capacities[-1]

    def distribute(self, nodes: int, demand: Fraction, failed: frozenset[int]) -> Distribution:
        """Each survivor carries demand in proportion to its capacity."""
        up = sum((c for i, c in enumerate(self.capacities, 1) if i not in failed), ZERO)
        loads = tuple(
            NodeLoad(i, "failed", ZERO) if i in failed
            else NodeLoad(i, "up", demand * c / up if up else ZERO)
            for i, c in enumerate(self.capacities, 1))
        return Distribution(loads, ZERO if up else demand)

    def _after_losing(self, nodes: int, lost: int, demand: Fraction,  # type: ignore[override]
                      capacity: Fraction) -> Worst:
        total = sum(self.capacities, ZERO)
        left = sum(self.capacities[lost:], ZERO)
        all_up = demand / total if total else ZERO
        worst = demand / left if left else demand / self.capacities[-1]
        shed = demand if not left else max(ZERO, demand - left)
        return Worst(all_up, worst, _ratio(shed, demand))

    def node_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                   failures: int) -> Worst:
        """Losing the k largest nodes leaves the least capacity."""
        return self._after_losing(nodes, min(failures, len(self.capacities)), demand, capacity)

    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """The fleet's size: it is chosen, not searched."""
        return len(self.capacities)


def _rate(value: Fraction) -> str:
    return f"{float(value):,.6g}"


def _percent_of(ceiling: Fraction) -> str:
    return f"{float(ceiling) * 100:.6g}%"


class Ring(Scheme):
    """IP takeover in a ring: a failed node's share goes to the next `spread` survivors."""

    name = "ring"
    availability_search = "walk"

    @classmethod
    def build(cls, *, spread: int = 1, standby: int = 1, zones: Zones = NO_ZONES,
              cover_zones: bool = False,
              standby_floor: Callable[[int], int] | None = None) -> Scheme:
        """A ring reads ``spread``."""
        return cls(spread, zones)

    def unavailability(self, nodes: int, q: Fraction | float, demand: Fraction,
                       capacity: Fraction) -> Unavailability | None:
        """Exact for any spread, None past the state limit (see capplan.availability)."""
        from capplan import availability

        try:
            return availability.ring(nodes, q, demand, capacity, self.spread)
        except ValueError:
            return None

    def __init__(self, spread: int = 1, zones: Zones = NO_ZONES) -> None:
        super().__init__(zones)
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
        # A survivor takes one piece s/m from each failed node among the m gaps behind it
        # (see _received_histogram): linear in N, where walking m takers from every failed
        # node took N·m steps. Survivors receiving as many pieces share one load object
        # (distinct_loads groups by identity).
        states: list[State] = ["up"] * nodes
        loads = [share] * nodes
        down = [False] * nodes
        for lost in failed:
            states[lost - 1], loads[lost - 1], down[lost - 1] = "failed", ZERO, True
        piece = share / takers
        by_pieces: dict[int, Fraction] = {}
        for position, got in (_received_counts(down, takers) if failed else {}).items():
            load = by_pieces.get(got)
            if load is None:
                load = by_pieces[got] = share + got * piece
            loads[position] = load
        with _collector_paused():
            return Distribution(tuple(map(NodeLoad, range(1, nodes + 1), states, loads)), ZERO)

    def node_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                   failures: int) -> Worst:
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

    def zone_worst(self, nodes: int, demand: Fraction, capacity: Fraction) -> Worst:
        """Every zone set: what a survivor receives depends on the runs before it.

        What each zone set does to a ring of N nodes does not depend on the demand: it is
        worked out once per count (:meth:`_zone_profile`) and scaled. Every load is
        s·(1 + g/m), so the busiest survivor is s·max(1 + g/m), and nothing is shed while
        that stays within capacity: the overload sums are only added up past it.
        """
        share = demand / nodes
        profile = self._zone_profile(nodes)
        busiest = ZERO if profile.most is None else share * profile.most
        worst_utilization = busiest / capacity
        if profile.stranded:
            worst_utilization = max(worst_utilization, demand / capacity)
            return Worst(share / capacity, worst_utilization, Fraction(1))
        if busiest <= capacity:
            return Worst(share / capacity, worst_utilization, ZERO)
        shed = max(sum((count * max(ZERO, share * (1 + Fraction(got, takers)) - capacity)
                        for got, count in received), ZERO)
                   for takers, received in profile.rows())
        return Worst(share / capacity, worst_utilization, _ratio(shed, demand))

    def holds_at(self, nodes: int, demand: Fraction, capacity: Fraction, failures: int,
                 max_utilization: Fraction) -> bool:
        """:meth:`zone_worst` without its sheds: a survivor past capacity sheds something.

        Past capacity, the busiest survivor s·most is one of the loads the shed sums over
        (``most`` is the largest 1 + g/m of a survivor that exists), so the shed is above
        zero and the count fails whatever its size; a stranded zone loss sheds everything.
        """
        if type(self).worst is not Ring.worst or type(self).node_worst is not Ring.node_worst:
            # A subclass with scenarios of its own: ask them all, as assess does.
            return super().holds_at(nodes, demand, capacity, failures, max_utilization)
        if not self.node_worst(nodes, demand, capacity, failures).holds(max_utilization):
            return False
        if not self.zones.matter:
            return True
        if type(self).zone_worst is not Ring.zone_worst:
            return self.zone_worst(nodes, demand, capacity).holds(max_utilization)
        profile = self._zone_profile(nodes)
        if profile.stranded:
            return False
        busiest = ZERO if profile.most is None else demand / nodes * profile.most
        return busiest <= capacity and busiest / capacity <= max_utilization

    def floor_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                    failures: int) -> Worst:
        """Node failures, and the largest zone loss averaged over its survivors.

        A zone loss itself is not monotone in N (two nodes of one zone may stand side by
        side where the ring closes), but the survivors of the largest zones carry the whole
        demand between them, so the busiest carries at least D/(N − lost), and they shed
        at least what exceeds their capacity together. N − lost (the nodes of the other
        zones) only grows with N: a monotone floor, far above the node-failure floor when
        a zone loss is what binds (the search walks up from it count by count).
        """
        worst = self.node_worst(nodes, demand, capacity, failures)
        if not self.zones.matter:
            return worst
        survivors = nodes - self.zones.largest_loss(nodes)
        if survivors <= 0:
            return worst.combine(Worst(worst.utilization, demand / capacity, Fraction(1)))
        average = Worst(worst.utilization, demand / (survivors * capacity),
                        _ratio(max(ZERO, demand - survivors * capacity), demand))
        return worst.combine(average)

    def _zone_profile(self, nodes: int) -> _ZoneProfile:
        """What every zone loss does to a ring of *nodes* nodes, whatever the demand.

        Cached per count: the searches of many draws try the same counts, and the closed
        form past :meth:`stable_nodes` asks one sample count per remainder.
        """
        cache: dict[int, _ZoneProfile] = self.__dict__.setdefault("_zone_profiles", {})
        found = cache.get(nodes)
        if found is None:
            if len(cache) >= _PROFILE_CACHE:
                cache.clear()
            found = cache[nodes] = self._scan_zone_profile(nodes)
        return found

    def _scan_zone_profile(self, nodes: int) -> _ZoneProfile:
        import numpy as np

        places = self.__dict__.get("_zone_places")
        if places is None:
            sets = list(self.zones.failed_sets())
            places = self.__dict__["_zone_places"] = np.array(
                [[offset for offset in range(self.zones.count) if offset + 1 not in zone_set]
                 for zone_set in sets], dtype=np.int64).reshape(len(sets), -1)
        return _zone_profile(nodes, self.zones.count, places, self.spread)

    def stable_nodes(self) -> int:
        """From this count on, what a zone loss does around the seam no longer changes.

        The zone scan keeps ``2·reach + 2`` whole periods of the zone pattern; once a ring
        has that many, the scanned stretch is the same for every count with the same
        remainder modulo the zone count: only the number of bulk periods grows.
        """
        period = self.zones.count
        survivors_per_period = period - self.zones.failures
        reach = -(-self.spread // survivors_per_period) + 1
        return (2 * reach + 2) * period

    def _most_received(self, nodes: int) -> int:
        """The most failed shares one survivor receives over every zone loss."""
        return self._zone_profile(nodes).most_received

    def candidate(self, nodes: int, demand: Fraction, capacity: Fraction,
                  ceiling: Fraction) -> int:
        """The smallest count ≥ *nodes* whose zone loss can hold, exact past the seam.

        Past :meth:`stable_nodes`, a count N ≡ r (mod Z) gives its busiest survivor
        s·(1 + B_r/spread) with s = D/N and B_r fixed, so the zone loss holds exactly when
        N ≥ D·(1 + B_r/spread) / (capacity·ceiling): one threshold per remainder.
        Shorter rings are tried one by one.
        """
        if not self.zones.matter or demand == 0:
            return nodes
        stable = self.stable_nodes()
        if nodes < stable:
            return nodes
        period = self.zones.count
        best: int | None = None
        for residue in range(period):
            sample = stable + (residue - stable) % period
            most = self._cached_most_received(sample % period, sample)
            threshold = _ceil(demand * (1 + Fraction(most, self.spread)) / (capacity * ceiling))
            start = max(nodes, threshold)
            found = start + (residue - start) % period
            best = found if best is None else min(best, found)
        return nodes if best is None else best

    def _cached_most_received(self, residue: int, sample: int) -> int:
        cache = self.__dict__.setdefault("_most_by_residue", {})
        if residue not in cache:
            cache[residue] = self._most_received(sample)
        return int(cache[residue])

    def worst_zone_set(self, nodes: int) -> tuple[int, ...]:
        """The zone set with the busiest survivor (then the most shed), first in order."""
        share, capacity = Fraction(1), Fraction(1)
        best: tuple[tuple[Fraction, Fraction], tuple[int, ...]] | None = None
        for zone_set in self.zones.failed_sets():
            outcome = self._zone_set_worst(nodes, share, capacity, zone_set)
            key = (outcome.worst_utilization, outcome.shed_fraction)
            if best is None or key > best[0]:
                best = (key, zone_set)
        return best[1] if best else ()

    def _zone_set_worst(self, nodes: int, share: Fraction, capacity: Fraction,
                        zone_set: tuple[int, ...]) -> Worst:
        received, takers, shed_all = _ring_zone_received(nodes, self.zones, zone_set,
                                                         self.spread)
        demand = share * nodes
        if shed_all:
            return Worst(share / capacity, demand / capacity, Fraction(1))
        # Each survivor carries its own share plus s/m from every failed node behind it.
        busiest = max(received)
        shed = sum((count * max(ZERO, share * (1 + Fraction(got, takers)) - capacity)
                    for got, count in received.items()), ZERO)
        return Worst(share / capacity, share * (1 + Fraction(busiest, takers)) / capacity,
                     _ratio(shed, demand))

    def worst_failure_set(self, nodes: int, failures: int) -> frozenset[int]:
        """A block of k nodes, 1…k: their shares all land on the next `spread` survivors."""
        return frozenset(range(1, min(failures, nodes) + 1))

    def moved_fraction(self, nodes: int, failures: int) -> Fraction:
        """The shares of the lost nodes: at most N − 1 of them, or nobody is left to move to."""
        return _survivable_loss(self.zones, nodes, failures)

    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """Like a pool while survivors ≤ spread, then D·(1 + k/spread) / usable."""
        pool = failures + _ceil(demand / usable)
        if pool < failures + self.spread:
            return pool
        return max(failures + self.spread, _ceil(demand * (1 + Fraction(failures, self.spread))
                                                 / usable))


#: Counts whose zone profile one ring keeps (a search of many draws revisits a few hundred).
_PROFILE_CACHE = 4096


class _ZoneProfile(NamedTuple):
    """Every zone loss of one ring count, per unit share: the demand only scales it.

    ``most`` is the largest 1 + g/m over every survivor of every zone set (None when none
    survives any), ``most_received`` the largest g; ``stranded`` says some zone set leaves
    no survivor; ``arrays`` holds, per zone set that leaves one, the takers m, and the
    shares received g with how many survivors receive them (see :func:`_zone_profile`).
    """

    stranded: bool
    most: Fraction | None
    arrays: tuple[Any, Any, Any] | None
    #: The most failed shares one survivor receives over every zone set (0: none survives).
    most_received: int = 0

    def rows(self) -> Iterator[tuple[int, list[tuple[int, int]]]]:
        """Per zone set with survivors: m and [(g, survivors receiving g), …]."""
        if self.arrays is None:
            return
        takers, got, counts = self.arrays
        for m, row, many in zip(takers.tolist(), got.tolist(), counts.tolist(), strict=True):
            histogram: Counter[int] = Counter()
            for value, count in zip(row, many, strict=True):
                if count:
                    histogram[value] += count
            yield m, sorted(histogram.items())

class ActivePassive(Scheme):
    """Hot standby: the last `standby` nodes idle until an active node fails.

    With ``cover_zones`` (used when capplan chooses the size) the standby count grows with
    the tier so that the largest zone loss never orphans an active share: a zone takes
    standbys down with it, and every lost node needs a standby that survived.
    """

    name = "active-passive"
    availability_search = "built-in"

    @classmethod
    def build(cls, *, spread: int = 1, standby: int = 1, zones: Zones = NO_ZONES,
              cover_zones: bool = False,
              standby_floor: Callable[[int], int] | None = None) -> Scheme:
        """Standbys read ``standby``; a sized tier grows them for zones and availability."""
        return cls(standby, zones, cover_zones=cover_zones, standby_floor=standby_floor)

    def unavailability(self, nodes: int, q: Fraction | float, demand: Fraction,
                       capacity: Fraction) -> Unavailability | None:
        """P(more nodes down than standbys), or 1 when one share overloads a node anyway."""
        from capplan import availability

        return availability.active_passive(nodes, self.standbys(nodes), q, demand, capacity)

    def __init__(self, standby: int = 1, zones: Zones = NO_ZONES, *,
                 cover_zones: bool = False,
                 standby_floor: Callable[[int], int] | None = None) -> None:
        super().__init__(zones)
        self.standby = standby
        self.cover_zones = cover_zones and zones.matter
        self.standby_floor = standby_floor

    def standbys(self, nodes: int) -> int:
        """Idle standbys in a tier of *nodes* nodes."""
        standby = self.standby
        if self.cover_zones:
            # A zone loss orphans lost − S shares (see zone_worst), so S must reach the loss.
            standby = max(standby, self.zones.largest_loss(nodes))
        if self.standby_floor is not None:
            standby = max(standby, self.standby_floor(nodes))
        return standby

    def minimum_nodes(self) -> int:
        """At least one active node besides the standbys, and a node in every zone."""
        return max(self.zones.count, self._nodes_for_actives(1))

    def _nodes_for_actives(self, active: int) -> int:
        """The fewest nodes that leave *active* actives once standbys are counted.

        Standbys grow with the tier by at most one per node, so actives never shrink as
        nodes are added: a monotone search. It starts from n ← active + standbys(n), a few
        rounds from the smallest tier: never past the answer A (standbys(n) ≤ standbys(A)
        for n ≤ A), and close to it when standbys grow slowly, as an availability floor's
        do (each round costs a binomial tail; a search from the bottom took dozens).
        """
        count = self.standby + active
        if count > MAX_NODES:
            # Before any standby floor is asked about a tier past the limit: its binomial
            # tails grow with √n (a draw asking 2.5·10¹³ actives took 20 s to refuse).
            raise TooMany(f"more than {MAX_NODES:,} nodes")
        zones = self.zones
        if self.cover_zones and 0 < zones.failures < zones.count:
            # The zone cover alone: N = w·Z + t keeps (Z − z)·w + max(0, t − z) nodes of the
            # other zones, so the fewest leaving `active` are counted, not searched (the
            # cover often binds, and each round would cost the floor's binomial tails).
            whole, extra = divmod(active, zones.count - zones.failures)
            count = max(count, whole * zones.count + (zones.failures + extra if extra else 0))
        inverse = getattr(self.standby_floor, "nodes_for_actives", None)
        if inverse is not None:
            # The floor's own inverse: the fewest n with n − floor(n) ≥ active. Each of the
            # three parts of standbys(n) must leave `active` actives, so the answer is at
            # least each part's fewest count: still never past it.
            count = max(count, inverse(active, MAX_NODES))
            if count > MAX_NODES:
                raise TooMany(f"more than {MAX_NODES:,} nodes")
        for _ in range(8):
            following = active + self.standbys(count)
            if following <= count or following > MAX_NODES:
                break
            count = following
        return smallest_holding(count, count, lambda n: n - self.standbys(n) >= active)

    def strands_on_failures(self, nodes: int, failures: int) -> bool:
        """More failures than standbys orphan an active's share."""
        return min(failures, nodes) > self.standbys(nodes)

    def strands_on_zone_loss(self, nodes: int) -> bool:
        """More nodes in the lost zones than standbys orphan an active's share."""
        return self.zones.matter and self.zones.largest_loss(nodes) > self.standbys(nodes)

    def holding_nodes(self, nodes: int) -> int:
        """Only the active nodes carry load with everything up."""
        return nodes - self.standbys(nodes)

    def distribute(self, nodes: int, demand: Fraction, failed: frozenset[int]) -> Distribution:
        """Each failed active's share moves to the first surviving idle standby."""
        active = nodes - self.standbys(nodes)
        share = demand / active
        idle = [i for i in range(active + 1, nodes + 1) if i not in failed]
        lost = sum(1 for i in failed if i <= active)
        # The first surviving standbys take the failed actives' shares, one each.
        taken = set(idle[:lost])
        unassigned = share * max(0, lost - len(idle))
        loads: list[NodeLoad] = []
        with _collector_paused():
            for i in range(1, nodes + 1):
                if i in failed:
                    loads.append(NodeLoad(i, "failed", ZERO))
                elif i <= active or i in taken:
                    loads.append(NodeLoad(i, "up", share))
                else:
                    loads.append(NodeLoad(i, "standby", ZERO))
            return Distribution(tuple(loads), unassigned)

    def node_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                   failures: int) -> Worst:
        """Every carrier holds one share D/A; k − S lost actives find no standby."""
        return self._after_losing(nodes, min(failures, nodes), demand, capacity)

    def zone_worst(self, nodes: int, demand: Fraction, capacity: Fraction) -> Worst:
        """The largest zones are the worst to lose, whichever nodes they hold.

        A zone loss of L nodes, F of them actives, leaves S − (L − F) standbys for F
        shares, so L − S shares are orphaned.
        """
        return self._after_losing(nodes, self.zones.largest_loss(nodes), demand, capacity)

    def _after_losing(self, nodes: int, lost: int, demand: Fraction,
                      capacity: Fraction) -> Worst:
        standby = self.standbys(nodes)
        active = nodes - standby
        share = demand / active
        orphaned = min(active, max(0, lost - standby))
        carriers = active - orphaned
        shed = orphaned * share + carriers * max(ZERO, share - capacity)
        return Worst(share / capacity, share / capacity, _ratio(shed, demand))

    def worst_failure_set(self, nodes: int, failures: int) -> frozenset[int]:
        """Actives first (each needs a standby), then standbys from the last one back."""
        active = nodes - self.standbys(nodes)
        lost = min(failures, nodes)
        chosen = list(range(1, min(lost, active) + 1))
        chosen += list(range(nodes, nodes - (lost - len(chosen)), -1))
        return frozenset(chosen)

    def moved_fraction(self, nodes: int, failures: int) -> Fraction:
        """Shares of failed actives that a surviving standby took over."""
        standby = self.standbys(nodes)
        active = nodes - standby
        moved = min(failures, active, standby)
        if self.zones.matter:
            for zone_set in self.zones.failed_sets():
                down = self.zones.members(zone_set, nodes)
                actives_down = sum(1 for i in down if i <= active)
                moved = max(moved, min(actives_down, standby - (len(down) - actives_down)))
        return Fraction(moved, active)

    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """Enough actives for the demand, plus the standbys."""
        return self._nodes_for_actives(max(1, _ceil(demand / usable)))


def _survivable_loss(zones: Zones, nodes: int, failures: int) -> Fraction:
    """The largest share of N equal shares that a pool or ring moves to survivors.

    Losing everything moves nothing, so the largest useful loss is N − 1 nodes; zone
    sets can always reach N − 1 when the largest zones hold every node (the other zones
    are then empty, and swapping one full zone for an empty one keeps a survivor).
    """
    lost = min(failures, nodes - 1)
    if zones.matter:
        lost = max(lost, min(zones.largest_loss(nodes), nodes - 1))
    return Fraction(lost, nodes)


def _ring_zone_received(nodes: int, zones: Zones, zone_set: tuple[int, ...],
                        spread: int) -> tuple[Counter[int], int, bool]:
    """How many failed shares each survivor receives when the zones in *zone_set* fail.

    Returns a histogram {shares received: survivors}, the takers per failed share
    m = min(spread, survivors), and whether nothing survives. A survivor receives one piece
    from every failed node in the stretch behind it that holds fewer than m survivors, so
    its count is the sum of the m failure runs ("gaps") before it: a sliding window.

    The zone pattern repeats every ``zones.count`` nodes, and a survivor only sees W periods
    back, so a long ring is scanned as a short one (the seam where node N meets node 1 and
    enough periods either side) and the periods in between are counted, not walked.
    """
    period = zones.count
    survivors_per_period = period - len(zone_set)
    whole, tail = divmod(nodes, period)
    reach = -(-spread // survivors_per_period) + 1 if survivors_per_period else whole
    kept = min(whole, 2 * reach + 2)
    short = kept * period + tail
    down = [((i - 1) % period + 1) in zone_set for i in range(1, short + 1)]
    survivors = short - sum(down)
    if survivors == 0:
        return Counter(), 0, True
    histogram = _received_histogram(down, spread)
    if kept < whole:
        # Period `kept − 1` sits at least `reach` periods after the seam: a bulk period.
        bulk = _received_histogram(down, spread, only=range((kept - 1) * period, kept * period))
        for got, count in bulk.items():
            histogram[got] += count * (whole - kept)
    total_survivors = nodes - sum(zones.sizes(nodes)[zone - 1] for zone in zone_set)
    return histogram, min(spread, total_survivors), False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a block allocates a million acyclic tuples.

    Each allocation burst would trigger collections that walk every object alive: more than
    half the time of listing a million-node ring's loads.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _zone_profile(nodes: int, period: int, places: Any, spread: int) -> _ZoneProfile:
    """What every zone loss does to a ring of *nodes*, from each zone set's survivor places.

    *places* holds, per zone set, the offsets 0…Z−1 of the zones that survive it (s each).
    The ring is the first N places of the zone pattern repeated, so the k-th survivor
    (0-based) stands at pos(k) = ⌊k/s⌋·Z + r[k mod s]. Survivor j receives one piece from
    each failed node between survivor j − m and itself: pos(j) − pos(j − m) − m of them for
    j ≥ m and, wrapping past node N, N − m − (pos(j − m + T) − pos(j)) for j < m (T
    survivors in all). Both differences depend on j mod s only, so each residue class of
    survivors shares one count: every zone set costs O(Z) whatever the ring's length, all
    of them at once in numpy, where a scan of the ring took O(N) each.
    """
    import numpy as np

    per_period = places.shape[1]
    whole, tail = divmod(nodes, period)
    total = whole * per_period + np.count_nonzero(places < tail, axis=1)
    alive = total > 0
    places, total = places[alive], total[alive]
    stranded = not bool(np.all(alive))
    if not len(total) or not per_period:
        return _ZoneProfile(True, None, None)
    takers = np.minimum(spread, total)[:, None]
    every = total[:, None]
    residue = np.arange(per_period)[None, :]

    def pos(k: Any) -> Any:
        return (k // per_period) * period + np.take_along_axis(places, k % per_period, axis=1)

    late = (every - 1 - residue) // per_period - (takers - 1 - residue) // per_period
    early = np.where(residue < takers, (takers - 1 - residue) // per_period + 1, 0)
    ahead = residue + -(-takers // per_period) * per_period  # ≡ residue, at least m
    late_got = pos(ahead) - pos(ahead - takers) - takers
    early_got = nodes - takers - (pos(residue + every - takers) - pos(residue))
    got = np.concatenate((late_got, early_got), axis=1)
    counts = np.concatenate((np.maximum(late, 0), early), axis=1)
    busiest = np.where(counts > 0, got, -1).max(axis=1)
    most = max(Fraction(int(m) + int(b), int(m)) for m, b in zip(
        takers[:, 0].tolist(), busiest.tolist(), strict=True))
    return _ZoneProfile(stranded, most, (takers[:, 0], got, counts), max(0, int(busiest.max())))


def _received_counts(down: list[bool], takers: int) -> dict[int, int]:
    """{0-based survivor position: failed shares it receives} when each goes to *takers*.

    Only survivors that receive something are listed; *takers* is at most the survivors.
    Vectorised: failover shows every node of a tier of up to a million.
    """
    import numpy as np

    positions = np.flatnonzero(~np.array(down, dtype=bool))
    # gaps[j]: failed nodes between survivor j − 1 and survivor j (cyclically).
    gaps = (positions - np.roll(positions, 1) - 1) % len(down)
    # window[j] = gaps[j − m + 1] + … + gaps[j], cyclically: a prefix sum over two laps.
    total = np.concatenate(([0], np.cumsum(np.concatenate((gaps, gaps)))))
    ends = np.arange(len(gaps)) + len(gaps)
    window = total[ends + 1] - total[ends + 1 - takers]
    receiving = np.flatnonzero(window)
    return dict(zip(positions[receiving].tolist(), window[receiving].tolist(), strict=True))


def _received_histogram(down: list[bool], spread: int,
                        only: range | None = None) -> Counter[int]:
    """{failed shares received: survivors} around a ring whose node i is down when down[i]."""
    positions = [i for i, is_down in enumerate(down) if not is_down]
    takers = min(spread, len(positions))
    # gaps[j]: failed nodes between survivor j − 1 and survivor j (cyclically).
    gaps = [(positions[j] - positions[j - 1] - 1) % len(down) for j in range(len(positions))]
    window = sum(gaps[j % len(gaps)] for j in range(-takers + 1, 1))
    histogram: Counter[int] = Counter()
    for j, position in enumerate(positions):
        if j:
            window += gaps[j] - gaps[(j - takers) % len(gaps)]
        if only is None or position in only:
            histogram[window] += 1
    return histogram


def make_scheme(redundancy: str, *, spread: int = 1, standby: int = 1,
                zones: Zones = NO_ZONES, cover_zones: bool = False,
                standby_floor: Callable[[int], int] | None = None) -> Scheme:
    """Build the scheme registered as *redundancy* with its own keys and failure domains.

    *cover_zones* and *standby_floor* let an active-passive tier grow its standbys with its
    size, so that a required count survives zone loss and meets an availability target (a
    declared tier keeps the standbys it declares).
    """
    from capplan.registry import scheme_class

    chosen = scheme_class(redundancy)
    if not (isinstance(chosen, type) and issubclass(chosen, Scheme)):
        raise TypeError(f"the registry's '{redundancy}' is not a Scheme: {chosen!r}")
    built: Scheme = chosen.build(
        spread=spread, standby=standby, zones=zones, cover_zones=cover_zones,
        standby_floor=standby_floor)
    return built


def nodes_required(
    scheme: Scheme, demand: Fraction, capacity: Fraction, max_utilization: Fraction, failures: int,
    *, also: Callable[[int], bool] | None = None,
    not_monotone: Callable[[int], bool] | None = None,
    not_monotone_next: Callable[[int], int] | None = None,
    within: tuple[int, int | None] | None = None,
) -> int:
    """The smallest N at which *scheme* holds the policy (and *also*, *not_monotone*).

    Starts from the scheme's closed-form estimate and confirms it with the exact worst
    case. *also* must only improve as N grows (the cold-cache cascade does); checks that
    may not (a ring's availability) go in *not_monotone*, and *not_monotone_next(n)*, when
    given, is the smallest count above n that can pass it once n has failed it. A ring's
    zone loss is not monotone either: the search bisects what is, then walks up (see
    smallest_count).

    *within* = (low, high) says the answer lies there (high None: anywhere above low), as
    when the counts of a smaller and a larger demand are known: the search for the floor
    then starts from the estimate brought into that range and never goes below *low*.
    With *not_monotone*, whose walk is bounded from the floor, it only spares the
    non-monotone check below *low*.
    """
    lowest = scheme.minimum_nodes()
    if demand > 0 and scheme.strands(max(lowest, failures + 1), failures):
        # More failures than standbys: some share is shed at every size, so no N holds.
        raise Unattainable(f"{scheme.name} cannot survive {failures} failures at any size")

    def necessary(count: int) -> bool:
        held = scheme.floor_worst(count, demand, capacity, failures).holds(max_utilization)
        return held and (also is None or also(count))

    failed_not_monotone: set[int] = set()
    # Below *within*'s low end nothing holds; a count there that passes every other check
    # must fail the non-monotone one, which is then not asked (a ring's availability, the
    # costliest check). The walk still tries and skips exactly the counts it did.
    # A low end past the node limit is a smaller draw whose search stopped (no proof that
    # nothing holds), so it is no bracket for this one.
    below = 0 if within is None or within[0] > MAX_NODES else within[0]

    def holds(count: int) -> bool:
        held = scheme.holds_at(count, demand, capacity, failures, max_utilization)
        if not (held and necessary(count)):
            return False
        if not_monotone is not None and (count < below or not not_monotone(count)):
            failed_not_monotone.add(count)
            return False
        return True

    def candidate(count: int) -> int:
        if count - 1 in failed_not_monotone and not_monotone_next is not None:
            # The previous count failed only the non-monotone check; counts that cannot
            # pass it either are skipped.
            count = max(count, not_monotone_next(count - 1))
        return scheme.candidate(count, demand, capacity, max_utilization)

    guess = max(lowest, scheme.estimate(demand, capacity * max_utilization, failures))
    if scheme.count_hint is not None:
        guess = max(guess, scheme.count_hint(demand))
    floor = None
    if within is not None and not_monotone is None:
        # Gallop from the estimate as ever, but never below *low* nor from above *high*
        # (the count of a larger demand holds this one, so *necessary* holds there).
        low, high = max(lowest, within[0]), within[1]
        start = max(low, guess)
        if high is not None and low <= high:
            start = min(start, high)
        floor = smallest_holding(low, start, necessary)
    # Each count's non-monotone check (a ring's availability) costs a pass over the ring;
    # the walk is bounded so that a plan always answers, and says where it stopped.
    return smallest_count(lowest, guess, necessary, holds, candidate,
                          max_walk=None if not_monotone is None else MAX_WALK, floor=floor)


def smallest_holding(lowest: int, guess: int, holds: Callable[[int], bool]) -> int:
    """The smallest count ≥ *lowest* for which the monotone predicate *holds* is true.

    Gallops from *guess* to a bracket, then bisects: O(log N) calls however far off the
    guess is. Raises :class:`TooMany` when no count up to ``MAX_NODES`` holds: a file may
    not declare more, so no advice may ask for more either.
    """
    guess = min(max(guess, lowest), MAX_NODES)
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
        while bad + step < MAX_NODES and not holds(bad + step):
            bad += step
            step *= 2
        good = min(bad + step, MAX_NODES)
        if good == MAX_NODES and not holds(good):
            raise TooMany(f"more than {MAX_NODES:,} nodes")
    return boundary(bad, good, holds)


#: Counts a search tries one by one past its floor when each needs a non-monotone check.
MAX_WALK = 200


def smallest_count(lowest: int, guess: int, necessary: Callable[[int], bool],
                   holds: Callable[[int], bool],
                   candidate: Callable[[int], int] | None = None,
                   max_walk: int | None = None, floor: int | None = None) -> int:
    """The smallest count ≥ *lowest* for which *holds* is true; no monotony assumed.

    *necessary* is monotone and implied by *holds* (every count that holds satisfies it),
    so bisecting it gives a floor below which nothing holds. From the floor, counts are
    tried upward; *candidate(n)*, when given, is the smallest count ≥ n that could hold
    (a ring over zones knows it in closed form once its seam repeats), so the walk skips
    counts that cannot. Both facts together make the first count found the smallest.
    With *max_walk*, at most that many counts are tried (each may be costly to judge):
    past them the search stops with :class:`SearchStopped`, which says so. A *floor*
    already known (the smallest count ≥ *lowest* satisfying *necessary*, or any count
    between it and the answer) saves bisecting for it.
    """
    if floor is None:
        floor = smallest_holding(lowest, guess, necessary)
    count = floor
    tried = 0
    while True:
        if candidate is not None:
            count = candidate(count)
        if count > MAX_NODES:
            break
        if max_walk is not None and tried >= max_walk:
            raise SearchStopped(f"no count from {floor:,} to {count - 1:,} holds",
                                floor, count - 1)
        if holds(count):
            return count
        count += 1
        tried += 1
    raise TooMany(f"more than {MAX_NODES:,} nodes")


def boundary(no: int, yes: int, holds: Callable[[int], bool]) -> int:
    """Bisect a monotone predicate: false at *no*, true at *yes*; the true count nearest *no*.

    Works whichever of the two is larger: from below it finds the smallest count that
    holds, from above the largest.
    """
    while abs(yes - no) > 1:
        middle = (yes + no) // 2
        if holds(middle):
            yes = middle
        else:
            no = middle
    return yes
