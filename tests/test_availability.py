"""capplan.availability: exact tier availability against brute force over every down-set."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.availability import (
    active_passive,
    active_passive_unavailability,
    binomial_tail,
    downtime_minutes_per_year,
    meets,
    pool,
    pool_unavailability,
    ring,
    ring_meets_quickly,
    ring_unavailability,
    standbys_for,
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


@settings(deadline=None, max_examples=300)
@given(st.integers(1, 11), st.sampled_from([0.01, 0.1, 0.3, 0.5, 0.75, 0.9]), demands,
       st.integers(1, 60))
def test_quick_ring_verdict_is_the_brute_force_verdict(n: int, q: float, demand: F,
                                                      cut: int) -> None:
    """When the spread-1 bounds decide a target, they decide it as all 2^n down-sets do."""
    missing = brute_unavailability(Spec("ring"), n, q, demand, F(4))
    # Targets near the figure (where the bounds must say "unsure") and far from it.
    for target in (F(1) - F(missing) * F(cut, 30), F(1) - F(cut, 61)):
        if not 0 < target < 1:
            continue
        quick = ring_meets_quickly(n, F(q), demand, F(4), target)
        if quick is not None:
            assert quick == (F(missing) <= 1 - target) or \
                abs(missing - float(1 - target)) <= 1e-12


@settings(deadline=None, max_examples=200)
@given(st.integers(20, 3000), st.sampled_from([0.001, 0.05, 0.3, 0.6, 0.9]),
       st.integers(1, 400), st.integers(1, 99))
def test_quick_ring_verdict_agrees_with_the_exact_figure(n: int, q: float, load: int,
                                                         nines: int) -> None:
    """On long rings (beyond brute force) the bounds agree with the exact figure's verdict."""
    demand, capacity = F(n * load, 100), F(1)
    target = F(1) - F(1, 10 ** (nines % 12 + 1))
    quick = ring_meets_quickly(n, F(q), demand, capacity, target)
    if quick is None or demand / n > capacity:
        return
    try:
        figure = ring(n, F(q), demand, capacity, 1)
    except ValueError:
        return
    assert quick == figure.meets(target)


def test_quick_ring_verdict_decides_the_typical_count() -> None:
    """Nodes down 76% of the time, a 99% target: the bounds decide far from the boundary."""
    q, demand, capacity, target = F(100, 132), F(10), F(1, 100), F(99, 100)
    assert ring_meets_quickly(20_000, q, demand, capacity, target) is False
    assert ring_meets_quickly(80_000, q, demand, capacity, target) is True
    assert ring(80_000, q, demand, capacity, 1).meets(target)


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
    """Spread 5 at half load, q = 1%: too many states, N·w neither tiny nor large.

    One phase has few enough states (252), but its figure (1.2e-6) is below what the
    subtraction from 1 can state to a part in a million at 10,000 nodes.
    """
    with pytest.raises(ValueError, match="states"):
        ring_unavailability(10_000, 0.01, F(5_000), F(1), 5)
    with pytest.raises(ValueError, match="states"):
        ring_unavailability(10_000, 0.3, F(3_000), F(1), 5)


def test_half_loaded_spread_four_has_a_figure() -> None:
    """Issue 9 item 12: spread 4 at half load, q = 1%, 10,000 nodes (null before)."""
    figure = ring(10_000, F(1, 100), F(5_000), F(1), 4)
    assert 0 < figure.value < 1e-3
    assert figure.slack <= 2e-6 * figure.value


@settings(deadline=None, max_examples=200)
@given(st.integers(2, 10), st.integers(1, 5), st.sampled_from([F(1, 1000), F(1, 10), F(3, 10),
                                                               F(6, 10), F(95, 100)]),
       st.sampled_from([F(1, 10), F(1, 5), F(3, 10), F(1, 2), F(7, 10), F(9, 10), F(1)]))
def test_window_trace_matches_brute_force(n: int, spread: int, q: F, load: F) -> None:
    """Spreads 1–5 and wide budgets (light loads): the rational brute force, exactly."""
    demand = load * n
    figure = ring(n, q, demand, F(1), spread)
    want = exact_brute(Spec("ring", spread=spread), n, q, demand, F(1))
    assert abs(F(figure.value) - want) <= F(figure.slack) + F(1, 10**300)
    assert figure.exact is not None
    assert figure.exact() == want


@settings(deadline=None, max_examples=40)
@given(st.integers(1, 3), st.sampled_from([F(3, 10), F(1, 2), F(7, 10)]),
       st.sampled_from([1e-3, 1e-2, 0.05, 0.3, 0.6, 0.9]), st.integers(20, 400))
