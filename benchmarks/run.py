"""Measure capplan by hand: start-up against yamllint, scale, and hostile-file refusals.

Run from a virtual environment with the test extra installed::

    python benchmarks/run.py            # about a minute and a half
    python benchmarks/run.py --quick    # fewer repetitions

Start-up is also timed against its Typer floor (issue 10: at most 1.25x): ``capplan plan``
and a bare Typer app written from capplan/cli.py with plan's options alone, run in turns.

Prints tables; asserts nothing (timings belong here, not in the tests).
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
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
#: This checkout, which the children import (an editable install may point at another one).
ROOT = Path(__file__).resolve().parent.parent

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


#: The child processes' environment: bytecode cached, as an installed package has it (pip
#: compiles on install), in a folder main() names; PYTHONDONTWRITEBYTECODE would have every
#: run compile capplan's modules anew (about 70 ms), a cost no installed copy pays.
CHILD_ENV = {name: value for name, value in os.environ.items()
             if name != "PYTHONDONTWRITEBYTECODE"}
CHILD_ENV["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [
    os.environ.get("PYTHONPATH")])])


def wall(command: list[str], repeat: int) -> float:
    """Median wall time of *command* in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False, env=CHILD_ENV)
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


CLI_SOURCE = ROOT / "capplan" / "cli.py"


def typer_floor(command: str = "plan") -> str:
    """The Typer floor under a capplan command: its app with only *command*, bodies emptied.

    Written from capplan/cli.py itself, so it cannot drift from the real command: the same
    ``typer.Typer(...)`` settings (less ``cls``, capplan's own group), the same root
    callback, and *command*'s signature with every option, type and default; with the module
    lines these need (imports, enums, option aliases). What capplan costs beyond this is its
    own: its other commands, its imports, loading, planning and rendering.
    """
    tree = ast.parse(CLI_SOURCE.read_text(encoding="utf-8"))
    defined: dict[str, ast.stmt] = {}
    capplans = set()  # names cli.py imports from capplan: the floor must not import them
    for node in _runtime(tree.body):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:  # one statement per imported name: only those needed
                one = copy.copy(node)
                one.names = [alias]
                name = alias.asname or alias.name.split(".")[0]
                defined[name] = one
                if (node.module if isinstance(node, ast.ImportFrom) else name) \
                        .startswith("capplan"):
                    capplans.add(name)
        elif isinstance(node, ast.ClassDef | ast.FunctionDef):
            defined[node.name] = _emptied(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign) \
                and isinstance(target := _target(node), ast.Name):
            uses = {name.id for name in ast.walk(node) if isinstance(name, ast.Name)}
            # The choices capplan computes (its format registries) as the literals they are.
            defined[target.id] = (_literal_enum(target.id) if uses & capplans
                                  else _emptied(node))
    order = {id(node): index for index, node in enumerate(defined.values())}
    wanted: dict[int, ast.stmt] = {}
    pending = [node for node in defined.values() if isinstance(node, ast.FunctionDef) and (
        node.name == command or any(".callback" in ast.unparse(decorator)
                                    for decorator in node.decorator_list))]
    while pending:
        node = pending.pop()
        if id(node) not in wanted:
            wanted[id(node)] = node
            pending += [defined[name.id] for name in ast.walk(node)
                        if isinstance(name, ast.Name) and name.id in defined]
    # Future imports first, as cli.py has them or not (they change what Typer evaluates).
    lines = [ast.unparse(node) for node in tree.body
             if isinstance(node, ast.ImportFrom) and node.module == "__future__"]
    lines += [ast.unparse(node) for node in sorted(wanted.values(), key=lambda n: order[id(n)])]
    lines.append('app(prog_name="capplan")')
    return "\n".join(lines) + "\n"


def _runtime(body: list[ast.stmt]) -> list[ast.stmt]:
    """The module's statements as they run: ``if TYPE_CHECKING:`` blocks by their else."""
    statements: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            statements += _runtime(node.orelse)
        else:
            statements.append(node)
    return statements


def _target(node: ast.Assign | ast.AnnAssign) -> ast.expr:
    return node.targets[0] if isinstance(node, ast.Assign) else node.target


def _literal_enum(name: str) -> ast.stmt:
    """cli.py's enum *name*, built from capplan's registries, written out as a literal."""
    import enum
    import importlib

    value = getattr(importlib.import_module("capplan.cli"), name)
    if not (isinstance(value, type) and issubclass(value, enum.StrEnum)):
        raise SystemExit(f"typer_floor: cannot write {name} without capplan; teach me how")
    members = {member.name: member.value for member in value}
    return ast.parse(f"{name} = StrEnum({name!r}, {members!r})").body[0]


