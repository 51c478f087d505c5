"""Entry peak, growth and demand through the tier graph (SPEC §2, Demand)."""

from fractions import Fraction

from capplan import demand
from capplan.model import Node
from tests.helpers import fed_by, tier, topology


def test_peak_from_peak_rps() -> None:
    """peak_rps is the entry peak as written."""
    assert demand.entry_peak(topology(tier()).traffic) == 1000


def test_peak_from_daily_requests() -> None:
    """40M a day at peak/average 2.5 is 40e6/86400*2.5 rps, exactly."""
    traffic = topology(tier(), traffic={"daily_requests": "40M", "peak_to_average": 2.5}).traffic
    assert demand.entry_peak(traffic) == Fraction(40_000_000, 86_400) * Fraction(5, 2)


def test_peak_from_profile_is_its_maximum() -> None:
    """A day's profile peaks at its busiest slot."""
    traffic = topology(tier(), traffic={"profile": [300, 250, "1.1k", 900]}).traffic
    assert demand.entry_peak(traffic) == 1100


def test_growth_compounds_exactly_over_whole_months() -> None:
    """4% a month for 12 months is exactly 1.04**12."""
    traffic = topology(tier(), traffic={"peak_rps": 1, "growth": "4%",
                                        "horizon_months": 12}).traffic
    assert demand.growth_factor(traffic) == Fraction(104, 100) ** 12


def test_no_growth_without_horizon() -> None:
    """A zero horizon plans at the current peak."""
    traffic = topology(tier(), traffic={"peak_rps": 1, "growth": "10%"}).traffic
    assert demand.growth_factor(traffic) == 1


def test_default_upstream_is_the_tier_before() -> None:
    """Each tier receives what the one before it does not answer itself."""
    site = topology(tier("cache", hit_ratio="60%"), tier("web"), tier("db", per_request=4))
    assert demand.tier_demands(site, Fraction(1200)) == [1200, 480, 1920]


def test_from_fans_in_and_may_name_a_later_tier() -> None:
    """A tier sums what its upstreams pass on, wherever they are listed."""
    site = topology(
        tier("lb"),
        tier("db", **fed_by("web", "api")),
        tier("web", **fed_by("lb"), hit_ratio="50%"),
        tier("api", **fed_by("lb")),
    )
    assert demand.tier_demands(site, Fraction(100)) == [100, 150, 100, 100]


def test_long_chain_needs_no_recursion() -> None:
    """A 2,000-tier chain is walked without meeting Python's recursion limit."""
    site = topology(*(tier(f"t{i}") for i in range(2000)))
    assert demand.tier_demands(site, Fraction(7))[-1] == 7


def test_bandwidth_counts_requests_only_under_direct_server_return() -> None:
    """Direct server return leaves response bytes out of a tier's bandwidth."""
    site = topology(tier("lb", direct_server_return=True), tier("web"),
                    traffic={"peak_rps": 1200, "request_bytes": 900, "response_bytes": "24k"})
    lb, web = site.tiers
    assert demand.bytes_per_request(site.traffic, lb) == 900
    assert demand.bytes_per_request(site.traffic, web) == 24_900
    assert demand.bandwidth_mbps(Fraction(1200), Fraction(900)) == Fraction(864, 100)


def test_usable_capacity_is_the_lower_of_cpu_and_network() -> None:
    """A node saturates on whichever of requests or bits runs out first."""
    node = Node.model_validate({"capacity_rps": 1000, "bandwidth_mbps": 100})
    # 100 Mbit/s at 25,000 bytes a request is 500 requests a second.
    assert demand.usable_capacity(node, Fraction(25_000)) == 500
    assert demand.usable_capacity(node, Fraction(1_000)) == 1000
    assert demand.usable_capacity(node, Fraction(0)) == 1000


def test_tame_keeps_small_denominators_and_rounds_huge_ones() -> None:
    """Exact values a person writes are untouched; compounded ones are rounded finely."""
    assert demand.tame(Fraction(1, 3)) == Fraction(1, 3)
    huge = Fraction(7, 3) ** 100
    assert demand.tame(huge).denominator == demand.RESOLUTION
    assert abs(demand.tame(huge) - huge) <= Fraction(1, 2 * demand.RESOLUTION)


def test_a_growth_factor_beyond_float_range_stays_a_number() -> None:
    """1000% a month for 717.5 months: exact whole months, no OverflowError."""
    from capplan.demand import growth_factor
    from capplan.model import Traffic

    traffic = Traffic.model_validate({"peak_rps": 1000, "growth": "1000%",
                                      "horizon_months": 717.5})
    factor = growth_factor(traffic)
    assert factor > Fraction(11) ** 717
    assert factor < Fraction(11) ** 718
