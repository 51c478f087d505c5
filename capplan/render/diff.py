"""What ``capplan diff`` prints: a table, JSON, YAML, a pull-request comment, annotations.

The table and the Markdown show only the tiers that changed, each figure as
``before→after`` (one value where it stayed, and for a tier added or removed), written as
the plan table writes them; JSON and YAML are the whole document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from capplan.diff import STATUS, TOTAL_KEYS, Change, Diff, TierChange
from capplan.render.ci import workflow_command
from capplan.render.data import to_json, to_yaml
from capplan.render.fmt import money, runway, signed_percent
from capplan.render.table import STATUS_LABELS, tabulated
from capplan.units import count_noun

#: How a tier's figure is written, column by column: header, key, format.
COLUMNS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("nodes", "nodes", lambda value: "-" if value is None else str(value)),
    ("required", "nodes_required", str),
    ("cost", "cost", money),
    ("status", "ok", lambda value: STATUS_LABELS[value]),
    ("spare", "headroom", signed_percent),
    ("runway", "runway_months", runway),
)
#: Between before and after: tight in the terminal table, nine columns of figures wide
#: already; spaced in the Markdown and in messages, where there is room.
TIGHT, SPACED = "→", " → "


def render_json(diff: Diff) -> str:
    """The diff document as JSON."""
    return to_json(diff.to_dict())


def render_yaml(diff: Diff) -> str:
    """The diff document as YAML."""
    return to_yaml(diff.to_dict())


def render_table(diff: Diff) -> str:
    """The changed tiers and the totals, before → after; 'no change' when nothing did."""
    if diff.unchanged:
        return f"{_summary(diff)}\n"
    rows = [*_shown(diff, TIGHT), ["total", "", *_total_cells(diff, TIGHT)]]
    table = tabulated(rows, _headers(), colalign=("left", "left", *["right"] * len(COLUMNS)))
    tripped = [f"tripped: {', '.join(diff.tripped)}"] if diff.tripped else []
    return "\n".join([_summary(diff), "", table, "", _cost_required(diff, SPACED),
                      *tripped]) + "\n"


def render_markdown(diff: Diff) -> str:
    """A GitHub-flavoured pull-request comment: tripped expressions first, then the table."""
    lines = [f"### capplan diff: {_summary(diff)}", ""]
    if diff.old_file is not None and diff.new_file is not None:
        lines += [f"`{diff.old_file}` → `{diff.new_file}`", ""]
    tripped = ", ".join(f"`{expression}`" for expression in diff.tripped)
    if tripped:
        lines += [f"**Tripped:** {tripped}", ""]
    if not diff.unchanged:
        rows = [*_shown(diff, SPACED), ["**total**", "", *_total_cells(diff, SPACED)]]
        lines += [_markdown_row(_headers()),
                  "|" + "|".join(["---", "---", *["--:"] * len(COLUMNS)]) + "|",
                  *(_markdown_row(row) for row in rows), "", _cost_required(diff, SPACED)]
    return "\n".join(lines) + "\n"


def render_github(diff: Diff) -> str:
    """GitHub Actions workflow commands, then the summary.

    At the line of each tier of NEW that goes from ok to not ok: an error when
    ``--fail-on status`` makes that fail the job, else a warning (a red mark on a job
    that passes would cry wolf). At NEW's line 1, an error for each other tripped
    expression. Annotations name PATH of git:REF:PATH, the file in the pull request.
    """
    new_file = diff.new_path or "NEW"
    level = "error" if any(condition.key == STATUS for condition in diff.conditions) \
        else "warning"
    lines = []
    for tier in diff.tiers:
        if tier.newly_failing and tier.before is not None and tier.after is not None:
            now = "declares no node count" if tier.after["ok"] is None \
                else STATUS_LABELS[tier.after["ok"]]
            message = f"tier '{tier.name}' is {now} (was {STATUS_LABELS[tier.before['ok']]}): " \
                f"{_figures(tier)}"
            lines.append(workflow_command(level, new_file, diff.new_lines.get(tier.name, 1),
                                          "capplan diff status", message))
    for expression in diff.tripped:
        if expression == STATUS:
            continue  # said at each tier above
        message = f"--fail-on {expression} tripped: {_totals_words(diff)}"
        lines.append(workflow_command("error", new_file, 1, f"capplan diff {expression}",
                                      message))
    return "\n".join([*lines, _summary(diff)]) + "\n"


# --- pieces -------------------------------------------------------------------------------


def _headers() -> list[str]:
    return ["tier", "change", *(header for header, _, _ in COLUMNS)]


def _shown(diff: Diff, arrow: str) -> list[list[str]]:
    """A row per tier that changed, was added or removed."""
    return [[tier.name, tier.change, *(_cell(tier.before, tier.after, key, write, arrow)
                                       for _, key, write in COLUMNS)]
            for tier in diff.tiers if tier.change != "same"]


def _cell(before: dict[str, Any] | None, after: dict[str, Any] | None, key: str,
          write: Callable[[Any], str], arrow: str) -> str:
    """'4→6'; '8' where the figure stayed, or where the tier has one side only."""
    values = [write(side[key]) for side in (before, after) if side is not None]
    return values[0] if len(set(values)) == 1 else arrow.join(values)


def _total_cells(diff: Diff, arrow: str) -> list[str]:
    """The totals under the columns they add up (nodes, required, cost); blank elsewhere."""
    return [_cell(diff.before, diff.after, key, write, arrow) if key in TOTAL_KEYS else ""
            for _, key, write in COLUMNS]


def _cost_required(diff: Diff, arrow: str) -> str:
    return (f"cost of the nodes required: "
            f"{_cell(diff.before, diff.after, 'cost_required', money, arrow)}")


def _figures(tier: TierChange) -> str:
    """'nodes 4 → 6, required 8, …': every figure of one tier, for a one-line message."""
    return ", ".join(f"{header} {_cell(tier.before, tier.after, key, write, SPACED)}"
                     for header, key, write in COLUMNS)


def _totals_words(diff: Diff) -> str:
    """'nodes 10 → 12, required 15, cost 56,000 → 61,000, cost required 74,000'."""
    figures = [(header, key, write) for header, key, write in COLUMNS if key in TOTAL_KEYS]
    return ", ".join(f"{header} {_cell(diff.before, diff.after, key, write, SPACED)}"
                     for header, key, write in [*figures, ("cost required", "cost_required",
                                                           money)])


def _summary(diff: Diff) -> str:
    """'4 tiers: 1 changed, 1 added, 2 unchanged'; 'no change: …' when nothing did."""
    counts = diff.counts()
    if diff.unchanged:
        return f"no change: {count_noun(len(diff.tiers), 'tier')} the same before and after"
    if counts["same"] == len(diff.tiers):
        return f"{count_noun(len(diff.tiers), 'tier')} the same; the totals changed"
    words: dict[Change, str] = {"changed": "changed", "added": "added", "removed": "removed",
                                "same": "unchanged"}
    parts = ", ".join(f"{counts[kind]} {word}" for kind, word in words.items() if counts[kind])
    return f"{count_noun(len(diff.tiers), 'tier')}: {parts}"


def _markdown_row(cells: list[str]) -> str:
    # A '|' in a tier name would end its cell.
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
