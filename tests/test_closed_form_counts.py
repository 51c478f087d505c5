"""The vectorised counts of plain pools equal the exact sizing, draw by draw."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import capplan
from capplan.sizing import TierShape
from capplan.uncertainty import BEYOND, counts_for


def shape_of(capacity: int, failures: int, ceiling: str, redundancy: str = "pool",
             standby: int | None = None) -> TierShape:
    tier: dict[str, object] = {"name": "web", "redundancy": redundancy,
                               "node": {"capacity_rps": capacity}}
    if standby is not None:
        tier["standby"] = standby
    topology = capplan.Topology.model_validate({
        "site": "s", "traffic": {"peak_rps": 1000},
        "policy": {"failures": failures, "max_utilization": ceiling}, "tiers": [tier]})
    return TierShape.of(topology.tiers[0], topology, 0)


@settings(max_examples=60, deadline=None)
@given(capacity=st.integers(1, 5000), failures=st.integers(0, 3),
       ceiling=st.sampled_from(["100%", "80%", "70%", "33%"]),
       draws=st.lists(st.floats(0, 1e7), min_size=1, max_size=200), steps=st.booleans(),
       scheme=st.sampled_from([("pool", None), ("active-passive", None),
                               ("active-passive", 3)]))
def test_closed_form_counts_match_the_exact_search(
        capacity: int, failures: int, ceiling: str, draws: list[float], steps: bool,
        scheme: tuple[str, int | None]) -> None:
    shape = shape_of(capacity, failures, ceiling, *scheme)
    values = np.array(draws)
    if steps:  # draws exactly on a step, where floats are least to be trusted
        usable = float(capacity * Fraction(ceiling.rstrip("%")) / 100)
        values = np.round(values / usable) * usable
    closed = shape.closed_form_counts(values)
    assert closed is not None
    exact = counts_for(values, shape.required)
    assert closed.tolist() == exact.tolist()


def test_pools_with_more_limits_take_the_exact_path() -> None:
    topology = capplan.Topology.model_validate({
        "site": "s", "traffic": {"peak_rps": 1000},
        "tiers": [{"name": "web", "redundancy": "pool", "zones": 2, "zone_failures": 1,
                   "node": {"capacity_rps": 100}}]})
    shape = TierShape.of(topology.tiers[0], topology, 0)
    assert shape.closed_form_counts(np.array([1.0])) is None
    assert BEYOND > 1_000_000
