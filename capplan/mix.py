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
cost by that of the costs), seeded with the best single-type plan. For each combination of
θs (one per needed resource, each among that resource's type capacities; the most
promising combinations first) it walks the count of each type in turn, the last count in
closed form. A branch is cut when a lower bound on the cost (then the node count) of every
completion is worse than the best mix found: each row's shortfall at the cheapest price
per unit left, and a surrogate row (a weighted sum of the rows) likewise. Nothing is
rounded, so the answer is exact and the same on every machine. Every mix it offers is
checked against the k-largest rule itself. Where the walk grows past
:data:`SEARCH_BUDGET` bounds (several resources whose best types differ: the one-by-one
bounds are weak there), the tier goes to :func:`cheapest_mix_disjunctive`: every θ
programme joined into one integer programme by binaries that choose one θ per resource,
solved by scipy's ``milp`` (HiGHS), its answer checked in integers, its optimality proven
by the solver's dual bound, its ties settled by a few more solves (T solves in all for T
types, against one per combination of θs and more). Should floating point leave any
doubt, :func:`cheapest_mix_milp` (SPEC §7's formulation, one programme per combination of
θs; also the cross-check the tests run) tries next, then the branch and bound without a
budget.

**Ties.** Among mixes of equal cost the fewer nodes win; among those, the count vector in
the order of the type names, compared lexicographically, the larger wins (more nodes of the
type whose name sorts first). That is arbitrary but total, so the answer is deterministic.

Pure: no I/O, no pydantic; scipy is imported only where ``milp`` is called.
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


#: Bounds the branch and bound may compute (about 0.1 s of Python) before the search hands
#: the tier to HiGHS (:func:`_disjunctive_search`), whose bounds price every resource jointly,
#: where this search's price them one by one and through one fixed surrogate row.
SEARCH_BUDGET = 20_000


class _OutOfBudget(Exception):
    """The branch and bound gave up; the milp formulation takes over."""


