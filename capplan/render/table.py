"""Tables for people: readable in 80 columns, the same figures as the JSON document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from capplan.registry import SCHEMES
from capplan.render.fmt import (
    downtime,
    failure_sets,
    hours,
    milliseconds,
    money,
    nines,
    percent,
    rate,
    runway,
    signed_percent,
)
from capplan.results import Document
from capplan.units import count_noun, significant


#: Short scheme names keep the plan table inside 80 columns.
def scheme_label(name: str) -> str:
    """A scheme's short name in tables, from the registry (a new scheme brings its own)."""
    entry = SCHEMES.get(name)
    return name if entry is None else entry.label
STATUS_LABELS = {True: "ok", False: "FAIL", None: "sized"}


def tabulated(rows: list[list[Any]], headers: list[str], colalign: tuple[str, ...]) -> str:
    """Columns under dashed headers: tabulate's 'simple' table, minus its header padding.

    Written out because importing and running tabulate cost a one-tier ``plan`` about 9 ms
    of its start-up. The same bytes as ``tabulate(rows, headers, "simple",
    disable_numparse=True, colalign=colalign)`` with ``MIN_PADDING = 0``: cells are
    stripped, each column as wide as its widest cell or header, columns two spaces apart,
    lines without trailing blanks; with no rows, the headers stand left-aligned.
    """
    cells = [["" if value is None else str(value).strip() for value in row] for row in rows]
    widths = [max([len(header), *(len(row[index]) for row in cells)])
              for index, header in enumerate(headers)]
    aligns = colalign if cells else ("left",) * len(headers)
    lines = [_row(headers, widths, aligns), "  ".join("-" * width for width in widths).rstrip()]
    lines.extend(_row(row, widths, colalign) for row in cells)
    return "\n".join(lines)


def _row(cells: list[str], widths: list[int], aligns: tuple[str, ...]) -> str:
    return "  ".join(cell.rjust(width) if align == "right" else cell.ljust(width)
                     for cell, width, align in zip(cells, widths, aligns, strict=True)).rstrip()


def plan_table(document: Document) -> str:
    """The ``plan`` document as a table, a totals line and one line per failing tier."""
    tiers = document["tiers"]
    rows = [
        [
            tier["name"],
            scheme_label(tier["redundancy"]),
            rate(tier["demand_rps"]),
            "-" if tier["nodes"] is None else tier["nodes"],
            f"{tier['nodes_required_now']}/{tier['nodes_required']}"
            + ("*" if tier["sized_by_cascade"] else ""),
            percent(tier["utilization"]),
            percent(tier["worst_utilization"]),
            signed_percent(tier["headroom"]),
            runway(tier["runway_months"]),
            STATUS_LABELS[tier["ok"]],
        ]
        for tier in tiers
    ]
    horizon = _horizon(document)
    headers = ["tier", "scheme", "rps", "nodes", f"need/{horizon}", "util", "worst",
               "spare", "runway", "status"]
    table = tabulated(rows, headers, colalign=("left", "left", *["right"] * 7, "left"))
    lines = [_title(document), "", table, "", _totals(document)]
    if any(tier["sized_by_cascade"] for tier in tiers):
        lines.append("* sized by the cascade of misses when an upstream cache runs cold")
    lines.extend(_verdicts(tiers))
    lines.extend(_service_table(tiers))
    if document["availability"] is not None:
        site = document["availability"]
        lines.append(f"site: {nines(site)} available, about "
                     f"{downtime((1 - site) * 525_960)} down a year")
    lines.extend(_profile_strips(tiers))
    return "\n".join(lines) + "\n"


