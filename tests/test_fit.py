"""``capplan fit``: the USL fit against published figures, closed forms and known laws.

The ground truth is the Cisco benchmark of Baron Schwartz's USL book (tests/data/README.md);
synthetic data comes from the exact law in capplan.usl, so the coefficients to recover are
known exactly.
"""

from __future__ import annotations

import importlib
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from capplan.cli import ExitCode, app
from capplan.errors import InvalidInput
from capplan.fit import MAX_LINE_CHARS, MAX_ROWS, Fit, fit_file, fit_points, fit_text
from capplan.render.fit_table import SHOWN_POINTS, fit_table
from capplan.usl import Law

# The module: `capplan.fit` as an attribute of the package is the library function.
fit_module = importlib.import_module("capplan.fit")

CISCO = Path(__file__).parent / "data" / "usl-cisco.csv"
#: The published fit (Practical Scalability Analysis with the USL; usl4j checks within 0.02%).
PUBLISHED = {"sigma": 0.02671591, "kappa": 7.690945e-4, "lambda": 995.6486}
KEYS = ["sigma", "kappa", "lambda", "stderr", "r_squared", "n_max", "x_max", "points",
        "scaling", "notes"]
runner = CliRunner()
FloatArray = npt.NDArray[np.float64]


def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    """Run capplan in-process with separate stdout and stderr."""
    return runner.invoke(app, list(args), input=stdin)


def measured(law: Law, levels: list[int]) -> list[tuple[float, float]]:
    """Noise-free measurements: the law's exact X at each level, as the nearest floats."""
    return [(float(n), float(law.throughput(n))) for n in levels]


def csv(points: list[tuple[float, float]], header: str = "concurrency,throughput") -> str:
    return header + "\n" + "".join(f"{n!r},{x!r}\n" for n, x in points)


def refused(text: str, **columns: str) -> list[tuple[int, int, str]]:
    """(line, column, message) of every problem fit_text finds in *text*."""
    with pytest.raises(InvalidInput) as caught:
        fit_text(text, "load.csv", **columns)
    assert all(problem.file == "load.csv" for problem in caught.value.problems)
    return [(problem.line, problem.column, problem.message) for problem in caught.value.problems]


# --- the published ground truth ------------------------------------------------------------


def test_cisco_coefficients_within_two_hundredths_of_a_percent() -> None:
    """σ, κ, λ as the book publishes them, within usl4j's 0.02%."""
    document = fit_file(CISCO).to_dict()
    for name, published in PUBLISHED.items():
        assert document[name] == pytest.approx(published, rel=2e-4), name


def test_cisco_peak_and_prediction() -> None:
    """N_max 35, and the fitted X(20) = 11,063.633 within 0.02%."""
    result = fit_file(CISCO)
    assert result.n_max == 35
    assert float(result.law.throughput(20)) == pytest.approx(11_063.633, rel=2e-4)
    # x_max is X at the better neighbour of N* = 35.6: 36 nodes, the exact law's own figure.
    assert result.x_max == float(result.law.throughput(36))
    assert result.law.throughput(36) > result.law.throughput(35)


def test_cisco_document_keys_and_scaling_block() -> None:
    """SPEC §6 keys in order; scaling is the block a tier takes, with the same numbers."""
    document = fit_file(CISCO).to_dict()
    assert list(document) == KEYS
    assert list(document["stderr"]) == ["sigma", "kappa", "lambda"]
    assert document["scaling"] == {"usl": {name: document[name] for name in PUBLISHED}}
    assert len(document["points"]) == 32
    assert document["points"][0] == {"n": 1, "throughput": 955.16,
                                     "fitted": pytest.approx(document["lambda"])}
    assert document["notes"] == []  # measured from 1 node, κ > 0, nothing past the peak


def test_cisco_r_squared_and_stderr_from_first_principles() -> None:
    """r² = 1 − RSS/TSS; cov = s²(JᵀJ)⁻¹ from a finite-difference Jacobian.

    An oracle that shares no code with the fit.
    """
    data = np.loadtxt(CISCO, delimiter=",", skiprows=1)
    nodes, throughput = data[:, 0], data[:, 1]
    document = fit_file(CISCO).to_dict()
    best = np.array([document["sigma"], document["kappa"], document["lambda"]])

    def model(coefficients: FloatArray) -> FloatArray:
        sigma, kappa, lam = coefficients
        result: FloatArray = lam * nodes / (1 + sigma * (nodes - 1) + kappa * nodes * (nodes - 1))
        return result

    residuals = throughput - model(best)
    rss = float(residuals @ residuals)
    tss = float(((throughput - throughput.mean()) ** 2).sum())
    assert document["r_squared"] == pytest.approx(1 - rss / tss, rel=1e-12)
    columns = []
    for index in range(3):
        step = np.zeros(3)
        step[index] = best[index] * 1e-6
        columns.append((model(best + step) - model(best - step)) / (2 * step[index]))
    jacobian = np.column_stack(columns)
    covariance = rss / (len(nodes) - 3) * np.linalg.inv(jacobian.T @ jacobian)
    for index, name in enumerate(["sigma", "kappa", "lambda"]):
        assert document["stderr"][name] == pytest.approx(math.sqrt(covariance[index, index]),
                                                         rel=1e-5), name


