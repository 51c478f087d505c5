"""Numbers at the edges (issue 9): each case was wrong or unsafe before, worked here by hand.

Every required count is the smallest that holds *every* limit at *every* peak up to the
horizon; headroom counts every limit; every finding names what binds and gives advice
that is valid input when pasted back.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from capplan.cli import app
from capplan.failover import failover
from capplan.loader import load_text
from capplan.results import plan_document, size_document
from capplan.schemes import Unattainable
from capplan.sizing import compare, plan, size
from tests.helpers import tier, topology

F = Fraction
runner = CliRunner()


def run_on(folder: Path, text: str, command: str, *options: str) -> Result:
    """Write *text* as a site in *folder* and run one capplan *command* on it."""
    path = folder / "site.yaml"
    path.write_text(text)
    return runner.invoke(app, [command, str(path), *options])


def only_tier(document: dict[str, object]) -> dict[str, object]:
    """The first tier of a plan document."""
    tiers = document["tiers"]
    assert isinstance(tiers, list)
    first: dict[str, object] = tiers[0]
    return first


def test_shrinking_traffic_is_sized_for_today() -> None:
    """With negative growth, nodes_required holds today's peak, not the horizon's."""
    site = topology(tier("web", capacity=200, nodes=6),
                    traffic={"peak_rps": 1000, "growth": "-5%", "horizon_months": 12})
    web = plan(site).tiers[0]
    # 1000 rps on 200-rps nodes, N+1: 5 + 1 today; the horizon's 540 rps would take 4.
    assert web.nodes_required == web.nodes_required_now == 6
    assert web.ok is True


def test_shrinking_traffic_exports_today_s_count(tmp_path: Path) -> None:
    """Terraform gets 6 nodes, the count today needs, never the horizon's 4."""
    text = ("site: s\ntraffic: {peak_rps: 1000, growth: -5%, horizon_months: 12}\n"
            "tiers:\n  - {name: web, redundancy: pool, nodes: 6, "
            "node: {capacity_rps: 200}}\n")
    result = run_on(tmp_path, text, "export", "--to", "terraform")
    assert result.exit_code == 0, result.output
    assert '"web_node_count": 6' in result.stdout


RING_OVER_ZONES = """\
site: rings
traffic: {peak_rps: 60k}
policy: {failures: 1, max_utilization: 80%, zone_failures: 1}
tiers:
  - name: ring
    redundancy: ring
    spread: 2
    zones: ZONES
    nodes: NODES
    node: {capacity_rps: 10k}
"""


@pytest.mark.parametrize(("zones", "nodes", "ok", "required"), [
    (2, 16, True, 16), (2, 17, False, 16), (2, 18, True, 16),
    (3, 12, True, 12), (3, 13, False, 12), (3, 15, True, 12),
])
def test_rings_over_zones_are_sized_without_assuming_monotony(
    zones: int, nodes: int, ok: bool, required: int
) -> None:
    """Issue 9's rings: 16 (two zones) and 12 (three) are the smallest counts that hold."""
    text = RING_OVER_ZONES.replace("ZONES", str(zones)).replace("NODES", str(nodes))
    ring = plan(load_text(text.encode(), "rings.yaml").topology).tiers[0]
    assert ring.nodes_required == required
    assert ring.ok is ok


def test_a_failing_count_above_one_that_holds_names_the_nearest_holding_counts(
    tmp_path: Path,
) -> None:
    """17 nodes fail where 16 and 18 hold: check says so, with advice that is valid input."""
    text = RING_OVER_ZONES.replace("ZONES", "2").replace("NODES", "17")
    result = run_on(tmp_path, text, "check")
    assert result.exit_code == 1
    assert "17 nodes fail where 16 and 18 hold: use nodes: 16" in result.stdout
    assert "losing 1 of 2 zones puts" in result.stdout


def test_compare_sizes_ranges_at_the_confidence_like_plan() -> None:
    """Compare and plan agree on an uncertain tier: both cover policy.confidence."""
    site = topology(tier("api", capacity=100),
                    traffic={"peak_rps": {"low": 1000, "high": 3000}})
    planned = plan(site, simulations=2000).tiers[0].nodes_required
    compared = compare(site, simulations=2000)[0].schemes["pool"].nodes_required
    medians = plan(topology(tier("api", capacity=100),
                            traffic={"peak_rps": 1732})).tiers[0].nodes_required
    assert compared == planned > medians