def test_shortcuts_agree_with_the_trace(spread: int, load: F, q: float, n: int) -> None:
    """The declumped and nearly-certain figures lie within their slack of the matrix trace."""
    from capplan.availability import _declumped, _nearly_certain, _ring_power

    budget = math.floor(spread * (1 - load) / load)
    length = budget + spread
    if length > n - 1:
        return
    traced = _ring_power(n, q, spread, length)
    for shortcut in (_declumped, _nearly_certain):
        figure = shortcut(n, q, spread, length)
        if figure is not None:
            assert abs(figure.value - traced) <= figure.slack + traced * 1e-9


@pytest.mark.parametrize(("m", "length", "q"), [(1, 3, 0.3), (2, 4, 0.2), (3, 5, 0.5),
                                                 (2, 6, 0.7), (3, 4, 0.1)])
def test_clump_start_by_enumeration(m: int, length: int, q: float) -> None:
    """p′ = P(W₀ bad, W₋₁ … W₋L fine) over all 2^(2L) patterns of nodes −L … L − 1."""
    from capplan.availability import _clump_start

    total = 0.0
    for pattern in itertools.product((0, 1), repeat=2 * length):
        def ups(i: int, pattern: tuple[int, ...] = pattern) -> int:
            return sum(pattern[length + i:length + i + length])  # W_i, i from −L
        if ups(0) <= m - 1 and all(ups(-k) >= m for k in range(1, length + 1)):
            total += math.prod((1 - q) if x else q for x in pattern)
    assert _clump_start(q, m, length) == pytest.approx(total, rel=1e-12)


def test_lightly_loaded_wide_ring_has_a_figure() -> None:
    """Spread 3 at 20% load: shedding needs 13 failures in 15 nodes, below 2^-60: figure 0."""
    figure = ring(10_000, F(1, 100), F(2_000), F(1), 3)
    assert figure.value == 0.0
    assert figure.slack < 2.0**-60


@pytest.mark.parametrize("demand", [F(8), F(26, 8)])
def test_eight_node_spread_three_ring_keeps_its_digits(demand: F) -> None:
    """8 nodes, spread 3 (issue 9 item 12; 448 states at 40%): the exact sum over 2^8 sets."""
    q = F(1, 1000)
    figure = ring(8, q, demand, F(1), 3)
    want = exact_brute(Spec("ring", spread=3), 8, q, demand, F(1))
    assert figure.exact is not None
    assert figure.exact() == want
    assert figure.value == pytest.approx(float(want), rel=1e-9)


def exact_brute(spec: Spec, n: int, q: F, demand: F, capacity: F) -> F:
    """Σ P(down-set) over every shedding down-set, in Fractions."""
    total = F(0)
    for states in itertools.product((False, True), repeat=n):
        failed = frozenset(i + 1 for i, down in enumerate(states) if down)
        if outcome(spec, n, demand, failed).shed(capacity) > 0:
            total += q ** len(failed) * (1 - q) ** (n - len(failed))
    return total


@settings(deadline=None, max_examples=60)
@given(st.integers(1, 8), st.integers(1, 3), st.sampled_from([F(1, 1000), F(1, 10), F(1, 2)]),
       demands)
def test_ring_exact_and_relative_precision(n: int, spread: int, q: F, demand: F) -> None:
    """Ring figures equal the rational brute force exactly, and the float to 1e-9 relative."""
    try:
        figure = ring(n, q, demand, F(4), spread)
    except ValueError:
        return
    want = exact_brute(Spec("ring", spread=spread), n, q, demand, F(4))
    assert figure.value == pytest.approx(float(want), rel=1e-9, abs=1e-300)
    assert abs(F(figure.value) - want) <= F(figure.slack) + F(float(want)) * F(1, 10**12)
    assert figure.exact is not None
    assert figure.exact() == want


def test_pool_target_met_exactly_at_its_boundary() -> None:
    """300 rps on three 100-rps nodes down 1% each: U = 1 − 0.99³, so 97.0299% is met."""
    figure = pool(3, F(1, 100), F(300), F(100))
    assert figure.meets(F(970299, 1_000_000))
    assert not figure.meets(F(970299, 1_000_000) + F(1, 10**30))
    assert figure.availability == 0.970299


