"""capplan against a peer: uncertain demand, timed side by side (run by hand).

Needs Netflix's service-capacity-modeling in the same environment::

    pip install service-capacity-modeling
    python benchmarks/peers.py

capplan plans the four-tier site of examples/uncertain-demand.yaml with 10,000 draws;
service-capacity-modeling plans one stateless service (its org.netflix.stateless-java
model) with 256 simulations of a similar uncertain read rate. Prints a table; asserts
nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from tabulate import tabulate
from timing import best

ROOT = Path(__file__).resolve().parent.parent
REPEAT = 3


def capplan_site() -> Callable[[], object]:
    from capplan.loader import load_file
    from capplan.results import plan_document
    from capplan.sizing import plan

    topology = load_file(ROOT / "examples" / "uncertain-demand.yaml").topology
    return lambda: plan_document(plan(topology, simulations=10_000, seed=0))


def netflix_service() -> Callable[[], object]:
    from service_capacity_modeling.capacity_planner import planner
    from service_capacity_modeling.interface import (
        CapacityDesires,
        DataShape,
        Interval,
        QueryPattern,
        certain_float,
        certain_int,
    )

    desires = CapacityDesires(
        service_tier=1,
        query_pattern=QueryPattern(
            estimated_read_per_second=Interval(low=1500, mid=2100, high=3000, confidence=0.9),
            estimated_write_per_second=certain_int(0),
            estimated_mean_read_latency_ms=certain_float(25),
        ),
        data_shape=DataShape(estimated_state_size_gib=certain_int(1)),
    )
    return lambda: planner.plan(model_name="org.netflix.stateless-java", region="us-east-1",
                                desires=desires, simulations=256)


def main() -> None:
    try:
        netflix = netflix_service()
    except ImportError:
        sys.exit("service-capacity-modeling is not installed: pip install "
                 "service-capacity-modeling")
    ours = best(capplan_site(), REPEAT, warm=True)
    theirs = best(netflix, REPEAT, warm=True)
    rows = [
        ["capplan: 4-tier site, 10,000 draws", f"{ours * 1000:.0f}", "1.00x"],
        ["service-capacity-modeling: 1 service, 256 simulations", f"{theirs * 1000:.0f}",
         f"{theirs / ours:.1f}x"],
    ]
    print(f"Uncertain demand (best of {REPEAT} after a warm-up, in-process)")
    print(tabulate(rows, headers=["plan", "ms", "vs capplan"], colalign=("left", "right",
                                                                         "right")))
    print(f"\ncapplan takes {ours / theirs:.1%} of the peer's time (the goal: at most 20%).")


if __name__ == "__main__":
    main()
