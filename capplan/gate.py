"""The CI gate: files → findings, each saying what to change (``capplan check``).

Pure apart from reading the files it is given. A file that cannot be read or validated
gives one ``invalid-input`` finding per problem; a valid file gives a finding for each tier
that is not ``ok`` (located at the line where the tier starts), and warnings that
``--strict`` turns into failures. The exit code lives in
:attr:`capplan.findings.CheckResult.return_code`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction

from capplan import demand as flow
from capplan.findings import RULES, CheckResult, Finding, Rule
from capplan.loader import InvalidInput, Loaded
from capplan.model import Path, Tier, Topology, failures_of
from capplan.results import TierPlan
from capplan.sizing import TierShape, plan, resolved

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
    # Slips in the input are worth saying even when no plan can be made from it.
    warnings = _input_warnings(name, loaded)
    try:
        site = plan(topology)
        loaded = loaded._replace(topology=resolved(topology))
    except Unattainable as error:
        found = rule("policy-not-held")
        return [*warnings, *(Finding(name, *loaded.locate(each.path), found, str(each),
                                     found.level) for each in error.every())]
    growth = topology.traffic.growth
    findings = [*warnings, *_horizon_warnings(name, loaded, site.tiers)]
    for index, tier in enumerate(site.tiers):
        line, column = loaded.locate(("tiers", index))
        for rule_name, message in _tier_findings(tier, growth, loaded, index):
            found = rule(rule_name)
            findings.append(Finding(name, line, column, found, message, found.level))
    return findings


def _tier_findings(tier: TierPlan, growth: Fraction, loaded: Loaded,
                   index: int) -> list[tuple[str, str]]:
    policy = tier.policy_words
    file_tier = loaded.topology.tiers[index]
    if tier.nodes is None:
        return [("no-declared-count", f"tier '{tier.name}' declares no node count; add "
                 f"{_advice(file_tier, tier.nodes_required, tier.standby_required, loaded)} "
                 f"({policy} at the planning peak)")]
    assessment = tier.assessment
    runway = assessment.runway_months
    if not assessment.holds or not tier.covered:
        return [("policy-not-held", f"tier '{tier.name}' fails {policy}: {tier.why}; "
                 f"{_needs(tier, file_tier, loaded, index)}")]
    if runway is not None and runway < tier.min_runway_months:
        wanted = _nodes_for_runway(loaded, index, tier)
        return [("runway-too-short", f"tier '{tier.name}' runs out in {runway:.1f} months at "
                 f"{float(growth):.1%} growth a month; min_runway_months is "
                 f"{float(tier.min_runway_months):g}: {wanted} (has {tier.nodes})")]
    findings = []
    if runway is not None and runway < RUNWAY_WARNING_MONTHS:
        binds = "" if tier.binding in (None, "failures") else f" ({tier.binding} binds first)"
        findings.append(("runway-warning", f"tier '{tier.name}' runs out in {runway:.1f} "
                         f"months{binds}; plan "
                         f"{_advice(file_tier, tier.nodes_required, tier.standby_required, loaded)}"
                         " for the horizon"))
    if tier.nodes > OVERSIZED_FACTOR * tier.nodes_required:
        findings.append(("oversized", f"tier '{tier.name}' declares {tier.nodes} nodes, more "
                         f"than {OVERSIZED_FACTOR}x the {tier.nodes_required} it needs for "
                         f"{policy} at the planning peak"))
    return findings


def _advice(file_tier: Tier, nodes: int, standby: int | None, loaded: Loaded) -> str:
    """'nodes: 8', or 'nodes: 8 and standby: 4' where the file's standby would not do.

    Advice is pasted back into the file, so it names every key the count depends on.
    """
    choice = getattr(file_tier, "_chosen", None)
    # A tier of node types takes its count as a mix, the one form it accepts.
    count = f"nodes: {mix_text(choice.required.mix)}" if choice is not None \
        else f"nodes: {nodes}"
    if standby is None:
        return count
    policy = loaded.topology.policy
    implied = file_tier.standby if file_tier.standby is not None \
        else failures_of(file_tier, policy)
    return count if standby == implied else f"{count} and standby: {standby}"


def mix_text(mix: dict[str, int]) -> str:
    """``{large: 4, small: 1}``: a mix as the file writes it (types by name)."""
    return "{" + ", ".join(f"{name}: {count}" for name, count in sorted(mix.items())
                           if count) + "}"


def _needs(tier: TierPlan, file_tier: Tier, loaded: Loaded, index: int) -> str:
    """What holds instead of the declared count, as valid input.

    Holding is not always monotone in the count (a ring over zones), so a count above the
    smallest that holds may still fail: then the nearest counts that hold are named.
    """
    assert tier.nodes is not None
    required = tier.nodes_required_now
    advice = _advice(file_tier, required, tier.standby_required_now, loaded)
    if tier.choice is not None:
        has = mix_text(tier.choice.declared or {tier.node_type: tier.nodes})
        return (f"the cheapest fleet that holds is {mix_text(tier.choice.required.mix)} "
                f"(cost {float(tier.cost_required):,.6g}; has {has}, cost "
                f"{float(tier.cost):,.6g}): "
                f"set {advice}")
    if tier.nodes <= required or not tier.covered:
        return f"needs {required} nodes (has {tier.nodes}): set {advice}"
    if tier.standby is not None:
        # Enough nodes: what fails is the standbys the file gives them.
        return (f"{tier.nodes} nodes with standby: {tier.standby} do not hold, "
                f"{required} with standby: {tier.standby_required_now} do: set {advice}")
    topology = loaded.topology
    shape = TierShape.of(file_tier, topology, index)

    def holds(count: int) -> bool:
        return shape.assess(shape.declared, count, tier.demand, Fraction(0),
                            tier.cascade_demand).holds

    reach = 4 * tier.zones + 8  # past the seam, every remainder recurs within a few periods
    below = next((count for count in range(tier.nodes - 1, max(required, tier.nodes - reach), -1)
                  if holds(count)), required)
    above = next((count for count in range(tier.nodes + 1, tier.nodes + reach)
                  if holds(count)), None)
    nearest = f"{below} and {above} hold" if above is not None else f"{below} holds"
    fewest = "" if below == required else f" (the fewest that hold: {required})"
    return f"{tier.nodes} nodes fail where {nearest}{fewest}: use {advice}"


def _nodes_for_runway(loaded: Loaded, index: int, tier: TierPlan) -> str:
    """Advice that lasts min_runway_months of growth, or why no count does.

    'nodes: 9', with the standbys it needs where the file's would not do.
    """
    from capplan.schemes import Unattainable

    topology = loaded.topology
    shape = TierShape.of(topology.tiers[index], topology, index)
    factor = flow.grown(topology.traffic.growth, tier.min_runway_months)
    cascade = None if tier.cascade_demand is None else flow.tame(tier.cascade_demand * factor)
    try:
        count = shape.required(flow.tame(tier.demand * factor), cascade)
    except Unattainable:
        return "no count up to 1,000,000 nodes lasts that long"
    standby = shape.standby(shape.sized, count)
    return f"{_advice(topology.tiers[index], count, standby, loaded)} lasts that long"


# --- warnings of the input and of the horizon (CAP103, CAP104) ------------------------------

#: A ceiling below this is likelier a slip (0.08 for 80%) than a plan: nodes idle 90% or more.
LOW_UTILIZATION = Fraction(1, 10)
#: 1 Tbit/s a node, beyond any network card: likelier kbit/s or bit/s than Mbit/s.
HIGH_BANDWIDTH_MBPS = 1_000_000
#: A profile's slots are equal shares of a day; whole minutes are what any monitoring gives.
MINUTES_PER_DAY = 24 * 60


def _input_warnings(name: str, loaded: Loaded) -> list[Finding]:
    """Valid values that are likely slips, each at its key's line, saying what to write."""
    found = rule("implausible-value")
    return [Finding(name, *loaded.locate(path), found, f"{_key(path)}: {message}", found.level)
            for path, message in _implausible(loaded.topology)]