def _service_table(tiers: list[Document]) -> list[str]:
    """Latency after the worst failure and availability, for tiers that model them."""
    shown = [tier for tier in tiers
             if tier["latency_ms"] is not None or tier["availability"] is not None]
    if not shown:
        return []
    rows = []
    for tier in shown:
        latency = tier["latency_ms"] or {}
        targets = tier["latency_targets_ms"] or {}
        rows.append([
            tier["name"],
            *[milliseconds(latency.get(name)) if tier["latency_ms"] else "-"
              for name in ("p50", "p95", "p99")],
            " ".join(f"{name}≤{milliseconds(value)}" for name, value in targets.items())
            or "-",
            nines(tier["availability"]),
            "-" if tier["availability_target"] is None
            else f"≥{_target(tier['availability_target'])}",
            downtime(tier["downtime_minutes_per_year"]),
        ])
    table = tabulated(rows, ["tier", "p50 ms", "p95 ms", "p99 ms", "target", "available",
                             "target", "down/yr"],
                      colalign=("left", "right", "right", "right", "left", "right", "left",
                                "right"))
    return ["", "Response time at the busiest node after the worst failure; availability "
            "at peak:", table]


def _target(availability: float) -> str:
    """A target as written (99.999%), not padded to a measured figure's digits."""
    text = nines(availability).removesuffix("%")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


#: What each binding limit is called in a verdict line.
LIMIT_WORDS = {"failures": "node failures", "zones": "zone loss"}


#: Strips wider than this are folded into hourly buckets so they fit a terminal.
MAX_STRIP_SLOTS = 48


def _profile_strips(tiers: list[Document]) -> list[str]:
    """One character per slot: how many node failures each tier survives at that hour."""
    if not tiers or tiers[0]["survivable_failures"] is None:
        return []
    slots = len(tiers[0]["survivable_failures"])
    buckets = slots if slots <= MAX_STRIP_SLOTS or slots % 24 else 24
    per = slots // buckets
    unit = "slot" if per == 1 and slots != 24 else "hour"
    lines = ["", f"Node failures survived per {unit} (- = cannot carry it; + = 10 or more):"]
    width = max(len(tier["name"]) for tier in tiers)
    for tier in tiers:
        counts = tier["survivable_failures"]
        # A folded hour is only as safe as its worst slot.
        strip = "".join(_survivable_mark(_weakest(counts[i * per:(i + 1) * per]))
                        for i in range(buckets))
        exposed = tier["exposed_hours"]
        note = f"  exposed {hours(exposed)} a day (below N+{tier['failures']})" if exposed else ""
        lines.append(f"{tier['name']:<{width}}  {strip}{note}")
    return lines


def _weakest(counts: list[int | None]) -> int | None:
    return None if None in counts else min(c for c in counts if c is not None)


def _survivable_mark(count: int | None) -> str:
    if count is None:
        return "-"
    return "+" if count >= 10 else str(count)


def size_table(document: Document) -> str:
    """The ``size`` document as two columns."""
    rows: list[list[Any]] = [
        ["redundancy", document["redundancy"]],
        ["demand", f"{rate(document['demand_rps'])} rps"],
        ["failures", f"N+{document['failures']}"],
        ["max utilization", percent(document["max_utilization"])],
        ["nodes required", document["nodes_required"]],
        *([["standby", document["standby"]]] if document.get("standby") is not None else []),
        ["utilization, all up", percent(document["utilization"])],
        ["utilization, worst failure", percent(document["worst_utilization"])],
    ]
    # tabulate's 'plain' table, as tabulated is its 'simple' one: two left-aligned columns.
    cells = [[str(value).strip() for value in row] for row in rows]
    width = max(len(label) for label, _ in cells)
    return "".join(f"{label:<{width}}  {value}".rstrip() + "\n" for label, value in cells)


def _horizon(document: Document) -> str:
    horizon = document["horizon_months"]
    return f"{significant(horizon)}mo" if horizon else "now"


def _title(document: Document) -> str:
    title = f"{document['site']}: peak {rate(document['peak_rps'])} rps"
    if document["horizon_months"]:
        title += (f", {rate(document['planning_peak_rps'])} rps in "
                  f"{significant(document['horizon_months'])} "
                  f"{'month' if document['horizon_months'] == 1 else 'months'}")
    return title


