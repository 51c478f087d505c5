"""Provisioning documents for the node counts (``capplan export``), one target each.

The rows come from :mod:`capplan.export` (which count each target uses, and why, is
decided there); this module only writes them in each consumer's format.

* **ansible** — a YAML inventory: one group per tier under ``all.children`` with hosts
  ``<tier>-1 … <tier>-N`` and group vars ``capplan_redundancy``, ``capplan_nodes`` and
  ``capplan_failures`` (and ``capplan_standby`` for active-passive tiers). Ansible warns
  about ``-`` in group names, so the group of tier ``app-eu`` is ``app_eu``; host names
  keep the tier's own spelling. The host lines are
  written from a per-tier template, not through the YAML emitter, so a million hosts take
  a fraction of a second; the text is byte for byte what the emitter would write.
* **terraform** — a JSON object ``{"<tier>_node_count": N, …}`` for a
  ``*.auto.tfvars.json`` file (Terraform identifiers may contain ``-``).
* **kubernetes** — per tier a PodDisruptionBudget (``policy/v1``, ``maxUnavailable`` = the
  tier's k, selecting ``app: <tier>``) and a HorizontalPodAutoscaler (``autoscaling/v2``
  on the Deployment ``<tier>``, ``minReplicas`` = the count, ``maxReplicas`` = the largest of
  twice the count, the declared count and the count required at the horizon, and a CPU
  target ``averageUtilization`` = the utilization averaged over all of the tier's pods
  above which the tier no longer holds N+k, assuming CPU tracks load against
  ``capacity_rps``; names must be DNS labels); then a Kustomization whose ``replicas``
  list sets each Deployment's count: save that last document apart as a kustomization.yaml
  (``kubectl apply -f`` takes the others). A count that holds at no rate gets a target of
  1% and an annotation saying so. With ``failures: 0`` the budget allows no voluntary
  eviction at all, as the policy says.

  Twice the count, because an autoscaler whose floor is its ceiling never acts, so its
  target would mean nothing: the floor holds the planning peak, and the autoscaler covers
  a peak up to about twice that, beyond which spending more is the operator's decision.
  The target is the limit at the floor; more pods hold the policy at a higher average, so
  it scales early, never late.

  An **active-passive** tier gets no autoscaler, and its budget says why in the
  annotation ``capplan/autoscaling``: its idle standbys pull the pod average down (35%
  when the actives reach 70%), and a pod the autoscaler adds may be one more standby that
  carries nothing, while the average it scales on falls, so the actives could stay
  overloaded with the autoscaler satisfied. The annotation gives the all-pod figure for
  whoever runs every added pod as an active.
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
from fractions import Fraction
from typing import Any

from capplan.errors import InvalidArgument
from capplan.export import ExportTier
from capplan.units import count_noun

DEFAULT_METRIC = 'sum(rate(http_requests_total{job="{tier}"}[5m]))'
MANAGED_BY = {"app.kubernetes.io/managed-by": "capplan"}
#: How long the rate must stay above the limit before the alert fires.
ALERT_FOR = "5m"


class UnfitName(InvalidArgument):
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


def to_ansible(site: str, tiers: Sequence[ExportTier]) -> str:
    """A YAML inventory with one group per tier under all.children."""
    groups = _ansible_groups(tiers)
    # The YAML emitter takes 16 s over a million hosts, so it only lays out a skeleton with
    # one marker host per group; each marker line then becomes the group's host lines.
    markers = [f"capplan-hosts-{index}" for index in range(len(tiers))]
    children = {
        group: {
            "hosts": {marker: None} if tier.nodes > 0 else {},
            "vars": {"capplan_redundancy": tier.redundancy, "capplan_nodes": tier.nodes,
                     "capplan_failures": tier.failures,
                     # Which instance types to create, for a tier of node types.
                     **({} if tier.types is None else {"capplan_node_types": tier.types}),
                     # The idle standbys the count was sized with: a playbook must
                     # know which hosts to keep passive.
                     **({} if tier.redundancy != "active-passive"
                        else {"capplan_standby": tier.nodes - (tier.active or tier.nodes)})},
        }
        for group, tier, marker in zip(groups, tiers, markers, strict=True)
    }
    skeleton = _yaml({"all": {"children": children}})
    chunks = [f"# Ansible inventory for {site}, written by capplan export\n"]
    for tier, marker in zip(tiers, markers, strict=True):
        if tier.nodes == 0:
            continue
        line = f"{HOST_INDENT}{marker}: null\n"
        before, found, skeleton = skeleton.partition(line)
        assert found, "the marker host is where the emitter puts a group's hosts"
        chunks.append(before)
        chunks.extend(_host_lines(tier.name, tier.nodes))
    chunks.append(skeleton)
    return "".join(chunks)


#: Where the emitter puts a host of all.children.<group>.hosts.
HOST_INDENT = " " * 8


def _host_lines(name: str, count: int) -> list[str]:
    """Hosts <name>-1 … <name>-count, each as the emitter writes it, a block per digit count.

    Whether a key is quoted (``'---1'``) or written as a complex key (``? …``, past 128
    characters) depends on the name and the key's length, never on which digits follow
    the ``-``: no YAML 1.1 implicit type matches a key with a '-' between a name that
    cannot start with a digit and the number. So one emitted key per length is the template.
    """
    blocks = []
    low = 1
    while low <= count:
        high = min(count, 10 * low - 1)
        sample = f"{name}-{low}"
        rendered = "".join(HOST_INDENT + line
                           for line in _yaml({sample: None}).splitlines(keepends=True))
        prefix, found, suffix = rendered.partition(sample)
        assert found, rendered
        assert sample not in suffix, rendered
        blocks.append("".join(f"{prefix}{name}-{i}{suffix}" for i in range(low, high + 1)))
        low *= 10
    return blocks


def _group(name: str) -> str:
    return name.replace("-", "_")


def to_terraform(site: str, tiers: Sequence[ExportTier]) -> str:
    """A tfvars JSON object of node counts (JSON has no comments, so *site* is unused)."""
    del site
    _check_names(tiers, lambda name: not name[0].isdigit(),
                 "starts with a digit, which Terraform variable names may not")
    variables: dict[str, Any] = {}
    for tier in tiers:
        variables[f"{tier.name}_node_count"] = tier.nodes
        if tier.types is not None:
            # Which instance types to create: a count is not enough for a mix.
            variables[f"{tier.name}_node_types"] = tier.types
    return json.dumps(variables, indent=2) + "\n"


def to_kubernetes(site: str, tiers: Sequence[ExportTier]) -> str:
    """PodDisruptionBudget and HorizontalPodAutoscaler per tier, then a Kustomization."""
    _check_names(tiers, lambda name: KUBERNETES_NAME.fullmatch(name) is not None,
                 "is not a Kubernetes object name (lowercase letters, digits and '-', "
                 "starting and ending with a letter or digit)")
    documents: list[dict[str, Any]] = []
    for tier in tiers:
        annotations = {"capplan/site": site}
        if tier.types is not None:
            annotations["capplan/node-types"] = ", ".join(
                f"{name}: {count}" for name, count in tier.types.items())
        target = _percent(tier.holds_up_to_utilization)
        if target is None:
            annotations["capplan/warning"] = (f"{count_noun(tier.nodes, 'node')} do not hold N+"
                                              f"{tier.failures} at any load")
        standing = tier.redundancy == "active-passive"
        def metadata(name: str = tier.name, notes: dict[str, str] = annotations
                     ) -> dict[str, Any]:
            # A fresh mapping per document: shared objects would come out as YAML aliases.
            return {"name": name, "labels": {"app": name, **MANAGED_BY},
                    "annotations": dict(notes)}

        budget = metadata()
        if standing:
            budget["annotations"]["capplan/autoscaling"] = _no_autoscaler(tier)
        documents.append({
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": budget,
            "spec": {"maxUnavailable": tier.failures,
                     "selector": {"matchLabels": {"app": tier.name}}},
        })
        if standing:
            continue
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


def _no_autoscaler(tier: ExportTier) -> str:
    """Why an active-passive tier has no autoscaler, with the figure one would need."""
    why = ("no HorizontalPodAutoscaler: idle standbys pull the pod average down, and a pod "
           "the autoscaler adds may be one more standby that carries nothing while the "
           "average it scales on falls; scale this tier by its plan")
    share = tier.holds_up_to_utilization
    if share is None:
        return why
    active = tier.nodes if tier.active is None else tier.active
    return (f"{why}. Where N+{tier.failures} stops holding, the actives ({active} of "
            f"{tier.nodes} pods) run at {_percent(share * tier.nodes / active)}% and all "
            f"pods average {_percent(share)}%")


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
        nodes = count_noun(tier.nodes, "node")
        if limit is None:
            expr = "vector(1)"
            description = (f"{nodes} of {tier.name} do not hold N+{tier.failures} at "
                           "any request rate; add nodes (capplan plan shows how many).")
        else:
            expr = f"{rate} > {_number(limit)}"
            description = (f"{tier.name} carries more than {_number(limit)} rps, the rate up "
                           f"to which {nodes} hold N+{tier.failures}; add nodes "
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
    # From bit lengths, not a float log10, which fails outside the float range; the
    # estimate is off by at most one either way, and the loops make it exact.
    exponent = math.floor((value.numerator.bit_length() - value.denominator.bit_length())
                          * math.log10(2))
    while Fraction(10) ** exponent > value:
        exponent -= 1
    while Fraction(10) ** (exponent + 1) <= value:
        exponent += 1
    places = max(0, 5 - exponent)
    floored = math.floor(value * 10**places)
    text = f"{floored // 10**places}" if places == 0 else \
        f"{floored // 10**places}.{floored % 10**places:0{places}d}".rstrip("0").rstrip(".")
    return text



def _yaml(document: Any) -> str:
    from capplan.render.data import to_yaml

    return to_yaml(document)