def test_cisco_is_a_least_squares_minimum() -> None:
    """Nudging any coefficient either way raises the residual sum of squares."""
    result = fit_file(CISCO)
    points = [(point.nodes, point.throughput) for point in result.points]

    def rss(sigma: float, kappa: float, lam: float) -> float:
        return sum((x - lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))) ** 2
                   for n, x in points)

    best = rss(result.sigma, result.kappa, result.lam)
    for factor in (0.999, 1.001):
        assert rss(result.sigma * factor, result.kappa, result.lam) > best
        assert rss(result.sigma, result.kappa * factor, result.lam) > best
        assert rss(result.sigma, result.kappa, result.lam * factor) > best


# --- synthetic laws ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(sigma=st.floats(0.001, 0.5), kappa_exponent=st.floats(-6, -1),
       lam_exponent=st.floats(-1, 5),
       levels=st.lists(st.integers(1, 400), min_size=4, max_size=12, unique=True))
def test_noise_free_laws_are_recovered(sigma: float, kappa_exponent: float,
                                       lam_exponent: float, levels: list[int]) -> None:
    """Measurements on an exact law give its coefficients back to 1e-6 relative."""
    law = Law(Fraction(sigma), Fraction(10**kappa_exponent), Fraction(10**lam_exponent))
    result = fit_points(measured(law, sorted(levels)))
    assert result.sigma == pytest.approx(sigma, rel=1e-6)
    assert result.kappa == pytest.approx(float(law.kappa), rel=1e-6)
    assert result.lam == pytest.approx(float(law.lam), rel=1e-6)
    assert result.n_max == law.n_max  # the exact peak of the recovered law is the true one's
    assert result.r_squared == pytest.approx(1, abs=1e-9)


def test_seeded_noise_is_recovered_within_its_standard_errors() -> None:
    """1% multiplicative noise, 5 runs at each of 24 levels: the truth comes back.

    Every coefficient within 4 standard errors of the truth, and within 10% (σ, κ) and
    1% (λ).
    """
    truth = {"sigma": 0.03, "kappa": 0.0008, "lambda": 1000.0}
    law = Law(Fraction(truth["sigma"]), Fraction(truth["kappa"]), Fraction(truth["lambda"]))
    rng = np.random.default_rng(20240611)
    levels = [n for n in range(1, 49, 2) for _ in range(5)]
    points = [(float(n), float(law.throughput(n)) * float(rng.normal(1, 0.01)))
              for n in levels]
    document = fit_points(points).to_dict()
    for name, true in truth.items():
        error = document["stderr"][name]
        assert abs(document[name] - true) <= 4 * error, name
        assert document[name] == pytest.approx(true, rel=0.01 if name == "lambda" else 0.1)
    assert document["r_squared"] > 0.99


def test_purely_linear_data_is_the_closed_form_through_the_origin() -> None:
    """σ and κ both held at 0 leave X = λN: λ = ΣNX/ΣN², se = s/√ΣN², s² = RSS/(n−1)."""
    points = [(1.0, 105.0), (2.0, 196.0), (3.0, 310.0), (4.0, 404.0), (6.0, 612.0),
              (8.0, 830.0)]  # slightly superlinear: σ wants to go below 0
    result = fit_points(points)
    assert (result.sigma, result.kappa) == (0.0, 0.0)
    nodes = np.array([n for n, _ in points])
    throughput = np.array([x for _, x in points])
    lam = float(nodes @ throughput / (nodes @ nodes))
    rss = float(((throughput - lam * nodes) ** 2).sum())
    assert result.lam == pytest.approx(lam, rel=1e-9)
    assert result.stderr[:2] == (None, None)
    assert result.stderr[2] == pytest.approx(
        math.sqrt(rss / (len(points) - 1) / float(nodes @ nodes)), rel=1e-6)
    assert any(note.startswith("sigma bounded at 0") for note in result.notes)
    assert any(note.startswith("kappa bounded at 0") for note in result.notes)


