"""Tier availability from independent node failures, exactly (SPEC §2, Availability).

Each node is down with probability q = mttr / (mtbf + mttr), independently of the others.
A tier is *available* when the set of nodes down at a random instant sheds nothing at the
current peak. Every figure is the probability of the failing down-sets, summed directly
(never 1 − a sum close to 1), so four, ten or twenty nines keep their digits:

* **pool** — survivors share the demand, so nothing is shed while at least
  m = ⌈D / capacity⌉ nodes are up: a binomial tail.
* **active-passive** — a share is orphaned exactly when more nodes are down than there are
  standbys (a lost standby is one fewer to take over), so the tier is available while
  at most S nodes are down, provided one share fits one node: a binomial tail again.
* **ring** with spread m (1 included) — with S ≤ m − 1 survivors every failed share
  reaches all of them, D/S each. With S ≥ m, a survivor carries s + (s/m)·(failed nodes
  in the m gaps before it), so the tier sheds exactly when some m consecutive gaps hold
  more than B = ⌊m·(capacity − s)/s⌋ failed nodes. With L = B + m ≤ N − 1 (else nothing
  is shed) that is a scan statistic: *some window of L consecutive nodes holds at most
  m − 1 up*. (⇒: the B + 1 failures and the m − 1 survivors between them make a stretch
  of at least L nodes with m − 1 up; ⇐: a window with u ≤ m − 1 up puts its ≥ B + 1
  failures in u + 1 ≤ m consecutive gaps, distinct since a survivor lies outside it.)

**Trace.** An automaton whose state is where the last m ups lie among the last L − 1
nodes (fewer if fewer) knows, for each new node, whether the window of L just read is bad.
Its state is a function of the last L − 1 nodes, so for a cyclic configuration w exactly
one start state (that of w's last L − 1 nodes) returns to itself after reading w, and its
walk checks all N cyclic windows: Σ_s [Tᴺ]ₛₛ counts each configuration once. Phases
record "only fine windows so far", "only bad" and "both"; "both" implies S ≥ m (a fine
window holds m up), and "only bad" carries an up-count to m, so the failing probability
is Σ_s (start s, first move)·[P^(N−1)](·, (s, both)) + Σ_s [Qᴺ](s,0),(s,m): non-negative
terms only. States: 2·Σ_{j≤m} C(L−1, j) + Σ_{j<m} C(L−1, j), and (m + 1)·Σ_{j<m} C(L−1, j).

**Declumped (tiny figures, N ≥ 4L).** Let W_i be the window of nodes i … i + L − 1 and
E′_i "W_i bad and W_{i−1} … W_{i−L} fine", p′ = P(E′_i), w = P(W_i bad). If some window
is bad and no E′_i holds, every bad window has another within L before it, so every L
consecutive windows hold a bad one; ⌊N/2L⌋ such blocks have disjoint nodes, so that has
probability ≤ (L·w)^⌊N/2L⌋. E′_i and E′_j at cyclic distance δ ≤ L exclude each other
(one needs the other's window fine); at δ > L, N ≥ 4L puts W_j outside E′_i's 2L nodes,
so P(E′_i E′_j) ≤ p′·w. Bonferroni then gives |answer − N·p′| ≤ N²·p′·w/2 +
(L·w)^⌊N/2L⌋, used when that is within RELATIVE_ERROR of N·p′. p′ itself is a walk over
k = 1 … L adding node −k and removing node L − k of W₀ (counts capped at m): O(L·m³).

**Nearly certain.** 1 = P(every window fine) + P(some bad); S < m makes every window
bad, so the answer is 1 − P(S < m) − P(every window fine), and the last is at most
(1 − w)^⌊N/L⌋ (that many disjoint windows all fine). Used when half that bound is within
RELATIVE_ERROR of the figure: the subtraction then loses nothing the slack does not state.

**Spread 1.** The ring then sheds exactly when every node is down or some node is up
and the L nodes after it are down; two such starts exclude each other or have disjoint
stretches of L + 1 nodes. The inclusion–exclusion over starts is exact with ⌊N/(L+1)⌋
terms and Bonferroni brackets it after any of them (:func:`_run_starts_bracket`:
microseconds, closed to rounding unless N·(1 − q)·q^L is large). Past it, the power sum
1 − qᴺ − tr Tᴺ of the run-length automaton (:func:`_run_power_sum`, O(L²·log N)) and
then the matrices below. Measured in benchmarks/ring_runs.py: runs of up to 2,000 at a
million nodes in 0.02 ms, where the matrices stopped at runs of 199 (400 states).

**State size.** With n·w below 2⁻⁶⁰ the figure is 0 with that bound as its error. Small
matrices (``SMALL_CHAIN``) are powered first; then the two shortcuts; then matrices up to
``MAX_RING_STATES``·∛(14 / log2 N) states (400 at 10,000 nodes). A ring is left without a
figure (``ValueError``) only past all of these: a middle band where N·w is neither tiny
nor large and L is wide — measured (benchmarks/ring_availability.py), at 10,000 nodes
spread 2 at 10% load with q ≥ 0.3, spread 3–4 at 10% load with q = 0.6, spread 4–5 at 30%
load with q = 0.3, spread 5 at half load with q = 1%; and at 100 nodes, where N < 4L rules
out declumping, light loads of spread 3–5 with q ≥ 0.3. (One phase of the automaton alone,
its trace subtracted from 1, gave three more of them a figure, but only above
N·states·2⁻³² — a matrix power's float error grows with N — and it doubled the cost of
count searches that walk through that band, so it is not used.)

**Targets.** Each computation returns an :class:`Unavailability`: a float ``value`` with a
proved ``slack`` (|exact − value| ≤ slack: relative float error ``RELATIVE_ERROR`` plus any
tail bounded above). :meth:`Unavailability.meets` compares with 1 − target as a Fraction,
never 1 − float: when value ± slack lies wholly on one side the float decides; otherwise
the exact rational unavailability (q as a Fraction) decides, computed with integers when
it costs at most ``EXACT_BUDGET`` and its denominator dⁿ has at most ``MAX_EXACT_BITS``
bits (roughly: tiers of up to 10,000 nodes for pools and active-passive, small rings).
Beyond that budget a figure within one part in a million of
the boundary is decided by the float (documented cap; a tie there needs a target with
thousands of digits), except that a figure whose bound reaches down to 0 is never called
met by the float: a target of 100% is met only by a figure known to be exactly 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache, partial
from typing import Any

#: Minutes in an average year of 365.25 days.
MINUTES_PER_YEAR = 525_960

#: Bound on |float − exact| / exact for the float sums here. lgamma at a million nodes is
#: good to ~1e-8 relative after cancellation; a power of a non-negative matrix is good to
#: N·states·2⁻⁵³ relative (each squaring adds its factors' errors): at most 4e-8 within
#: the state limits below. One part in a million covers both with room.
RELATIVE_ERROR = 1e-6

#: Tails below this are reported as 0 (with the bound as slack): 1 − 2⁻⁶⁰ is 1.0 in floats.
NEGLIGIBLE = 2.0 ** -60

#: Most states of the ring matrix capplan powers for 10,000 nodes (dense, O(states³·log N):
#: ~1.4 s at the cap on a 2-core machine); smaller rings may use more, larger ones fewer.
MAX_RING_STATES = 400

#: Ring matrices this small are powered before any shortcut is tried (~1 ms): their
#: figures carry only the float error.
SMALL_CHAIN = 100

#: The smallest positive normal float: below it a float has lost relative precision.
SMALLEST_NORMAL = 2.0 ** -1022

#: Most steps (L·m³, in Python) the declumped shortcut's walk may take, about 0.5 s: a
#: spread of 1,000 made it walk for minutes on one ring.
CLUMP_WORK = 2 * 10**6

#: Largest exact rational computation, in (bits of the numbers) × (terms or steps).
EXACT_BUDGET = 2**31

#: Bits of dⁿ (q = a/d) past which no exact figure is made, whatever the terms: reducing
#: the fraction is a gcd quadratic in its bits (0.3 s at 470,000 bits, about 40 minutes
#: at 40 million: an 840,600-node pool of nodes down 99.999% of the time).
MAX_EXACT_BITS = 2**19


@dataclass(frozen=True)
class Unavailability:
    """P(the nodes down at a random instant shed something): a float and its error bound."""

    value: float
    slack: float = 0.0
    exact: Callable[[], Fraction | None] | None = field(default=None, compare=False,
                                                        repr=False)
    #: The exact value, where it was cheap enough to compute up front (small tiers).
    known: Fraction | None = None

    @property
    def availability(self) -> float:
        """1 − unavailability as a float (the figure reported), correctly rounded if known."""
        return float(1 - self.known) if self.known is not None else 1.0 - self.value

    def meets(self, target: Fraction) -> bool:
        """Unavailability ≤ 1 − *target*, decided exactly (see the module docstring)."""
        allowed = 1 - Fraction(target)
        if allowed < 0:
            return False
        if self.known is not None:
            return self.known <= allowed
        if Fraction(self.value + self.slack) <= allowed:
            return True
        if Fraction(max(0.0, self.value - self.slack)) > allowed:
            return False
        exact = self.exact() if self.exact is not None else None
        if exact is not None:
            return exact <= allowed
        # A bound reaching down to 0: the figure may be anywhere from 0 to value + slack,
        # beyond *allowed*; only an exact figure could say "met", so the safe answer is no.
        # (Every figure that can be exactly 0 is made known, so 100% is never met by a guess.)
        return self.value - self.slack > 0 and Fraction(self.value) <= allowed


def _certain(value: int) -> Unavailability:
    return Unavailability(float(value), 0.0, lambda: Fraction(value), Fraction(value))


#: Exact tails this cheap ((bits) × (terms)) are computed up front, so small tiers report
#: correctly rounded figures (0.970299, not 0.9702989999999999).
EAGER_BUDGET = 2**16


def meets(unavailability: Unavailability, target: Fraction) -> bool:
    """Whether *unavailability* ≤ 1 − *target*, compared exactly."""
    return unavailability.meets(target)


# --- binomial tails -------------------------------------------------------------------------

def _log_pmf(n: int, q: float, k: int) -> float:
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(q) + (n - k) * math.log1p(-q))


#: Past this many terms a tail is summed in numpy blocks (a wide tail in a Python loop
#: cost 0.2 ms, and a standby search asks for thousands); below it numpy is not imported.
VECTOR_TERMS = 256


def _tail_float(n: int, q: float, low: int) -> float:
    """P(X ≥ low), X ~ Binomial(n, q), in O(√(nq) + 60) terms from whichever side is small."""
    if low <= 0 or low > n or not 0 < q < 1:
        return 1.0 if low <= 0 or (q >= 1 and low <= n) else 0.0
    mode = math.floor((n + 1) * q)
    ratio_up = q / (1 - q)
    wide = 12 * math.sqrt(n * q * (1 - q)) + 60 > VECTOR_TERMS
    if low > mode:
        # Past the mode terms only shrink: sum upward until they stop counting.
        if wide:
            return _terms_summed(n, q, low, upward=True)
        term = math.exp(_log_pmf(n, q, low))
        total, k = 0.0, low
        while term > 0 and k <= n:
            total += term
            if term < total * 2.0**-60:
                break
            term *= (n - k) / (k + 1) * ratio_up
            k += 1
        return total
    # The tail holds the mode, so it is at least about 1/2: 1 − (lower tail) keeps its digits.
    if wide:
        return max(0.0, 1.0 - _terms_summed(n, q, low - 1, upward=False))
    below, k = 0.0, low - 1
    term = math.exp(_log_pmf(n, q, k))
    while term > 0 and k >= 0:
        below += term
        if term < below * 2.0**-60:
            break
        term *= k / (n - k + 1) / ratio_up
        k -= 1
    return max(0.0, 1.0 - below)


def _terms_summed(n: int, q: float, start: int, *, upward: bool) -> float:
    """Σ P(X = k) from k = *start* away from the mode (up or down), in numpy blocks.

    The same terms as the loop in :func:`_tail_float`, each from the last by the same
    ratio, in logarithms (a block's cumulative sum), until one falls below 2⁻⁶⁰ of the sum.
    """
    import numpy as np

    log_ratio = math.log(q) - math.log1p(-q)
    block = max(VECTOR_TERMS, int(12 * math.sqrt(n * q * (1 - q))) + 60)
    log_term = _log_pmf(n, q, start)
    total, k = 0.0, start
    while 0 <= k <= n:
        if upward:
            ks = np.arange(k, min(n, k + block - 1) + 1, dtype=np.float64)
            steps = np.log((n - ks[:-1]) / (ks[:-1] + 1)) + log_ratio
        else:
            ks = np.arange(k, max(0, k - block + 1) - 1, -1, dtype=np.float64)
            steps = np.log(ks[:-1] / (n - ks[:-1] + 1)) - log_ratio
        logs = log_term + np.concatenate(([0.0], np.cumsum(steps)))
        terms = np.exp(logs)
        # Positive terms, summed pairwise: a relative error of a few ulps, far inside
        # RELATIVE_ERROR.
        total += float(terms.sum())
        last = float(terms[-1])
        end = int(ks[-1])
        if last == 0 or last < total * 2.0**-60 or end == (n if upward else 0):
            break
        k = end + (1 if upward else -1)
        log_term = float(logs[-1]) + (math.log((n - ks[-1]) / (ks[-1] + 1)) + log_ratio
                                      if upward else
                                      math.log(ks[-1] / (n - ks[-1] + 1)) - log_ratio)
    return total


def _tail_exact(n: int, q: Fraction, low: int) -> Fraction | None:
    """P(X ≥ low) as a Fraction, with integers; None above ``EXACT_BUDGET``."""
    if low <= 0:
        return Fraction(1)
    if low > n:
        return Fraction(0)
    a, d = q.numerator, q.denominator
    b = d - a
    upper = n - low + 1
    terms = min(upper, low)
    if a == b and upper == low:
        # q = ½ and n = 2·low − 1: X ≥ low and X ≤ low − 1 split every outcome, and
        # n − X has X's law, so each has probability ½ (nodes up and down alike half the
        # time, a target of 50%: the float sits on the boundary at every odd n). Known
        # without arithmetic, so before any budget: past it the float decided wrongly.
        return Fraction(1, 2)
    if max(1, n * d.bit_length()) * terms > EXACT_BUDGET or n * d.bit_length() > MAX_EXACT_BITS:
        return None
    if upper <= low:
        first, count = low, upper
    else:
        first, count = 0, low
    # T_k = C(n, k)·a^k·b^(n−k), walked by exact integer ratios.
    term = math.comb(n, first) * a**first * b ** (n - first)
    total = 0
    for k in range(first, first + count):
        total += term
        if k < n and b:
            term = term * (n - k) * a // ((k + 1) * b)
    whole = Fraction(total, d**n)
    return whole if upper <= low else 1 - whole


#: The last exact tails a decision needed (each at most MAX_EXACT_BITS bits): a search asks
#: the same boundary again, and a fraction of half a million bits takes a tenth of a
#: second to reduce.
_remembered_tail_exact = lru_cache(maxsize=32)(_tail_exact)


@lru_cache(maxsize=512)
def binomial_tail(n: int, q: Fraction | float, low: int) -> Unavailability:
    """P(X ≥ low) for X ~ Binomial(n, q), with its error bound and an exact fallback.

    Remembered: the searches of many draws ask the same tails again (a pool of 968
    nodes with 966 needed up, for each draw that needs 966), and an exact tail of a
    thousand nodes down 99.7% of the time is a fraction of 17,000 bits to reduce (those
    kept are at most EAGER_BUDGET bits each).
    """
    if low <= 0:
        return _certain(1)
    if low > n or q <= 0:
        return _certain(0)
    if q >= 1:
        return _certain(1)
    exact_q = Fraction(q)
    if n * exact_q.denominator.bit_length() * min(n - low + 1, low) <= EAGER_BUDGET:
        known = _tail_exact(n, exact_q, low)
        if known is not None:
            return Unavailability(float(known), 0.0, lambda: known, known)
    value = _tail_float(n, float(q), low)
    return Unavailability(value, value * RELATIVE_ERROR + 2.0**-1060,
                          partial(_remembered_tail_exact, n, exact_q, low))


# --- tiers ----------------------------------------------------------------------------------

def pool(nodes: int, q: Fraction | float, demand: Fraction,
         capacity: Fraction) -> Unavailability:
    """P(fewer than ⌈D/c⌉ nodes up); every node down sheds any demand above zero."""
    if demand <= 0:
        return _certain(0)
    needed = max(1, math.ceil(demand / capacity))
    # More than nodes − needed down leaves too few survivors.
    return binomial_tail(nodes, q, nodes - needed + 1)


def pool_carrying(nodes: int, q: Fraction | float, fewest: int | None,
                  most: int | None) -> Unavailability:
    """P(the nodes up are fewer than *fewest* or more than *most*): a USL-scaled pool.

    Such a pool carries its demand with m nodes up exactly for m in [fewest, most] (None:
    no m at all, or no upper end); more nodes up than *most* is the retrograde side.
    """
    if fewest is None or (most is not None and most < fewest):
        return _certain(1)
    too_few = binomial_tail(nodes, q, nodes - fewest + 1)
    if most is None or nodes <= most:
        return too_few
    # Fewer than nodes − most down leaves too many up: 1 − P(at least nodes − most down).
    enough_down = binomial_tail(nodes, q, nodes - most)
    value = too_few.value + 1.0 - enough_down.value
    exact_few, exact_down = too_few.exact, enough_down.exact

    def exact() -> Fraction | None:
        few = exact_few() if exact_few is not None else None
        down = exact_down() if exact_down is not None else None
        return None if few is None or down is None else few + 1 - down

    known = None if too_few.known is None or enough_down.known is None \
        else too_few.known + 1 - enough_down.known
    return Unavailability(value, too_few.slack + enough_down.slack + 2.0**-52, exact, known)


def active_passive(nodes: int, standby: int, q: Fraction | float, demand: Fraction,
                   capacity: Fraction) -> Unavailability:
    """P(more nodes down than standbys), or 1 when one share overloads a node anyway."""
    if demand <= 0:
        return _certain(0)
    if demand / (nodes - standby) > capacity:
        return _certain(1)
    return binomial_tail(nodes, q, standby + 1)


def ring(nodes: int, q: Fraction | float, demand: Fraction, capacity: Fraction,
         spread: int = 1) -> Unavailability:
    """P(the nodes down shed something) for a ring whose failed shares go to *spread* takers.

    Raises ValueError only past ``MAX_RING_STATES`` (see the module docstring).
    """
    if demand <= 0:
        return _certain(0)
    share = demand / nodes
    if share > capacity:
        return _certain(1)
    exact_q = Fraction(q)
    if exact_q <= 0:
        return _certain(0)
    if exact_q >= 1:
        return _certain(1)
    m = min(spread, nodes)
    # Fewer than m survivors: each carries D/S. None at all: everything is shed.
    few = [_exactly(nodes, exact_q, nodes - up) for up in range(m)
           if up == 0 or demand / up > capacity]
    budget = math.floor(m * (capacity - share) / share)
    many = _ring_windows(nodes, exact_q, m, budget)
    parts = [*few, many]
    value = math.fsum(part.value for part in parts)
    slack = math.fsum(part.slack for part in parts)

    def exact() -> Fraction | None:
        values = [part.exact() if part.exact is not None else None for part in parts]
        if any(v is None for v in values):
            return None
        return sum((v for v in values if v is not None), Fraction(0))

    return Unavailability(value, slack, exact)


def ring_meets_quickly(nodes: int, q: Fraction | float, demand: Fraction,
                       capacity: Fraction, target: Fraction) -> bool | None:
    """Whether a ring of spread 1 meets *target*, from two closed-form bounds; None: unsure.

    With B = ⌊capacity·N/D⌋ − 1, the ring sheds when every node is down (q^N) or some
    node i − 1 is up and i … i + B are down (Sᵢ, p = (1 − q)·q^(B+1); a longer run
    contains such a start). The union bound gives P ≤ N·p + q^N. Two Sᵢ whose stretches
    of B + 2 nodes overlap exclude each other and the others are independent, so the
    second-moment inequality gives P ≥ N·p / (1 + N·p) + q^N. The two are within a
    factor 1 + N·p, about 1% at a 99% target, so a count search decides almost every
    count without the exact figure (a matrix power); the figure a plan reports is still
    :func:`ring`'s.

    Near a moderate target (50%: N·p ≈ 0.7) the two are a factor 2 apart, and a count
    search would need figures at dozens of counts. There the exact inclusion–exclusion
    over the Sᵢ decides instead (:func:`_run_starts_bracket`).
    """
    if demand <= 0:
        return True
    exact_q = Fraction(q)
    budget = math.floor(capacity * nodes / demand) - 1
    if not 0 < exact_q < 1 or demand / nodes > capacity or budget + 2 > nodes:
        return None
    allowed = float(1 - target)
    if allowed < SMALLEST_NORMAL:
        # Every node down at once (qᴺ > 0) sheds, so nothing meets 100%; a share of
        # the time below the floats' normal range is left to the exact figures.
        return False if target >= 1 else None
    log_down, log_up = _logs(exact_q)
    log_start = log_up + (budget + 1) * log_down
    starts = math.exp(min(log_start + math.log(nodes), 700.0))
    all_down = math.exp(nodes * log_down)
    # A part in a million either side: the float sums above are good to far better.
    if starts + all_down <= allowed * (1 - RELATIVE_ERROR):
        return True
    if starts / (1 + starts) + all_down > allowed * (1 + RELATIVE_ERROR):
        return False
    low, high = _run_starts_bracket(nodes, exact_q, budget + 1)
    return True if high + all_down <= allowed * (1 - RELATIVE_ERROR) \
        else False if low + all_down > allowed * (1 + RELATIVE_ERROR) else None


def _run_starts_figure(nodes: int, q: Fraction, run: int) -> Unavailability | None:
    """The middle of :func:`_run_starts_bracket`, where it is within RELATIVE_ERROR.

    It closes on the figure unless N·p is large (the figure is then nearly certain) or
    the terms underflow (the figure is then tiny, and the matrix has it).
    """
    low, high = _run_starts_bracket(nodes, q, run)
    middle, half = (low + high) / 2, (high - low) / 2
    return Unavailability(middle, half) if middle > 0 and half <= RELATIVE_ERROR * middle \
        else None


def _logs(q: Fraction) -> tuple[float, float]:
    """(log q, log(1 − q)), each good to a few ulps for any q in (0, 1).

    float(q) is 1.0 for q within 2⁻⁵⁴ of 1 (nodes down all but 1e-30 of the time), where
    log1p(−float(q)) fails; the side nearer 0 is the one rounded once, and log1p takes
    the other from it.
    """
    if q <= Fraction(1, 2):
        down = float(q)
        return _log(q, down), math.log1p(-down)
    up = float(1 - q)
    return math.log1p(-up), _log(1 - q, up)


def _log(exact: Fraction, rounded: float) -> float:
    """The natural log of a probability, from its fraction where the float underflowed."""
    if rounded >= SMALLEST_NORMAL:
        return math.log(rounded)
    return math.log(exact.numerator) - math.log(exact.denominator)


#: Terms of the inclusion–exclusion :func:`_run_starts_bracket` adds at most.
MOST_RUN_START_TERMS = 64


def _run_starts_bracket(nodes: int, q: Fraction, run: int) -> tuple[float, float]:
    """Bounds on P(some Sᵢ): a spread-1 ring with a node up sheds at *run* down in a row.

    Sᵢ (node i − 1 up, i … i + run − 1 down, probability r = (1 − q)·q^run) and Sⱼ either
    exclude each other or have disjoint stretches of run + 1 nodes, so a set of j starts
    all happen with probability r^j exactly when their stretches are disjoint, and there
    are C_j = (N/j)·C(N − j·run − 1, j − 1) such sets on a ring of N. By inclusion–
    exclusion P(some Sᵢ) = Σ_j (−1)^(j+1)·C_j·r^j, and by Bonferroni each partial sum
    ending in a term added is above it, each ending in one subtracted below: no
    subtraction is trusted beyond the bracket. Every term is exp of a sum of logs, with
    its error bounded from the sizes of those logs (a few units in the last place each).
    """
    log_down, log_up = _logs(q)
    u = 2.0**-53
    error = low = high = partial = 0.0
    log_rate = log_up + run * log_down
    for j in range(1, min(nodes // (run + 1), MOST_RUN_START_TERMS) + 1):
        ways = math.comb(nodes - j * run - 1, j - 1)
        log_term = math.log(nodes / j) + math.log(ways) + j * log_rate
        if log_term > 700:
            return 0.0, math.inf  # the terms only grow from here: no bracket
        term = math.exp(log_term)
        logs = abs(math.log(nodes / j)) + math.log(ways) + j * (abs(log_up) + run * abs(log_down))
        error += term * u * (4 * logs + 2 * j * (run + 2) + 4 * MOST_RUN_START_TERMS + 16) \
            + 2.0**-1070  # a term that underflowed
        partial += term if j % 2 else -term
        if j % 2:
            high = partial
        else:
            low = partial
        if j == nodes // (run + 1):
            low = high = partial  # every term: the sum is exact
        elif term <= error:
            break  # the next terms cannot narrow the bracket past the rounding
    return max(low - error, 0.0), high + error


def _exactly(n: int, q: Fraction, k: int) -> Unavailability:
    """P(X = k) for X ~ Binomial(n, q)."""
    if 0 < q < 1:
        log_down, log_up = _logs(q)  # float(q) may be 1.0 for nodes down nearly always
        value = math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                         + k * log_down + (n - k) * log_up)
    else:
        value = float(q ** k)

    def exact() -> Fraction | None:
        if n * q.denominator.bit_length() > MAX_EXACT_BITS:
            return None
        return math.comb(n, k) * q**k * (1 - q) ** (n - k)

    return Unavailability(value, value * RELATIVE_ERROR + 2.0**-1060, exact)


def _window_bound(nodes: int, q: float, m: int, budget: int) -> float:
    """n·P(Binomial(L, 1 − q) ≤ m − 1), L = B + m: at least P(some window of L is bad)."""
    length = budget + m
    if length > nodes - 1:
        return 0.0
    return nodes * _bad_window(length, q, m)


def _bad_window(length: int, q: float, m: int) -> float:
    """W = P(a given window of *length* nodes holds at most m − 1 up)."""
    return _tail_float(length, q, length - m + 1)


def _ring_windows(nodes: int, q: Fraction, m: int, budget: int) -> Unavailability:
    """P(at least m nodes up and some window of L = B + m nodes holds at most m − 1 up)."""
    if budget >= nodes - m:
        return _certain(0)  # m survivors leave at most N − m failed nodes in all the gaps
    length = budget + m
    down = float(q)
    # 1 − q rounded once from the exact q: 1.0 − float(q) loses q/(1 − q) ulps near 1.
    up = float(1 - q)
    bound = _window_bound(nodes, down, m, budget)
    if bound < NEGLIGIBLE:
        # 0 within the bound, which may itself underflow; a target met exactly still
        # needs the exact figure, so it stays at hand.
        return Unavailability(0.0, max(bound, 2.0**-1060),
                              lambda: _ring_exact(nodes, q, m, length))
    sizes = _chain_sizes(length, m)
    # Wide spreads make astronomically many states: past a billion the cube root is only
    # compared with limits in the hundreds, and the float of the sum would overflow.
    count = max(sizes) if max(sizes) > 10**9 \
        else math.ceil(sum(size**3 for size in sizes) ** (1 / 3))
    if count <= SMALL_CHAIN:
        value = _ring_power(nodes, down, m, length, up)
        return Unavailability(value, value * RELATIVE_ERROR,
                              lambda: _ring_exact(nodes, q, m, length))
    # The bounded shortcuts cost microseconds (the power sum a millisecond): try them
    # before a large matrix.
    shortcuts = [partial(_declumped, nodes, down, m, length),
                 partial(_nearly_certain, nodes, down, m, length)]
    if m == 1:
        shortcuts[:0] = [partial(_run_starts_figure, nodes, q, length),
                         partial(_run_power_sum, nodes, down, up, length)]
    for shortcut in shortcuts:
        figure = shortcut()
        if figure is not None:
            return Unavailability(figure.value, figure.slack,
                                  lambda: _ring_exact(nodes, q, m, length))
    # Squarings cost states³ each and a ring of N nodes takes log2 N of them.
    limit = math.floor((MAX_RING_STATES**3 * 14 / nodes.bit_length()) ** (1 / 3))
    if count <= limit:
        value = _ring_power(nodes, down, m, length, up)
        return Unavailability(value, value * RELATIVE_ERROR,
                              lambda: _ring_exact(nodes, q, m, length))
    raise ValueError(f"a ring of {nodes:,} nodes with spread {m} whose windows of {length} "
                     f"nodes may hold {budget} failed nodes needs {count:,} states and its "
                     f"shedding probability ({bound:.3g} or less) is neither small nor close "
                     f"to 1; capplan computes up to {limit:,} states (the budget of "
                     f"{MAX_RING_STATES} at 10,000 nodes)")


def _declumped(nodes: int, q: float, m: int, length: int) -> Unavailability | None:
    """N·p′ with p′ = P(window 0 bad, the L windows before it fine); None if too coarse.

    See the module docstring: |answer − N·p′| ≤ N²·p′·w/2 + (L·w)^⌊N/2L⌋ for N ≥ 4L.
    """
    if nodes < 4 * length or length * m**3 > CLUMP_WORK:
        return None
    w = _bad_window(length, q, m)
    start = _clump_start(q, m, length)
    value = nodes * start
    crowded = length * w
    slack = nodes * nodes * start * w / 2 \
        + (crowded ** (nodes // (2 * length)) if crowded < 1 else 1.0)
    slack += value * RELATIVE_ERROR
    if slack > 2 * RELATIVE_ERROR * value:
        return None
    return Unavailability(value, slack)


def _clump_start(q: float, m: int, length: int) -> float:
    """p′ = P(W₀ bad and W₋₁ … W₋L all fine), W_i the window of nodes i … i + L − 1.

    W₋k is the k nodes before 0 with the first L − k of W₀. Walking k = 1 … L adds node −k
    (a: ups among −k … −1, capped at m) and node L − k of W₀ (c: ups among L − k … L − 1),
    for each total t ≤ m − 1 of ups in W₀: W₋k is fine exactly when a + t − c ≥ m, and the
    walk must end with c = t. Every term is a product of probabilities: no cancellation.
    """
    up = 1.0 - q
    if m == 1:
        # W₀ all down, and W₋₁ fine only with node −1 up, which every W₋k then holds.
        return up * q**length
    total = 0.0
    for t in range(m):
        states = {(0, 0): 1.0}
        for _ in range(length):
            following: dict[tuple[int, int], float] = {}
            for (a, c), weight in states.items():
                for da, wa in ((1, up), (0, q)):
                    for dc, wc in ((1, up), (0, q)):
                        na, nc = min(m, a + da), c + dc
                        if nc > t or na + t - nc < m:
                            continue
                        key = (na, nc)
                        following[key] = following.get(key, 0.0) + weight * wa * wc
            states = following
        total += math.fsum(weight for (a, c), weight in states.items() if c == t)
    return total


def _nearly_certain(nodes: int, q: float, m: int, length: int) -> Unavailability | None:
    """1 − P(fewer than m up) − P(every window fine), the last below (1 − w)^⌊N/L⌋.

    Used only where that bound is below a millionth of the figure, so the subtraction
    costs nothing that the slack does not already state.
    """
    w = _bad_window(length, q, m)
    fine = (1.0 - w) ** (nodes // length) if w < 1 else 0.0
    few = _tail_float(nodes, q, nodes - m + 1)
    value = 1.0 - few - fine / 2
    slack = fine / 2 + 2.0**-50
    if value <= 0 or slack > RELATIVE_ERROR * value:
        return None
    return Unavailability(value, slack)


#: Longest run (L) the spread-1 power sum takes: its cost is L²·log2 N multiply-adds in
#: numpy convolutions, about 0.1 s at L = 2,048 and a million nodes.
LONGEST_POWER_SUM_RUN = 2048


def _run_power_sum(nodes: int, q: float, up: float, length: int) -> Unavailability | None:
    """Spread 1: P(some node up and a run of *length* down) = 1 − qᴺ − tr Tᴺ; None if coarse.

    T is the run-length automaton (state: downs since the last up, below L): a closed walk
    of N steps is exactly a cyclic configuration with an up and no run of L downs, so
    tr Tᴺ = s_N, the N-th power sum of the roots of χ(x) = xᴸ − Σ_r c_r x^(L−1−r),
    c_r = (1 − q)·q^r. Then s_N = Σ_j v_j·s_j with v = xᴺ mod χ, and for j < L no run
    of L fits in j nodes, so s_j = 1 − q^j = (1 − q)·Σ_(i<j) q^i (s_0 = L, the roots).

    v comes by repeated squaring. A product's part of degree L + k (k ≤ L − 2) folds back
    as x^(L+k) mod χ = Σ_j x^j Σ_(i≤j) a_(k−i)·c_(L−1−j+i), where a is the series of
    1/(1 − Σ_r c_r t^(r+1)): below L it is (1 − qt)/(1 − t), so a_0 = 1 and a_m = 1 − q.
    Folding is then a suffix sum and one convolution; memory stays O(L).

    Every term is a product of non-negative numbers, so each rounding is relative: a
    product adds at most (3L + 3)·u to its factors' errors (u = 2⁻⁵³: two convolutions
    of L terms and a suffix sum), xᴺ carries N − 1 of those, the c_r and s_j at most 2u
    per node they span. The price is one subtraction from 1, so the figure is used only
    where its absolute error is within RELATIVE_ERROR of it, and after the run-start
    bracket (:func:`_run_starts_figure`), which closes on most figures in microseconds
    but not where N·(1 − q)·q^L is large and its terms cancel: O(L²·log N) here
    against the matrix's (2L)³·log N.
    """
    import numpy as np

    if length > LONGEST_POWER_SUM_RUN or not 0 < q < 1:
        return None
    if length == 1:
        fine = math.pow(up, nodes)  # a single down node sheds: only "all up" is fine
    else:
        geometric = np.cumprod(np.concatenate(([1.0], np.full(length - 1, q))))
        folded = (up * geometric)[::-1].copy()  # c_(L−1) … c_0
        sums = np.concatenate(([float(length)], up * np.cumsum(geometric[:-1])))

        def times(a: Any, b: Any) -> Any:
            full = np.convolve(a, b)
            low, high = full[:length], full[length:]
            beyond = np.concatenate((np.cumsum(high[::-1])[::-1][1:], [0.0]))
            return low + np.convolve(high + up * beyond, folded)[:length]

        power: Any = None
        square = np.zeros(length)
        square[1] = 1.0
        exponent = nodes
        while True:
            exponent, bit = divmod(exponent, 2)
            if bit:
                power = square if power is None else times(power, square)
            if not exponent:
                break
            square = times(square, square)
        fine = float(power @ sums)
    all_down = math.pow(q, nodes)
    value = (1.0 - all_down) - fine
    u = 2.0**-53
    # Twice the bound of the docstring, for the roundings it does not itemise.
    relative = 2 * u * ((nodes - 1) * (3 * length + 3) + 2 * (nodes + length) + length + 4)
    # Underflow adds absolute errors below 2⁻¹⁰⁷⁴, each grown at most 2L-fold per product.
    tiny = 2.0 ** min(0.0, -1074 + nodes.bit_length() * 2 * math.log2(2 * length + 2))
    slack = u * (2 + (nodes + 2) * all_down + abs(value)) + fine * relative + tiny
    if value <= 0 or slack > RELATIVE_ERROR * value:
        return None
    return Unavailability(value, slack)


_Window = tuple[int, ...]


@lru_cache(maxsize=64)
def _window_automaton(length: int, m: int
                      ) -> tuple[list[_Window], list[list[tuple[int, int, bool]]]]:
    """The window automaton: its states and, per state, (next, up, bad) for down and up.

    A state is where the last m ups lie among the last L − 1 nodes (0 = newest), fewer if
    fewer; bad says the window of L nodes just read holds at most m − 1 ups. The state is
    a function of the last L − 1 nodes, so the automaton synchronises.
    """
    states: list[_Window] = [()]
    index: dict[_Window, int] = {(): 0}
    moves: list[list[tuple[int, int, bool]]] = []
    position = 0
    while position < len(states):
        here = states[position]
        row = []
        for kind in (0, 1):
            bad = len(here) < m and len(here) + kind <= m - 1
            kept = tuple(d + 1 for d in here if d + 1 <= length - 2)
            there = ((0, *kept) if kind and length >= 2 else kept)[:m]
            if there not in index:
                index[there] = len(states)
                states.append(there)
            row.append((index[there], kind, bad))
        moves.append(row)
        position += 1
    return states, moves


def _chain_sizes(length: int, m: int) -> tuple[int, int]:
    """States of the two matrices :func:`_ring_power` powers."""
    full = sum(math.comb(length - 1, j) for j in range(m + 1))
    sparse = sum(math.comb(length - 1, j) for j in range(m))
    return 2 * full + sparse, sparse * (m + 1)


def _ring_power(nodes: int, q: float, m: int, length: int, up: float | None = None) -> float:
    """Both traces of the module docstring, by float matrix powers (*up*: 1 − q)."""
    import numpy as np

    up_weight = 1.0 - q if up is None else up

    states, moves = _window_automaton(length, m)
    n = len(states)
    slot = {i: k for k, i in enumerate(i for i, s in enumerate(states) if len(s) < m)}
    f = len(slot)
    # Phases: G [0, n) only fine windows so far, X [n, 2n) both kinds, D [2n, 2n + f) only
    # bad ones (a bad window leaves at most m − 1 ups, so D needs only those states).
    step = np.zeros((2 * n + f, 2 * n + f))
    first = np.zeros((n, 2 * n + f))
    counted = np.zeros((f * (m + 1), f * (m + 1)))
    for here, row in enumerate(moves):
        for there, kind, bad in row:
            weight = up_weight if kind else q
            step[n + here, n + there] += weight
            if bad:
                step[here, n + there] += weight
                first[here, 2 * n + slot[there]] += weight
                step[2 * n + slot[here], 2 * n + slot[there]] += weight
                for seen in range(m + 1):
                    counted[slot[here] * (m + 1) + seen,
                            slot[there] * (m + 1) + min(m, seen + kind)] += weight
            else:
                step[here, there] += weight
                first[here, there] += weight
                if here in slot:
                    step[2 * n + slot[here], n + there] += weight
    rest = _matrix_power(step, nodes - 1)
    mixed = math.fsum(float(first[s] @ rest[:, n + s]) for s in range(n))
    power = _matrix_power(counted, nodes)
    crowded = math.fsum(float(power[k * (m + 1), k * (m + 1) + m]) for k in range(f))
    return mixed + crowded


#: Multiply-adds per BLAS call below which OpenBLAS keeps a product on the calling thread
#: (its SMP_THRESHOLD_MIN × GEMM_MULTITHREAD_THRESHOLD, 65,536 × 4).
SERIAL_PRODUCT = 2**18


def _product(a: Any, b: Any) -> Any:
    """The product a @ b, in blocks each small enough to run on the calling thread.

    A threaded product waits for threads a neighbour's load may have descheduled: on a
    shared two-core machine a 105-state product cost its caller 8 ms of processor time
    in spin-waits against 0.05 ms on one thread. Every entry is still the dot product of a
    whole row with a whole column, so blocking changes no figure's error bound.
    """
    import numpy as np

    rows, inner = a.shape
    columns = b.shape[1]
    if rows * inner * columns <= SERIAL_PRODUCT:
        return a @ b
    side = max(1, math.isqrt(SERIAL_PRODUCT // inner))
    result = np.empty((rows, columns))
    for top in range(0, rows, side):
        for left in range(0, columns, side):
            np.matmul(a[top:top + side], b[:, left:left + side],
                      out=result[top:top + side, left:left + side])
    return result


def _matrix_power(matrix: Any, exponent: int) -> Any:
    """numpy.linalg.matrix_power's squarings, with :func:`_product`."""
    import numpy as np

    if exponent == 0:
        return np.eye(matrix.shape[0])
    if exponent == 1:
        return matrix
    if exponent == 2:
        return _product(matrix, matrix)
    if exponent == 3:
        return _product(_product(matrix, matrix), matrix)
    square: Any = None
    result: Any = None
    while exponent > 0:
        square = matrix if square is None else _product(square, square)
        exponent, bit = divmod(exponent, 2)
        if bit:
            result = square if result is None else _product(result, square)
    return result


