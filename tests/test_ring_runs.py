"""Spread-1 rings: the run power sum and the run-start bracket against exact figures.

A spread-1 ring sheds exactly when every node is down or some run of *run* failed nodes in
a row follows a node that is up (capplan.availability.ring). Both closed forms here are
checked against the sum over all 2ⁿ cyclic down-sets in Fractions, against the matrix
trace beyond that, and against each other.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.availability import (
    _ring_power,
    _run_power_sum,
    _run_starts_bracket,
    ring,
    ring_meets_quickly,
)

F = Fraction

downs = st.sampled_from([F(1, 1000), F(1, 10), F(3, 10), F(1, 2), F(7, 10), F(95, 100),
                         F(1010, 1029)])


def shed_by_enumeration(n: int, q: F, run: int) -> tuple[F, F]:
    """(P(every node down), P(some node up and *run* down in a row, cyclically)), exactly."""
    all_down, runs = q**n, F(0)
    for pattern in itertools.product((False, True), repeat=n):
        if all(pattern):
            continue
        longest = 0
        start = pattern.index(False)  # an up node: every cyclic run ends before one
        length = 0
        for step in range(1, n + 1):
            if pattern[(start + step) % n]:
                length += 1
                longest = max(longest, length)
            else:
                length = 0
        if longest >= run:
            failed = sum(pattern)
            runs += q**failed * (1 - q) ** (n - failed)
    return all_down, runs


@settings(deadline=None, max_examples=250)
@given(st.integers(1, 13), downs, st.integers(1, 13))
def test_run_start_bracket_holds_the_exact_figure(n: int, q: F, run: int) -> None:
    """Bonferroni's partial sums bracket P; with every term in, the bracket closes on it."""
    _, runs = shed_by_enumeration(n, q, run)
    low, high = _run_starts_bracket(n, q, run)
    assert F(low) <= runs <= F(high)
    if n // (run + 1) <= 64:
        assert high - low <= 1e-11 * float(runs) + 1e-300


@settings(deadline=None, max_examples=250)
@given(st.integers(2, 13), downs, st.integers(1, 12))
def test_run_power_sum_matches_the_enumeration(n: int, q: F, run: int) -> None:
    """1 − qᴺ − tr Tᴺ is P(some node up and a run of *run* down), within its slack."""
    if run > n - 1:
        return
    figure = _run_power_sum(n, float(q), float(1 - q), run)
    _, runs = shed_by_enumeration(n, q, run)
    if figure is None:
        # Declined only where its rounding is not within a part in a million of it.
        assert runs < F(1, 10**6)
        return
    assert abs(F(figure.value) - runs) <= F(figure.slack)
    assert figure.slack <= 1e-6 * figure.value


@settings(deadline=None, max_examples=120)
@given(st.integers(20, 3000), st.sampled_from([0.05, 0.3, 0.6, 0.9, 0.98]),
       st.integers(1, 99))
def test_run_power_sum_matches_the_matrix_trace(n: int, q: float, run: int) -> None:
    """Beyond enumeration: the window automaton's matrix trace, to both error bounds."""
    if run > n - 1:
        return
    figure = _run_power_sum(n, q, 1 - q, run)
    traced = _ring_power(n, q, 1, run)
    if figure is None:
        return
    assert abs(figure.value - traced) <= figure.slack + 1e-6 * traced


@settings(deadline=None, max_examples=120)
@given(st.integers(20, 20_000), st.sampled_from([F(1, 20), F(3, 10), F(9, 10), F(98, 100)]),
       st.integers(1, 600))
def test_the_bracket_holds_the_power_sum(n: int, q: F, run: int) -> None:
    """Two unrelated closed forms of one probability agree on long rings."""
    if run > n - 1:
        return
    figure = _run_power_sum(n, float(q), float(1 - q), run)
    if figure is None:
        return
    low, high = _run_starts_bracket(n, q, run)
    assert low - figure.slack <= figure.value <= high + figure.slack


def test_a_moderate_target_is_decided_without_a_figure() -> None:
    """Nodes down 98% of the time, a 50% target: the count walk of a 45 s compare.

    The union and second-moment bounds (N·p and N·p/(1 + N·p)) are a factor 2 apart there,
    so every count from 300 to 420 needed the exact figure; the inclusion–exclusion
    decides each one, as the figure does.
    """
    q, capacity, target = F(1010, 1029), F(1), F(1, 2)
    demand = F(330 * 2, 239)  # 330 nodes take runs of 118: the walk's first plateau
    verdicts = set()
    for n in range(300, 520, 3):
        quick = ring_meets_quickly(n, q, demand, capacity, target)
        assert quick is not None, n
        assert quick == ring(n, q, demand, capacity, 1).meets(target), n
        verdicts.add(quick)
    assert verdicts == {False, True}


def test_a_spread_one_ring_past_the_matrix_limit_has_a_figure() -> None:
    """10,000 nodes at 0.2% load (runs of 500), down 1% of the time: 1,001 states.

    The matrix stops at 400 states there and the declumped shortcut's bound is too
    coarse at N·w ≈ 0.66, so the figure was null. The inclusion–exclusion (19 terms, all
    of them) gives it now, and the power sum, an unrelated closed form, confirms it.
    """
    q, demand = F(99, 100), F(20)
    figure = ring(10_000, q, demand, F(1), 1)
    assert figure.value == pytest.approx(0.49328, abs=1e-5)
    assert figure.slack <= 1e-6 * figure.value
    summed = _run_power_sum(10_000, 0.99, 0.01, 500)
    assert summed is not None
    assert abs(summed.value - (figure.value - 0.99**10_000)) <= summed.slack + figure.slack


@pytest.mark.parametrize("q", [F(1, 10**400), 1 - F(1, 10**400), 1 - F(1, 10**20),
                               F(1, 10**20)])
def test_probabilities_the_floats_round_to_0_or_1(q: F) -> None:
    """Reviewer's find: float(q) of 0.0 or 1.0 ended in "math domain error".

    Nodes down all but 1e-20 of the time (mtbf_hours 1e-10, mttr_hours 1e10) make
    float(q) 1.0; the logs now come from the side nearer 0, or from the fraction.
    """
    _, runs = shed_by_enumeration(12, q, 3)
    low, high = _run_starts_bracket(12, q, 3)
    assert F(low) <= runs <= F(high)
    for nodes in (40, 3_000):
        # Runs of 4 shed (⌊capacity·N/D⌋ = 5): the exact sum over run starts decides.
        verdict = ring_meets_quickly(nodes, q, F(nodes, 5), F(1), F(1, 2))
        low, high = _run_starts_bracket(nodes, q, 5)
        all_down = float(q) ** nodes
        if verdict is True:
            assert low + all_down <= 0.5
        if verdict is False:
            assert high + all_down > 0.5
        figure = ring(nodes, q, F(nodes, 5), F(1), 1)
        assert low + all_down - figure.slack <= figure.value <= high + all_down + figure.slack
