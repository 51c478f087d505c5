"""Uncertain inputs: draw them, push every draw through the site, count nodes per draw.

A quantity written ``{low: X, high: Y, confidence: 90%}`` is lognormal (a share is
logit-normal) with X and Y bounding its central ``confidence`` interval:
μ = (ln X + ln Y) / 2 and σ = (ln Y − ln X) / (2z), z the normal quantile of
(1 + confidence) / 2. Draws are vectorised with numpy (no Python loop per draw) from one
generator seeded with ``--seed``, in a fixed order (traffic keys, then tiers in file
order), so the same file and seed give the same plan.

Each tier's requirement only grows with its demand, so the counts of all draws come from
few exact evaluations: sort the demands, evaluate the two ends of a stretch, and split it
only where they differ. A tier whose draws need 8 to 11 nodes costs a few dozen exact
sizings, however many draws there are. The cold-cache cascade is a second requirement
monotone in its own demand; the tier needs the larger of the two counts.

A wide range drawn at a low confidence reaches any magnitude: a draw no count up to
``MAX_NODES`` holds (its demand beyond float range, or a search that gives up at the
node limit) counts as :data:`BEYOND`, one more than the limit. Such draws are reported
in the distribution (key ``">1000000"``); only when the confidence quantile itself lands
on them is the plan refused, with :class:`~capplan.schemes.TooMany` saying which keys
to change. Draws never raise OverflowError and never print numpy's warnings.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from capplan import demand as flow
from capplan.model import MAX_NODES, Topology, Uncertain, logit
from capplan.schemes import TooMany, Unattainable

if TYPE_CHECKING:
    from numpy.typing import NDArray

DEFAULT_SIMULATIONS = 10_000
DEFAULT_SEED = 0
#: The count of a draw that no count up to MAX_NODES holds.
BEYOND = MAX_NODES + 1
#: Its key in ``nodes_required_distribution``.
BEYOND_KEY = f">{MAX_NODES}"


# Defined with the model (a plan asks it before it needs anything else from here).
from capplan.model import is_uncertain as is_uncertain  # noqa: E402, PLC0414


@dataclass(frozen=True)
class Draws:
    """Every tier's demand in every draw (current peak), and its cascade where it has one."""

    simulations: int
    seed: int
    demands: list[NDArray[Any]]
    cascades: list[NDArray[Any] | None]


def draw(topology: Topology, moved: list[Fraction | None], simulations: int,
         seed: int) -> Draws:
    """Sample every range *simulations* times and push the draws through the tier graph.

    *moved* is, per tier, the share of its demand that its worst failure moves to cold
    nodes (None where the tier is no cold cache), as the plan at the median found it.
    """
    import numpy as np

    # Far tails overflow to inf (and inf × 0 to NaN); counts_for reads both as beyond
    # every count, so numpy's warnings would only alarm the user.
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return _draw(topology, moved, simulations, seed)


def _draw(topology: Topology, moved: list[Fraction | None], simulations: int,
          seed: int) -> Draws:
    from statistics import NormalDist

    import numpy as np

    generator = np.random.default_rng(seed)

    def sample(value: Fraction) -> NDArray[Any] | float:
        if not isinstance(value, Uncertain):
            return float(value)
        z = NormalDist().inv_cdf((1 + float(value.confidence)) / 2)
        if value.share:
            low, high = logit(value.low), logit(value.high)
        else:
            low, high = math.log(value.low), math.log(value.high)
        normal = generator.standard_normal(simulations) * ((high - low) / (2 * z)) \
            + (low + high) / 2
        return 1 / (1 + np.exp(-normal)) if value.share else np.exp(normal)

    traffic = topology.traffic
    if traffic.peak_rps is not None:
        entry = sample(traffic.peak_rps)
    elif traffic.daily_requests is not None and traffic.peak_to_average is not None:
        daily = sample(traffic.daily_requests)
        entry = daily / flow.SECONDS_PER_DAY * sample(traffic.peak_to_average)
    else:
        entry = float(flow.entry_peak(traffic))
    per_request = [sample(tier.per_request) for tier in topology.tiers]
    hit_ratios = [sample(tier.hit_ratio) for tier in topology.tiers]
    ones = np.ones(simulations)
    demands = _propagate(topology, entry * ones, per_request, hit_ratios)
    cascades: list[NDArray[Any] | None] = [None] * len(demands)
    for index, share in enumerate(moved):
        tier = topology.tiers[index]
        if share is None or tier.cold_hit_ratio is None:
            continue
        cold = list(hit_ratios)
        cold[index] = (1 - float(share)) * hit_ratios[index] + float(share) * float(
            tier.cold_hit_ratio)
        scenario = _propagate(topology, entry * ones, per_request, cold)
        for position, (hot, warm) in enumerate(zip(scenario, demands, strict=True)):
            if position == index or not np.any(hot > warm):
                continue
            current = cascades[position]
            cascades[position] = hot if current is None else np.maximum(current, hot)
    return Draws(simulations, seed, demands, cascades)


