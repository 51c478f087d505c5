"""capplan.uncertainty: ranges, seeded draws, and counts per draw against closed forms."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan import uncertainty
from capplan.demand import entry_peak, tier_demands
from capplan.model import Topology, Uncertain
from capplan.results import plan_document
from capplan.schemes import TooMany, Unattainable
from capplan.sizing import TierShape, plan
from capplan.uncertainty import BEYOND
from tests.helpers import fed_by, tier, topology

F = Fraction


def ranged_pool(low: object = 1000, high: object = 2000, **policy: object) -> Topology:
    """One pool tier of 100-rps nodes under an uncertain peak."""
    return topology(tier("web", capacity=100),
                    traffic={"peak_rps": {"low": low, "high": high}}, policy=policy or None)


def test_range_reads_as_its_median() -> None:
    """{low: 1000, high: 4000} is lognormal with median √(1000·4000) = 2000."""
    site = ranged_pool(1000, 4000)
    peak = site.traffic.peak_rps
    assert isinstance(peak, Uncertain)
    assert peak == 2000
    assert (peak.low, peak.high, peak.confidence) == (F(1000), F(4000), F(9, 10))


def test_share_range_reads_as_its_logit_median() -> None:
    """A hit ratio of 20%–80% has median 50% (the logit scale is symmetric there)."""
    site = topology(tier("cache", capacity=100, hit_ratio={"low": "20%", "high": "80%"}))
    assert site.tiers[0].hit_ratio == F(1, 2)


def test_degenerate_range_is_the_point_plan() -> None:
    """A range with low = high gives the plain number's counts, every draw alike."""
    fixed = plan(topology(tier("web", capacity=100), traffic={"peak_rps": 1500}))
    ranged = plan(ranged_pool(1500, 1500))
    assert ranged.tiers[0].nodes_required == fixed.tiers[0].nodes_required
    assert ranged.tiers[0].nodes_required_distribution == {"16": 1.0}


def test_distribution_matches_the_lognormal() -> None:
    """P(nodes_required ≤ n) = Φ((ln(100(n−1)) − μ)/σ), within sampling error.

    n pool nodes of 100 rps hold N+1 up to 100·(n − 1) rps; 10,000 draws.
    """
    site = plan(ranged_pool(1000, 2000))
    shares = site.tiers[0].nodes_required_distribution
    assert shares is not None
    z = NormalDist().inv_cdf(0.95)
    mu, sigma = (math.log(1000) + math.log(2000)) / 2, (math.log(2000) - math.log(1000)) / (2 * z)
    cumulative = 0.0
    for count, share in shares.items():
        cumulative += share
        want = NormalDist(mu, sigma).cdf(math.log(100 * (int(count) - 1)))
        assert cumulative == pytest.approx(want, abs=0.015)


def test_nodes_required_is_the_confidence_quantile() -> None:
    """At 95% confidence the count covers ≥ 95% of draws and one fewer covers < 95%."""
    site = plan(ranged_pool(1000, 2000, confidence="95%"))
    web = site.tiers[0]
    shares = web.nodes_required_distribution
    assert shares is not None
    covered = sum(share for count, share in shares.items() if int(count) <= web.nodes_required)
    below = sum(share for count, share in shares.items() if int(count) < web.nodes_required)
    assert covered >= 0.95 > below


def test_same_seed_same_plan_other_seed_other_draws() -> None:
    """Draws are reproducible from the seed, and depend on it."""
    site = ranged_pool(1000, 2000)
    first = plan_document(plan(site, seed=7))
    assert plan_document(plan(site, seed=7)) == first
    other = plan_document(plan(site, seed=8))
    assert other["tiers"][0]["nodes_required_distribution"] != \
        first["tiers"][0]["nodes_required_distribution"]


def test_vectorised_demands_equal_the_exact_flow() -> None:
    """With every range collapsed, the numpy propagation equals demand.tier_demands."""
    site = topology(tier("lb", capacity=1000), tier("cache", capacity=1000, hit_ratio="60%"),
                    tier("web", capacity=100, per_request=3),
                    tier("db", capacity=100, per_request=2, **fed_by("web", "lb")))
    draws = uncertainty.draw(site, [None] * 4, 5, 0)
    exact = tier_demands(site, entry_peak(site.traffic))
    for got, want in zip(draws.demands, exact, strict=True):
        assert np.allclose(got, float(want), rtol=1e-12)


@settings(deadline=None, max_examples=100)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=300), st.integers(1, 500))
def test_counts_for_equals_evaluating_every_value(values: list[float], step: int) -> None:
    """The split-where-ends-differ evaluation gives required(v) for every single v."""
    def required(value: Fraction) -> int:
        return math.ceil(value / step) + 1

    array = np.array(values)
    got = uncertainty.counts_for(array, required)
    assert list(got) == [required(Fraction(v)) for v in values]


