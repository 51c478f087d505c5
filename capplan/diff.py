"""What a change to a topology does to its plan (``capplan diff OLD NEW``).

Two plans in, tier by tier: the figures a reviewer weighs (``nodes``, ``nodes_required``,
``cost``, ``ok``, ``headroom``, ``runway_months``) before and after, the site's totals, and
which ``--fail-on`` conditions the change trips. The figures are taken from each plan's
own document, so they are exactly what ``capplan plan --format json`` prints for that file
and a reviewer can check one against the other.

Tiers are matched by name, in NEW's order, then the removed ones in OLD's order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Literal

from capplan.errors import ExitCode, InvalidArgument, did_you_mean
from capplan.results import Document, Plan

#: A tier's figures compared, with the keys and values of the plan document.
TIER_KEYS = ("nodes", "nodes_required", "cost", "ok", "headroom", "runway_months")
#: The site's totals compared, as the plan document's ``totals``; the keys --fail-on bounds.
TOTAL_KEYS = ("nodes", "nodes_required", "cost", "cost_required")
#: The --fail-on word for "some tier no longer holds its policy".
STATUS = "status"
#: What --fail-on accepts, for the message that refuses anything else.
FAIL_ON_FORMS = (f"KEY>+N, KEY>+N%, KEY<-N, KEY<-N% (KEY: {', '.join(TOTAL_KEYS)}) "
                 f"or {STATUS}")

Change = Literal["added", "removed", "changed", "same"]

# The number is read by capplan.units (1000, 1k, 2.5); the sign is the grammar's own.
_BOUND = re.compile(r"\s*(?P<key>\w+)\s*(?P<op>[<>])\s*(?P<sign>[+-]?)\s*(?P<number>[^%]*?)"
                    r"\s*(?P<percent>%?)\s*")


@dataclass(frozen=True)
class TierChange:
    """One tier before and after; ``before`` is None for an added tier, ``after`` removed."""

    name: str
    change: Change
    before: Document | None
    after: Document | None

    @property
    def newly_failing(self) -> bool:
        """Went from ok to not ok (SPEC §9): what ``status`` trips on.

        Not ok is what ``check`` fails: a count that does not hold (False) or no declared
        count at all (None). A tier added or removed has no "before" or "after" to go
        from or to: matched by name, a renamed tier that already failed is not news.
        """
        return self.before is not None and self.after is not None \
            and self.before["ok"] is True and self.after["ok"] is not True

    def to_dict(self) -> Document:
        """The tier's entry in the ``diff`` document."""
        return {"name": self.name, "change": self.change, "before": self.before,
                "after": self.after}


@dataclass(frozen=True)
class Condition:
    """One ``--fail-on`` expression: ``status``, or a bound on a total's change.

    ``cost>+5%`` trips when the total cost grows by more than 5% of its value before (any
    growth from 0 is more than any share of it); ``nodes<-2`` when the nodes fall by more
    than 2. Strict, as the ``>`` and ``<`` say: a change exactly at the bound passes.
    """

    text: str
    key: str
    rising: bool = True
    bound: Fraction = Fraction(0)
    percent: bool = False

    def trips(self, tiers: Iterable[TierChange], before: Document, after: Document) -> bool:
        """Whether this change, with these totals before and after, trips the condition."""
        if self.key == STATUS:
            return any(tier.newly_failing for tier in tiers)
        # Floats of the documents read exactly: the bound is met or not, without rounding.
        old, new = Fraction(before[self.key]), Fraction(after[self.key])
        change = new - old if self.rising else old - new
        if not self.percent:
            return change > self.bound
        if old == 0:
            return self.rising and new > 0
        return change * 100 > self.bound * old


def parse_conditions(expressions: Iterable[str] | str | None, *,
                     option: str = "fail_on") -> tuple[Condition, ...]:
    """The conditions in *expressions*, each once, in the order given.

    A malformed one raises InvalidArgument naming it (as *option* is spelt, ``--fail-on``
    on the command line), the accepted forms, and the nearest key for a misspelt one.
    """
    if expressions is None:
        return ()
    if isinstance(expressions, str):
        expressions = [expressions]
    # 'cost>+5%' and 'cost > +5%' are one condition: counted and reported once, as first
    # spelled.
    first: dict[str, str] = {}
    for text in expressions:
        first.setdefault("".join(str(text).split()), text)
    return tuple(_condition(text, option) for text in first.values())