class _ThetaRows:
    """One θ combination: the rows Σ x_t·min(c_t, θ_r) ≥ need_r + k·θ_r, and bound facts.

    The facts are, for each depth, about the types not yet decided there.
    """

    def __init__(self, problem: _Problem, order: list[int], thetas: tuple[int, ...]) -> None:
        self.thetas = thetas
        self.rows = [tuple(min(capacity, theta) for capacity in row)
                     for row, theta in zip(problem.capacities, thetas, strict=True)]
        self.needs = [need + problem.failures * theta
                      for need, theta in zip(problem.needs, thetas, strict=True)]
        # A surrogate row, Σ_r weight_r·row_r ≥ Σ_r weight_r·shortfall_r, bounds the cost of
        # covering every resource at once (each row alone only bounds its own); any
        # weights ≥ 0 are valid, these make every resource's need count alike.
        largest_need = max(self.needs, default=1)
        self.weights = [max(1, 10**6 * largest_need // need) for need in self.needs]
        surrogate = [sum(w * row[t] for w, row in zip(self.weights, self.rows, strict=True))
                     for t in range(len(problem.names))]
        self.unit: list[list[tuple[int, int]]] = []  # [depth][r]: cheapest (price, amount)
        self.largest: list[list[int]] = []  # [depth][r]: the largest amount
        self.cheapest_node: list[int] = []
        self.surrogate: list[tuple[int, int]] = []  # [depth]: cheapest (price, amount)
        for depth in range(len(order) + 1):
            rest = order[depth:] or order  # past the last type nothing is added anyway
            self.unit.append([
                min(((problem.costs[t], row[t]) for t in rest), key=lambda pair: Fraction(*pair))
                for row in self.rows])
            self.largest.append([max(row[t] for t in rest) for row in self.rows])
            self.cheapest_node.append(min(problem.costs[t] for t in rest))
            self.surrogate.append(min(((problem.costs[t], surrogate[t]) for t in rest),
                                      key=lambda pair: Fraction(*pair))
                                  if self.rows else (0, 1))  # no rows: nothing to bound


class _Search:
    """Branch and bound over θ combinations and the count of each type (module docstring)."""

    def __init__(self, problem: _Problem, floor: tuple[int, ...], max_nodes: int,
                 budget: int | None) -> None:
        self.problem = problem
        self.budget = budget
        self.floor = floor
        self.max_nodes = max_nodes
        self.best: tuple[int, ...] | None = None
        self.best_key: tuple[int, int, tuple[int, ...]] | None = None
        size = len(problem.names)
        # Visit the types whose single-type plan is cheapest first: good mixes come early.
        self.order = sorted(range(size), key=lambda t: (
            problem.costs[t] * _single_type_count(problem, t), t))
        self.counts = list(floor)
        self.programme: _ThetaRows | None = None
        self.work = 0

    def offer(self, counts: list[int] | tuple[int, ...]) -> None:
        key = _key(self.problem, counts)
        if self.best_key is None or key < self.best_key:
            self.best_key = key
            self.best = tuple(counts)

    def bound(self, programme: _ThetaRows, depth: int, cost: int, nodes: int,
              covered: list[int]) -> tuple[int, int]:
        """Lower bounds on (cost, nodes) of every completion from *depth* on.

        Each row's shortfall costs at least its cheapest price per unit of the types left,
        and takes at least shortfall / largest amount nodes; the surrogate row likewise.
        """
        self.work += 1
        if self.budget is not None and self.work > self.budget:
            raise _OutOfBudget
        add_nodes = max(0, self.problem.min_count - nodes)
        add_cost = add_nodes * programme.cheapest_node[depth]
        combined = 0
        for r, need in enumerate(programme.needs):
            shortfall = need - covered[r]
            if shortfall <= 0:
                continue
            price, amount = programme.unit[depth][r]
            add_cost = max(add_cost, -(-shortfall * price // amount))
            add_nodes = max(add_nodes, -(-shortfall // programme.largest[depth][r]))
            combined += programme.weights[r] * shortfall
        if combined:
            price, amount = programme.surrogate[depth]
            add_cost = max(add_cost, -(-combined * price // amount))
        return cost + add_cost, nodes + add_nodes

    def worse(self, lower: tuple[int, int]) -> bool:
        """No completion can beat the best so far (ties on cost and nodes are kept)."""
        if lower[1] > self.max_nodes:
            return True
        if self.best_key is None:
            return False
        return lower > self.best_key[:2]

    def run(self) -> tuple[int, ...] | None:
        problem = self.problem
        candidates = [sorted(set(row)) if problem.failures else [max(row)]
                      for row in problem.capacities]
        cost, nodes, _ = _key(problem, self.floor)
        programmes = []
        for thetas in itertools.product(*candidates):
            programme = _ThetaRows(problem, self.order, thetas)
            covered = [sum(n * row[t] for t, n in enumerate(self.floor))
                       for row in programme.rows]
            programmes.append((self.bound(programme, 0, cost, nodes, covered), thetas,
                               programme, covered))
        # The most promising θs first, so that later ones are cut at their root.
        programmes.sort(key=lambda entry: (entry[0], entry[1]))
        for lower, _, programme, covered in programmes:
            if not self.worse(lower):
                self.programme = programme
                self.descend(0, cost, nodes, covered)
        return self.best

    def descend(self, depth: int, cost: int, nodes: int, covered: list[int]) -> None:
        problem = self.problem
        programme = self.programme
        assert programme is not None
        t = self.order[depth]
        price = problem.costs[t]
        amounts = [row[t] for row in programme.rows]
        # Enough of t alone to cover every row: more would only cost more.
        enough = max([problem.min_count - nodes,
                      *(-(-(need - have) // amount) for need, have, amount
                        in zip(programme.needs, covered, amounts, strict=True))])
        enough = max(0, enough)
        base = self.counts[t]
        if depth == len(self.order) - 1:
            if nodes + enough <= self.max_nodes:
                self.counts[t] = base + enough
                assert _holds(problem, self.counts), "a θ programme admitted a failing mix"
                self.offer(self.counts)
                self.counts[t] = base
            return
        top = min(enough, self.max_nodes - nodes)
        if self.best_key is not None and price > 0:
            top = min(top, (self.best_key[0] - cost) // price)
        for extra in range(top, -1, -1):
            self.counts[t] = base + extra
            now = [have + extra * amount for have, amount in zip(covered, amounts, strict=True)]
            lower = self.bound(programme, depth + 1, cost + extra * price, nodes + extra, now)
            if not self.worse(lower):
                self.descend(depth + 1, cost + extra * price, nodes + extra, now)
        self.counts[t] = base


def _search(problem: _Problem, floor: tuple[int, ...], max_nodes: int,
            budgeted: bool = True) -> Mix | None:
    if not problem.names:
        return None
    # SEARCH_BUDGET is read here, not bound as a default, so a test may lower it.
    search = _Search(problem, floor, max_nodes, SEARCH_BUDGET if budgeted else None)
    seeds = [list(floor)]
    for t in range(len(problem.names)):
        # A single-type seed (or the declared nodes topped up with one type) holds.
        seed = list(floor)
        seed[t] = max(floor[t], _single_type_count(problem, t))
        seeds.append(seed)
    for seed in seeds:
        if sum(seed) <= max_nodes and _holds(problem, seed):
            search.offer(seed)
    try:
        best = search.run()
    except _OutOfBudget:
        try:
            return _disjunctive_search(problem, floor, max_nodes)
        except _Unproven:
            pass
        # The binaries' coefficients (need + k·θ) are the largest numbers in the
        # disjunctive programme, so HiGHS's tolerances bite there first: the θ programmes,
        # whose coefficients are the capacities and needs alone, try next.
        try:
            return _milp_search(problem, floor, max_nodes)
        except _Unproven:
            # Costs whose common denominator is huge (4290.37 and the like) scale past
            # what a double holds, so milp cannot prove its answer exactly: the branch
            # and bound, without a budget, can.
            return _search(problem, floor, max_nodes, budgeted=False)
    return None if best is None else _to_mix(problem, best)


class _Unproven(RuntimeError):
    """milp's answer could not be confirmed exactly (floating point ran out of digits)."""


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
                objective: list[float], floor: tuple[int, ...],
                fixed: dict[int, int] | None = None,
                maximise: bool = False, binaries: int = 0) -> tuple[int, ...] | None:
    """One call to milp, its answer rounded and checked in integers (None: infeasible).

    The programme's columns are the counts, then *binaries* 0–1 variables that the
    objective does not price (the disjunctive programme's choice of θs).
    """
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    size = len(problem.names)
    rows, lows, highs = programme
    sense = -1.0 if maximise else 1.0
    lower = np.array([*floor, *[0.0] * binaries], dtype=float)
    upper = np.array([*[np.inf] * size, *[1.0] * binaries])
    for t, count in (fixed or {}).items():
        lower[t] = upper[t] = count
    result = milp(sense * np.array([*objective, *[0.0] * binaries]),
                  constraints=LinearConstraint(np.array(rows), lows, highs),
                  integrality=np.ones(size + binaries, dtype=np.int_),
                  bounds=Bounds(lower, upper), options={"mip_rel_gap": 0})
    if result.status == 2:  # infeasible
        return None
    if result.status != 0 or result.x is None:
        raise RuntimeError(f"milp did not finish: {result.message}")
    # Only the counts are checked: a mix holds or not whichever θs the binaries chose.
    counts = tuple(round(value) for value in result.x[:size])
    if not _holds(problem, counts) or sum(counts) > max_nodes:
        raise _Unproven(f"milp returned {counts}, which does not hold exactly")
    minimised = sense * sum(a * b for a, b in zip(objective, counts, strict=True))
    bound = result.get("mip_dual_bound")
    if bound is not None and abs(minimised - bound) > 0.5:
        raise _Unproven(f"milp's bound {bound} does not prove {minimised} optimal")
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
    return _milp_search(problem, (0,) * len(problem.names), max_nodes)


def _milp_search(problem: _Problem, floor: tuple[int, ...], max_nodes: int) -> Mix | None:
    """:func:`cheapest_mix_milp` on a scaled problem, every count at least its *floor*."""
    if not problem.names:
        return None  # no type offers every resource the tier needs
    return _settle(problem, floor, max_nodes, _milp_programmes(problem, max_nodes))


def _settle(problem: _Problem, floor: tuple[int, ...], max_nodes: int,
            programmes: list[_Programme], binaries: int = 0,
            node_weight: int | None = None) -> Mix | None:
    """The best mix in the union of *programmes*, proven and tie-broken (module docstring).

    The cheapest mix of each programme, then, in each programme reaching the least cost U,
    the fewest nodes at cost ≤ U, then the ties type by type. With a *node_weight* W above
    the node count of every feasible mix, the first solve minimises cost·W + nodes, which
    orders mixes by cost, then nodes, and so finds both at once. Raises
    :class:`_Unproven` where floating point leaves any doubt.
    """
    size = len(problem.names)
    if not size:
        return None
    costs = [float(cost) for cost in problem.costs]
    objective = costs if node_weight is None else [
        float(cost * node_weight + 1) for cost in problem.costs]
    cheapest = {}
    fewest_nodes = {}
    for index, programme in enumerate(programmes):
        counts = _milp_solve(problem, max_nodes, programme, objective, floor,
                             binaries=binaries)
        if counts is not None:
            cheapest[index], fewest_nodes[index], _ = _key(problem, counts)
    if not cheapest:
        return None
    least_cost = min(cheapest.values())
    best: tuple[int, ...] | None = None
    unpriced = [0.0] * binaries
    for index, cost in cheapest.items():
        if cost != least_cost:
            continue
        rows, lows, highs = programmes[index]
        capped: _Programme = ([*rows, [*costs, *unpriced]], [*lows, -math.inf],
                              [*highs, float(cost)])
        if node_weight is None:
            fewest = _milp_solve(problem, max_nodes, capped, [1.0] * size, floor,
                                 binaries=binaries)
            if fewest is None:  # the cheapest mix qualifies: only float rounding loses it
                raise _Unproven("milp lost the cheapest mix when capped at its own cost")
            nodes = sum(fewest)
        else:
            nodes = fewest_nodes[index]
        capped[2][-2] = float(nodes)
        settled = _settle_ties(problem, floor, max_nodes, capped, binaries)
        if _key(problem, settled)[:2] != (least_cost, nodes):
            raise _Unproven(f"the ties settled on {settled}, not cost {least_cost} and "
                            f"{nodes} nodes")
        if best is None or _key(problem, settled) < _key(problem, best):
            best = settled
    return None if best is None else _to_mix(problem, best)


def _settle_ties(problem: _Problem, floor: tuple[int, ...], max_nodes: int,
                 capped: _Programme, binaries: int) -> tuple[int, ...]:
    """The tie-break: the most of the first-named type, then of the next, and so on.

    *capped* is a programme capped at the least cost U and the fewest nodes N (its last
    two rows).
    """
    size = len(problem.names)
    fixed: dict[int, int] = {}
    for t in range(size - 1):
        counts = _milp_solve(problem, max_nodes, capped,
                             [float(u == t) for u in range(size)], floor, fixed,
                             maximise=True, binaries=binaries)
        if counts is None:
            raise _Unproven("milp lost the cheapest mix while settling ties")
        fixed[t] = counts[t]
    # At cost ≤ U no mix of this programme has fewer than N nodes, so once the others are
    # fixed the last count is what is left; it is checked like the rest.
    settled = (*(fixed[t] for t in range(size - 1)),
               round(capped[2][-2]) - sum(fixed.values()))
    if settled[-1] < floor[-1] or not _holds(problem, settled):
        raise _Unproven(f"the ties settled on {settled}, which does not hold exactly")
    return settled


def _disjunctive_programme(problem: _Problem, max_nodes: int) -> tuple[_Programme, int]:
    """Every θ programme in one: binaries z_{r,θ} choose one θ per resource.

    Columns: the counts x_t, then one z per (resource, θ candidate). Rows: Σ_θ z_{r,θ} = 1
    for each r; ``Σ x_t·min(c_t, θ) ≥ (need_r + k·θ)·z_{r,θ}`` for each (r, θ) — no big M,
    for with z = 0 the row reads Σ x_t·min(c_t, θ) ≥ 0, which every x meets; and
    ``k + min_survivors ≤ Σ x_t ≤ max_nodes``. Its x-projection is the union of the θ
    programmes' feasible sets: the mixes that hold. The rows are not in integers (each is
    divided by its need + k·θ), so HiGHS's tolerances may admit a mix that misses a row by
    a hair: :func:`_milp_solve` checks every answer by the k-largest rule in integers and
    raises :class:`_Unproven` on a miss. Returns the programme and the count of binaries.
    """
    failures = problem.failures
    size = len(problem.names)
    pairs = [(r, theta) for r, row in enumerate(problem.capacities)
             for theta in (sorted(set(row)) if failures else [max(row)])]
    width = size + len(pairs)
    rows: list[list[float]] = []
    lows: list[float] = []
    highs: list[float] = []
    for r in range(len(problem.capacities)):
        rows.append([0.0] * size + [float(s == r) for s, _ in pairs])
        lows.append(1.0)
        highs.append(1.0)
    for j, (r, theta) in enumerate(pairs):
        # Each row is divided by its own need + k·θ: the binaries' coefficients are then 1
        # rather than the largest numbers in the programme, which HiGHS solves faster and
        # without the numerical trouble that makes it print a stray line on stdout.
        wanted = problem.needs[r] + failures * theta
        row = [float(Fraction(min(capacity, theta), wanted))
               for capacity in problem.capacities[r]]
        row += [0.0] * len(pairs)
        row[size + j] = -1.0
        rows.append(row)
        lows.append(0.0)
        highs.append(math.inf)
    rows.append([1.0] * size + [0.0] * (width - size))
    lows.append(float(problem.min_count))
    highs.append(float(max_nodes))
    return (rows, lows, highs), len(pairs)


def _disjunctive_search(problem: _Problem, floor: tuple[int, ...], max_nodes: int
                        ) -> Mix | None:
    """:func:`cheapest_mix_disjunctive` on a scaled problem, every count ≥ its *floor*."""
    if not problem.names:
        return None
    (rows, lows, highs), binaries = _disjunctive_programme(problem, max_nodes)
    seeds = []
    for t in range(len(problem.names)):
        seed = list(floor)
        seed[t] = max(floor[t], _single_type_count(problem, t))
        if sum(seed) <= max_nodes and _holds(problem, seed):
            seeds.append(_key(problem, seed)[0])
    node_weight = None
    if seeds:
        # The cheapest single-type plan caps the cost, and so the nodes of every mix worth
        # having: past the floor, each node costs at least the cheapest price.
        ceiling = min(seeds)
        # The row goes before the node row, which stays last (see _Programme).
        rows.insert(-1, [*map(float, problem.costs), *[0.0] * binaries])
        lows.insert(-1, -math.inf)
        highs.insert(-1, float(ceiling))
        floor_cost, floor_nodes, _ = _key(problem, floor)
        cheapest_node = min(problem.costs)
        most_nodes = max_nodes if cheapest_node == 0 else min(
            max_nodes, floor_nodes + (ceiling - floor_cost) // cheapest_node)
        # Only while cost·W + nodes stays well inside a double's 53 bits of integers.
        if (ceiling + 1) * (most_nodes + 1) < 2**50:
            node_weight = most_nodes + 1
    return _settle(problem, floor, max_nodes, [(rows, lows, highs)], binaries, node_weight)


def cheapest_mix_disjunctive(types: Iterable[NodeType], needs: Mapping[str, Fraction],
                             failures: int, min_survivors: int = 1,
                             max_nodes: int = MAX_NODES) -> Mix | None:
    """:func:`cheapest_mix` by one disjunctive integer programme (scipy ``milp``), exactly.

    The θ programmes of :func:`cheapest_mix_milp` joined into one by binaries choosing a θ
    per resource (:func:`_disjunctive_programme`), then proven and tie-broken the same way:
    each answer rounded and checked in integers, its dual bound within ½ of its integer
    objective. The first solve minimises cost·W + nodes (W above the node count of any mix
    costing no more than the cheapest single-type plan, which also caps the cost), so it
    finds the least cost and the fewest nodes at that cost at once; then the ties type by
    type: T solves in all for T types (one more where cost·W would strain a double's
    integers), instead of one per θ combination and more. This is what :func:`cheapest_mix`
    hands a tier to when the branch and bound runs out of :data:`SEARCH_BUDGET`.
    """
    catalogue = _check(types, needs, failures, min_survivors)
    problem = _problem(catalogue, needs, failures, min_survivors)
    return _disjunctive_search(problem, (0,) * len(problem.names), max_nodes)
