"""Provisioning documents for the node counts (``capplan export``), one target each.

* **ansible** — a YAML inventory: one group per tier under ``all.children`` with hosts
  ``<tier>-1 … <tier>-N`` and group vars ``capplan_redundancy``, ``capplan_nodes`` and
  ``capplan_failures``. Ansible warns about ``-`` in group names, so the group of tier
  ``app-eu`` is ``app_eu``; host names keep the tier's own spelling.
* **terraform** — a JSON object ``{"<tier>_node_count": N, …}`` for a
  ``*.auto.tfvars.json`` file (Terraform identifiers may contain ``-``).
* **kubernetes** — per tier a PodDisruptionBudget (``policy/v1``, ``maxUnavailable`` = the
  tier's k, selecting ``app: <tier>``) and a HorizontalPodAutoscaler (``autoscaling/v2``
  on the Deployment ``<tier>``, ``minReplicas`` = the count, ``maxReplicas`` = the largest of
  the count, the declared count and the count required at the horizon, and a CPU target
  ``averageUtilization`` = the all-up utilization above which the tier no longer holds
  N+k, assuming CPU tracks load against ``capacity_rps``; names must be DNS labels); then
  a Kustomization whose
  ``replicas`` list sets each Deployment's count: save that last document apart as a
  kustomization.yaml (``kubectl apply -f`` takes the others). A count that holds at no
  rate gets a target of 1% and an annotation saying so. With ``failures: 0`` the budget
  allows no voluntary eviction at all, as the policy says.
* **prometheus** — an alerting-rules file: one rule per tier that fires when the tier's
  request rate stays above the rate up to which its count holds the policy. ``--metric``
  is a PromQL template; ``{tier}`` in it becomes the tier's name. The threshold keeps six
  significant digits, rounded down, so the alert never fires later than it should. A tier
  whose count holds
  at no rate gets a rule that always fires (``vector(1)``), so the gap cannot go unseen.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from capplan.model import Topology

Counts = Literal["required", "declared"]

DEFAULT_METRIC = 'sum(rate(http_requests_total{job="{tier}"}[5m]))'
MANAGED_BY = {"app.kubernetes.io/managed-by": "capplan"}
#: How long the rate must stay above the limit before the alert fires.
ALERT_FOR = "5m"


class UndeclaredCount(ValueError):
    """``--counts declared`` on a tier that declares no count."""


class UnfitName(ValueError):
    """A tier name the file allows but the target's consumer does not; *index* is the tier."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


#: Ansible groups it defines itself; a tier of that name would merge into them.
ANSIBLE_RESERVED = frozenset({"all", "ungrouped"})
#: A DNS-1123 label: what Kubernetes takes as a Deployment, PDB or HPA name.
KUBERNETES_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def _ansible_groups(tiers: Sequence[ExportTier]) -> list[str]:
    """Each tier's group name, refusing names Ansible would warn about, merge or reserve."""
    groups: dict[str, str] = {}
    for index, tier in enumerate(tiers):
        group = _group(tier.name)
        if group in ANSIBLE_RESERVED:
            raise UnfitName(f"tier '{tier.name}' would be Ansible's own group '{group}'; "
                            "rename the tier", index)
        if group[0].isdigit():
            raise UnfitName(f"tier '{tier.name}' starts with a digit, which Ansible group "
                            "names may not; rename the tier", index)
        if group in groups:
            raise UnfitName(f"tiers '{groups[group]}' and '{tier.name}' would both be Ansible "
                            f"group '{group}'; rename one", index)
        groups[group] = tier.name
    return list(groups)


def _check_names(tiers: Sequence[ExportTier], fits: Callable[[str], bool], why: str) -> None:
    for index, tier in enumerate(tiers):
        if not fits(tier.name):
            raise UnfitName(f"tier '{tier.name}' {why}; rename the tier", index)


@dataclass(frozen=True)
class ExportTier:
    """One tier as provisioning sees it."""

    name: str
    redundancy: str
    failures: int
    nodes: int
    max_nodes: int
    holds_up_to_rps: Fraction | None
    holds_up_to_utilization: Fraction | None


def export_tiers(topology: Topology, counts: Counts = "required") -> list[ExportTier]:
    """Each tier's count (required at the planning peak, or declared) and its limits."""
    from capplan import demand as flow
    from capplan.sizing import TierShape, holding_limit, plan

    site = plan(topology)
    undeclared = [tier.name for tier in site.tiers if tier.nodes is None]
    if counts == "declared" and undeclared:
        raise UndeclaredCount(f"--counts declared: {', '.join(undeclared)} declare"
                              f"{'s' if len(undeclared) == 1 else ''} no nodes; declare them "
                              "or use --counts required")
    rows = []
    for index, (tier, model_tier) in enumerate(zip(site.tiers, topology.tiers, strict=True)):
        shape = TierShape.of(model_tier, topology, index)
        declared = counts == "declared"
        count = tier.nodes if declared and tier.nodes is not None else tier.nodes_required
        scheme = shape.scheme_for(declared)
        limit = holding_limit(scheme, count, shape.capacity, shape.max_utilization,
                              shape.failures, tier.demand, tier.cascade_demand)
        utilization = None if limit is None \
            else flow.tame(limit / (scheme.holding_nodes(count) * shape.capacity))
        rows.append(ExportTier(tier.name, tier.redundancy, tier.failures, count,
                               max(count, tier.nodes or 0, tier.nodes_required), limit,
                               utilization))
    return rows


