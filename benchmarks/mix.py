"""The cheapest mix of node types (capplan.mix), timed; run by hand, asserts nothing.

    python benchmarks/mix.py

Five node types per tier, N+1 and N+2, needs drawn from a seeded generator (rps from 1,000
to 200,000 at ceilings of 60–90%, so tiers of a handful to several hundred nodes). Three
catalogues: "priced" (cost roughly but not exactly proportional to size, as cloud price
lists are), "proportional" (cost exactly proportional to rps: every type costs the same
per rps, the hardest case for a bound that prices by the unit) and "resources" (rps, disk
and memory, with types strong in different ones). Prints, for each, the time per tier of
the branch and bound (best of 3 over 200 tiers) and of SPEC §7's milp formulation on the
first few tiers (it is checked to agree), and the time for all 200 tiers (the sum of each
tier's best of 3). "handed over" counts the tiers whose branch and bound ran out of
``SEARCH_BUDGET`` and went to the disjunctive milp, and of those, how many it left
unproven (they then go to the per-θ milp; none did here).

Measured (2-core machine, scipy 1.17), seed 12:

    5 node types       nodes    median ms  mean ms  slowest ms  200 tiers s  handed over (unproven)
    priced, rps        5–571          1.1      3.2         172          0.6  2 (0)
    proportional, rps  5–611          1.2      1.2           2          0.2  0 (0)
    rps+disk+memory    20–248       164.9    151.4         722         30.3  111 (0)

rps+disk+memory took 126 s when a handed-over tier ran one milp per θ combination (125
programmes, ~1.4 s a tier), 43 s with the disjunctive milp solving cost and node count
apart, 30 s with both in one solve. About a third of a handed-over tier is the budget the
branch and bound spends first; a smaller SEARCH_BUDGET (1,000 or 5,000) was slower overall
here, since the branch and bound finishes many tiers in that range faster than HiGHS.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from tabulate import tabulate
from timing import best

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capplan import mix as mix_module
from capplan.mix import NodeType, cheapest_mix, cheapest_mix_milp

F = Fraction
TIERS = 200
MILP_TIERS = 5
REPEAT = 3

Tier = tuple[list[NodeType], dict[str, Fraction], int]


def priced(rng: random.Random) -> list[NodeType]:
    sizes = [500, 1000, 2000, 4000, 8000]
    return [NodeType(f"s{size}", F(round(size * rng.uniform(3.6, 4.4))), {"rps": F(size)})
            for size in sizes]


def proportional(rng: random.Random) -> list[NodeType]:
    del rng
    return [NodeType(f"s{size}", F(4 * size), {"rps": F(size)})
            for size in [500, 1000, 2000, 4000, 8000]]


def resourced(rng: random.Random) -> list[NodeType]:
    shapes = [(1000, 500, 8), (2000, 1000, 16), (2000, 4000, 32), (4000, 2000, 64),
              (1500, 8000, 16)]
    return [NodeType(f"t{index}", F(round((rps * 4 + disk / 2 + memory * 40)
                                          * rng.uniform(0.9, 1.1))),
                     {"rps": F(rps), "disk": F(disk), "memory": F(memory)})
            for index, (rps, disk, memory) in enumerate(shapes)]


def tiers(catalogue: Callable[[random.Random], list[NodeType]], with_resources: bool,
          seed: int) -> list[Tier]:
    rng = random.Random(seed)
    made = []
    for _ in range(TIERS):
        ceiling = F(rng.choice([60, 70, 75, 80, 90]), 100)
        needs = {"rps": F(rng.randint(1_000, 200_000)) / ceiling}
        if with_resources:
            needs["disk"] = F(rng.randint(1_000, 200_000)) * 3 / ceiling
            needs["memory"] = F(rng.randint(16, 4_000)) / ceiling
        made.append((catalogue(rng), needs, rng.choice([1, 2])))
    return made


def timed(site: list[Tier]) -> tuple[list[float], list[int]]:
    """Each tier's best time over REPEAT passes, and the node count of its mix."""
    times = [float("inf")] * len(site)
    nodes = [0] * len(site)
    for _ in range(REPEAT):
        for index, (types, needs, k) in enumerate(site):
            start = time.perf_counter()
            mix = cheapest_mix(types, needs, k)
            times[index] = min(times[index], time.perf_counter() - start)
            nodes[index] = mix.nodes if mix else 0
    return times, nodes


class HandOvers:
    """Counts the tiers handed to the disjunctive milp, and those it left unproven."""

    def __init__(self) -> None:
        self.handed = 0
        self.unproven = 0
        self.original = mix_module._disjunctive_search

    def __call__(self, *args: Any) -> Any:
        """The disjunctive search itself, counted."""
        self.handed += 1
        try:
            return self.original(*args)
        except mix_module._Unproven:
            self.unproven += 1
            raise


def main() -> None:
    rows = []
    cases = [("priced, rps", priced, False), ("proportional, rps", proportional, False),
             ("rps+disk+memory", resourced, True)]
    for label, catalogue, with_resources in cases:
        site = tiers(catalogue, with_resources, seed=12)
        counter = HandOvers()
        mix_module._disjunctive_search = counter  # type: ignore[assignment]
        try:
            times, nodes = timed(site)
        finally:
            mix_module._disjunctive_search = counter.original
        sample = site[:MILP_TIERS]
        for types, needs, k in sample:
            assert cheapest_mix_milp(types, needs, k) == cheapest_mix(types, needs, k)
        milp_total = best(lambda sample=sample: [cheapest_mix_milp(*tier) for tier in sample],
                          1)
        ordered = sorted(times)
        rows.append([label, f"{min(nodes)}–{max(nodes)}",
                     f"{ordered[len(ordered) // 2] * 1e3:.1f}",
                     f"{sum(times) / len(times) * 1e3:.1f}", f"{ordered[-1] * 1e3:.0f}",
                     f"{sum(times):.1f}",
                     f"{counter.handed // REPEAT} ({counter.unproven // REPEAT})",
                     f"{milp_total / len(sample) * 1e3:.0f}"])
    print(tabulate(rows, headers=["5 node types", "nodes", "median ms", "mean ms",
                                  "slowest ms", f"{TIERS} tiers s",
                                  "handed over (unproven)",
                                  f"milp ms (first {MILP_TIERS})"]))

if __name__ == "__main__":
    main()
