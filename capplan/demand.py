"""Demand: the entry peak, its growth, and how it flows through the tier graph (SPEC §2)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from capplan.model import Node, Tier, Topology, Traffic, upstreams_by_index

#: Bits in a megabit: bandwidth is in Mbit/s, sizes in bytes.
BITS_PER_MEGABIT = 1_000_000
SECONDS_PER_DAY = 86_400
#: Demands are kept exact to 1e-24 rps. Exactness matters at boundaries a person can
#: write down (2000 rps on 1000-rps nodes); a demand compounded through hundreds of
#: tiers would otherwise carry thousand-digit denominators that no boundary needs.
RESOLUTION = 10**24


def tame(value: Fraction) -> Fraction:
    """*value* unchanged when its denominator is modest, else rounded to 1/RESOLUTION."""
    if value.denominator <= RESOLUTION:
        return value
    return Fraction(round(value * RESOLUTION), RESOLUTION)


def entry_peak(traffic: Traffic) -> Fraction:
    """Peak requests/second at the front door, from whichever traffic form the file uses."""
    if traffic.peak_rps is not None:
        return traffic.peak_rps
    if traffic.daily_requests is not None and traffic.peak_to_average is not None:
        return traffic.daily_requests / SECONDS_PER_DAY * traffic.peak_to_average
    if traffic.profile:
        return max(traffic.profile)
    raise ValueError("traffic has no peak_rps, daily_requests or profile")


def grown(growth: Fraction, months: Fraction) -> Fraction:
    """(1 + growth) ** months: exact for whole months, the part-month in floating point.

    Whole months stay exact, which also keeps a factor beyond float range (1000% a month
    for 700 months) a number, not an overflow.
    """
    base = 1 + growth
    whole = math.floor(months)
    exact = tame(base ** whole)
    if months == whole:
        return exact
    return tame(exact * Fraction(float(base) ** float(months - whole)))


def growth_factor(traffic: Traffic) -> Fraction:
    """How much the peak grows by the horizon: (1 + growth) ** horizon_months.

    Exact for whole months (the common case), so a planning peak on a boundary stays on it;
    a fractional horizon has no rational answer and goes through floating point.
    """
    return grown(traffic.growth, traffic.horizon_months)


def tier_demands(topology: Topology, entry: Fraction,
                 hit_ratios: Sequence[Fraction] | None = None) -> list[Fraction]:
    """Each tier's demand in rps, in the order the tiers are listed.

    A tier receives ``per_request × Σ D_u × (1 − hit_ratio_u)`` from its upstreams u; the
    entry is an upstream with demand *entry* and no hits. Tiers are visited in topological
    order (Kahn's algorithm, no recursion), so ``from`` may name a tier listed later.
    *hit_ratios*, one per tier, replaces the tiers' own (a cache running cold).
    """
    tiers = topology.tiers
    ratios = [tier.hit_ratio for tier in tiers] if hit_ratios is None else list(hit_ratios)
    order, upstreams = flow_order(topology)
    demand: list[Fraction | None] = [None] * len(tiers)
    for index in order:
        inflow = sum((_passed_on(ratios, demand, source, entry) for source in upstreams[index]),
                     Fraction(0))
        demand[index] = tame(tiers[index].per_request * inflow)
    return [value for value in demand if value is not None]


def flow_order(topology: Topology) -> tuple[list[int], list[list[int]]]:
    """Tier indices in an order where every upstream comes first, and each tier's upstreams.

    Kahn's algorithm, no recursion, so ``from`` may name a tier listed later and a
    2,000-tier chain needs no deep stack. Upstream -1 stands for the entry.
    """
    tiers = topology.tiers
    names = {tier.name: index for index, tier in enumerate(tiers)}
    upstreams = upstreams_by_index(tiers, names)
    downstream: list[list[int]] = [[] for _ in tiers]
    waiting = [0] * len(tiers)
    for index, sources in enumerate(upstreams):
        for source in sources:
            if source >= 0:
                downstream[source].append(index)
                waiting[index] += 1
    ready = [index for index in range(len(tiers)) if waiting[index] == 0]
    order = []
    while ready:
        index = ready.pop()
        order.append(index)
        for after in downstream[index]:
            waiting[after] -= 1
            if waiting[after] == 0:
                ready.append(after)
    if len(order) < len(tiers):
        raise ValueError("the tier graph has a cycle")  # cross_check refuses these earlier
    return order, upstreams


def _passed_on(hit_ratios: list[Fraction], demand: list[Fraction | None], source: int,
               entry: Fraction) -> Fraction:
    """What an upstream passes down: everything it does not answer itself."""
    if source < 0:
        return entry
    upstream = demand[source]
    assert upstream is not None  # topological order guarantees it is known
    return upstream * (1 - hit_ratios[source])


def cold_hit_ratio(tier: Tier, moved: Fraction) -> Fraction:
    """The hit ratio after a failure moved a share *moved* of the demand to cold nodes.

    ``(1 − x)·hit_ratio + x·cold_hit_ratio`` (SPEC §2, cold caches).
    """
    cold = tier.hit_ratio if tier.cold_hit_ratio is None else tier.cold_hit_ratio
    return (1 - moved) * tier.hit_ratio + moved * cold


def slot_demands(traffic: Traffic) -> list[Fraction] | None:
    """The profile's slots as shares of its peak (None without a profile)."""
    if not traffic.profile:
        return None
    peak = max(traffic.profile)
    return [slot / peak for slot in traffic.profile]


def bytes_per_request(traffic: Traffic, tier: Tier) -> Fraction:
    """Bytes through a node per request; responses bypass a direct-server-return tier."""
    response = Fraction(0) if tier.direct_server_return else traffic.response_bytes
    return traffic.request_bytes + response


def bandwidth_mbps(demand: Fraction, per_request_bytes: Fraction) -> Fraction:
    """Mbit/s that *demand* requests/second move."""
    return demand * per_request_bytes * 8 / BITS_PER_MEGABIT


def usable_capacity(node: Node, per_request_bytes: Fraction) -> Fraction:
    """Requests/second one node carries at utilization 1: its CPU or its network, the lower.

    Utilization is max(load/capacity_rps, bandwidth/bandwidth_mbps); both grow with the
    load, so it equals load divided by this one figure.
    """
    if node.bandwidth_mbps is None or per_request_bytes == 0:
        return node.capacity
    network = node.bandwidth_mbps * BITS_PER_MEGABIT / (8 * per_request_bytes)
    return min(node.capacity, network)
