"""Response times of one node as an M/M/w queue (SPEC §2, Latency).

A node with ``workers: w`` and ``service_ms: s`` serves up to w requests at once, each
taking an exponentially distributed time with mean s; requests arrive as a Poisson stream
at the node's load λ. With a = λ·s the offered load in erlangs (a < w for a stable queue),
a request waits with probability C(w, a) (Erlang C), and its wait, given that it waits, is
exponential with rate w/s − λ. Its response time is the wait plus its own service, so

    P(T > t) = (1 − C)·e^(−μt) + C·(ν·e^(−μt) − μ·e^(−νt)) / (ν − μ),   μ = 1/s, ν = wμ − λ

(tending to (1 + μt)·e^(−μt) as ν → μ). Percentiles invert that by bisection.

Erlang C comes from Erlang B, the Poisson ratio B(w, a) = P(X = w) / P(X ≤ w), X ~ Poisson(a).
Up to ``RECURSION_WORKERS`` workers it is the recursion B_k = a·B_(k−1) / (k + a·B_(k−1)),
which never forms a factorial or a power: every step is a number between 0 and 1. Past
that the O(w) walk is replaced by sums that start at w and stop once their terms no
longer count: the Poisson terms fall away from w like a Gaussian of width √a, so a few
thousand terms cover 100,000 workers at any load, and far fewer where the load is light.
Every figure is finite: a share that underflows is 0, never an overflow or a NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

#: Bisection steps for a percentile: far past double precision on any sensible bracket.
_BISECTION_STEPS = 200
#: Workers up to which Erlang B walks the recursion (about 0.1 ms; the figures published
#: so far come from it, bit for bit); past it, the tail sums below (O(√a) terms).
RECURSION_WORKERS = 1000
#: A tail sum stops when a term adds less than this share of the sum: below double precision.
_NEGLIGIBLE = 1e-18


def erlang_b(workers: int, offered: float) -> float:
    """Blocking probability of w servers offered *offered* erlangs (no queue)."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if offered <= 0:
        return 0.0
    if workers > RECURSION_WORKERS:
        return _erlang_b_from_tails(workers, offered)
    blocking = 1.0
    for servers in range(1, workers + 1):
        blocking = offered * blocking / (servers + offered * blocking)
    return blocking


def _erlang_b_from_tails(workers: int, offered: float) -> float:
    """P(X = w) / P(X ≤ w) for X ~ Poisson(a), summing only the terms that matter.

    With a ≥ w the terms below w shrink away from it: 1/B = Σ_j w!/((w−j)!·a^j) is summed
    until its terms vanish. With a < w, P(X ≤ w) is at least about a half (the median is
    near a), so it is 1 minus the upper tail, and the tail Σ_(k>w) P(X = k) / P(X = w)
    shrinks term by term by a/(w + i). P(X = w) itself comes from Stirling's series in
    a form that does not cancel when a is close to w.
    """
    w, a = float(workers), offered
    if a >= w:
        total, term = 1.0, 1.0
        for j in range(workers):
            term *= (w - j) / a
            total += term
            if term < total * _NEGLIGIBLE:
                break
        return 1 / total
    upper, term = 0.0, 1.0
    i = 1
    while True:
        term *= a / (w + i)
        upper += term
        if term < upper * _NEGLIGIBLE:
            break
        i += 1
    at_w = math.exp(_log_poisson_at_mean_gap(workers, a))
    return at_w / (1 - at_w * upper)


def _log_poisson_at_mean_gap(workers: int, offered: float) -> float:
    """Ln P(X = w) for X ~ Poisson(a), a < w, accurate when a is close to w.

    ln P = w·ln a − a − ln w! = w·ln(1 + (a − w)/w) + (w − a) − ½·ln(2πw) − δ(w), with
    δ(w) = ln w! − (w·ln w − w + ½·ln(2πw)) from Stirling's series (w > 1000: three terms
    are exact to double precision). log1p keeps the first two terms from cancelling.
    """
    w = float(workers)
    gap = offered - w
    stirling = 1 / (12 * w) - 1 / (360 * w**3) + 1 / (1260 * w**5)
    # Far below w, 1 + gap/w rounds to 0 (a/w < 2⁻⁵³: a trickle on 100,000 workers), and
    # ln(a/w) is exact there where log1p is not needed.
    ratio = offered / w
    log_ratio = math.log(ratio) if ratio < 0.5 else math.log1p(gap / w)
    return w * log_ratio - gap - 0.5 * math.log(2 * math.pi * w) - stirling


def erlang_c(workers: int, offered: float) -> float:
    """Probability that a request waits, for w servers offered *offered* erlangs (< w)."""
    if offered <= 0:
        return 0.0
    if offered >= workers:
        return 1.0
    blocking = erlang_b(workers, offered)
    return workers * blocking / (workers - offered * (1 - blocking))


@dataclass(frozen=True)
class Queue:
    """One node: w workers, mean service time in ms, fed *rate* requests per second."""

    workers: int
    service_ms: float
    rate: float

    @property
    def offered(self) -> float:
        """Offered load in erlangs: arrivals per ms times the mean service time."""
        return self.rate / 1000 * self.service_ms

    @property
    def stable(self) -> bool:
        """True when the workers keep up on average (a < w)."""
        return self.offered < self.workers

    @cached_property
    def wait_probability(self) -> float:
        """Erlang C: the share of requests that queue (O(w) once, then remembered)."""
        return erlang_c(self.workers, self.offered)

    def exceeds(self, t_ms: float) -> float:
        """P(response time > t_ms), wait plus service."""
        if t_ms <= 0:
            return 1.0
        mu = 1 / self.service_ms
        nu = self.workers * mu - self.rate / 1000
        waits = self.wait_probability
        service_only = math.exp(-mu * t_ms)
        if waits == 0:
            return service_only
        spread = (nu - mu) * t_ms
        if abs(spread) < 1:
            # Near ν = μ the difference quotient cancels: rewrite it as e^(−μt)·(1 + μt·g)
            # with g = (1 − e^(−δt)) / (δt), δ = ν − μ, which expm1 keeps exact.
            growth = 1.0 if spread == 0 else -math.expm1(-spread) / spread
            with_wait = service_only * (1 + mu * t_ms * growth)
        else:
            # The exponentials differ by a factor e or more: no cancellation, no overflow.
            with_wait = (nu * service_only - mu * math.exp(-nu * t_ms)) / (nu - mu)
        return (1 - waits) * service_only + waits * with_wait

    def percentile(self, share: float) -> float | None:
        """The response time (ms) that a *share* of requests beat; None when unstable."""
        if not self.stable:
            return None
        tail = 1 - share
        low, high = 0.0, self.service_ms
        while self.exceeds(high) > tail:
            low, high = high, high * 2
        for _ in range(_BISECTION_STEPS):
            middle = (low + high) / 2
            if middle in (low, high):
                break
            if self.exceeds(middle) > tail:
                low = middle
            else:
                high = middle
        return high
