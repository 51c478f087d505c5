"""A ring's zone loss from its per-count profile, against distributing every zone set.

Ring.zone_worst works each count out once, whatever the demand (closed form where every
survivor takes every failed share, one scan per remainder past the seam, a scan below it),
and Ring.floor_worst adds the survivors' average after the largest zone loss. These tests
hold all of it to the brute force: every node's load after every zone set.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capplan.schemes import Ring, Zones, nodes_required
from tests.oracle import Spec, outcome

F = Fraction
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def brute_zone_worst(ring: Ring, nodes: int, demand: F, capacity: F) -> tuple[F, F]:
    """Busiest survivor (utilization) and most shed share over every zone set, by hand."""
    zones = ring.zones
    util, shed = F(0), F(0)
    for zone_set in zones.failed_sets():
        result = ring.distribute(nodes, demand, zones.members(zone_set, nodes))
        util = max(util, max(x.load for x in result.nodes) / capacity)
        shed = max(shed, result.shed(capacity) / demand if demand else F(0))
    return util, shed


@st.composite
def rings(draw: st.DrawFn, most: int = 90) -> tuple[Ring, int]:
    """A ring in 2-12 zones (1-2 may fail), any spread up to past its size, and a count."""
    count = draw(st.integers(2, 12))
    zones = Zones(count, draw(st.integers(1, min(2, count - 1))))
    spread = draw(st.one_of(st.integers(1, 4), st.integers(1, most), st.just(10**6)))
    ring = Ring(spread, zones)
    return ring, draw(st.integers(ring.minimum_nodes(), most))


loads = st.builds(F, st.integers(1, 4000), st.integers(1, 7))


@settings(SETTINGS, max_examples=150)
@given(rings(), loads, st.builds(F, st.integers(1, 300), st.integers(1, 3)))
def test_zone_worst_equals_every_zone_set_distributed(
    sized: tuple[Ring, int], demand: F, capacity: F
) -> None:
    """Same busiest survivor and shed share as the brute force, asked twice (cached)."""
    ring, n = sized
    want = brute_zone_worst(ring, n, demand, capacity)
    for _ in range(2):
        got = ring.zone_worst(n, demand, capacity)
        assert (got.worst_utilization, got.shed_fraction) == want
        assert got.utilization == demand / n / capacity


@settings(SETTINGS, max_examples=40)
@given(st.integers(10, 12), st.integers(1, 2), st.integers(1, 40), st.data())
def test_long_rings_past_the_seam_equal_the_brute_force(
    zone_count: int, lost: int, spread: int, data: st.DataObject
) -> None:
    """Past stable_nodes a count is its remainder's scan plus bulk periods: still exact."""
    ring = Ring(spread, Zones(zone_count, lost))
    stable = ring.stable_nodes()
    n = data.draw(st.integers(stable, stable + 3 * zone_count))
    demand = F(n * data.draw(st.integers(1, 9)), data.draw(st.integers(1, 4)))
    got = ring.zone_worst(n, demand, F(2))
    assert (got.worst_utilization, got.shed_fraction) == brute_zone_worst(ring, n, demand, F(2))


@settings(SETTINGS, max_examples=100)
@given(rings(most=60), loads, st.sampled_from([F(1, 2), F(4, 5), F(1)]), st.integers(0, 2))
def test_floor_is_necessary_and_monotone(
    sized: tuple[Ring, int], demand: F, ceiling: F, k: int
) -> None:
    """Every count that holds holds the floor, and the floor, once held, stays held."""
    ring, n = sized
    capacity = F(50)
    floor_here = ring.floor_worst(n, demand, capacity, k).holds(ceiling)
    if ring.worst(n, demand, capacity, k).holds(ceiling):
        assert floor_here
    if floor_here:
        assert ring.floor_worst(n + 1, demand, capacity, k).holds(ceiling)


@settings(SETTINGS, max_examples=60)
@given(rings(most=12), st.builds(F, st.integers(1, 3000)), st.sampled_from([F(4, 5), F(1)]),
       st.integers(0, 1))
def test_required_count_is_the_first_that_holds(
    sized: tuple[Ring, int], demand: F, ceiling: F, k: int
) -> None:
    """nodes_required equals a walk over every count, judged by the brute force."""
    ring, _ = sized
    capacity = F(100)
    want = None
    for count in range(ring.minimum_nodes(), 400):
        util, shed = brute_zone_worst(ring, count, demand, capacity)
        if shed == 0 and util <= ceiling and ring.node_worst(
                count, demand, capacity, k).holds(ceiling):
            want = count
            break
    if want is not None:
        assert nodes_required(ring, demand, capacity, ceiling, k) == want


@settings(SETTINGS, max_examples=100)
@given(st.integers(1, 70), st.integers(1, 60), st.data())
def test_distribute_equals_the_walk_from_every_failed_node(
    spread: int, n: int, data: st.DataObject
) -> None:
    """Ring.distribute (a window over the gaps) equals the SPEC walk, node by node."""
    failed = frozenset(data.draw(st.sets(st.integers(1, n), max_size=n)))
    want = outcome(Spec("ring", spread=spread), n, F(7 * n, 3), failed)
    got = Ring(spread).distribute(n, F(7 * n, 3), failed)
    assert tuple(x.state for x in got.nodes) == want.states
    assert tuple(x.load for x in got.nodes) == want.loads
    assert got.unassigned == want.unassigned