def test_a_zone_loss_that_orphans_shares_leaves_no_headroom() -> None:
    """8 active-passive nodes in 2 zones, 1 standby: losing a zone sheds; headroom is −100%."""
    site = topology(tier("db", "active-passive", "3k", nodes=8, zones=2, zone_failures=1),
                    traffic={"peak_rps": "10k"})
    db = only_tier(plan_document(plan(site)))
    assert db["shed_fraction"] == pytest.approx(3 / 7)
    assert db["headroom"] == -1.0
    assert db["ok"] is False
    assert db["binding"] == "zones"
    assert db["standby"] == 1
    assert db["standby_required"] == 4


def test_every_limit_is_rechecked_at_the_count_found() -> None:
    """Availability alone says 7; losing a zone at 7 overloads a node; 8 holds both."""
    site = topology(
        tier("ring", "ring", 1000, zones=2, node={"mtbf_hours": 19, "mttr_hours": 1}),
        traffic={"peak_rps": 2250},
        policy={"failures": 0, "max_utilization": "80%", "zone_failures": 1,
                "availability": "99%"},
    )
    assert plan(site).tiers[0].nodes_required == 8
    at_seven = plan(topology(
        tier("ring", "ring", 1000, zones=2, nodes=7, node={"mtbf_hours": 19, "mttr_hours": 1}),
        traffic={"peak_rps": 2250},
        policy={"failures": 0, "max_utilization": "80%", "zone_failures": 1,
                "availability": "99%"},
    )).tiers[0]
    assert at_seven.ok is False
    assert at_seven.binding == "zones"


def cold_cache_site(**web: object) -> str:
    """A cold cache in front of an undeclared web pool: the cascade sizes web."""
    extra = "".join(f", {key}: {value}" for key, value in web.items())
    return ("site: cascade\ntraffic: {peak_rps: 10k}\npolicy: {failures: 1}\ntiers:\n"
            "  - {name: cache, redundancy: ring, nodes: 2, hit_ratio: 90%, "
            "cold_hit_ratio: 0%, node: {capacity_rps: 20k}}\n"
            "  - {name: web, redundancy: pool, node: {capacity_rps: 100}" + extra + "}\n")


def test_failover_shows_the_count_plan_requires() -> None:
    """On an undeclared tier, failover describes plan's nodes_required (cascade counted)."""
    loaded = load_text(cold_cache_site().encode(), "cascade.yaml")
    required = plan(loaded.topology).tiers[1].nodes_required
    view = failover(loaded.topology, "web")
    assert view.nodes == required
    assert required > 11  # the cascade, not the warm demand, sizes web
    named = failover(loaded.topology, "web", fail=[f"web-{required}"])
    assert named.failed == (required,)


def test_availability_met_exactly_at_its_boundary() -> None:
    """0.99³ = 97.0299% is met by 3 nodes each up 99% of the time: 3 required, 3 ok."""
    node = {"mtbf_hours": 99, "mttr_hours": 1}
    policy = {"failures": 0, "availability": "97.0299%"}
    sized = plan(topology(tier("web", capacity=100, node=node), traffic={"peak_rps": 300},
                          policy=policy)).tiers[0]
    declared = plan(topology(tier("web", capacity=100, nodes=3, node=node),
                             traffic={"peak_rps": 300}, policy=policy)).tiers[0]
    assert sized.nodes_required == 3
    assert declared.ok is True


def test_headroom_counts_the_availability_target() -> None:
    """4 pool nodes at 50%: the ceiling allows +50%, but any growth breaks 99.999%."""
    site = topology(tier("web", capacity=100, nodes=4,
                         node={"mtbf_hours": 99, "mttr_hours": 1}),
                    traffic={"peak_rps": 200, "growth": "10%"},
                    policy={"failures": 1, "availability": "99.999%"})
    web = plan(site).tiers[0]
    # Two nodes down still carry 200 rps; above it, two down shed, and P(≥ 2 of 4 down)
    # = 5.9e-4 misses the target. The ceiling alone would allow 100% / 66.7% − 1 = +50%.
    assert web.assessment.headroom == pytest.approx(0.0, abs=1e-9)
    assert web.binding == "availability"


