"""The cheapest mix of node types that survives any k failures, found exactly (SPEC §7).

A pool may mix node types: its balancer weights every node by capacity, so what the
survivors carry is the sum of their capacities. For each resource r (``rps``,
``bandwidth``, ``disk``, ``memory``) the caller gives the *need*: what must still be
carried after the worst failure set, already divided by the utilization ceiling (rps:
demand / max_utilization; disk: data_gib × replicas / max_utilization; memory:
working_set_gib / max_utilization). A mix *holds* when, whichever ``failures`` nodes are
lost, the survivors carry every need and at least ``min_survivors`` nodes remain.

**The worst set, per resource.** Any k nodes may fail, so each resource must hold against
its own worst set: the k nodes largest in that resource. For one resource with per-node
capacities c_1 ≥ c_2 ≥ … ≥ c_n (n ≥ k) the survivors carry

    Σ c_i − (c_1 + … + c_k)  =  max over θ ≥ 0 of [ Σ min(c_i, θ) − k·θ ],

and the maximum is reached at θ = c_k, the k-th largest capacity. *Proof.* For any θ ≥ 0,
c_1 + … + c_k ≤ Σ_{j≤k} (θ + (c_j − θ)⁺) ≤ k·θ + Σ_i (c_i − θ)⁺, and
Σ min(c_i, θ) = Σ c_i − Σ (c_i − θ)⁺; so Σ min(c_i, θ) − k·θ ≤ Σ c_i − (c_1 + … + c_k).
At θ = c_k: c_j ≥ θ for j ≤ k, so c_j = θ + (c_j − θ)⁺ there, and (c_i − θ)⁺ = 0 for
i > k; both inequalities are equalities. ∎ Hence a mix x (x_t nodes of type t) holds a
resource iff some θ among that resource's type capacities satisfies
``Σ x_t · min(c_t, θ) ≥ need + k·θ`` (SPEC §7's programme, one per θ); any θ at all gives
a lower bound on what the survivors carry.

**How the optimum is found.** :func:`cheapest_mix` runs an exact branch and bound in
integers (every Fraction is scaled by the lowest common denominator of its resource, every
cost by that of the costs), seeded with the best single-type plan, over the count of each
type in turn, the last count in closed form. A branch is cut when a lower bound on the cost
(then on the node count) of every completion is worse than the best mix found; the bound
charges the failures that must still land on added nodes at the cheapest node's price
and the remaining shortfall at the cheapest price per unit of that resource. Nothing is
rounded, so the answer is exact and the same on every machine.
:func:`cheapest_mix_milp` solves SPEC §7's formulation with scipy's ``milp`` (HiGHS),
one programme per combination of θs, and checks every answer in integers; it is the
independent cross-check the tests run against, and the benchmark's comparison (about 8 ms
per programme, against well under a millisecond for the branch and bound on 5 types).

**Ties.** Among mixes of equal cost the fewer nodes win; among those, the count vector in
the order of the type names, compared lexicographically, the larger wins (more nodes of the
type whose name sorts first). That is arbitrary but total, so the answer is deterministic.

Pure: no I/O, no pydantic; scipy is imported only by :func:`cheapest_mix_milp`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from capplan.errors import InvalidArgument

#: The resources a node type may declare, in the order ties between them are broken.
RESOURCES = ("rps", "bandwidth", "disk", "memory")

#: Mirrors capplan.model.MAX_NODES (imported from there it would pull in pydantic).
MAX_NODES = 1_000_000

#: What ``bottleneck`` names when the survivor count (``min_survivors``), not a resource,
#: asks for the most nodes.
SURVIVORS = "survivors"


@dataclass(frozen=True)
class NodeType:
    """One entry of the catalogue: a name, a cost per node and what one node carries."""

    name: str
    cost: Fraction
    capacity: Mapping[str, Fraction]  # resource -> capacity; a missing key: not offered


@dataclass(frozen=True)
class Mix:
    """A multiset of nodes: ``counts`` by type name (positive counts only, names sorted)."""

    counts: dict[str, int] = field(hash=False)
    nodes: int
    cost: Fraction


@dataclass(frozen=True)
class Verdict:
    """What :func:`holds` says about a declared mix.

    ``holds``: every need is carried after each resource's worst failure set and at least
    ``min_survivors`` nodes remain. ``survivors``: nodes left after ``failures`` fail.
    ``carried``: per resource, what survives that resource's worst set. ``strain``: need ÷
    carried (≤ 1 holds; times the tier's max_utilization it is the survivors' utilization;
    None where nothing survives). ``binding``: the resource with the least slack
    (carried − need) as a share of its need — ``"survivors"`` when the survivor count
    fails — or None when nothing is needed. ``fix``: the cheapest mix that holds (None when
    the declared mix holds, or nothing holds); ``fix_adding``: the cheapest mix that keeps
    every declared node and only adds (None likewise).
    """

    holds: bool
    survivors: int
    carried: dict[str, Fraction]
    strain: dict[str, Fraction | None]
    binding: str | None
    fix: Mix | None
    fix_adding: Mix | None


@dataclass(frozen=True)
class Requirement:
    """What one node type needs, resource by resource (SPEC §7 ``required_by``).

    ``required_by``: per needed resource, the count that resource alone requires
    (k + ⌈need / capacity⌉); ``by_survivors``: k + min_survivors; ``nodes``: the largest of
    them all; ``bottleneck``: the resource asking for the most (ties in the order rps,
    bandwidth, disk, memory), or ``"survivors"`` when the survivor count alone asks for
    more than every resource.
    """

    required_by: dict[str, int]
    by_survivors: int
    nodes: int
    bottleneck: str


@dataclass(frozen=True)
class _Problem:
    """The catalogue and needs scaled to integers; types sorted by name."""

    names: tuple[str, ...]
    costs: tuple[int, ...]  # scaled by cost_scale
    cost_scale: int
    resources: tuple[str, ...]  # the needed resources with a positive need
    capacities: tuple[tuple[int, ...], ...]  # [r][t], scaled by the resource's scale
    needs: tuple[int, ...]  # [r], scaled likewise
    failures: int
    min_count: int  # failures + min_survivors
    by_size: tuple[tuple[int, ...], ...]  # [r]: type indexes, largest capacity first


def _lcm_of_denominators(values: Iterable[Fraction]) -> int:
    scale = 1
    for value in values:
        scale = math.lcm(scale, value.denominator)
    return scale


def _check(types: Iterable[NodeType], needs: Mapping[str, Fraction], failures: int,
           min_survivors: int) -> list[NodeType]:
    """The catalogue as a name-sorted list, after refusing what cannot be planned."""
    if failures < 0:
        raise InvalidArgument(f"failures must be 0 or more, not {failures}")
    if min_survivors < 1:
        raise InvalidArgument(f"min_survivors must be 1 or more, not {min_survivors}")
    for resource, need in needs.items():
        if resource not in RESOURCES:
            raise InvalidArgument(
                f"unknown resource {resource!r}; use one of {', '.join(RESOURCES)}")
        if need < 0:
            raise InvalidArgument(f"the need for {resource} must be 0 or more, not {need}")
    catalogue = sorted(types, key=lambda node_type: node_type.name)
    for earlier, later in itertools.pairwise(catalogue):
        if earlier.name == later.name:
            raise InvalidArgument(f"node type {later.name!r} is listed twice")
    for node_type in catalogue:
        if node_type.cost < 0:
            raise InvalidArgument(
                f"node type {node_type.name!r}: cost must be 0 or more, not {node_type.cost}")
        for resource, capacity in node_type.capacity.items():
            if resource not in RESOURCES:
                raise InvalidArgument(f"node type {node_type.name!r}: unknown resource "
                                      f"{resource!r}; use one of {', '.join(RESOURCES)}")
            if capacity <= 0:
                raise InvalidArgument(f"node type {node_type.name!r}: {resource} capacity "
                                      f"must be above 0, not {capacity}")
    return catalogue


def _serves(node_type: NodeType, needs: Mapping[str, Fraction]) -> bool:
    """A type lacking a resource the tier needs cannot serve the tier."""
    return all(resource in node_type.capacity for resource in needs)


def _largest_first(row: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted(range(len(row)), key=lambda t: -row[t]))


def _problem(catalogue: list[NodeType], needs: Mapping[str, Fraction], failures: int,
             min_survivors: int) -> _Problem:
    serving = [node_type for node_type in catalogue if _serves(node_type, needs)]
    # A zero need holds whatever survives, so it constrains nothing.
    resources = tuple(resource for resource in RESOURCES if needs.get(resource, 0) > 0)
    cost_scale = _lcm_of_denominators(node_type.cost for node_type in serving)
    capacities = []
    scaled_needs = []
    for resource in resources:
        values = [node_type.capacity[resource] for node_type in serving]
        scale = _lcm_of_denominators([*values, Fraction(needs[resource])])
        capacities.append(tuple(int(value * scale) for value in values))
        scaled_needs.append(int(Fraction(needs[resource]) * scale))
    by_size = tuple(_largest_first(row) for row in capacities)
    return _Problem(
        names=tuple(node_type.name for node_type in serving),
        costs=tuple(int(node_type.cost * cost_scale) for node_type in serving),
        cost_scale=cost_scale, resources=resources, capacities=tuple(capacities),
        needs=tuple(scaled_needs), failures=failures, min_count=failures + min_survivors,
        by_size=by_size)


def _carried(problem: _Problem, r: int, counts: list[int] | tuple[int, ...]) -> int:
    """What survives resource r's worst set: the total less the k largest nodes."""
    row = problem.capacities[r]
    total = 0
    for t, count in enumerate(counts):
        total += count * row[t]
    lost = 0
    left = problem.failures
    for t in problem.by_size[r]:
        if left == 0:
            break
        taken = min(left, counts[t])
        lost += taken * row[t]
        left -= taken
    return total - lost


