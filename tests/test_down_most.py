"""Shortcuts of the count searches for availability targets, against the plain searches.

Nodes down half the time or more (mttr ≥ mtbf) make the searches long: a standby pair
asks the standby floor S(n) at every count, a pool gallops over binomial tails, a ring
walks its run plateaus, and a headroom bisects the availability fifty times. Each
shortcut here changes no count: the tests compare it with the search it replaces.
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import capplan
from capplan.availability import (
    _matrix_power,
    _product,
    binomial_tail,
    nodes_for_up,
    standbys_for,
)
from capplan.schemes import Ring, Unattainable, make_scheme
from capplan.sizing import StandbyFloor, TierShape

F = Fraction

DOWN = [F(1, 2), F(10, 11), F(400, 410), F(3, 4), F(1, 10), F(1, 1000)]
TARGETS = [F(1, 2), F(668, 1000), F(9, 10), F(99, 100), F(9999, 10000)]


def fewest_by_scan(up: int, q: Fraction, target: Fraction, limit: int) -> int:
    return next((n for n in range(1, limit + 1)
                 if binomial_tail(n, q, n - up + 1).meets(target)), limit + 1)


@settings(max_examples=80, deadline=None)
@given(q=st.sampled_from(DOWN), target=st.sampled_from(TARGETS), up=st.integers(1, 25))
def test_nodes_for_up_matches_a_scan(q: Fraction, target: Fraction, up: int) -> None:
    limit = 300
    scan = fewest_by_scan(up, q, target, limit)
    assert nodes_for_up(up, q, target, limit) == scan
    if scan <= limit:
        # The inverse of the standby floor: the fewest n with n − S(n) ≥ up.
        assert scan - standbys_for(scan, q, target) >= up
        assert scan == up or scan - 1 - standbys_for(scan - 1, q, target) < up


@settings(max_examples=60, deadline=None)
@given(q=st.sampled_from(DOWN[:4]), target=st.sampled_from(TARGETS),
       ups=st.lists(st.integers(1, 40), min_size=3, max_size=3, unique=True))
def test_nodes_for_up_brackets_change_nothing(q: Fraction, target: Fraction,
                                              ups: list[int]) -> None:
    """Answers for fewer and more nodes up only narrow the search."""
    low, middle, high = sorted(ups)
    limit = 2000
    below = (low, nodes_for_up(low, q, target, limit))
    above = (high, nodes_for_up(high, q, target, limit))
    alone = nodes_for_up(middle, q, target, limit)
    assert nodes_for_up(middle, q, target, limit, below, above) == alone
    assert nodes_for_up(middle, q, target, limit, below) == alone
    assert nodes_for_up(middle, q, target, limit, None, above) == alone


@pytest.mark.parametrize("q", [F(1, 2), F(10, 11), F(1, 100)])
@pytest.mark.parametrize("target", [F(1, 2), F(99, 100)])
def test_standby_floor_inverse_and_what_it_caches(q: Fraction, target: Fraction) -> None:
    floor = StandbyFloor(q, target)
    for actives in (1, 2, 3, 7, 5, 20, 13):
        nodes = floor.nodes_for_actives(actives, 5000)
        scan = next(n for n in range(actives, 5001) if n - standbys_for(n, q, target) >= actives)
        assert nodes == scan
    # Every standby count it remembered is the one a fresh search finds.
    for count in sorted(floor._cache):
        assert floor(count) == standbys_for(count, q, target)


def site(redundancy: str, q: tuple[int, int], target: str, **extra: Any) -> TierShape:
    tier: dict[str, Any] = {"name": "db", "redundancy": redundancy, "availability": target,
                            "node": {"capacity_rps": 100, "mtbf_hours": q[0],
                                     "mttr_hours": q[1]}, **extra}
    topology = capplan.Topology.model_validate({
        "site": "s", "traffic": {"peak_rps": 1000}, "tiers": [tier]})
    return TierShape.of(topology.tiers[0], topology, 0)


def plain(shape: TierShape) -> TierShape:
    """The same tier searched as before the shortcuts: no hint, S(n) one by one."""
    sized = shape.sized
    if shape.tier.redundancy == "active-passive":
        q, target = shape.tier.node.down_probability, shape.availability_target
        assert q is not None
        assert target is not None
        sized = make_scheme("active-passive", standby=sized.standby,  # type: ignore[attr-defined]
                            zones=sized.zones, cover_zones=True,
                            standby_floor=lambda n: standbys_for(n, q, target))
    else:
        sized = copy.copy(sized)
        sized.count_hint = None
    return replace(shape, sized=sized)


def required(shape: TierShape, demand: Fraction, **within: Any) -> int | None:
    try:
        return shape.required(demand, **within)
    except Unattainable:
        return None


SHAPES = [("active-passive", {}), ("active-passive", {"zones": 3, "zone_failures": 1}),
          ("pool", {}), ("pool", {"zones": 4, "zone_failures": 1}), ("ring", {})]


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(SHAPES), q=st.sampled_from([(1, 1), (1, 10), (9, 1), (400, 10)]),
       target=st.sampled_from(["50%", "90%", "99%", "99.99%"]),
       demands=st.lists(st.integers(0, 30_000), min_size=3, max_size=3))
def test_hinted_searches_find_the_plain_counts(kind: tuple[str, dict[str, Any]],
                                               q: tuple[int, int], target: str,
                                               demands: list[int]) -> None:
    redundancy, extra = kind
    shape = site(redundancy, q, target, **extra)
    before = plain(shape)
    low, middle, high = sorted(F(d, 7) for d in demands)
    expected = required(before, middle)
    assert required(shape, middle) == expected
    # Bracketed by the counts of a smaller and a larger demand, as draws are.
    lower, upper = required(before, low), required(before, high)
    if lower is not None:
        assert required(shape, middle, within=(lower, upper)) == expected


@settings(max_examples=30, deadline=None)
@given(q=st.sampled_from([(1, 1), (1, 10), (9, 1), (100, 1)]),
       target=st.sampled_from(["50%", "90%", "99%", "93.3%"]),
       count=st.integers(2, 60), demand=st.integers(1, 20_000), spread=st.integers(1, 2))
def test_ring_headroom_bisects_once_per_figure(q: tuple[int, int], target: str, count: int,
                                               demand: int, spread: int) -> None:
    """availability_factor remembers a ring's verdicts by what they depend on."""
    shape = site("ring", q, target)

    class UnrememberedRing(Ring):  # not exactly a Ring: every factor asks again
        pass

    ring = Ring(spread)
    again = UnrememberedRing(spread)
    load = F(demand, 3)
    assert shape.availability_factor(ring, count, load) == \
        shape.availability_factor(again, count, load)


