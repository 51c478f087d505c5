"""A new scheme is one module and one registry line (issue 10): mirrored pairs, end to end.

``Pairs`` below is the whole scheme: nodes 2i−1 and 2i mirror each other, and a failed
node's share goes to its partner alone. Registering it (one line, as capplan/registry.py
would hold it) is all it takes for files to use it and for plan, check, failover, compare
and size to plan it; the tests compare its counts with a brute force over failure sets.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import capplan
from capplan import registry
from capplan.schemes import NO_ZONES, Distribution, NodeLoad, Scheme, Worst, Zones

ZERO = Fraction(0)


class Pairs(Scheme):
    """Mirrored pairs: node 2i−1 and node 2i; a failed node's share goes to its partner."""

    name = "pairs"

    @classmethod
    def build(cls, *, spread: int = 1, standby: int = 1, zones: Zones = NO_ZONES,
              cover_zones: bool = False,
              standby_floor: Callable[[int], int] | None = None) -> Scheme:
        """Pairs read no tier key of their own."""
        return cls(zones)

    def minimum_nodes(self) -> int:
        """One pair."""
        return max(2, self.zones.count)

    def strands_on_failures(self, nodes: int, failures: int) -> bool:
        """Two failures may take a whole pair; one takes a node without a partner (odd N)."""
        return failures >= 2 or (failures >= 1 and nodes % 2 == 1) or failures >= nodes

    @staticmethod
    def partner(node: int, nodes: int) -> int | None:
        """Node *node*'s mirror, None for the last node of an odd tier."""
        other = node + 1 if node % 2 else node - 1
        return other if other <= nodes else None

    def distribute(self, nodes: int, demand: Fraction, failed: frozenset[int]) -> Distribution:
        """Each node carries its share, and its failed partner's."""
        share = demand / nodes
        loads, unassigned = [], ZERO
        for node in range(1, nodes + 1):
            partner = self.partner(node, nodes)
            if node in failed:
                loads.append(NodeLoad(node, "failed", ZERO))
                if partner is None or partner in failed:
                    unassigned += share
            else:
                extra = share if partner is not None and partner in failed else ZERO
                loads.append(NodeLoad(node, "up", share + extra))
        return Distribution(tuple(loads), unassigned)

    def _worst_of(self, nodes: int, demand: Fraction, capacity: Fraction,
                  sets: Iterator[frozenset[int]]) -> Worst:
        all_up = demand / nodes / capacity
        busiest, shed = all_up, ZERO
        for failed in sets:
            result = self.distribute(nodes, demand, failed)
            up = [n.load for n in result.nodes if n.state == "up"]
            busiest = max(busiest, max(up, default=demand) / capacity)
            shed = max(shed, result.shed(capacity) / demand if demand else ZERO)
        return Worst(all_up, busiest, shed)

    def node_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                   failures: int) -> Worst:
        """Closed form: a partner carries two shares; a lost pair (or lone node) sheds."""
        share = demand / nodes
        worst = share if failures == 0 else 2 * share
        shed = ZERO
        if failures >= 1 and nodes % 2:
            shed = share
        if failures >= 2:
            shed = 2 * share
        if failures >= nodes:
            shed = demand
        return Worst(share / capacity, worst / capacity, shed / demand if demand else ZERO)

    def zone_worst(self, nodes: int, demand: Fraction, capacity: Fraction) -> Worst:
        """Every loss of whole zones, one by one (a test scheme may enumerate)."""
        return self._worst_of(nodes, demand, capacity, (
            self.zones.members(zones, nodes) for zones in self.zones.failed_sets()))

    def floor_worst(self, nodes: int, demand: Fraction, capacity: Fraction,
                    failures: int) -> Worst:
        """Odd counts aside, more nodes only help: the partner's two shares."""
        share = demand / nodes
        worst = share if failures == 0 else 2 * share
        return Worst(share / capacity, worst / capacity, ZERO if failures < 2 else share)

    def worst_failure_set(self, nodes: int, failures: int) -> frozenset[int]:
        """A whole pair when two may fail, else the first node."""
        return frozenset(range(1, min(failures, 2, nodes) + 1))

    def moved_fraction(self, nodes: int, failures: int) -> Fraction:
        """One share per failure, up to one per pair."""
        return Fraction(min(failures, nodes // 2), nodes)

    def estimate(self, demand: Fraction, usable: Fraction, failures: int) -> int:
        """2·D/N ≤ usable (one failure), rounded up to whole pairs."""
        count = max(2, -(-2 * demand // usable) if failures else -(-demand // usable))
        return int(count + count % 2)


ENTRY = registry.SchemeEntry(f"{__name__}:Pairs", "pairs")


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    # The one line a new scheme adds to capplan/registry.py.
    monkeypatch.setitem(registry.SCHEMES, "pairs", ENTRY)


def site(peak: int, capacity: int, **tier: Any) -> dict[str, Any]:
    return {"site": "mirrors", "traffic": {"peak_rps": peak},
            "tiers": [{"name": "db", "redundancy": "pairs",
                       "node": {"capacity_rps": capacity, "cost": 10}, **tier}]}


def fewest_by_brute_force(peak: int, capacity: int, failures: int) -> int | None:
    """The smallest N at which no set of at most k failures sheds or overloads a node."""
    scheme = Pairs()
    for nodes in range(2, 60):
        if all(not (result := scheme.distribute(nodes, Fraction(peak), frozenset(failed)))
               .shed(Fraction(capacity)) and all(
                   n.load <= capacity for n in result.nodes if n.state == "up")
               for lost in range(failures + 1)
               for failed in itertools.combinations(range(1, nodes + 1), lost)):
            return nodes
    return None


@settings(max_examples=40, deadline=None)
@given(peak=st.integers(1, 5000), capacity=st.integers(200, 2000), failures=st.integers(0, 1))
def test_a_registered_scheme_plans_the_smallest_count_that_holds(
        peak: int, capacity: int, failures: int) -> None:
    topology = capplan.Topology.model_validate(site(peak, capacity, failures=failures))
    expected = fewest_by_brute_force(peak, capacity, failures)
    assert capplan.plan(topology).tiers[0].nodes_required == expected


def test_every_command_plans_the_new_scheme(tmp_path: Path) -> None:
    data = site(3000, 1000, nodes=5)
    topology = capplan.Topology.model_validate(data)
    plan = capplan.plan(topology)
    # 3,000 rps: a partner carries 2 × 3,000 / N ≤ 1,000, so 6; 5 leaves node 5 alone.
    assert plan.tiers[0].nodes_required == 6
    assert plan.tiers[0].ok is False
    assert "pairs" in capplan.plan(topology).to_dict()["tiers"][0]["redundancy"]
    view = capplan.failover(topology, "db", fail=["db-5"])
    assert view.shed_fraction == Fraction(1, 5)
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    finding = capplan.check(path).findings[0]
    assert "set nodes: 6" in finding.message
    columns = capplan.compare(topology).to_dict()["tiers"][0]
    assert columns["pairs"]["nodes_required"] == 6
    assert capplan.size(peak=3000, capacity=1000, redundancy="pairs").nodes_required == 6


def test_a_key_of_another_scheme_is_refused_on_the_new_one() -> None:
    with pytest.raises(capplan.InvalidInput, match="spread applies only to ring tiers"):
        capplan.Topology.model_validate(site(3000, 1000, spread=2))


def test_the_plan_table_labels_it_from_the_registry() -> None:
    from capplan.render.table import scheme_label

    assert scheme_label("pairs") == "pairs"
    assert scheme_label("active-passive") == "act-pass"


def test_the_json_schema_names_it() -> None:
    """A scheme registered after the model was imported is in the schema editors read."""
    from capplan.render.schema import topology_schema

    tier = topology_schema()["definitions"]["Tier"]["properties"]["redundancy"]
    assert tier["enum"] == ["pool", "ring", "active-passive", "pairs"]