def test_twenty_one_nines_compared_on_unavailabilities() -> None:
    """4 nodes need 1 up, q = 1e-5: U = 1e-20 exactly; 1 − 1e-20 met, 1 − 1e-21 not."""
    figure = pool(4, F(1, 10**5), F(1), F(1))
    assert figure.meets(1 - F(1, 10**20))
    assert not figure.meets(1 - F(1, 10**21))
    assert meets(pool(5, F(1, 10**5), F(1), F(1)), 1 - F(1, 10**21))


def test_standbys_for_uses_the_exact_boundary() -> None:
    """P(more than 2 of 3 down) = q³ = 1e-6 exactly: 99.9999% needs 2 standbys, not 3."""
    assert standbys_for(3, F(1, 100), F(999_999, 1_000_000)) == 2
    assert standbys_for(3, F(1, 100), F(999_999, 1_000_000) + F(1, 10**40)) == 3


def test_standbys_for_matches_a_linear_scan() -> None:
    """Bisection finds the same fewest standbys as trying every count with exact tails."""
    for n in (1, 5, 40):
        for target in (F(9, 10), F(999, 1000), F(99_999, 100_000)):
            q = F(3, 100)
            scan = next(s for s in range(n + 1)
                        if sum(math.comb(n, k) * q**k * (1 - q) ** (n - k)
                               for k in range(s + 1, n + 1)) <= 1 - target)
            assert standbys_for(n, q, target) == scan


def test_a_million_nodes_is_quick() -> None:
    """Pool, active-passive, rings and standby floors at 1,000,000 nodes: each under 100 ms."""
    import time

    q = F(1, 1000)
    for work in (lambda: pool(10**6, q, F(999_000), F(1)),
                 lambda: active_passive(10**6, 1_200, q, F(500_000), F(1)),
                 lambda: ring(10**6, q, F(100_000), F(1)),
                 lambda: ring(10**6, q, F(200_000), F(1), 3),
                 lambda: standbys_for(10**6, q, F(99_999, 100_000))):
        start = time.perf_counter()
        work()
        assert time.perf_counter() - start < 0.1


def test_two_box_ring_hand_worked() -> None:
    """Two boxes, each able to carry everything: down only when both are (q²)."""
    assert ring_unavailability(2, 0.01, F(1000), F(1000)) == pytest.approx(1e-4)


def test_tiny_tails_keep_their_digits() -> None:
    """Unavailability near 1e-15 is summed, not lost in 1 − 0.999…."""
    tail = binomial_tail(10, 1e-4, 4).value
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


@settings(max_examples=60, deadline=None)
@given(nodes=st.integers(2, 120), start=st.integers(1, 119),
       q=st.fractions(min_value=Fraction(1, 1000), max_value=Fraction(1, 2),
                      max_denominator=1000),
       target=st.sampled_from([Fraction(9, 10), Fraction(99, 100), Fraction(9999, 10000)]))
def test_standbys_from_a_known_answer_equal_the_full_search(
        nodes: int, start: int, q: Fraction, target: Fraction) -> None:
    from capplan.availability import standbys_for

    start = min(start, nodes - 1)
    known = (start, standbys_for(start, q, target))
    full = standbys_for(nodes, q, target)
    assert standbys_for(nodes, q, target, known) == full
    # Bracketed from above too (a larger tier's answer), or from above alone.
    larger = nodes + start
    above = (larger, standbys_for(larger, q, target))
    assert standbys_for(nodes, q, target, known, above) == full
    assert standbys_for(nodes, q, target, None, above) == full


def test_no_exact_figure_past_the_bits_a_gcd_can_reduce_quickly() -> None:
    """An 840,600-node tail near its boundary is decided without a 40-million-bit fraction.

    Found by the fuzz test: the exact tail of a pool of nodes down 99.999% of the time
    reduced a fraction whose denominator had 40 million bits (about 40 minutes of gcd).
    """
    from capplan.availability import MAX_EXACT_BITS, _tail_exact

    q = F(100) / F("100.001")
    assert 840_600 * q.denominator.bit_length() > MAX_EXACT_BITS
    assert _tail_exact(840_600, q, 840_598) is None
    tail = binomial_tail(840_600, q, 840_598)
    assert tail.meets(F(99, 100)) in (True, False)


@settings(deadline=None, max_examples=150)
@given(st.sampled_from([300, 5_000, 80_000, 1_000_000]),
       st.sampled_from([0.002, 0.05, 0.3, 0.5, 0.8, 0.999]), st.floats(-9, 9))
