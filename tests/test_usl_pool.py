"""USL-scaled pools (SPEC §6): sizing, refusals and every figure follow the law."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import capplan
from capplan.availability import pool_carrying
from capplan.errors import InvalidInput, Unattainable
from capplan.schemes import ScaledPool, Zones
from capplan.sizing import TierShape
from capplan.usl import Law

#: The Cisco benchmark's published law (Baron Schwartz; see tests/data/README.md).
CISCO = {"sigma": "0.02671591", "kappa": "7.690945e-4", "lambda": "995.6486"}


def site(peak: int | str, scaling: dict[str, object] | None = None, **tier: object
         ) -> dict[str, object]:
    return {
        "site": "usl",
        "traffic": {"peak_rps": peak},
        "policy": {"failures": 1, "max_utilization": "100%"},
        "tiers": [{"name": "app", "redundancy": "pool",
                   "scaling": {"usl": scaling or CISCO}, "node": {"cost": 100}, **tier}],
    }


def test_cisco_law_needs_21_nodes_where_a_linear_reading_says_13() -> None:
    plan = capplan.plan(capplan.Topology.model_validate(site(11_000)))
    assert plan.tiers[0].nodes_required == 21
    linear = capplan.size(peak=11_000, capacity="995.6486", redundancy="pool", failures=1,
                          max_utilization="100%")
    assert linear.nodes_required == 13


def test_a_demand_past_the_peak_is_refused_with_the_peak_and_its_count() -> None:
    with pytest.raises(Unattainable, match=r"peaks at 12,342\.3 rps .* \(at 36 nodes\)"):
        capplan.plan(capplan.Topology.model_validate(site(13_000)))


def test_failover_loads_follow_the_law() -> None:
    topology = capplan.Topology.model_validate(site(11_000))
    view = capplan.failover(topology, "app")
    law = Law(Fraction(CISCO["sigma"]), Fraction("7.690945e-4"), Fraction(CISCO["lambda"]))
    # 20 survivors carry X(20) together, so each runs at 11,000 / X(20).
    assert view.worst_utilization == Fraction(11_000) / law.throughput(20)


@pytest.mark.parametrize(("redundancy", "extra", "key"), [
    ("ring", {}, "scaling"),
    ("pool", {"capacity_rps": 100}, "capacity_rps"),
    ("pool", {"service_ms": 5}, "service_ms"),
])
def test_scaling_where_it_does_not_apply_is_refused_at_the_key(
        redundancy: str, extra: dict[str, object], key: str) -> None:
    data = site(1000)
    tier = data["tiers"][0]  # type: ignore[index]
    tier["redundancy"] = redundancy
    tier["node"].update(extra)
    with pytest.raises(InvalidInput, match=key):
        capplan.Topology.model_validate(data)


# --- brute force ------------------------------------------------------------------------------

laws = st.builds(
    Law,
    st.fractions(min_value=0, max_value=Fraction(1, 5), max_denominator=50),
    st.fractions(min_value=0, max_value=Fraction(1, 50), max_denominator=400),
    st.fractions(min_value=1, max_value=100, max_denominator=4),
)


def holds_by_brute_force(law: Law, nodes: int, demand: Fraction, ceiling: Fraction,
                         failures: int, zones: int, zone_failures: int) -> bool:
    """Every number of failed nodes up to k, and every loss of whole zones, one by one.

    A pool's balancer treats its nodes alike, so which j nodes fail does not matter, only
    how many: every j from 0 to k is tried (not just the ends the closed form uses).
    """
    def carries(up: int) -> bool:
        return up > 0 and demand <= law.throughput(up) * ceiling

    for lost in range(min(failures, nodes) + 1):
        if not carries(nodes - lost):
            return False
    if zone_failures:
        zone_of = [node % zones for node in range(nodes)]
        for down in itertools.combinations(range(zones), zone_failures):
            if not carries(sum(1 for z in zone_of if z not in down)):
                return False
    return True


@settings(max_examples=150, deadline=None)
@given(law=laws, demand=st.integers(1, 3000), ceiling=st.sampled_from(
    [Fraction(1), Fraction(4, 5), Fraction(2, 3)]), failures=st.integers(0, 2),
    zones=st.integers(1, 3), zone_failures=st.integers(0, 1))
def test_smallest_holding_count_agrees_with_brute_force(
        law: Law, demand: int, ceiling: Fraction, failures: int, zones: int,
        zone_failures: int) -> None:
    if zone_failures >= zones:
        zone_failures = 0
    scheme = ScaledPool(law, Zones(zones, zone_failures))
    need = Fraction(demand)
    holding = [n for n in range(max(1, zones), 41)
               if holds_by_brute_force(law, n, need, ceiling, failures, zones, zone_failures)]
    data = site(demand, {"sigma": law.sigma, "kappa": law.kappa, "lambda": law.lam},
                failures=failures, zones=zones, zone_failures=zone_failures,
                max_utilization=ceiling)
    shape = TierShape.of(capplan.Topology.model_validate(data).tiers[0],
                         capplan.Topology.model_validate(data), 0)
    try:
        required: int | None = shape.required(need)
    except Unattainable:
        required = None
    if required is not None and required <= 40:
        assert holding
        assert required == holding[0]
        assert scheme.worst(required, need, law.lam, failures).holds(ceiling)
    else:  # none holds at all, or only past what the brute force tried
        assert not holding


@settings(max_examples=80, deadline=None)
@given(law=laws, demand=st.integers(1, 500), nodes=st.integers(1, 9),
       q=st.fractions(min_value=Fraction(1, 100), max_value=Fraction(1, 2), max_denominator=100))
def test_availability_of_a_scaled_pool_agrees_with_every_down_set(
        law: Law, demand: int, nodes: int, q: Fraction) -> None:
    scheme = ScaledPool(law)
    need = Fraction(demand)
    shed = Fraction(0)
    for down in range(nodes + 1):
        if law.throughput(nodes - down) < need:
            shed += (q**down * (1 - q) ** (nodes - down)
                     * len(list(itertools.combinations(range(nodes), down))))
    figure = pool_carrying(nodes, q, scheme.fewest_carrying(need), scheme.most_carrying(need))
    assert figure.known == shed or abs(figure.value - float(shed)) < 1e-12


def test_a_declared_pool_past_its_peak_fails_with_everything_up() -> None:
    # 80 nodes carry less than 36 do (the retrograde side): a check must say so.
    topology = capplan.Topology.model_validate(site(11_000, nodes=80))
    tier = capplan.plan(topology).tiers[0]
    assert tier.ok is False
    assert tier.nodes_required == 21


@settings(max_examples=150, deadline=None)
@given(law=laws, limit=st.fractions(min_value=Fraction(1, 2), max_value=200,
                                    max_denominator=8))
def test_the_peak_with_a_bandwidth_cap_is_the_best_count(law: Law, limit: Fraction) -> None:
    # The cap holds C = n·L down for small n, so the peak may lie past the law's own.
    scheme = ScaledPool(law, per_node_limit=limit)
    top = scheme.peak_nodes
    if top is None:
        return
    reach = 3 * max(top, law.peak_nodes or 1) + 10
    best = max(range(1, reach), key=lambda n: (scheme.carried(n), -n))
    assert scheme.carried(top) == scheme.carried(best)


def test_a_bandwidth_capped_pool_is_sized_past_the_laws_own_peak() -> None:
    # 200 rps a node by bandwidth, X(n) = 1000n / (1 + 0.01n(n−1)): C peaks at 21 nodes
    # (4,038 rps), not at the law's 10; C(15) = 3,000 carries 3,000 rps after one failure.
    data = site(3000, {"sigma": 0, "kappa": "0.01", "lambda": 1000})
    data["traffic"].update(request_bytes=500, response_bytes=500)  # type: ignore[attr-defined]
    data["tiers"][0]["node"]["bandwidth_mbps"] = "1.6"  # type: ignore[index]
    assert capplan.plan(capplan.Topology.model_validate(data)).tiers[0].nodes_required == 16


def test_compare_prices_a_usl_tier_as_a_pool_only() -> None:
    columns = capplan.compare(capplan.Topology.model_validate(site(11_000))).to_dict()[
        "tiers"][0]
    assert columns["pool"]["nodes_required"] == 21
    assert columns["ring"]["nodes_required"] is None
    assert columns["active-passive"]["nodes_required"] is None