def _ring_exact(nodes: int, q: Fraction, m: int, length: int) -> Fraction | None:
    """The same two traces in integers (q = a/d: weights a down, d − a up, over dⁿ)."""
    a, d = q.numerator, q.denominator
    states, moves = _window_automaton(length, m)
    n = len(states)
    size = 3 * n
    if n * size * nodes * max(1, nodes * d.bit_length()) > EXACT_BUDGET * 64 \
            or nodes * d.bit_length() > MAX_EXACT_BITS:
        return None
    few = {i for i, s in enumerate(states) if len(s) < m}
    total = 0
    for start in range(n):
        # Phase 0 none yet, 1 only fine, 2 only bad (with the ups counted up to m), 3 both.
        vector: dict[tuple[int, int, int], int] = {(start, 0, 0): 1}
        for _ in range(nodes):
            following: dict[tuple[int, int, int], int] = {}
            for (here, phase, seen), weight in vector.items():
                for there, kind, bad in moves[here]:
                    if phase == 3 or (phase == 1 and bad) or (phase == 2 and not bad):
                        key = (there, 3, 0)
                    else:
                        key = (there, 2 if bad else 1, min(m, seen + kind) if bad else 0)
                    following[key] = following.get(key, 0) + weight * (d - a if kind else a)
            vector = following
        total += vector.get((start, 3, 0), 0)
        if start in few:
            total += vector.get((start, 2, m), 0)
    return Fraction(total, d**nodes)