def _propagate(topology: Topology, entry: NDArray[Any], per_request: list[Any],
               hit_ratios: list[Any]) -> list[NDArray[Any]]:
    """Tier demands for every draw at once, in flow order (as demand.tier_demands)."""
    order, upstreams = flow.flow_order(topology)
    demands: list[Any] = [None] * len(topology.tiers)
    for index in order:
        inflow: Any = 0.0
        for source in upstreams[index]:
            inflow = inflow + (entry if source < 0
                               else demands[source] * (1 - hit_ratios[source]))
        demands[index] = per_request[index] * inflow
    return demands


#: Exact sizings one set of draws may cost. Draws spread over a few dozen counts take a few
#: hundred; past this budget (a range spanning thousands of counts, where nearly every
#: draw needs a count of its own) stretches still unresolved take the count at their top.
MAX_EVALUATIONS = 500


def counts_for(values: NDArray[Any], required: Callable[[Fraction], int], *,
               exact: Sequence[int] = (),
               within: Callable[[Fraction, int, int | None], int] | None = None,
               ) -> NDArray[Any]:
    """required(v) for every v, evaluated on few values: it never decreases as v grows.

    A value that no count holds (required raises Unattainable, the node limit included)
    or that is not finite gets :data:`BEYOND`; sorting puts inf and NaN last, so the
    counts still never decrease along the sorted values.

    Stretches of the sorted values are split breadth first, at most ``MAX_EVALUATIONS``
    sizings in all. A stretch left unresolved then takes the count of its top end: never
    less than a draw needs, so a quantile over the counts errs towards more nodes, and
    the counts still never decrease. The sorted positions in *exact* are always resolved:
    the count there is exact, so a quantile at such a position is too.

    *within(v, low, high)*, when given, is required(v) told that the answer lies between
    the counts of the stretch's ends (high None: beyond the limit): a split then costs a
    bisection between two known counts, not a search from scratch.
    """
    from collections import deque

    import numpy as np

    order = np.argsort(values, kind="stable")
    ordered = values[order]
    result = np.empty(len(values), dtype=np.int64)
    cache: dict[int, int] = {}
    wanted = sorted(set(exact))

    def at(position: int, bounds: tuple[int, int] | None = None) -> int:
        if position not in cache:
            value = float(ordered[position])
            if not math.isfinite(value):
                cache[position] = BEYOND
            else:
                try:
                    if bounds is None or within is None:
                        count = required(Fraction(value))
                    else:
                        low, high = bounds
                        count = within(Fraction(value), low, None if high >= BEYOND else high)
                    cache[position] = min(BEYOND, count)
                except Unattainable:
                    cache[position] = BEYOND
        return cache[position]

    def holds_wanted(first: int, last: int) -> bool:
        index = bisect_right(wanted, first)
        return index < len(wanted) and wanted[index] < last

    # Each split sizes one more draw (its middle): the two ends, then one per split.
    splits = 0
    pending = deque([(0, len(ordered) - 1)])
    while pending:
        first, last = pending.popleft()
        low, high = at(first), at(last)
        if low == high:
            result[first:last + 1] = low
        elif last - first == 1:
            result[first], result[last] = low, high
        elif splits >= MAX_EVALUATIONS - 2 and not holds_wanted(first, last):
            result[first], result[first + 1:last + 1] = low, high
        else:
            splits += 1
            middle = (first + last) // 2
            at(middle, (low, high))
            pending += [(first, middle), (middle, last)]
    counts = np.empty_like(result)
    counts[order] = result
    return counts


class Sized(Protocol):
    """What the draws need of a tier: its counts (the planner's TierShape is one)."""

    def required(self, demand: Fraction, cascade: Fraction | None = None, *,
                 within: tuple[int, int | None] | None = None) -> int:
        """The smallest count at which every limit holds at *demand* (and *cascade*).

        *within*: (low, high) counts known to bracket the answer (high None: unknown).
        """

    def cascade_required(self, cascade: Fraction) -> int:
        """Nodes that carry *cascade* with all of them up."""

    def holds(self, count: int, demand: Fraction, cascade: Fraction | None = None) -> bool:
        """*count* nodes hold every limit at *demand*."""

    def closed_form_counts(self, demands: Any) -> Any:
        """Counts for many draws at once where a closed form exists, else None."""


