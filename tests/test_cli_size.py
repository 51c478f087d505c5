"""`capplan size`: options of another scheme are refused, and a given standby is never replaced.

Issue 9, item 6: `size --standby 0` was silently sized with `--failures` standbys, and
`--spread`/`--standby` were ignored on schemes they do not apply to, where a file refuses them.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from capplan.cli import ExitCode, app

runner = CliRunner()
QUESTION = ["size", "--peak", "2000", "--capacity", "1000"]


@pytest.mark.parametrize(("scheme", "option", "message"), [
    ("pool", "--spread", "--spread applies only to --redundancy ring (got pool)"),
    ("active-passive", "--spread", "--spread applies only to --redundancy ring (got "
                                   "active-passive)"),
    ("pool", "--standby", "--standby applies only to --redundancy active-passive (got pool)"),
    ("ring", "--standby", "--standby applies only to --redundancy active-passive (got ring)"),
])
def test_an_option_of_another_scheme_is_refused(scheme: str, option: str, message: str) -> None:
    """`--spread` off a ring, `--standby` off active-passive: exit 2, one line naming it."""
    result = runner.invoke(app, [*QUESTION, "--redundancy", scheme, option, "1"])
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr == f"capplan: error: {message}\n"
    assert result.stdout == ""


def test_standby_below_failures_is_refused_not_replaced() -> None:
    """`--standby 0` under N+1 says why no count holds, instead of sizing with 1 standby."""
    result = runner.invoke(app, [*QUESTION, "--redundancy", "active-passive", "--standby", "0"])
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr == (
        "capplan: error: --standby 0 is below --failures 1: a failed active node's share "
        "would have no standby to take it; use --standby 1 or more, or --failures 0\n")


@pytest.mark.parametrize(("args", "required"), [
    (["--failures", "0", "--standby", "0"], 2),
    (["--failures", "1", "--standby", "2"], 4),
    (["--failures", "1"], 3),
])
def test_a_given_standby_is_used_as_given(args: list[str], required: int) -> None:
    """Standbys come on top of the actives the peak needs: 0, 2 or (default) the failures."""
    result = runner.invoke(app, [*QUESTION, "--redundancy", "active-passive", *args,
                                 "-f", "json"])
    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout)["nodes_required"] == required


def test_spread_on_a_ring_still_works() -> None:
    """The ring's own option is accepted: spread 2 spreads a failed node's share over two."""
    result = runner.invoke(app, [*QUESTION, "--redundancy", "ring", "--spread", "2",
                                 "-f", "json"])
    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout)["nodes_required"] == 3
