"""capplan.queueing: M/M/w response times against closed forms, pyworkforce and simulation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.queueing import Queue, erlang_b, erlang_c


@pytest.mark.parametrize("load", [0.1, 0.5, 0.9, 0.99])
def test_mm1_waits_with_probability_rho(load: float) -> None:
    """With one worker a request waits exactly when the server is busy: C = ρ."""
    assert erlang_c(1, load) == pytest.approx(load, rel=1e-12)


@pytest.mark.parametrize(("share", "rate"), [(0.5, 20.0), (0.95, 50.0), (0.99, 80.0),
                                             (0.999, 99.0)])
def test_mm1_response_time_is_exponential(share: float, rate: float) -> None:
    """M/M/1 response time is Exp(μ − λ): its p-quantile is −ln(1 − p) / (μ − λ)."""
    queue = Queue(1, 10.0, rate)  # μ = 100 rps
    want = -math.log(1 - share) / (0.1 - rate / 1000)
    assert queue.percentile(share) == pytest.approx(want, rel=1e-9)


def test_erlang_b_small_cases_by_hand() -> None:
    """B(1, a) = a/(1+a); B(2, a) = a²/2 / (1 + a + a²/2)."""
    assert erlang_b(1, 3.0) == pytest.approx(0.75)
    assert erlang_b(2, 2.0) == pytest.approx(2 / 5)


WORKERS = [1, 2, 3, 5, 8, 13, 50, 200, 1000]
OCCUPANCY = [0.05, 0.3, 0.6, 0.8, 0.9, 0.97, 0.999]


@pytest.mark.parametrize("workers", WORKERS)
def test_erlang_c_equals_pyworkforce_on_a_grid(workers: int) -> None:
    """Erlang C agrees with pyworkforce's to 1e-9 over workers × occupancy."""
    from pyworkforce.queuing import ErlangC

    for occupancy in OCCUPANCY:
        offered = workers * occupancy
        theirs = ErlangC(transactions=offered, aht=1, asa=1, interval=1)
        assert erlang_c(workers, offered) == pytest.approx(
            theirs.waiting_probability(workers), abs=1e-9)


def test_erlang_c_is_stable_for_100000_workers() -> None:
    """No overflow, no NaN: 100,000 workers at 99% give a small, finite wait probability."""
    waits = erlang_c(100_000, 99_000.0)
    assert 0 < waits < 0.01
    assert Queue(100_000, 50.0, 99_000 / 50 * 1000).percentile(0.99) == pytest.approx(
        -math.log(0.01) * 50, rel=0.05)


def test_equal_rates_limit_is_continuous() -> None:
    """Where the wait rate equals the service rate (ν = μ) the tail has no jump."""
    exact = Queue(2, 10.0, 100.0)  # ν = 2μ − λ = μ
    near = Queue(2, 10.0, 100.0 + 1e-9)
    for t in (1.0, 10.0, 50.0):
        assert exact.exceeds(t) == pytest.approx(near.exceeds(t), rel=1e-6)


def test_unstable_queue_has_no_percentile() -> None:
    """At or past w/s requests per ms the queue grows without bound: no percentile."""
    assert Queue(4, 10.0, 400.0).percentile(0.5) is None


@settings(deadline=None, max_examples=200)
@given(st.integers(1, 64), st.floats(0.01, 0.99), st.floats(1, 200))
def test_percentiles_are_ordered_and_at_least_service(workers: int, occupancy: float,
                                                      service: float) -> None:
    """p50 ≤ p95 ≤ p99, each at least the service time's own quantile, tail matches."""
    queue = Queue(workers, service, occupancy * workers / service * 1000)
    p50, p95, p99 = (queue.percentile(p) for p in (0.5, 0.95, 0.99))
    assert p50 is not None
    assert p95 is not None
    assert p99 is not None
    assert p50 <= p95 <= p99
    assert p99 >= -math.log(0.01) * service * (1 - 1e-9)
    assert queue.exceeds(p95) == pytest.approx(0.05, rel=1e-6)


@pytest.mark.slow
def test_simulation_agrees_with_the_formula() -> None:
    """A ciw simulation of an M/M/3 node at 80% agrees on p95 within 5%."""
    ciw = pytest.importorskip("ciw")
    service_ms, workers, rate_per_ms = 10.0, 3, 0.24
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rate_per_ms)],
        service_distributions=[ciw.dists.Exponential(rate=1 / service_ms)],
        number_of_servers=[workers],
    )
    ciw.seed(1)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(400_000)
    records = [r for r in simulation.get_all_records() if r.arrival_date > 20_000]
    times = sorted(r.waiting_time + r.service_time for r in records)
    simulated = times[int(0.95 * len(times))]
    ours = Queue(workers, service_ms, rate_per_ms * 1000).percentile(0.95)
    assert ours is not None
    assert simulated == pytest.approx(ours, rel=0.05)