def test_standby_is_reported_where_capplan_chooses_it() -> None:
    """An active-passive tier sized across 2 zones reports the standbys it needs."""
    site = topology(tier("db", "active-passive", 1000, zones=2, zone_failures=1),
                    traffic={"peak_rps": 3000})
    db = only_tier(plan_document(plan(site)))
    assert db["nodes_required"] == 6
    assert db["standby"] == db["standby_required"] == 3


def test_size_keeps_the_standby_it_is_given() -> None:
    """Size --standby 0 under N+0 sizes with no standby; under N+1 it cannot hold."""
    sized = size("active-passive", F(2000), F(1000), failures=0, standby=0)
    assert sized.nodes_required == 2
    assert size_document(sized)["standby"] == 0
    with pytest.raises(Unattainable, match="--standby 1"):
        size("active-passive", F(2000), F(1000), failures=1, standby=0)


def test_an_n_plus_2_pair_is_a_policy_failure_naming_the_standbys(tmp_path: Path) -> None:
    """N+2 on an active-passive pair: exit 1, advice with the standby count that holds."""
    text = ("site: p\ntraffic: {peak_rps: 100}\npolicy: {failures: 2}\ntiers:\n"
            "  - {name: db, redundancy: active-passive, nodes: 2, "
            "node: {capacity_rps: 1000}}\n")
    result = run_on(tmp_path, text, "check")
    assert result.exit_code == 1
    # Three nodes: the defaulted two standbys and one active.
    assert "needs 3 nodes (has 2): set nodes: 3" in result.stdout, result.stdout


@pytest.mark.parametrize(("policy", "node", "peak", "binding", "words"), [
    ({"failures": 0, "availability": "99.999%"}, {"mtbf_hours": 99, "mttr_hours": 1}, 300,
     "availability", "availability 97.0299% < 99.999%"),
    ({"latency_ms": {"p99": 55}}, {"workers": 4, "service_ms": 10}, 600, "latency",
     "p99 60.06 ms > 55 ms"),
])
def test_findings_name_the_target_that_binds(
    policy: dict[str, object], node: dict[str, object], peak: int, binding: str, words: str,
) -> None:
    """A count failing its latency or availability target says so, not 'N+1 at 80%' alone."""
    site = topology(tier("web", capacity=None if "workers" in node else 100, nodes=3,
                         node=node), traffic={"peak_rps": peak}, policy=policy)
    web = plan(site).tiers[0]
    assert web.ok is False
    assert web.binding == binding
    assert words in web.why


def test_check_advice_is_valid_input(tmp_path: Path) -> None:
    """Pasting check's advice back into the file gives a file that loads and holds."""
    text = ("site: z\ntraffic: {peak_rps: 100}\npolicy: {zone_failures: 1}\ntiers:\n"
            "  - {name: web, redundancy: ring, zones: 3, node: {capacity_rps: 1000}}\n")
    result = run_on(tmp_path, text, "check")
    assert result.exit_code == 1
    advice = result.stdout.split("add ", 1)[1].split(" (", 1)[0]
    assert advice == "nodes: 3"  # never fewer nodes than zones
    pasted = text.replace("zones: 3,", f"zones: 3, {advice},")
    assert run_on(tmp_path, pasted, "check").exit_code == 0


def test_a_count_past_the_node_limit_is_a_located_finding(tmp_path: Path) -> None:
    """Growth that would need over 1,000,000 nodes: check exit 1 at traffic.growth."""
    text = ("site: b\ntraffic:\n  peak_rps: 1000\n  growth: 100%\n  horizon_months: 36\n"
            "tiers:\n  - {name: web, redundancy: pool, nodes: 4, node: {capacity_rps: 100}}\n")
    result = run_on(tmp_path, text, "check")
    assert result.exit_code == 1, result.output
    assert f"{tmp_path / 'site.yaml'}:4:11:" in result.stdout
    assert "1,000,000 nodes" in result.stdout
    planned = run_on(tmp_path, text, "plan")
    assert planned.exit_code == 2
    assert "growth" in planned.stderr
    assert "Traceback" not in planned.output


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(2, 3), st.integers(1, 3), st.integers(0, 1))
def test_ring_requirement_is_the_smallest_holding_count(
    peak_k: int, zones: int, spread: int, failures: int
) -> None:
    """Across zones, no smaller count holds than the plan requires (checked one by one)."""
    base = {"peak_rps": peak_k * 1000}
    policy = {"failures": failures, "max_utilization": "80%", "zone_failures": 1}
    required = plan(topology(tier("r", "ring", 10_000, spread=spread, zones=zones),
                             traffic=base, policy=policy)).tiers[0].nodes_required
    for count in range(max(zones, failures + 1), required + 1):
        declared = plan(topology(tier("r", "ring", 10_000, spread=spread, zones=zones,
                                      nodes=count), traffic=base, policy=policy)).tiers[0]
        assert declared.ok is (count == required)