# --- compatibility and standbys ------------------------------------------------------------

def pool_unavailability(nodes: int, q: Fraction | float, demand: Fraction,
                        capacity: Fraction) -> float:
    """:func:`pool` as a float."""
    return pool(nodes, q, demand, capacity).value


def active_passive_unavailability(nodes: int, standby: int, q: Fraction | float,
                                  demand: Fraction, capacity: Fraction) -> float:
    """:func:`active_passive` as a float."""
    return active_passive(nodes, standby, q, demand, capacity).value


def ring_unavailability(nodes: int, q: Fraction | float, demand: Fraction, capacity: Fraction,
                        spread: int = 1) -> float:
    """:func:`ring` as a float."""
    return ring(nodes, q, demand, capacity, spread).value


def standbys_for(nodes: int, q: Fraction | float, target: Fraction | float,
                 known: tuple[int, int] | None = None,
                 above: tuple[int, int] | None = None) -> int:
    """The fewest standbys S with P(more than S of *nodes* down) ≤ 1 − *target*, exactly.

    The tail only shrinks as S grows, so a bisection over 0…nodes finds it in O(log n)
    tails of O(√(nq) + 60) terms each. *known* = (n₀, S₀), the answer for n₀ < *nodes*,
    brackets it: S never falls as nodes are added, and never rises by more than the nodes
    added (Bin(n) ≤ Bin(n₀) + (n − n₀)), so a search from S₀ takes a tail or two.
    *above* = (n₁, S₁), the answer for n₁ > *nodes*, brackets it from the other side by
    the same two facts: S₁ − (n₁ − n) ≤ S ≤ S₁.
    """
    goal = Fraction(target)
    low, high = 0, nodes  # P(more than nodes down) = 0 always meets
    if above is not None and above[0] > nodes:
        high = min(high, above[1])
        low = max(low, above[1] - (above[0] - nodes))
    if known is not None and known[0] < nodes:
        low, high = max(low, known[1]), min(high, known[1] + nodes - known[0])
        if above is None:
            step = 1
            while low < high and not binomial_tail(nodes, q, low + 1).meets(goal):
                # Gallop up from S₀: the answer is usually S₀ or S₀ + 1.
                low, step = min(high, low + step), step * 2
            if low == known[1] or binomial_tail(nodes, q, low + 1).meets(goal):
                high, low = low, max(known[1], low - step // 2)
    low = min(low, high)
    while low < high:
        middle = (low + high) // 2
        if binomial_tail(nodes, q, middle + 1).meets(goal):
            high = middle
        else:
            low = middle + 1
    return low


def nodes_for_up(up: int, q: Fraction | float, target: Fraction | float, limit: int,
                 below: tuple[int, int] | None = None,
                 above: tuple[int, int] | None = None) -> int:
    """The fewest nodes n with P(fewer than *up* of n up) ≤ 1 − *target*, exactly.

    That is binomial_tail(n, q, n − up + 1).meets(target), the test :func:`pool` puts to
    a pool needing *up* nodes, and, with S(n) = :func:`standbys_for`, exactly the fewest
    n with n − S(n) ≥ *up* (S(n) ≤ n − up says the tail at n − up + 1 meets). Adding a
    node never lowers the number up (couple n + 1 nodes with n), so the test is monotone
    in n and a gallop then bisection finds the boundary. *limit* + 1 means none up to
    *limit*. *below* = (u₀, n₀) and *above* = (u₁, n₁), answers for u₀ < *up* < u₁,
    bracket it (an n₁ past *limit* says nothing): n₀ + (up − u₀) ≤ n ≤ n₁ − (u₁ − up),
    because one node fewer is at most one fewer up (Bin(n − 1) ≥ Bin(n) − 1), so
    whenever n nodes pass the test for u + 1, n − 1 nodes pass it for u.

    The gallop starts from an approximation: only its speed depends on that.
    """
    if up <= 0:
        return 0
    goal = Fraction(target)

    def holds(nodes: int) -> bool:
        return binomial_tail(nodes, q, nodes - up + 1).meets(goal)

    low, high = up, limit + 1  # fewer than up nodes never have up of them up
    if below is not None and below[0] < up:
        low = max(low, below[1] + up - below[0])
    if above is not None and above[0] > up and above[1] <= limit:
        high = min(high, above[1] - (above[0] - up))
    if low >= high:
        return high
    guess = min(max(low, _up_guess(up, float(q), float(goal), below, above)), high - 1)
    return _first_holding(low, high, guess, holds)


def _first_holding(low: int, high: int, guess: int, holds: Callable[[int], bool]) -> int:
    """The smallest count in [*low*, *high*] where the monotone *holds* is true.

    Every count below *low* fails and *high* holds (it is never tried: it may stand for
    "none up to a limit"). Gallops from *guess* (low ≤ guess < high), then bisects.
    """
    step = 1
    if holds(guess):
        high = guess
        while high - step >= low:
            if not holds(high - step):
                low = high - step + 1
                break
            high, step = high - step, step * 2
    else:
        low = guess + 1
        while low + step - 1 < high:
            if holds(low + step - 1):
                high = low + step - 1
                break
            low, step = low + step, step * 2
    while low < high:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _up_guess(up: int, q: float, target: float, below: tuple[int, int] | None,
              above: tuple[int, int] | None) -> int:
    """About :func:`nodes_for_up`'s answer: where its search starts."""
    p, allowed = 1.0 - q, 1.0 - target
    if below is not None and above is not None and below[0] < up < above[0]:
        # Between two answers the count is nearly linear in up.
        return below[1] + round((up - below[0]) * (above[1] - below[1]) / (above[0] - below[0]))
    if not (0 < p < 1 and 0 < allowed < 1):
        return up
    from statistics import NormalDist

    # Cornish-Fisher: the allowed quantile of the number up is about
    # n·p − z·√(n·p·(1 − p)) + (z² − 1)·(1 − 2p)/6; set it to up − ½ (a quadratic in √n).
    z = NormalDist().inv_cdf(1.0 - allowed)
    wanted = max(0.0, up - 0.5 - (z * z - 1) * (1 - 2 * p) / 6)
    spread = z * math.sqrt(p * (1 - p))
    root = (spread + math.sqrt(spread * spread + 4 * p * wanted)) / (2 * p)
    return round(min(root * root, 2.0**62))


def downtime_minutes_per_year(availability: float) -> float:
    """(1 − availability) × 525,960 minutes."""
    return (1 - availability) * MINUTES_PER_YEAR
