"""policy.choose: regret in the planner (SPEC §7): the same draws, a different rule."""

from __future__ import annotations

from typing import Any

import pytest

import capplan
from capplan.errors import InvalidInput
from capplan.regret import regret_counts


def site(**policy: Any) -> dict[str, Any]:
    return {
        "site": "regret",
        "traffic": {"peak_rps": {"low": 3000, "high": 6000}},
        "policy": {"failures": 0, **policy},
        "tiers": [{"name": "app", "redundancy": "pool",
                   "node": {"capacity_rps": 1000, "cost": 1000}}],
    }


def tier_of(data: dict[str, Any]) -> dict[str, Any]:
    tier: dict[str, Any] = capplan.plan(capplan.Topology.model_validate(data)).to_dict()[
        "tiers"][0]
    return tier


def test_regret_chooses_from_the_same_draws_as_the_quantile() -> None:
    by_quantile = tier_of(site())
    by_regret = tier_of(site(choose="regret"))
    assert "expected_regret" not in by_quantile
    assert by_regret["nodes_required_distribution"] == by_quantile["nodes_required_distribution"]
    # The regret figures are the pure rule's over the planner's counts: least at the choice.
    regrets = by_regret["expected_regret"]
    assert min(regrets, key=lambda count: (regrets[count], -int(count))) == str(
        by_regret["nodes_required"])
    assert by_regret["nodes_required"] == 5
    assert by_quantile["nodes_required"] == 6


def test_raising_the_price_of_a_shortfall_buys_more_nodes() -> None:
    cheap = tier_of(site(choose="regret", regret={"under": 1}))["nodes_required"]
    dear = tier_of(site(choose="regret", regret={"under": 20}))["nodes_required"]
    assert dear > cheap


def test_a_declared_count_is_covered_when_it_holds_as_many_draws_as_the_choice() -> None:
    data = site(choose="regret")
    data["tiers"][0]["nodes"] = 5
    assert tier_of(data)["ok"] is True
    data["tiers"][0]["nodes"] = 4
    assert tier_of(data)["ok"] is False


@pytest.mark.parametrize(("key", "value"), [("over", 0), ("under", 2000), ("exponent", "0.5")])
def test_regret_prices_out_of_range_are_refused_at_the_key(key: str, value: object) -> None:
    with pytest.raises(InvalidInput, match=rf"policy\.regret\.{key}: .* out of range"):
        capplan.Topology.model_validate(site(choose="regret", regret={key: value}))


def test_the_published_example_through_the_public_rule() -> None:
    # Draws needing 4, 5, 6 nodes at 50/30/20% and 1,000 a node (SPEC §7, issue 12).
    chosen = regret_counts([4] * 5 + [5] * 3 + [6] * 2, 1000)
    assert (chosen.chosen, chosen.quantile) == (5, 6)