def _survives(nodes: list[tuple[Fraction, int]], failures: int) -> Fraction:
    """What (capacity, count) groups of nodes carry after their *failures* largest fail."""
    total = sum((capacity * count for capacity, count in nodes), Fraction(0))
    left = failures
    for capacity, count in sorted(nodes, reverse=True):
        taken = min(left, count)
        total -= taken * capacity
        left -= taken
    return total


def _holds(problem: _Problem, counts: list[int] | tuple[int, ...]) -> bool:
    if sum(counts) < problem.min_count:
        return False
    return all(_carried(problem, r, counts) >= problem.needs[r]
               for r in range(len(problem.resources)))


def _key(problem: _Problem, counts: list[int] | tuple[int, ...]
         ) -> tuple[int, int, tuple[int, ...]]:
    """The order of preference: cost, then nodes, then more of the first-named type."""
    cost = sum(count * price for count, price in zip(counts, problem.costs, strict=True))
    return cost, sum(counts), tuple(-count for count in counts)


def _to_mix(problem: _Problem, counts: list[int] | tuple[int, ...]) -> Mix:
    cost, nodes, _ = _key(problem, counts)
    return Mix(counts={name: count for name, count in zip(problem.names, counts, strict=True)
                       if count}, nodes=nodes, cost=Fraction(cost, problem.cost_scale))


