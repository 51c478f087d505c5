"""The cheapest mix of node types (SPEC §7), against published figures and brute force.

The oracle here enumerates every mix up to a bound that provably contains the optimum
(no type can appear more often than the cheapest single-type plan's cost buys of it) and
applies the rule literally: after the k largest nodes of a resource fail, the rest carry
its need. That rule itself is checked against every k-subset of small mixes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from fractions import Fraction
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan import mix
from capplan.errors import InvalidArgument
from capplan.mix import (
    SURVIVORS,
    Mix,
    NodeType,
    cheapest_fix,
    cheapest_mix,
    cheapest_mix_disjunctive,
    cheapest_mix_milp,
    holds,
    per_resource_required,
    single_type_plans,
)

F = Fraction
SMALL = NodeType("small", F(4000), {"rps": F(1000)})
LARGE = NodeType("large", F(8500), {"rps": F(2500)})
Key = tuple[Fraction, int, tuple[int, ...]]


# --- the oracle -------------------------------------------------------------------------

def worst_survivors(capacities: list[Fraction], failures: int) -> Fraction:
    """The least any k-subset's failure leaves, by trying every k-subset."""
    if len(capacities) <= failures:
        return F(0)
    return min(sum(capacities, F(0)) - sum(lost, F(0))
               for lost in itertools.combinations(capacities, failures))


def expand(counts: Mapping[str, int], types: list[NodeType], resource: str) -> list[Fraction]:
    by_name = {node_type.name: node_type for node_type in types}
    return [by_name[name].capacity[resource]
            for name, count in counts.items() for _ in range(count)]


def oracle_holds(counts: Mapping[str, int], types: list[NodeType],
                 needs: Mapping[str, Fraction], failures: int, min_survivors: int) -> bool:
    if sum(counts.values()) - failures < min_survivors:
        return False
    for resource, need in needs.items():
        nodes = sorted(expand(counts, types, resource), reverse=True)
        if sum(nodes[failures:], F(0)) < need:
            return False
    return True