def test_wide_tails_in_numpy_blocks_equal_the_loop(n: int, q: float, sigmas: float) -> None:
    """The numpy blocks sum the loop's terms: equal to a part in 10¹², either side."""
    from capplan import availability

    low = min(n, max(0, round(n * q + sigmas * math.sqrt(n * q * (1 - q)))))
    blocks = availability._tail_float(n, q, low)
    original = availability.VECTOR_TERMS
    availability.VECTOR_TERMS = 10**12  # every tail through the loop
    try:
        looped = availability._tail_float(n, q, low)
    finally:
        availability.VECTOR_TERMS = original
    assert blocks == pytest.approx(looped, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(("n", "q", "low"), [
    (1_000_000, 0.9997, 999_999), (1_000_000, 0.9997, 1_000_000),
    (1_000_000, 0.0003, 1), (1_000_000, 0.5, 1), (1_000_000, 0.5, 999_999)])
def test_wide_tails_that_reach_either_end(n: int, q: float, low: int) -> None:
    """A block that ends at k = n (or 0) stops there (the next ratio is log 0): the loop's sum."""
    from capplan import availability

    blocks = availability._tail_float(n, q, low)
    original = availability.VECTOR_TERMS
    availability.VECTOR_TERMS = 10**12
    try:
        looped = availability._tail_float(n, q, low)
    finally:
        availability.VECTOR_TERMS = original
    assert blocks == pytest.approx(looped, rel=1e-12, abs=1e-300)


def test_a_hundred_percent_is_never_met_by_nodes_that_fail() -> None:
    """Reviewer's find: with N·p and qᴺ below the smallest float, 0 ≤ 0 read as met.

    Every node may be down at once (probability qᴺ > 0), so no finite tier of nodes that
    fail is available 100% of the time, however small the float figure underflows to.
    """
    q, capacity, demand = F(1, 2), F(1000), F(1100)
    assert ring_meets_quickly(1100, q, demand, capacity, F(1)) is False
    assert ring(1194, q, demand, capacity, 1).meets(F(1)) is False
    # A pool past MAX_EXACT_BITS has no exact figure to fall back on.
    assert pool(262_145, F(1) / F(3), demand, capacity).meets(F(1)) is False


def test_a_figure_within_its_slack_of_zero_is_not_met_without_its_exact_value() -> None:
    """A figure whose bound reaches 0 is not 'met' on the strength of the float alone.

    value − slack ≤ 0 < allowed < value + slack: the float cannot decide, and no exact
    figure exists.
    """
    from capplan.availability import Unavailability

    straddling = Unavailability(0.0, 1e-300)
    assert straddling.meets(F(1)) is False
    assert straddling.meets(F(1) - F(1, 10**310)) is False
    assert straddling.meets(F(1) - F(1, 10**290)) is True


def test_a_tiny_allowed_share_below_the_floats_is_not_decided_by_floats() -> None:
    """1 − target under the smallest normal float: the spread-1 bounds stay out of it."""
    q, capacity, demand = F(1, 2), F(1000), F(1100)
    # 2,200 nodes: runs of 2,000 failed nodes shed, and N·p underflows to 0.0 as well.
    assert ring_meets_quickly(2200, q, demand, capacity, F(1) - F(1, 10**400)) is None


def test_a_negligible_ring_figure_keeps_its_exact_value_for_a_target_met_exactly() -> None:
    """A target equal to a negligible ring figure's exact availability is met.

    Reviewer's find: 12 nodes at 160 rps on 100-rps nodes, down 1/1000 of the time; it
    was 'not met' (the figure 0 with a bound 1.2e-20 had no exact fallback). A hair
    above it is not met.
    """
    q, demand, capacity = F(1, 1000), F(160), F(100)
    exact = exact_brute(Spec("ring"), 12, q, demand, capacity)
    figure = ring(12, q, demand, capacity, 1)
    assert figure.meets(1 - exact)
    assert not figure.meets(1 - exact + F(1, 10**60))


@pytest.mark.parametrize("spread", [200, 1000])
@pytest.mark.parametrize("q", [F(1, 100), F(1, 2)])
def test_rings_of_very_wide_spread_answer_or_decline_at_once(spread: int, q: F) -> None:
    """A spread of 1,000: a figure, or the state-limit refusal, at once.

    The slow fuzz run's find: the state count overflowed a float, and the declumped walk
    (L·m³ steps) then ran for minutes.
    """
    for load in (F(1, 10), F(1, 2), F(9, 10)):
        refusals: list[str] = []
        try:
            figure = ring(5_000, q, load * 5_000, F(1), spread)
        except ValueError as error:
            refusals.append(str(error))
        else:
            assert 0 <= figure.value <= 1
        assert all("states" in refusal for refusal in refusals)
