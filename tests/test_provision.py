"""render.provision and `capplan export`: each target parsed back and checked for its consumer."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from capplan.cli import app
from capplan.loader import load_file
from capplan.render.provision import (
    DEFAULT_METRIC,
    ExportTier,
    export_tiers,
    to_ansible,
    to_kubernetes,
    to_prometheus,
    to_terraform,
)
from capplan.schemes import make_scheme
from capplan.sizing import holding_limit, plan

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT = ROOT / "examples" / "blueprint.yaml"
TOPOLOGY = load_file(BLUEPRINT).topology
runner = CliRunner()


def rows(counts: str = "required") -> list[ExportTier]:
    """The blueprint's export rows."""
    return export_tiers(TOPOLOGY, counts)  # type: ignore[arg-type]


def test_required_counts_equal_the_plan() -> None:
    """Exported counts are exactly plan's nodes_required (or the declared nodes)."""
    planned = plan(TOPOLOGY).tiers
    assert [row.nodes for row in rows()] == [tier.nodes_required for tier in planned]
    assert [row.nodes for row in rows("declared")] == [tier.nodes for tier in planned]


def test_ansible_inventory_layout() -> None:
    """One group per tier under all.children, hosts tier-1…N, the capplan_* group vars."""
    inventory = yaml.safe_load(to_ansible("zope", rows()))
    groups = inventory["all"]["children"]
    assert list(groups) == ["lb", "cache", "web", "storage"]
    web = groups["web"]
    assert list(web["hosts"]) == [f"web-{i}" for i in range(1, 9)]
    assert web["vars"] == {"capplan_redundancy": "pool", "capplan_nodes": 8,
                           "capplan_failures": 1}


def test_ansible_group_names_avoid_dashes() -> None:
    """Ansible warns on '-' in group names: tier app-eu becomes group app_eu, hosts keep it."""
    row = ExportTier("app-eu", "pool", 1, 2, 2, Fraction(10), Fraction(1, 2))
    groups = yaml.safe_load(to_ansible("s", [row]))["all"]["children"]
    assert list(groups) == ["app_eu"]
    assert list(groups["app_eu"]["hosts"]) == ["app-eu-1", "app-eu-2"]


def test_terraform_tfvars() -> None:
    """A flat JSON object of <tier>_node_count numbers."""
    assert json.loads(to_terraform("zope", rows())) == {
        "lb_node_count": 2, "cache_node_count": 2, "web_node_count": 8, "storage_node_count": 3}


