"""The command line: parse → load → compute → render → exit code. The only Typer import."""

# No `from __future__ import annotations` here: Typer would evaluate every parameter's string
# annotation four times per command on each run (about 8 ms); these are evaluated once.
import copy
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeAlias

import typer
from typer.core import TyperGroup

from capplan import __version__, registry, render

# A bad option value is the library's InvalidArgument: one family, one mapping to exit 2.
from capplan.errors import ExitCode as ExitCode  # noqa: PLC0414 (tests import it from here)
from capplan.errors import InvalidArgument as _UsageError

if TYPE_CHECKING:
    from capplan.loader import Loaded
    from capplan.results import Plan

#: Set this to see Python tracebacks instead of one-line errors (for bug reports).
DEBUG_ENV = "CAPPLAN_DEBUG"
BUILTIN_EXAMPLE = Path(__file__).parent / "data" / "blueprint.yaml"
STARTER = Path(__file__).parent / "data" / "starter.yaml"


# The choices come from the registries in capplan.render and capplan.registry: a new
# format, target or scheme is one line there. The type checker sees plain strings; Typer
# sees the enums it lists.
if TYPE_CHECKING:
    Format: TypeAlias = str
    CheckFormat: TypeAlias = str
    DiffFormat: TypeAlias = str
    Target: TypeAlias = str
    Redundancy: TypeAlias = str
else:
    Redundancy = StrEnum("Redundancy", {name.replace("-", "_"): name
                                        for name in registry.SCHEMES})
    Format = StrEnum("Format", {name: name for name in ("table", *render.DOCUMENT_FORMATS)})
    CheckFormat = StrEnum("CheckFormat", {name: name for name in render.CHECK_FORMATS})
    DiffFormat = StrEnum("DiffFormat", {name: name for name in render.DIFF_FORMATS})
    Target = StrEnum("Target", {name: name for name in render.TARGETS})
#: The default --format: the enum member Typer expects, a string to the type checker.
TABLE: Format = Format("table")
#: The default --redundancy, likewise.
POOL: Redundancy = Redundancy("pool")
#: diff's default --format, likewise.
DIFF_TABLE: DiffFormat = DiffFormat("table")


class DataFormat(StrEnum):
    """Formats of documents that only machines read."""

    json = "json"
    yaml = "yaml"


class CountsChoice(StrEnum):
    """Which counts ``export`` provisions."""

    required = "required"
    declared = "declared"


