"""capplan observe: a request-rate series → the traffic: block of a topology (SPEC §6)."""

from __future__ import annotations

import io
import json
import math
import random
import re
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from capplan.cli import ExitCode, app
from capplan.demand import entry_peak
from capplan.errors import InvalidArgument, InvalidInput
from capplan.loader import load_text
from capplan.observe import (
    DAYS_PER_MONTH,
    CsvSource,
    Observation,
    Progress,
    PrometheusSource,
    Row,
    duration_seconds,
    observe_file,
    observe_rows,
    observe_source,
    quantile,
    query_url,
)

DATA = Path(__file__).parent / "data"
RECORDED = DATA / "prometheus-range.json"
#: 2024-05-01T00:00:00Z, a Wednesday: day boundaries fall on whole multiples of 86,400.
START = 1_714_521_600
#: A diurnal shape: low at 04:00 UTC, high at 16:00 UTC.
SHAPE = [1 + 0.6 * math.sin(2 * math.pi * (hour - 10) / 24) for hour in range(24)]


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def series(days: int, monthly: float, *, step: int = 300, base: float = 1000,
           noise: float = 0.0, seed: int = 0) -> list[Row]:
    """The rate base × SHAPE[hour] × (1 + monthly) ** (t / month), sampled every *step* seconds."""
    rate = math.log1p(monthly) / (DAYS_PER_MONTH * 86_400)
    draw = random.Random(seed)
    rows: list[Row] = []
    for index in range(days * 86_400 // step):
        seconds = index * step
        value = base * SHAPE[seconds % 86_400 // 3600] * math.exp(rate * seconds)
        if noise:
            value *= math.exp(draw.gauss(0, noise))
        rows.append((START + seconds, value, None, None))
    return rows


def write_csv(path: Path, rows: Sequence[Sequence[object]],
              header: str = "timestamp,rps") -> Path:
    lines = [header] + [",".join("" if cell is None else str(cell) for cell in row)
                        for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the statistics ---------------------------------------------------------------------


def test_noise_free_growth_is_recovered_exactly() -> None:
    """Daily peaks of an exponential series lie on a line in log space: the fit is exact."""
    observed = observe_rows(series(30, 0.05))
    assert observed.growth == pytest.approx(0.05, abs=1e-4)
    assert observed.samples == 30 * 288
    assert observed.days == 30
    assert observed.notes == ()


def test_negative_growth_is_recovered() -> None:
    """A shrinking service gives a negative rate, written as a negative percentage."""
    observed = observe_rows(series(20, -0.1))
    assert observed.growth == pytest.approx(-0.1, abs=1e-4)
    assert observed.traffic_block()["growth"].startswith("-10")


@pytest.mark.parametrize(("q", "tolerance"), [(1.0, 0.03), (0.9, 0.005)])
def test_noisy_growth_is_within_the_stated_tolerance(q: float, tolerance: float) -> None:
    """5% lognormal noise on every 5-minute sample of 60 days, 5%/month underneath.

    Over 20 seeds the fitted growth spread with a standard deviation of 0.0068 using the
    daily maxima (an extreme of noisy samples is itself noisy) and 0.0012 using the daily
    90th percentile: the tolerances are about four of those deviations.
    """
    for seed in range(3):
        observed = observe_rows(series(60, 0.05, noise=0.05, seed=seed), q=q)
        assert observed.growth == pytest.approx(0.05, abs=tolerance)


def test_profile_recovers_the_shape_of_the_day() -> None:
    """Without growth each hour's maximum is the shape itself (to the 6 digits shown)."""
    observed = observe_rows(series(10, 0.0, step=3600))
    top = max(SHAPE)
    for hour in range(24):
        assert observed.profile[hour] == pytest.approx(1000 * SHAPE[hour], rel=1e-5)
    assert observed.peak_rps == pytest.approx(1000 * top, rel=1e-5)
    assert observed.peak_to_average == pytest.approx(top / (sum(SHAPE) / 24), rel=1e-5)


def test_peak_quantile_ignores_a_spike() -> None:
    """One spike moves the maximum, not the 99th percentile."""
    rows = [(START + index * 60, 100.0, None, None) for index in range(2000)]
    rows[500] = (rows[500][0], 10_000.0, None, None)
    assert observe_rows(rows).peak_rps == 10_000
    assert observe_rows(rows, q=0.99).peak_rps == 100


def test_quantile_is_the_linear_type_7_on_a_hand_worked_case() -> None:
    """1, 2, 3, 4: the median is 2.5; the 0.9 quantile is 3 + 0.7 × (4 − 3) = 3.7."""
    assert quantile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert quantile([4.0, 1.0, 3.0, 2.0], 0.9) == pytest.approx(3.7)
    assert quantile([4.0, 1.0, 3.0, 2.0], 1.0) == 4


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=200), st.floats(0.01, 1.0))
def test_quantile_matches_numpy(values: list[float], q: float) -> None:
    """The oracle: numpy's default (linear) quantile."""
    import numpy as np

    assert quantile(values, q) == pytest.approx(float(np.quantile(values, q)), rel=1e-9,
                                                abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5 * 86_400 - 1), st.floats(0, 1e4)), min_size=1,
                max_size=150, unique_by=lambda pair: pair[0]), st.sampled_from([0.5, 0.9, 1.0]))
