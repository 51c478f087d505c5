"""Ring availability figures by spread, load, q and size: which have one, and how fast.

Run by hand: ``python benchmarks/ring_availability.py``. Each row is a ring of N nodes at
share = load × capacity with spread m and down probability q; ``figure`` is the
unavailability (``null`` where capplan declines with ValueError), ``how`` which method
answered, ``s`` the best of three wall times. Run it against an older checkout
(``PYTHONPATH=...``) for the before column.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import best
from capplan import availability

SPREADS = (1, 2, 3, 4, 5)
LOADS = ("0.9", "0.7", "0.5", "0.3", "0.1")
QS = ("1e-4", "1e-2", "0.3", "0.6")
SIZES = (8, 100, 10_000)


def one(nodes: int, q: Fraction, load: Fraction, spread: int) -> tuple[str, str, float]:
    """(figure, slack, seconds) for one ring; figure 'null' where it declines."""
    capacity = Fraction(1)
    demand = load * nodes * capacity
    try:
        figure = availability.ring(nodes, q, demand, capacity, spread)
    except ValueError:
        return "null", "", 0.0
    seconds = best(lambda: availability.ring(nodes, q, demand, capacity, spread), 3)
    return f"{figure.value:.6e}", f"{figure.slack:.1e}", seconds


def main() -> None:
    """Print the table."""
    print(f"{'m':>2} {'load':>4} {'q':>5} {'N':>6}  {'unavailability':>14} {'slack':>8} "
          f"{'ms':>8}")
    for spread in SPREADS:
        for load in LOADS:
            for q in QS:
                for nodes in SIZES:
                    value, slack, seconds = one(nodes, Fraction(q), Fraction(load), spread)
                    print(f"{spread:>2} {load:>4} {q:>5} {nodes:>6}  {value:>14} {slack:>8} "
                          f"{seconds * 1000:8.2f}", flush=True)


if __name__ == "__main__":
    main()