def test_counts_for_evaluates_few_values() -> None:
    """10,000 draws needing 3 distinct counts cost a few dozen evaluations, not 10,000."""
    calls = []

    def required(value: Fraction) -> int:
        calls.append(value)
        return 1 + int(value > 1) + int(value > 2)

    uncertainty.counts_for(np.random.default_rng(0).uniform(0, 3, 10_000), required)
    assert len(calls) < 100


@pytest.mark.parametrize(("counts", "confidence", "want"), [
    ([3, 1, 2, 4], F(1, 2), 2), ([3, 1, 2, 4], F(3, 4), 3), ([3, 1, 2, 4], F(99, 100), 4),
    ([5] * 20, F(95, 100), 5),
])
def test_quantile_count(counts: list[int], confidence: F, want: int) -> None:
    """The smallest count covering at least the confidence share of draws."""
    assert uncertainty.quantile_count(np.array(counts), confidence) == want


def test_declared_count_must_cover_the_confidence() -> None:
    """A tier that holds at the median but not at 95% of draws is not ok."""
    site = plan(topology(tier("web", capacity=100, nodes=17),
                         traffic={"peak_rps": {"low": 1000, "high": 2000}}))
    web = site.tiers[0]
    assert web.assessment.holds  # 17 nodes carry the median 1414 rps with one down
    assert web.nodes is not None
    assert web.nodes < web.nodes_required_now
    assert web.ok is False


def test_draws_past_the_node_limit_count_as_beyond() -> None:
    """A draw no count holds (limit reached, inf, NaN) is BEYOND, and never raises."""
    def required(value: Fraction) -> int:
        if value > 1000:
            raise TooMany("more than 1,000,000 nodes")
        return math.ceil(value)

    values = np.array([5.0, 2000.0, math.inf, math.nan, 1.0, 1000.0])
    got = uncertainty.counts_for(values, required)
    assert list(got) == [5, BEYOND, BEYOND, BEYOND, 1, 1000]


def test_growth_past_float_range_scales_positive_draws_to_beyond() -> None:
    """(1 + 1000%)^1200 is no float: every positive draw is beyond, zero stays zero."""
    factor = F(11) ** 1200
    assert list(uncertainty.scaled(np.array([0.0, 1e-300, 5.0]), factor)) == \
        [0.0, math.inf, math.inf]
    shape = TierShape.of(ranged_pool().tiers[0], ranged_pool(), 0)
    counts = uncertainty.tier_counts(shape, np.array([0.0, 1.0, 2.0]), None, factor)
    assert list(counts)[1:] == [BEYOND, BEYOND]


def test_quantile_past_the_limit_is_refused_naming_the_keys() -> None:
    """When more draws than the confidence leaves out need too many nodes: TooMany, located."""
    counts = np.array([5] * 90 + [BEYOND] * 10)
    assert uncertainty.quantile_count(counts, F(9, 10)) == 5
    with pytest.raises(TooMany) as refused:
        uncertainty.quantile_count(counts, F(95, 100), tier="web", path=("tiers", 0),
                                   cause="growth 1000% a month for 36 months")
    message = str(refused.value)
    assert message.startswith("growth 1000% a month for 36 months needs more than "
                              "1,000,000 nodes on tier 'web' in 10% of 100 draws")
    assert "policy.confidence 95%" in message
    assert refused.value.path == ("tiers", 0)


def test_distribution_names_draws_beyond_the_limit() -> None:
    """Draws beyond the node limit are shown, last, under '>1000000'."""
    shares = uncertainty.distribution(np.array([3, BEYOND, 3, 4]))
    assert shares == {"3": 0.5, "4": 0.25, ">1000000": 0.25}
    assert list(shares) == ["3", "4", ">1000000"]


@pytest.mark.parametrize("traffic", [
    {"peak_rps": {"low": "1e-3", "high": "1e15", "confidence": "1e-9"}},
    {"peak_rps": {"low": 1000, "high": 2000}, "growth": "1000%", "horizon_months": 1200},
    {"daily_requests": {"low": 1, "high": "1e14", "confidence": "0.1%"},
     "peak_to_average": {"low": 1, "high": "1e6", "confidence": "0.1%"}},
])
def test_extreme_ranges_plan_or_refuse_quietly(traffic: dict[str, object]) -> None:
    """Ranges at the edges of what the file allows: a plan or TooMany, never an overflow.

    Nor a numpy warning on stderr: overflowing tails are expected, and counted as beyond.
    """
    site = topology(tier("web", capacity="1e-3", hit_ratio={"low": "1e-9", "high": "99.9%",
                                                            "confidence": "1e-6"}),
                    tier("db", capacity=100, per_request={"low": "1e-3", "high": 1000,
                                                          "confidence": "1e-3"}),
                    traffic=traffic)
    refusal: Unattainable | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = plan(site, simulations=1000)
        except Unattainable as error:
            refusal = error
    if refusal is not None:
        assert "1,000,000 nodes" in str(refusal)
    else:
        assert all(planned.nodes_required < BEYOND for planned in result.tiers)