def test_yaml_of_the_new_keys_matches_json() -> None:
    """binding, bottleneck and standby are plain data: YAML and JSON agree."""
    import json

    from capplan.render.data import to_json, to_yaml

    site = topology(tier("db", "active-passive", 1000, zones=2, zone_failures=1),
                    traffic={"peak_rps": 3000})
    document = plan_document(plan(site))
    assert yaml.safe_load(to_yaml(document)) == json.loads(to_json(document))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.sampled_from([(9, 1), (19, 1), (99, 1), (999, 1), (1, 1),
                                            (1, 3)]),
       st.sampled_from(["90%", "99%", "99.9%", "99.99%", "99.999%"]), st.integers(0, 1))
def test_ring_availability_floor_never_skips_a_holding_count(
    peak_hundreds: int, mtbf_mttr: tuple[int, int], target: str, failures: int
) -> None:
    """A ring sized for availability: the smallest count found by walking every count.

    Nodes down most of the time (mttr ≥ mtbf) included: their floors skip dozens of run
    plateaus, and the walk below checks that none of them held.
    """
    from capplan.sizing import TierShape

    mtbf, mttr = mtbf_mttr
    site = topology(tier("r", "ring", 100, node={"mtbf_hours": mtbf, "mttr_hours": mttr}),
                    traffic={"peak_rps": peak_hundreds * 100},
                    policy={"failures": failures, "availability": target})
    shape = TierShape.of(site.tiers[0], site, 0)
    demand = F(peak_hundreds * 100)
    try:
        required = shape.required(demand)
    except Unattainable:
        required = 1_000_001

    def holds(count: int) -> bool:
        worst = shape.sized.worst(count, demand, shape.capacity, shape.failures)
        return worst.holds(shape.ceiling) and shape.availability_holds(shape.sized, count,
                                                                        demand)

    walked = next((count for count in range(1, min(required, 3000) + 1) if holds(count)),
                  None)
    assert walked == (required if required <= 3000 else None)


def test_alert_threshold_counts_the_availability_target(tmp_path: Path) -> None:
    """4 pool nodes at 200 rps hold 300 rps by the ceiling but 200 by 99.999%: alert at 200."""
    text = ("site: a\ntraffic: {peak_rps: 200}\npolicy: {failures: 1, availability: "
            "99.999%}\ntiers:\n  - {name: web, redundancy: pool, nodes: 4, node: "
            "{capacity_rps: 100, mtbf_hours: 99, mttr_hours: 1}}\n")
    result = run_on(tmp_path, text, "export", "--to", "prometheus")
    assert result.exit_code == 0, result.output
    rules = yaml.safe_load(result.stdout)["groups"][0]["rules"]
    assert rules[0]["expr"].endswith("> 200")


def test_ansible_names_the_standbys_of_an_active_passive_tier(tmp_path: Path) -> None:
    """The inventory says how many hosts stay passive: 8 of 16 across two racks."""
    text = ("site: l\ntraffic: {peak_rps: 60k}\npolicy: {max_utilization: 80%}\n"
            "tiers:\n  - {name: lb, redundancy: active-passive, zones: 2, "
            "zone_failures: 1, node: {capacity_rps: 10k}}\n")
    result = run_on(tmp_path, text, "export", "--to", "ansible")
    assert result.exit_code == 0, result.output
    group = yaml.safe_load(result.stdout)["all"]["children"]["lb"]
    assert group["vars"]["capplan_nodes"] == 16
    assert group["vars"]["capplan_standby"] == 8


def test_a_boundary_a_hair_past_is_a_failure(tmp_path: Path) -> None:
    """2000.0000000000000001 rps on 3 pool nodes of 1000 at 100%: sheds, so it fails."""
    text = ('site: eps\ntraffic: {peak_rps: "2000.0000000000000001"}\n'
            "tiers: [{name: web, redundancy: pool, nodes: 3, node: {capacity_rps: 1000}}]\n")
    result = run_on(tmp_path, text, "check")
    assert result.exit_code == 1
    assert "a hair above 100%" in result.stdout