def _implausible(topology: Topology) -> list[tuple[Path, str]]:
    from capplan.model import upstreams_by_index

    problems: list[tuple[Path, str]] = []
    ceilings: list[tuple[Path, Fraction | None]] = [
        (("policy", "max_utilization"), topology.policy.max_utilization),
        *((("tiers", index, "max_utilization"), tier.max_utilization)
          for index, tier in enumerate(topology.tiers)),
    ]
    for path, ceiling in ceilings:
        if ceiling is not None and ceiling < LOW_UTILIZATION:
            problems.append((path, f"a ceiling of {_share(ceiling)} sizes every node to idle "
                             f"{_share(1 - ceiling)} of the time; write the ceiling you mean "
                             "as a percentage (e.g. 80%)"))
    profile = topology.traffic.profile
    if profile and MINUTES_PER_DAY % len(profile):
        minutes = MINUTES_PER_DAY / len(profile)
        problems.append((("traffic", "profile"), f"{len(profile)} slots do not split a day "
                         f"into whole minutes ({minutes:.4g} minutes a slot): a value is likely "
                         "missing or extra; give a count that divides 1440, e.g. 24 (hourly), "
                         "48, 96 or 288"))
    names = {tier.name: index for index, tier in enumerate(topology.tiers)}
    upstreams = upstreams_by_index(topology.tiers, names)
    for index, tier in enumerate(topology.tiers):
        here: Path = ("tiers", index)
        if tier.typed:
            continue  # catalogue entries are checked where they are written
        bandwidth = tier.node.bandwidth_mbps
        if bandwidth is not None and bandwidth > HIGH_BANDWIDTH_MBPS:
            problems.append(((*here, "node", "bandwidth_mbps"), f"{float(bandwidth):,.0f} "
                             f"Mbit/s is {float(bandwidth) / 1e6:,.4g} Tbit/s a node; "
                             "bandwidth_mbps is in Mbit/s (a 10 Gbit/s link is 10000)"))
        downstream = [other.name for other, ups in zip(topology.tiers, upstreams, strict=True)
                      if index in ups]
        if tier.hit_ratio == 1 and downstream:
            problems.append(((*here, "hit_ratio"), f"100% answers every request at "
                             f"'{tier.name}', so no request reaches {_names(downstream)} "
                             "downstream; write the hit ratio the cache really has "
                             "(e.g. 95%)"))
        mtbf, mttr = tier.node.mtbf_hours, tier.node.mttr_hours
        if mtbf is not None and mttr is not None and mttr > mtbf:
            problems.append(((*here, "node", "mttr_hours"), f"{float(mttr):g} hours to repair "
                             f"is more than the {float(mtbf):g} hours between failures: each "
                             f"node is down {_share(mttr / (mtbf + mttr))} of the time; are "
                             "mtbf_hours and mttr_hours swapped?"))
    return problems


