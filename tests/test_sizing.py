"""Policy per tier: required counts, headroom, runway and ok, worked by hand (SPEC §2)."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from capplan.results import Plan, TierPlan
from capplan.schemes import Pool, make_scheme
from capplan.sizing import TierShape, assess, plan, size, survivable_failures
from capplan.uncertainty import counts_for
from tests.helpers import fed_by, tier, topology
from tests.oracle import oracle_holds, spec_of

F = Fraction


def blueprint_plan() -> dict[str, TierPlan]:
    """The SPEC §1 site, planned; tiers by name."""
    site = topology(
        tier("lb", "active-passive", "50k", standby=1, nodes=2, direct_server_return=True,
             node={"bandwidth_mbps": 1000, "cost": 12000}),
        tier("cache", "ring", 4000, spread=1, nodes=2, hit_ratio="60%", node={"cost": 3000}),
        tier("web", "pool", 150, nodes=4, node={"cost": 2500}),
        tier("storage", "active-passive", 2500, per_request=4, nodes=2,
             node={"cost": 8000}, **fed_by("web")),
        traffic={"peak_rps": 1200, "growth": "4%", "horizon_months": 12,
                 "request_bytes": 900, "response_bytes": "24k"},
        policy={"failures": 1, "max_utilization": "80%"},
    )
    return {t.name: t for t in plan(site).tiers}


def test_blueprint_demands_flow_through_the_cache() -> None:
    """The cache answers 60% of 1200 rps; storage gets 4 requests per web request."""
    tiers = blueprint_plan()
    assert [tiers[n].demand for n in ("lb", "cache", "web", "storage")] == [1200, 1200, 480, 1920]


def test_blueprint_web_pool_fails_n_plus_1_at_80_percent() -> None:
    """480 rps on 150-rps nodes at 80%: (N−1)·120 ≥ 480 needs 5 nodes; 4 fail."""
    web = blueprint_plan()["web"]
    assert web.nodes_required_now == 5
    assert web.assessment.worst.worst_utilization == Fraction(480, 3 * 150)
    assert web.ok is False
    assert web.assessment.runway_months == 0


def test_blueprint_web_at_the_horizon() -> None:
    """480·1.04¹² = 768.5 rps needs ⌈768.5/120⌉ + 1 = 8 web nodes."""
    web = blueprint_plan()["web"]
    assert web.planning_demand == 480 * Fraction(104, 100) ** 12
    assert web.nodes_required == 8


def test_blueprint_cache_ring_carries_double_after_a_failure() -> None:
    """Two ring nodes at 600 rps each: the survivor carries 1200 of 4000, 30%."""
    cache = blueprint_plan()["cache"]
    assert cache.assessment.worst.utilization == Fraction(15, 100)
    assert cache.assessment.worst.worst_utilization == Fraction(30, 100)
    assert cache.assessment.headroom == pytest.approx(0.8 / 0.3 - 1)
    assert cache.assessment.runway_months == pytest.approx(math.log(0.8 / 0.3) / math.log(1.04))
    assert cache.ok is True


def test_blueprint_lb_bandwidth_leaves_out_responses() -> None:
    """Direct server return: 1200 rps × 900 bytes × 8 = 8.64 Mbit/s."""
    lb = blueprint_plan()["lb"]
    assert lb.bandwidth_mbps == Fraction(864, 100)
    assert lb.assessment.worst.worst_utilization == Fraction(1200, 50_000)


def test_blueprint_storage_standby_takes_the_whole_load() -> None:
    """1920 rps on one active of 2500: 76.8%, and the standby would carry the same."""
    storage = blueprint_plan()["storage"]
    assert storage.assessment.worst.worst_utilization == Fraction(1920, 2500)
    assert storage.nodes_required_now == 2
    assert storage.nodes_required == 3  # 1920·1.04¹² = 3074 rps needs two actives at 80%


def test_boundary_is_exact_for_every_scheme() -> None:
    """SPEC: 2000 rps on 1000-rps nodes at 100%, N+1: 3 pool, 4 ring, 3 active-passive."""
    for redundancy, expected in (("pool", 3), ("ring", 4), ("active-passive", 3)):
        assert size(redundancy, Fraction(2000), Fraction(1000)).nodes_required == expected


def test_boundary_survives_decimal_percentages() -> None:
    """2400 rps on 1000-rps nodes at 80% needs exactly 3 + 1 pool nodes, not 5."""
    assert size("pool", Fraction(2400), Fraction(1000),
                max_utilization=Fraction(8, 10)).nodes_required == 4


def test_requirement_counts_at_least_k_standbys() -> None:
    """An active-passive tier declared with 1 standby but N+2 is sized with 2 standbys."""
    site = topology(tier("db", "active-passive", 1000, standby=1, nodes=3),
                    policy={"failures": 2})
    db = plan(site).tiers[0]
    assert db.nodes_required == 3  # one active for 1000 rps, two standbys
    assert db.ok is False  # the declared single standby cannot cover two failures
    assert db.assessment.headroom == -1.0


def test_undeclared_tier_is_described_at_its_requirement() -> None:
    """Without nodes, the figures describe nodes_required and ok is None."""
    web = plan(topology(tier("web", capacity=100), traffic={"peak_rps": 250})).tiers[0]
    assert web.nodes is None
    assert web.nodes_required == 4
    assert web.count == 4
    assert web.ok is None
    assert web.assessment.worst.worst_utilization == Fraction(250, 300)


def test_min_runway_fails_a_tier_that_holds_today() -> None:
    """A tier that holds now but runs out within min_runway_months is not ok."""
    site = topology(tier("web", capacity=100, nodes=4), traffic={"peak_rps": 250,
                    "growth": "10%"}, policy={"min_runway_months": 6})
    web = plan(site).tiers[0]
    assert web.assessment.holds
    assert web.assessment.runway_months == pytest.approx(math.log(300 / 250) / math.log(1.1))
    assert web.ok is False


def test_runway_is_none_without_growth() -> None:
    """With no growth a tier that holds never runs out."""
    assessment = assess(Pool(), 4, Fraction(250), Fraction(100), Fraction(1), 1, Fraction(0))
    assert assessment.runway_months is None
    assert assessment.headroom == pytest.approx(0.2)


def test_headroom_is_negative_when_the_tier_fails() -> None:
    """An overloaded tier's headroom says how much peak it must lose."""
    assessment = assess(Pool(), 3, Fraction(300), Fraction(100), Fraction(1), 1, Fraction(1, 10))
    assert assessment.headroom == pytest.approx(-1 / 3)
    assert assessment.runway_months == 0