# --- what USL users complain of ------------------------------------------------------------


def test_no_measurement_at_one_node_still_fits_lambda() -> None:
    """Starting at 2 nodes: λ is the fit's own, recovered exactly, and a note says so."""
    law = Law(Fraction(5, 100), Fraction(1, 1000), Fraction(100))
    result = fit_points(measured(law, [2, 4, 8, 16, 24, 30]))
    assert result.lam == pytest.approx(100, rel=1e-9)
    assert result.notes[0].startswith("no measurement at 1 node: lambda (100, one node's rate)")
    assert "from 2 and up" in result.notes[0]


def test_kappa_that_wants_to_be_negative_is_bounded_at_zero() -> None:
    """Throughput that keeps rising faster than contention allows: κ = 0, no peak."""
    # X = 100N/(1 + 0.05(N−1)) × (1 + 0.0001N): a hair better than contention alone.
    points = [(float(n), 100 * n / (1 + 0.05 * (n - 1)) * (1 + 0.0001 * n))
              for n in range(1, 13)]
    result = fit_points(points)
    document = result.to_dict()
    assert document["kappa"] == 0.0
    assert document["n_max"] is None
    assert document["x_max"] is None
    assert document["stderr"]["kappa"] is None
    assert document["stderr"]["sigma"] is not None
    assert ("kappa bounded at 0: the measurements show no coherency delay; n_max and x_max "
            "are null") in document["notes"]
    assert json.loads(json.dumps(document, allow_nan=False))["n_max"] is None


def test_retrograde_measurements_are_named() -> None:
    """Points past the peak count are listed, by level, once each."""
    law = Law(Fraction(3, 100), Fraction(8, 10_000), Fraction(1000))
    assert law.peak_nodes == 35
    result = fit_points(measured(law, [1, 5, 10, 20, 30, 36, 40, 40, 50]))
    assert result.notes == ("throughput falls past 35 nodes (retrograde): points at 36, 40, 50 "
                            "are past the peak",)


def test_as_many_levels_as_coefficients_has_no_standard_errors() -> None:
    """Three points fix three coefficients exactly: no residual variance, no errors."""
    law = Law(Fraction(3, 100), Fraction(8, 10_000), Fraction(1000))
    result = fit_points(measured(law, [1, 10, 30]))
    assert result.lam == pytest.approx(1000, rel=1e-9)
    assert result.stderr == (None, None, None)
    assert "no standard errors" in result.notes[0]


