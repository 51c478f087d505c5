"""Least regret (SPEC §7): the plan whose expected regret over the draws is least.

Netflix's capacity planner (service-capacity-modeling, ``CapacityRegretParameters.spend``)
weighs a plan costing P in a draw whose cheapest holding plan costs O as

    ((P − O) · over) ** exponent    when P ≥ O   (money spent for nothing)
    ((O − P) · under) ** exponent   when P < O   (the plan falls short)

with over 1, under 1.25 and exponent 1.2 by default, and picks the plan whose regret,
averaged over the draws, is least. The quantile rule of §2 asks only "how often does the
plan fall short"; regret also asks "by how much, and at what price": a long thin tail of
draws that would need many more nodes pulls the quantile up, but costs little regret.

**Candidates.** For one node type a draw needing n nodes has O = n × cost. Only counts from
the smallest to the largest count any draw needs are considered, and no count outside can
do better: below the smallest, every draw is short, and each draw's regret
((O − P)·under)^exponent shrinks as P rises to the smallest count's cost (cost per node > 0),
so that count has strictly less regret in every draw, hence on average; above the largest,
every draw is over, and the largest count has strictly less regret in every draw by the
same argument with ``over``. This needs nothing but the regret growing with the size of
the miss on each side, so it holds for any positive exponent and any positive weights.

**Shape.** With exponent ≥ 1 each draw's regret is a convex function of P (two convex
branches meeting at 0 with slopes −under and over, or 0 and 0 above exponent 1), so the
expected regret is convex in the count: one valley. That is why more ``under`` never buys
fewer nodes and more ``over`` never more (tests/test_regret.py proves both), and why a
span too wide to tabulate (:data:`MAX_TABLE_SPAN`) can be searched by bisection.

**Scale.** Regret is homogeneous of degree ``exponent`` in money: scaling every cost by
s > 0 multiplies every expected regret by s^exponent, so the choice never changes, at any
exponent (and likewise scaling over and under together). For one node type only the
ratio under/over and the exponent decide the count; the cost per node sets the reported
values alone. :func:`regret_counts` therefore chooses in node units and scales the values
after, so a tier with ``cost: 0`` (the default) chooses as every positive cost would,
and reports a regret of 0 for every count.

**Ties.** Values are floats (a power with exponent 1.2 has no exact form); two counts whose
expected regrets differ by at most :data:`RELATIVE_TOLERANCE` of the least are tied, and the
tie goes to more nodes: the same expected money buys a plan that holds in every draw the
smaller one holds and more, and the ``under`` price is an estimate of an outage's cost,
rarely an overestimate. Then cheaper, then the plan listed first, so the output is
deterministic.

**Speed.** Draws come by the thousand but need a handful of distinct counts: grouped by
distinct count with its share of the draws, the work is O(distinct counts × candidates),
not O(draws × candidates) (benchmarks/regret.py measures it).

Draws that no count up to the node limit holds (:data:`~capplan.uncertainty.BEYOND`) have no
cheapest plan to regret against, and each would outweigh all others: the choice is refused
with :class:`~capplan.errors.TooMany`, where the quantile rule may still answer.

Regret compares costs only: a count at least a draw's need is taken to hold it. Where
holding is not monotone in the count (a ring over zones) the planner should check the
chosen count, as it does the quantile's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from capplan.errors import InvalidArgument, KeyPath, TooMany
from capplan.model import (
    MAX_REGRET_EXPONENT,
    MAX_REGRET_FACTOR,
    MIN_REGRET_EXPONENT,
    MIN_REGRET_FACTOR,
)
from capplan.uncertainty import BEYOND, quantile_count

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: Netflix's defaults (``policy.regret``).
DEFAULT_OVER = Fraction(1)
DEFAULT_UNDER = Fraction(5, 4)
DEFAULT_EXPONENT = Fraction(6, 5)
#: The §2 confidence, for the quantile the explanation sets beside the choice.
DEFAULT_CONFIDENCE = Fraction(95, 100)
#: The bounds of over, under and exponent: the file's (see capplan.model for why).
MIN_FACTOR, MAX_FACTOR = MIN_REGRET_FACTOR, MAX_REGRET_FACTOR
MIN_EXPONENT, MAX_EXPONENT = MIN_REGRET_EXPONENT, MAX_REGRET_EXPONENT
#: Expected regrets within this share of the least are tied. The values are sums of at most
#: a few thousand positive terms, each good to an ulp or two: their relative error is below
#: 1e-12, so 1e-9 absorbs it with room, yet no difference worth a node hides below it.
RELATIVE_TOLERANCE = 1e-9
#: Spans of candidate counts up to this are tabulated whole (and reported whole); wider
#: ones are searched by bisection and report the counts the search priced (about
#: 3·log2(span) of them, the ends and the choice among them): a tier document stays short.
MAX_TABLE_SPAN = 1000


@dataclass(frozen=True)
class RegretWeights:
    """over, under and exponent as floats, checked to lie within their bounds."""

    over: float
    under: float
    exponent: float

    @classmethod
    def of(cls, over: Fraction | float, under: Fraction | float,
           exponent: Fraction | float) -> RegretWeights:
        """Checked weights; InvalidArgument names the one out of bounds."""
        for name, value, low, high in (("over", over, MIN_FACTOR, MAX_FACTOR),
                                       ("under", under, MIN_FACTOR, MAX_FACTOR),
                                       ("exponent", exponent, MIN_EXPONENT, MAX_EXPONENT)):
            if not (math.isfinite(value) and low <= value <= high):
                raise InvalidArgument(
                    f"regret {name} {float(value):g} is out of range: must be at least "
                    f"{float(low):g} and at most {float(high):g}")
        return cls(float(over), float(under), float(exponent))


DEFAULT_WEIGHTS = RegretWeights.of(DEFAULT_OVER, DEFAULT_UNDER, DEFAULT_EXPONENT)


def expected_regrets(optimal_costs: Sequence[float] | NDArray[Any],
                     plan_costs: Sequence[float] | NDArray[Any], *,
                     weights: Sequence[float] | NDArray[Any] | None = None,
                     regret: RegretWeights = DEFAULT_WEIGHTS) -> list[float]:
    """Each plan's regret averaged over the draws (weighted; equal weights by default).

    *optimal_costs* holds, per draw, the cost of its cheapest holding plan; *plan_costs*
    the candidates' costs. Draws are grouped by distinct optimal cost first, so the work
    is O(distinct costs × plans).
    """
    import numpy as np

    optimal = _finite(optimal_costs, "optimal cost")
    plans = _finite(plan_costs, "plan cost")
    values, shares = _grouped(optimal, weights)
    totals = np.zeros(len(plans))
    # One group at a time, in ascending order: the sum's order, hence its bits, is fixed.
    for value, share in zip(values, shares, strict=True):
        totals += share * _penalties(plans - value, regret)
    return [float(total) for total in totals]


def choose(regrets: Sequence[float], nodes: Sequence[int],
           costs: Sequence[float] | None = None) -> int:
    """Index of the plan to pick: least regret within the tolerance, then ties.

    Ties go to more nodes, then to the cheaper plan, then to the one listed first.
    """
    if not regrets or len(regrets) != len(nodes) or (costs is not None
                                                     and len(costs) != len(regrets)):
        raise InvalidArgument("choose needs as many regrets as plans (and costs), at least one")
    least = min(regrets)
    threshold = least + RELATIVE_TOLERANCE * abs(least)
    tied = [index for index, value in enumerate(regrets) if value <= threshold]
    return min(tied, key=lambda index: (-nodes[index],
                                        0.0 if costs is None else costs[index], index))


@dataclass(frozen=True)
class CountRegret:
    """The least-regret count of one tier, with what explains it."""

    #: The count with the least expected regret (ties: more nodes).
    chosen: int
    #: Expected regret (in money^exponent) per count considered, counts ascending.
    expected_regret: dict[int, float]
    #: What the §2 rule picks at *confidence*, set beside the choice in explanations.
    quantile: int
    confidence: Fraction

    def document(self) -> dict[str, float]:
        """``expected_regret`` for a tier document: string keys, so JSON and YAML agree."""
        return {str(count): value for count, value in self.expected_regret.items()}


def regret_counts(counts_per_draw: Sequence[int] | NDArray[Any],
                  cost_per_node: Fraction | float,
                  over: Fraction | float = DEFAULT_OVER,
                  under: Fraction | float = DEFAULT_UNDER,
                  exponent: Fraction | float = DEFAULT_EXPONENT, *,
                  weights: Sequence[float] | NDArray[Any] | None = None,
                  confidence: Fraction = DEFAULT_CONFIDENCE,
                  tier: str | None = None, path: KeyPath = ()) -> CountRegret:
    """The least-regret count for one node type, from the count each draw needs.

    Every count from the smallest to the largest drawn is considered (see the module's
    docstring for why no other can win). Raises InvalidArgument for bad arguments and
    :class:`~capplan.errors.TooMany` (at *path*, naming *tier*) when some draw needs more
    nodes than a tier may have.
    """
    import numpy as np

    regret = RegretWeights.of(over, under, exponent)
    cost = float(cost_per_node)
    if not (math.isfinite(cost) and cost >= 0):
        raise InvalidArgument(f"cost per node {cost:g} must be finite and at least 0")
    counts = np.asarray(counts_per_draw)
    if counts.ndim != 1 or len(counts) == 0 or not np.issubdtype(counts.dtype, np.integer):
        raise InvalidArgument("counts per draw must be a non-empty list of integers")
    if np.any(counts < 0):
        raise InvalidArgument("a draw cannot need a negative count of nodes")
    beyond = int(np.count_nonzero(counts >= BEYOND))
    if beyond:
        where = f" on tier '{tier}'" if tier else ""
        raise TooMany(
            f"{beyond:,} of {len(counts):,} draws need more than {BEYOND - 1:,} nodes{where}: "
            "least regret weighs every draw and has no cost to weigh those by; narrow the "
            "{low, high} ranges, raise node.capacity_rps, or set policy.choose: quantile",
            path=path)
    distinct, shares = _grouped(counts.astype(np.float64), weights)
    drawn = distinct.astype(np.int64)
    low, high = int(drawn[0]), int(drawn[-1])
    ratio = regret.under / regret.over
    if high - low <= MAX_TABLE_SPAN:
        table = _tabulated(drawn, shares, ratio, regret.exponent)
        chosen = low + choose(list(table), list(range(low, high + 1)))
        considered = dict(zip(range(low, high + 1), (float(v) for v in table), strict=True))
    else:
        considered = {}

        def unit(count: int) -> float:
            if count not in considered:
                considered[count] = _unit_regret(count, drawn, shares, ratio, regret.exponent)
            return considered[count]

        chosen = _searched(unit, low, high)
        for count in (low, high, chosen):
            unit(count)
        considered = dict(sorted(considered.items()))
    # Chosen in node units with over 1; the money form is (cost · over)^exponent times it.
    scale = math.pow(cost * regret.over, regret.exponent)
    return CountRegret(chosen, {count: scale * value for count, value in considered.items()},
                       _quantile(counts, drawn, shares, weights, confidence), confidence)


def _finite(values: Sequence[float] | NDArray[Any], what: str) -> NDArray[Any]:
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or len(array) == 0 or not np.all(np.isfinite(array)):
        raise InvalidArgument(f"each {what} must be a finite number, at least one")
    return array


def _grouped(values: NDArray[Any], weights: Sequence[float] | NDArray[Any] | None
             ) -> tuple[NDArray[Any], NDArray[Any]]:
    """Distinct values ascending, each with its share of the weight (shares sum to 1).

    Values whose weight is 0 are left out: no draw that counts needs them.
    """
    import numpy as np

    if weights is None:
        distinct, tallies = np.unique(values, return_counts=True)
        return distinct, tallies / len(values)
    given = _finite(weights, "weight")
    if len(given) != len(values) or np.any(given < 0) or not np.any(given > 0):
        raise InvalidArgument("weights must be one per draw, none negative, some positive")
    distinct, inverse = np.unique(values, return_inverse=True)
    sums = np.bincount(inverse, weights=given, minlength=len(distinct))
    kept = sums > 0
    return distinct[kept], sums[kept] / sums[kept].sum()


def _penalties(differences: NDArray[Any], regret: RegretWeights) -> NDArray[Any]:
    """Regret of plans costing *differences* more than the draw's cheapest (negative: less)."""
    import numpy as np

    scaled = np.where(differences >= 0, differences * regret.over,
                      -differences * regret.under)
    return np.power(scaled, regret.exponent)


