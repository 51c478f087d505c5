"""The library: everything a command does, as a function returning a typed result.

Each function is the computation behind one command, without the parsing and printing:
``capplan.plan(capplan.load("site.yaml")).to_dict()`` is the document that
``capplan plan site.yaml --format json`` prints. Every refusal is a
:class:`~capplan.errors.CapplanError`: :class:`~capplan.errors.InvalidInput` for a topology
that does not validate, :class:`~capplan.errors.Unattainable` for a policy no count meets,
:class:`~capplan.errors.InvalidArgument` for an argument the command line would call a
usage error.

Heavy modules (pydantic, the planner) are imported inside the functions, so that
``import capplan`` stays cheap for the command line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Literal, overload

from capplan.errors import CapplanError, InvalidArgument, did_you_mean

if TYPE_CHECKING:
    from capplan.diff import Diff
    from capplan.export import Export
    from capplan.failover import Failover, Ranking
    from capplan.findings import CheckResult
    from capplan.fit import Fit
    from capplan.model import Topology
    from capplan.observe import Observation
    from capplan.results import Comparisons, Plan, Sizing

#: Draws of uncertain inputs that ``plan`` and ``compare`` accept, as the command line does.
MIN_SIMULATIONS, MAX_SIMULATIONS = 100, 1_000_000

Number = int | float | str | Fraction
"""A number as capplan reads one: ``1200``, ``1.2e3``, ``"1.2k"``, ``"80%"`` (ratios)."""


def load(source: str | bytes | os.PathLike[str], *, text: bool = False) -> Topology:
    """The topology in the file *source*, or in the YAML text *source* with ``text=True``.

    Raises InvalidInput with every problem, located (``site.yaml:12:5: …``; text is named
    ``<string>``), as ``capplan check`` reports them.
    """
    from capplan.loader import load_file, load_text

    if text:
        if not isinstance(source, str | bytes):
            raise InvalidArgument("text=True takes the YAML text itself (str or bytes), not "
                                  f"a {type(source).__name__}")
        return load_text(source).topology
    if isinstance(source, bytes):
        raise InvalidArgument("bytes are YAML text: pass text=True, or give a path")
    return load_file(source).topology


def plan(topology: Topology, *, simulations: int = 10_000, seed: int = 0) -> Plan:
    """Every tier's node count for N+k at peak, its utilization, headroom and runway.

    *simulations* and *seed* drive the draws of ``{low, high}`` ranges: the same seed, the
    same plan. Raises Unattainable (with the tier's key path) when no count holds a policy.
    """
    from capplan.sizing import plan as make_plan

    _check_draws(simulations, seed)
    return make_plan(_topology(topology), simulations=simulations, seed=seed)


def size(
    peak: Number,
    capacity: Number,
    *,
    redundancy: str = "pool",
    failures: int = 1,
    max_utilization: Number = 1,
    spread: int | None = None,
    standby: int | None = None,
) -> Sizing:
    """How many nodes one tier needs for *peak* requests/second, without a file.

    Numbers are read as in a file (``"1.2k"``, ``"80%"``). *spread* applies to rings,
    *standby* to active-passive (default: *failures*).
    """
    from capplan.registry import SCHEMES
    from capplan.sizing import size as size_tier

    if redundancy not in SCHEMES:
        raise InvalidArgument(f"redundancy: '{redundancy}' is not one of "
                              f"{', '.join(SCHEMES)}{did_you_mean(redundancy, list(SCHEMES))}")
    _whole("failures", failures, low=0)
    if spread is not None:
        _whole("spread", spread, low=1)
        if "spread" not in SCHEMES[redundancy].keys:
            raise InvalidArgument(f"spread applies only to redundancy='ring' (got "
                                  f"'{redundancy}')")
    if standby is not None:
        _whole("standby", standby, low=0)
        if "standby" not in SCHEMES[redundancy].keys:
            raise InvalidArgument(f"standby applies only to redundancy='active-passive' (got "
                                  f"'{redundancy}')")
        if standby < failures:
            # Answering with more standbys than asked would answer another question.
            raise InvalidArgument(f"standby {standby} is below failures {failures}: a failed "
                                  "active node's share would have no standby to take it")
    ceiling = _number("max_utilization", max_utilization, percent=True)
    if ceiling > 1:
        raise InvalidArgument("max_utilization: must be at most 100% (e.g. 80%)")
    return size_tier(redundancy, _number("peak", peak), _number("capacity", capacity),
                     failures=failures, max_utilization=ceiling, spread=spread or 1,
                     standby=standby)


#: How this library's callers write failover's arguments, for the messages about them.
PARAMETER_SPELLING = {"fail": "fail", "fail_zones": "fail_zones", "failures": "failures",
                      "zone_failures": "zone_failures", "every": "every",
                      "every_on": "every=True"}


def check_failover_question(named: bool, failures: int | None, zone_failures: int | None,
                            every: bool, spelling: dict[str, str] = PARAMETER_SPELLING) -> None:
    """Refuse a failover question that asks two things at once, in the caller's words.

    The command line passes its option names (``--fail``, ``--all``) as *spelling*.
    """
    if named and (failures is not None or zone_failures is not None or every):
        raise InvalidArgument(
            f"name a failure set ({spelling['fail']}, {spelling['fail_zones']}) or ask for "
            f"the worst ({spelling['failures']}, {spelling['zone_failures']}, "
            f"{spelling['every']}), not both")
    if every and zone_failures is not None:
        raise InvalidArgument(f"{spelling['every_on']} ranks node failure sets; drop "
                              f"{spelling['zone_failures']}")


@overload
def failover(topology: Topology, tier: str, *, fail: Iterable[str] | str | None = None,
             fail_zones: Iterable[int | str] | str | None = None, failures: int | None = None,
             zone_failures: int | None = None, nodes: int | None = None,
             every: Literal[False] = False) -> Failover: ...


@overload
def failover(topology: Topology, tier: str, *, fail: None = None, fail_zones: None = None,
             failures: int | None = None, zone_failures: None = None,
             nodes: int | None = None, every: Literal[True]) -> Ranking: ...


@overload
def failover(topology: Topology, tier: str, *, fail: Iterable[str] | str | None = None,
             fail_zones: Iterable[int | str] | str | None = None, failures: int | None = None,
             zone_failures: int | None = None, nodes: int | None = None,
             every: bool = False) -> Failover | Ranking: ...


def failover(
    topology: Topology,
    tier: str,
    *,
    fail: Iterable[str] | str | None = None,
    fail_zones: Iterable[int | str] | str | None = None,
    failures: int | None = None,
    zone_failures: int | None = None,
    nodes: int | None = None,
    every: bool = False,
) -> Failover | Ranking:
    """Every node's load in *tier* after named nodes (``fail=["web-1"]``) or zones fail.

    With nothing named: the worst set of *failures* nodes (default: the tier's own), or the
    worst loss of *zone_failures* zones. ``every=True`` ranks every set of 1 to k failed
    nodes instead (a :class:`~capplan.failover.Ranking`). *nodes* pretends the tier has that
    many (default: as declared, else as required). Names may be one comma-separated string.
    UnknownName lists the names that exist.
    """
    from capplan.failover import failover as fail_over
    from capplan.failover import rank_failure_sets

    check_failover_question(fail is not None or fail_zones is not None, failures,
                            zone_failures, every)
    for name, value, low in (("failures", failures, 0), ("zone_failures", zone_failures, 1),
                             ("nodes", nodes, 1)):
        if value is not None:
            _whole(name, value, low=low)
    topology = _topology(topology)
    try:
        if every:
            return rank_failure_sets(topology, tier, failures=failures, nodes=nodes)
        return fail_over(topology, tier, fail=_names(fail), fail_zones=_names(fail_zones),
                         failures=failures, zone_failures=zone_failures, nodes=nodes)
    except ValueError as error:
        # The questions a topology cannot answer (too few nodes, too many lost zones) are
        # plain ValueErrors in the engine; the command line calls them usage errors too.
        if isinstance(error, CapplanError):
            raise
        raise InvalidArgument(str(error)) from error


def compare(topology: Topology, *, simulations: int = 10_000, seed: int = 0) -> Comparisons:
    """Every tier's nodes and cost under each scheme, at the planning peak."""
    from capplan.results import Comparisons
    from capplan.sizing import compare as compare_schemes

    _check_draws(simulations, seed)
    return Comparisons(compare_schemes(_topology(topology), simulations=simulations,
                                       seed=seed))


def export(topology: Topology, to: str, *, counts: Literal["required", "declared"] | None = None,
           metric: str | None = None) -> Export:
    """Node counts for provisioning: the file ``capplan export --to`` writes, and its notes.

    *to* is a target (``ansible``, ``terraform``, ``kubernetes``, ``prometheus``). Without
    *counts*, each target uses the count chosen for the operator's safety (an alert the
    declared nodes, provisioning ``nodes_required``); ``.notes`` says which, as the command
    does on stderr. *metric* (prometheus only) is the PromQL of a tier's request rate, with
    ``{tier}`` for its name. Raises InvalidArgument for an unknown target, ``declared``
    counts a tier lacks, or a tier name the target's consumer cannot take.
    """
    from capplan import render
    from capplan.export import Export, counts_notes, default_counts, export_tiers
    from capplan.render.provision import DEFAULT_METRIC

    if to not in render.TARGETS:
        raise InvalidArgument(f"unknown export target '{to}': use one of "
                              f"{', '.join(render.TARGETS)}"
                              f"{did_you_mean(to, list(render.TARGETS))}")
    if metric is not None and to != "prometheus":
        raise InvalidArgument("--metric applies only to --to prometheus")
    chosen, fallback = default_counts(to) if counts is None else (counts, False)
    rows = tuple(export_tiers(_topology(topology), chosen, fallback=fallback))
    write = render.renderer(render.TARGETS[to])
    text = write(topology.site, rows, metric or DEFAULT_METRIC) if to == "prometheus" \
        else write(topology.site, rows)
    return Export(to, chosen, rows, text, tuple(counts_notes(to, rows, chosen)))


def check(*sources: str | os.PathLike[str], strict: bool = False) -> CheckResult:
    """The CI gate over topology files: findings, and ``return_code`` (0, 1 or 2).

    A file that cannot be read or validated is a finding (``CAP001``), not an exception, as
    in ``capplan check``; ``strict=True`` makes warnings fail too. Folders are not searched:
    pass the files (``*Path("sites").glob("*.yaml")``).
    """
    from capplan import gate
    from capplan.loader import load_file

    if not sources:
        # A gate that checked nothing must not pass.
        raise InvalidArgument("check needs at least one file")
    names = list(dict.fromkeys(os.fspath(source) for source in sources))
    return gate.check(names, load_file, strict=strict)


def diff(old: Topology | Plan, new: Topology | Plan, *,
         fail_on: Iterable[str] | str | None = (),
         simulations: int = 10_000, seed: int = 0) -> Diff:
    """What changes from *old* to *new*: each tier's figures before and after, the totals.

    Each side is a topology (planned here with *simulations* and *seed*) or a plan already
    made. *fail_on* holds expressions (``"cost>+5%"``, ``"nodes_required>+2"``,
    ``"status"``); ``.tripped`` lists those the change trips and ``.return_code`` is 1 when
    one does. A malformed expression raises InvalidArgument before anything is planned.
    """
    from capplan.diff import diff_plans, parse_conditions
    from capplan.results import Plan

    conditions = parse_conditions(fail_on)
    before, after = (side if isinstance(side, Plan)
                     else plan(side, simulations=simulations, seed=seed)
                     for side in (old, new))
    return diff_plans(before, after, conditions)


def fit(source: str | os.PathLike[str], *, text: bool = False, x: str | None = None,
        y: str | None = None) -> Fit:
    """The USL fitted to a load-test CSV: the file *source*, or CSV text with ``text=True``.

    *x* and *y* name the columns (default ``concurrency`` or ``nodes``, and
    ``throughput``). ``.to_dict()`` is ``capplan fit --format json``'s document, and
    ``.law`` the exact law a ``scaling: {usl: …}`` tier plans with. Raises InvalidInput,
    located at the row, for a file that cannot be fitted.
    """
    from capplan.fit import fit_file, fit_text

    if text:
        if not isinstance(source, str):
            raise InvalidArgument("text=True takes the CSV text itself (str), not a "
                                  f"{type(source).__name__}")
        return fit_text(source, x=x, y=y)
    return fit_file(source, x=x, y=y)


def observe(source: str | os.PathLike[str], *, prometheus: bool = False,
            quantile: float = 1.0, counter: bool = False) -> Observation:
    """Observed traffic: a CSV series, or a saved Prometheus ``query_range`` response.

    ``.to_dict()`` is ``capplan observe --format json``'s document; its ``traffic`` block
    pastes into a topology. *quantile* (0 < q ≤ 1) is the peak's and each hour's quantile;
    *counter* reads a cumulative ``requests`` column instead of ``rps``.
    """
    from capplan.observe import observe_file

    _share_argument("quantile", quantile)
    return observe_file(os.fspath(source), prometheus=prometheus, q=quantile, counter=counter)


def observe_prometheus(url: str, query: str, *, range: str = "30d",
                       step: str = "5m", quantile: float = 1.0, counter: bool = False,
                       timeout: float = 30.0) -> Observation:
    """Observed traffic from a live Prometheus: *query* over the last *range* every *step*.

    Raises SourceUnavailable when the server cannot be asked or does not answer.
    """
    from capplan.observe import query_prometheus

    _share_argument("quantile", quantile)
    return query_prometheus(url, query, range_text=range, step_text=step, q=quantile,
                            counter=counter, timeout=timeout)


def _share_argument(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0 < value <= 1):
        raise InvalidArgument(f"{name} must be more than 0 and at most 1, not {value!r}")


# --- argument checks -----------------------------------------------------------------------


def _topology(value: object) -> Topology:
    """*value* itself when it is a Topology: a dict here is a slip worth naming."""
    from capplan.model import Topology

    if not isinstance(value, Topology):
        hint = " (validate it first: capplan.Topology.model_validate(data))" \
            if isinstance(value, dict) else ""
        raise InvalidArgument(f"expected a capplan.Topology, got {type(value).__name__}{hint}")
    return value


def _check_draws(simulations: int, seed: int) -> None:
    _whole("simulations", simulations, low=MIN_SIMULATIONS, high=MAX_SIMULATIONS)
    _whole("seed", seed, low=0)


def _whole(name: str, value: object, *, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}: expected a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"at least {low:,}" + ("" if high is None else f" and at most {high:,}")
        raise InvalidArgument(f"{name}: must be {bounds} (got {value:,})")


def _number(name: str, value: object, *, percent: bool = False) -> Fraction:
    """A positive number read as a file's value is; the message names the argument."""
    from capplan.units import NumberError, parse_number

    try:
        number = parse_number(value, percent=percent)
    except NumberError as error:
        raise InvalidArgument(f"{name}: {error}") from None
    if number <= 0:
        raise InvalidArgument(f"{name}: must be more than 0")
    return number


def _names(value: Iterable[int | str] | str | None) -> list[str] | None:
    """'web-1, web-3' or ['web-1', 'web-3'] → ['web-1', 'web-3']; zones may be numbers."""
    if value is None:
        return None
    parts = value.split(",") if isinstance(value, str) else [str(part) for part in value]
    return [part.strip() for part in parts if part.strip()]
