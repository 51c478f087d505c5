"""Stored resources (SPEC §7): disk for data × replicas, memory for the working set."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import capplan
from capplan.errors import InvalidInput


def storage_site(**tier: Any) -> dict[str, Any]:
    node = {"capacity_rps": 1000, "disk_gib": 4096, "cost": 500, **tier.pop("node", {})}
    return {
        "site": "storage",
        "traffic": {"peak_rps": tier.pop("peak_rps", 2000)},
        "policy": {"failures": 1, "max_utilization": "75%"},
        "tiers": [{"name": "store", "redundancy": "pool", "data_gib": 10240, "replicas": 3,
                   "node": node, **tier}],
    }


def planned(data: dict[str, Any]) -> dict[str, Any]:
    document = capplan.plan(capplan.Topology.model_validate(data)).to_dict()
    tier: dict[str, Any] = document["tiers"][0]
    return tier


def test_spec_example_ten_tib_three_times_on_four_tib_disks_needs_eleven() -> None:
    # 30,720 GiB / (4,096 GiB × 75%) = 10 survivors, plus the one failure.
    tier = planned(storage_site())
    assert tier["nodes_required"] == 11
    assert tier["bottleneck"] == "disk"
    assert tier["required_by"] == {"rps": 4, "bandwidth": None, "disk": 11, "memory": None}


def test_a_declared_count_short_of_disk_fails_naming_disk_and_its_figures() -> None:
    tier = planned(storage_site(nodes=8))
    assert tier["ok"] is False
    assert tier["binding"] == "disk"
    assert "30,720 GiB of disk" in tier["reason"]
    assert "leaves 7" in tier["reason"]
    assert tier["headroom"] == pytest.approx(7 / 10 - 1)


def test_memory_binds_when_the_working_set_is_largest() -> None:
    data = storage_site(working_set_gib=3000, node={"memory_gib": 64})
    tier = planned(data)
    # 3,000 / (64 × 75%) = 62.5 → 63 survivors, + 1 failure.
    assert tier["required_by"]["memory"] == 64
    assert tier["nodes_required"] == 64
    assert tier["bottleneck"] == "memory"


def test_replicas_need_survivors_even_for_tiny_data() -> None:
    data = storage_site(data_gib=1, replicas=3, failures=2)
    tier = planned(data)
    assert tier["required_by"]["disk"] == 5
    assert tier["nodes_required"] == 5


def test_resources_follow_zone_loss() -> None:
    # 3 zones, one may fail: of 15 nodes, 10 survive; 10 hold 30,720 GiB exactly.
    tier = planned(storage_site(zones=3, zone_failures=1))
    assert tier["nodes_required"] == 15


@pytest.mark.parametrize(("key", "node_key"), [("data_gib", "disk_gib"),
                                                ("working_set_gib", "memory_gib")])
def test_a_need_without_the_node_figure_is_refused_at_the_key(key: str, node_key: str) -> None:
    data = storage_site()
    data["tiers"][0].pop("data_gib")
    data["tiers"][0].pop("replicas")
    data["tiers"][0]["node"].pop("disk_gib")
    data["tiers"][0][key] = 10
    with pytest.raises(InvalidInput, match=rf"tiers\[0\]\.{key}: {key} needs node\.{node_key}"):
        capplan.Topology.model_validate(data)


def test_replicas_without_data_is_refused() -> None:
    data = storage_site()
    data["tiers"][0].pop("data_gib")
    with pytest.raises(InvalidInput, match="replicas counts copies of data_gib"):
        capplan.Topology.model_validate(data)


def test_tiers_without_resources_have_no_required_by_key() -> None:
    data = storage_site()
    for key in ("data_gib", "replicas"):
        data["tiers"][0].pop(key)
    assert "required_by" not in planned(data)


def survivors_by_brute_force(redundancy: str, nodes: int, failures: int, zones: int,
                             zone_failures: int) -> int:
    """The fewest nodes left over every failure set and every zone loss, one by one."""
    fewest = nodes
    for lost in range(min(failures, nodes) + 1):
        for failed in itertools.combinations(range(nodes), lost):
            fewest = min(fewest, nodes - len(failed))
    for down in itertools.combinations(range(zones), zone_failures):
        fewest = min(fewest, sum(1 for node in range(nodes) if node % zones not in down))
    return fewest


@settings(max_examples=60, deadline=None)
@given(redundancy=st.sampled_from(["pool", "ring", "active-passive"]),
       data_gib=st.integers(0, 400), disk=st.integers(10, 100), replicas=st.integers(1, 3),
       failures=st.integers(0, 2), zones=st.integers(1, 3), zone_failures=st.integers(0, 1),
       ceiling=st.sampled_from(["100%", "80%", "70%"]))
def test_the_storage_requirement_agrees_with_brute_force(
        redundancy: str, data_gib: int, disk: int, replicas: int, failures: int, zones: int,
        zone_failures: int, ceiling: str) -> None:
    if zone_failures >= zones:
        zone_failures = 0
    data = storage_site(redundancy=redundancy, data_gib=data_gib, replicas=replicas,
                        failures=failures, zones=zones, zone_failures=zone_failures,
                        max_utilization=ceiling, peak_rps=1, node={"disk_gib": disk})
    tier = planned(data)
    limit = Fraction(ceiling.rstrip("%")) / 100
    expected = next(
        count for count in range(max(1, zones), 200)
        if (left := survivors_by_brute_force(redundancy, count, failures, zones,
                                             zone_failures)) >= replicas
        and left * disk * limit >= data_gib * replicas)
    assert tier["required_by"]["disk"] == expected
    assert tier["nodes_required"] >= expected
