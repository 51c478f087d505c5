"""render.ci: the exit-code contract and every format of check's findings, parsed back."""

from __future__ import annotations

import json

import jsonschema
import pytest

from capplan import __version__
from capplan.render.ci import (
    RULES,
    CheckResult,
    Finding,
    render_github,
    render_json,
    render_sarif,
    render_text,
    summary,
)

BY_NAME = {rule.name: rule for rule in RULES.values()}


def finding(name: str, file: str = "site.yaml", line: int = 3, message: str = "fix it",
            column: int = 5) -> Finding:
    """A finding of the rule called *name*."""
    rule = BY_NAME[name]
    return Finding(file, line, column, rule, message, rule.level)


@pytest.mark.parametrize(("names", "strict", "code"), [
    ([], False, 0),
    ([], True, 0),
    (["runway-warning"], False, 0),
    (["runway-warning"], True, 1),
    (["oversized", "policy-not-held"], False, 1),
    (["no-declared-count"], False, 1),
    (["runway-too-short"], False, 1),
    (["invalid-input"], False, 2),
    (["policy-not-held", "invalid-input", "runway-warning"], True, 2),
])
def test_return_code_contract(names: list[str], strict: bool, code: int) -> None:
    """2 (invalid input) beats 1 (a tier not ok, or a warning under --strict) beats 0."""
    result = CheckResult(("site.yaml",), tuple(finding(name) for name in names), strict)
    assert result.return_code == code


def test_rule_ids_and_names_are_unique_and_stable() -> None:
    """Suppressions and dashboards key on ids; none may repeat or change meaning."""
    assert [rule.id for rule in RULES.values()] == [
        "CAP001", "CAP002", "CAP003", "CAP004", "CAP101", "CAP102", "CAP103", "CAP104"]
    assert len({rule.name for rule in RULES.values()}) == len(RULES)


@pytest.mark.parametrize(("names", "files", "text"), [
    ([], 1, "Checked 1 file: all tiers hold their policy."),
    ([], 2, "Checked 2 files: all tiers hold their policy."),
    (["policy-not-held"], 1, "Checked 1 file: 1 error."),
    (["policy-not-held", "runway-too-short", "oversized"], 3,
     "Checked 3 files: 2 errors, 1 warning."),
    (["oversized", "runway-warning"], 1, "Checked 1 file: 2 warnings."),
])
def test_summary_wording(names: list[str], files: int, text: str) -> None:
    """The summary counts files, errors and warnings with the right plurals."""
    result = CheckResult(tuple(f"f{i}.yaml" for i in range(files)),
                         tuple(finding(name) for name in names))
    assert summary(result) == text


def test_text_lines_are_ordered_by_file_then_line() -> None:
    """Findings print in command-line file order, then by line, like a linter."""
    result = CheckResult(("b.yaml", "a.yaml"), (
        finding("oversized", "a.yaml", 9), finding("policy-not-held", "b.yaml", 12),
        finding("policy-not-held", "b.yaml", 4, "needs 8")))
    assert render_text(result).splitlines() == [
        "b.yaml:4:5: error: needs 8 [CAP002]",
        "b.yaml:12:5: error: fix it [CAP002]",
        "a.yaml:9:5: warning: fix it [CAP102]",
        "Checked 2 files: 2 errors, 1 warning.",
    ]


def test_github_escapes_data_and_properties() -> None:
    """'%' and newlines are escaped in the message; ':' and ',' too in the file name."""
    result = CheckResult(("c:/a,b.yaml",), (
        finding("policy-not-held", "c:/a,b.yaml", message="at 80%\nnow"),))
    first = render_github(result).splitlines()[0]
    assert first == ("::error file=c%3A/a%2Cb.yaml,line=3,col=5,"
                     "title=capplan CAP002 policy-not-held::at 80%25%0Anow")


def test_json_carries_every_finding() -> None:
    """The JSON document parses back to the findings, the exit code and the counts."""
    result = CheckResult(("a.yaml",), (finding("policy-not-held"), finding("oversized")))
    document = json.loads(render_json(result))
    assert document["exit_code"] == 1
    assert document["ok"] is False
    assert document["summary"] == {"errors": 1, "warnings": 1}
    assert document["findings"][0] == {
        "file": "site.yaml", "line": 3, "column": 5, "level": "error", "rule": "CAP002",
        "rule_name": "policy-not-held", "message": "fix it"}


