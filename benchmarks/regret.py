"""Time the least-regret rule: 200 tiers × 10,000 draws, as ``policy.choose: regret`` would.

Run from the project's virtual environment::

    python benchmarks/regret.py            # a few seconds
    python benchmarks/regret.py --quick    # one repetition

Each tier's counts come as the planner makes them: a lognormal peak (its 90% interval
given), an N+1 pool of 100-rps nodes at 80%, the count per draw. ``typical`` ranges span
2× to 4× (tens to hundreds of candidate counts: the tabulated path); ``wide`` ones span
100× (thousands of distinct counts and tens of thousands of candidates: the bisection
path). For comparison: the same rule draw by draw (O(draws × candidates), numpy-vectorised,
on the first SAMPLE typical tiers, with its choices checked against the grouped rule's)
and the §2 quantile alone.

Prints a table; asserts nothing (timings belong here, not in the tests).
"""

from __future__ import annotations

import argparse
import math
import statistics
from fractions import Fraction
from statistics import NormalDist
from typing import Any

import numpy as np
from tabulate import tabulate
from timing import best

from capplan.regret import regret_counts
from capplan.uncertainty import quantile_count

TIERS = 200
DRAWS = 10_000
COST = 2500
#: Tiers the per-draw form is timed on (it takes about a second a tier).
SAMPLE = 10
CONFIDENCE_Z = NormalDist().inv_cdf(0.95)  # a 90% interval's upper quantile


def tier_counts(generator: np.random.Generator, low: float, high: float) -> Any:
    """Nodes per draw for an N+1 pool of 100-rps nodes at 80% under a lognormal peak."""
    mu = (math.log(low) + math.log(high)) / 2
    sigma = (math.log(high) - math.log(low)) / (2 * CONFIDENCE_Z)
    peaks = np.exp(generator.normal(mu, sigma, DRAWS))
    return (np.ceil(peaks / 80) + 1).astype(np.int64)


def workload(kind: str) -> list[Any]:
    """TIERS tiers of counts, seeded: the same tiers in every repetition and every run."""
    generator = np.random.default_rng(12)
    tiers = []
    for _ in range(TIERS):
        if kind == "typical":
            low, ratio = float(generator.uniform(1000, 20_000)), float(generator.uniform(2, 4))
        else:
            low, ratio = float(generator.uniform(100, 2000)), 100.0
        tiers.append(tier_counts(generator, low, low * ratio))
    return tiers


def per_draw(counts: Any) -> int:
    """The rule draw by draw: a draws × candidates matrix (what grouping avoids)."""
    candidates = np.arange(counts.min(), counts.max() + 1) * float(COST)
    differences = candidates[None, :] - counts[:, None] * float(COST)
    regrets = np.power(np.where(differences >= 0, differences, -1.25 * differences), 1.2)
    return int(counts.min() + np.argmin(regrets.mean(axis=0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition, not three")
    repeats = 1 if parser.parse_args().quick else 3
    rows = []
    for kind in ("typical", "wide"):
        tiers = workload(kind)
        distinct = statistics.median(len(np.unique(counts)) for counts in tiers)
        spans = statistics.median(int(counts.max() - counts.min()) + 1 for counts in tiers)
        grouped = best(lambda tiers=tiers: [regret_counts(c, COST) for c in tiers], repeats)
        quantile = best(lambda tiers=tiers: [
            quantile_count(c, Fraction(95, 100)) for c in tiers], repeats)
        sample = tiers[:SAMPLE]
        naive = best(lambda sample=sample: [per_draw(c) for c in sample], repeats) \
            if kind == "typical" else None
        agree = kind != "typical" or all(
            regret_counts(c, COST).chosen == per_draw(c) for c in sample)
        rows.append([
            kind, TIERS, f"{DRAWS:,}", f"{distinct:g}", f"{spans:,g}",
            f"{grouped:.3f}", f"{grouped / TIERS * 1000:.2f}",
            "—" if naive is None else f"{naive / SAMPLE * 1000:.2f}",
            f"{quantile / TIERS * 1000:.2f}", "yes" if agree else "NO",
        ])
    print(f"least regret, best of {repeats} (over 1, under 1.25, exponent 1.2, cost {COST})")
    print(tabulate(rows, headers=[
        "ranges", "tiers", "draws", "distinct counts (median)", "candidates (median)",
        "regret total s", "regret ms/tier", "per-draw ms/tier", "quantile ms/tier",
        "same choice per draw"]))


if __name__ == "__main__":
    main()