def _totals(document: Document) -> str:
    totals = document["totals"]
    return (f"total: {count_noun(totals['nodes'], 'node')}, cost {money(totals['cost'])}; "
            f"required: {count_noun(totals['nodes_required'], 'node')}, "
            f"cost {money(totals['cost_required'])}")


#: Verdict lines wrap here, so the table stays readable in an 80-column terminal.
WIDTH = 80


def _verdicts(tiers: list[Document]) -> list[str]:
    """Say, for each failing tier, what binds, what is shed, and what to change."""
    import textwrap

    lines = []
    for tier in tiers:
        if tier["ok"] is not False:
            continue
        needs = tier["nodes_required_now"]
        standby = tier["standby_required"]
        with_standby = "" if standby is None else f" with standby: {standby}"
        horizon = "" if tier["nodes_required"] == needs \
            else f" ({tier['nodes_required']} at the horizon)"
        advice = f"needs {count_noun(needs, 'node')}{with_standby}, has {tier['nodes']}{horizon}"
        fleet = tier.get("required_fleet")
        if fleet is not None:
            # A tier of node types is told its cheapest fleet, in the form the file takes.
            mix = ", ".join(f"{name}: {count}" for name, count in sorted(fleet["mix"].items()))
            # Pasteable as check's advice is: the standby is a key of its own.
            and_standby = "" if standby is None else f" and standby: {standby}"
            advice = f"the cheapest fleet that holds is nodes: {{{mix}}}{and_standby}"
        elif tier["binding"] == "runway":
            advice = f"runs out before min_runway_months; {advice}"
        elif tier["nodes"] > needs and tier["binding"] not in ("confidence",):
            advice = f"{count_noun(tier['nodes'], 'node')} fail where {needs} hold: use {needs}"
        binding = LIMIT_WORDS.get(tier["binding"], tier["binding"])
        text = (f"{tier['name']} ({binding}): {tier['reason']}; sheds "
                f"{percent(tier['shed_fraction'])}, bound by {tier['bottleneck']}; {advice}")
        lines.extend(textwrap.wrap(text, WIDTH, subsequent_indent="  ",
                                   break_on_hyphens=False))
    return lines


#: Width of a failover bar; 100% (or the busiest node, if above) spans it all.
BAR_WIDTH = 32


def failover_table(document: Document) -> str:
    """Every node's load after the failure set, with a bar against max_utilization."""
    ceiling = document["max_utilization"]
    runs, busiest = _runs(document["loads"])
    scale = max(1.0, ceiling, busiest)
    rows = [
        [name, entry["state"], rate(entry["load_rps"]), percent(entry["utilization"]),
         _bar(entry["utilization"], ceiling, scale) if entry["state"] != "failed" else ""]
        for name, entry in runs
    ]
    table = tabulated(rows, ["node", "state", "rps", "util", f"load (| = max {percent(ceiling)})"],
                      colalign=("left", "left", "right", "right", "left"))
    failed = ", ".join(document["failed"]) or "none"
    lines = [
        f"{document['tier']} ({document['redundancy']}, {count_noun(document['nodes'], 'node')}, "
        f"{rate(document['demand_rps'])} rps): {document['scenario']}",
        f"failed: {failed}",
        "",
        table,
        "",
        _failover_verdict(document),
    ]
    return "\n".join(lines) + "\n"


