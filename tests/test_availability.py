"""capplan.availability: exact tier availability against brute force over every down-set."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.availability import (
    active_passive_unavailability,
    binomial_above,
    downtime_minutes_per_year,
    pool_unavailability,
    ring_unavailability,
)
from tests.oracle import Spec, outcome

F = Fraction


def brute_unavailability(spec: Spec, n: int, q: float, demand: F, capacity: F) -> float:
    """Σ P(down-set) over every down-set that sheds something (SPEC rules, 2^n sets)."""
    total = 0.0
    for states in itertools.product((False, True), repeat=n):
        failed = frozenset(i + 1 for i, down in enumerate(states) if down)
        if outcome(spec, n, demand, failed).shed(capacity) > 0:
            total += q ** len(failed) * (1 - q) ** (n - len(failed))
    return total


qs = st.sampled_from([0.001, 0.01, 0.1, 0.3, 0.5])
demands = st.builds(F, st.integers(0, 40), st.integers(1, 4))


@settings(deadline=None, max_examples=120)
@given(st.integers(1, 9), qs, demands)
def test_pool_matches_brute_force(n: int, q: float, demand: F) -> None:
    """Pool availability is the binomial tail of enough survivors."""
    got = pool_unavailability(n, q, demand, F(3))
    assert got == pytest.approx(brute_unavailability(Spec("pool"), n, q, demand, F(3)),
                                abs=1e-12)


@settings(deadline=None, max_examples=120)
@given(st.integers(2, 9), st.integers(1, 3), qs, demands)
def test_active_passive_matches_brute_force(n: int, standby: int, q: float, demand: F) -> None:
    """Active-passive sheds when more nodes are down than standbys, or a share overloads."""
    if standby >= n:
        return
    got = active_passive_unavailability(n, standby, q, demand, F(5))
    want = brute_unavailability(Spec("active-passive", standby=standby), n, q, demand, F(5))
    assert got == pytest.approx(want, abs=1e-12)


@settings(deadline=None, max_examples=150)
@given(st.integers(1, 11), qs, demands)
def test_ring_matches_brute_force(n: int, q: float, demand: F) -> None:
    """The ring programme over runs of failures equals summing all 2^n down-sets."""
    got = ring_unavailability(n, q, demand, F(4))
    assert got == pytest.approx(brute_unavailability(Spec("ring"), n, q, demand, F(4)),
                                abs=1e-12)


@settings(deadline=None, max_examples=150)
@given(st.integers(1, 10), st.integers(2, 4), qs, demands)
def test_wide_ring_matches_brute_force(n: int, spread: int, q: float, demand: F) -> None:
    """The windowed programme for spread > 1 equals summing all 2^n down-sets."""
    try:
        got = ring_unavailability(n, q, demand, F(4), spread)
    except ValueError:
        return  # too many states: capplan declines rather than approximates
    want = brute_unavailability(Spec("ring", spread=spread), n, q, demand, F(4))
    assert got == pytest.approx(want, abs=1e-12)


def test_wide_ring_declines_past_its_state_limit() -> None:
    """A lightly loaded spread-3 ring would need thousands of states: a ValueError."""
    with pytest.raises(ValueError, match="states"):
        ring_unavailability(10_000, 0.01, F(2_000), F(1), 3)


def test_two_box_ring_hand_worked() -> None:
    """Two boxes, each able to carry everything: down only when both are (q²)."""
    assert ring_unavailability(2, 0.01, F(1000), F(1000)) == pytest.approx(1e-4)


def test_tiny_tails_keep_their_digits() -> None:
    """Unavailability near 1e-15 is summed, not lost in 1 − 0.999…."""
    tail = binomial_above(10, 1e-4, 3)
    assert tail == pytest.approx(math.comb(10, 4) * 1e-16, rel=1e-3)


def test_ten_thousand_node_tiers_are_exact_and_quick() -> None:
    """10,000-node pool, ring and active-passive tiers: finite, in [0, 1]."""
    for value in (pool_unavailability(10_000, 0.001, F(9_900), F(1)),
                  ring_unavailability(10_000, 0.001, F(5_000), F(1)),
                  active_passive_unavailability(10_000, 30, 0.001, F(9_000), F(1))):
        assert 0 <= value <= 1


def test_downtime_minutes() -> None:
    """99.99% is 52.596 minutes a year."""
    assert downtime_minutes_per_year(0.9999) == pytest.approx(52.596)
