"""``capplan fit``: how long the USL fit takes, beside what the reference fitters do (by hand).

    python benchmarks/fit.py

Times the fit of the Cisco benchmark (32 points, tests/data/usl-cisco.csv, read from the
file each time) and of 10,000 synthetic points (a known law with 2% seeded noise), best of
5 after one warm-up call. Prints a table; asserts nothing.

The reference implementations are described, not timed (neither runs here, and none
publishes timings for this data): codahale/usl (Go) minimises the same squared throughput
residuals with an unconstrained Levenberg–Marquardt (a finite-difference Jacobian, start
σ = 0.1, κ = 0.01, λ = max X/N; at least 6 measurements); codahale/usl4j (Java) fits with
DDogleg's least squares and checks its coefficients within 0.02% of the book (it carries a
JMH benchmark of the Cisco fit but publishes no figure); R's usl uses nls with the bounded
"port" algorithm, or nlxb from nlsr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's capplan, when run as a script

from timing import best  # noqa: E402

from capplan.fit import Fit, fit_file, fit_points  # noqa: E402
from capplan.usl import Law  # noqa: E402

CISCO = ROOT / "tests" / "data" / "usl-cisco.csv"
REPEAT = 5
SYNTHETIC_POINTS = 10_000


def synthetic() -> list[tuple[float, float]]:
    """10,000 measurements of σ = 0.03, κ = 0.0008, λ = 1000 at 1–64 nodes, 2% noise."""
    import numpy as np

    law = Law(Fraction(3, 100), Fraction(8, 10_000), Fraction(1000))
    rng = np.random.default_rng(2024)
    exact = {n: float(law.throughput(n)) for n in range(1, 65)}
    levels = rng.integers(1, 65, SYNTHETIC_POINTS)
    noise = rng.normal(1, 0.02, SYNTHETIC_POINTS)
    return [(float(n), exact[int(n)] * float(factor)) for n, factor in zip(levels, noise,
                                                                              strict=True)]


def row(label: str, run: Callable[[], Fit], reference: str) -> list[str]:
    result = run()
    seconds = best(run, REPEAT, warm=True)
    return [label, f"{seconds * 1000:.2f}", f"{result.sigma:.6g}", f"{result.kappa:.6g}",
            f"{result.lam:.6g}", str(result.n_max), reference]


def main() -> None:
    points = synthetic()
    rows = [
        row("Cisco, 32 points (from the CSV)", lambda: fit_file(CISCO),
            "published: σ 0.02671591, κ 0.0007690945, λ 995.6486, N_max 35"),
        row(f"synthetic, {SYNTHETIC_POINTS:,} points", lambda: fit_points(points),
            "truth: σ 0.03, κ 0.0008, λ 1000, N_max 34"),
    ]
    print(tabulate(rows, headers=["data", "best ms", "sigma", "kappa", "lambda", "n_max",
                                  "against"], disable_numparse=True))
    print(f"\nbest of {REPEAT} after a warm-up; scipy least_squares (trf, analytic Jacobian, "
          "bounds σ, κ ≥ 0).")
    print("codahale/usl: unconstrained Levenberg–Marquardt, numeric Jacobian; usl4j: DDogleg "
          "least squares;\nR usl: nls 'port' (bounded) or nlsr::nlxb. None publishes timings "
          "for this data.")


if __name__ == "__main__":
    main()