@pytest.mark.parametrize(("growth", "months"), [("100%", 60), ("1000%", 400)])
def test_a_runway_no_count_reaches_is_a_finding(tmp_path: Path, growth: str,
                                                months: int) -> None:
    """min_runway_months beyond any count: CAP004 at the tier (exit 1), no error, no crash."""
    text = (f"site: r\ntraffic: {{peak_rps: 1000, growth: {growth}}}\n"
            f"policy: {{min_runway_months: {months}}}\ntiers: [{{name: web, "
            "redundancy: pool, nodes: 4, node: {capacity_rps: 1000}}]\n")
    result = run_on(tmp_path, text, "check")
    assert result.exit_code == 1, result.output
    assert "no count up to 1,000,000 nodes lasts that long" in result.stdout


def test_ranges_with_a_cascade_on_a_ring_over_zones_size_both_at_once() -> None:
    """Per draw, the count holds the demand and the cascade together: 18, never 17."""
    site = load_text(b"""\
site: cascade-uncertain
traffic: {peak_rps: {low: 599999, high: 600001}}
policy: {failures: 1, max_utilization: 80%}
tiers:
  - {name: edge, redundancy: ring, nodes: 7, hit_ratio: 90%, cold_hit_ratio: 6%,
     node: {capacity_rps: 1M}}
  - {name: cache, redundancy: ring, spread: 2, zones: 2, zone_failures: 1,
     node: {capacity_rps: 10k}}
""", "cascade.yaml").topology
    cache = plan(site, simulations=2000).tiers[1]
    # 16 holds the zone loss, 17 carries the cascade, but 17 fails the zone loss.
    assert cache.nodes_required == 18
    assert cache.assessment.holds


@pytest.mark.parametrize(("nodes", "ok"), [(16, True), (19, False)])
def test_a_declared_count_covers_the_draws_it_holds(nodes: int, ok: bool) -> None:
    """19 ring nodes over two zones hold fewer draws than 16: only 16 covers 95%."""
    site = load_text(f"""\
site: ring-confidence
traffic: {{peak_rps: {{low: 55k, high: 63k}}}}
policy: {{failures: 1, max_utilization: 80%, confidence: 95%}}
tiers:
  - {{name: cache, redundancy: ring, spread: 2, zones: 2, zone_failures: 1, nodes: {nodes},
     node: {{capacity_rps: 10k}}}}
""".encode(), "ring.yaml").topology
    cache = plan(site, simulations=2000).tiers[0]
    assert cache.ok is ok


def test_a_ring_whose_one_node_carries_the_peak_is_sized_by_all_down_alone() -> None:
    """A ring that sheds only when every node is down needs the smallest N with qᴺ ≤ 10⁻⁵.

    10 rps on 100-rps ring nodes down 30/31 of the time, 99.999%: 352 nodes. The
    reviewer's find: the walk started at 1 (no floor applied) and stopped at 200.
    """
    import math

    site = topology(tier("r", "ring", 100, node={"mtbf_hours": 1, "mttr_hours": 30}),
                    traffic={"peak_rps": 10},
                    policy={"failures": 0, "availability": "99.999%"})
    closed_form = math.ceil(math.log(1e-5) / math.log(30 / 31))
    assert closed_form == 352
    assert F(30, 31) ** 352 <= F(1, 10**5) < F(30, 31) ** 351
    assert plan(site).tiers[0].nodes_required == closed_form


@pytest.mark.parametrize("scheme", ["pool", "ring", "active-passive"])
def test_a_hundred_percent_target_is_a_finding_that_names_it(tmp_path: Path,
                                                             scheme: str) -> None:
    """Nodes that fail are all down at once some of the time: 100% is never met.

    check says so at the target's key (not 'more than 1,000,000 nodes', not a count).
    """
    text = ("site: a\ntraffic: {peak_rps: 1100}\npolicy:\n  failures: 0\n"
            "  availability: 100%\ntiers:\n"
            f"  - {{name: r, redundancy: {scheme}, nodes: 1100, node: "
            "{capacity_rps: 1000, mtbf_hours: 10, mttr_hours: 10}}\n")
    result = run_on(tmp_path, text, "check")
    assert result.exit_code == 1, result.output
    assert f"{tmp_path / 'site.yaml'}:5:17:" in result.stdout
    assert "100%" in result.stdout
    assert "1,000,000" not in result.stdout
    assert "all down at once" in result.stdout