class _OneLineErrors(TyperGroup):
    """Typer's command group, with click's usage errors on one line like every capplan error.

    Both places where click parses (the root options, then the command's) are wrapped, so
    the console script, ``python -m capplan`` and in-process runners print the same line.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> Any:
        with _one_line_usage_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _one_line_usage_errors():
            return super().invoke(ctx)


app = typer.Typer(
    name="capplan",
    cls=_OneLineErrors,
    help="Capacity planning: how many nodes each tier needs to carry peak load when nodes fail.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
# A string, not a Path: Path("./-") is "-", and only "-" itself means standard output.
OutputOption = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write here (atomically) instead of standard output "
                                        "('-': standard output).", show_default=False),
]


# The draws of uncertain inputs: plan and diff plan alike, so they take the same options.
SimulationsOption = Annotated[int, typer.Option(
    min=100, max=1_000_000, help="Draws of uncertain inputs ({low, high} ranges).")]
SeedOption = Annotated[int, typer.Option(
    min=0, help="Seed for those draws: the same seed, the same plan.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"capplan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Show the version and exit.")
    ] = False,
) -> None:
    """Capacity planning for multi-tier sites: node counts that survive failures at peak."""


@app.command()
def plan(
    file: Annotated[
        str | None,
        typer.Argument(help="Topology YAML file ('-' reads standard input). "
                            "Default: the built-in example.", show_default=False),
    ] = None,
    output_format: FormatOption = TABLE,
    output: OutputOption = None,
    simulations: SimulationsOption = 10_000,
    seed: SeedOption = 0,
) -> None:
    """Plan every tier: node counts for N+k at peak, utilization, headroom and runway.

    Example: capplan plan examples/blueprint.yaml --format json
    """
    from capplan import api

    with _errors_exit():
        if file is None:
            _note(f"no FILE given: planning the built-in example ({BUILTIN_EXAMPLE.name}, "
                  "also examples/blueprint.yaml)")
        loaded = _load(file)
        with _planning(loaded):
            # The command is one client of the library: the document is the result's own.
            document = api.plan(loaded.topology, simulations=simulations, seed=seed).to_dict()
        text = _render(document, output_format, table=_table("plan_table"))
        _emit(text, output, inputs=[file] if file not in (None, "-") else [])


@app.command()
def size(
    peak: Annotated[str | None, typer.Option(help="Peak requests/second, e.g. 1200 or 1.2k.",
                                             show_default=False)] = None,
    capacity: Annotated[str, typer.Option(help="Requests/second one node carries.",
                                          show_default=False)] = "",
    redundancy: Annotated[Redundancy, typer.Option(help="Redundancy scheme.")] = POOL,
    failures: Annotated[int, typer.Option(min=0, help="N+k: survive any k failures.")] = 1,
    max_utilization: Annotated[str, typer.Option(
        help="Ceiling per surviving node, e.g. 80%.")] = "100%",
    spread: Annotated[int | None, typer.Option(
        min=1, help="ring: survivors sharing a failed node's load. \\[default: 1]",
        show_default=False)] = None,
    standby: Annotated[int | None, typer.Option(
        min=0, help="active-passive: idle standby nodes. \\[default: --failures]",
        show_default=False)] = None,
    daily: Annotated[str | None, typer.Option(help="Requests per day (instead of --peak).",
                                              show_default=False)] = None,
    peak_to_average: Annotated[str | None, typer.Option(
        help="Peak rate / average rate, with --daily.", show_default=False)] = None,
    output_format: FormatOption = TABLE,
    output: OutputOption = None,
) -> None:
    """Size one tier without a file: how many nodes for this peak under this policy.

    Example: capplan size --peak 2000 --capacity 1000 --redundancy ring --failures 1
    """
    from capplan.results import size_document
    from capplan.schemes import Unattainable
    from capplan.sizing import size as size_tier

    with _errors_exit():
        # As in a file: an option of another scheme is refused, never silently ignored.
        chosen = str(redundancy)
        for key, value in (("spread", spread), ("standby", standby)):
            owners = [name for name, entry in registry.SCHEMES.items() if key in entry.keys]
            if value is not None and chosen not in owners:
                raise _UsageError(f"--{key} applies only to --redundancy "
                                  f"{' or '.join(owners)} (got {chosen})")
        if standby is not None and standby < failures:
            # Answering with more standbys than asked would answer another question.
            raise _UsageError(f"--standby {standby} is below --failures {failures}: a failed "
                              f"active node's share would have no standby to take it; use "
                              f"--standby {failures} or more, or --failures {standby}")
        demand = _demand_option(peak, daily, peak_to_average)
        node_capacity = _number_option("--capacity", capacity, positive=True)
        utilization = _number_option("--max-utilization", max_utilization, positive=True,
                                     percent=True, at_most=Fraction(1))
        try:
            sizing = size_tier(chosen, demand, node_capacity, failures=failures,
                               max_utilization=utilization, spread=spread or 1,
                               standby=standby)
        except Unattainable as error:
            raise _UsageError(str(error)) from None
        text = _render(size_document(sizing), output_format, table=_table("size_table"))
        _emit(text, output, inputs=[])


#: failover's options as the command line spells them, for the messages about them.
FAILOVER_OPTIONS = {"fail": "--fail", "fail_zones": "--fail-zone", "failures": "--failures",
                    "zone_failures": "--zone-failures", "every": "--all", "every_on": "--all"}


@app.command()
def failover(
    file: Annotated[str, typer.Argument(help="Topology YAML file ('-' reads standard input).",
                                        show_default=False)],
    tier: Annotated[str, typer.Option("--tier", "-t", help="The tier to fail nodes in.",
                                      show_default=False)],
    fail: Annotated[str | None, typer.Option(
        help="Nodes to fail, comma-separated: web-1,web-3.", show_default=False)] = None,
    fail_zone: Annotated[str | None, typer.Option(
        "--fail-zone", help="Whole zones to fail, comma-separated numbers: 1,2.",
        show_default=False)] = None,
    failures: Annotated[int | None, typer.Option(
        min=0, help="Show the worst set of K failed nodes. \\[default: the tier's failures]",
        show_default=False)] = None,
    zone_failures: Annotated[int | None, typer.Option(
        min=1, help="Show the worst loss of Z whole zones instead.", show_default=False)] = None,
    nodes: Annotated[int | None, typer.Option(
        min=1, help="Pretend the tier has N nodes. \\[default: declared, else required]",
        show_default=False)] = None,
    every: Annotated[bool, typer.Option(
        "--all", help="Rank every set of 1 to K failed nodes, worst first (small tiers).")]
    = False,
    output_format: FormatOption = TABLE,
    output: OutputOption = None,
) -> None:
    """Show every node's load after a failure: named nodes or zones, or the worst set.

    One bar per node against max_utilization, and the share of demand shed.

    Example: capplan failover examples/blueprint.yaml --tier web --fail web-1
    """
    from capplan import api

    with _errors_exit():
        api.check_failover_question(fail is not None or fail_zone is not None, failures,
                                    zone_failures, every, spelling=FAILOVER_OPTIONS)
        loaded = _load(file)
        with _question_errors(), _planning(loaded):
            result = api.failover(loaded.topology, tier, fail=_names(fail),
                                  fail_zones=_names(fail_zone), failures=failures,
                                  zone_failures=zone_failures, nodes=nodes, every=every)
        from capplan.failover import Failover, failover_document

        # The one-row-per-node list stays lazy: rendered row by row (a million nodes).
        document = failover_document(result) if isinstance(result, Failover) \
            else result.to_dict()
        table = _table("ranking_table" if every else "failover_table")
        _emit(_render(document, output_format, table=table), output, inputs=[file])


@app.command()
def compare(
    file: Annotated[str, typer.Argument(help="Topology YAML file ('-' reads standard input).",
                                        show_default=False)],
    output_format: FormatOption = TABLE,
    output: OutputOption = None,
) -> None:
    """Compare pool, ring and active-passive: nodes and cost per tier at the planning peak.

    Example: capplan compare examples/blueprint.yaml
    """
    from capplan import api

    with _errors_exit():
        loaded = _load(file)
        with _planning(loaded):
            document = api.compare(loaded.topology).to_dict()
        _emit(_render(document, output_format, table=_table("compare_table")), output,
              inputs=[file])


@app.command()
def check(
    files: Annotated[list[str], typer.Argument(
        help="Topology YAML files, or folders to search for *.yaml and *.yml ('-' reads "
             "standard input).", show_default=False)],
    output_format: Annotated[CheckFormat | None, typer.Option(
        "--format", "-f", case_sensitive=False, show_default=False,
        help="text, json, github (workflow annotations) or sarif. \\[default: github when "
             "GITHUB_ACTIONS=true, else text]")] = None,
    strict: Annotated[bool, typer.Option(
        help="Fail on warnings too (runway under 3 months, over twice the nodes needed).")]
    = False,
    output: OutputOption = None,
) -> None:
    """The CI gate: exit 0 when every tier holds its policy, 1 when one doesn't, 2 on bad input.

    One line per finding at the line where the tier starts, saying what to change.

    Example: capplan check sites/*.yaml --format github
    """
    from capplan import gate

    chosen = str(output_format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true"
                                   else "text"))
    with _errors_exit():
        checked = _topology_files(files)
        with _stray_output_to_stderr():
            result = gate.check(checked, _load, strict=strict)
        _emit(render.renderer(render.CHECK_FORMATS[chosen])(result), output,
              inputs=list(checked))
    raise typer.Exit(result.return_code)


@app.command()
def diff(
    old: Annotated[str, typer.Argument(
        help="The topology before: a file, '-' (standard input) or git:REF:PATH (as "
             "'git show REF:PATH' prints it).", show_default=False)],
    new: Annotated[str, typer.Argument(
        help="The topology after, in the same forms.", show_default=False)],
    fail_on: Annotated[list[str] | None, typer.Option(
        "--fail-on", help="Exit 1 when the change trips this (repeatable): a total's rise "
                          "past a bound (cost>+5%, cost>+1000, nodes_required>+2; KEY is "
                          "nodes, nodes_required, cost or cost_required), its fall (nodes<-2, "
                          "cost<-10%), or status (a tier goes from ok to not ok).",
        show_default=False)] = None,
    output_format: Annotated[DiffFormat, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="table, json, yaml, markdown (a pull-request comment) or github (workflow "
             "annotations).")] = DIFF_TABLE,
    output: OutputOption = None,
    simulations: SimulationsOption = 10_000,
    seed: SeedOption = 0,
) -> None:
    """Compare two versions of a topology: each tier's plan before and after, and the totals.

    Exit 0, or 1 when a --fail-on expression trips (a change alone fails nothing), 2 on bad input.

    Example: capplan diff git:main:site.yaml site.yaml --fail-on 'cost>+5%' --fail-on status
    """
    from capplan import api
    from capplan.diff import parse_conditions
    from capplan.revisions import is_revision

    with _errors_exit():
        # A slip in an expression is refused before anything is read or planned.
        parse_conditions(fail_on or (), option="--fail-on")
        if old == new == "-":
            raise _UsageError("only one of OLD and NEW can read standard input")
        before, after = _each_or_every_problem(_load, [old, new])

        def planned(loaded: "Loaded") -> "Plan":
            with _planning(loaded):
                return api.plan(loaded.topology, simulations=simulations, seed=seed)

        result = api.diff(*_each_or_every_problem(planned, [before, after]),
                          fail_on=fail_on or ())
        lines = {tier.name: after.locate(("tiers", index))[0]
                 for index, tier in enumerate(after.topology.tiers)}
        result = result.located(before.filename, after.filename, lines)
        text = render.renderer(render.DIFF_FORMATS[str(output_format)])(result)
        _emit(text, output, inputs=[name for name in (old, new)
                                    if name != "-" and not is_revision(name)])
    raise typer.Exit(result.return_code)


@app.command()
def export(
    file: Annotated[str, typer.Argument(help="Topology YAML file ('-' reads standard input).",
                                        show_default=False)],
    to: Annotated[Target, typer.Option("--to", case_sensitive=False, show_default=False,
                                       help="ansible, terraform, kubernetes or prometheus.")],
    counts: Annotated[CountsChoice | None, typer.Option(
        case_sensitive=False, show_default=False,
        help="Node counts to use: required at the planning peak, or as declared. "
             "\\[default: declared for prometheus (required where a tier declares none), "
             "required for the others]")] = None,
    metric: Annotated[str | None, typer.Option(
        help="prometheus: PromQL for a tier's request rate; {tier} becomes its name. "
             "\\[default: sum(rate(http_requests_total{job=\"{tier}\"}[5m]))]",
        show_default=False)] = None,
    output: OutputOption = None,
) -> None:
    """Write node counts for provisioning: Ansible, Terraform, Kubernetes or Prometheus.

    Example: capplan export examples/blueprint.yaml --to terraform -o capplan.auto.tfvars.json
    """
    from capplan import api
    from capplan.loader import InvalidInput, Problem
    from capplan.render.provision import UnfitName

    with _errors_exit():
        loaded = _load(file)
        try:
            with _planning(loaded):
                result = api.export(loaded.topology, str(to),
                                    counts=None if counts is None else counts.value,
                                    metric=metric)
        except UnfitName as error:
            # The file is valid, but this consumer cannot take the name: point at it.
            line, column = loaded.locate(("tiers", error.index, "name"))
            raise InvalidInput([Problem(loaded.filename, line, column,
                                        f"{to}: {error}")]) from None
        _emit(result.text, output, inputs=[file])
        for note in result.notes:
            _note(note)


@app.command()
def fit(
    file: Annotated[str, typer.Argument(
        help="Load-test CSV with a header: one row per measurement ('-' reads standard "
             "input).", show_default=False)],
    x: Annotated[str | None, typer.Option(
        "--x", help="Column of the concurrency N (nodes, users, threads). "
                    "\\[default: concurrency, else nodes]", show_default=False)] = None,
    y: Annotated[str, typer.Option("--y", help="Column of the throughput X(N), e.g. rps.")]
    = "throughput",
    output_format: FormatOption = TABLE,
    output: OutputOption = None,
    into: Annotated[Path | None, typer.Option(
        "--into", help="Set the scaling: of --tier in this topology file instead of "
                       "printing; every other line and comment is kept.", dir_okay=False,
        show_default=False)] = None,
    tier: Annotated[str | None, typer.Option(
        "--tier", help="With --into: the pool tier whose scaling: is set.",
        show_default=False)] = None,
) -> None:
    """Fit the Universal Scalability Law to load-test measurements: σ, κ, λ and the peak.

    Prints the coefficients ± standard errors, r², the peak and a block for a tier.

    With --into FILE --tier NAME it prints nothing and edits FILE instead: that tier gets
    scaling: {usl: {sigma, kappa, lambda}} (7 significant digits, as the table's paste;
    one already there is replaced), and loses the node keys scaling excludes
    (capacity_rps, workers, service_ms), each named on stderr. Every other byte of FILE
    is kept (comments, order, quoting, line ends); comments inside a replaced scaling:
    go. FILE must be a valid topology before and after; on any failure it is left
    untouched (exit 2).

    Example: capplan fit loadtest.csv --x users --y rps

    Example: capplan fit loadtest.csv --into site.yaml --tier app
    """
    from capplan.fit import fit_file, fit_stream

    def table(document: dict[str, object]) -> str:
        from capplan.render.fit_table import fit_table

        return fit_table(document)

    with _errors_exit():
        if into is not None:
            from capplan import edit

            if tier is None:
                raise _UsageError("--into needs --tier NAME: the pool tier whose scaling "
                                  "to set")
            # A file that cannot take the result is refused before any fitting.
            edit.check_target(into, with_output=output is not None, tier=tier)
        elif tier is not None:
            raise _UsageError("--tier applies only with --into FILE")
        result = fit_stream(sys.stdin, "<stdin>", x=x, y=y) if file == "-" \
            else fit_file(file, x=x, y=y)
        if into is None or tier is None:
            _emit(_render(result.to_dict(), output_format, table=table), output,
                  inputs=[file] if file != "-" else [])
            return
        usl = edit.usl_text({"sigma": result.sigma, "kappa": result.kappa,
                             "lambda": result.lam})
        for note in result.notes:
            _note(note)
        for line in edit.update_file(into, lambda source, name: edit.set_scaling(
                source, tier, usl, name)):
            _note(line)


@app.command()
def schema(
    output_format: Annotated[DataFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="Output format.")] = DataFormat.json,
    output: OutputOption = None,
) -> None:
    """Print the topology file's JSON Schema (draft-07), for editors and validators.

    Then start a topology file with '# yaml-language-server: $schema=capplan.schema.json'.

    Example: capplan schema -o capplan.schema.json
    """
    from capplan.render import data
    from capplan.render.schema import topology_schema

    with _errors_exit():
        document = topology_schema()
        text = data.to_yaml(document) if output_format is DataFormat.yaml \
            else data.to_json(document)
        _emit(text, output, inputs=[])


@app.command()
def init(
    path: Annotated[str, typer.Argument(help="Where to write it ('-' prints it).")]
    = "capplan.yaml",
) -> None:
    """Write a commented example topology to start from; never overwrites a file.

    Example: capplan init my-site.yaml && capplan plan my-site.yaml
    """
    text = STARTER.read_text(encoding="utf-8")
    from capplan.output import write_new, write_standard_output

    with _errors_exit():
        if path == "-":
            write_standard_output(text)
            return
        write_new(path, text)
    _note(f"wrote {path}; next: capplan plan {path}")


#: observe's default --format: its document is a block to paste into a topology.
_YAML: Format = Format("yaml")


@app.command()
def observe(
    file: Annotated[str | None, typer.Argument(
        help="A CSV (timestamp, rps; optional nodes, utilization) or, with --prometheus, a "
             "saved /api/v1/query_range response. Not with --url.", show_default=False)]
    = None,
    prometheus: Annotated[bool, typer.Option(
        "--prometheus", help="FILE is a Prometheus query_range JSON response.")] = False,
    url: Annotated[str | None, typer.Option(
        help="Ask this live Prometheus (e.g. http://prometheus:9090) instead of a FILE.",
        show_default=False)] = None,
    query: Annotated[str | None, typer.Option(
        help="PromQL for the request rate, with --url, e.g. "
             "'sum(rate(http_requests_total[5m]))'.", show_default=False)] = None,
    range_text: Annotated[str, typer.Option(
        "--range", help="With --url: how far back to ask (30d, 12h, 2w).")] = "30d",
    step_text: Annotated[str, typer.Option(
        "--step", help="With --url: seconds between samples (5m, 60s).")] = "5m",
    timeout: Annotated[float, typer.Option(
        min=0.1, help="With --url: seconds to wait for the answer.")] = 30.0,
    quantile_text: Annotated[str, typer.Option(
        "--quantile", help="Quantile taken for peak_rps, each hour's slot and each day's "
                           "peak: 1 = the maximum, 0.99 or 99% to ignore spikes.")] = "1",
    counter: Annotated[bool, typer.Option(
        "--counter", help="The series is a cumulative request counter (CSV column "
                          "'requests'): rate = increase / seconds, a drop is a reset.")]
    = False,
    output_format: Annotated[Format, typer.Option(
        "--format", "-f", case_sensitive=False, help="Output format.")] = _YAML,
    output: OutputOption = None,
    into: Annotated[Path | None, typer.Option(
        "--into", help="Rewrite the traffic: block of this topology file instead of "
                       "printing; every other line and comment is kept.", dir_okay=False,
        show_default=False)] = None,
) -> None:
    """Read observed traffic and print a traffic: block to paste into a topology.

    Keys: samples, days, peak_rps (the --quantile of all samples),
    peak_to_average (max/mean of the profile), growth (a month, from a
    least-squares line through the log of the daily peaks; null under 2
    days), profile (24 UTC hours: each hour's --quantile over the days, rps),
    capacity_rps (per node: rps against nodes x utilization through the
    origin; null without those columns), quantile, notes, and traffic: the
    block a topology accepts as it is (profile, and growth as a percentage).

    Days are UTC days. Timestamps with an offset are converted to UTC; without
    one they are read as UTC (a note says so); plain numbers are Unix seconds.
    Timestamps must increase: a repeated or earlier one is refused with its
    line (sort the file). An hour with no sample on any day takes the larger
    of the nearest observed hours (a note names it). A negative or
    non-numeric value is refused as FILE:LINE:COL (exit 2). A CSV is read
    line by line in bounded memory.

    With --into FILE it prints nothing and edits the topology FILE instead: the
    observed profile and growth replace traffic's peak_rps, daily_requests,
    peak_to_average, profile and growth (growth is removed when the series cannot
    tell it: the plan then assumes 0); horizon_months, request_bytes and
    response_bytes stay as written, and so does every other byte of FILE (comments,
    order, quoting, line ends). Comments on the replaced lines go. FILE must be a
    valid topology before and after; on any failure it is left untouched (exit 2).

    Example: capplan observe traffic.csv --quantile 99% -o traffic.yaml

    Example: capplan observe traffic.csv --into site.yaml
    """
    observing = importlib.import_module("capplan.observe")  # the module, not api.observe

    with _errors_exit():
        if into is not None:
            from capplan import edit

            # A file that cannot take the result is refused before a long read or query.
            edit.check_target(into, with_output=output is not None)
        q = float(_number_option("--quantile", quantile_text, positive=True, percent=True,
                                 at_most=Fraction(1)))
        if url is not None:
            if file is not None or prometheus:
                raise _UsageError("--url asks a live Prometheus: give no FILE and no "
                                  "--prometheus with it")
            if not query:
                raise _UsageError("--url needs --query (e.g. "
                                  "'sum(rate(http_requests_total[5m]))')")
            progress = observing.Progress("asking Prometheus")
            progress.say(f"asking {url} for {range_text} of '{query}' every {step_text}")
            result = observing.query_prometheus(url, query, range_text=range_text,
                                                step_text=step_text, q=q, counter=counter,
                                                timeout=timeout)
            inputs: list[str | None] = []
        else:
            if file is None:
                raise _UsageError("missing argument FILE (or ask a live Prometheus with "
                                  "--url and --query)")
            if query is not None:
                raise _UsageError("--query applies only with --url")
            progress = observing.Progress(f"reading {file}")
            try:
                result = observing.observe_file(file, prometheus=prometheus, q=q,
                                                counter=counter, progress=progress)
            finally:
                progress.done()
            inputs = [file]
        # The table prints its notes itself.
        notes = list(result.notes) if into is not None or output_format != "table" else []
        if into is None:
            document = result.to_dict()
            text = _render(document, output_format, table=_observe_table)
            _emit(text, output, inputs=inputs)
        else:
            traffic = result.traffic_block()
            notes += edit.update_file(into, lambda source, name: edit.replace_traffic(
                source, traffic, name))
        for note in notes:
            _note(note)


def _observe_table(document: dict[str, object]) -> str:
    from capplan.render.observe_table import observe_table

    return observe_table(document)


# --- plumbing ------------------------------------------------------------------------------




def _demand_option(peak: str | None, daily: str | None, ratio: str | None) -> Fraction:
    if (peak is None) == (daily is None):
        raise _UsageError("give exactly one of --peak or --daily")
    if peak is not None:
        return _number_option("--peak", peak, positive=True)
    if ratio is None:
        raise _UsageError("--daily needs --peak-to-average (e.g. 2.5)")
    from capplan.demand import SECONDS_PER_DAY

    daily_requests = _number_option("--daily", daily or "", positive=True)
    factor = _number_option("--peak-to-average", ratio, positive=True)
    if factor < 1:
        raise _UsageError("--peak-to-average must be at least 1 (peak ≥ average)")
    return daily_requests / SECONDS_PER_DAY * factor


def _number_option(name: str, text: str, *, positive: bool, percent: bool = False,
                   at_most: Fraction | None = None) -> Fraction:
    from capplan.units import NumberError, parse_number

    if not text:
        raise _UsageError(f"missing option {name}")
    try:
        value = parse_number(text, percent=percent)
    except NumberError as error:
        raise _UsageError(f"{name}: {error}") from None
    if positive and value <= 0:
        raise _UsageError(f"{name}: must be more than 0")
    if at_most is not None and value > at_most:
        raise _UsageError(f"{name}: must be at most {float(at_most):.0%} (e.g. 80%)"
                          if percent else f"{name}: must be at most {at_most}")
    return value


#: What ``check DIR`` takes for a topology file, as YAML linters do.
YAML_SUFFIXES = (".yaml", ".yml")


def _topology_files(names: list[str]) -> list[str]:
    """Each folder replaced by the YAML files under it; files named are kept as given.

    Folders are searched as linters do (ruff, yamllint): recursively, in sorted order, past
    hidden entries (.git, .venv, .pre-commit-config.yaml are no topologies). A folder with no
    YAML file is a usage error: a gate that checked nothing must not pass.
    """
    found: list[str] = []
    for name in names:
        if name == "-" or not os.path.isdir(name):
            found.append(name)
            continue
        under: list[str] = []
        for folder, subfolders, files in os.walk(name):
            subfolders[:] = [sub for sub in subfolders if not sub.startswith(".")]
            under.extend(os.path.normpath(os.path.join(folder, file)) for file in files
                         if file.endswith(YAML_SUFFIXES) and not file.startswith("."))
        if not under:
            raise _UsageError(f"{name}: no YAML file (*.yaml, *.yml) in this folder or below")
        found.extend(sorted(under, key=lambda path: Path(path).parts))
    # A file named twice, or named and found in a folder, is checked once.
    return list(dict.fromkeys(found))


def _load(file: str | None) -> "Loaded":
    from capplan.loader import load_file, load_text

    if file is None:
        return load_text(BUILTIN_EXAMPLE.read_bytes(), str(BUILTIN_EXAMPLE))
    if file == "-":
        return load_text(sys.stdin.buffer.read(), "<stdin>")
    return load_file(file)


def _each_or_every_problem(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """*function* of each item; where some raise InvalidInput, every problem raised at once.

    ``diff`` reads and plans two files: both files' problems are worth saying in one run.
    """
    from capplan.errors import InvalidInput

    results, problems = [], []
    for item in items:
        try:
            results.append(function(item))
        except InvalidInput as error:
            problems.extend(error.problems)
    if problems:
        raise InvalidInput(problems)
    return results


def _render(document: dict[str, object], output_format: Format,
            table: Callable[[dict[str, object]], str]) -> str:
    if output_format == "table":
        return table(document)
    # Imported only when chosen: a table needs neither the json module nor yaml's emitter.
    text: str = render.renderer(render.DOCUMENT_FORMATS[str(output_format)])(document)
    return text


def _table(name: str) -> Callable[[dict[str, object]], str]:
    """A table renderer from render.table, imported only when a table is asked for."""

    def render(document: dict[str, object]) -> str:
        from capplan.render import table

        renderer: Callable[[dict[str, object]], str] = getattr(table, name)
        return renderer(document)

    return render


def _names(text: str | None) -> list[str] | None:
    """'web-1, web-3' → ['web-1', 'web-3']."""
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


@contextmanager
def _question_errors() -> Iterator[None]:
    """A question the file cannot answer (unknown name, too many sets) is a usage error.

    Exit 2, with the names that do exist.
    """
    from capplan.failover import TooManySets, UnknownName

    try:
        yield
    except (UnknownName, TooManySets, ValueError) as error:
        message = error.args[0] if isinstance(error, UnknownName) else str(error)
        raise _UsageError(message) from None


def _emit(text: str, output: str | None, inputs: list[str | None]) -> None:
    from capplan.output import write_atomically, write_standard_output

    # '-' is standard output, as for every input that takes '-' (and as in kubectl, jq).
    if output is None or output == "-":
        write_standard_output(text)
        return
    write_atomically(output, text, [name for name in inputs if name])


def _note(message: str) -> None:
    typer.echo(f"capplan: {message}", err=True)


@contextmanager
def _planning(loaded: "Loaded") -> Iterator[None]:
    """A policy no tier size can meet is a problem in the file: located at the tier."""
    from capplan.loader import InvalidInput, Problem
    from capplan.schemes import Unattainable

    try:
        with _stray_output_to_stderr():
            yield
    except Unattainable as error:
        raise InvalidInput([Problem(loaded.filename, *loaded.locate(each.path), str(each))
                            for each in error.every()]) from None


@contextmanager
def _stray_output_to_stderr() -> Iterator[None]:
    """While planning, whatever is written to file descriptor 1 goes to stderr instead.

    capplan writes its documents only after planning, but a solver under scipy may print
    to the C-level standard output (HiGHS, ERGO-Code/HiGHS#2783), which would corrupt a
    JSON document a script reads from a pipe. Where the descriptors cannot be swapped
    (closed, or not real files), nothing changes.
    """
    try:
        if sys.stdout is not None:  # None when the shell closed descriptor 1 (1>&-)
            sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        yield
        return
    try:
        os.dup2(2, 1)
    except OSError:
        os.close(saved)
        yield
        return
    loaded_before = set(sys.modules)
    try:
        yield
    finally:
        # Text still buffered (Python's, or C stdio's when descriptor 1 is a pipe) was
        # written during planning: flush it while descriptor 1 is still stderr.
        _flush_standard_output(c_stdio=_may_have_printed_in_c(loaded_before))
        os.dup2(saved, 1)
        os.close(saved)


def _may_have_printed_in_c(loaded_before: set[str]) -> bool:
    """Whether C code that might printf ran while planning.

    That is an extension first imported while planning (numpy, scipy's HiGHS), or a
    library reached through ctypes.
    Asking C stdio to flush means importing ctypes, about 1.3 ms: a tenth of what `plan`
    may add to Typer's start-up, so it is paid only where C code could have printed.
    """
    if "ctypes" in sys.modules:
        return True
    for name in sys.modules.keys() - loaded_before:
        source = getattr(sys.modules[name], "__file__", None) or ""
        if source.endswith((".so", ".pyd")):
            return True
    return False


def _flush_standard_output(*, c_stdio: bool) -> None:
    """Flush Python's sys.stdout and, with *c_stdio*, every C stdio stream (fflush(NULL))."""
    if sys.stdout is not None:
        with suppress(OSError, ValueError):
            sys.stdout.flush()
    if not c_stdio:
        return
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):
        pass  # no C library to ask (a platform without dlopen(NULL)): nothing buffered there


@contextmanager
def _errors_exit() -> Iterator[None]:
    """The one place where capplan's errors become exit codes: located lines and exit 2.

    Every error capplan raises on purpose is a CapplanError; anything else is a bug, and
    main() reports it as an internal error.
    """
    from capplan.errors import CapplanError, InvalidInput

    try:
        yield
    except InvalidInput as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(ExitCode.INVALID) from None
    except (CapplanError, _UsageError) as error:
        _fail(str(error))


#: click's exception classes, wherever this Typer takes click from (newer ones vendor it).
_CLICK_ERRORS = sys.modules[typer.BadParameter.__module__]


@contextmanager
def _one_line_usage_errors() -> Iterator[None]:
    """Click's errors as ``capplan: error: …`` on one line, not a Rich box; usage → exit 2."""
    try:
        yield
    except _CLICK_ERRORS.ClickException as error:
        # `capplan` alone prints the help; click signals that with a usage error.
        if type(error).__name__ == "NoArgsIsHelpError":
            raise
        if not isinstance(error, _CLICK_ERRORS.UsageError):
            typer.echo(f"capplan: error: {_sentence(error.format_message())}", err=True)
            raise typer.Exit(error.exit_code) from None
        _fail(_usage_message(error))


def _usage_message(error: Any) -> str:
    """Click's usage error in capplan's words: the option first, then a did-you-mean."""
    import re

    if isinstance(error, _CLICK_ERRORS.NoSuchOption):
        return f"no such option {error.option_name}{_did_you_mean(error.possibilities or [])}"
    param = getattr(error, "param", None)
    if isinstance(error, _CLICK_ERRORS.MissingParameter) and param is not None:
        if param.param_type_name == "argument":
            return f"missing argument {(param.name or 'value').upper()}"
        return f"missing option {_option_name(param)}"
    if isinstance(error, _CLICK_ERRORS.BadParameter) and param is not None:
        return _bad_parameter_message(error, param)
    command = re.match(r"No such command '(?P<name>.+?)'", error.message)
    if command and error.ctx is not None and hasattr(error.ctx.command, "commands"):
        typed = command.group("name")
        return (f"no such command '{typed}'"
                f"{_did_you_mean(_close(typed, list(error.ctx.command.commands)))}")
    return _sentence(error.format_message())


def _bad_parameter_message(error: Any, param: Any) -> str:
    """'--format: 'csv' is not one of table, json, yaml'; '--failures: … (got -1)'."""
    import re

    name = _option_name(param)
    message = re.sub(r"^Value error, ", "", error.message)
    choices = _choices(param)
    given = re.match(r"(?P<value>'.*') is not one of ", message)
    if choices and given:
        value = given.group("value")
        return (f"{name}: {value} is not one of {', '.join(choices)}"
                f"{_did_you_mean(_close(value.strip(chr(39)).lower(), choices))}")
    got = _bad_input(error)
    shown = f" (got {got!r})" if got is not None and got not in message else ""
    return f"{name}: {_sentence(message)}{shown}"


def _option_name(param: Any) -> str:
    """'--format', the long spelling users read in --help; an argument's name in capitals."""
    if param.param_type_name == "argument":
        return str(param.name or "value").upper()
    spellings = list(param.opts)
    return max(spellings, key=lambda spelling: spelling.startswith("--")) if spellings else \
        str(param.name)


def _choices(param: Any) -> list[str]:
    """The values a choice option takes, as users type them ([] if it is no choice)."""
    from enum import Enum

    # Newer Typer describes a parameter's type itself; older Typer used click's Choice.
    found = (getattr(getattr(param, "type_descriptor", None), "choices", None)
             or getattr(getattr(param, "type", None), "choices", None))
    return [str(choice.value) if isinstance(choice, Enum) else str(choice)
            for choice in found or ()]


def _bad_input(error: Any) -> str | None:
    """The value pydantic refused (newer Typer validates with it), when it says so."""
    errors = getattr(error.__cause__, "errors", None)
    if errors is None:
        return None
    try:
        given = errors()[0].get("input")
    except (IndexError, TypeError, AttributeError):
        return None
    return None if given is None else str(given)


def _close(typed: str, choices: list[str]) -> list[str]:
    from difflib import get_close_matches

    return get_close_matches(typed, choices, n=2)


def _did_you_mean(candidates: list[str]) -> str:
    return f" (did you mean {' or '.join(candidates)}?)" if candidates else ""


def _sentence(text: str) -> str:
    """Click's 'Got unexpected extra argument (b).' as a clause: 'got unexpected … (b)'."""
    text = text.strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def _fail(message: str) -> NoReturn:
    typer.echo(f"capplan: error: {message}", err=True)
    raise typer.Exit(ExitCode.INVALID)


def _app_for(args: list[str]) -> Any:
    """The app, with only the command *args* start with, when they start with one.

    Typer builds every registered command's parameters before parsing (about 2 ms for the
    seven not run); a command line that names its command first needs that one alone. Any
    other (--help, --version, a typo) gets the whole app, for its list and did-you-mean.
    """
    commands = getattr(app, "registered_commands", [])
    chosen = [command for command in commands if args and args[0] == (
        command.name or command.callback.__name__.lower().replace("_", "-"))]
    if len(chosen) != 1:
        return app
    only = copy.copy(app)
    only.registered_commands = chosen
    return only


def main() -> None:
    """Entry point: run the app; an unexpected error is one line, not a traceback."""
    try:
        _app_for(sys.argv[1:])(prog_name="capplan")
    except BrokenPipeError:
        # `capplan plan | head`: the reader left; that is not an error worth a word.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(ExitCode.OK)
    except Exception as error:  # the last guard: users get a line, developers a traceback
        if os.environ.get(DEBUG_ENV):
            raise
        sys.stderr.write(f"capplan: internal error: {type(error).__name__}: {error} "
                         f"(set {DEBUG_ENV}=1 for a traceback)\n")
        sys.exit(ExitCode.INVALID)