def test_profile_and_peak_match_a_brute_force_oracle(
        pairs: list[tuple[int, float]], q: float) -> None:
    """Each slot is the quantile of that hour's samples; the peak that of all samples."""
    if max(value for _, value in pairs) == 0:
        return
    rows: list[Row] = [(START + second, value, None, None) for second, value in pairs]
    if quantile([v for _, v in pairs], q) == 0:  # most samples 0: nothing to plan at q
        with pytest.raises(InvalidArgument, match="raise --quantile"):
            observe_rows(rows, q=q)
        return
    observed = observe_rows(rows, q=q)
    assert observed.peak_rps == pytest.approx(quantile([v for _, v in pairs], q), rel=1e-5)
    for hour in range(24):
        values = [value for second, value in pairs if second % 86_400 // 3600 == hour]
        if values:
            assert observed.profile[hour] == pytest.approx(quantile(values, q), rel=1e-5,
                                                           abs=1e-9)


def test_capacity_per_node_is_recovered() -> None:
    """With rps = 150 × nodes × utilization exactly: the line through the origin has slope 150."""
    rows: list[Row] = [(START + index * 60, 150 * nodes * use, nodes, use)
                       for index, (nodes, use) in enumerate(
                           (n, u / 100) for n in (2, 3, 4, 6) for u in range(10, 90, 7))]
    assert observe_rows(rows).capacity_rps == pytest.approx(150, rel=1e-6)


def test_capacity_with_noise_is_the_least_squares_slope() -> None:
    """The closed form Σxy / Σx² on a hand-worked pair of rows: (x=1, y=100), (x=2, y=220)."""
    rows: list[Row] = [(START, 100.0, 1.0, 1.0), (START + 60, 220.0, 4.0, 0.5)]
    # (1·100 + 2·220) / (1 + 4) = 540 / 5 = 108
    assert observe_rows(rows).capacity_rps == 108


def test_capacity_is_null_without_nodes_and_utilization() -> None:
    assert observe_rows(series(2, 0.0, step=3600)).capacity_rps is None


def test_fewer_than_two_days_leave_growth_out_with_a_note() -> None:
    """One UTC day: growth null, a note, and a traffic block without growth (default 0)."""
    observed = observe_rows(series(1, 0.05))
    assert observed.growth is None
    assert any("growth is null" in note for note in observed.notes)
    assert "growth" not in observed.traffic_block()
    assert observed.to_dict()["growth"] is None


def test_an_hour_never_observed_takes_the_larger_neighbour() -> None:
    """Hours 03 and 04 missing every day: both take max(slot 02, slot 05)."""
    rows = [row for row in series(3, 0.0, step=3600)
            if int(row[0]) % 86_400 // 3600 not in (3, 4)]
    observed = observe_rows(rows)
    expected = max(observed.profile[2], observed.profile[5])
    assert observed.profile[3] == observed.profile[4] == expected
    assert any("03:00, 04:00" in note for note in observed.notes)


def test_partial_days_are_said() -> None:
    """A series starting at noon: the first day has 12 hours, and a note says so."""
    rows = [row for row in series(3, 0.0, step=3600) if row[0] >= START + 12 * 3600]
    assert any("1 of 3 days" in note for note in observe_rows(rows).notes)


def test_days_with_no_traffic_are_left_out_of_the_fit() -> None:
    """A day of zeros has no logarithm: the fit uses the other days, and says so."""
    rows = [(t, 0.0 if START + 86_400 <= t < START + 2 * 86_400 else v, n, u)
            for t, v, n, u in series(4, 0.05, step=3600)]
    observed = observe_rows(rows)
    assert observed.growth == pytest.approx(0.05, abs=1e-4)
    assert any("left out of the growth fit" in note for note in observed.notes)


def test_no_traffic_at_all_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="no traffic"):
        observe_rows([(START, 0.0, None, None)])


def test_quantile_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="quantile"):
        observe_rows(series(1, 0.0), q=1.5)