@pytest.mark.parametrize("choose", ["", "  choose: regret\n"])
def test_a_hundred_percent_target_under_ranges_is_named_once(tmp_path: Path,
                                                            choose: str) -> None:
    """Under {low, high} ranges a 100% target is named once, at its key.

    Reviewer's find: each draw was 'beyond the node limit', so check said 'more than
    1,000,000 nodes' at the tier instead of naming the target.
    """
    text = ("site: a\ntraffic: {peak_rps: {low: 500, high: 1500}}\npolicy:\n"
            f"  availability: 100%\n{choose}tiers:\n"
            "  - {name: db, redundancy: ring, nodes: 4, node: "
            "{capacity_rps: 1000, mtbf_hours: 10, mttr_hours: 10, cost: 1}}\n")
    result = run_on(tmp_path, text, "check")
    assert result.exit_code == 1, result.output
    assert f"{tmp_path / 'site.yaml'}:4:17:" in result.stdout
    assert "availability 100% is out of reach" in result.stdout
    assert "1,000,000" not in result.stdout


@pytest.mark.parametrize(("scheme", "nodes", "standby"), [("pool", 66_003, None),
                                                          ("active-passive", 66_003, 33_001)])
def test_half_down_nodes_at_a_fifty_percent_target_past_the_exact_budget(
        scheme: str, nodes: int, standby: int | None) -> None:
    """Nodes down half the time at a 50% target: the symmetric tie holds, at any size.

    Reviewer's find: 33,002 needed up; at n = 2·33,002 − 1 fewer than 33,002 up has
    probability exactly ½ by symmetry, so 66,003 holds; past the exact budget the float
    (0.50000000002) decided, and the count came out one high.
    """
    site = topology(tier("web", scheme, 100, node={"mtbf_hours": 1, "mttr_hours": 1},
                         availability="50%"),
                    traffic={"peak_rps": 3_300_200},
                    policy={"failures": 0, "max_utilization": "100%"})
    planned = plan(site).tiers[0]
    assert planned.nodes_required == nodes
    if standby is not None:
        assert planned.standby == standby


def test_a_ring_count_hint_past_the_floats_is_no_internal_error() -> None:
    """The 10,000-site run's find: growth 1000% a month for 1000 months at 50% availability.

    compare's ring variant started its search from a hint that took float(demand /
    capacity), 11¹⁰⁰⁰ rps: "internal error: OverflowError". Every command refuses the tier
    (or leaves its variant blank) instead.
    """
    document = topology(
        tier("lb", capacity=1, failures=0, node={"mtbf_hours": 0.001, "mttr_hours": 1}),
        traffic={"peak_rps": 1, "growth": "1000%", "horizon_months": 1000},
        policy={"failures": 0, "availability": 0.5})
    with pytest.raises(Unattainable, match=r"growth 1000\.00% a month for 1000 months"):
        plan(document)
    assert [variant.nodes_required for variant in
            compare(document)[0].schemes.values()] == [None, None, None]


@pytest.mark.parametrize("hit_ratio", ["0.5", "{low: 0.4, high: 0.6}"])
def test_a_latency_target_a_hair_above_the_service_time_is_refused_at_its_key(
        tmp_path: Path, hit_ratio: str) -> None:
    """The 10,000-site run's find: p50 0.69329 ms on 1 ms service (floor 0.69315 ms).

    With capacity_rps far beyond what one worker serves, the ceiling that target allows
    is below the floats' resolution: it read as 0, and the count search divided by it
    ("internal error: ZeroDivisionError"). With ranges, each draw said "more than
    1,000,000 nodes". It is refused once, at the target.
    """
    path = tmp_path / "hair.yaml"
    path.write_text(f"""\
site: hair
traffic: {{peak_rps: 1}}
tiers:
  - name: lb
    redundancy: pool
    failures: 0
    hit_ratio: {hit_ratio}
    node: {{capacity_rps: 1}}
  - name: cache
    redundancy: pool
    failures: 0
    latency_ms: {{p50: 0.6932853216}}
    node: {{workers: 1, service_ms: 1, capacity_rps: 1e15}}
""", encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"{path}:12:17: error: tier 'cache' cannot meet its policy at any size: latency_ms "
        "holds only with nodes all but idle")
    assert "internal error" not in runner.invoke(app, ["plan", str(path)]).output
