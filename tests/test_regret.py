"""capplan.regret: least expected regret against hand-worked figures and a per-draw oracle."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from capplan import regret as module
from capplan.errors import InvalidArgument, TooMany
from capplan.regret import (
    RELATIVE_TOLERANCE,
    RegretWeights,
    choose,
    expected_regrets,
    regret_counts,
)
from capplan.render.data import to_json, to_yaml
from capplan.uncertainty import BEYOND, quantile_count

F = Fraction

counts_lists = st.lists(st.integers(1, 40), min_size=1, max_size=40)
factors = st.floats(0.001, 1000)
exponents = st.floats(1, 3)
costs = st.floats(0.01, 1e6)


def naive(counts: Sequence[int], cost: float, candidates: Sequence[int], over: float = 1,
          under: float = 1.25, exponent: float = 1.2) -> list[float]:
    """The rule as SPEC §7 words it, draw by draw, in plain Python: the oracle."""
    result = []
    for candidate in candidates:
        plan = candidate * cost
        total = 0.0
        for count in counts:
            optimal = count * cost
            total += ((plan - optimal) * over) ** exponent if plan >= optimal \
                else ((optimal - plan) * under) ** exponent
        result.append(total / len(counts))
    return result


def span(counts: Sequence[int]) -> list[int]:
    """Every count from the least drawn to the largest."""
    return list(range(min(counts), max(counts) + 1))


# The published example --------------------------------------------------------------------

def test_published_example_regret_picks_five_where_the_quantile_picks_six() -> None:
    """Draws needing 4, 5, 6 nodes with probabilities 50/30/20%, 1,000 per node.

    By hand, with over 1, under 1.25, exponent 1.2 (1000^1.2 = 10^3.6 = 3981.07,
    1250^1.2 = 5203.46, 2000^1.2 = 9146.10, 2500^1.2 = 11954.41):
      4 nodes: short by 1 node in 30% and by 2 in 20% of draws
               0.3 · 1250^1.2 + 0.2 · 2500^1.2 = 1561.04 + 2390.88 = 3951.92
      5 nodes: 1 node over in 50%, 1 short in 20%
               0.5 · 1000^1.2 + 0.2 · 1250^1.2 = 1990.54 + 1040.69 = 3031.23
      6 nodes: 2 over in 50%, 1 over in 30%
               0.5 · 2000^1.2 + 0.3 · 1000^1.2 = 4573.05 + 1194.32 = 5767.37
    5 is least. The 95% quantile: 4 covers 50% of draws, 5 covers 80%, so 6.
    """
    counts = [4] * 5000 + [5] * 3000 + [6] * 2000
    random.Random(0).shuffle(counts)
    result = regret_counts(counts, 1000)
    power = 10 ** 3.6  # 1000 ** 1.2
    assert result.expected_regret == pytest.approx({
        4: 0.3 * power * 1.25 ** 1.2 + 0.2 * power * 2.5 ** 1.2,
        5: 0.5 * power + 0.2 * power * 1.25 ** 1.2,
        6: 0.5 * power * 2 ** 1.2 + 0.3 * power,
    }, rel=1e-12)
    assert {count: round(value, 2) for count, value in result.expected_regret.items()} == \
        {4: 3951.92, 5: 3031.23, 6: 5767.37}
    assert result.chosen == 5
    assert result.quantile == 6
    assert result.confidence == F(95, 100)
    assert list(result.document()) == ["4", "5", "6"]


def test_published_example_in_weighted_form() -> None:
    """The same three counts given once each with weights 50/30/20 choose and report alike."""
    weighted = regret_counts([6, 4, 5], 1000, weights=[0.2, 0.5, 0.3])
    drawn = regret_counts([4] * 5 + [5] * 3 + [6] * 2, 1000)
    assert weighted.chosen == drawn.chosen == 5
    assert weighted.quantile == drawn.quantile == 6
    assert weighted.expected_regret == pytest.approx(drawn.expected_regret, rel=1e-12)


def test_linear_regret_ties_go_to_more_nodes() -> None:
    """Exponent 1, over = under = 1, draws of 4 and 6 alike, 1,000 per node.

    4: 0.5 · 2000 = 1000; 5: 0.5 · 1000 + 0.5 · 1000 = 1000; 6: 0.5 · 2000 = 1000.
    A three-way tie: the rule takes 6, the count that also holds the larger draw.
    """
    result = regret_counts([4, 6], 1000, over=1, under=1, exponent=1)
    assert result.expected_regret == {4: 1000.0, 5: 1000.0, 6: 1000.0}
    assert result.chosen == 6


def test_choose_breaks_ties_by_nodes_then_cost_then_order() -> None:
    """Within the tolerance: more nodes, then cheaper, then listed first; beyond it, least."""
    near = 1 + RELATIVE_TOLERANCE / 10
    assert choose([1.0, near, 2.0], [3, 3, 2], [5.0, 4.0, 1.0]) == 1
    assert choose([1.0, near, 2.0], [3, 3, 2]) == 0
    assert choose([1.0, near], [3, 4]) == 1
    assert choose([1.0, 1 + 1e-6], [3, 4]) == 0
    assert choose([0.0, 0.0], [7, 7], [2.0, 2.0]) == 0


# Against the per-draw oracle --------------------------------------------------------------

@settings(deadline=None, max_examples=150)
@given(counts_lists, costs, factors, factors, exponents)
def test_grouped_values_equal_the_per_draw_sum(counts: list[int], cost: float, over: float,
                                              under: float, exponent: float) -> None:
    """Grouping draws by distinct count changes no value: the oracle sums draw by draw."""
    result = regret_counts(counts, cost, over, under, exponent)
    candidates = span(counts)
    oracle = naive(counts, cost, candidates, over, under, exponent)
    assert list(result.expected_regret) == candidates
    assert list(result.expected_regret.values()) == pytest.approx(oracle, rel=1e-9, abs=0)
    least = min(oracle)
    # The choice is least in the oracle's values too, and no larger count ties it.
    assert oracle[result.chosen - candidates[0]] <= least * (1 + 10 * RELATIVE_TOLERANCE)
    assert all(value > least * (1 + RELATIVE_TOLERANCE / 10)
               for value in oracle[result.chosen - candidates[0] + 1:])


@settings(deadline=None, max_examples=100)
@given(st.lists(st.tuples(st.floats(0, 1e6), st.floats(0.01, 10)), min_size=1, max_size=30),
       st.lists(st.floats(0, 1e6), min_size=1, max_size=20), factors, factors, exponents)
def test_cost_form_equals_the_weighted_per_draw_sum(
        draws: list[tuple[float, float]], plans: list[float], over: float, under: float,
        exponent: float) -> None:
    """expected_regrets on costs (the form node-type mixes will use), weighted, draw by draw."""
    optimal = [cost for cost, _ in draws]
    weights = [weight for _, weight in draws]
    values = expected_regrets(optimal, plans, weights=weights,
                              regret=RegretWeights.of(over, under, exponent))
    total = sum(weights)
    oracle = [sum(weight * (((plan - cost) * over) ** exponent if plan >= cost
                            else ((cost - plan) * under) ** exponent)
                  for cost, weight in draws) / total for plan in plans]
    assert values == pytest.approx(oracle, rel=1e-9, abs=1e-300)


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(1, 5000), min_size=1, max_size=8), factors, factors, exponents)
def test_wide_spans_are_searched_to_the_table_s_choice(counts: list[int], over: float,
                                                       under: float, exponent: float) -> None:
    """Past MAX_TABLE_SPAN the count is found by bisection: it is the brute-force choice.

    The brute force prices every count of the span with the cost form; the search reports
    the counts it priced (the ends and its choice among them), with the oracle's values.
    """
    result = regret_counts(counts, 1, over, under, exponent)
    candidates = span(counts)
    values = expected_regrets(counts, candidates, regret=RegretWeights.of(over, under, exponent))
    assert result.chosen == candidates[choose(values, candidates)]
    considered = list(result.expected_regret)
    assert considered == sorted(considered)
    assert {min(counts), max(counts), result.chosen} <= set(considered)
    if len(candidates) - 1 > module.MAX_TABLE_SPAN:
        assert len(considered) <= 3 * math.log2(len(candidates)) + 3
    assert list(result.expected_regret.values()) == pytest.approx(
        naive(counts, 1, list(result.expected_regret), over, under, exponent), rel=1e-9)


@settings(deadline=None, max_examples=100)
@given(counts_lists, factors, factors, exponents)
def test_search_and_table_agree(counts: list[int], over: float, under: float,
                                exponent: float) -> None:
    """Forced to search even small spans, the bisection picks the count the table picks."""
    table = regret_counts(counts, 1, over, under, exponent)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "MAX_TABLE_SPAN", -1)
        searched = regret_counts(counts, 1, over, under, exponent)
    assert searched.chosen == table.chosen
    for count, value in searched.expected_regret.items():
        assert value == pytest.approx(table.expected_regret[count], rel=1e-12, abs=0)


# Properties -------------------------------------------------------------------------------

@settings(deadline=None, max_examples=150)
@given(counts_lists, factors, factors, exponents)
def test_choice_lies_within_the_drawn_counts_and_nothing_outside_does_better(
        counts: list[int], over: float, under: float, exponent: float) -> None:
    """The chosen count lies in [min, max]; every count outside regrets strictly more."""
    result = regret_counts(counts, 1, over, under, exponent)
    low, high = min(counts), max(counts)
    assert low <= result.chosen <= high
    outside = [*range(max(0, low - 5), low), *range(high + 1, high + 6)]
    regret = RegretWeights.of(over, under, exponent)
    ends = expected_regrets(counts, [low, high], regret=regret)
    for count, value in zip(outside, expected_regrets(counts, outside, regret=regret),
                            strict=True):
        assert value > (ends[0] if count < low else ends[1])


@settings(deadline=None, max_examples=150)
@given(counts_lists, costs, st.floats(0.001, 1000), factors, factors, exponents)
def test_scaling_costs_keeps_the_choice_at_any_exponent(
        counts: list[int], cost: float, scale: float, over: float, under: float,
        exponent: float) -> None:
    """Regret is homogeneous of degree `exponent` in money: ×s on costs is ×s^e on regrets.

    The brief asked for exponent 1; the choice stays at every exponent, because every
    draw's regret, hence every average, scales by the same s^exponent.
    """
    regret = RegretWeights.of(over, under, exponent)
    candidates = span(counts)
    plans = [count * cost for count in candidates]
    base = expected_regrets([count * cost for count in counts], plans, regret=regret)
    scaled = expected_regrets([count * cost * scale for count in counts],
                              [plan * scale for plan in plans], regret=regret)
    assert choose(scaled, candidates) == choose(base, candidates)
    assert scaled == pytest.approx([value * scale ** exponent for value in base], rel=1e-9)
    one, other = regret_counts(counts, cost, over, under, exponent), \
        regret_counts(counts, cost * scale, over, under, exponent)
    assert one.chosen == other.chosen
    assert list(other.expected_regret.values()) == pytest.approx(
        [value * scale ** exponent for value in one.expected_regret.values()], rel=1e-9)


@settings(deadline=None, max_examples=100)
@given(counts_lists, costs, st.floats(0.001, 1000), exponents)
def test_scaling_over_and_under_together_keeps_the_choice(
        counts: list[int], cost: float, scale: float, exponent: float) -> None:
    """Only under/over decides the count: both ×s leaves it (and the values ×s^e)."""
    assume(0.75 * scale <= 1000 and 0.5 * scale >= 0.001)
    one = regret_counts(counts, cost, 0.5, 0.75, exponent)
    other = regret_counts(counts, cost, 0.5 * scale, 0.75 * scale, exponent)
    assert one.chosen == other.chosen
    assert list(other.expected_regret.values()) == pytest.approx(
        [value * scale ** exponent for value in one.expected_regret.values()], rel=1e-9)


@settings(deadline=None, max_examples=200)
@given(counts_lists, factors, factors, factors, exponents)
def test_more_under_never_picks_fewer_nodes(counts: list[int], over: float, under: float,
                                             more: float, exponent: float) -> None:
    """Pricing a shortfall higher can only move the choice up."""
    low, high = sorted((under, more))
    assert regret_counts(counts, 1, over, high, exponent).chosen >= \
        regret_counts(counts, 1, over, low, exponent).chosen


@settings(deadline=None, max_examples=200)
@given(counts_lists, factors, factors, factors, exponents)
def test_more_over_never_picks_more_nodes(counts: list[int], over: float, more: float,
                                          under: float, exponent: float) -> None:
    """Pricing idle nodes higher can only move the choice down."""
    low, high = sorted((over, more))
    assert regret_counts(counts, 1, high, under, exponent).chosen <= \
        regret_counts(counts, 1, low, under, exponent).chosen


@settings(deadline=None, max_examples=100)
@given(st.integers(0, 10**6), st.integers(1, 50), costs, factors, factors, exponents)
def test_point_mass_picks_its_count(count: int, draws: int, cost: float, over: float,
                                    under: float, exponent: float) -> None:
    """Every draw needing n nodes: n, with no regret, and the quantile agrees."""
    result = regret_counts([count] * draws, cost, over, under, exponent)
    assert result.chosen == result.quantile == count
    assert result.expected_regret == {count: 0.0}


@settings(deadline=None, max_examples=100)
@given(st.lists(st.tuples(st.integers(1, 30), st.integers(1, 6)), min_size=1, max_size=12),
       st.integers(1, 99), factors, factors, exponents)
def test_weights_act_as_repeated_draws(pairs: list[tuple[int, int]], percent: int,
                                       over: float, under: float, exponent: float) -> None:
    """Integer weights give what repeating each draw that many times gives, quantile too."""
    counts = [count for count, _ in pairs]
    repeated = [count for count, times in pairs for _ in range(times)]
    confidence = F(percent, 100)
    weighted = regret_counts(counts, 7, over, under, exponent,
                             weights=[times for _, times in pairs], confidence=confidence)
    drawn = regret_counts(repeated, 7, over, under, exponent, confidence=confidence)
    assert weighted.chosen == drawn.chosen
    assert weighted.quantile == drawn.quantile == quantile_count(np.array(repeated), confidence)
    assert weighted.expected_regret == pytest.approx(drawn.expected_regret, rel=1e-12)


def test_draws_of_weight_zero_are_not_candidates() -> None:
    """A draw that weighs nothing widens nothing: the rest is a point mass."""
    result = regret_counts([3, 90], 10, weights=[0, 1])
    assert result.expected_regret == {90: 0.0}
    assert result.chosen == result.quantile == 90


def test_zero_cost_chooses_as_any_positive_cost() -> None:
    """With cost 0 (the file's default) the count is the one every positive cost picks."""
    counts = [4] * 50 + [5] * 30 + [6] * 20
    free = regret_counts(counts, 0)
    assert free.chosen == regret_counts(counts, 1).chosen == regret_counts(counts, 1e6).chosen
    assert free.expected_regret == {4: 0.0, 5: 0.0, 6: 0.0}


@settings(deadline=None, max_examples=50)
@given(counts_lists, st.randoms(use_true_random=False))
def test_same_draws_in_any_order_give_the_same_bytes(counts: list[int],
                                                     shuffler: random.Random) -> None:
    """The result depends on the draws, not their order, to the last bit."""
    shuffled = list(counts)
    shuffler.shuffle(shuffled)
    one, other = regret_counts(counts, 2500), regret_counts(shuffled, 2500)
    assert one == other
    assert to_json(one.document()) == to_json(other.document())


def test_document_reads_the_same_in_json_and_yaml() -> None:
    """String keys: JSON would turn integer keys into strings, YAML would keep integers."""
    result = regret_counts([4] * 5 + [5] * 3 + [6] * 2, 1000)
    document = {"expected_regret": result.document()}
    assert json.loads(to_json(document)) == yaml.safe_load(to_yaml(document)) == document


# Refusals ---------------------------------------------------------------------------------

def test_draws_beyond_the_node_limit_are_refused_at_the_tier() -> None:
    """No cost to weigh a draw that no count holds: TooMany, located, with the way out."""
    with pytest.raises(TooMany, match=r"1 of 3 draws need more than 1,000,000 nodes on tier "
                                      r"'web'.*policy\.choose: quantile") as raised:
        regret_counts([5, 6, BEYOND], 1000, tier="web", path=("tiers", 0))
    assert raised.value.path == ("tiers", 0)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"over": 0}, "regret over 0 is out of range"),
    ({"under": 1001}, "regret under 1001 is out of range"),
    ({"exponent": 0.5}, "regret exponent 0.5 is out of range: must be at least 1"),
    ({"exponent": math.nan}, "regret exponent nan"),
    ({"cost_per_node": -1}, "cost per node -1"),
    ({"cost_per_node": math.inf}, "cost per node inf"),
    ({"counts_per_draw": []}, "non-empty list of integers"),
    ({"counts_per_draw": [4.5]}, "non-empty list of integers"),
    ({"counts_per_draw": [-1, 3]}, "negative count"),
    ({"weights": [1]}, "one per draw"),
    ({"weights": [0, 0]}, "some positive"),
    ({"weights": [1, -1]}, "none negative"),
    ({"weights": [1, math.nan]}, "finite"),
])
def test_bad_arguments_are_refused_by_name(arguments: dict[str, object], message: str) -> None:
    """Each bad argument raises InvalidArgument naming it, never a numpy error."""
    call: dict[str, object] = {"counts_per_draw": [4, 5], "cost_per_node": 1000, **arguments}
    with pytest.raises(InvalidArgument, match=message.replace(".", r"\.")):
        regret_counts(**call)  # type: ignore[arg-type]


def test_choose_refuses_mismatched_lists() -> None:
    """Regrets, nodes and costs come one per plan."""
    with pytest.raises(InvalidArgument):
        choose([1.0], [1, 2])
    with pytest.raises(InvalidArgument):
        choose([], [])