def test_document_keys_and_order() -> None:
    """SPEC §6's keys in its order, then the quantile, the notes and the block to paste."""
    document = observe_rows(series(2, 0.05)).to_dict()
    assert list(document) == ["samples", "days", "peak_rps", "peak_to_average", "growth",
                              "profile", "capacity_rps", "quantile", "notes", "traffic"]
    assert list(document["traffic"]) == ["profile", "growth"]


def test_the_traffic_block_pastes_into_a_topology() -> None:
    """The YAML's traffic: block, as printed, is a valid topology's traffic (no edits)."""
    observed = observe_rows(series(30, 0.05))
    block = yaml.safe_dump({"traffic": observed.to_dict()["traffic"]}, sort_keys=False)
    topology = load_text(block + "site: pasted\ntiers:\n  - name: web\n    redundancy: pool\n"
                                 "    node: {capacity_rps: 100}\n").topology
    assert float(entry_peak(topology.traffic)) == pytest.approx(observed.peak_rps)
    assert float(topology.traffic.growth) == pytest.approx(0.05, abs=1e-4)
    assert len(topology.traffic.profile or []) == 24


# --- the CSV reader ---------------------------------------------------------------------


def test_cli_yaml_is_the_default_and_its_traffic_block_plans(tmp_path: Path) -> None:
    """The whole printed document: its traffic: block loads in a topology and plans."""
    source = write_csv(tmp_path / "traffic.csv", series(3, 0.05, step=3600))
    result = invoke("observe", str(source))
    assert result.exit_code == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert document["samples"] == 72
    pasted = yaml.safe_dump({"traffic": document["traffic"]}, sort_keys=False)
    topology = tmp_path / "site.yaml"
    topology.write_text(pasted + "site: s\ntiers:\n  - {name: web, redundancy: pool, "
                                 "node: {capacity_rps: 500}}\n", encoding="utf-8")
    planned = invoke("plan", str(topology), "-f", "json")
    assert planned.exit_code == 0, planned.stderr
    assert json.loads(planned.stdout)["peak_rps"] == pytest.approx(document["peak_rps"])


def test_cli_json_and_yaml_carry_the_same_document(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "traffic.csv", series(2, 0.05, step=3600))
    as_json = json.loads(invoke("observe", str(source), "-f", "json").stdout)
    assert yaml.safe_load(invoke("observe", str(source)).stdout) == as_json


def test_cli_table_shows_the_figures_and_notes(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "traffic.csv", series(1, 0.0, step=3600))
    result = invoke("observe", str(source), "-f", "table")
    assert result.exit_code == 0
    assert "peak_rps         1.6k (the maximum)" in result.stdout
    assert "note: growth is null" in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines()
               if not line.startswith("note:"))