def _emptied(node: ast.stmt) -> ast.stmt:
    """A function with its signature and ``pass``; the app without capplan's own group."""
    if isinstance(node, ast.FunctionDef):
        node = copy.copy(node)
        node.body = [ast.Pass()]
    elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
            and ast.unparse(node.targets[0]) == "app":
        node = copy.deepcopy(node)
        assert isinstance(node.value, ast.Call)
        node.value.keywords = [keyword for keyword in node.value.keywords
                               if keyword.arg != "cls"]
    return node


def startup(folder: Path, repeat: int) -> None:
    one = folder / "one.yaml"
    one.write_text(ONE_TIER)
    floor = folder / "typer_floor.py"
    floor.write_text(typer_floor("plan"))
    capplan = str(BIN / "capplan")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "yamllint one.yaml": [str(BIN / "yamllint"), str(one)],
        "python -c 'import pydantic'": [sys.executable, "-c", "import pydantic"],
        "bare Typer app, plan's options": [sys.executable, str(floor), "plan", str(one)],
        "capplan plan one.yaml": [capplan, "plan", str(one)],
        "capplan plan one.yaml -f json": [capplan, "plan", str(one), "-f", "json"],
        "capplan --help": [capplan, "--help"],
        "capplan size --peak 2000 --capacity 1000": [capplan, "size", "--peak", "2000",
                                                     "--capacity", "1000"],
    }
    for command in commands.values():  # warm the file cache and the .pyc files
        wall(command, 1)
    # In turns, one run of each per round: a neighbour's burst of load falls on all alike.
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            samples[name].append(wall(command, 1))
    rows = [[name, statistics.median(times)] for name, times in samples.items()]
    yamllint = rows[1][1]
    table = [[name, f"{ms:.0f}", f"{ms / yamllint:.2f}x"] for name, ms in rows]
    print("Start-up (median wall time of", repeat, "runs in turns)")
    print(tabulate(table, headers=["command", "ms", "vs yamllint"], colalign=("left", "right",
                                                                             "right")))


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU time (user + system) of one run of *command*, in milliseconds."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env)
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0  # reaped above; keeps Popen from waiting again
    return (time.perf_counter() - start) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def against_floor(folder: Path, pairs: int, *, bytecode: bool = True) -> float:
    """``capplan plan one.yaml`` against its Typer floor: interleaved runs, medians, ratio.

    The two alternate (and swap order every pair), so that a neighbour's load on a shared
    machine falls on both alike; the quartiles say how noisy the run was, and CPU time (user
    + system, which waiting for a core does not add to) is the steadier figure. Without
    *bytecode*, every run compiles capplan's modules from source, as under
    PYTHONDONTWRITEBYTECODE. Returns the ratio of median wall times.
    """
    one = folder / "one.yaml"
    one.write_text(ONE_TIER)
    floor = folder / "typer_floor.py"
    floor.write_text(typer_floor("plan"))
    env = dict(CHILD_ENV) if bytecode else {**CHILD_ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    if not bytecode:
        env.pop("PYTHONPYCACHEPREFIX", None)
    commands = {"bare Typer app, plan's options (floor)": [sys.executable, str(floor), "plan",
                                                             str(one)],
                "capplan plan one.yaml": [str(BIN / "capplan"), "plan", str(one)]}
    for command in commands.values():  # warm the file cache and the .pyc files
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True, env=env)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for index in range(pairs):
        for name in sorted(commands, reverse=index % 2 == 1):
            wall_ms, cpu_ms = timed(commands[name], env)
            walls[name].append(wall_ms)
            cpus[name].append(cpu_ms)
    rows = []
    for name in commands:
        quartiles = statistics.quantiles(walls[name], n=4)
        rows.append([name, f"{statistics.median(walls[name]):.0f}", f"{min(walls[name]):.0f}",
                     f"{quartiles[0]:.0f}-{quartiles[2]:.0f}",
                     f"{statistics.median(cpus[name]):.0f}"])
    floor_walls, capplan_walls = walls.values()
    floor_cpus, capplan_cpus = cpus.values()
    ratio = statistics.median(capplan_walls) / statistics.median(floor_walls)
    # Each capplan run against the floor run next to it, under the same load.
    paired = statistics.median(c / f for c, f in zip(capplan_walls, floor_walls, strict=True))
    cpu_ratio = statistics.median(capplan_cpus) / statistics.median(floor_cpus)
    print(f"\ncapplan plan against its Typer floor, {pairs} interleaved pairs, "
          + ("bytecode cached as installed" if bytecode else "no bytecode cache"))
    print(tabulate(rows, headers=["command", "median ms", "best ms", "quartiles ms", "CPU ms"],
                   colalign=("left", "right", "right", "right", "right")))
    print(f"capplan / floor: {ratio:.2f}x (medians), {paired:.2f}x (median of pairs), "
          f"{cpu_ratio:.2f}x (CPU); the issue asks at most 1.25x")
    return ratio


