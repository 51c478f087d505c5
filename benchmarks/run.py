"""Measure capplan by hand: start-up against yamllint, scale, and hostile-file refusals.

Run from a virtual environment with the test extra installed::

    python benchmarks/run.py            # about a minute
    python benchmarks/run.py --quick    # fewer repetitions

Prints tables; asserts nothing (timings belong here, not in the tests).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from tabulate import tabulate

BIN = Path(sys.executable).parent

ONE_TIER = """\
site: one
traffic: {peak_rps: 1200}
tiers:
  - name: web
    redundancy: pool
    nodes: 12
    node: {capacity_rps: 150}
"""


def chain(tiers: int) -> str:
    """A topology of *tiers* tiers in a chain, each answering a little of its demand."""
    lines = ["site: chain", "traffic: {peak_rps: 40M, growth: 3%, horizon_months: 24}",
             "policy: {failures: 2, max_utilization: 75%}", "tiers:"]
    schemes = ("pool", "ring", "active-passive")
    for index in range(tiers):
        lines += [f"  - name: t{index}", f"    redundancy: {schemes[index % 3]}",
                  "    hit_ratio: 1.3%", "    per_request: 1.01",
                  "    node: {capacity_rps: 1500, cost: 10}"]
    return "\n".join(lines) + "\n"


def big_tier(redundancy: str, nodes: int) -> str:
    """One tier of *nodes* nodes near its limit."""
    extra = "    spread: 3\n" if redundancy == "ring" else ""
    return (f"site: big\ntraffic: {{peak_rps: {nodes * 100}}}\npolicy: {{failures: 3}}\n"
            f"tiers:\n  - name: big\n    redundancy: {redundancy}\n    nodes: {nodes}\n"
            f"{extra}    node: {{capacity_rps: 120}}\n")


def zoned_day(redundancy: str, nodes: int) -> str:
    """One tier of *nodes* nodes in 5 zones (2 may fail) under a 24-slot profile."""
    extra = "    spread: 3\n" if redundancy == "ring" else ""
    profile = ", ".join(str(nodes * (40 + 60 * abs(12 - hour) // 12)) for hour in range(24))
    return (f"site: day\ntraffic: {{profile: [{profile}]}}\n"
            "policy: {failures: 3, zone_failures: 2, max_utilization: 80%}\n"
            f"tiers:\n  - name: big\n    redundancy: {redundancy}\n    nodes: {nodes}\n"
            f"    zones: 5\n{extra}    node: {{capacity_rps: 200}}\n")


def cold_chain(tiers: int) -> str:
    """A chain of *tiers* caches, every one running colder than warm: one cascade each."""
    return chain(tiers).replace("    hit_ratio: 1.3%\n",
                                "    hit_ratio: 1.3%\n    cold_hit_ratio: 0.5%\n")


HOSTILE = {
    "alias bomb": "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
        for i in range(9)),
    "5 MB string": "site: " + "x" * 5_000_000 + "\n",
    "20,000-deep nesting": "site: " + "[" * 20_000 + "]" * 20_000 + "\n",
    "1e308": "site: x\ntraffic: {peak_rps: 1e308}\ntiers: []\n",
    "nodes: 10G": "site: x\ntraffic: {peak_rps: 1}\ntiers:\n  - {name: a, redundancy: pool, "
                  "nodes: 10G, node: {capacity_rps: 1}}\n",
}


def wall(command: list[str], repeat: int) -> float:
    """Median wall time of *command* in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def best(function: Callable[[], object], repeat: int) -> float:
    """Best in-process time of *function* in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return min(samples)


#: The floor under any Typer command: an empty app with the options of ``capplan plan``.
#: Typer 0.2x imports pydantic and builds a TypeAdapter per parameter on every run.
BARE_TYPER_APP = """\
import enum, pathlib, typing, typer
class Format(str, enum.Enum):
    table = "table"
    json = "json"
app = typer.Typer()
@app.command()
def plan(file: typing.Optional[pathlib.Path] = typer.Argument(None),
         fmt: Format = typer.Option(Format.table, "--format", "-f"),
         output: typing.Optional[pathlib.Path] = typer.Option(None, "--output", "-o")) -> None:
    pass
@app.command()
def size() -> None:
    pass