def test_cli_output_file_is_written(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "traffic.csv", series(2, 0.0, step=3600))
    target = tmp_path / "out.yaml"
    result = invoke("observe", str(source), "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["days"] == 2


def test_iso_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    """01:30 at +02:00 is 23:30 UTC the day before: hour 23 of April 30."""
    source = write_csv(tmp_path / "tz.csv", [("2024-05-01T01:30:00+02:00", 500),
                                             ("2024-05-01T12:00:00Z", 100)])
    observed = observe_file(str(source))
    assert observed.profile[23] == 500
    assert observed.days == 2
    assert not any("without a UTC offset" in note for note in observed.notes)


def test_naive_timestamps_are_utc_with_a_note(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "naive.csv", [("2024-05-01 07:15", 300),
                                                ("2024-05-01T08:00:00", 200)])
    observed = observe_file(str(source))
    assert observed.profile[7] == 300
    assert observed.notes[0] == "2 timestamp(s) without a UTC offset were read as UTC"


def test_unix_seconds_and_iso_agree(tmp_path: Path) -> None:
    moment = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
    by_number = write_csv(tmp_path / "a.csv", [(int(moment.timestamp()), 42)])
    by_text = write_csv(tmp_path / "b.csv", [("2024-05-01T13:00:00Z", 42)])
    assert observe_file(str(by_number)).profile == observe_file(str(by_text)).profile


def test_extra_columns_are_ignored_and_quoted_fields_read(tmp_path: Path) -> None:
    source = tmp_path / "extra.csv"
    source.write_text('host,timestamp,rps\n"web,1",1714521600,12\nweb2,1714525200,15\n',
                      encoding="utf-8")
    assert observe_file(str(source)).peak_rps == 15


def test_capacity_from_csv_columns(tmp_path: Path) -> None:
    """Percent and bare utilization both read; rows without them are left out of the fit."""
    source = write_csv(tmp_path / "cap.csv", [
        (START, 240, 4, "40%"), (START + 60, 360, 4, 0.6), (START + 120, 999, "", "")],
        header="timestamp,rps,nodes,utilization")
    assert observe_file(str(source)).capacity_rps == 150


@pytest.mark.parametrize(("rows", "where", "message"), [
    ([(START, 10), (START, 12)], "3:1", "repeats line 2's"),
    ([(START + 60, 10), (START, 12)], "3:1", "goes back from line 2's"),
    ([(START, -5)], "2:12", "rps: -5 is negative"),
    ([(START, "lots")], "2:12", "rps: 'lots' is not a number"),
    ([(START, "nan")], "2:12", "'nan' is not a finite number"),
    ([("yesterday", 5)], "2:1", "timestamp 'yesterday' is neither ISO 8601"),
])
def test_bad_rows_are_exit_2_located(tmp_path: Path, rows: list[tuple[object, ...]],
                                     where: str, message: str) -> None:
    source = write_csv(tmp_path / "bad.csv", rows)
    result = invoke("observe", str(source))
    assert result.exit_code == ExitCode.INVALID
    assert f"{source}:{where}: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bare_utilization_above_one_is_refused(tmp_path: Path) -> None:
    """A utilization of 80 would be 8000%: refused with the two ways to write what was meant."""
    source = write_csv(tmp_path / "u.csv", [(START, 100, 2, 80)],
                       header="timestamp,rps,nodes,utilization")
    with pytest.raises(InvalidInput) as caught:
        observe_file(str(source))
    assert str(caught.value) == (f"{source}:2:18: utilization: 80 means 8000%; write 0.8 or "
                                 "80% for 80%")


def test_zero_rps_is_a_valid_sample(tmp_path: Path) -> None:
    """A quiet night is an observation, not an error."""
    source = write_csv(tmp_path / "z.csv", [(START, 0), (START + 3600, 40)])
    observed = observe_file(str(source))
    assert observed.profile[:2] == (0, 40)


def test_many_bad_rows_stop_after_ten(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "bad.csv", [(START + i, "x") for i in range(50)])
    with pytest.raises(InvalidInput) as caught:
        observe_file(str(source))
    assert len(caught.value.problems) == 11
    assert "stopping after 10 problems" in str(caught.value)


@pytest.mark.parametrize(("text", "message"), [
    ("", "1:1: empty file"),
    ("timestamp,rps\n", "1:1: no rate to observe"),
    ("time,rps\n1,2\n", "1:1: no 'timestamp' column; the header has: time, rps"),
    ("timestamp,requests\n1,2\n", "no 'rps' column (for a cumulative 'requests' column, "
                                  "use --counter)"),
    ("timestamp,rps\n1\n", "2:2: 1 field(s); the header needs 2"),
])
def test_malformed_files_are_located(tmp_path: Path, text: str, message: str) -> None:
    source = tmp_path / "m.csv"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=re.escape(message)):
        observe_file(str(source))


def test_missing_file_is_exit_2() -> None:
    result = invoke("observe", "no-such-file.csv")
    assert result.exit_code == ExitCode.INVALID
    assert "no-such-file.csv:1:1: no such file" in result.stderr


