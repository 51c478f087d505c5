"""The one timer the benchmark scripts share: the best of a few wall-clock runs."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(function: Callable[[], object], repeat: int, *, warm: bool = False) -> float:
    """Least wall time of *repeat* calls of *function*, in seconds.

    With *warm*, one call first that is not timed (caches, lazy imports).
    """
    if warm:
        function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return min(samples)