app()
"""


def startup(folder: Path, repeat: int) -> None:
    one = folder / "one.yaml"
    one.write_text(ONE_TIER)
    floor = folder / "bare_typer_app.py"
    floor.write_text(BARE_TYPER_APP)
    capplan = str(BIN / "capplan")
    rows = [
        ["python -c pass", wall([sys.executable, "-c", "pass"], repeat)],
        ["yamllint one.yaml", wall([str(BIN / "yamllint"), str(one)], repeat)],
        ["python -c 'import pydantic'", wall([sys.executable, "-c", "import pydantic"], repeat)],
        ["bare Typer app, same options", wall([sys.executable, str(floor), "plan", str(one)],
                                              repeat)],
        ["capplan plan one.yaml", wall([capplan, "plan", str(one)], repeat)],
        ["capplan plan one.yaml -f json", wall([capplan, "plan", str(one), "-f", "json"], repeat)],
        ["capplan --help", wall([capplan, "--help"], repeat)],
        ["capplan size --peak 2000 --capacity 1000",
         wall([capplan, "size", "--peak", "2000", "--capacity", "1000"], repeat)],
    ]
    yamllint = rows[1][1]
    table = [[name, f"{ms:.0f}", f"{ms / yamllint:.2f}x"] for name, ms in rows]
    print("Start-up (median wall time of", repeat, "runs)")
    print(tabulate(table, headers=["command", "ms", "vs yamllint"], colalign=("left", "right",
                                                                             "right")))


def scale(folder: Path, repeat: int) -> None:
    from capplan.loader import load_text
    from capplan.report import plan_document
    from capplan.schemes import make_scheme, nodes_required
    from capplan.sizing import compare, plan

    rows = []
    for redundancy in ("pool", "ring", "active-passive"):
        text = big_tier(redundancy, 100_000)
        topology = load_text(text).topology
        rows.append([f"plan a 100,000-node {redundancy} tier",
                     best(lambda t=topology: plan_document(plan(t)), repeat)])
    for redundancy in ("pool", "ring", "active-passive"):
        topology = load_text(zoned_day(redundancy, 10_000)).topology
        rows.append([f"plan a 10,000-node {redundancy} tier, 5 zones, 24 slots",
                     best(lambda t=topology: plan_document(plan(t)), repeat)])
    ring_site = load_text(zoned_day("ring", 10_000)).topology
    rows.append(["compare the same ring tier under all three schemes",
                 best(lambda: compare(ring_site), repeat)])
    scheme = make_scheme("ring", spread=3)
    rows.append(["nodes_required, ring, 10^12 rps on 100-rps nodes",
                 best(lambda: nodes_required(scheme, Fraction(10**12), Fraction(100),
                                             Fraction(4, 5), 3), repeat)])
    text = chain(2000)
    rows.append(["load a 2,000-tier topology", best(lambda: load_text(text), repeat)])
    topology = load_text(text).topology
    rows.append(["plan a 2,000-tier topology", best(lambda: plan_document(plan(topology)),
                                                    repeat)])
    from capplan.availability import pool_unavailability, ring_unavailability
    from capplan.queueing import Queue

    rows.append(["p99 of an M/M/100,000 node at 99%",
                 best(lambda: Queue(100_000, 50.0, 99_000 / 50 * 1000).percentile(0.99),
                      repeat)])
    rows.append(["availability of a 10,000-node pool (exact)",
                 best(lambda: pool_unavailability(10_000, 0.001, Fraction(9_900), Fraction(1)),
                      repeat)])
    rows.append(["availability of a 10,000-node ring (exact)",
                 best(lambda: ring_unavailability(10_000, 0.001, Fraction(5_000), Fraction(1)),
                      repeat)])
    rows.append(["availability of a 10,000-node ring, spread 3, 60% load (exact)",
                 best(lambda: ring_unavailability(10_000, Fraction(1, 1000), Fraction(6_000),
                                                  Fraction(1), 3), repeat)])
    rows.append(["availability of a 1,000,000-node pool (exact)",
                 best(lambda: pool_unavailability(10**6, Fraction(1, 1000), Fraction(999_000),
                                                  Fraction(1)), repeat)])
    uncertain = load_text((Path(__file__).resolve().parent.parent / "examples"
                           / "uncertain-demand.yaml").read_text()).topology
    rows.append(["plan 4 uncertain tiers, 10,000 draws",
                 best(lambda: plan_document(plan(uncertain)), repeat)])
    cold = load_text(cold_chain(200)).topology
    rows.append(["plan a 200-tier chain of cold caches (200 cascades)",
                 best(lambda: plan_document(plan(cold)), repeat)])
    path = folder / "chain.yaml"
    path.write_text(text)
    rows.append(["capplan plan (2,000 tiers), whole process",
                 wall([str(BIN / "capplan"), "plan", str(path), "-f", "json"], repeat)])
    sites = folder / "sites"
    sites.mkdir(exist_ok=True)
    for index in range(100):
        (sites / f"site{index:03}.yaml").write_text(ONE_TIER)
    site_files = sorted(str(path) for path in sites.iterdir())
    one_file = wall([str(BIN / "capplan"), "check", site_files[0]], repeat)
    hundred = wall([str(BIN / "capplan"), "check", *site_files], repeat)
    rows.append(["capplan check, 1 file, whole process", one_file])
    rows.append(["capplan check, 100 files, whole process", hundred])
    rows.append(["  … the 99 files beyond the first", hundred - one_file])
    print("\nScale (best in-process time; whole-process rows are medians)")
    print(tabulate([[name, f"{ms:.1f}"] for name, ms in rows], headers=["case", "ms"],
                   colalign=("left", "right")))


def hostile(folder: Path, repeat: int) -> None:
    rows = []
    for name, text in HOSTILE.items():
        path = folder / "hostile.yaml"
        path.write_text(text)
        command = [str(BIN / "capplan"), "plan", str(path)]
        code = subprocess.run(command, capture_output=True, check=False).returncode
        rows.append([name, code, f"{wall(command, repeat):.0f}"])
    print("\nHostile files (exit code, median wall time)")
    print(tabulate(rows, headers=["file", "exit", "ms"], colalign=("left", "right", "right")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    repeat = 5 if parser.parse_args().quick else 21
    if not shutil.which("yamllint", path=str(BIN)):
        sys.exit("yamllint is not installed here: pip install -e '.[test]'")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        startup(folder, repeat)
        scale(folder, max(3, repeat // 5))
        hostile(folder, max(3, repeat // 5))


if __name__ == "__main__":
    main()
