"""The command line: commands, formats, output files, exit codes, no tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from capplan import __version__
from capplan.cli import ExitCode, app

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT = ROOT / "examples" / "blueprint.yaml"
runner = CliRunner()


def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    """Run capplan in-process with separate stdout and stderr."""
    return runner.invoke(app, list(args), input=stdin)


def test_plan_without_file_plans_the_builtin_example() -> None:
    """`capplan plan` alone plans the SPEC §1 site and says so on stderr."""
    result = invoke("plan", "--format", "json")
    assert result.exit_code == ExitCode.OK
    assert json.loads(result.stdout)["site"] == "zope-cluster"
    assert "built-in example" in result.stderr


def test_builtin_example_is_the_shipped_example() -> None:
    """The package data and examples/blueprint.yaml are one file."""
    builtin = ROOT / "capplan" / "data" / "blueprint.yaml"
    assert BLUEPRINT.read_bytes() == builtin.read_bytes()
    assert invoke("plan", "-f", "json").stdout == invoke("plan", str(BLUEPRINT), "-f",
                                                         "json").stdout


def test_plan_formats_carry_the_same_document() -> None:
    """JSON and YAML output parse to the same data."""
    as_json = json.loads(invoke("plan", str(BLUEPRINT), "-f", "json").stdout)
    as_yaml = yaml.safe_load(invoke("plan", str(BLUEPRINT), "-f", "yaml").stdout)
    assert as_json == as_yaml


def test_plan_table_fits_80_columns() -> None:
    """Every line of the plan table of every example fits an 80-column terminal."""
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        result = invoke("plan", str(example))
        assert result.exit_code == 0
        assert max(len(line) for line in result.stdout.splitlines()) <= 80, example.name


def test_plan_reads_standard_input() -> None:
    """'-' reads the topology from stdin."""
    result = invoke("plan", "-", "-f", "json", stdin=BLUEPRINT.read_text())
    assert json.loads(result.stdout)["site"] == "zope-cluster"


def test_plan_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    """-o writes the document to the file only."""
    target = tmp_path / "plan.json"
    result = invoke("plan", str(BLUEPRINT), "-f", "json", "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(target.read_text())["site"] == "zope-cluster"


@pytest.mark.parametrize("command", [["plan", str(BLUEPRINT), "-f", "json"],
                                     ["export", str(BLUEPRINT), "--to", "terraform"],
                                     ["check", str(BLUEPRINT), "--format", "json"],
                                     ["schema"]])
def test_output_dash_is_standard_output_not_a_file_named_dash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    """Reviewer's find: -o - wrote a file called '-' in the working folder."""
    monkeypatch.chdir(tmp_path)
    result = invoke(*command, "-o", "-")
    assert result.exit_code in (0, 1), result.output
    json.loads(result.stdout)
    assert list(tmp_path.iterdir()) == []