def to_ansible(site: str, tiers: Sequence[ExportTier]) -> str:
    """A YAML inventory with one group per tier under all.children."""
    groups = _ansible_groups(tiers)
    children = {
        group: {
            "hosts": {f"{tier.name}-{i}": None for i in range(1, tier.nodes + 1)},
            "vars": {"capplan_redundancy": tier.redundancy, "capplan_nodes": tier.nodes,
                     "capplan_failures": tier.failures},
        }
        for group, tier in zip(groups, tiers, strict=True)
    }
    return f"# Ansible inventory for {site}, written by capplan export\n" + _yaml(
        {"all": {"children": children}})


def _group(name: str) -> str:
    return name.replace("-", "_")


def to_terraform(site: str, tiers: Sequence[ExportTier]) -> str:
    """A tfvars JSON object of node counts (JSON has no comments, so *site* is unused)."""
    del site
    _check_names(tiers, lambda name: not name[0].isdigit(),
                 "starts with a digit, which Terraform variable names may not")
    return json.dumps({f"{tier.name}_node_count": tier.nodes for tier in tiers},
                      indent=2) + "\n"


def to_kubernetes(site: str, tiers: Sequence[ExportTier]) -> str:
    """PodDisruptionBudget and HorizontalPodAutoscaler per tier, then a Kustomization."""
    _check_names(tiers, lambda name: KUBERNETES_NAME.fullmatch(name) is not None,
                 "is not a Kubernetes object name (lowercase letters, digits and '-', "
                 "starting and ending with a letter or digit)")
    documents: list[dict[str, Any]] = []
    for tier in tiers:
        annotations = {"capplan/site": site}
        target = _percent(tier.holds_up_to_utilization)
        if target is None:
            annotations["capplan/warning"] = (f"{_nodes(tier.nodes)} do not hold N+"
                                              f"{tier.failures} at any load")
        def metadata(name: str = tier.name, notes: dict[str, str] = annotations
                     ) -> dict[str, Any]:
            # A fresh mapping per document: shared objects would come out as YAML aliases.
            return {"name": name, "labels": {"app": name, **MANAGED_BY},
                    "annotations": dict(notes)}

        documents.append({
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": metadata(),
            "spec": {"maxUnavailable": tier.failures,
                     "selector": {"matchLabels": {"app": tier.name}}},
        })
        documents.append({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": metadata(),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                   "name": tier.name},
                "minReplicas": tier.nodes,
                "maxReplicas": tier.max_nodes,
                "metrics": [{"type": "Resource", "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": target or 1}}}],
            },
        })
    documents.append({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "replicas": [{"name": tier.name, "count": tier.nodes} for tier in tiers],
    })
    return "".join("---\n" + _yaml(document) for document in documents)


def _percent(utilization: Fraction | None) -> int | None:
    """Whole percent, rounded down so the autoscaler acts before the limit, at least 1."""
    if utilization is None:
        return None
    return max(1, math.floor(utilization * 100))


def to_prometheus(site: str, tiers: Sequence[ExportTier], metric: str = DEFAULT_METRIC) -> str:
    """One alerting rule per tier: its request rate above the rate its count holds."""
    rules = []
    for tier in tiers:
        rate = metric.replace("{tier}", tier.name)
        limit = tier.holds_up_to_rps
        if limit is None:
            expr = "vector(1)"
            description = (f"{_nodes(tier.nodes)} of {tier.name} do not hold N+{tier.failures} at "
                           "any request rate; add nodes (capplan plan shows how many).")
        else:
            expr = f"{rate} > {_number(limit)}"
            description = (f"{tier.name} carries more than {_number(limit)} rps, the rate up "
                           f"to which {_nodes(tier.nodes)} hold N+{tier.failures}; add nodes "
                           "before the next failure.")
        rules.append({
            "alert": "CapplanTierOverCapacity",
            "expr": expr,
            "for": ALERT_FOR,
            "labels": {"severity": "warning", "tier": tier.name, "site": site},
            "annotations": {"summary": f"{tier.name} is past its N+{tier.failures} capacity",
                            "description": description},
        })
    return _yaml({"groups": [{"name": f"capplan-{site}", "rules": rules}]})


def _number(value: Fraction) -> str:
    """A rate for PromQL: six significant digits, rounded down, never an exponent.

    Rounded down so that the alert fires at or before the rate where the policy breaks,
    never after it; exact arithmetic, so tiny limits keep their digits.
    """
    if value <= 0:
        return "0"
    places = max(0, 5 - math.floor(math.log10(value)))
    # log10 of a float can be off by one at a power of ten; fix the digit count exactly.
    while value * 10**places >= 10**6 and places > 0:
        places -= 1
    floored = math.floor(value * 10**places)
    text = f"{floored // 10**places}" if places == 0 else \
        f"{floored // 10**places}.{floored % 10**places:0{places}d}".rstrip("0").rstrip(".")
    return text


def _nodes(count: int) -> str:
    return f"{count} node{'' if count == 1 else 's'}"


def _yaml(document: Any) -> str:
    from capplan.render.data import to_yaml

    return to_yaml(document)
