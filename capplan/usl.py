"""The Universal Scalability Law: what n nodes together carry, exactly.

``X(n) = λn / (1 + σ(n−1) + κn(n−1))`` (Gunther). With rational coefficients every figure
is a rational number, so a count either carries a demand or it does not, with no rounding
at the boundary; floats are only used to guess where to look, and every guess is checked.

Pure: no I/O, no numpy. The fit (``capplan.fit``) produces these laws from measurements; the
planner asks them what a pool of n survivors carries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Law:
    """One fitted (or declared) law: contention σ, coherency κ, one node's rate λ."""

    sigma: Fraction
    kappa: Fraction
    lam: Fraction

    def throughput(self, nodes: int) -> Fraction:
        """X(n): what *nodes* carry together at 100% (0 for no nodes)."""
        if nodes <= 0:
            return Fraction(0)
        return self.lam * nodes / (1 + self.sigma * (nodes - 1) + self.kappa * nodes * (nodes - 1))

    @property
    def n_max(self) -> int | None:
        """⌊√((1−σ)/κ)⌋, where the curve turns over; None when κ = 0 (it never does)."""
        if self.kappa == 0:
            return None
        if self.sigma >= 1:
            return 1
        return max(1, _isqrt_fraction((1 - self.sigma) / self.kappa))

    @property
    def peak_nodes(self) -> int | None:
        """The count with the highest X: the better of ⌊·⌋ and ⌈·⌉ of the turning point.

        None when X only rises (κ = 0): then there is no best count.
        """
        floor = self.n_max
        if floor is None:
            return None
        return max((floor, floor + 1), key=lambda n: (self.throughput(n), -n))

    @property
    def x_max(self) -> Fraction | None:
        """The highest X over whole counts; None when κ = 0."""
        best = self.peak_nodes
        return None if best is None else self.throughput(best)

    @property
    def ceiling(self) -> Fraction | None:
        """What no count reaches: X at its peak, λ/σ when κ = 0 < σ, None when linear."""
        if self.kappa > 0:
            return self.x_max
        if self.sigma >= 1:
            return self.lam  # X(1) = λ, and no count does better
        if self.sigma > 0:
            return self.lam / self.sigma
        return None

    def smallest_carrying(self, rate: Fraction) -> int | None:
        """The fewest nodes whose X is at least *rate*; None when no count gets there.

        X rises up to the peak count, so the first count that carries *rate* is on the
        rising side; it is the smallest root of a quadratic, guessed in floats and then
        checked exactly on both sides.
        """
        if rate <= 0:
            return 0
        top = self.peak_nodes
        if top is not None and self.throughput(top) < rate:
            return None
        if top is None and self.sigma >= 1:
            return 1 if self.lam >= rate else None  # X never rises above X(1) = λ
        if top is None and self.sigma > 0 and self.lam <= rate * self.sigma:
            return None  # λ/σ is approached, never reached
        # λn ≥ r(1 + σ(n−1) + κn(n−1))  ⇔  κr·n² + (r(σ−κ) − λ)·n + r(1−σ) ≤ 0
        a = float(self.kappa * rate)
        b = float(rate * (self.sigma - self.kappa) - self.lam)
        c = float(rate * (1 - self.sigma))
        if a == 0:
            guess = math.ceil(-c / b) if b < 0 else 1
        else:
            disc = max(b * b - 4 * a * c, 0.0)
            guess = math.ceil((-b - math.sqrt(disc)) / (2 * a))
        nodes = max(1, guess)
        if top is not None:
            nodes = min(nodes, top)
        while nodes > 1 and self.throughput(nodes - 1) >= rate:
            nodes -= 1
        while self.throughput(nodes) < rate:
            nodes += 1
        return nodes


def _isqrt_fraction(value: Fraction) -> int:
    """⌊√value⌋ for a non-negative rational, exactly."""
    root = math.isqrt(value.numerator // value.denominator)
    while Fraction((root + 1) ** 2) <= value:
        root += 1
    while root > 0 and Fraction(root**2) > value:
        root -= 1
    return root
