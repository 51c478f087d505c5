"""The ``capplan fit`` document for people: coefficients, the curve beside the data, the paste."""

from __future__ import annotations

import textwrap
from typing import Any

from capplan.fit import DIGITS
from capplan.render.fmt import signed_percent
from capplan.units import significant

#: Rows of the measured-vs-fitted table at most; a longer run is sampled evenly.
SHOWN_POINTS = 32

#: Columns of a terminal the table keeps within.
WIDTH = 80

Document = dict[str, Any]


def fit_table(document: Document) -> str:
    """The fit as text: σ, κ, λ ± standard error, r², the peak, points, paste block, notes."""
    points = document["points"]
    lines = [f"Universal Scalability Law fit to {len(points)} measurement"
             f"{'s' * (len(points) != 1)}", ""]
    lines.extend(_coefficients(document))
    lines.append("")
    lines.extend(_points(points))
    lines.extend(["", "Paste into the tier (instead of node.capacity_rps):", "",
                  _paste(document["scaling"]).rstrip("\n")])
    if document["notes"]:
        lines.extend(["", "Notes:"])
        lines.extend(textwrap.fill(note, WIDTH, initial_indent="- ", subsequent_indent="  ",
                                   break_on_hyphens=False) for note in document["notes"])
    return "\n".join(lines) + "\n"


def _coefficients(document: Document) -> list[str]:
    stderr = document["stderr"]
    rows = [
        ("sigma", document["sigma"], stderr["sigma"], "contention"),
        ("kappa", document["kappa"], stderr["kappa"], "coherency delay"),
        ("lambda", document["lambda"], stderr["lambda"], "one node's rate (rps)"),
    ]
    shown = [(name, significant(value, DIGITS),
              "" if error is None else "± " + significant(error, 2), meaning)
             for name, value, error, meaning in rows]
    value_width = max(len(value) for _, value, _, _ in shown)
    error_width = max(len(error) for _, _, error, _ in shown)
    lines = [f"  {name:<7}{value:>{value_width}}  {error:<{error_width}}  {meaning}"
             for name, value, error, meaning in shown]
    r_squared = document["r_squared"]
    lines.append(f"  {'r²':<7}{'-' if r_squared is None else f'{r_squared:.4f}'}")
    if document["n_max"] is None:
        lines.append(f"  {'n_max':<7}- (κ = 0: adding nodes never lowers throughput)")
        lines.append(f"  {'x_max':<7}-")
    else:
        turn = document["n_max"]
        lines.append(f"  {'n_max':<7}{turn} (the curve turns over between {turn} and "
                     f"{turn + 1} nodes)")
        lines.append(f"  {'x_max':<7}{significant(document['x_max'], 4)} rps (the most any "
                     "number of nodes carries)")
    return lines


def _points(points: list[Document]) -> list[str]:
    """Measured against fitted, by concurrency; a long run sampled evenly, ends kept."""
    ordered = sorted(points, key=lambda point: point["n"])
    chosen = ordered
    if len(ordered) > SHOWN_POINTS:
        last = len(ordered) - 1
        chosen = [ordered[round(place * last / (SHOWN_POINTS - 1))]
                  for place in range(SHOWN_POINTS)]
    rows = [(significant(point["n"], 4), significant(point["throughput"], 4),
             significant(point["fitted"], 4),
             signed_percent((point["throughput"] - point["fitted"]) / point["fitted"]))
            for point in chosen]
    headers = ("n", "measured", "fitted", "residual")
    widths = [max(len(header), *(len(row[column]) for row in rows))
              for column, header in enumerate(headers)]
    lines = ["  " + "  ".join(f"{cell:>{width}}"
                              for cell, width in zip(row, widths, strict=True))
             for row in (headers, tuple("-" * width for width in widths), *rows)]
    if len(chosen) < len(ordered):
        lines.append(f"({len(chosen)} of {len(ordered):,} points shown; --format json has "
                     "every one)")
    return lines


def _paste(scaling: Document) -> str:
    """The scaling block as YAML a tier takes, coefficients to DIGITS significant digits.

    Written by the project's YAML writer so that every number reads back as a number
    (PyYAML's YAML 1.1 takes '1e-05' for a string; the writer spells it '1.0e-05').
    """
    from capplan.render.data import to_yaml

    usl = {name: float(f"{value:.{DIGITS}g}") for name, value in scaling["usl"].items()}
    return to_yaml({"scaling": {"usl": usl}})
