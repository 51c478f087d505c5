"""capplan.uncertainty: ranges, seeded draws, and counts per draw against closed forms."""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan import uncertainty
from capplan.demand import entry_peak, tier_demands
from capplan.model import Uncertain
from capplan.report import plan_document
from capplan.sizing import plan
from tests.helpers import tier, topology

F = Fraction


def ranged_pool(low: object = 1000, high: object = 2000, **policy: object):  # type: ignore[no-untyped-def]
    """One pool tier of 100-rps nodes under an uncertain peak."""
    return topology(tier("web", capacity=100),
                    traffic={"peak_rps": {"low": low, "high": high}}, policy=policy or None)


def test_range_reads_as_its_median() -> None:
    """{low: 1000, high: 4000} is lognormal with median √(1000·4000) = 2000."""
    site = ranged_pool(1000, 4000)
    peak = site.traffic.peak_rps
    assert isinstance(peak, Uncertain)
    assert peak == 2000
    assert (peak.low, peak.high, peak.confidence) == (1000, 4000, F(9, 10))


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
                    tier("db", capacity=100, per_request=2, **{"from": ["web", "lb"]}))
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