def tier_counts(shape: Sized, demand: NDArray[Any], cascade: NDArray[Any] | None,
                factor: Fraction, confidence: Fraction | None = None) -> NDArray[Any]:
    """Nodes each draw needs at *factor* times its demand (growth to the horizon).

    Never raises for a single draw: one that no count up to the limit holds is BEYOND.
    With *confidence*, the draw at that quantile is sized exactly whatever the budget, so
    :func:`quantile_count` at that confidence is exact (without a cascade; with one, the
    larger of two counts per draw, it may only err towards more nodes).
    """
    import numpy as np

    exact = () if confidence is None else (_quantile_position(len(demand), confidence),)
    demands = scaled(demand, factor)
    closed = shape.closed_form_counts(demands)
    counts = closed if closed is not None else counts_for(
        demands, shape.required, exact=exact,
        within=lambda value, low, high: shape.required(value, within=(low, high)))
    if cascade is not None:
        cascades = scaled(cascade, factor)
        counts = np.maximum(counts, counts_for(cascades, shape.cascade_required, exact=exact))
        counts = _held_together(shape, counts, demands, cascades)
    return counts


def _held_together(shape: Sized, counts: NDArray[Any], demands: NDArray[Any],
                   cascades: NDArray[Any]) -> NDArray[Any]:
    """Counts that hold the draw's demand and its cascade at once.

    The larger of the two separate counts is enough when holding only improves with more
    nodes; a ring over zones is not so (17 may carry the cascade and fail the zone loss
    that 16 holds). A count holding its group's largest demand and cascade holds every
    draw of the group (loads only grow with demand); a group whose count does not is
    given the count that holds its largest pair: never fewer nodes than a draw needs.
    """
    import numpy as np

    from capplan.schemes import Unattainable

    result = counts.copy()
    for count in np.unique(counts):
        if count >= BEYOND:
            continue
        group = counts == count
        demand = Fraction(float(np.max(demands[group])))
        cascade = Fraction(float(np.max(cascades[group])))
        if shape.holds(int(count), demand, cascade):
            continue
        try:
            result[group] = shape.required(demand, cascade)
        except Unattainable:
            result[group] = BEYOND
    return result


def _quantile_position(draws: int, confidence: Fraction) -> int:
    """The sorted position whose count is the *confidence* quantile of *draws* counts."""
    return max(0, math.ceil(float(confidence) * draws - 1e-9) - 1)


def scaled(values: NDArray[Any], factor: Fraction) -> NDArray[Any]:
    """*values* × *factor* in floats; a factor past float range makes every positive value inf.

    (1 + 1000%)^1200 has 1,250 digits: float() of it would raise OverflowError, yet no
    draw above zero survives such growth within any count, and zero stays zero.
    """
    import numpy as np

    try:
        scale = float(factor)
    except OverflowError:
        scale = math.inf
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(values > 0, values * scale, 0.0)


def quantile_count(counts: NDArray[Any], confidence: Fraction, *, tier: str | None = None,
                   cause: str | None = None,
                   path: tuple[str | int, ...] = ()) -> int:
    """The smallest count that covers at least *confidence* of the draws.

    Raises :class:`~capplan.schemes.TooMany` (at *path*) when that count would be past
    the node limit; the message names the share of draws beyond it, the *tier*, the
    *cause* (e.g. "growth 1000% a month for 36 months") and the keys that change it.
    """
    import numpy as np

    ordered = np.sort(counts)
    count = int(ordered[_quantile_position(len(ordered), confidence)])
    if count < BEYOND:
        return count
    beyond = float(np.count_nonzero(ordered >= BEYOND)) / len(ordered)
    allowed = 1 - float(confidence)
    where = f" on tier '{tier}'" if tier else ""
    subject = f"{cause} needs" if cause else "the {low, high} ranges need"
    raise TooMany(
        f"{subject} more than {MAX_NODES:,} nodes{where} in {_share(beyond)} of "
        f"{len(ordered):,} draws; policy.confidence {_share(float(confidence))} leaves out at most "
        f"{_share(allowed)}: narrow the {{low, high}} ranges, lower policy.confidence or "
        "raise node.capacity_rps", path=path)


def _share(value: float) -> str:
    """A share as a percentage, with the digits that tell 95% from 95.4%."""
    return f"{value * 100:.3g}%"


def distribution(counts: NDArray[Any]) -> dict[str, float]:
    """{count: share of draws}, counts ascending (string keys: JSON and YAML agree).

    Draws no count up to the node limit holds come last, as ``">1000000"``.
    """
    tally = Counter(int(count) for count in counts)
    total = len(counts)
    return {(BEYOND_KEY if count >= BEYOND else str(count)): tally[count] / total
            for count in sorted(tally)}