def test_counter_rates_and_resets(tmp_path: Path) -> None:
    """A counter read every 10 s: +1000 (100 rps), +2000 (200 rps), a reset to 500 (50 rps)."""
    source = write_csv(tmp_path / "c.csv", [(START, 5000), (START + 10, 6000),
                                            (START + 20, 8000), (START + 30, 500)],
                       header="timestamp,requests")
    observed = observe_file(str(source), counter=True)
    assert observed.samples == 3
    assert observed.peak_rps == 200
    assert observe_file(str(source), counter=True, q=0.5).peak_rps == 100
    assert "1 counter reset(s) (the count dropped) read as restarts from 0" in observed.notes


def test_counter_needs_two_samples(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "c.csv", [(START, 5000)], header="timestamp,requests")
    result = invoke("observe", str(source), "--counter")
    assert result.exit_code == ExitCode.INVALID
    assert "needs at least two samples" in result.stderr


def test_bad_quantile_option_is_a_usage_error(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "t.csv", series(1, 0.0, step=3600))
    result = invoke("observe", str(source), "--quantile", "150%")
    assert result.exit_code == ExitCode.INVALID
    assert "--quantile: must be at most 100%" in result.stderr


# --- Prometheus -------------------------------------------------------------------------


def test_recorded_prometheus_response() -> None:
    """100·(h+1) rps in hour h, ×1.01 a day for 3 days: growth 1.01^30.4375 − 1."""
    observed = observe_file(str(RECORDED), prometheus=True)
    assert (observed.samples, observed.days) == (72, 3)
    assert observed.growth == pytest.approx(1.01 ** DAYS_PER_MONTH - 1, rel=1e-9)
    assert observed.profile == tuple(pytest.approx(100 * (h + 1) * 1.0201) for h in range(24))
    assert observed.peak_to_average == pytest.approx(24 / 12.5)


def test_prometheus_bad_value_is_located_at_its_sample(tmp_path: Path) -> None:
    text = RECORDED.read_text(encoding="utf-8").replace('"300"', '"NaN"')
    source = tmp_path / "prometheus-nan.json"
    source.write_text(text, encoding="utf-8")
    result = invoke("observe", "--prometheus", str(source))
    assert result.exit_code == ExitCode.INVALID
    assert f"{source}:11:11: value: 'NaN' is not a finite number" in result.stderr


@pytest.mark.parametrize(("text", "message"), [
    ('{"status":"error","errorType":"bad_data","error":"parse error"}',
     'Prometheus answered status "error": bad_data: parse error'),
    ('{"status":"success","data":{"resultType":"vector","result":[]}}',
     'resultType is "vector", not "matrix"'),
    ('{"status":"success","data":{"resultType":"matrix","result":[\n'
     '{"metric":{"i":"a"},"values":[[1,"1"]]},\n{"metric":{"i":"b"},"values":[[1,"1"]]}]}}',
     "3:1: the response holds more than one series"),
    ('{"status":"success","data":{"resultType":"matrix","result":[]}}', "no rate to observe"),
    ('{"status":"success", "data": {', "not JSON"),
    ('{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,2]]}]}}',
     '1:72: expected a sample [unix_seconds, "value"]'),
])
def test_prometheus_responses_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        observe_source(PrometheusSource(text, "r.json"))


def test_durations_and_the_point_limit() -> None:
    assert duration_seconds("30d", "--range") == 30 * 86_400
    assert duration_seconds("1h30m", "--range") == 5400
    assert duration_seconds("15", "--step") == 15
    with pytest.raises(InvalidArgument, match="not a duration"):
        duration_seconds("5 minutes", "--step")
    with pytest.raises(InvalidArgument, match="use --step 236s or more"):
        query_url("http://p:9090", "up", range_seconds=30 * 86_400, step_seconds=60, end=0)
    with pytest.raises(InvalidArgument, match="not an http"):
        query_url("ftp://p", "up", range_seconds=60, step_seconds=1, end=0)