def test_zero_demand_needs_one_node() -> None:
    """A tier whose upstream answers everything still exists: one node, no headroom figure."""
    site = topology(tier("cache", capacity=100, hit_ratio="100%"), tier("web", capacity=100))
    web = plan(site).tiers[1]
    assert web.demand == 0
    assert web.nodes_required == 1
    assert web.assessment.headroom is None


def test_plan_ok_is_three_valued() -> None:
    """A failing tier makes the plan fail; an undeclared one leaves it undecided."""
    failing = topology(tier("a", nodes=1), tier("b"))
    undecided = topology(tier("a", nodes=20), tier("b"))
    passing = topology(tier("a", nodes=20), tier("b", nodes=20))
    assert plan(failing).ok is False
    assert plan(undecided).ok is None
    assert plan(passing).ok is True


# --- failure domains, cold caches and a day's profile (issue 3) -----------------------------


def by_name(site: Plan, name: str) -> TierPlan:
    """The tier called *name* in a plan."""
    return next(entry for entry in site.tiers if entry.name == name)


def test_zone_loss_sizes_a_pool_beyond_n_plus_k() -> None:
    """400 rps on 100-rps nodes: N+1 needs 5, but losing one of 3 zones needs 6."""
    site = plan(topology(tier("web", capacity=100, zones=3, zone_failures=1),
                         traffic={"peak_rps": 400}))
    web = site.tiers[0]
    assert (web.nodes_required, web.zones, web.zone_failures) == (6, 3, 1)


def test_policy_zone_failures_apply_to_every_tier() -> None:
    """zone_failures in the policy reaches a tier that only declares zones."""
    site = plan(topology(tier("web", capacity=100, zones=3), traffic={"peak_rps": 400},
                         policy={"zone_failures": 1}))
    assert site.tiers[0].nodes_required == 6