def _unit_penalties(differences: NDArray[Any], ratio: float,
                    exponent: float) -> NDArray[Any]:
    """As :func:`_penalties` in node units with over 1 (under becomes under/over)."""
    import numpy as np

    return np.power(np.where(differences >= 0, differences, -differences * ratio), exponent)


def _tabulated(drawn: NDArray[Any], shares: NDArray[Any], ratio: float,
               exponent: float) -> NDArray[Any]:
    """Expected regret (node units) of every count from the least drawn to the largest.

    A count c against a draw needing o regrets a function of c − o alone, and c − o lies
    within ±span: one table of 2·span + 1 penalties, and each distinct count adds a slice
    of it, weighted by its share.
    """
    import numpy as np

    low, high = int(drawn[0]), int(drawn[-1])
    span = high - low
    table = _unit_penalties(np.arange(-span, span + 1, dtype=np.float64), ratio, exponent)
    totals = np.zeros(span + 1)
    for count, share in zip(drawn, shares, strict=True):
        start = low - int(count) + span  # the table's index of the difference low − count
        totals += share * table[start:start + span + 1]
    return totals


def _unit_regret(count: int, drawn: NDArray[Any], shares: NDArray[Any], ratio: float,
                 exponent: float) -> float:
    """Expected regret (node units) of one count (``math.fsum``: a sum in no particular order)."""
    differences = (count - drawn).astype("float64")
    return math.fsum((shares * _unit_penalties(differences, ratio, exponent)).tolist())


