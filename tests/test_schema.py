"""render.schema: a draft-07 JSON Schema that agrees with the models, for editors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from capplan.render.schema import topology_schema
from capplan.units import NumberError, parse_number

ROOT = Path(__file__).resolve().parent.parent
FILES = [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "capplan" / "data" / "starter.yaml"]
VALIDATOR = jsonschema.Draft7Validator(topology_schema())


def objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every object schema (one with properties) anywhere in *node*."""
    if isinstance(node, dict):
        if "properties" in node:
            yield node
        for value in node.values():
            yield from objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from objects(item)


def test_schema_is_valid_draft_07() -> None:
    """The schema declares draft-07 and is valid against draft-07's meta-schema."""
    schema = topology_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


def test_no_2020_12_left() -> None:
    """No $defs, no references into them, no 2020-12-only keywords."""
    text = json.dumps(topology_schema())
    for keyword in ("$defs", "prefixItems", "unevaluatedProperties", "dependentRequired",
                    "$dynamicRef"):
        assert keyword not in text


def test_refs_carry_no_ignored_siblings() -> None:
    """Draft-07 ignores keywords beside $ref, so a $ref always stands alone."""
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                assert list(node) == ["$ref"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(topology_schema())


def test_every_key_is_described_and_closed() -> None:
    """Editors show a description for every key; unknown keys are refused everywhere."""
    for schema in objects(topology_schema()):
        assert schema.get("additionalProperties") is False
        for name, field in schema["properties"].items():
            assert field.get("description"), name


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_every_example_validates(path: Path) -> None:
    """Each shipped example and the init starter are valid under the schema."""
    VALIDATOR.validate(yaml.safe_load(path.read_text(encoding="utf-8")))


BLUEPRINT = yaml.safe_load((ROOT / "examples" / "blueprint.yaml").read_text(encoding="utf-8"))


def broken(change: str) -> dict[str, Any]:
    """The blueprint with one mistake, by name."""
    document: dict[str, Any] = json.loads(json.dumps(BLUEPRINT))
    web = document["tiers"][2]
    if change == "misspelt key":
        web["node"]["capacty_rps"] = web["node"].pop("capacity_rps")
    elif change == "unknown scheme":
        web["redundancy"] = "mesh"
    elif change == "uppercase name":
        web["name"] = "Web"
    elif change == "no site":
        del document["site"]
    elif change == "count in words":
        web["nodes"] = "ten"
    elif change == "millis suffix":
        web["node"]["capacity_rps"] = "150m"
    elif change == "fractional count":
        web["nodes"] = 2.5
    return document


@pytest.mark.parametrize("change", ["misspelt key", "unknown scheme", "uppercase name", "no site",
                                    "count in words", "millis suffix", "fractional count"])
def test_broken_documents_are_rejected(change: str) -> None:
    """Mistakes the loader refuses, the editor flags too."""
    assert not VALIDATOR.is_valid(broken(change))


def test_unit_strings_validate_where_numbers_go() -> None:
    """'40M', '1.2k', '80%' and '1e5' are accepted as the file format allows."""
    document = json.loads(json.dumps(BLUEPRINT))
    document["traffic"] = {"daily_requests": "40M", "peak_to_average": 2.5, "growth": "4%"}
    document["tiers"][2]["node"]["capacity_rps"] = "1.2k"
    document["policy"]["max_utilization"] = "80%"
    document["tiers"][1]["node"]["capacity_rps"] = "1e5"
    VALIDATOR.validate(document)


NUMBER_PATTERN = re.compile(
    topology_schema()["definitions"]["Node"]["properties"]["capacity_rps"]["anyOf"][1]["pattern"])


@given(st.decimals(min_value=0, max_value=10**9, allow_nan=False, places=3),
       st.sampled_from(["", "k", "M", "G", " k"]))
def test_pattern_accepts_what_the_parser_accepts(value: object, suffix: str) -> None:
    """Every unit string the parser turns into a number, the schema's pattern accepts."""
    text = f"{value}{suffix}"
    try:
        parse_number(text)
    except NumberError:
        return
    assert NUMBER_PATTERN.match(text)


def test_schema_is_deterministic() -> None:
    """Two calls give the same document, byte for byte."""
    assert json.dumps(topology_schema()) == json.dumps(topology_schema())


def test_defaults_are_numbers() -> None:
    """Exact-fraction defaults appear as JSON numbers, not strings."""
    policy = topology_schema()["definitions"]["Policy"]["properties"]
    assert policy["max_utilization"]["default"] == 1
    assert policy["min_runway_months"]["default"] == 0


@pytest.mark.parametrize("text", ["80 pct", "80%%", "%80", "eighty", "0.8.1"])
def test_malformed_ratio_strings_are_rejected_by_both(text: str) -> None:
    """A share the parser refuses is flagged by the schema's ratio pattern too."""
    with pytest.raises(NumberError):
        parse_number(text, percent=True)
    document = json.loads(json.dumps(BLUEPRINT))
    document["policy"]["max_utilization"] = text
    assert not VALIDATOR.is_valid(document)


def test_every_reference_points_into_definitions() -> None:
    """Each $ref resolves inside the draft-07 definitions."""
    text = json.dumps(topology_schema())
    assert text.count('"$ref": "#/definitions/') == text.count('"$ref"')


# --- numeric ranges: the editor refuses what the loader refuses, and only that ---------------


Key = tuple[str | int, ...]


def _at(document: Any, path: Key, value: Any) -> None:
    for part in path[:-1]:
        document = document[part]
    document[path[-1]] = value


Context = tuple[tuple[Key, Any], ...]
#: What some keys need around them to be valid at all (set before the key under test).
DAILY: Context = ((("traffic",), {"daily_requests": 1_000_000, "peak_to_average": 2}),)
PROFILE: Context = ((("traffic",), {"profile": [1, 2]}),)
RANGE: Context = ((("traffic", "peak_rps"), {"low": 1, "high": 2}),)
SHARE_RANGE: Context = ((("tiers", 1, "hit_ratio"), {"low": 0.5, "high": 0.7}),)
LATENCY: Context = ((("policy", "latency_ms"), {}),)
WORKERS: Context = ((("tiers", 2, "node"), {"capacity_rps": 150, "service_ms": 10}),)

#: (key path, a value just inside its range, a value just outside, what the key needs)
BOUNDS: list[tuple[Key, Any, Any, Context]] = [
    (("traffic", "growth"), -0.99, -1, ()),
    (("traffic", "growth"), 1, 1.01, ()),
    (("traffic", "horizon_months"), 0, -0.5, ()),
    (("traffic", "horizon_months"), 1200, 1200.5, ()),
    (("traffic", "request_bytes"), 0, -1, ()),
    (("traffic", "response_bytes"), 10**15, 10**15 + 1, ()),
    (("traffic", "peak_rps"), 0.001, 0, ()),
    (("traffic", "peak_rps"), 10**15, 10**15 + 1, ()),
    (("traffic", "peak_rps", "low"), 0.001, 0, RANGE),
    (("traffic", "peak_rps", "confidence"), 0.99, 1, RANGE),
    (("traffic", "peak_rps", "confidence"), 0.01, 0, RANGE),
    (("traffic", "daily_requests"), 0.001, 0, DAILY),
    (("traffic", "peak_to_average"), 1, 0.99, DAILY),
    (("traffic", "profile", 0), 0, -1, PROFILE),
    (("traffic", "profile"), [1], [], PROFILE),
    (("policy", "failures"), 0, -1, ()),
    (("policy", "failures"), 1_000_000, 1_000_001, ()),
    (("policy", "zone_failures"), 0, -1, ()),
    (("policy", "max_utilization"), 0.001, 0, ()),
    (("policy", "max_utilization"), 1, 1.01, ()),
    (("policy", "min_runway_months"), 1200, 1201, ()),
    (("policy", "availability"), 1, 1.01, ()),
    (("policy", "availability"), 0.001, 0, ()),
    (("policy", "confidence"), 0.999, 1, ()),
    (("policy", "confidence"), 0.001, 0, ()),
    (("policy", "latency_ms", "p99"), 0.001, 0, LATENCY),
    (("tiers", 0, "standby"), 0, -1, ()),
    (("tiers", 1, "spread"), 1, 0, ()),
    (("tiers", 1, "hit_ratio"), 1, 1.01, ()),
    (("tiers", 1, "hit_ratio"), 0, -0.01, ()),
    (("tiers", 1, "hit_ratio", "low"), 0.01, 0, SHARE_RANGE),
    (("tiers", 1, "hit_ratio", "high"), 0.99, 1, SHARE_RANGE),
    (("tiers", 1, "cold_hit_ratio"), 0, -0.01, ()),
    (("tiers", 2, "nodes"), 1, 0, ()),
    (("tiers", 2, "nodes"), 1_000_000, 1_000_001, ()),
    (("tiers", 2, "zones"), 1, 0, ()),
    (("tiers", 2, "failures"), 0, -1, ()),
    (("tiers", 2, "max_utilization"), 1, 1.01, ()),
    (("tiers", 2, "min_runway_months"), 0, -1, ()),
    (("tiers", 2, "per_request"), 0.001, 0, ()),
    (("tiers", 2, "node", "capacity_rps"), 0.001, 0, ()),
    (("tiers", 2, "node", "bandwidth_mbps"), 0.001, 0, ()),
    (("tiers", 2, "node", "cost"), 0, -0.01, ()),
    (("tiers", 2, "node", "workers"), 1, 0, WORKERS),
    (("tiers", 2, "node", "workers"), 100_000, 100_001, WORKERS),
    (("tiers", 2, "node", "service_ms"), 0.001, 0, WORKERS),
]


def _bounded_document(path: Key, value: Any, context: Context) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(BLUEPRINT))
    for where, needed in context:
        _at(document, where, json.loads(json.dumps(needed)))
    _at(document, path, value)
    return document


@pytest.mark.parametrize(("path", "inside", "outside", "context"), BOUNDS,
                         ids=[f"{'.'.join(map(str, p))}={o}" for p, _, o, _ in BOUNDS])
def test_bounded_keys_agree_with_the_loader(path: Key, inside: Any, outside: Any,
                                            context: Context) -> None:
    """Just inside a key's range both the schema and the loader accept; just outside, neither."""
    from capplan.loader import InvalidInput, load_text

    accepted = _bounded_document(path, inside, context)
    assert VALIDATOR.is_valid(accepted), list(VALIDATOR.iter_errors(accepted))
    load_text(json.dumps(accepted))
    refused = _bounded_document(path, outside, context)
    assert not VALIDATOR.is_valid(refused)
    with pytest.raises(InvalidInput):
        load_text(json.dumps(refused))


def test_a_bare_share_above_one_is_flagged_by_the_editor() -> None:
    """`max_utilization: 85` (meant as 85%) is an editor error, as the loader refuses it."""
    document = json.loads(json.dumps(BLUEPRINT))
    document["policy"]["max_utilization"] = 85
    assert not VALIDATOR.is_valid(document)