def oracle_cheapest(types: list[NodeType], needs: Mapping[str, Fraction], failures: int,
                    min_survivors: int, floor: Mapping[str, int] | None = None,
                    max_nodes: int | None = None) -> Mix | None:
    serving = sorted((t for t in types if all(r in t.capacity for r in needs)),
                     key=lambda t: t.name)
    if not serving:
        return None
    floor = floor or {}
    # The floor topped up with one type alone holds; no type appears more often than that
    # plan's cost buys of it (costs are positive here), so the optimum lies in the box.
    budget = None
    for node_type in serving:
        count = floor.get(node_type.name, 0)
        trial = dict(floor)
        while True:
            trial[node_type.name] = count
            if oracle_holds(trial, serving, needs, failures, min_survivors):
                break
            count += 1
        cost = sum(n * t.cost for t in serving for name, n in trial.items() if name == t.name)
        budget = cost if budget is None else min(budget, cost)
    assert budget is not None
    if max_nodes is None:
        ranges = [range(floor.get(t.name, 0), int(budget // t.cost) + 1) for t in serving]
    else:  # the cap may rule out that plan: then every count up to the cap is a candidate
        ranges = [range(floor.get(t.name, 0), max_nodes + 1) for t in serving]
    best: Key | None = None
    best_counts: dict[str, int] = {}
    for vector in itertools.product(*ranges):
        nodes = sum(vector)
        cost = sum((t.cost * n for t, n in zip(serving, vector, strict=True)), F(0))
        if max_nodes is not None and nodes > max_nodes:
            continue
        if max_nodes is None and cost > budget:
            continue
        counts = {t.name: n for t, n in zip(serving, vector, strict=True)}
        if not oracle_holds(counts, serving, needs, failures, min_survivors):
            continue
        key = (F(cost), nodes, tuple(-n for n in vector))
        if best is None or key < best:
            best, best_counts = key, counts
    if best is None:
        return None
    return Mix(counts={name: n for name, n in best_counts.items() if n},
               nodes=best[1], cost=best[0])


# --- published figures -----------------------------------------------------------------

def test_published_n_plus_1_mix_beats_every_single_type() -> None:
    needs = {"rps": F(8500)}
    mix = cheapest_mix([SMALL, LARGE], needs, failures=1)
    assert mix == Mix(counts={"large": 4, "small": 1}, nodes=5, cost=F(38000))
    plans = single_type_plans([SMALL, LARGE], needs, failures=1)
    assert [(p.counts, p.cost) for p in plans] == [
        ({"small": 10}, F(40000)), ({"large": 5}, F(42500))]


def test_published_n_plus_2_is_eleven_small() -> None:
    mix = cheapest_mix([SMALL, LARGE], {"rps": F(8500)}, failures=2)
    assert mix == Mix(counts={"small": 11}, nodes=11, cost=F(44000))


def test_published_disk_case_needs_eleven_nodes_and_disk_binds() -> None:
    # 10 TiB stored 3 times on 4 TiB disks at 75%: 30,720 / (4,096 · 0.75) = 10, N+1 → 11.
    disk_node = NodeType("store", F(1000), {"rps": F(5000), "disk": F(4096)})
    needs = {"rps": F(1000) / F(3, 4), "disk": F(10240) * 3 / F(3, 4)}
    required = per_resource_required(disk_node, needs, failures=1, min_survivors=3)
    assert required.required_by == {"rps": 2, "disk": 11}
    assert (required.nodes, required.bottleneck, required.by_survivors) == (11, "disk", 4)
    mix = cheapest_mix([disk_node], needs, failures=1, min_survivors=3)
    assert mix is not None
    assert mix.nodes == 11


def test_exact_boundary_is_not_pushed_over_by_float_noise() -> None:
    # (N − 1) · 1000 ≥ 2000 at 100%: 3 nodes, exactly; and 1/3-rps nodes for 1 rps, N+1.
    assert cheapest_mix([SMALL], {"rps": F(2000)}, 1) == Mix({"small": 3}, 3, F(12000))
    third = NodeType("third", F(1), {"rps": F(1, 3)})
    assert cheapest_mix([third], {"rps": F(1)}, 1) == Mix({"third": 4}, 4, F(4))
    # 80% of 1,250 rps nodes: need 2,000 / 0.8 = 2,500 exactly met by 2 survivors.
    node = NodeType("n", F(7), {"rps": F(1250)})
    assert cheapest_mix([node], {"rps": F(2000) / F(4, 5)}, 1) == Mix({"n": 3}, 3, F(21))


def test_ties_go_to_fewer_nodes_then_the_first_named_type() -> None:
    a = NodeType("a", F(2), {"rps": F(1)})
    b = NodeType("b", F(4), {"rps": F(2)})
    # k = 0, need 2: 2 a and 1 b both cost 4; the one node wins.
    assert cheapest_mix([a, b], {"rps": F(2)}, 0) == Mix({"b": 1}, 1, F(4))
    twin = NodeType("twin", F(4), {"rps": F(2)})
    # b and twin are the same node: the name that sorts first takes the whole tier.
    assert cheapest_mix([twin, b], {"rps": F(5)}, 1) == Mix({"b": 4}, 4, F(16))


def test_a_type_lacking_a_needed_resource_cannot_serve() -> None:
    disk = NodeType("disk", F(10), {"rps": F(100), "disk": F(100)})
    needs = {"rps": F(150), "disk": F(150)}
    # SMALL is far cheaper per rps but declares no disk.
    assert cheapest_mix([SMALL, disk], needs, 1) == Mix({"disk": 3}, 3, F(30))
    assert [p.counts for p in single_type_plans([SMALL, disk], needs, 1)] == [{"disk": 3}]
    assert cheapest_mix([SMALL], needs, 1) is None


def test_max_nodes_caps_the_mix() -> None:
    assert cheapest_mix([SMALL, LARGE], {"rps": F(8500)}, 1, max_nodes=5) is not None
    limited = cheapest_mix([SMALL, LARGE], {"rps": F(8500)}, 1, max_nodes=4)
    assert limited is None


def test_bottleneck_ties_go_to_rps_and_survivors_can_bind() -> None:
    node = NodeType("n", F(1), {"rps": F(10), "memory": F(10)})
    both = per_resource_required(node, {"rps": F(30), "memory": F(30)}, 1)
    assert (both.required_by, both.bottleneck) == ({"rps": 4, "memory": 4}, "rps")
    few = per_resource_required(node, {"rps": F(5)}, 1, min_survivors=3)
    assert (few.nodes, few.bottleneck) == (4, SURVIVORS)


def test_bad_arguments_are_refused_with_the_fix() -> None:
    with pytest.raises(InvalidArgument, match="failures"):
        cheapest_mix([SMALL], {"rps": F(1)}, -1)
    with pytest.raises(InvalidArgument, match="unknown resource 'cpu'"):
        cheapest_mix([SMALL], {"cpu": F(1)}, 1)
    with pytest.raises(InvalidArgument, match="listed twice"):
        cheapest_mix([SMALL, SMALL], {"rps": F(1)}, 1)
    with pytest.raises(InvalidArgument, match="capacity must be above 0"):
        cheapest_mix([NodeType("z", F(1), {"rps": F(0)})], {"rps": F(1)}, 1)
    with pytest.raises(InvalidArgument, match="not a node type"):
        holds({"huge": 2}, [SMALL], {"rps": F(1)}, 1)
    with pytest.raises(InvalidArgument, match="does not declare disk"):
        holds({"small": 2}, [SMALL], {"rps": F(1), "disk": F(1)}, 1)


# --- the identity behind the formulation -----------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.fractions(min_value=F(1, 4), max_value=10, max_denominator=4),
                min_size=1, max_size=7), st.integers(0, 3))
def test_worst_set_equals_the_theta_maximum(capacities: list[Fraction], k: int) -> None:
    if len(capacities) < k:
        return
    survivors = worst_survivors(capacities, k)
    def lower(theta: Fraction) -> Fraction:
        return sum((min(c, theta) for c in capacities), F(0)) - k * theta
    assert max(lower(theta) for theta in capacities) == survivors
    assert all(lower(theta) <= survivors for theta in [F(0), F(1, 3), *capacities, F(11)])


# --- agreement with brute force ---------------------------------------------------------

CEILINGS = [F(1), F(4, 5), F(3, 4), F(7, 10), F(2, 3)]


@st.composite
def catalogues(draw: st.DrawFn) -> tuple[list[NodeType], dict[str, Fraction], int, int]:
    """2–3 types with small whole capacities and costs (ties likely), rps and maybe disk."""
    with_disk = draw(st.booleans())
    size = draw(st.integers(2, 3))
    types = []
    for index in range(size):
        capacity = {"rps": F(draw(st.integers(1, 6)) * 100)}
        if with_disk and draw(st.integers(0, 4)):  # now and then a type without disk
            capacity["disk"] = F(draw(st.integers(1, 6)) * 50)
        types.append(NodeType(f"t{index}", F(draw(st.sampled_from([2, 3, 4, 5, 6, 8, 9]))),
                              capacity))
    ceiling = draw(st.sampled_from(CEILINGS))
    needs = {"rps": F(draw(st.integers(0, 1000))) / ceiling}
    if with_disk:
        needs["disk"] = F(draw(st.integers(0, 400))) * draw(st.integers(1, 3)) / ceiling
    return types, needs, draw(st.integers(0, 2)), draw(st.integers(1, 3))


@settings(max_examples=300, deadline=None)
@given(catalogues())
def test_cheapest_mix_agrees_with_brute_force(
        case: tuple[list[NodeType], dict[str, Fraction], int, int]) -> None:
    types, needs, failures, min_survivors = case
    expected = oracle_cheapest(types, needs, failures, min_survivors)
    assert cheapest_mix(types, needs, failures, min_survivors) == expected


@settings(max_examples=300, deadline=None)
@given(catalogues(), st.integers(3, 12))
def test_cheapest_mix_within_max_nodes_agrees_with_brute_force(
        case: tuple[list[NodeType], dict[str, Fraction], int, int], max_nodes: int) -> None:
    types, needs, failures, min_survivors = case
    expected = oracle_cheapest(types, needs, failures, min_survivors, max_nodes=max_nodes)
    assert cheapest_mix(types, needs, failures, min_survivors, max_nodes) == expected


@settings(max_examples=60, deadline=None)
@given(catalogues())
def test_the_milp_formulation_agrees_with_the_branch_and_bound(
        case: tuple[list[NodeType], dict[str, Fraction], int, int]) -> None:
    types, needs, failures, min_survivors = case
    assert (cheapest_mix_milp(types, needs, failures, min_survivors)
            == cheapest_mix(types, needs, failures, min_survivors))


def test_the_milp_formulation_on_the_published_case() -> None:
    mix = cheapest_mix_milp([SMALL, LARGE], {"rps": F(8500)}, 1)
    assert mix == Mix(counts={"large": 4, "small": 1}, nodes=5, cost=F(38000))


@st.composite
def declared_mixes(draw: st.DrawFn) -> tuple[list[NodeType], dict[str, Fraction], int, int,
                                             dict[str, int]]:
    types, needs, failures, min_survivors = draw(catalogues())
    serving = [t for t in types if all(r in t.capacity for r in needs)]
    declared = {t.name: draw(st.integers(0, 3)) for t in serving}
    return types, needs, failures, min_survivors, declared


@settings(max_examples=300, deadline=None)
@given(declared_mixes())
def test_holds_agrees_with_every_failure_set(
        case: tuple[list[NodeType], dict[str, Fraction], int, int, dict[str, int]]) -> None:
    types, needs, failures, min_survivors, declared = case
    verdict = holds(declared, types, needs, failures, min_survivors)
    nodes = sum(declared.values())
    carried = {r: worst_survivors(expand(declared, types, r), failures) for r in needs}
    assert verdict.carried == carried
    assert verdict.survivors == max(0, nodes - failures)
    expected = nodes - failures >= min_survivors and all(
        carried[r] >= needs[r] for r in needs)
    assert verdict.holds is expected
    for resource, need in needs.items():
        strain = verdict.strain[resource]
        assert strain == (need / carried[resource] if carried[resource] else None)
    slack = {r: (carried[r] - needs[r]) / needs[r] for r in needs if needs[r]}
    if nodes - failures < min_survivors:
        assert verdict.binding == SURVIVORS
    elif slack:
        least = min(slack.values())
        assert verdict.binding == next(r for r in ("rps", "disk") if slack.get(r) == least)
    if expected:
        assert (verdict.fix, verdict.fix_adding) == (None, None)
    else:
        assert verdict.fix == oracle_cheapest(types, needs, failures, min_survivors)
        assert verdict.fix_adding == oracle_cheapest(types, needs, failures, min_survivors,
                                                     floor=declared)
        assert verdict.fix_adding == cheapest_fix(declared, types, needs, failures,
                                                  min_survivors)


def no_further_fallback(*args: object) -> None:
    raise AssertionError("the disjunctive programme left its answer unproven")


@settings(max_examples=150, deadline=None)
@given(declared_mixes(), st.one_of(st.none(), st.integers(3, 12)))
def test_a_search_over_budget_hands_over_to_the_disjunctive_milp_and_agrees(
        case: tuple[list[NodeType], dict[str, Fraction], int, int, dict[str, int]],
        max_nodes: int | None) -> None:
    types, needs, failures, min_survivors, declared = case
    cap = {} if max_nodes is None else {"max_nodes": max_nodes}
    expected = oracle_cheapest(types, needs, failures, min_survivors, max_nodes=max_nodes)
    expected_fix = oracle_cheapest(types, needs, failures, min_survivors, floor=declared,
                                   max_nodes=max_nodes)
    # A tiny budget forces the fallback; the next fallback failing the test proves that
    # the disjunctive programme itself gave (and proved) every answer.
    with patch.object(mix, "SEARCH_BUDGET", 2), \
            patch.object(mix, "_milp_search", no_further_fallback):
        assert cheapest_mix(types, needs, failures, min_survivors, **cap) == expected
        assert cheapest_fix(declared, types, needs, failures, min_survivors,
                            **cap) == expected_fix


def unproven(*args: object) -> None:
    raise mix._Unproven("as if floating point had run out of digits")


@settings(max_examples=40, deadline=None)
@given(catalogues())
def test_an_unproven_disjunctive_answer_hands_over_to_the_theta_programmes(
        case: tuple[list[NodeType], dict[str, Fraction], int, int]) -> None:
    types, needs, failures, min_survivors = case
    expected = oracle_cheapest(types, needs, failures, min_survivors)
    with patch.object(mix, "SEARCH_BUDGET", 2), \
            patch.object(mix, "_disjunctive_search", unproven):
        assert cheapest_mix(types, needs, failures, min_survivors) == expected


@settings(max_examples=60, deadline=None)
@given(catalogues())
def test_the_disjunctive_programme_agrees_with_the_theta_programmes(
        case: tuple[list[NodeType], dict[str, Fraction], int, int]) -> None:
    types, needs, failures, min_survivors = case
    assert (cheapest_mix_disjunctive(types, needs, failures, min_survivors)
            == cheapest_mix_milp(types, needs, failures, min_survivors))


def test_the_disjunctive_programme_on_the_published_cases() -> None:
    assert (cheapest_mix_disjunctive([SMALL, LARGE], {"rps": F(8500)}, 1)
            == Mix(counts={"large": 4, "small": 1}, nodes=5, cost=F(38000)))
    assert (cheapest_mix_disjunctive([SMALL, LARGE], {"rps": F(8500)}, 2)
            == Mix(counts={"small": 11}, nodes=11, cost=F(44000)))
    assert cheapest_mix_disjunctive([SMALL, LARGE], {"rps": F(8500)}, 1, max_nodes=4) is None


def test_fix_adding_keeps_the_declared_nodes() -> None:
    verdict = holds({"large": 3}, [SMALL, LARGE], {"rps": F(8500)}, 1)
    assert not verdict.holds
    assert verdict.binding == "rps"
    assert verdict.carried == {"rps": F(5000)}
    assert verdict.strain == {"rps": F(17, 10)}
    assert verdict.fix == Mix({"large": 4, "small": 1}, 5, F(38000))
    assert verdict.fix_adding == Mix({"large": 4, "small": 1}, 5, F(38000))
    # Five declared small nodes stay. Adding 2 large leaves 5·1000 + 2500 = 7,500 after
    # a large fails; 1 small + 2 large more (41,000) or 5 small more (40,000) hold: the
    # cheaper is 10 small, dearer than the 38,000 the overall fix would cost.
    kept = holds({"small": 5}, [SMALL, LARGE], {"rps": F(8500)}, 1)
    assert kept.fix == Mix({"large": 4, "small": 1}, 5, F(38000))
    assert kept.fix_adding == Mix({"small": 10}, 10, F(40000))


@settings(max_examples=200, deadline=None)
@given(catalogues())
def test_single_type_plans_are_the_search_on_one_type(
        case: tuple[list[NodeType], dict[str, Fraction], int, int]) -> None:
    types, needs, failures, min_survivors = case
    plans = single_type_plans(types, needs, failures, min_survivors)
    for plan in plans:
        (name,) = plan.counts
        alone = [t for t in types if t.name == name]
        assert plan == cheapest_mix(alone, needs, failures, min_survivors)
        required = per_resource_required(alone[0], needs, failures, min_survivors)
        assert required.nodes == plan.nodes
    keys = [(p.cost, p.nodes, next(iter(p.counts))) for p in plans]
    assert keys == sorted(keys)