def test_declared_tier_failing_only_on_zone_loss_is_not_ok() -> None:
    """Five nodes hold N+1 at 400 rps, but a lost zone of two leaves three: not ok."""
    site = plan(topology(tier("web", capacity=100, nodes=5, zones=3, zone_failures=1),
                         traffic={"peak_rps": 400}))
    web = site.tiers[0]
    assert web.assessment.worst.worst_utilization == F(4, 3)
    assert web.ok is False


def test_active_passive_across_two_zones_becomes_mirrored_pairs() -> None:
    """2000 rps on 1000-rps nodes in 2 zones: two actives need two standbys, so 4 nodes."""
    site = plan(topology(tier("db", "active-passive", 1000, zones=2, zone_failures=1),
                         traffic={"peak_rps": 2000}))
    assert site.tiers[0].nodes_required == 4


def cold_cache_site(web_nodes: int | None = 3) -> Plan:
    """A 4-node cache (80% warm, 0% cold) in front of 100-rps web nodes, 1000 rps."""
    web = tier("web", capacity=100) if web_nodes is None else \
        tier("web", capacity=100, nodes=web_nodes)
    return plan(topology(tier("cache", capacity=1000, nodes=4, hit_ratio="80%",
                              cold_hit_ratio="0%"), web))


def test_cold_cache_cascade_hand_worked() -> None:
    """Losing 1 of 4 caches sends web 400 rps instead of 200: 4 nodes, not 3.

    x = 1/4 of the demand moves to cold nodes, so the hit ratio drops to 0.75·80% = 60%.
    """
    web = by_name(cold_cache_site(), "web")
    assert web.demand == 200
    assert web.cascade_demand == 400
    assert web.assessment.cascade_utilization == F(400, 300)
    assert (web.nodes_required, web.sized_by_cascade) == (4, True)
    assert web.ok is False


def test_cascade_counts_in_headroom() -> None:
    """With 5 web nodes the cascade is the busiest scenario: headroom 400→500 rps = +25%."""
    web = by_name(cold_cache_site(5), "web")
    assert web.ok is True
    assert web.assessment.headroom == pytest.approx(0.25)


def test_cache_without_cold_ratio_sends_no_cascade() -> None:
    """cold_hit_ratio defaults to hit_ratio: no cascade, no cascade keys."""
    site = plan(topology(tier("cache", capacity=1000, nodes=4, hit_ratio="80%"),
                         tier("web", capacity=100)))
    assert by_name(site, "web").cascade_demand is None


def test_cascade_reaches_every_tier_downstream() -> None:
    """A cascade flows on: the tier below web sees the cold cache's misses too."""
    site = plan(topology(tier("cache", capacity=1000, nodes=4, hit_ratio="80%",
                              cold_hit_ratio="0%"),
                         tier("web", capacity=100), tier("db", capacity=1000, per_request=2)))
    assert by_name(site, "db").cascade_demand == 800
    assert by_name(site, "cache").cascade_demand is None


def profile_site(failures: int) -> Plan:
    """Five 100-rps pool nodes under a 4-slot day of 100, 200, 400 and 400 rps."""
    return plan(topology(tier("web", capacity=100, nodes=5),
                         traffic={"profile": [100, 200, 400, 400]},
                         policy={"failures": failures}))


def test_survivable_failures_per_slot_hand_worked() -> None:
    """At 100 rps any 4 of 5 may fail, at 200 three, at 400 one."""
    web = profile_site(1).tiers[0]
    assert web.survivable_failures == (4, 3, 1, 1)
    assert web.exposed_hours == 0


def test_exposed_hours_count_slots_below_the_policy() -> None:
    """N+2 is met in two 6-hour slots of four: 12 hours a day exposed."""
    assert profile_site(2).tiers[0].exposed_hours == 12


def test_slot_the_tier_cannot_carry_is_null() -> None:
    """A slot above what every node together carries reports None, and counts as exposed."""
    site = plan(topology(tier("web", capacity=100, nodes=3),
                         traffic={"profile": [100, 400]}))
    web = site.tiers[0]
    assert web.survivable_failures == (2, None)
    assert web.exposed_hours == 12


@settings(deadline=None, max_examples=60)
@given(st.sampled_from(["pool", "ring", "active-passive"]), st.integers(2, 7),
       st.builds(F, st.integers(0, 50), st.integers(1, 4)))
