"""The topology file's JSON Schema (draft-07) for editors, generated from the models.

pydantic writes JSON Schema 2020-12; yaml-language-server (VS Code's YAML extension, and
others built on it) reads draft-07. The differences that matter for these models:

* ``$defs`` becomes ``definitions``, and every ``#/$defs/…`` reference follows it;
* draft-07 ignores every keyword beside a ``$ref``, so a reference that carries a
  description is wrapped: ``{"allOf": [{"$ref": …}], "description": …}``;
* exact-fraction defaults, which pydantic writes as strings (``"0"``), become numbers.

Numbers accept both JSON numbers and capplan's unit strings (``40M``, ``80%``), as the
models' own validators do; the string patterns come from :mod:`capplan.model`. A JSON
number carries the loader's range (``minimum``, ``maximum``, ``exclusiveMinimum``…), so an
editor flags ``max_utilization: 85`` as capplan would; a unit string keeps its pattern only
(a range cannot see through ``%`` or ``k``), and the loader still has the last word.
"""

from __future__ import annotations

import re
from typing import Any

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
TITLE = "capplan topology"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def topology_schema() -> dict[str, Any]:
    """The draft-07 JSON Schema of a topology file."""
    from capplan.model import Topology

    generated = Topology.model_json_schema(by_alias=True, mode="validation")
    definitions = generated.pop("$defs", {})
    body = _convert(generated)
    schema: dict[str, Any] = {"$schema": DRAFT_07, "title": TITLE}
    schema.update({key: value for key, value in body.items() if key != "title"})
    schema["definitions"] = {name: _convert(value) for name, value in definitions.items()}
    return schema


def _convert(node: Any) -> Any:
    """Rewrite one 2020-12 schema node (recursively) as draft-07."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _convert(value) for key, value in node.items()
                 if key not in ("$ref", "default")}
    if "default" in node:
        converted["default"] = _number_default(node["default"])
    if "$ref" not in node:
        return converted
    reference = {"$ref": str(node["$ref"]).replace("#/$defs/", "#/definitions/")}
    if not converted:
        return reference
    # Siblings of $ref are ignored in draft-07: keep them by moving the $ref into allOf.
    return {"allOf": [reference], **converted}


def _number_default(value: Any) -> Any:
    """'0' → 0 and '4/5' → 0.8: pydantic serialises Fraction defaults as strings."""
    if not isinstance(value, str):
        return value
    numerator, _, denominator = value.partition("/")
    if _NUMBER.match(numerator) and (not denominator or denominator.isdigit()):
        number = float(numerator) / (int(denominator) if denominator else 1)
        return int(number) if number.is_integer() else number
    return value