def _single_type_count(problem: _Problem, t: int) -> int:
    """The fewest nodes of type t alone that hold: (N − k)·c ≥ need for every resource."""
    count = problem.min_count
    for r, need in enumerate(problem.needs):
        count = max(count, problem.failures + -(-need // problem.capacities[r][t]))
    return count


class _Search:
    """Branch and bound over the count of each type; see the module docstring."""

    def __init__(self, problem: _Problem, floor: tuple[int, ...], max_nodes: int) -> None:
        self.problem = problem
        self.floor = floor
        self.max_nodes = max_nodes
        self.best: tuple[int, ...] | None = None
        self.best_key: tuple[int, int, tuple[int, ...]] | None = None
        size = len(problem.names)
        # Visit the types whose single-type plan is cheapest first: good mixes come early.
        self.order = sorted(range(size), key=lambda t: (
            problem.costs[t] * _single_type_count(problem, t), t))
        # For each depth, facts about the types not yet decided (suffix of self.order).
        self.cheapest_node: list[int] = []
        # [depth][r]: (price, capacity) of the type with the least price per unit.
        self.cheapest_unit: list[list[tuple[int, int]]] = []
        self.largest: list[list[int]] = []  # [depth][r]: max capacity
        for depth in range(size + 1):
            rest = self.order[depth:]
            self.cheapest_node.append(min((problem.costs[t] for t in rest), default=0))
            self.cheapest_unit.append([
                min(((problem.costs[t], row[t]) for t in rest),
                    key=lambda pair: Fraction(*pair), default=(0, 1))
                for row in problem.capacities])
            self.largest.append([max((row[t] for t in rest), default=0)
                                 for row in problem.capacities])

    def offer(self, counts: list[int]) -> None:
        key = _key(self.problem, counts)
        if self.best_key is None or key < self.best_key:
            self.best_key = key
            self.best = tuple(counts)

    def bound(self, counts: list[int], depth: int) -> tuple[int, int]:
        """Lower bounds on (cost, nodes) of every completion of *counts* from *depth* on.

        Adding nodes y to a multiset x, the survivors of resource r carry at most
        carried_r(x) + Σy·c − (k − |x|)⁺ smallest-possible-failed nodes' worth: the k largest
        of x ∪ y include all of x (when |x| < k) and k − |x| added nodes. So the added nodes
        cost at least (k − |x|)⁺ cheapest nodes (the ones that fail) plus the shortfall at
        the cheapest price per unit, and number at least (k − |x|)⁺ + ⌈shortfall / largest⌉.
        """
        problem = self.problem
        nodes = sum(counts)
        cost = sum(count * price for count, price in zip(counts, problem.costs, strict=True))
        missing = max(0, problem.failures - nodes)
        add_nodes = max(0, problem.min_count - nodes)
        add_cost = add_nodes * self.cheapest_node[depth]
        for r, need in enumerate(problem.needs):
            shortfall = need - _carried(problem, r, counts)
            if shortfall <= 0:
                continue
            price, size = self.cheapest_unit[depth][r]
            add_cost = max(add_cost, missing * self.cheapest_node[depth]
                           + -(-shortfall * price // size))
            add_nodes = max(add_nodes, missing + -(-shortfall // self.largest[depth][r]))
        return cost + add_cost, nodes + add_nodes

    def worse(self, lower: tuple[int, int]) -> bool:
        """No completion can beat the best so far (ties on cost and nodes are kept)."""
        if lower[1] > self.max_nodes:
            return True
        if self.best_key is None:
            return False
        return lower > self.best_key[:2]

    def run(self) -> tuple[int, ...] | None:
        counts = list(self.floor)
        if counts and not self.worse(self.bound(counts, 0)):
            self.descend(counts, 0)
        return self.best

    def descend(self, counts: list[int], depth: int) -> None:
        problem = self.problem
        t = self.order[depth]
        if depth == len(self.order) - 1:
            self.finish(counts, t)
            return
        nodes = sum(counts)
        cost = sum(count * price for count, price in zip(counts, problem.costs, strict=True))
        top = self.max_nodes - nodes
        if self.best_key is not None and problem.costs[t] > 0:
            top = min(top, (self.best_key[0] - cost) // problem.costs[t])
        base = counts[t]
        for extra in range(top, -1, -1):
            counts[t] = base + extra
            if not self.worse(self.bound(counts, depth + 1)):
                self.descend(counts, depth + 1)
        counts[t] = base

    def finish(self, counts: list[int], t: int) -> None:
        """Add the fewest nodes of the last type t that make *counts* hold, if any."""
        problem = self.problem
        base = counts[t]
        nodes = sum(counts)
        least = max(0, problem.min_count - nodes)
        # With at least k added nodes of type t, the k largest no longer change as more are
        # added, so each resource's count is a closed form; below k, try each.
        found = None
        for extra in range(least, max(least, problem.failures)):
            counts[t] = base + extra
            if _holds(problem, counts):
                found = extra
                break
        if found is None:
            extra = max(least, problem.failures)
            counts[t] = base + extra
            found = extra + max((-(-(need - _carried(problem, r, counts))
                                   // problem.capacities[r][t])
                                 for r, need in enumerate(problem.needs)), default=0)
            found = max(found, extra)
            counts[t] = base + found
        if nodes + found <= self.max_nodes:
            assert _holds(problem, counts), "the closed form for the last type is wrong"
            self.offer(counts)
        counts[t] = base


def _search(problem: _Problem, floor: tuple[int, ...], max_nodes: int) -> Mix | None:
    if not problem.names:
        return None
    search = _Search(problem, floor, max_nodes)
    seeds = [list(floor)]
    for t in range(len(problem.names)):
        # A single-type seed (or the declared nodes topped up with one type) holds.
        seed = list(floor)
        seed[t] = max(floor[t], _single_type_count(problem, t))
        seeds.append(seed)
    for seed in seeds:
        if sum(seed) <= max_nodes and _holds(problem, seed):
            search.offer(seed)
    best = search.run()
    return None if best is None else _to_mix(problem, best)


def cheapest_mix(types: Iterable[NodeType], needs: Mapping[str, Fraction], failures: int,
                 min_survivors: int = 1, max_nodes: int = MAX_NODES) -> Mix | None:
    """The cheapest mix of at most *max_nodes* nodes that holds after any *failures* fail.

    Ties: fewer nodes, then the larger count vector in type-name order. None when no type
    declares every needed resource, or no mix within *max_nodes* holds.
    """
    catalogue = _check(types, needs, failures, min_survivors)
    problem = _problem(catalogue, needs, failures, min_survivors)
    return _search(problem, (0,) * len(problem.names), max_nodes)


def cheapest_fix(declared: Mapping[str, int], types: Iterable[NodeType],
                 needs: Mapping[str, Fraction], failures: int, min_survivors: int = 1,
                 max_nodes: int = MAX_NODES) -> Mix | None:
    """The cheapest mix that keeps every *declared* node and only adds nodes.

    The declared mix itself when it holds; None when no addition within *max_nodes* holds.
    """
    catalogue = _check(types, needs, failures, min_survivors)
    problem = _problem(catalogue, needs, failures, min_survivors)
    floor = _declared_counts(problem, catalogue, declared, needs)
    return _search(problem, floor, max_nodes)


def _declared_counts(problem: _Problem, catalogue: list[NodeType],
                     declared: Mapping[str, int], needs: Mapping[str, Fraction]
                     ) -> tuple[int, ...]:
    known = {node_type.name: node_type for node_type in catalogue}
    for name, count in declared.items():
        if name not in known:
            raise InvalidArgument(f"the mix names {name!r}, which is not a node type; "
                                  f"use one of {', '.join(sorted(known)) or '(none)'}")
        if count < 0:
            raise InvalidArgument(f"the mix declares {count} nodes of {name!r}; "
                                  "declare 0 or more")
        if count and not _serves(known[name], needs):
            lacking = sorted(set(needs) - set(known[name].capacity))
            raise InvalidArgument(f"node type {name!r} cannot serve this tier: it does not "
                                  f"declare {', '.join(lacking)}")
    return tuple(declared.get(name, 0) for name in problem.names)


def holds(declared: Mapping[str, int], types: Iterable[NodeType],
          needs: Mapping[str, Fraction], failures: int, min_survivors: int = 1,
          max_nodes: int = MAX_NODES) -> Verdict:
    """Whether a declared mix holds; what binds, how strained each resource is, the fixes."""
    catalogue = _check(types, needs, failures, min_survivors)
    problem = _problem(catalogue, needs, failures, min_survivors)
    counts = _declared_counts(problem, catalogue, declared, needs)
    survivors = max(0, sum(counts) - failures)
    carried: dict[str, Fraction] = {}
    strain: dict[str, Fraction | None] = {}
    binding: str | None = None
    least_slack: Fraction | None = None
    by_name = {node_type.name: node_type for node_type in catalogue}
    for resource in RESOURCES:
        if resource not in needs:
            continue
        survived = _survives(
            [(by_name[name].capacity[resource], count)
             for name, count in zip(problem.names, counts, strict=True)], failures)
        need = Fraction(needs[resource])
        carried[resource] = survived
        strain[resource] = need / survived if survived else None
        if need == 0:
            continue
        slack = (survived - need) / need
        if least_slack is None or slack < least_slack:
            least_slack, binding = slack, resource
    enough = survivors >= min_survivors
    holding = enough and all(carried[r] >= needs[r] for r in carried)
    if not enough:
        binding = SURVIVORS
    fix = fix_adding = None
    if not holding:
        fix = _search(problem, (0,) * len(problem.names), max_nodes)
        fix_adding = _search(problem, counts, max_nodes)
    return Verdict(holds=holding, survivors=survivors, carried=carried, strain=strain,
                   binding=binding, fix=fix, fix_adding=fix_adding)


def single_type_plans(types: Iterable[NodeType], needs: Mapping[str, Fraction],
                      failures: int, min_survivors: int = 1) -> list[Mix]:
    """For each type that can serve, the fewest nodes of it alone that hold, and the cost.

    N is the smallest count with (N − k)·c_r ≥ need_r for every resource and
    N − k ≥ min_survivors. Sorted cheapest first; ties fewer nodes, then name.
    """
    catalogue = _check(types, needs, failures, min_survivors)
    plans = []
    for node_type in catalogue:
        if not _serves(node_type, needs):
            continue
        count = per_resource_required(node_type, needs, failures, min_survivors).nodes
        plans.append(Mix(counts={node_type.name: count}, nodes=count,
                         cost=count * node_type.cost))
    return sorted(plans, key=lambda plan: (plan.cost, plan.nodes, next(iter(plan.counts))))


def per_resource_required(node_type: NodeType, needs: Mapping[str, Fraction],
                          failures: int, min_survivors: int = 1) -> Requirement:
    """The count each needed resource alone requires of one type, and the bottleneck."""
    _check([node_type], needs, failures, min_survivors)
    if not _serves(node_type, needs):
        lacking = sorted(set(needs) - set(node_type.capacity))
        raise InvalidArgument(f"node type {node_type.name!r} cannot serve this tier: it "
                              f"does not declare {', '.join(lacking)}")
    required_by = {
        resource: failures + math.ceil(Fraction(needs[resource]) / node_type.capacity[resource])
        for resource in RESOURCES if resource in needs}
    by_survivors = failures + min_survivors
    most = max(required_by.values(), default=0)
    # The first resource reaching the maximum wins: RESOURCES is the tie order.
    bottleneck = next((resource for resource, count in required_by.items() if count == most),
                      SURVIVORS)
    if by_survivors > most:
        bottleneck = SURVIVORS
    return Requirement(required_by=required_by, by_survivors=by_survivors,
                       nodes=max([by_survivors, *required_by.values()]),
                       bottleneck=bottleneck)



#: One integer programme: its constraint rows (the last counts the nodes), their bounds.
_Programme = tuple[list[list[float]], list[float], list[float]]


def _milp_solve(problem: _Problem, max_nodes: int, programme: _Programme,
                objective: list[float], fixed: dict[int, int] | None = None,
                maximise: bool = False) -> tuple[int, ...] | None:
    """One call to milp, its answer rounded and checked in integers (None: infeasible)."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    size = len(problem.names)
    rows, lows, highs = programme
    sense = -1.0 if maximise else 1.0
    lower, upper = np.zeros(size), np.full(size, np.inf)
    for t, count in (fixed or {}).items():
        lower[t] = upper[t] = count
    result = milp(sense * np.array(objective),
                  constraints=LinearConstraint(np.array(rows), lows, highs),
                  integrality=np.ones(size, dtype=np.int_), bounds=Bounds(lower, upper),
                  options={"mip_rel_gap": 0})
    if result.status == 2:  # infeasible
        return None
    if result.status != 0 or result.x is None:
        raise RuntimeError(f"milp did not finish: {result.message}")
    counts = tuple(round(value) for value in result.x)
    if not _holds(problem, counts) or sum(counts) > max_nodes:
        raise RuntimeError(f"milp returned {counts}, which does not hold exactly")
    minimised = sense * sum(a * b for a, b in zip(objective, counts, strict=True))
    bound = result.get("mip_dual_bound")
    if bound is not None and abs(minimised - bound) > 0.5:
        raise RuntimeError(f"milp's bound {bound} does not prove {minimised} optimal")
    return counts


def _milp_programmes(problem: _Problem, max_nodes: int) -> list[_Programme]:
    """SPEC §7's programmes: one per combination of θs, one θ per needed resource."""
    failures = problem.failures
    size = len(problem.names)
    thetas_by_resource = [
        sorted(set(row)) if failures else [max(row)] for row in problem.capacities]
    programmes = []
    for thetas in itertools.product(*thetas_by_resource):
        rows = [[float(min(capacity, theta)) for capacity in row]
                for row, theta in zip(problem.capacities, thetas, strict=True)]
        lows = [float(need + failures * theta)
                for need, theta in zip(problem.needs, thetas, strict=True)]
        programmes.append(([*rows, [1.0] * size], [*lows, float(problem.min_count)],
                           [*[math.inf] * len(rows), float(max_nodes)]))
    return programmes


def cheapest_mix_milp(types: Iterable[NodeType], needs: Mapping[str, Fraction],
                      failures: int, min_survivors: int = 1,
                      max_nodes: int = MAX_NODES) -> Mix | None:
    """:func:`cheapest_mix` by SPEC §7's programmes (scipy ``milp``), checked exactly.

    One integer programme per combination of θs (one θ per needed resource, each among
    that resource's type capacities): ``Σ x_t·min(c_t, θ_r) ≥ need_r + k·θ_r`` for every
    r, ``k + min_survivors ≤ Σ x_t ≤ max_nodes``. The union of their feasible sets is the
    set of mixes that hold (module docstring). Exactness despite floating point: every
    row and the costs are scaled to integers, so a whole-number x either meets a row or
    misses it by at least 1 — far beyond HiGHS's tolerances, which only ever *widen* the
    feasible set. Each returned x is rounded and checked in integers; one that fails
    raises. An x that passes, with a proven dual bound within ½ of its (integer) cost, is
    optimal for its programme. Then, with the best cost U known exactly, each programme
    reaching U is solved for the fewest nodes at cost ≤ U, and the ties after that are
    settled type by type (the most nodes of the first-named type, …) with every earlier
    count fixed — 1 + T solves more. Slow (milliseconds per solve); kept as the
    independent check on the branch and bound.
    """
    catalogue = _check(types, needs, failures, min_survivors)
    problem = _problem(catalogue, needs, failures, min_survivors)
    size = len(problem.names)
    if not size:
        return None
    costs = [float(cost) for cost in problem.costs]
    programmes = _milp_programmes(problem, max_nodes)
    cheapest = {}
    for index, programme in enumerate(programmes):
        counts = _milp_solve(problem, max_nodes, programme, costs)
        if counts is not None:
            cheapest[index] = _key(problem, counts)[0]
    if not cheapest:
        return None
    least_cost = min(cheapest.values())
    best: tuple[int, ...] | None = None
    for index, cost in cheapest.items():
        if cost != least_cost:
            continue
        rows, lows, highs = programmes[index]
        capped: _Programme = ([*rows, costs], [*lows, -math.inf], [*highs, float(cost)])
        fewest = _milp_solve(problem, max_nodes, capped, [1.0] * size)
        assert fewest is not None  # the cheapest mix of this programme qualifies
        capped[2][-2] = float(sum(fewest))
        fixed: dict[int, int] = {}
        for t in range(size):
            counts = _milp_solve(problem, max_nodes, capped,
                                 [float(u == t) for u in range(size)], fixed, maximise=True)
            assert counts is not None
            fixed[t] = counts[t]
        settled = tuple(fixed[t] for t in range(size))
        if best is None or _key(problem, settled) < _key(problem, best):
            best = settled
    return None if best is None else _to_mix(problem, best)