def test_a_fit_that_does_not_converge_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The solver stopped by its evaluation limit: exit 2 with a located message."""
    monkeypatch.setattr(fit_module, "MAX_EVALUATIONS", 1)
    [(line, column, message)] = refused(CISCO.read_text(encoding="utf-8"))
    assert (line, column) == (1, 13)  # the header's throughput column
    assert message.startswith("the USL fit failed: no convergence after 1 evaluations")


@pytest.mark.parametrize(("text", "expected"), [
    ("", [(1, 1, "empty file")]),
    ("\n  \n", [(1, 1, "empty file")]),
    ("concurrency,throughput\n", [(1, 13, "0 measurements: fitting σ, κ and λ needs "
                                          "measurements at 3 or more different concurrency "
                                          "levels; add rows")]),
    ("concurrency,throughput\n1,100\n2,190\n", [(1, 13, "2 measurements: fitting")]),
    ("concurrency,throughput\n1,100\n1,101\n2,190\n2,191\n",
     [(1, 13, "measurements at 2 concurrency levels only (1, 2)")]),
    ("concurrency,throughput\n1,100\n0,5\n3,-2\n", [
        (3, 1, "concurrency 0 must be more than 0 (the law counts from 1 node or user): "
               "delete the row"),
        (4, 3, "throughput -2 must be more than 0")]),
    ("concurrency,throughput\n1,100 rps\n2,1.9k\n3,nan\n", [
        (2, 3, "throughput '100 rps' is not a number: write a plain number such as 955.16"),
        (3, 3, "throughput '1.9k' is not a number"),
        (4, 3, "throughput 'nan' is not a finite number")]),
    ("concurrency,throughput\n1,\n2\n", [(2, 3, "empty throughput"),
                                        (3, 2, "no throughput value: this row has 1 of the "
                                               "header's 2 fields")]),
    ("users,rps\n1,100\n", [(1, 1, "no column 'concurrency' or 'nodes' (the header has: "
                                   "users, rps); name the concurrency column with --x COLUMN"),
                            (1, 1, "no column 'throughput' (the header has: users, rps); name "
                                   "the throughput column with --y COLUMN")]),
    ("concurrency,throughput,throughput\n1,2,3\n", [
        (1, 24, "column 'throughput' appears 2 times (at columns 13, 24): rename the others")]),
    ("concurrency;throughput\n1;100\n", [(1, 1, "the header is one column "
                                                "'concurrency;throughput': capplan reads "
                                                "comma-separated values")]),
    ('concurrency,throughput\n1,"100\n', [(2, 3, "a quote that is never closed")]),
    ("concurrency,throughput\n1e12,100\n", [(2, 1, "concurrency 1e12 is more than "
                                                   "1,000,000,000")]),
])
def test_bad_input_is_located_with_the_fix(text: str,
                                           expected: list[tuple[int, int, str]]) -> None:
    """Each problem at its line and column, with what to do about it."""
    found = refused(text)
    assert [(line, column) for line, column, _ in found] == \
        [(line, column) for line, column, _ in expected]
    for (_, _, message), (_, _, start) in zip(found, expected, strict=True):
        assert message.startswith(start), message


def test_at_most_max_problems_are_listed() -> None:
    """A file of nothing but bad rows stops at MAX_PROBLEMS problems."""
    text = "concurrency,throughput\n" + "x,y\n" * 1000
    assert len(refused(text)) == fit_module.MAX_PROBLEMS


def test_rows_are_capped() -> None:
    """Row MAX_ROWS + 1 is refused at its line: memory stays bounded on hostile input."""
    text = "concurrency,throughput\n" + "1,100\n" * (MAX_ROWS + 5)
    [(line, column, message)] = refused(text)
    assert (line, column) == (MAX_ROWS + 2, 1)
    assert message.startswith(f"more than {MAX_ROWS:,} rows")


def test_a_line_longer_than_the_limit_is_refused() -> None:
    """One endless line is not read whole."""
    text = "concurrency,throughput\n1," + "9" * MAX_LINE_CHARS + "\n"
    assert refused(text) == [(2, 1, f"line longer than {MAX_LINE_CHARS:,} characters: not a "
                                    "CSV of measurements")]


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    """Missing, a folder, not UTF-8, binary: one located line each."""
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"concurrency,throughput\n1,\x00\n")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("concurrency,throughput\n1,100\n2,190 \xe9\n".encode("latin-1"))
    cases = [(tmp_path / "missing.csv", "no such file"), (tmp_path, "is a directory"),
             (binary, "a NUL character"), (latin, "not UTF-8 text")]
    for path, start in cases:
        with pytest.raises(InvalidInput) as caught:
            fit_file(path)
        [problem] = caught.value.problems
        assert problem.file == str(path)
        assert problem.message.startswith(start), problem


# --- columns -------------------------------------------------------------------------------


def test_nodes_is_accepted_for_concurrency_and_names_ignore_case() -> None:
    """`nodes` stands in for `concurrency`; ' Throughput ' matches `throughput`."""
    text = CISCO.read_text(encoding="utf-8").replace("concurrency,throughput",
                                                     "Nodes, Throughput ")
    assert fit_text(text).to_dict() == fit_file(CISCO).to_dict()


def test_x_and_y_choose_other_columns() -> None:
    """--x users --y rps, with other columns (quoted, too) around them."""
    law = Law(Fraction(3, 100), Fraction(8, 10_000), Fraction(1000))
    rows = "".join(f'run-{n},"{n}",{x!r},ok\n' for n, x in measured(law, [1, 4, 8, 16, 32]))
    result = fit_text("label,users,rps,status\n" + rows, x="users", y="rps")
    assert result.lam == pytest.approx(1000, rel=1e-9)
    assert refused("label,users,rps\n", x="users", y="users") == [
        (1, 7, "--x and --y both name 'users': the concurrency and the throughput need a "
               "column each")]


def test_a_byte_order_mark_and_crlf_lines_are_read() -> None:
    """What spreadsheets save: a BOM before the header, CRLF line ends."""
    text = "\ufeff" + CISCO.read_text(encoding="utf-8").replace("\n", "\r\n")
    assert fit_text(text).to_dict() == fit_file(CISCO).to_dict()


def test_the_same_rows_give_the_same_bytes() -> None:
    """Deterministic: the fit's start is the data's own, not a random draw."""
    first = json.dumps(fit_file(CISCO).to_dict())
    assert all(json.dumps(fit_file(CISCO).to_dict()) == first for _ in range(3))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.integers(1, 10**6), st.floats(1e-3, 1e9)),
                          st.floats(1e-300, 1e300)), min_size=0, max_size=40))
def test_any_positive_measurements_fit_or_are_refused(
        points: list[tuple[float, float]]) -> None:
    """Whatever the numbers: a finite document (strict JSON) or InvalidInput, nothing else."""
    try:
        result = fit_points(points)
    except InvalidInput as error:
        refusal: InvalidInput | None = error
    else:
        refusal = None
        document = result.to_dict()
        json.dumps(document, allow_nan=False)
        assert min(document["sigma"], document["kappa"]) >= 0
        assert document["lambda"] > 0
    if refusal is not None:
        assert {problem.file for problem in refusal.problems} == {"<points>"}


# --- the command line ----------------------------------------------------------------------


def test_cli_table_shows_coefficients_points_and_a_block_to_paste() -> None:
    """The paste block is YAML that reads back as the fitted numbers to 7 digits."""
    result = invoke("fit", str(CISCO))
    assert result.exit_code == ExitCode.OK, result.stderr
    text = result.stdout
    assert "sigma    0.02671595" in text
    assert "n_max  35" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    block = text.split("Paste into the tier (instead of node.capacity_rps):\n")[1]
    pasted = yaml.safe_load(block.split("\nNotes:")[0])
    document = fit_file(CISCO).to_dict()
    for name in PUBLISHED:
        assert pasted["scaling"]["usl"][name] == pytest.approx(document[name], rel=1e-6)


def test_cli_json_and_yaml_carry_the_library_document(tmp_path: Path) -> None:
    """--format json / yaml and -o: the same document as fit_file(...).to_dict()."""
    document = fit_file(CISCO).to_dict()
    assert json.loads(invoke("fit", str(CISCO), "-f", "json").stdout) == document
    assert yaml.safe_load(invoke("fit", str(CISCO), "--format", "yaml").stdout) == document
    target = tmp_path / "fit.json"
    assert invoke("fit", str(CISCO), "-f", "json", "-o", str(target)).exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == document


def test_cli_reads_standard_input_and_chooses_columns() -> None:
    """'-' reads the CSV from stdin; --x/--y name the columns."""
    text = CISCO.read_text(encoding="utf-8").replace("concurrency,throughput", "users,rps")
    result = invoke("fit", "-", "--x", "users", "--y", "rps", "-f", "json", stdin=text)
    assert result.exit_code == ExitCode.OK, result.stderr
    assert json.loads(result.stdout) == fit_file(CISCO).to_dict()


def test_cli_bad_input_exits_2_with_located_lines(tmp_path: Path) -> None:
    """Exit 2, FILE:LINE:COL lines on stderr, nothing on stdout, no traceback."""
    path = tmp_path / "load.csv"
    path.write_text("concurrency,throughput\n1,100\n2,abc\n", encoding="utf-8")
    result = invoke("fit", str(path))
    assert result.exit_code == ExitCode.INVALID
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:3:3: throughput 'abc' is not a number")
    assert "Traceback" not in result.stderr
    stdin = invoke("fit", "-", stdin="concurrency,throughput\n1,100\n")
    assert stdin.exit_code == ExitCode.INVALID
    assert stdin.stderr.startswith("<stdin>:1:13: 1 measurement: ")


def test_table_of_many_points_is_sampled_and_notes_are_listed() -> None:
    """10,000 points: SHOWN_POINTS rows, ends kept, and a line saying where the rest is."""
    law = Law(Fraction(3, 100), Fraction(8, 10_000), Fraction(1000))
    rng = np.random.default_rng(7)
    levels = rng.integers(2, 60, 10_000)
    points = [(float(n), float(law.throughput(int(n))) * float(rng.normal(1, 0.02)))
              for n in levels]
    text = fit_table(fit_points(points).to_dict())
    assert f"({SHOWN_POINTS} of 10,000 points shown; --format json has every one)" in text
    assert "\nNotes:\n- no measurement at 1 node" in text
    assert "- throughput falls past 35 nodes (retrograde)" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_fit_result_is_the_public_type() -> None:
    """fit_text returns a Fit whose exact law is the fitted floats' exact values."""
    result = fit_text(CISCO.read_text(encoding="utf-8"))
    assert isinstance(result, Fit)
    assert result.law.sigma == Fraction(result.sigma)
    assert result.law.lam == Fraction(result.lam)