@pytest.mark.parametrize("size", [3, 40, 105, 300])
def test_blocked_products_and_powers(size: int) -> None:
    generator = np.random.default_rng(size)
    a = generator.random((size, size)) / size
    b = generator.random((size, size + 7))
    assert np.allclose(_product(a, b), a @ b, rtol=1e-13, atol=0)
    for exponent in (0, 1, 2, 3, 4, 9, 1000):
        expected = np.linalg.matrix_power(a, exponent)
        assert np.allclose(_matrix_power(a, exponent), expected, rtol=1e-12,
                           atol=float(np.abs(expected).max()) * 1e-13)


def test_pool_hint_is_where_the_pool_first_holds() -> None:
    shape = site("pool", (1, 1), "99%")
    hint = shape.sized.count_hint
    assert hint is not None
    needed = math.ceil(F(1000) / 100)
    assert hint(F(1000)) == fewest_by_scan(needed, F(1, 2), F(99, 100), 500)


@settings(max_examples=150, deadline=None)
@given(nodes=st.integers(1, 400), zones=st.integers(2, 20), lost=st.integers(1, 3),
       spread=st.integers(1, 60), demand=st.integers(0, 50_000), failures=st.integers(0, 3),
       ceiling=st.sampled_from([F(1), F(4, 5), F(1, 1000)]))
def test_ring_holds_at_is_worst_holds(nodes: int, zones: int, lost: int, spread: int,
                                      demand: int, failures: int, ceiling: Fraction) -> None:
    """A ring decides a count without its zone sheds, and decides it the same."""
    from capplan.schemes import Zones

    ring = Ring(spread, Zones(zones, min(lost, zones - 1)))
    load, capacity = F(demand, 7), F(100)
    assert ring.holds_at(nodes, load, capacity, failures, ceiling) == \
        ring.worst(nodes, load, capacity, failures).holds(ceiling)


@pytest.mark.parametrize("n", [1, 3, 5, 51, 333, 2001])
def test_half_tails_at_the_middle_are_one_half(n: int) -> None:
    """With q = ½, P(X ≥ (n + 1)/2) = ½ exactly, as the sum of its terms says."""
    from capplan.availability import _tail_exact

    low = (n + 1) // 2
    terms = sum(math.comb(n, k) for k in range(low, n + 1))
    assert F(terms, 2**n) == _tail_exact(n, F(1, 2), low) == F(1, 2)
    # Its neighbours still take the sum.
    assert _tail_exact(n, F(1, 2), low + 1) == F(terms - math.comb(n, low), 2**n)


def test_remembered_tails_are_the_tails() -> None:
    """binomial_tail is remembered by (n, q, low): a float q and its Fraction agree."""
    from capplan.availability import _tail_exact

    q = F(1, 1024)
    for n, low in ((968, 3), (2000, 40), (31, 30)):
        first, again = binomial_tail(n, q, low), binomial_tail(n, float(q), low)
        assert first is again
        exact = first.exact() if first.exact is not None else None
        assert exact == _tail_exact(n, q, low)
        assert exact is not None
        assert abs(first.value - float(exact)) <= first.slack