def test_survivable_failures_match_brute_force(redundancy: str, n: int, demand: F) -> None:
    """survivable_failures is the largest f for which every set of f failures holds."""
    scheme = make_scheme(redundancy, spread=2, standby=1)
    assume(n >= scheme.minimum_nodes())
    got = survivable_failures(scheme, n, demand, F(10), F(4, 5))

    def every_set_holds(f: int) -> bool:
        return oracle_holds(spec_of(scheme), n, demand, F(10), max_utilization=F(4, 5), k=f)

    want = max((f for f in range(n + 1) if every_set_holds(f)), default=None)
    assert got == want


# --- latency and availability (issue 5) ---------------------------------------------------


def service_site(**policy: object) -> Plan:
    """2000 rps on app nodes with 8 workers at 25 ms (320 rps each), N+1 at 80%."""
    return plan(topology(tier("app", capacity=None, node={"workers": 8, "service_ms": 25,
                                                           "mtbf_hours": 2000,
                                                           "mttr_hours": 8}),
                         traffic={"peak_rps": 2000},
                         policy={"max_utilization": "80%", **policy}))


def p99_after_one_failure(nodes: int) -> float:
    """p99 at a survivor of *nodes* app nodes after one fails, straight from the queue."""
    from capplan.queueing import Queue

    value = Queue(8, 25.0, 2000 / (nodes - 1)).percentile(0.99)
    assert value is not None
    return value


def test_workers_and_service_time_give_the_capacity() -> None:
    """capacity_rps defaults to workers × 1000 / service_ms: 8 × 1000 / 25 = 320 rps."""
    app = service_site().tiers[0]
    assert app.nodes_required == 9  # N+1 at 80%: 2000 / 256 → 8, plus one
    assert app.latency_ms is not None
    assert app.latency_ms["p99"] == pytest.approx(p99_after_one_failure(9))


def test_latency_target_drives_the_count() -> None:
    """p99 ≤ 120 ms fails with 9 nodes (8 survivors at 250 rps) and holds with 10."""
    assert p99_after_one_failure(9) > 120 >= p99_after_one_failure(10)
    assert service_site(latency_ms={"p99": 120}).tiers[0].nodes_required == 10


def test_availability_target_drives_the_count() -> None:
    """The count meets the availability target; one node fewer (still N+1) does not."""
    from capplan.availability import pool_unavailability

    site = service_site(availability="99.9999%")
    app = site.tiers[0]
    q = 8 / 2008
    assert 1 - pool_unavailability(app.nodes_required, q, F(2000), F(320)) >= 0.999999
    assert 1 - pool_unavailability(app.nodes_required - 1, q, F(2000), F(320)) < 0.999999
    assert app.availability is not None
    assert site.availability == pytest.approx(app.availability)


def test_active_passive_adds_standbys_for_availability() -> None:
    """One active with standbys: each standby is one more node allowed down at once."""
    from capplan.availability import binomial_tail

    site = plan(topology(tier("db", "active-passive", 4000,
                              node={"mtbf_hours": 100, "mttr_hours": 10}),
                         traffic={"peak_rps": 2000}, policy={"availability": "99.999%"}))
    db = site.tiers[0]
    q = 10 / 110
    standbys = db.nodes_required - 1
    # Down only when more nodes are down than there are standbys.
    assert binomial_tail(db.nodes_required, q, standbys + 1).value <= 1e-5
    assert binomial_tail(db.nodes_required - 1, q, standbys).value > 1e-5


def test_latency_counts_in_headroom() -> None:
    """Headroom is how far the peak may grow before p99 passes 120 ms, when that binds."""
    app = service_site(latency_ms={"p99": 120}).tiers[0]
    headroom = app.assessment.headroom
    assert headroom is not None
    assert 0 < headroom < float(F(4, 5) / app.assessment.worst.worst_utilization - 1)


@settings(deadline=None, max_examples=60)
@given(st.sampled_from(["pool", "ring", "active-passive"]), st.integers(1, 3),
       st.booleans(), st.booleans(),
       st.builds(F, st.integers(1, 4000), st.integers(1, 2)),
       st.builds(F, st.integers(1, 4000), st.integers(1, 2)))
