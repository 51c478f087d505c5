"""What a tier stores: disk for its data, memory for its working set (SPEC §7, resources).

Unlike requests, stored data does not move with the peak: after the worst failure set the
survivors must still hold every copy of the data within ``max_utilization`` of their disks,
the working set within it of their memory, and at least ``replicas`` nodes must survive.
Pure: the planner asks :meth:`Stored.holds` at each count it tries (the survivors only
grow with the count, so the check is monotone and joins the bisection).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from capplan.model import Tier


class Stored(NamedTuple):
    """One resource the survivors must hold: *need* GiB on *per_node* GiB a node."""

    name: str  # "disk" or "memory"
    key: str  # the tier key that states the need, for messages
    per_node: Fraction
    need: Fraction

    def holds(self, survivors: int, ceiling: Fraction) -> bool:
        """*survivors* nodes hold the need within *ceiling* of what they have."""
        return self.need <= survivors * self.per_node * ceiling

    def fewest(self, ceiling: Fraction) -> int:
        """The fewest survivors that hold it."""
        if self.need == 0:
            return 0
        return math.ceil(self.need / (self.per_node * ceiling))

    def words(self, survivors: int, ceiling: Fraction) -> str:
        """The shortfall, as a finding says it."""
        have = survivors * self.per_node * ceiling
        return (f"{_gib(self.need)} GiB of {self.name} ({self.key}) needs "
                f"{self.fewest(ceiling)} survivors, and the worst failure leaves "
                f"{survivors} holding {_gib(have)} GiB within {float(ceiling):.0%}")


@dataclass(frozen=True)
class Resources:
    """Everything a tier stores, and the survivors its replicas need."""

    stored: tuple[Stored, ...] = ()
    replicas: int = 1

    def __bool__(self) -> bool:
        return bool(self.stored)

    def failing(self, survivors: int, ceiling: Fraction) -> dict[str, str]:
        """Per resource that fails with *survivors* nodes left, why (empty: all hold)."""
        found = {item.name: item.words(survivors, ceiling) for item in self.stored
                 if not item.holds(survivors, ceiling)}
        if survivors < self.replicas and "disk" not in found:
            found["disk"] = (f"replicas: {self.replicas} needs {self.replicas} survivors, and "
                             f"the worst failure leaves {survivors}")
        return found

    def holds(self, survivors: int, ceiling: Fraction) -> bool:
        """Every resource held and enough copies left."""
        return survivors >= self.replicas and all(
            item.holds(survivors, ceiling) for item in self.stored)

    def fewest(self, name: str, ceiling: Fraction) -> int | None:
        """The fewest survivors resource *name* alone needs (disk counts the replicas)."""
        for item in self.stored:
            if item.name == name:
                least = item.fewest(ceiling)
                return max(least, self.replicas) if name == "disk" else least
        return None


def resources_of(tier: Tier) -> Resources:
    """The resources *tier* declares (empty when it declares none)."""
    node = tier.node
    stored = []
    replicas = tier.replicas or 1
    if tier.data_gib is not None and node.disk_gib is not None:
        stored.append(Stored("disk", "data_gib", node.disk_gib, tier.data_gib * replicas))
    if tier.working_set_gib is not None and node.memory_gib is not None:
        stored.append(Stored("memory", "working_set_gib", node.memory_gib,
                             tier.working_set_gib))
    return Resources(tuple(stored), replicas)


def _gib(value: Fraction) -> str:
    return f"{float(value):,.6g}"