def test_sarif_structure() -> None:
    """SARIF 2.1.0: driver name and rules; each result's ruleId, ruleIndex and location."""
    result = CheckResult(("dir\\site.yaml", "-"), (
        finding("policy-not-held", "dir\\site.yaml", 14), finding("invalid-input", "-", 1)))
    document = json.loads(render_sarif(result))
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    [run] = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "capplan"
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    for entry in run["results"]:
        assert driver["rules"][entry["ruleIndex"]]["id"] == entry["ruleId"]
        assert entry["level"] in ("error", "warning")
        assert entry["message"]["text"]
    locations = [entry["locations"][0]["physicalLocation"] for entry in run["results"]]
    assert locations[0] == {"artifactLocation": {"uri": "dir/site.yaml"},
                            "region": {"startLine": 14, "startColumn": 5}}
    assert locations[1]["artifactLocation"]["uri"] == "stdin"


@pytest.mark.parametrize("render", [render_text, render_json, render_github, render_sarif])
def test_outputs_are_deterministic(render: object) -> None:
    """Same findings, same bytes."""
    result = CheckResult(("a.yaml",), (finding("oversized"), finding("policy-not-held")))
    assert callable(render)
    assert render(result) == render(result)


# A hand-written subset of SARIF 2.1.0: just the parts code-scanning uploads rely on.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object", "required": ["tool", "results"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {
                    "driver": {"type": "object", "required": ["name", "rules"], "properties": {
                        "name": {"type": "string"},
                        "rules": {"type": "array", "items": {
                            "type": "object", "required": ["id", "shortDescription"]}},
                    }}}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["ruleId", "ruleIndex", "level", "message", "locations"],
                    "properties": {
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": {"type": "object", "required": ["text"]},
                        "locations": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["physicalLocation"]}},
                    }}},
            }}},
    },
}


@pytest.mark.parametrize(("names", "text"), [
    (["runway-warning"], "Checked 1 file: 1 warning."),
    (["policy-not-held", "no-declared-count"], "Checked 1 file: 2 errors."),
    (["policy-not-held", "oversized", "runway-warning"], "Checked 1 file: 1 error, 2 warnings."),
])
def test_summary_wording_other_counts(names: list[str], text: str) -> None:
    """Singular and plural of errors and warnings in every mix the brief lists."""
    result = CheckResult(("a.yaml",), tuple(finding(name) for name in names))
    assert summary(result) == text
    assert render_text(result).splitlines()[-1] == text


def test_text_without_findings_is_only_the_summary() -> None:
    """A clean run prints a single line, ending in a newline."""
    assert render_text(CheckResult(("a.yaml",), ())) == (
        "Checked 1 file: all tiers hold their policy.\n")


def test_github_escapes_carriage_return_and_ends_with_summary() -> None:
    r"""'\r' becomes %0D in the message, and the plain summary line closes the output."""
    result = CheckResult(("a.yaml",), (finding("oversized", "a.yaml", message="a\r\nb"),))
    lines = render_github(result).splitlines()
    assert lines[0].startswith("::warning file=a.yaml,line=3,col=5,")
    assert lines[0].endswith("::a%0D%0Ab")
    assert lines[1] == summary(result)


def test_json_round_trips_every_finding_in_order() -> None:
    """Every finding comes back with the same fields, ordered by file, line and column."""
    found = (finding("oversized", "b.yaml", 7), finding("policy-not-held", "a.yaml", 2),
             finding("runway-warning", "b.yaml", 1))
    document = json.loads(render_json(CheckResult(("b.yaml", "a.yaml"), found)))
    assert document["files"] == ["b.yaml", "a.yaml"]
    assert [(f["file"], f["line"], f["rule"]) for f in document["findings"]] == [
        ("b.yaml", 1, "CAP101"), ("b.yaml", 7, "CAP102"), ("a.yaml", 2, "CAP002")]
    for entry in document["findings"]:
        assert entry["rule_name"] == RULES[entry["rule"]].name
        assert entry["level"] == RULES[entry["rule"]].level


def test_sarif_validates_against_a_subset_schema() -> None:
    """The SARIF document has the shape code-scanning uploads need, and says who made it."""
    result = CheckResult(("a.yaml",), (finding("policy-not-held"), finding("oversized")))
    document = json.loads(render_sarif(result))
    jsonschema.validate(document, SARIF_SUBSET)
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    assert [rule["id"] for rule in driver["rules"]] == list(RULES)


@pytest.mark.parametrize("render", [render_text, render_json, render_github, render_sarif])
def test_output_does_not_depend_on_finding_order(render: object) -> None:
    """Findings given in any order render to the same bytes."""
    found = (finding("oversized", line=9), finding("policy-not-held", line=2),
             finding("runway-warning", line=2, column=1))
    assert callable(render)
    assert render(CheckResult(("site.yaml",), found)) == render(
        CheckResult(("site.yaml",), tuple(reversed(found))))
