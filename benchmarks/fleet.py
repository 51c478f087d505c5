"""Measure node-type choices at scale (issue 12): a 200-tier site, 5 types a tier, draws.

Run by hand from a virtual environment with the project installed::

    python benchmarks/fleet.py

Prints a table; asserts nothing.
"""

from __future__ import annotations

import time

from tabulate import tabulate

import capplan

TYPES = {f"t{i}": {"capacity_rps": 400 * (i + 1) + 37 * i * i, "cost": 1000 * (i + 1) ** 0.93,
                   "disk_gib": 1024 * (i + 1)} for i in range(5)}


def site(tiers: int, *, uncertain: bool, storage: bool) -> dict[str, object]:
    peak: object = {"low": 30_000, "high": 60_000} if uncertain else 45_000
    rows = []
    for index in range(tiers):
        tier: dict[str, object] = {"name": f"tier{index}", "redundancy": "pool",
                                   "node_types": list(TYPES)}
        if index % 10 == 3:
            tier["redundancy"] = "active-passive"
        if storage and index % 4 == 0:
            tier.update(data_gib=20_000 + 100 * index, replicas=3)
        rows.append(tier)
    return {"site": "bench", "traffic": {"peak_rps": peak},
            "policy": {"failures": 1 + index % 2, "max_utilization": "75%"},
            "node_types": TYPES, "tiers": rows}


def timed(data: dict[str, object], simulations: int) -> float:
    topology = capplan.Topology.model_validate(data)
    start = time.perf_counter()
    capplan.plan(topology, simulations=simulations)
    return time.perf_counter() - start


def main() -> None:
    rows = []
    for tiers, uncertain, storage in ((20, False, False), (200, False, False),
                                      (200, False, True), (200, True, False)):
        seconds = timed(site(tiers, uncertain=uncertain, storage=storage), 10_000)
        rows.append([tiers, "10,000 draws" if uncertain else "exact", "rps+disk" if storage
                     else "rps", f"{seconds:.2f}", f"{seconds / tiers * 1000:.1f}"])
    print(tabulate(rows, headers=["tiers", "demand", "resources", "plan s", "ms per tier"]))


if __name__ == "__main__":
    main()
