"""capplan observe on CSV series of 10k, 100k and 1M samples: time and peak memory.

    python benchmarks/observe.py

Each series is a 5-second request rate with a daily shape, written to a temporary CSV.
Time is the best of 3 runs of ``observe_file`` (reading and statistics, no output);
memory is the peak Python allocation of one more run under tracemalloc (which slows that
run, so it is not timed). Both for quantile 1 (maxima only) and 0.99 (every value kept
per (day, hour) cell). Prints a table; asserts nothing.
"""

from __future__ import annotations

import math
import sys
import tempfile
import tracemalloc
from pathlib import Path

from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import best

from capplan.observe import observe_file  # after sys.path is set

SIZES = (10_000, 100_000, 1_000_000)
QUANTILES = (1.0, 0.99)
REPEAT = 3
START = 1_714_521_600


def write_series(path: Path, samples: int) -> None:
    """*samples* rows every 5 s: 1000 rps × a daily sine, growing 5% a month."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("timestamp,rps\n")
        for index in range(samples):
            seconds = 5 * index
            rate = 1000 * (1 + 0.5 * math.sin(2 * math.pi * seconds / 86_400)) * \
                1.05 ** (seconds / (30.4375 * 86_400))
            handle.write(f"{START + seconds},{rate:.3f}\n")


def peak_memory(path: Path, q: float) -> int:
    """Peak bytes Python allocated while observing *path*."""
    tracemalloc.start()
    try:
        observe_file(str(path), q=q)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    """Write each series, observe it, print the table."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for samples in SIZES:
            path = Path(folder) / f"series-{samples}.csv"
            write_series(path, samples)
            size = path.stat().st_size
            for q in QUANTILES:
                seconds = best(lambda path=path, q=q: observe_file(str(path), q=q), REPEAT)
                memory = peak_memory(path, q)
                rows.append([f"{samples:,}", f"{size / 2**20:.1f}", f"{q:g}",
                             f"{seconds:.2f}", f"{samples / seconds / 1e3:,.0f}",
                             f"{memory / 2**20:.1f}"])
    print(tabulate(rows, headers=["samples", "file MiB", "quantile", "best s",
                                  "k samples/s", "peak MiB"],
                   colalign=("right",) * 6))


if __name__ == "__main__":
    main()
