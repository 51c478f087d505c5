"""The CI gate: files → findings, each saying what to change (``capplan check``).

Pure apart from reading the files it is given. A file that cannot be read or validated
gives one ``invalid-input`` finding per problem; a valid file gives a finding for each tier
that is not ``ok`` (located at the line where the tier starts), and warnings that
``--strict`` turns into failures. The exit code lives in
:attr:`capplan.render.ci.CheckResult.return_code`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction

from capplan import demand as flow
from capplan.loader import InvalidInput, Loaded
from capplan.render.ci import RULES, CheckResult, Finding, Rule
from capplan.sizing import TierPlan, TierShape, plan

#: Runway under this many months is worth a warning even when the policy asks for none.
RUNWAY_WARNING_MONTHS = 3
#: A declared count above this multiple of the requirement is worth a warning: money idle.
OVERSIZED_FACTOR = 2

_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES.values()}


def rule(name: str) -> Rule:
    """The catalogue rule called *name* (e.g. ``policy-not-held``)."""
    return _BY_NAME[name]


def check(files: Iterable[str], load: Callable[[str], Loaded], *,
          strict: bool = False) -> CheckResult:
    """Check every file; *load* turns a name into a validated topology or raises."""
    names = list(files)
    findings: list[Finding] = []
    for name in names:
        try:
            loaded = load(name)
        except InvalidInput as error:
            findings.extend(
                Finding(name, problem.line, problem.column, rule("invalid-input"),
                        problem.message, rule("invalid-input").level)
                for problem in error.problems
            )
            continue
        findings.extend(check_topology(name, loaded))
    return CheckResult(tuple(names), tuple(findings), strict)


def check_topology(name: str, loaded: Loaded) -> list[Finding]:
    """Findings for one valid file, tier by tier in file order."""
    from capplan.schemes import Unattainable

    topology = loaded.topology
    try:
        site = plan(topology)
    except Unattainable as error:
        line, column = loaded.locate(error.path)
        found = rule("policy-not-held")
        return [Finding(name, line, column, found, str(error), found.level)]
    growth = topology.traffic.growth
    findings = []
    for index, tier in enumerate(site.tiers):
        line, column = loaded.locate(("tiers", index))
        for rule_name, message in _tier_findings(tier, growth, loaded, index):
            found = rule(rule_name)
            findings.append(Finding(name, line, column, found, message, found.level))
    return findings


def _tier_findings(tier: TierPlan, growth: Fraction, loaded: Loaded,
                   index: int) -> list[tuple[str, str]]:
    policy = _policy_words(tier)
    if tier.nodes is None:
        return [("no-declared-count", f"tier '{tier.name}' declares no node count; add "
                 f"nodes: {tier.nodes_required} ({policy} at the planning peak)")]
    assessment = tier.assessment
    runway = assessment.runway_months
    if not assessment.holds:
        return [("policy-not-held", f"tier '{tier.name}' needs {tier.nodes_required_now} nodes "
                 f"for {policy} (has {tier.nodes})")]
    if runway is not None and runway < tier.min_runway_months:
        wanted = _nodes_for_runway(loaded, index, tier)
        return [("runway-too-short", f"tier '{tier.name}' runs out in {runway:.1f} months at "
                 f"{float(growth):.1%} growth a month; min_runway_months is "
                 f"{float(tier.min_runway_months):g}: {wanted} nodes last that long "
                 f"(has {tier.nodes})")]
    findings = []
    if runway is not None and runway < RUNWAY_WARNING_MONTHS:
        findings.append(("runway-warning", f"tier '{tier.name}' runs out in {runway:.1f} "
                         f"months; plan {tier.nodes_required} nodes for the horizon"))
    if tier.nodes > OVERSIZED_FACTOR * tier.nodes_required:
        findings.append(("oversized", f"tier '{tier.name}' declares {tier.nodes} nodes, more "
                         f"than {OVERSIZED_FACTOR}x the {tier.nodes_required} it needs for "
                         f"{policy} at the planning peak"))
    return findings


def _policy_words(tier: TierPlan) -> str:
    """'N+1 at 80%', with zone loss when the tier must survive it."""
    zones = f" and the loss of {tier.zone_failures} of {tier.zones} zones" \
        if tier.zone_failures else ""
    return f"N+{tier.failures} at {float(tier.max_utilization):.0%}{zones}"


def _nodes_for_runway(loaded: Loaded, index: int, tier: TierPlan) -> int:
    """Nodes that still hold the policy after min_runway_months of growth."""
    topology = loaded.topology
    shape = TierShape.of(topology.tiers[index], topology, index)
    months = tier.min_runway_months
    factor = Fraction((1 + float(topology.traffic.growth)) ** float(months))
    cascade = None if tier.cascade_demand is None else flow.tame(tier.cascade_demand * factor)
    return shape.required(flow.tame(tier.demand * factor), cascade)
