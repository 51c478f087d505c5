"""Machine formats: JSON and YAML of the same document, byte-for-byte stable."""

from __future__ import annotations

import json
from typing import Any


def to_json(document: Any) -> str:
    """Pretty JSON; NaN and infinities are bugs upstream, so refuse rather than emit them."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_yaml(document: Any) -> str:
    """Block-style YAML with the document's own key order (YAML 1.1 safe types only)."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(
        document, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
        width=100,
    )
    return text