def _condition(text: str, option: str) -> Condition:
    from capplan.units import NumberError, parse_number

    if not isinstance(text, str):
        raise InvalidArgument(f"{option}: expected an expression such as 'cost>+5%', got "
                              f"{type(text).__name__}")
    expression = text.strip()
    if expression == STATUS:
        return Condition(expression, STATUS)
    refused = f"{option} '{text}': expected {FAIL_ON_FORMS}"
    if ">=" in expression or "<=" in expression:
        raise InvalidArgument(f"{refused} (the bounds are strict: '>' and '<', not '>=')")
    found = _BOUND.fullmatch(expression)
    if found is None:
        raise InvalidArgument(refused + did_you_mean(expression, (STATUS,)))
    key = found["key"]
    if key not in TOTAL_KEYS:
        raise InvalidArgument(refused + did_you_mean(key.lower(), TOTAL_KEYS))
    rising = found["op"] == ">"
    if found["sign"] != ("+" if rising else "-"):
        # '>5%' and '>-5%' read two ways (grows by 5%, or falls by less): say which.
        raise InvalidArgument(f"{refused} ('>' takes a rise, +N; '<' a fall, -N)")
    try:
        bound = parse_number(found["number"])
    except NumberError as error:
        raise InvalidArgument(f"{refused} ({error})") from None
    if bound < 0:
        raise InvalidArgument(refused)
    return Condition(expression, key, rising, bound, bool(found["percent"]))


@dataclass(frozen=True)
class Diff:
    """Two plans compared: every tier's change, the totals, the conditions asked about.

    ``new_file`` and ``new_lines`` (tier name → the line where NEW writes it) are set by
    whoever read NEW from a file (:meth:`located`), for annotations at those lines.
    """

    tiers: tuple[TierChange, ...]
    before: Document
    after: Document
    conditions: tuple[Condition, ...] = ()
    old_file: str | None = None
    new_file: str | None = None
    new_lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def tripped(self) -> tuple[str, ...]:
        """The expressions this change trips, in the order given."""
        return tuple(condition.text for condition in self.conditions
                     if condition.trips(self.tiers, self.before, self.after))

    @property
    def return_code(self) -> int:
        """Exit 1 when some expression trips, else 0 (a change alone fails nothing)."""
        return int(ExitCode.POLICY_FAILED if self.tripped else ExitCode.OK)

    @property
    def unchanged(self) -> bool:
        """Every tier the same and the totals too: an empty diff."""
        return self.before == self.after and all(tier.change == "same" for tier in self.tiers)

    @property
    def new_path(self) -> str | None:
        """The path NEW names, for annotations: PATH of git:REF:PATH, else the file's name."""
        from capplan.revisions import path_of

        return None if self.new_file is None else path_of(self.new_file)

    def counts(self) -> dict[Change, int]:
        """How many tiers each kind of change has, in the document's words."""
        found: dict[Change, int] = {"changed": 0, "added": 0, "removed": 0, "same": 0}
        for tier in self.tiers:
            found[tier.change] += 1
        return found

    def located(self, old_file: str, new_file: str, new_lines: Mapping[str, int]) -> Diff:
        """The same diff, knowing the files' names and where NEW writes each tier."""
        return replace(self, old_file=old_file, new_file=new_file, new_lines=dict(new_lines))

    def to_dict(self) -> dict[str, Any]:
        """The document ``capplan diff --format json`` prints, as plain data."""
        return {
            "tiers": [tier.to_dict() for tier in self.tiers],
            "totals": {"before": self.before, "after": self.after},
            "tripped": list(self.tripped),
        }


def diff_plans(before: Plan, after: Plan, conditions: Iterable[Condition] = ()) -> Diff:
    """*before* and *after* compared tier by tier, in NEW's order, then the removed ones."""
    old_document, new_document = before.to_dict(), after.to_dict()
    old_tiers = _figures(old_document)
    new_tiers = _figures(new_document)
    tiers = [TierChange(name, _kind(old_tiers.get(name), figures), old_tiers.get(name),
                        figures) for name, figures in new_tiers.items()]
    tiers += [TierChange(name, "removed", figures, None)
              for name, figures in old_tiers.items() if name not in new_tiers]
    return Diff(tuple(tiers), _totals(old_document), _totals(new_document), tuple(conditions))


def _figures(document: Document) -> dict[str, Document]:
    """Each tier's compared figures by name, in the plan's order."""
    return {tier["name"]: {key: tier[key] for key in TIER_KEYS} for tier in document["tiers"]}


def _totals(document: Document) -> Document:
    return {key: document["totals"][key] for key in TOTAL_KEYS}


def _kind(before: Document | None, after: Document) -> Change:
    if before is None:
        return "added"
    return "same" if before == after else "changed"