def test_more_demand_never_needs_fewer_nodes_with_every_target(
    redundancy: str, zones: int, latency: bool, availability: bool, first: F, second: F
) -> None:
    """With zones, latency and availability in play, more demand never needs fewer nodes.

    The uncertainty sampler's splitting of sorted draws relies on exactly this.
    """
    from capplan.sizing import TierShape

    node: dict[str, object] = {"workers": 4, "service_ms": 20}
    policy: dict[str, object] = {"max_utilization": "80%"}
    if latency:
        policy["latency_ms"] = {"p99": 200}
    if availability:
        node.update(mtbf_hours=500, mttr_hours=5)
        policy["availability"] = "99.99%"
    extra: dict[str, object] = {"zones": zones, "zone_failures": 1} if zones > 1 else {}
    site = topology(tier("t", redundancy, None, node=node, **extra), policy=policy)
    shape = TierShape.of(site.tiers[0], site, 0)
    low, high = sorted((first, second))
    assert shape.required(low) <= shape.required(high)


@settings(max_examples=80, deadline=None)
@given(capacity=st.integers(1, 5000), failures=st.integers(0, 3), spread=st.integers(1, 60),
       ceiling=st.sampled_from(["100%", "80%", "70%", "33%"]),
       draws=st.lists(st.one_of(st.floats(0, 1e7), st.floats(0, 1e-3)), min_size=1,
                      max_size=200),
       steps=st.sampled_from(["none", "pool", "wide"]))
def test_ring_closed_form_counts_match_the_exact_search(
        capacity: int, failures: int, spread: int, ceiling: str, draws: list[float],
        steps: str) -> None:
    """A ring's counts per draw in floats equal the exact search, on and off its steps."""
    site = topology(tier("web", "ring", capacity, spread=spread),
                    policy={"failures": failures, "max_utilization": ceiling})
    shape = TierShape.of(site.tiers[0], site, 0)
    values = np.array(draws)
    usable = float(capacity * Fraction(ceiling.rstrip("%")) / 100)
    if steps == "pool":  # on a step while survivors ≤ spread
        values = np.round(values / usable) * usable
    elif steps == "wide":  # on a step of d·(1 + k/m)/usable
        unit = usable * spread / (spread + failures)
        values = np.round(values / unit) * unit
    closed = shape.closed_form_counts(values)
    assert closed is not None
    assert closed.tolist() == counts_for(values, shape.required).tolist()


@settings(max_examples=40, deadline=None)
@given(redundancy=st.sampled_from(["pool", "active-passive"]), failures=st.integers(0, 2),
       draws=st.lists(st.one_of(st.just(0.0), st.floats(0, 1e-6), st.floats(0, 300)),
                      min_size=1, max_size=100))
def test_closed_form_counts_of_tiny_draws_match_the_exact_search(
        redundancy: str, failures: int, draws: list[float]) -> None:
    """Draws of a few rps or less (behind a cache) need one step: no exact search each."""
    site = topology(tier("web", redundancy, 100), policy={"failures": failures})
    shape = TierShape.of(site.tiers[0], site, 0)
    values = np.array(draws)
    closed = shape.closed_form_counts(values)
    assert closed is not None
    assert closed.tolist() == counts_for(values, shape.required).tolist()


def _first_run_plateau_one_by_one(per_node: float, q: float, allowed: float) -> int | None:
    """The scan of sizing._first_run_plateau as a plain loop over every run."""
    from capplan.model import MAX_NODES

    run = 0
    while True:
        smallest = max(1.0, math.ceil((run + 1) * per_node) - 1.0)
        if smallest > MAX_NODES:
            return None
        if smallest < run + 2:
            return run
        starts = math.exp(min(math.log(smallest) + math.log1p(-q) + (run + 1) * math.log(q),
                              700.0))
        if starts / (1 + starts) <= allowed:
            return run
        run += 1


@settings(max_examples=60, deadline=None)
@given(st.floats(1.0, 40.0), st.sampled_from([0.3, 0.9, 0.999, 0.99999, 0.9999999]),
       st.sampled_from([1e-2, 1e-5, 1e-9, 1e-15]))
def test_first_run_plateau_in_numpy_blocks_equals_the_plain_scan(
        per_node: float, q: float, allowed: float) -> None:
    """Nodes down nearly always scan up to half a million runs: in blocks, the same answer."""
    from capplan.sizing import _first_run_plateau

    assert _first_run_plateau(per_node, q, allowed) == \
        _first_run_plateau_one_by_one(per_node, q, allowed)
