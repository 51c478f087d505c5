"""capplan.queueing: M/M/w response times against closed forms, pyworkforce and simulation."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.queueing import RECURSION_WORKERS, Queue, erlang_b, erlang_c


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


def _recursion(workers: int, offered: float) -> float:
    """Erlang B by the O(w) recursion: the reference for the tail sums."""
    blocking = 1.0
    for servers in range(1, workers + 1):
        blocking = offered * blocking / (servers + offered * blocking)
    return blocking


@pytest.mark.parametrize("workers", [RECURSION_WORKERS + 1, 5000, 100_000])
def test_erlang_b_tail_sums_equal_the_recursion(workers: int) -> None:
    """Past the recursion's range, Erlang B agrees with it to 1e-10, light load to overload."""
    for occupancy in (1e-3, 0.3, 0.9, 0.999, 1 - 1e-9, 1.0, 1.001, 2.0, 1000.0):
        offered = workers * occupancy
        want = _recursion(workers, offered)
        assert erlang_b(workers, offered) == pytest.approx(want, rel=1e-10, abs=1e-300)


def test_erlang_b_keeps_the_recursion_where_figures_are_published() -> None:
    """Up to RECURSION_WORKERS the figures are the recursion's, bit for bit (golden files)."""
    for workers in (1, 8, 16, RECURSION_WORKERS):
        for offered in (0.5, workers * 0.8, workers * 1.5):
            assert erlang_b(workers, offered) == _recursion(workers, offered)


def test_many_large_queues_are_quick() -> None:
    """100 queues of 100,000 workers give their p99 in well under a second each time.

    A sizing search builds one queue per count it tries; at O(w) per queue (45 ms) a
    near-zero capacity search took seconds.
    """
    started = time.perf_counter()
    for step in range(100):
        occupancy = 0.5 + step / 201
        queue = Queue(100_000, 0.001, occupancy * 100_000 / 0.001 * 1000)
        assert queue.percentile(0.99) is not None
    assert time.perf_counter() - started < 1.5


@settings(deadline=None, max_examples=300)
@given(st.integers(1, 100_000), st.floats(1e-12, 1 - 1e-12), st.floats(1e-3, 1e15),
       st.sampled_from([0.5, 0.9, 0.99, 0.999]))
def test_percentiles_are_finite_and_bounded_at_the_extremes(workers: int, occupancy: float,
                                                            service: float,
                                                            share: float) -> None:
    """Any stable queue the file allows has a finite percentile at least service's own.

    Workers up to 100,000, service times from a microsecond to 1e15 ms, loads from idle
    to within 1e-12 of saturation: no overflow, no NaN, and the tail matches.
    """
    queue = Queue(workers, service, occupancy * workers / service * 1000)
    if not queue.stable:
        return
    value = queue.percentile(share)
    assert value is not None
    assert math.isfinite(value)
    assert value >= -math.log(1 - share) * service * (1 - 1e-9)
    assert queue.exceeds(value) == pytest.approx(1 - share, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize(("workers", "offered"), [(1500, 1.0), (5000, 3.0), (2000, 999.0)])
def test_erlang_b_tails_agree_with_the_recursion_far_below_the_workers(workers: int,
                                                                       offered: float) -> None:
    """The tail sums' ln P(X = w) from ln(a/w) where a/w is small, against the recursion."""
    from capplan.queueing import _erlang_b_from_tails

    recursion = 1.0
    for servers in range(1, workers + 1):
        recursion = offered * recursion / (servers + offered * recursion)
    assert _erlang_b_from_tails(workers, offered) == pytest.approx(recursion, rel=1e-9,
                                                                   abs=1e-300)


def test_a_trickle_on_a_hundred_thousand_workers_waits_for_nothing() -> None:
    """The 10,000-site run's find: a/w below 2⁻⁵³ made log1p(−1.0), "math domain error"."""
    assert erlang_c(100_000, 1e-12) == 0.0