def _runs(loads: Iterable[Document]) -> tuple[list[tuple[str, Document]], float]:
    """Fold consecutive nodes with the same state and load into one row (big tiers).

    One pass, each entry read once (a failover's loads are made as they are read); also
    the highest utilization of any entry, for the bars' scale.
    """
    rows: list[tuple[str, Document]] = []
    busiest = 0.0
    run: list[Document] = []  # the first and the last entry of the current run
    length = 0

    def close() -> None:
        if length == 1:
            rows.append((run[0]["node"], run[0]))
        elif length == 2:
            rows.extend([(run[0]["node"], run[0]), (run[-1]["node"], run[0])])
        elif length:
            rows.append((f"{run[0]['node']}…{run[-1]['node'].rsplit('-', 1)[1]} ({length})",
                         run[0]))

    for entry in loads:
        busiest = max(busiest, entry["utilization"])
        if length and (entry["state"], entry["load_rps"]) == (run[0]["state"],
                                                             run[0]["load_rps"]):
            run[1:] = [entry]
            length += 1
            continue
        close()
        run, length = [entry], 1
    close()
    return rows, busiest


def _position(utilization: float, scale: float) -> int:
    return min(BAR_WIDTH, round(utilization / scale * BAR_WIDTH))


def _bar(utilization: float, ceiling: float, scale: float) -> str:
    """'#' for the load, '|' at max_utilization, '!' for load beyond it.

    ``###.....|`` has room to spare; ``#####|!!`` is over the ceiling: a ring neighbour at
    double load stands out from its pool-like peers at a glance.
    """
    length = _position(utilization, scale)
    mark = _position(ceiling, scale)
    if length <= mark:
        return "#" * length + "." * (mark - length) + "|"
    return "#" * mark + "|" + "!" * (length - mark)


def _failover_verdict(document: Document) -> str:
    shed = document["shed_fraction"]
    busiest = percent(document["worst_utilization"])
    ceiling = percent(document["max_utilization"])
    if shed:
        lost = rate(shed * document["demand_rps"])
        return (f"SHED: {percent(shed)} of the demand ({lost} rps) finds no node to carry it; "
                f"busiest survivor at {busiest}")
    verdict = "holds" if document["holds"] else "over the ceiling"
    return f"nothing shed; busiest survivor at {busiest} (max {ceiling}): {verdict}"


def ranking_table(document: Document) -> str:
    """``failover --all``: every failure set, worst first."""
    rows = [
        [rank, ", ".join(entry["failed"]), percent(entry["worst_utilization"]),
         percent(entry["shed_fraction"]), "yes" if entry["holds"] else "NO"]
        for rank, entry in enumerate(document["failure_sets"], start=1)
    ]
    table = tabulated(rows, ["#", "failed", "busiest", "shed", "holds"],
                      colalign=("right", "left", "right", "right", "left"))
    held = sum(1 for entry in document["failure_sets"] if entry["holds"])
    title = (f"{document['tier']} ({document['redundancy']}, "
             f"{count_noun(document['nodes'], 'node')}): "
             f"{failure_sets(document['failures'])}, worst first")
    summary = (f"{held} of {len(rows)} sets hold the policy "
               f"(max {percent(document['max_utilization'])})")
    return "\n".join([title, "", table, "", summary]) + "\n"


def compare_table(document: Document) -> str:
    """``compare``: nodes (and cost) per tier under each scheme; * marks the cheapest."""
    schemes = list(document["totals"])

    def cell(entry: Document, name: str, cheapest: str | None) -> str:
        option = entry[name]
        if option["nodes_required"] is None:
            return "-"
        text = str(option["nodes_required"])
        if option["cost"]:
            text += f" ({money(option['cost'])})"
        return text + ("*" if name == cheapest else "")

    rows = [[tier["name"], scheme_label(tier["redundancy"]),
             *[cell(tier, name, tier["cheapest"]) for name in schemes]]
            for tier in document["tiers"]]
    totals = document["totals"]
    rows.append(["total", "", *[cell(totals, name, document["cheapest"]) for name in schemes]])
    headers = ["tier", "now", *[scheme_label(name) for name in schemes]]
    table = tabulated(rows, headers, colalign=("left", "left", *["right"] * len(schemes)))
    lines = [table, "", "nodes required at the planning peak (cost); * the cheapest"]
    return "\n".join(lines) + "\n"
