"""Tier availability from independent node failures, exactly (SPEC §2, Availability).

Each node is down with probability q = mttr / (mtbf + mttr), independently of the others.
A tier is *available* when the set of nodes down at a random instant sheds nothing at the
current peak. Three exact computations, none of them sampling:

* **pool** — survivors share the demand, so nothing is shed while at least
  m = ⌈D / capacity⌉ nodes are up: a binomial tail.
* **active-passive** — a share is orphaned exactly when more nodes are down than there are
  standbys (a lost standby is one fewer to take over), so the tier is available while
  at most S nodes are down, provided one share fits one node: a binomial tail again.
* **ring** (spread 1) — a survivor after a run of r failed nodes carries r + 1 shares, so
  the tier is available while every run of consecutive failures around the ring is at most
  R = ⌊capacity / share⌋ − 1 long. A dynamic programme over the ring counts those
  configurations in O(N) with a running sum.
* **ring** (spread m > 1) — a survivor takes s/m from every failed node in the m gaps
  before it, so the tier is available while every m consecutive gaps hold at most
  ⌊m·(capacity − s)/s⌋ failed nodes (or, with m or fewer survivors, while D/S fits). A
  transfer matrix over the last m gaps, raised to the N-th power, counts those rings;
  when it would exceed ``MAX_WINDOW_STATES`` states capplan reports no figure.

Unavailability is summed directly from the failing configurations where that is the small
side, so four or five nines keep their digits.
"""

from __future__ import annotations

import math
from fractions import Fraction

#: Minutes in an average year of 365.25 days.
MINUTES_PER_YEAR = 525_960


def binomial_at_most(n: int, q: float, limit: int) -> float:
    """P(X ≤ limit) for X ~ Binomial(n, q), summed from whichever tail is smaller."""
    if limit < 0:
        return 0.0
    if limit >= n:
        return 1.0
    if q <= 0:
        return 1.0
    if q >= 1:
        return 0.0
    mean = n * q
    if limit >= mean:
        # The upper tail is the small side: 1 − P(X > limit), with the tail summed exactly.
        return 1.0 - math.fsum(_pmf(n, q, k) for k in range(limit + 1, n + 1))
    return math.fsum(_pmf(n, q, k) for k in range(limit + 1))


def binomial_above(n: int, q: float, limit: int) -> float:
    """P(X > limit), summed directly so that tiny tails keep their precision."""
    if limit >= n or q <= 0:
        return 0.0
    if limit < 0:
        return 1.0
    return math.fsum(_pmf(n, q, k) for k in range(limit + 1, n + 1))


def _pmf(n: int, q: float, k: int) -> float:
    log = (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
           + k * math.log(q) + (n - k) * math.log1p(-q))
    return math.exp(log)


def pool_unavailability(nodes: int, q: float, demand: Fraction, capacity: Fraction) -> float:
    """P(fewer than ⌈D/c⌉ nodes up); every node down sheds any demand above zero."""
    needed = max(1, math.ceil(demand / capacity)) if demand > 0 else 0
    # Down count above nodes − needed leaves too few survivors.
    return binomial_above(nodes, q, nodes - needed)


def active_passive_unavailability(nodes: int, standby: int, q: float, demand: Fraction,
                                  capacity: Fraction) -> float:
    """P(more nodes down than standbys), or 1 when one share overloads a node anyway."""
    active = nodes - standby
    if demand > 0 and demand / active > capacity:
        return 1.0
    if demand == 0:
        return 0.0
    return binomial_above(nodes, q, standby)


def ring_unavailability(nodes: int, q: float, demand: Fraction, capacity: Fraction,
                        spread: int = 1) -> float:
    """P(the nodes down shed something) for a ring whose failed shares go to *spread* takers."""
    if demand == 0:
        return 0.0
    share = demand / nodes
    if share > capacity:
        return 1.0
    if spread == 1:
        longest = min(nodes - 1, math.floor(capacity / share) - 1)
        return 1.0 - ring_runs_at_most(nodes, q, longest)
    # With S ≤ spread survivors every failed share reaches all of them: D/S each.
    fits = math.ceil(demand / capacity)
    few = math.fsum(_pmf(nodes, 1 - q, up) for up in range(max(1, fits), min(spread, nodes) + 1))
    many = 0.0
    if nodes > spread:
        # With more, a survivor takes s/m from each failed node in the m gaps before it.
        budget = math.floor(spread * (capacity - share) / share)
        many = ring_windows_at_most(nodes, q, spread, min(budget, nodes))
    return max(0.0, 1.0 - few - many)


