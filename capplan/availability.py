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
  configurations in O(N·R) (O(N) with a running sum).

Unavailability is summed directly from the failing configurations where that is the small
side, so four or five nines keep their digits. Rings with spread > 1 are not modelled (a
survivor's load then depends on several runs at once); they report no availability.
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


def ring_unavailability(nodes: int, q: float, demand: Fraction, capacity: Fraction) -> float:
    """P(some run of failures is longer than R, or every node is down), spread 1."""
    if demand == 0:
        return 0.0
    share = demand / nodes
    if share > capacity:
        return 1.0
    longest = min(nodes - 1, math.floor(capacity / share) - 1)
    return 1.0 - ring_runs_at_most(nodes, q, longest)


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
