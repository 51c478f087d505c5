"""The exact Universal Scalability Law (capplan.usl) against published figures and brute force."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.usl import Law

#: Baron Schwartz's Cisco fit (Practical Scalability Analysis with the USL; usl4j's tests).
CISCO = Law(Fraction("0.02671591"), Fraction("7.690945e-4"), Fraction("995.6486"))


def brute_smallest(law: Law, rate: Fraction, last: int) -> int | None:
    """The first count in 1..last whose X carries *rate*, by trying each."""
    return next((nodes for nodes in range(1, last + 1) if law.throughput(nodes) >= rate), None)


def brute_peak(law: Law, last: int) -> int:
    """The count in 1..last with the highest X (the smallest such count on a tie)."""
    return max(range(1, last + 1), key=lambda nodes: (law.throughput(nodes), -nodes))


def continuous_peak(law: Law) -> float:
    """√((1−σ)/κ): where dX/dN = 0 for real N (Gunther's N*)."""
    return math.sqrt(float((1 - law.sigma) / law.kappa))


def test_cisco_published_figures() -> None:
    """N_max 35 and X(20) = 11,063.633 from the published coefficients."""
    assert CISCO.n_max == 35
    assert float(CISCO.throughput(20)) == pytest.approx(11_063.633, rel=1e-7)


def test_cisco_peak_is_the_better_neighbour_of_n_max() -> None:
    """N* = 35.6: X(36) > X(35), so the most any count carries is X(36)."""
    assert CISCO.throughput(36) > CISCO.throughput(35)
    assert CISCO.peak_nodes == 36 == brute_peak(CISCO, 200)
    assert CISCO.x_max == CISCO.throughput(36)
    assert CISCO.ceiling == CISCO.x_max


def test_one_node_carries_lambda() -> None:
    """X(1) = λ whatever σ and κ; X(0) = 0."""
    for sigma, kappa in [(Fraction(0), Fraction(0)), (Fraction(1, 3), Fraction(0)),
                         (Fraction(1, 10), Fraction(1, 100))]:
        law = Law(sigma, kappa, Fraction(250))
        assert law.throughput(1) == 250
        assert law.throughput(0) == 0


def test_smallest_carrying_matches_brute_force_on_cisco() -> None:
    """Every whole rate from 1 to past the peak: the first count that carries it, or None."""
    top = CISCO.x_max
    assert top is not None
    for rate in range(1, math.ceil(top) + 50, 7):
        assert CISCO.smallest_carrying(Fraction(rate)) == brute_smallest(CISCO, Fraction(rate),
                                                                         200), rate


def test_smallest_carrying_at_the_peak_exactly() -> None:
    """The peak's own rate is carried (at the peak count), a hair more is not."""
    top = CISCO.x_max
    assert top is not None
    assert CISCO.smallest_carrying(top) == brute_smallest(CISCO, top, 200)
    assert CISCO.smallest_carrying(top + Fraction(1, 10**30)) is None


def test_smallest_carrying_of_nothing_is_zero() -> None:
    """No demand needs no nodes."""
    assert CISCO.smallest_carrying(Fraction(0)) == 0


def test_linear_law_has_no_peak_and_needs_ceil_rate_over_lambda() -> None:
    """σ = κ = 0: X(n) = λn, no n_max, no ceiling; ⌈rate/λ⌉ nodes."""
    law = Law(Fraction(0), Fraction(0), Fraction(300))
    assert (law.n_max, law.peak_nodes, law.x_max, law.ceiling) == (None, None, None, None)
    for rate in range(1, 5000, 37):
        assert law.smallest_carrying(Fraction(rate)) == math.ceil(Fraction(rate, 300))


def test_contention_only_law_approaches_lambda_over_sigma() -> None:
    """κ = 0 < σ < 1: X rises towards λ/σ without reaching it; no n_max."""
    law = Law(Fraction(1, 10), Fraction(0), Fraction(100))
    assert (law.n_max, law.x_max) == (None, None)
    assert law.ceiling == 1000
    for rate in range(1, 1000, 13):
        # X(n) ≥ r ⇔ n ≥ r(1−σ)/(λ−rσ): the closed form bounds the brute force's search.
        bound = math.ceil(Fraction(rate) * Fraction(9, 10) / (100 - Fraction(rate, 10)))
        assert law.smallest_carrying(Fraction(rate)) == brute_smallest(
            law, Fraction(rate), bound + 1) == max(bound, 1), rate
    assert law.smallest_carrying(Fraction(1000)) is None


def test_sigma_at_least_one_with_coherency_peaks_at_one_node() -> None:
    """σ ≥ 1 and κ > 0: adding nodes never helps; n_max is 1 and one node carries λ."""
    for sigma in (Fraction(1), Fraction(3, 2), Fraction(4)):
        law = Law(sigma, Fraction(1, 1000), Fraction(100))
        assert law.n_max == 1
        assert law.peak_nodes == 1 == brute_peak(law, 50)
        assert law.x_max == 100
        assert law.smallest_carrying(Fraction(100)) == 1
        assert law.smallest_carrying(Fraction(101)) is None


def test_sigma_at_least_one_without_coherency_is_carried_by_one_node() -> None:
    """κ = 0, σ ≥ 1: X(1) = λ is the most; a rate up to λ needs one node."""
    for sigma in (Fraction(1), Fraction(2)):
        law = Law(sigma, Fraction(0), Fraction(100))
        assert law.smallest_carrying(Fraction(80)) == 1 == brute_smallest(law, Fraction(80),
                                                                          50)
        assert law.ceiling == 100


laws = st.builds(
    Law,
    sigma=st.fractions(min_value=0, max_value=Fraction(3, 2), max_denominator=10_000),
    kappa=st.fractions(min_value=Fraction(1, 100_000), max_value=Fraction(1, 10),
                       max_denominator=1_000_000),
    lam=st.fractions(min_value=Fraction(1, 10), max_value=10_000, max_denominator=1000),
)


@settings(max_examples=200, deadline=None)
@given(law=laws)
def test_n_max_is_the_floor_of_the_continuous_optimum(law: Law) -> None:
    """n_max² ≤ (1−σ)/κ < (n_max+1)² when σ < 1 (exactly); 1 when σ ≥ 1."""
    n_max = law.n_max
    assert n_max is not None
    if law.sigma >= 1:
        assert n_max == 1
        return
    turning = (1 - law.sigma) / law.kappa
    if turning >= 1:
        assert n_max**2 <= turning < (n_max + 1) ** 2
        assert n_max == math.floor(continuous_peak(law)) or \
            abs(continuous_peak(law) - round(continuous_peak(law))) < 1e-9
    else:
        assert n_max == 1


@settings(max_examples=200, deadline=None)
@given(law=laws)
def test_peak_nodes_is_the_brute_force_argmax(law: Law) -> None:
    """The better of ⌊N*⌋ and ⌈N*⌉ is the best count of all (X is unimodal in n)."""
    peak = law.peak_nodes
    assert peak is not None
    assert peak == brute_peak(law, 3 * peak + 10)
    assert law.x_max == law.throughput(peak)


@settings(max_examples=200, deadline=None)
@given(law=laws, share=st.fractions(min_value=Fraction(1, 1000), max_value=Fraction(11, 10),
                                    max_denominator=1000))
def test_smallest_carrying_is_the_brute_force_first(law: Law, share: Fraction) -> None:
    """For any rate up to 110% of the peak: the first count carrying it, or None past it."""
    top = law.x_max
    peak = law.peak_nodes
    assert top is not None
    assert peak is not None
    rate = top * share
    assert law.smallest_carrying(rate) == brute_smallest(law, rate, peak)
