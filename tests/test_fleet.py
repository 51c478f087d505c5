"""Node types in the planner (SPEC §7): the cheapest type or mix, declared mixes, rules."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import capplan
from capplan.errors import InvalidInput

CATALOGUE = {"small": {"capacity_rps": 1000, "cost": 4000},
             "large": {"capacity_rps": 2500, "cost": 8500}}


def site(failures: int = 1, **tier: Any) -> dict[str, Any]:
    return {
        "site": "fleet",
        "traffic": {"peak_rps": tier.pop("peak_rps", 8500)},
        "policy": {"failures": failures, "max_utilization": tier.pop("ceiling", "100%")},
        "node_types": tier.pop("catalogue", CATALOGUE),
        "tiers": [{"name": "web", "redundancy": "pool", "node_types": ["small", "large"],
                   **tier}],
    }


def planned(data: dict[str, Any]) -> dict[str, Any]:
    tier: dict[str, Any] = capplan.plan(capplan.Topology.model_validate(data)).to_dict()[
        "tiers"][0]
    return tier


def test_published_case_one_small_and_four_large_beat_either_type_alone() -> None:
    tier = planned(site())
    assert tier["mix"] == {"large": 4, "small": 1}
    assert "node_type" not in tier
    assert (tier["nodes_required"], tier["cost_required"]) == (5, 38_000)
    assert tier["alternatives"] == [{"mix": {"small": 10}, "nodes": 10, "cost": 40_000},
                                    {"mix": {"large": 5}, "nodes": 5, "cost": 42_500}]
    # Losing the largest node leaves 1,000 + 3 × 2,500 = 8,500 rps: exactly the peak.
    assert tier["worst_utilization"] == 1.0


def test_published_case_at_n_plus_2_is_eleven_small() -> None:
    tier = planned(site(failures=2))
    assert tier["node_type"] == "small"
    assert (tier["nodes_required"], tier["cost_required"]) == (11, 44_000)


def test_a_ring_uses_one_type_the_cheapest_that_holds() -> None:
    tier = planned(site(redundancy="ring"))
    # Spread 1: a neighbour takes a failed node's share, 2·D/N ≤ c: 17 small or 7 large.
    assert tier["node_type"] == "large"
    assert (tier["nodes_required"], tier["cost_required"]) == (7, 59_500)


def test_a_declared_mix_that_fails_names_the_cheapest_fleet_as_valid_input(
        tmp_path: Any) -> None:
    data = site(nodes={"small": 2, "large": 3})
    tier = planned(data)
    assert tier["ok"] is False
    assert tier["cost"] == 2 * 4000 + 3 * 8500
    assert tier["cost_required"] == 38_000
    path = tmp_path / "site.yaml"
    import yaml

    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = capplan.check(path)
    assert result.return_code == 1
    message = result.findings[0].message
    assert "set nodes: {large: 4, small: 1}" in message
    # The advice pasted back holds.
    data["tiers"][0]["nodes"] = {"large": 4, "small": 1}
    assert planned(data)["ok"] is True


def test_failover_of_a_mix_loads_each_node_by_its_capacity() -> None:
    topology = capplan.Topology.model_validate(site(nodes={"small": 2, "large": 3}))
    view = capplan.failover(topology, "web")
    # The largest node fails first; 2 large and 2 small carry 8,500 on 7,000: 121.4% each.
    assert view.failed == (1,)
    assert view.worst_utilization == Fraction(8500, 7000)
    loads = sorted({entry.load for entry in view.loads if entry.state == "up"})
    assert loads == [Fraction(8500 * 1000, 7000), Fraction(8500 * 2500, 7000)]
    assert view.shed_fraction == Fraction(1500, 8500)


def test_compare_prices_each_scheme_with_its_cheapest_fleet() -> None:
    topology = capplan.Topology.model_validate(site())
    document = capplan.compare(topology).to_dict()
    web = document["tiers"][0]
    assert web["pool"]["cost"] == 38_000
    assert web["ring"] == {"nodes_required": 7, "cost": 59_500, "standby": None}


@pytest.mark.parametrize(("tier", "expected"), [
    ({"node_types": ["smal"]}, r"unknown node type 'smal'.*small"),
    ({"node": {"capacity_rps": 5}}, "sets node and node_types"),
    ({"redundancy": "ring", "nodes": {"small": 1, "large": 2}}, "uses one node type"),
    ({"nodes": 5}, r"declare its nodes by type, e\.g\. nodes: \{small: 5\}"),
    ({"zones": 2, "nodes": {"small": 1, "large": 4}}, "not for zones"),
    ({"node_types": None, "nodes": {"tiny": 3}}, "the mix names 'tiny'"),
])
def test_node_type_rules_are_located_and_say_the_fix(tier: dict[str, Any],
                                                     expected: str) -> None:
    data = site(**tier)
    if data["tiers"][0].get("node_types") is None:
        data["tiers"][0].pop("node_types")
    with pytest.raises(InvalidInput, match=expected):
        capplan.Topology.model_validate(data)


def test_a_tier_without_a_catalogue_is_told_so() -> None:
    data = site()
    data.pop("node_types")
    with pytest.raises(InvalidInput, match="no top-level node_types catalogue"):
        capplan.Topology.model_validate(data)


# --- against brute force over every mix ----------------------------------------------------

def cheapest_by_brute_force(types: dict[str, tuple[int, int]], demand: int, failures: int,
                            ceiling: Fraction) -> tuple[Fraction, int]:
    """(cost, nodes) of the cheapest mix surviving any k failures, over every mix."""
    best: tuple[Fraction, int] | None = None
    names = sorted(types)
    # 40 of the smallest type alone carry any demand tried here (30 rps at 80%, k ≤ 2).
    for counts in itertools.product(range(41), repeat=len(names)):
        nodes = [types[name][0] for name, count in zip(names, counts, strict=True)
                 for _ in range(count)]
        if len(nodes) <= failures:
            continue
        survivors = sum(sorted(nodes)[:len(nodes) - failures])
        if survivors * ceiling < demand:
            continue
        cost = Fraction(sum(types[name][1] * count
                            for name, count in zip(names, counts, strict=True)))
        if best is None or (cost, len(nodes)) < best:
            best = (cost, len(nodes))
    assert best is not None
    return best


@settings(max_examples=40, deadline=None)
@given(capacities=st.lists(st.integers(1, 9), min_size=2, max_size=2, unique=True),
       prices=st.lists(st.integers(1, 20), min_size=2, max_size=2),
       demand=st.integers(1, 30), failures=st.integers(0, 2),
       ceiling=st.sampled_from([Fraction(1), Fraction(4, 5)]))
def test_the_planner_picks_the_cheapest_fleet_of_every_mix(
        capacities: list[int], prices: list[int], demand: int, failures: int,
        ceiling: Fraction) -> None:
    types = {"a": (capacities[0], prices[0]), "b": (capacities[1], prices[1])}
    catalogue = {name: {"capacity_rps": c, "cost": p} for name, (c, p) in types.items()}
    data = site(failures, peak_rps=demand, ceiling=ceiling, catalogue=catalogue,
                node_types=["a", "b"])
    tier = planned(data)
    assert (Fraction(tier["cost_required"]), tier["nodes_required"]) == \
        cheapest_by_brute_force(types, demand, failures, ceiling)
    assert tier["ok"] is None
    assert tier["shed_fraction"] == 0
    assert tier["worst_utilization"] <= float(ceiling) + 1e-12


def test_a_declared_mix_whose_cheapest_fix_is_one_type_is_sized_as_that_type() -> None:
    # 3,000 rps at 80%, N+1: 5 small (20,000) beat 3 large (25,500) and every mix; the
    # declared {small: 1, large: 1} is described as declared, the requirement as 5 small.
    tier = planned(site(peak_rps=3000, ceiling="80%", nodes={"small": 1, "large": 1}))
    assert tier["mix"] == {"small": 1, "large": 1}
    assert (tier["nodes_required"], tier["cost_required"]) == (5, 20_000)
    assert tier["ok"] is False


def test_a_ring_declared_as_one_type_is_checked_as_that_type() -> None:
    tier = planned(site(redundancy="ring", nodes={"small": 6}))
    # Spread 1: 2 × 8,500 / N ≤ 1,000 → 17 small; the alternatives name 7 large as cheaper.
    assert tier["node_type"] == "small"
    assert (tier["nodes_required"], tier["cost_required"]) == (17, 68_000)
    assert tier["alternatives"][0] == {"mix": {"large": 7}, "nodes": 7, "cost": 59_500}


def test_a_declared_mix_holds_its_data_against_the_largest_disks_lost() -> None:
    catalogue = {"big": {"capacity_rps": 4000, "cost": 9000, "disk_gib": 8000},
                 "small": {"capacity_rps": 1000, "cost": 1000, "disk_gib": 1000}}
    data = site(peak_rps=1000, ceiling="80%", catalogue=catalogue, node_types=["big", "small"],
                data_gib=10_000, replicas=2, nodes={"big": 2, "small": 10})
    tier = planned(data)
    # Losing a big disk leaves 8,000 + 10 × 1,000 = 18,000 GiB, 14,400 within 80% < 20,000.
    assert tier["ok"] is False
    assert tier["binding"] == "disk"
    assert "14,400 GiB" in tier["reason"]
    assert tier["headroom"] == pytest.approx(14_400 / 20_000 - 1)


def test_failover_refuses_another_count_for_a_mix() -> None:
    topology = capplan.Topology.model_validate(site(nodes={"small": 2, "large": 3}))
    with pytest.raises(capplan.InvalidArgument, match="--nodes does not apply"):
        capplan.failover(topology, "web", nodes=8)


@pytest.mark.parametrize(("counts", "expected"), [
    ("required", {"large": 4, "small": 1}), ("declared", {"large": 3, "small": 2})])
def test_exports_say_which_node_types_to_create(counts: str, expected: dict[str, int]) -> None:
    import json

    import yaml

    from capplan.export import export_tiers
    from capplan.render.provision import to_kubernetes, to_terraform

    topology = capplan.Topology.model_validate(site(nodes={"small": 2, "large": 3}))
    rows = export_tiers(topology, counts)  # type: ignore[arg-type]
    variables = json.loads(to_terraform("fleet", rows))
    assert variables["web_node_types"] == expected
    assert variables["web_node_count"] == sum(expected.values())
    manifests = yaml.safe_load_all(to_kubernetes("fleet", rows))
    budget = next(document for document in manifests if document["kind"] ==
                  "PodDisruptionBudget")
    assert budget["metadata"]["annotations"]["capplan/node-types"] == ", ".join(
        f"{name}: {count}" for name, count in expected.items())


def test_the_plan_tables_advice_for_a_typed_standby_pair_is_valid_input(
        tmp_path: Any) -> None:
    """'nodes: {large: 8} and standby: 4', pasted into the file, holds (check agrees)."""
    from typer.testing import CliRunner

    from capplan.cli import app

    data = site(redundancy="active-passive", nodes={"large": 4}, zones=2, zone_failures=1)
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    printed = CliRunner().invoke(app, ["plan", str(path)]).stdout
    advice = " ".join(printed.split()).split("the cheapest fleet that holds is ")[1]
    assert advice == "nodes: {large: 8} and standby: 4"
    pasted = yaml.safe_load("{" + advice.replace(" and ", ", ") + "}")
    data["tiers"][0].update(pasted)
    assert planned(data)["ok"] is True
