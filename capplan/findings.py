"""The findings of ``capplan check``: the rule catalogue, each finding, the exit-code contract.

The contract lives here, in one place:

* **exit 2** — some file could not be read or is invalid (``CAP001``), or a usage error;
* **exit 1** — otherwise, some tier is not ``ok``: it does not hold its policy now
  (``CAP002``), declares no count (``CAP003``) or runs out of runway before
  ``min_runway_months`` (``CAP004``); with ``--strict`` a warning fails too
  (``CAP101`` runway under 3 months, ``CAP102`` more than twice the nodes it needs,
  ``CAP103`` a valid value that is likely a slip, ``CAP104`` runway shorter than the
  planning horizon);
* **exit 0** — every file valid and every tier ``ok``.

Data only: :mod:`capplan.gate` finds them, :mod:`capplan.render.ci` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    """One kind of finding: a stable id for suppressions and dashboards, a name for people."""

    id: str
    name: str
    summary: str
    level: Level


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("CAP001", "invalid-input", "The file cannot be read or is not a valid topology.",
             "error"),
        Rule("CAP002", "policy-not-held",
             "A tier's declared count does not hold its N+k policy at the current peak.",
             "error"),
        Rule("CAP003", "no-declared-count",
             "A tier declares no node count, so there is nothing to check.", "error"),
        Rule("CAP004", "runway-too-short",
             "A tier stops holding its policy sooner than min_runway_months.", "error"),
        Rule("CAP101", "runway-warning",
             "A tier stops holding its policy within 3 months of growth.", "warning"),
        Rule("CAP102", "oversized",
             "A tier declares more than twice the nodes its policy needs.", "warning"),
        Rule("CAP103", "implausible-value",
             "A valid value that is likely a slip: a ceiling under 10%, over 1 Tbit/s a "
             "node, a profile that does not split a day into whole minutes, a cache that "
             "answers everything, repairs longer than the time between failures.", "warning"),
        Rule("CAP104", "runway-before-horizon",
             "A tier stops holding its policy before horizon_months.", "warning"),
    )
}

INVALID_INPUT = "CAP001"


@dataclass(frozen=True)
class Finding:
    """One located finding; the message says what to change."""

    file: str
    line: int
    column: int
    rule: Rule
    message: str
    level: Level


@dataclass(frozen=True)
class CheckResult:
    """Every file checked and everything found, in file order."""

    files: tuple[str, ...]
    findings: tuple[Finding, ...]
    strict: bool = False

    @property
    def return_code(self) -> int:
        """The exit-code contract: 2 beats 1 beats 0 (see the module docstring)."""
        from capplan.errors import ExitCode

        if any(finding.rule.id == INVALID_INPUT for finding in self.findings):
            return int(ExitCode.INVALID)
        failing = ("error", "warning") if self.strict else ("error",)
        failed = any(finding.level in failing for finding in self.findings)
        return int(ExitCode.POLICY_FAILED if failed else ExitCode.OK)

    def ordered(self) -> list[Finding]:
        """Findings by file (command-line order), then line and column."""
        position = {name: index for index, name in enumerate(self.files)}
        return sorted(self.findings, key=lambda f: (position.get(f.file, len(position)),
                                                    f.line, f.column, f.rule.id))

    def count(self, level: Level) -> int:
        """How many findings have *level*."""
        return sum(1 for finding in self.findings if finding.level == level)

    def to_dict(self) -> dict[str, Any]:
        """The document ``capplan check --format json`` prints, as plain data."""
        return {
            "files": list(self.files),
            "ok": self.return_code == 0,
            "exit_code": self.return_code,
            "summary": {"errors": self.count("error"), "warnings": self.count("warning")},
            "findings": [
                {"file": f.file, "line": f.line, "column": f.column, "level": f.level,
                 "rule": f.rule.id, "rule_name": f.rule.name, "message": f.message}
                for f in self.ordered()
            ],
        }