def test_kubernetes_documents_have_every_required_field() -> None:
    """PDB policy/v1 and HPA autoscaling/v2 per tier, then a Kustomization of replicas."""
    documents = list(yaml.safe_load_all(to_kubernetes("zope", rows())))
    kinds = [document["kind"] for document in documents]
    assert kinds == ["PodDisruptionBudget", "HorizontalPodAutoscaler"] * 4 + ["Kustomization"]
    for document in documents[:-1]:
        assert document["apiVersion"] in ("policy/v1", "autoscaling/v2")
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", document["metadata"]["name"])
    web_pdb, web_hpa = documents[4], documents[5]
    assert web_pdb["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}
    spec = web_hpa["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                      "name": "web"}
    assert spec["minReplicas"] == 8
    assert spec["maxReplicas"] >= spec["minReplicas"]
    [metric] = spec["metrics"]
    # 8 web nodes hold N+1 at 80% up to 840 rps: 840 / (8 × 150) = 70% with all up.
    assert metric == {"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
    assert documents[-1]["replicas"] == [{"name": row.name, "count": row.nodes} for row in rows()]


def test_kubernetes_output_has_no_yaml_aliases() -> None:
    """Consumers such as kubectl read plain YAML: no anchors or aliases."""
    assert "&id" not in to_kubernetes("zope", rows())


def rules(text: str) -> list[dict[str, Any]]:
    """The rules of a Prometheus rules file."""
    [group] = yaml.safe_load(text)["groups"]
    return list(group["rules"])


def test_prometheus_rules_fire_above_the_holding_rate() -> None:
    """One full rule per tier; its threshold is the rate up to which the count holds."""
    found = rules(to_prometheus("zope", rows()))
    assert [rule["labels"]["tier"] for rule in found] == ["lb", "cache", "web", "storage"]
    for rule, row in zip(found, rows(), strict=True):
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}
        assert re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", rule["alert"])
        metric, _, threshold = rule["expr"].rpartition(" > ")
        assert metric == DEFAULT_METRIC.replace("{tier}", row.name)
        assert row.holds_up_to_rps is not None
        assert float(threshold) == pytest.approx(float(row.holds_up_to_rps), rel=1e-6)
    assert found[2]["expr"].endswith("> 840")


def test_prometheus_metric_template_with_braces() -> None:
    """--metric keeps PromQL's own braces and fills only {tier}."""
    template = 'sum by (svc) (rate(requests{svc="{tier}",code!~"5.."}[1m]))'
    [first, *_] = rules(to_prometheus("zope", rows(), template))
    assert first["expr"] == 'sum by (svc) (rate(requests{svc="lb",code!~"5.."}[1m])) > 40000'


def test_count_that_never_holds_always_alerts() -> None:
    """A count that holds at no rate gets a rule that always fires and an HPA warning."""
    row = ExportTier("zope", "active-passive", 2, 2, 4, None, None)
    [rule] = rules(to_prometheus("s", [row]))
    assert rule["expr"] == "vector(1)"
    [_, hpa, _] = list(yaml.safe_load_all(to_kubernetes("s", [row])))
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 1
    assert "do not hold" in hpa["metadata"]["annotations"]["capplan/warning"]


@settings(deadline=None, max_examples=150)
@given(st.sampled_from(["pool", "ring", "active-passive"]), st.integers(2, 40),
       st.integers(0, 3), st.integers(1, 4), st.sampled_from([Fraction(1, 2), Fraction(4, 5),
                                                               Fraction(1)]))
def test_holding_limit_is_the_boundary(redundancy: str, nodes: int, k: int, spread: int,
                                       ceiling: Fraction) -> None:
    """The tier holds its policy at the limit rate and not one part in a million above."""
    scheme = make_scheme(redundancy, spread=spread, standby=max(1, min(k, nodes - 1)))
    if nodes < scheme.minimum_nodes():
        return
    capacity = Fraction(150)
    limit = holding_limit(scheme, nodes, capacity, ceiling, k, Fraction(100))
    if limit is None:
        assert not scheme.worst(nodes, Fraction(1), capacity, k).holds(ceiling) \
            or scheme.strands(nodes, k)
        return
    assert scheme.worst(nodes, limit, capacity, k).holds(ceiling)
    assert not scheme.worst(nodes, limit * Fraction(1_000_001, 1_000_000), capacity,
                            k).holds(ceiling)


def test_export_command_writes_each_target(tmp_path: Path) -> None:
    """`capplan export --to X -o FILE` writes what the renderer gives, for every target."""
    for target in ("ansible", "terraform", "kubernetes", "prometheus"):
        out = tmp_path / f"out.{target}"
        result = runner.invoke(app, ["export", str(BLUEPRINT), "--to", target, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text()


def test_export_declared_needs_declared_counts() -> None:
    """--counts declared on a file with undeclared tiers is a usage error naming them."""
    result = runner.invoke(app, ["export", str(ROOT / "examples" / "sizing-question.yaml"),
                                 "--to", "terraform", "--counts", "declared"])
    assert result.exit_code == 2
    assert "edge, app, queue, db declare no nodes" in result.stderr


def test_metric_only_for_prometheus() -> None:
    """--metric with another target is refused rather than ignored."""
    result = runner.invoke(app, ["export", str(BLUEPRINT), "--to", "ansible", "--metric", "x"])
    assert result.exit_code == 2