def test_output_dot_slash_dash_is_a_file_named_dash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only '-' itself is standard output: './-' names a file, as in every shell tool."""
    monkeypatch.chdir(tmp_path)
    result = invoke("plan", str(BLUEPRINT), "-f", "json", "-o", "./-")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads((tmp_path / "-").read_text())["site"] == "zope-cluster"


@pytest.mark.parametrize(("options", "code"), [(["-f", "json"], ExitCode.INVALID),
                                               (["-f", "json", "-o", "plan.json"], 0)])
def test_a_closed_standard_output_is_a_located_error_not_a_traceback(
        tmp_path: Path, options: list[str], code: int) -> None:
    """Reviewer's find: 1>&- gave 'internal error: AttributeError'; -o FILE still works."""
    import shlex
    import subprocess

    command = shlex.join([sys.executable, "-m", "capplan", "plan", str(BLUEPRINT), *options])
    done = subprocess.run(["sh", "-c", f"{command} 1>&-"], capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert "internal error" not in done.stderr
    if code:
        assert "cannot write standard output" in done.stderr
    else:
        assert json.loads((tmp_path / "plan.json").read_text())["site"] == "zope-cluster"


def test_plan_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    """Naming the input as the output is exit 2 and leaves the input untouched."""
    source = tmp_path / "site.yaml"
    source.write_bytes(BLUEPRINT.read_bytes())
    result = invoke("plan", str(source), "-o", str(source))
    assert result.exit_code == ExitCode.INVALID
    assert "refusing to overwrite" in result.stderr
    assert source.read_bytes() == BLUEPRINT.read_bytes()


def test_plan_missing_output_folder_is_exit_2(tmp_path: Path) -> None:
    """A missing output folder is a one-line error, and nothing is created."""
    result = invoke("plan", str(BLUEPRINT), "-o", str(tmp_path / "no" / "plan.txt"))
    assert result.exit_code == ExitCode.INVALID
    assert "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_invalid_file_is_exit_2_with_located_lines(tmp_path: Path) -> None:
    """A misspelt key is reported as FILE:LINE:COL with a suggestion, and no output file."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(BLUEPRINT.read_text().replace("capacity_rps: 150", "capacty_rps: 150"))
    target = tmp_path / "plan.json"
    result = invoke("plan", str(broken), "-o", str(target))
    assert result.exit_code == ExitCode.INVALID
    line = next(n for n, text in enumerate(broken.read_text().splitlines(), 1)
                if "capacty_rps" in text)
    assert result.stderr.startswith(f"{broken}:{line}:")
    assert "capacity_rps" in result.stderr
    assert "Traceback" not in result.output
    assert not target.exists()


def test_missing_file_is_exit_2() -> None:
    """A missing file is a located one-line error."""
    result = invoke("plan", "no-such-file.yaml")
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr.startswith("no-such-file.yaml:")


def test_size_answers_the_spec_boundary() -> None:
    """2000 rps on 1000-rps nodes, N+1 at 100%: 3 pool, 4 ring, 3 active-passive."""
    for redundancy, expected in (("pool", 3), ("ring", 4), ("active-passive", 3)):
        result = invoke("size", "--peak", "2000", "--capacity", "1000", "--redundancy",
                        redundancy, "-f", "json")
        assert json.loads(result.stdout)["nodes_required"] == expected


def test_size_from_daily_requests() -> None:
    """--daily with --peak-to-average gives the same peak as the file form."""
    result = invoke("size", "--daily", "86.4M", "--peak-to-average", "2", "--capacity", "1k",
                    "-f", "json")
    document = json.loads(result.stdout)
    assert document["demand_rps"] == 2000
    assert document["nodes_required"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--capacity", "10"], "exactly one of --peak or --daily"),
        (["--peak", "10"], "missing option --capacity"),
        (["--peak", "1e999", "--capacity", "1"], "--peak"),
        (["--peak", "10", "--capacity", "0"], "must be more than 0"),
        (["--peak", "10", "--capacity", "1", "--max-utilization", "150%"], "at most"),
        (["--daily", "1M", "--capacity", "1"], "--peak-to-average"),
    ],
)
def test_size_bad_options_are_exit_2(args: list[str], message: str) -> None:
    """Bad option values are one-line usage errors with exit 2."""
    result = invoke("size", *args)
    assert result.exit_code == ExitCode.INVALID
    assert message in result.stderr


def test_version() -> None:
    """--version prints the package version."""
    result = invoke("--version")
    assert result.stdout.strip() == f"capplan {__version__}"


COMMANDS = sorted(command.name or command.callback.__name__  # type: ignore[union-attr]
                  for command in app.registered_commands)


def test_every_command_is_registered_here() -> None:
    """The list the documentation tests walk is every command the app has."""
    assert COMMANDS == ["check", "compare", "diff", "export", "failover", "fit", "init",
                        "observe", "plan", "schema", "size"]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_help_ends_with_an_example(name: str) -> None:
    """Each command documents itself with an example, like sqlite-utils."""
    result = invoke(name, "--help")
    assert result.exit_code == 0
    assert "Example: capplan " + name in " ".join(result.stdout.split())


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name: str) -> None:
    """The README has a section for each command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"### `capplan {name}" in readme


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m capplan` is the same program."""
    completed = subprocess.run([sys.executable, "-m", "capplan", "--version"],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"capplan {__version__}"


def test_internal_errors_are_one_line(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """An unexpected exception is one line and exit 2, unless CAPPLAN_DEBUG asks for more."""
    from capplan import cli

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "app", explode)
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == ExitCode.INVALID
    assert "internal error: RuntimeError: boom" in capsys.readouterr().err
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    with pytest.raises(RuntimeError):
        cli.main()


TWO_BOXES = str(ROOT / "examples" / "two-boxes.yaml")
FAILURE_DOMAINS = str(ROOT / "examples" / "failure-domains.yaml")


def test_failover_2002_case_reads_plainly() -> None:
    """Two boxes at a peak that needs both: one fails, the other is at 200%, half is shed."""
    document = json.loads(invoke("failover", TWO_BOXES, "--tier", "zope", "-f", "json").stdout)
    assert list(document)[:8] == ["tier", "redundancy", "nodes", "failed", "loads",
                                  "max_utilization", "shed_fraction", "scenario"]
    assert document["failed"] == ["zope-1"]
    assert document["loads"] == [
        {"node": "zope-1", "state": "failed", "load_rps": 0.0, "utilization": 0.0},
        {"node": "zope-2", "state": "up", "load_rps": 2000.0, "utilization": 2.0},
    ]
    assert document["shed_fraction"] == 0.5
    table = invoke("failover", TWO_BOXES, "--tier", "zope").stdout
    assert "SHED: 50% of the demand" in table


def test_failover_standby_takes_over() -> None:
    """Failing the active storage node puts the standby up with the whole share."""
    document = json.loads(invoke("failover", str(BLUEPRINT), "--tier", "storage", "--fail",
                                 "storage-1", "-f", "json").stdout)
    states = [(entry["node"], entry["state"]) for entry in document["loads"]]
    assert states == [("storage-1", "failed"), ("storage-2", "up")]
    assert document["shed_fraction"] == 0


def test_failover_zone_names_fail_every_node_in_the_zone() -> None:
    """--fail-zone 2 of three zones fails nodes 2, 5 and 8."""
    document = json.loads(invoke("failover", FAILURE_DOMAINS, "--tier", "app", "--fail-zone",
                                 "2", "-f", "json").stdout)
    assert document["failed"] == ["app-2", "app-5", "app-8"]


@pytest.mark.parametrize(("args", "message"), [
    (["--tier", "wbe"], "unknown tier 'wbe'; the tiers are: lb, cache, web, storage"),
    (["--tier", "web", "--fail", "web-9"], "unknown node 'web-9'; tier 'web' has nodes "
                                           "web-1 … web-4"),
    (["--tier", "web", "--fail-zone", "2"], "unknown zone '2'; this tier has one zone, 1"),
    (["--tier", "web", "--fail", "web-1", "--failures", "2"], "name a failure set"),
    (["--tier", "web", "--nodes", "400", "--failures", "3", "--all"],
     "tier 'web' has 10,667,000 sets of 1 to 3 failed nodes out of 400"),
])
def test_failover_questions_the_file_cannot_answer(args: list[str], message: str) -> None:
    """Unknown names and oversized questions exit 2 and say what exists."""
    result = invoke("failover", str(BLUEPRINT), *args)
    assert result.exit_code == ExitCode.INVALID
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_compare_answers_the_thread_side_by_side() -> None:
    """2000 rps on 1000-rps boxes at 100%, N+1: pool 3, ring 4, active-passive 3."""
    document = json.loads(invoke("compare", TWO_BOXES, "-f", "json").stdout)
    [zope] = document["tiers"]
    assert [zope[name]["nodes_required"] for name in ("pool", "ring", "active-passive")] == \
        [3, 4, 3]
    assert zope["ring"]["cost"] == 16000
    assert zope["cheapest"] == "pool"
    assert document["totals"]["ring"] == {"nodes_required": 4, "cost": 16000.0}


def test_compare_formats_agree() -> None:
    """JSON and YAML of compare carry the same document."""
    as_json = json.loads(invoke("compare", FAILURE_DOMAINS, "-f", "json").stdout)
    as_yaml = yaml.safe_load(invoke("compare", FAILURE_DOMAINS, "-f", "yaml").stdout)
    assert as_json == as_yaml


def test_init_writes_a_starter_that_plans_and_passes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`capplan init` writes a capplan.yaml that passes check, and never overwrites it."""
    monkeypatch.chdir(tmp_path)
    first = invoke("init")
    assert first.exit_code == ExitCode.OK
    assert "wrote capplan.yaml" in first.stderr
    assert invoke("check", "capplan.yaml").exit_code == ExitCode.OK
    before = (tmp_path / "capplan.yaml").read_bytes()
    again = invoke("init")
    assert again.exit_code == ExitCode.INVALID
    assert "already exists" in again.stderr
    assert (tmp_path / "capplan.yaml").read_bytes() == before


def test_init_dash_prints_the_starter() -> None:
    """`capplan init -` prints the starter instead of writing it."""
    result = invoke("init", "-")
    assert result.stdout.startswith("# yaml-language-server: $schema=capplan.schema.json")


def test_pre_commit_hook_runs_capplan_check() -> None:
    """.pre-commit-hooks.yaml offers capplan-check with entry `capplan check`."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = hooks
    assert (hook["id"], hook["entry"], hook["language"]) == ("capplan-check", "capplan check",
                                                             "python")


def test_schema_command_prints_the_draft_07_schema(tmp_path: Path) -> None:
    """`capplan schema` prints the schema as JSON; -o writes it; YAML carries the same."""
    from capplan.render.schema import topology_schema

    printed = json.loads(invoke("schema").stdout)
    assert printed == topology_schema()
    assert yaml.safe_load(invoke("schema", "-f", "yaml").stdout) == printed
    target = tmp_path / "capplan.schema.json"
    assert invoke("schema", "-o", str(target)).exit_code == ExitCode.OK
    assert json.loads(target.read_text()) == printed


# --- usage errors on one line, help text, check DIR, figures in words (issue 9) -------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize(("args", "line"), [
    (["plan", "--format", "csv"], "--format: 'csv' is not one of table, json, yaml"),
    (["plan", "--format", "jsn"],
     "--format: 'jsn' is not one of table, json, yaml (did you mean json?)"),
    (["check", "--format", "sarf", "x.yaml"],
     "--format: 'sarf' is not one of text, json, github, sarif (did you mean sarif?)"),
    (["plan", "--fromat", "json"], "no such option --fromat (did you mean --format?)"),
    (["--versio"], "no such option --versio (did you mean --version?)"),
    (["failover"], "missing argument FILE"),
    (["failover", str(BLUEPRINT)], "missing option --tier"),
    (["plna"], "no such command 'plna' (did you mean plan?)"),
])
def test_usage_errors_read_like_every_other_error(args: list[str], line: str) -> None:
    """Click's usage errors are one `capplan: error:` line with a did-you-mean, exit 2, no box."""
    result = invoke(*args)
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr == f"capplan: error: {line}\n"
    assert result.stdout == ""


def test_bad_option_values_name_the_option_first() -> None:
    """An out-of-range or unparsable value names its option, on one line."""
    for args, option in ((["size", "--peak", "1", "--capacity", "1", "--failures", "-1"],
                          "--failures"), (["plan", "--simulations", "many"], "--simulations")):
        result = invoke(*args)
        assert result.exit_code == ExitCode.INVALID
        assert result.stderr.startswith(f"capplan: error: {option}: ")
        assert result.stderr.count("\n") == 1


def test_usage_errors_are_one_line_from_the_installed_command() -> None:
    """The real entry point (`python -m capplan`, main()) prints the same line, not a box."""
    result = subprocess.run([sys.executable, "-m", "capplan", "plan", "--format", "csv"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == ExitCode.INVALID
    assert result.stderr == ("capplan: error: --format: 'csv' is not one of table, json, "
                             "yaml\n")


def test_no_arguments_still_print_the_help() -> None:
    """`capplan` alone shows the commands; that is no usage error to turn into a line."""
    result = invoke()
    assert "Usage: capplan" in result.stdout
    assert "capplan: error" not in result.stderr


def _help_text(*args: str) -> str:
    """--help as plain words: no colour, no box borders, whitespace folded, wide terminal."""
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == ExitCode.OK
    return " ".join(ANSI.sub("", result.stdout).replace("│", " ").split())


@pytest.mark.parametrize("name", COMMANDS)
def test_help_shows_every_default_it_states(name: str) -> None:
    """A help string's '[default: …]' is printed, not eaten as Rich markup (leaving ' .')."""
    from typer.main import get_command

    text = _help_text(name)
    assert " ." not in text
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    for param in command.params:
        for stated in re.findall(r"\\?\[default: ([^\]]*)\]", param.help or ""):
            assert f"[default: {' '.join(stated.split())}]" in text, (param.name, stated)


def test_root_help_has_no_stray_period() -> None:
    """The command list reads cleanly too."""
    assert " ." not in _help_text()


PASSING = """\
site: one
traffic: {peak_rps: 100}
policy: {failures: 0}
tiers:
  - {name: web, redundancy: pool, nodes: 1, node: {capacity_rps: 600, cost: 10}}
"""


def test_check_searches_a_folder_as_linters_do(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`check DIR` recurses, takes *.yaml and *.yml in sorted order, skips hidden entries."""
    monkeypatch.chdir(tmp_path)
    for name in ("sites/b.yaml", "sites/a/z.yml", "sites/a/c.yaml"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(PASSING, encoding="utf-8")
    for name in ("sites/.git/broken.yaml", "sites/.venv/x.yml", "sites/.pre-commit.yaml"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text("tiers: [", encoding="utf-8")
    Path("sites/notes.txt").write_text("not yaml: [", encoding="utf-8")
    result = invoke("check", "sites", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout)["files"] == ["sites/a/c.yaml", "sites/a/z.yml",
                                                  "sites/b.yaml"]


def test_check_takes_named_files_as_given_and_once(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A file named is checked even when hidden; named and found in a folder, it counts once."""
    monkeypatch.chdir(tmp_path)
    Path("sites").mkdir()
    Path("sites/b.yaml").write_text(PASSING, encoding="utf-8")
    Path("sites/.hidden.yaml").write_text(PASSING, encoding="utf-8")
    result = invoke("check", "sites/.hidden.yaml", "sites", "sites/b.yaml", "-f", "json")
    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout)["files"] == ["sites/.hidden.yaml", "sites/b.yaml"]


def test_check_folder_without_yaml_is_a_usage_error(tmp_path: Path) -> None:
    """A gate that would check nothing says so and exits 2, rather than passing."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.yaml").write_text(PASSING, encoding="utf-8")
    (tmp_path / "README.md").write_text("# sites\n", encoding="utf-8")
    result = invoke("check", str(tmp_path))
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr == (f"capplan: error: {tmp_path}: no YAML file (*.yaml, *.yml) in "
                             "this folder or below\n")
    assert result.stdout == ""


@pytest.mark.parametrize(("peak", "capacity", "shown"), [
    ("999.5", "1000", "1k rps"), ("999950", "1M", "1M rps"), ("999.4", "1000", "999 rps"),
])
def test_size_prints_rounded_rates_with_the_right_prefix(peak: str, capacity: str,
                                                         shown: str) -> None:
    """999.5 rps is '1k', 999,950 is '1M': never '1e+03' or '1e+03k'."""
    result = invoke("size", "--peak", peak, "--capacity", capacity)
    assert result.exit_code == ExitCode.OK
    assert re.search(rf"^demand +{re.escape(shown)}$", result.stdout, flags=re.MULTILINE)


def test_plan_counts_one_node_and_one_month_in_the_singular(tmp_path: Path) -> None:
    """'total: 1 node' and 'in 1 month', not '1 nodes' and '1 months'."""
    site = tmp_path / "one.yaml"
    site.write_text(PASSING.replace("{peak_rps: 100}", "{peak_rps: 100, horizon_months: 1}"),
                    encoding="utf-8")
    result = invoke("plan", str(site))
    assert result.exit_code == ExitCode.OK
    assert "one: peak 100 rps, 100 rps in 1 month\n" in result.stdout
    assert "total: 1 node, cost 10; required: 1 node, cost 10\n" in result.stdout


def test_failover_all_at_n_plus_1_names_single_failures() -> None:
    """At N+1 `--all` ranks 'every set of 1 failed node', not 'of 1 to 1 failed nodes'."""
    result = invoke("failover", str(ROOT / "examples" / "two-boxes.yaml"), "--tier", "zope",
                    "--all")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.startswith("zope (ring, 2 nodes): every set of 1 failed node, worst "
                                    "first\n")


def test_exposed_hours_print_one_decimal(tmp_path: Path) -> None:
    """One slot of a 7-slot day is 'exposed 3.4 h a day', not '3.42857 h'."""
    site = tmp_path / "week.yaml"
    site.write_text("site: week\ntraffic: {profile: [100, 100, 100, 100, 100, 100, 1000]}\n"
                    "tiers:\n  - {name: web, redundancy: pool, nodes: 2, "
                    "node: {capacity_rps: 600}}\n", encoding="utf-8")
    result = invoke("plan", str(site))
    assert result.exit_code == ExitCode.OK
    assert "web  1111110  exposed 3.4 h a day (below N+1)\n" in result.stdout


@pytest.mark.parametrize("command", [["plan", "-f", "json"], ["check", "--format", "json"],
                                     ["export", "--to", "terraform"]])
def test_what_a_solver_prints_while_planning_goes_to_stderr(command: list[str]) -> None:
    """Standard output holds the document only, even if a library prints to descriptor 1."""
    import subprocess

    example = str(ROOT / "examples" / "mixed-fleet.yaml")
    code = (
        "import os, sys\n"
        "import capplan.sizing as sizing\n"
        "real = sizing.plan\n"
        "def noisy(*args, **kwargs):\n"
        "    os.write(1, b'Running HiGHS\\n')\n"
        "    return real(*args, **kwargs)\n"
        "sizing.plan = noisy\n"
        "from capplan.cli import main\n"
        f"sys.argv = ['capplan', {command[0]!r}, {example!r}, *{command[1:]!r}]\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode in (0, 1), done.stderr
    assert "Running HiGHS" in done.stderr
    json.loads(done.stdout)


@pytest.mark.parametrize("command", [["plan", "-f", "json"], ["check", "--format", "json"]])
def test_buffered_stray_output_is_flushed_to_stderr_before_the_document(
        command: list[str]) -> None:
    """Stray text still buffered when planning ends goes to stderr too.

    Reviewer's find: C stdio and Python's own buffer, when standard output is a pipe and
    PYTHONUNBUFFERED is unset, held the stray text until exit, past the swap back.
    """
    import os
    import subprocess

    example = str(ROOT / "examples" / "mixed-fleet.yaml")
    code = (
        "import ctypes, sys\n"
        "import capplan.sizing as sizing\n"
        "libc = ctypes.CDLL(None)\n"
        "real = sizing.plan\n"
        "def noisy(*args, **kwargs):\n"
        "    libc.printf(b'C solver says hello\\n')\n"
        "    print('Python library says hello')\n"
        "    return real(*args, **kwargs)\n"
        "sizing.plan = noisy\n"
        "from capplan.cli import main\n"
        f"sys.argv = ['capplan', {command[0]!r}, {example!r}, *{command[1:]!r}]\n"
        "main()\n"
    )
    environment = {key: value for key, value in os.environ.items()
                   if key != "PYTHONUNBUFFERED"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env=environment)
    assert done.returncode in (0, 1), done.stderr
    assert "C solver says hello" in done.stderr
    assert "Python library says hello" in done.stderr
    json.loads(done.stdout)