def _searched(regret_of: Callable[[int], float], low: int, high: int) -> int:
    """The rule of :func:`choose` over every count in [low, high], by bisection.

    *regret_of* is called about 3·log2(high − low) times (two per step to find the least,
    one per step to walk its ties); the caller memoises it.

    Expected regret is convex in the count (exponent ≥ 1): the least lies where it stops
    falling, and from there it never falls, so the largest count within the tolerance is
    the last one at or under the threshold.
    """
    first, last = low, high
    while first < last:
        middle = (first + last) // 2
        if regret_of(middle + 1) >= regret_of(middle):
            last = middle
        else:
            first = middle + 1
    least = regret_of(first)
    threshold = least + RELATIVE_TOLERANCE * abs(least)
    last = high
    while first < last:
        middle = (first + last + 1) // 2
        if regret_of(middle) <= threshold:
            first = middle
        else:
            last = middle - 1
    return first


def _quantile(counts: NDArray[Any], drawn: NDArray[Any], shares: NDArray[Any],
              weights: Sequence[float] | NDArray[Any] | None, confidence: Fraction) -> int:
    """The §2 count at *confidence*: the smallest covering that share of the draws' weight."""
    import numpy as np

    if weights is None:
        return quantile_count(counts, confidence)
    covered = np.cumsum(shares)
    # The same allowance for float noise as the §2 rule's (a share of 95% that sums to
    # 0.9499999999 still reaches 95%).
    index = int(np.searchsorted(covered, float(confidence) - 1e-9))
    return int(drawn[min(index, len(drawn) - 1)])