@settings(deadline=None, max_examples=60)
@given(st.floats(-30, 15), st.floats(0, 20), st.floats(1e-9, 1 - 1e-9), st.integers(0, 1200))
def test_draws_and_counts_never_overflow(low: float, decades: float, confidence: float,
                                         months: int) -> None:
    """Any range the parser accepts, at any confidence and horizon, counts without raising."""
    low_value = F(10) ** round(low)
    site = topology(tier("web", capacity=100),
                    traffic={"peak_rps": {"low": low_value,
                                          "high": low_value * F(10) ** min(
                                              round(decades), 15 - round(low)),
                                          "confidence": F(confidence)},
                             "growth": "1000%", "horizon_months": months})
    draws = uncertainty.draw(site, [None], 500, 0)
    shape = TierShape.of(site.tiers[0], site, 0)
    counts = uncertainty.tier_counts(shape, draws.demands[0], None, F(11) ** months)
    assert counts.min() >= 1
    assert counts.max() <= BEYOND
    assert sum(uncertainty.distribution(counts).values()) == pytest.approx(1)


def test_counts_for_has_a_budget_and_errs_upwards() -> None:
    """10,000 draws needing as many counts cost at most the budget (plus the exact quantile).

    Every count is at least what its draw needs, counts still rise with the values, and
    the positions asked for are exact.
    """
    calls: list[Fraction] = []

    def required(value: Fraction) -> int:
        calls.append(value)
        return math.ceil(value)

    values = np.random.default_rng(1).lognormal(8, 3, 10_000)
    position = 9_499
    got = uncertainty.counts_for(values, required, exact=[position])
    assert len(calls) <= uncertainty.MAX_EVALUATIONS + 2 * 14 + 2
    exact = np.array([min(BEYOND, math.ceil(Fraction(float(v)))) for v in values])
    assert (got >= exact).all()
    order = np.argsort(values, kind="stable")
    assert (np.diff(got[order]) >= 0).all()
    assert got[order][position] == exact[order][position]


def test_confidence_quantile_is_exact_past_the_budget() -> None:
    """A range spanning thousands of counts: nodes_required is still the exact quantile."""
    site = topology(tier("web", capacity=1), traffic={"peak_rps": {"low": 10, "high": "20k"}})
    shape = TierShape.of(site.tiers[0], site, 0)
    demand = uncertainty.draw(site, [None], 4000, 0).demands[0]
    counts = uncertainty.tier_counts(shape, demand, None, F(1), F(95, 100))
    every = np.array([shape.required(Fraction(float(v))) for v in demand])
    assert uncertainty.quantile_count(counts, F(95, 100)) == \
        uncertainty.quantile_count(every, F(95, 100))


@st.composite
def sized_tiers(draw: st.DrawFn) -> TierShape:
    """A tier of any scheme, sometimes in zones, with failures, spread and a ceiling."""
    redundancy = draw(st.sampled_from(["pool", "ring", "active-passive"]))
    extra: dict[str, Any] = {}
    if redundancy == "ring":
        extra["spread"] = draw(st.integers(1, 40))
    if draw(st.booleans()):
        zones = draw(st.integers(2, 12))
        extra.update(zones=zones, zone_failures=draw(st.integers(1, min(2, zones - 1))))
    site = topology(tier("web", redundancy, draw(st.integers(1, 500)), **extra), policy={
        "failures": draw(st.integers(0, 2)),
        "max_utilization": draw(st.sampled_from(["100%", "80%", "37%"]))})
    return TierShape.of(site.tiers[0], site, 0)


@settings(deadline=None, max_examples=40)
@given(sized_tiers(), st.floats(1.0, 1e5), st.sampled_from([1.1, 3.0, 100.0]),
       st.integers(0, 2**32 - 1))
def test_bounded_searches_give_the_counts_of_unbounded_ones(
        shape: TierShape, median: float, spread: float, seed: int) -> None:
    """Told the counts of a stretch's ends, every split finds the count a fresh search does.

    Also draw by draw, at random bounds that hold the answer.
    """
    values = np.random.default_rng(seed).lognormal(math.log(median), math.log(spread), 300)
    plain = uncertainty.counts_for(values, shape.required)
    bounded = uncertainty.counts_for(
        values, shape.required,
        within=lambda value, low, high: shape.required(value, within=(low, high)))
    assert bounded.tolist() == plain.tolist()
    rng = np.random.default_rng(seed + 1)
    for value, count in zip(values[:20], plain[:20], strict=True):
        if count >= BEYOND:
            continue
        low = int(rng.integers(shape.sized.minimum_nodes(), count + 1))
        high = int(count + rng.integers(0, 50))
        assert shape.required(Fraction(float(value)), within=(low, high)) == count
        assert shape.required(Fraction(float(value)), within=(low, None)) == count
