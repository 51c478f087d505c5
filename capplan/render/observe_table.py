"""The ``observe`` document as a table: the figures, the day's profile, the notes."""

from __future__ import annotations

from typing import Any

from capplan.render.fmt import rate, signed_percent
from capplan.units import count_noun, significant

#: Hours per printed row: two rows of twelve keep the profile inside 80 columns.
HOURS_PER_ROW = 12


def observe_table(document: dict[str, Any]) -> str:
    """Figures first, then the profile by UTC hour in two rows, then each note."""
    quantile = document["quantile"]
    which = "the maximum" if quantile == 1 else f"quantile {significant(quantile, 3)}"
    growth = document["growth"]
    capacity = document["capacity_rps"]
    lines = [
        f"samples          {document['samples']:,} over {count_noun(document['days'], 'UTC day')}",
        f"peak_rps         {rate(document['peak_rps'])} ({which})",
        f"peak_to_average  {significant(document['peak_to_average'], 3)}",
        "growth           " + ("- (under 2 days)" if growth is None
                               else f"{signed_percent(growth)} a month"),
        "capacity_rps     " + ("-" if capacity is None else f"{rate(capacity)} per node"),
        "",
        "profile (rps by UTC hour)",
    ]
    profile = document["profile"]
    for first in range(0, len(profile), HOURS_PER_ROW):
        hours = range(first, min(first + HOURS_PER_ROW, len(profile)))
        lines.append("  " + " ".join(f"{hour:02d}h".rjust(5) for hour in hours))
        lines.append("  " + " ".join(f"{rate(profile[hour]):>5}" for hour in hours))
    for note in document["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"
