"""Small builders shared by the tests: a topology from a few keyword arguments."""

from __future__ import annotations

from typing import Any

from capplan.model import Topology


def topology(*tiers: dict[str, Any], traffic: dict[str, Any] | None = None,
             policy: dict[str, Any] | None = None) -> Topology:
    """A validated topology with the given tiers (defaults: 1000 rps, N+1 at 100%)."""
    document: dict[str, Any] = {
        "site": "test",
        "traffic": traffic if traffic is not None else {"peak_rps": 1000},
        "tiers": list(tiers),
    }
    if policy is not None:
        document["policy"] = policy
    return Topology.model_validate(document)


def tier(name: str = "web", redundancy: str = "pool", capacity: object = 100,
         **extra: Any) -> dict[str, Any]:
    """One tier's mapping, as a file would hold it."""
    node: dict[str, Any] = {} if capacity is None else {"capacity_rps": capacity}
    node.update(extra.pop("node", {}))
    return {"name": name, "redundancy": redundancy, "node": node, **extra}


def fed_by(*upstreams: str) -> dict[str, Any]:
    """The `from` key, a Python keyword, for `tier(..., **fed_by("lb"))`.

    Typed as a mapping of anything so that mypy does not match a list of names against
    `tier`'s string parameters, as it does for a literal `**{"from": [...]}`.
    """
    return {"from": list(upstreams)}
