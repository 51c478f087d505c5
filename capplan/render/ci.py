"""What ``capplan check`` prints: findings as text, JSON, GitHub annotations or SARIF.

The rule catalogue, the findings and the exit-code contract are in
:mod:`capplan.findings`.

Formats, like ruff's: ``text`` (``FILE:LINE:COL: error: message [CAP002]`` then a summary
line), ``json``, ``github`` (workflow commands that GitHub turns into annotations on the
pull request; chosen by default when ``GITHUB_ACTIONS=true``) and ``sarif`` (SARIF 2.1.0,
for code-scanning dashboards).
"""

from __future__ import annotations

import json

# The catalogue and the result live with the findings (below the gate that makes them);
# still importable from here, where the formats print them.
from capplan.findings import (
    INVALID_INPUT as INVALID_INPUT,  # noqa: PLC0414
)
from capplan.findings import RULES as RULES  # noqa: PLC0414
from capplan.findings import CheckResult as CheckResult  # noqa: PLC0414
from capplan.findings import Finding as Finding  # noqa: PLC0414
from capplan.findings import Level as Level  # noqa: PLC0414
from capplan.findings import Rule as Rule  # noqa: PLC0414


def summary(result: CheckResult) -> str:
    """The closing line: 'Checked 3 files: 2 errors, 1 warning.' or 'all tiers hold…'."""
    files = _plural(len(result.files), "file")
    errors, warnings = result.count("error"), result.count("warning")
    if not errors and not warnings:
        return f"Checked {files}: all tiers hold their policy."
    parts = [_plural(n, word) for n, word in ((errors, "error"), (warnings, "warning")) if n]
    return f"Checked {files}: {', '.join(parts)}."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(result: CheckResult) -> str:
    """``FILE:LINE:COL: error: message [CAP002]`` per finding, then the summary line."""
    lines = [f"{f.file}:{f.line}:{f.column}: {f.level}: {f.message} [{f.rule.id}]"
             for f in result.ordered()]
    return "\n".join([*lines, summary(result)]) + "\n"


def render_json(result: CheckResult) -> str:
    """The findings as one JSON document."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_github(result: CheckResult) -> str:
    """GitHub Actions workflow commands: one annotation per finding, then the summary."""
    from capplan.revisions import path_of

    # A file read at a revision (git:REF:PATH) is annotated where the pull request shows it.
    lines = [workflow_command(f.level, path_of(f.file), f.line,
                              f"capplan {f.rule.id} {f.rule.name}", f.message, column=f.column)
             for f in result.ordered()]
    return "\n".join([*lines, summary(result)]) + "\n"


def workflow_command(level: str, file: str, line: int, title: str, message: str, *,
                     column: int | None = None) -> str:
    """One GitHub Actions annotation: ``::error file=…,line=…,title=…::message``."""
    at = f"file={annotation_property(file)},line={line}" + \
        ("" if column is None else f",col={column}")
    return f"::{level} {at},title={annotation_property(title)}::{annotation_data(message)}"


def annotation_data(text: str) -> str:
    """Escape a workflow command's message, as the Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotation_property(text: str) -> str:
    """Escape a workflow command property: as data, plus ':' and ','."""
    return annotation_data(text).replace(":", "%3A").replace(",", "%2C")


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/capplan/"


def render_sarif(result: CheckResult) -> str:
    """SARIF 2.1.0: the rule catalogue, and a result with a physical location per finding."""
    from capplan import __version__

    rules = list(RULES.values())
    index = {rule.id: position for position, rule in enumerate(rules)}
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "capplan",
                "informationUri": INFORMATION_URI,
                "version": __version__,
                "rules": [
                    {"id": rule.id, "name": rule.name,
                     "shortDescription": {"text": rule.summary},
                     "defaultConfiguration": {"level": rule.level}}
                    for rule in rules
                ],
            }},
            "results": [
                {
                    "ruleId": f.rule.id,
                    "ruleIndex": index[f.rule.id],
                    "level": f.level,
                    "message": {"text": f.message},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file)},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }}],
                }
                for f in result.ordered()
            ],
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _uri(name: str) -> str:
    """A relative URI reference for a file name as given (SARIF wants '/' separators)."""
    if name in ("-", "<stdin>"):
        return "stdin"
    from urllib.parse import quote

    return quote(name.replace("\\", "/"), safe="/:._-~")