class _Recorded(BaseHTTPRequestHandler):
    """Serves the recorded response; answers 400 to a query containing 'broken'."""

    asked: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        arguments = parse_qs(parts.query)
        type(self).asked.append(arguments)
        if parts.path != "/api/v1/query_range" or "broken" in arguments["query"][0]:
            body = b'{"status":"error","errorType":"bad_data","error":"1:8: parse error"}'
            self.send_response(400)
        else:
            body = RECORDED.read_bytes()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet: the test output is no access log."""


@pytest.fixture
def prometheus() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Recorded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorded.asked.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_live_prometheus_is_asked_for_the_range(prometheus: str) -> None:
    result = invoke("observe", "--url", prometheus, "--query", "sum(rate(x[5m]))",
                    "--range", "3d", "--step", "1h", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["samples"] == 72
    asked = _Recorded.asked[0]
    assert asked["query"] == ["sum(rate(x[5m]))"]
    assert asked["step"] == ["3600"]
    assert float(asked["end"][0]) - float(asked["start"][0]) == 3 * 86_400


def test_live_prometheus_error_is_exit_2_with_its_words(prometheus: str) -> None:
    result = invoke("observe", "--url", prometheus, "--query", "broken(")
    assert result.exit_code == ExitCode.INVALID
    assert "Prometheus answered HTTP 400 Bad Request: 1:8: parse error" in result.stderr


def test_unreachable_prometheus_is_exit_2() -> None:
    """A port nobody listens on: refused at once, one line, no traceback."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = invoke("observe", "--url", f"http://127.0.0.1:{port}", "--query", "up",
                    "--timeout", "2")
    assert result.exit_code == ExitCode.INVALID
    assert result.stderr.startswith(f"capplan: error: cannot reach http://127.0.0.1:{port}")


@pytest.mark.parametrize(("args", "message"), [
    (["--url", "http://p"], "--url needs --query"),
    (["f.csv", "--url", "http://p", "--query", "up"], "give no FILE"),
    ([], "missing argument FILE"),
    (["f.csv", "--query", "up"], "--query applies only with --url"),
])
def test_option_combinations_refused(args: list[str], message: str) -> None:
    result = invoke("observe", *args)
    assert result.exit_code == ExitCode.INVALID
    assert message in result.stderr


# --- progress and size ------------------------------------------------------------------


class _Stream(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


def test_progress_shows_on_a_terminal_after_the_delay() -> None:
    now = [0.0]
    stream = _Stream(terminal=True)
    progress = Progress("reading big.csv", stream, delay=2, interval=0.5,
                        clock=lambda: now[0])
    progress(65_536)  # at 0 s: too early to bother anyone
    now[0] = 2.5
    progress(131_072)
    now[0] = 2.6
    progress(196_608)  # within the interval: not redrawn
    progress.done()
    assert stream.getvalue() == "\rcapplan: reading big.csv: 131,072 samples read\n"


def test_progress_is_silent_off_a_terminal() -> None:
    stream = _Stream(terminal=False)
    progress = Progress("reading big.csv", stream, delay=0, clock=lambda: 10.0)
    progress.say("asking")
    progress(1_000_000)
    progress.done()
    assert stream.getvalue() == ""


def test_the_command_prints_no_progress_into_a_pipe(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "t.csv", series(2, 0.0, step=60))
    result = invoke("observe", str(source))
    assert result.exit_code == 0
    assert "samples read" not in result.stderr


def test_streaming_reads_a_file_object_lazily() -> None:
    """The CSV reader pulls lines as the statistics ask: an endless source is fine to start."""

    def endless() -> Iterator[str]:
        yield "timestamp,rps\n"
        second = START
        while True:
            yield f"{second},5\n"
            second += 1

    rows = CsvSource(endless(), "endless").rows()
    assert [next(rows)[0] for _ in range(3)] == [START, START + 1, START + 2]


@pytest.mark.slow
def test_a_million_samples(tmp_path: Path) -> None:
    """1,000,000 rows every 3 s (about 35 days), streamed; figures checked by closed form."""
    source = tmp_path / "million.csv"
    with source.open("w", encoding="utf-8") as handle:
        handle.write("timestamp,rps\n")
        for index in range(1_000_000):
            handle.write(f"{START + 3 * index},{100 + index % 1000}\n")
    observed = observe_file(str(source))
    assert observed.samples == 1_000_000
    assert observed.peak_rps == 1099
    assert observed.days == math.ceil(3_000_000 / 86_400)


def test_observation_is_a_plain_value() -> None:
    """Same rows, same document: deterministic to the byte."""
    first: Observation = observe_rows(series(3, 0.02, noise=0.1, seed=4))
    second = observe_rows(series(3, 0.02, noise=0.1, seed=4))
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())