def _horizon_warnings(name: str, loaded: Loaded, tiers: Iterable[TierPlan]) -> list[Finding]:
    """Declared tiers that hold now but run out before horizon_months, with the count that lasts.

    A runway shorter than min_runway_months (CAP004) or under RUNWAY_WARNING_MONTHS (CAP101)
    is said by those rules already; a tier that fails now needs nodes today, not by then.
    """
    horizon = loaded.topology.traffic.horizon_months
    found = rule("runway-before-horizon")
    findings = []
    for index, tier in enumerate(tiers):
        runway = tier.assessment.runway_months
        if tier.nodes is None or not tier.ok or runway is None \
                or runway >= horizon or tier.nodes_required == tier.nodes \
                or runway < tier.min_runway_months or runway < RUNWAY_WARNING_MONTHS:
            continue
        message = (f"tier '{tier.name}' runs out in {runway:.1f} months, before the "
                   f"{float(horizon):g}-month horizon: {tier.nodes_required} nodes last to the "
                   f"horizon (has {tier.nodes})")
        findings.append(Finding(name, *loaded.locate(("tiers", index)), found, message,
                                found.level))
    return findings


def _key(path: Path) -> str:
    """('tiers', 2, 'node', 'mttr_hours') → 'tiers[2].node.mttr_hours', as the loader says."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _share(value: Fraction) -> str:
    return f"{float(value) * 100:.4g}%"


def _names(names: list[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