def scale(folder: Path, repeat: int) -> None:
    from capplan.loader import load_text
    from capplan.results import plan_document
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
    # 10^7 rps, not 10^12: past 1,000,000 nodes the engine now refuses (TooMany).
    rows.append(["nodes_required, ring, 10^7 rps on 100-rps nodes",
                 best(lambda: nodes_required(scheme, Fraction(10**7), Fraction(100),
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


def ranged_ring(zones: int, zone_failures: int, spread: int, low: int, high: int) -> str:
    """One ring tier in *zones* zones (*zone_failures* may fail) under a {low, high} peak."""
    return (f"site: ranged\ntraffic:\n  peak_rps: {{low: {low}, high: {high}, "
            "confidence: 0.5}\ntiers:\n  - name: web\n    redundancy: ring\n"
            f"    spread: {spread}\n    zones: {zones}\n    zone_failures: {zone_failures}\n"
            "    node: {capacity_rps: 150}\n")


#: A million-node ring whose one failed share spreads over 962,729 survivors.
MILLION_RING = """\
site: million
traffic:
  peak_rps: {low: 10, high: 10000.0, confidence: '0.906'}
tiers:
  - name: lb
    redundancy: ring
    nodes: 1000000
    spread: 962729
    node: {workers: 19352, service_ms: 50}
"""

#: Every draw of every tier past the node limit (floats cannot tell their steps apart).
PAST_THE_LIMIT = """\
site: beyond
traffic:
  peak_rps: {low: 1e12, high: 1e13}
tiers:
  - {name: web, redundancy: ring, spread: 1000, node: {capacity_rps: 1}}
  - {name: app, redundancy: pool, node: {capacity_rps: 2}}
  - {name: db, redundancy: active-passive, standby: 2, node: {capacity_rps: 3}}
"""


def fuzz_regions(repeat: int) -> None:
    """The fuzz regions once known to be slow (issue 9): huge counts, zones under ranges."""
    from capplan import api
    from capplan.loader import load_text
    from capplan.results import plan_document
    from capplan.sizing import compare, plan

    rows = []
    cases = [("compare a 12-zone ring (2 may fail) under a 1,000x {low, high} peak",
              ranged_ring(12, 2, 1, 1000, 1_000_000), compare),
             ("plan a 64-zone ring (1 may fail), spread 300, under a {low, high} peak",
              ranged_ring(64, 1, 300, 20_000, 80_000), lambda t: plan_document(plan(t))),
             ("compare the same 64-zone ring", ranged_ring(64, 1, 300, 20_000, 80_000),
              compare),
             ("compare 3 tiers whose draws all need more than 1,000,000 nodes",
              PAST_THE_LIMIT, compare)]
    for name, text, command in cases:
        topology = load_text(text).topology
        rows.append([name, best(lambda t=topology, c=command: c(t), repeat)])
    million = load_text(MILLION_RING).topology
    rows.append(["failover of a 1,000,000-node ring, spread 962,729 (document)",
                 best(lambda: api.failover(million, "lb").to_dict(), repeat)])
    print("\nFuzz regions once slow (best in-process time)")
    print(tabulate([[name, f"{ms:.1f}"] for name, ms in rows], headers=["case", "ms"],
                   colalign=("left", "right")))


def hostile(folder: Path, repeat: int) -> None:
    rows = []
    for name, text in HOSTILE.items():
        path = folder / "hostile.yaml"
        path.write_text(text)
        command = [str(BIN / "capplan"), "plan", str(path)]
        code = subprocess.run(command, capture_output=True, check=False,
                              env=CHILD_ENV).returncode
        rows.append([name, code, f"{wall(command, repeat):.0f}"])
    print("\nHostile files (exit code, median wall time)")
    print(tabulate(rows, headers=["file", "exit", "ms"], colalign=("left", "right", "right")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    repeat = 5 if parser.parse_args().quick else 21
    sys.path.insert(0, str(ROOT))  # this checkout's capplan, in this process as in children
    if not shutil.which("yamllint", path=str(BIN)):
        sys.exit("yamllint is not installed here: pip install -e '.[test]'")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        startup(folder, repeat)
        against_floor(folder, 2 * repeat + 1)
        against_floor(folder, repeat, bytecode=False)
        scale(folder, max(3, repeat // 5))
        fuzz_regions(max(3, repeat // 7))
        hostile(folder, max(3, repeat // 5))


if __name__ == "__main__":
    main()
