"""Spread-1 ring figures: the run power sum against the matrix trace, and the bracket.

Run by hand: ``python benchmarks/ring_runs.py``. Each row is a spread-1 ring of N nodes
whose survivors shed at *run* failures in a row, nodes down q of the time: the
unavailability capplan reports (``null`` where it declines), and the best of three wall
times of

* ``matrix``: the window automaton's matrix power (2·run + 1 states; ``-`` past the 400
  states capplan powers at 10,000 nodes);
* ``power sum``: 1 − qᴺ − tr Tᴺ by polynomial squaring (``-`` where its rounding is not
  within a part in a million of the figure);
* ``bracket``: the inclusion–exclusion bounds a count search decides most counts with,
  and the bracket's width relative to its middle.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import best
from capplan import availability

ROWS = (
    (330, 119, "0.9815"), (2_700, 233, "0.9815"), (50_000, 388, "0.9815"),
    (1_000, 60, "0.9"), (10_000, 150, "0.9"), (10_000, 500, "0.99"),
    (100_000, 1_000, "0.99"), (1_000_000, 2_000, "0.995"), (10_000, 20, "0.3"),
)


def milliseconds(function: Callable[..., object], *arguments: object) -> str:
    """The best of three wall times of function(*arguments), in milliseconds."""
    return f"{best(partial(function, *arguments), 3) * 1e3:.3f}"


def main() -> None:
    """Print the table."""
    print(f"{'N':>9} {'run':>5} {'q':>6}  {'unavailability':>14}  {'matrix ms':>9} "
          f"{'power sum ms':>12} {'bracket ms':>10} {'width':>8}")
    for nodes, run, q_text in ROWS:
        q = Fraction(q_text)
        down, up = float(q), float(1 - q)
        # A demand whose survivors take runs of run − 1 failed nodes, not run.
        demand = Fraction(2 * nodes, 2 * run + 1)
        try:
            value = f"{availability.ring(nodes, q, demand, Fraction(1), 1).value:.6e}"
        except ValueError:
            value = "null"
        matrix = "-"
        if 2 * run + 1 <= 400:
            matrix = milliseconds(availability._ring_power, nodes, down, 1, run, up)
        figure = availability._run_power_sum(nodes, down, up, run)
        summed = "-" if figure is None else \
            milliseconds(availability._run_power_sum, nodes, down, up, run)
        low, high = availability._run_starts_bracket(nodes, q, run)
        bracket = milliseconds(availability._run_starts_bracket, nodes, q, run)
        width = f"{(high - low) / (high + low) * 2:.1e}" if high + low > 0 else "-"
        print(f"{nodes:>9,} {run:>5} {q_text:>6}  {value:>14}  {matrix:>9} {summed:>12} "
              f"{bracket:>10} {width:>8}", flush=True)


if __name__ == "__main__":
    main()