#: States of the spread > 1 ring programme beyond which capplan declines to compute
#: (800 states: a quarter of a second for 10,000 nodes). Only lightly loaded wide rings
#: get there, where a failed share fits many times over.
MAX_WINDOW_STATES = 800


def ring_windows_at_most(nodes: int, q: float, spread: int, budget: int) -> float:
    """P(more than *spread* nodes up, and every *spread* consecutive gaps sum ≤ *budget*).

    A gap is the run of failed nodes before a survivor. Walking the ring node by node, the
    state is the last spread − 1 gaps, the current run and how many survivors have passed
    (counted up to spread + 1); a run that would break a window is dropped at once. The
    ring closes where the walk ends in the state it started from, so the probability is a
    sum of diagonal entries of the N-th power of the (small) transfer matrix.
    """
    from itertools import product

    import numpy as np

    shapes = [gaps for gaps in product(range(budget + 1), repeat=spread)
              if sum(gaps) <= budget]
    ceiling = spread + 1
    states = [(gaps, seen) for gaps in shapes for seen in range(ceiling + 1)]
    if len(states) > MAX_WINDOW_STATES:
        raise ValueError(f"a ring with spread {spread} and this much room needs "
                         f"{len(states):,} states; capplan computes up to {MAX_WINDOW_STATES}")
    index = {state: position for position, state in enumerate(states)}
    step = np.zeros((len(states), len(states)))
    for (gaps, seen), here in index.items():
        *earlier, run = gaps
        if sum(gaps) + 1 <= budget:  # the next node fails: the run grows
            step[here, index[((*earlier, run + 1), seen)]] += q
        # The next node survives: the run becomes the newest completed gap.
        shifted = (*earlier[1:], run, 0)
        step[here, index[(shifted, min(seen + 1, ceiling))]] += 1 - q
    power = np.linalg.matrix_power(step, nodes)
    return float(sum(power[index[(gaps, 0)], index[(gaps, ceiling)]] for gaps in shapes))


def ring_runs_at_most(nodes: int, q: float, longest: int) -> float:
    """P(at least one node up and every cyclic run of down nodes at most *longest* long).

    Fix the first survivor after node N: say a nodes before it (1…a) and b nodes after
    the last survivor (N−b+1…N) are down, one run of a + b across the seam. The nodes
    from the first survivor to the last form a line that starts and ends up; ``line[L]``
    is the probability of such a line of length L with no inner run above *longest*.
    """
    up = 1 - q
    line = [0.0] * (nodes + 1)
    line[1] = up
    # window = Σ_{r=0..longest} line[L−1−r]·q^r, slid along in O(1) per length.
    window = 0.0
    dropped = q ** (longest + 1)
    for length in range(2, nodes + 1):
        window = line[length - 1] + q * window
        if length - 2 - longest >= 1:
            window -= line[length - 2 - longest] * dropped
        line[length] = window * up
    return math.fsum((seam + 1) * q**seam * line[nodes - seam]
                     for seam in range(min(longest, nodes - 1) + 1))


def standbys_for(nodes: int, q: float, target: float) -> int:
    """The fewest standbys S with P(more than S of *nodes* down) ≤ 1 − *target*."""
    allowed = 1 - target
    tail = 1.0
    for standby in range(nodes):
        tail -= _pmf(nodes, q, standby)
        # Past the mean the tail is small; sum it exactly rather than trust 1 − Σ.
        near = tail <= allowed * 2 or standby >= nodes * q
        if near and binomial_above(nodes, q, standby) <= allowed:
            return standby
    return nodes


def downtime_minutes_per_year(availability: float) -> float:
    """(1 − availability) × 525,960 minutes."""
    return (1 - availability) * MINUTES_PER_YEAR
