"""render.provision and `capplan export`: each target parsed back and checked for its consumer."""

from __future__ import annotations

import json
import math
import re
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from capplan.cli import app
from capplan.export import Counts, ExportTier, export_tiers
from capplan.loader import load_file
from capplan.render.data import to_yaml
from capplan.render.provision import (
    DEFAULT_METRIC,
    MANAGED_BY,
    UnfitName,
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


def rows(counts: Counts = "required") -> list[ExportTier]:
    """The blueprint's export rows."""
    return export_tiers(TOPOLOGY, counts)


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
    """A PDB per tier, an HPA per tier but active-passive ones, then a Kustomization."""
    documents = list(yaml.safe_load_all(to_kubernetes("zope", rows())))
    kinds = [(document["kind"], document.get("metadata", {}).get("name"))
             for document in documents]
    pdb, hpa = "PodDisruptionBudget", "HorizontalPodAutoscaler"
    assert kinds == [(pdb, "lb"), (pdb, "cache"), (hpa, "cache"), (pdb, "web"), (hpa, "web"),
                     (pdb, "storage"), ("Kustomization", None)]
    for document in documents[:-1]:
        assert document["apiVersion"] in ("policy/v1", "autoscaling/v2")
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", document["metadata"]["name"])
    web_pdb, web_hpa = documents[3], documents[4]
    assert web_pdb["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}
    spec = web_hpa["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                      "name": "web"}
    assert spec["minReplicas"] == 8
    assert spec["maxReplicas"] == 16
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
    row = ExportTier("zope", "pool", 2, 2, 4, None, None)
    [rule] = rules(to_prometheus("s", [row]))
    assert rule["expr"] == "vector(1)"
    [_, hpa, _] = list(yaml.safe_load_all(to_kubernetes("s", [row])))
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 1
    assert "do not hold" in hpa["metadata"]["annotations"]["capplan/warning"]
    standing = ExportTier("db", "active-passive", 2, 3, 6, None, None, active=1)
    [pdb, _] = list(yaml.safe_load_all(to_kubernetes("s", [standing])))
    assert "do not hold" in pdb["metadata"]["annotations"]["capplan/warning"]
    assert pdb["metadata"]["annotations"]["capplan/autoscaling"].startswith(
        "no HorizontalPodAutoscaler")


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


ALERT_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
#: DNS-1123 label: what Kubernetes accepts as a Deployment, PDB or HPA name.
K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
#: A Python identifier: what Ansible accepts as a group name without a warning.
ANSIBLE_GROUP = re.compile(r"[A-Za-z_]\w*")
#: A Terraform identifier: letters, digits, _ and -, not starting with a digit.
TERRAFORM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
RENDERERS = (to_ansible, to_terraform, to_kubernetes, to_prometheus)

SITE = [
    ExportTier("lb", "active-passive", 1, 2, 2, Fraction(40000), Fraction(1, 2)),
    ExportTier("web-eu", "pool", 1, 8, 11, Fraction(840), Fraction(7, 10)),
    ExportTier("cache", "ring", 2, 5, 5, Fraction(2000, 3), Fraction(4, 9)),
    ExportTier("db", "active-passive", 2, 2, 4, None, None),
]


def kube(tiers: list[ExportTier], site: str = "zope") -> list[dict[str, Any]]:
    """The Kubernetes documents, parsed."""
    return list(yaml.safe_load_all(to_kubernetes(site, tiers)))


def site_rules(tiers: list[ExportTier], metric: str = DEFAULT_METRIC) -> list[dict[str, Any]]:
    """The Prometheus rules, parsed."""
    [group] = yaml.safe_load(to_prometheus("zope", tiers, metric))["groups"]
    assert group["name"] == "capplan-zope"
    return list(group["rules"])


@pytest.mark.parametrize("render", RENDERERS)
def test_output_is_byte_for_byte_stable(render: Any) -> None:
    """Two calls on equal input give identical text, ending in one newline."""
    first, second = render("zope", list(SITE)), render("zope", list(SITE))
    assert first == second
    assert first.endswith("\n")
    assert not first.endswith("\n\n")


def test_every_kubernetes_object_is_labelled_and_annotated() -> None:
    """PDBs and HPAs carry the managed-by label, the app label and the site annotation."""
    documents = kube(SITE)
    for document in documents[:-1]:
        metadata = document["metadata"]
        assert metadata["labels"] == {"app": metadata["name"], **MANAGED_BY}
        assert metadata["annotations"]["capplan/site"] == "zope"


def by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """The documents of one kind, by name."""
    return {document["metadata"]["name"]: document for document in documents
            if document["kind"] == kind}


def test_kubernetes_fields_per_tier() -> None:
    """PDB maxUnavailable = k; HPA min = nodes, max = max_nodes; Kustomization = the counts."""
    documents = kube(SITE)
    pdbs = by_kind(documents, "PodDisruptionBudget")
    hpas = by_kind(documents, "HorizontalPodAutoscaler")
    assert list(pdbs) == [tier.name for tier in SITE]
    assert list(hpas) == [tier.name for tier in SITE if tier.redundancy != "active-passive"]
    assert len(documents) == len(pdbs) + len(hpas) + 1
    for tier in SITE:
        pdb = pdbs[tier.name]
        assert (pdb["apiVersion"], pdb["kind"]) == ("policy/v1", "PodDisruptionBudget")
        assert pdb["metadata"]["name"] == tier.name
        assert pdb["spec"] == {"maxUnavailable": tier.failures,
                               "selector": {"matchLabels": {"app": tier.name}}}
        if tier.name not in hpas:
            continue
        hpa = hpas[tier.name]
        assert (hpa["apiVersion"], hpa["kind"]) == ("autoscaling/v2", "HorizontalPodAutoscaler")
        spec = hpa["spec"]
        assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                          "name": tier.name}
        assert (spec["minReplicas"], spec["maxReplicas"]) == (tier.nodes, tier.max_nodes)
    kustomization = documents[-1]
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["replicas"] == [{"name": t.name, "count": t.nodes} for t in SITE]


def test_hpa_target_is_the_floor_percent() -> None:
    """4/9 all-up utilization is 44.4…%: the target is 44, below the limit, not 45."""
    hpa = by_kind(kube(SITE), "HorizontalPodAutoscaler")["cache"]
    [metric] = hpa["spec"]["metrics"]
    assert metric == {"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 44}}}


def test_custom_metric_template_keeps_promql_braces() -> None:
    """Only the literal {tier} is filled; label matchers and ranges survive untouched."""
    template = 'sum(rate(reqs{service="{tier}",code=~"2.."}[1m])) by (service)'
    [rule, *_] = site_rules(SITE, template)
    assert rule["expr"] == 'sum(rate(reqs{service="lb",code=~"2.."}[1m])) by (service) > 40000'


def test_fractional_threshold_has_no_exponent() -> None:
    """A limit of 2000/3 rps is written as a plain decimal PromQL accepts."""
    threshold = site_rules(SITE)[2]["expr"].rpartition(" > ")[2]
    assert re.fullmatch(r"\d+(\.\d+)?", threshold)
    assert threshold == "666.666"


names = st.from_regex(r"[a-z][a-z0-9]{0,7}(-[a-z0-9]{1,3}){0,2}", fullmatch=True).filter(
    lambda name: name not in {"all", "ungrouped"})
limits = st.fractions(min_value=Fraction(1, 100), max_value=10**7, max_denominator=10**4)
shares = st.fractions(min_value=Fraction(1, 1000), max_value=Fraction(3, 2),
                      max_denominator=1000)


@st.composite
def tiers(draw: st.DrawFn) -> list[ExportTier]:
    """A site of tiers whose names every target can take unchanged (or with - as _)."""
    rows = []
    for name in draw(st.lists(names, min_size=1, max_size=6, unique=True)):
        nodes = draw(st.integers(1, 40))
        holds = draw(st.booleans())
        rows.append(ExportTier(
            name, draw(st.sampled_from(["pool", "ring", "active-passive"])),
            draw(st.integers(0, 3)), nodes, nodes + draw(st.integers(0, 10)),
            draw(limits) if holds else None, draw(shares) if holds else None))
    return rows


@settings(deadline=None, max_examples=100)
@given(tiers())
def test_every_target_round_trips(site: list[ExportTier]) -> None:
    """For any site, each target parses back to exactly the counts, limits and names given."""
    groups = yaml.safe_load(to_ansible("s", site))["all"]["children"]
    assert list(groups) == [tier.name.replace("-", "_") for tier in site]
    for tier, group in zip(site, groups.values(), strict=True):
        assert list(group["hosts"]) == [f"{tier.name}-{i}" for i in range(1, tier.nodes + 1)]
        standby = {} if tier.redundancy != "active-passive" \
            else {"capplan_standby": tier.nodes - (tier.active or tier.nodes)}
        assert group["vars"] == {"capplan_redundancy": tier.redundancy,
                                 "capplan_nodes": tier.nodes, "capplan_failures": tier.failures,
                                 **standby}
    assert all(ANSIBLE_GROUP.fullmatch(group) for group in groups)

    assert json.loads(to_terraform("s", site)) == {
        f"{tier.name}_node_count": tier.nodes for tier in site}

    documents = kube(site, "s")
    pdbs = by_kind(documents, "PodDisruptionBudget")
    hpas = by_kind(documents, "HorizontalPodAutoscaler")
    for tier in site:
        pdb = pdbs[tier.name]
        assert K8S_NAME.fullmatch(pdb["metadata"]["name"])
        assert pdb["spec"]["maxUnavailable"] == tier.failures
        if tier.redundancy == "active-passive":
            assert tier.name not in hpas
            continue
        hpa = hpas[tier.name]
        assert hpa["spec"]["minReplicas"] == tier.nodes <= hpa["spec"]["maxReplicas"]
        target = hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"]
        share = tier.holds_up_to_utilization
        assert target == (1 if share is None else max(1, math.floor(share * 100)))
    assert documents[-1]["replicas"] == [{"name": t.name, "count": t.nodes} for t in site]

    found = site_rules(site)
    assert [rule["labels"]["tier"] for rule in found] == [tier.name for tier in site]
    for rule, tier in zip(found, site, strict=True):
        assert {"alert", "expr", "for", "labels", "annotations"} <= set(rule)
        assert ALERT_NAME.fullmatch(rule["alert"])
        assert {"summary", "description"} <= set(rule["annotations"])
        if tier.holds_up_to_rps is None:
            assert rule["expr"] == "vector(1)"
            continue
        metric, _, threshold = rule["expr"].rpartition(" > ")
        assert metric == DEFAULT_METRIC.replace("{tier}", tier.name)
        assert "e" not in threshold
        # Six significant digits, rounded down: never above the limit, within 1e-5 of it.
        assert Fraction(threshold) <= tier.holds_up_to_rps
        assert float(threshold) == pytest.approx(float(tier.holds_up_to_rps), rel=1e-5)



@pytest.mark.parametrize(("names", "render", "message"), [
    (["a-b", "a_b"], to_ansible, "tiers 'a-b' and 'a_b' would both be Ansible group 'a_b'"),
    (["all"], to_ansible, "would be Ansible's own group 'all'"),
    (["1web"], to_ansible, "starts with a digit"),
    (["1web"], to_terraform, "starts with a digit, which Terraform variable names may not"),
    (["app_eu"], to_kubernetes, "is not a Kubernetes object name"),
    (["web-"], to_kubernetes, "is not a Kubernetes object name"),
])
def test_names_a_consumer_cannot_take_are_refused(names: list[str], render: Any,
                                                   message: str) -> None:
    """A name the file allows but the target does not is refused, never renamed silently."""
    site = [ExportTier(name, "pool", 1, 2, 2, Fraction(10), Fraction(1, 2)) for name in names]
    with pytest.raises(UnfitName, match=re.escape(message)) as info:
        render("s", site)
    assert info.value.index == len(names) - 1


def test_threshold_rounds_down_and_keeps_small_limits() -> None:
    """840.0006 rps is written 840 (never 840.001, past the limit); 1e-5 keeps its digit."""
    near = ExportTier("web", "pool", 1, 2, 2, Fraction(8400006, 10000), Fraction(1, 2))
    tiny = ExportTier("db", "pool", 1, 2, 2, Fraction(1, 100000), Fraction(1, 2))
    found = site_rules([near, tiny])
    assert [rule["expr"].rpartition(" > ")[2] for rule in found] == ["840", "0.00001"]


def test_unfit_name_is_located_at_the_tier(tmp_path: Path) -> None:
    """`capplan export` points at the tier name a consumer cannot take (exit 2)."""
    path = tmp_path / "names.yaml"
    path.write_text("site: s\ntraffic: {peak_rps: 100}\ntiers:\n"
                    "  - {name: app_eu, redundancy: pool, nodes: 2, node: {capacity_rps: 100}}\n")
    result = runner.invoke(app, ["export", str(path), "--to", "kubernetes"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:4:12: kubernetes: tier 'app_eu' is not a "
                                    "Kubernetes object name")


def site_file(tmp_path: Path, tiers: str, traffic: str = "{peak_rps: 600}",
              policy: str = "{failures: 1, max_utilization: 100%}") -> str:
    """A topology file of *tiers* (YAML flow mappings, one per line) in *tmp_path*."""
    path = tmp_path / "site.yaml"
    path.write_text(f"site: s\ntraffic: {traffic}\npolicy: {policy}\ntiers:\n" + "".join(
        f"  - {tier}\n" for tier in tiers.strip().splitlines()))
    return str(path)


def test_prometheus_alerts_describe_the_declared_count(tmp_path: Path) -> None:
    """By default a threshold is what the deployed nodes hold, not the required ones."""
    # Two 1,000-rps ring nodes hold N+1 up to 1,000 rps; the 4 required would hold 2,000.
    path = site_file(tmp_path, "{name: zope, redundancy: ring, nodes: 2, "
                               "node: {capacity_rps: 1000}}", traffic="{peak_rps: 2000}")
    result = runner.invoke(app, ["export", path, "--to", "prometheus"])
    assert result.exit_code == 0, result.output
    [rule] = rules(result.stdout)
    assert rule["expr"].endswith(" > 1000")
    assert "2 nodes hold N+1" in rule["annotations"]["description"]
    assert result.stderr == ("capplan: export prometheus: thresholds for the declared counts "
                             "(zope 2)\n")


def test_prometheus_falls_back_per_tier_and_says_so(tmp_path: Path) -> None:
    """A tier that declares no count gets its required count's threshold, named on stderr."""
    path = site_file(tmp_path, """
        {name: web, redundancy: pool, nodes: 6, node: {capacity_rps: 200}}
        {name: api, redundancy: pool, node: {capacity_rps: 200}}
    """)
    result = runner.invoke(app, ["export", path, "--to", "prometheus"])
    assert result.exit_code == 0, result.output
    web, api = rules(result.stdout)
    assert web["expr"].endswith(" > 1000")  # 5 survivors of 6
    assert api["expr"].endswith(" > 600")  # 3 survivors of the 4 required
    assert result.stderr == (
        "capplan: export prometheus: thresholds for the declared counts (web 6); tiers "
        "without one use nodes_required (api 4)\n")


def test_prometheus_required_counts_on_request_warn_when_late(tmp_path: Path) -> None:
    """--counts required still works for prometheus, and names a threshold past the deployed."""
    path = site_file(tmp_path, "{name: web, redundancy: pool, nodes: 2, "
                               "node: {capacity_rps: 200}}")
    result = runner.invoke(app, ["export", path, "--to", "prometheus", "--counts", "required"])
    assert result.exit_code == 0, result.output
    [rule] = rules(result.stdout)
    assert rule["expr"].endswith(" > 600")
    first, late = result.stderr.splitlines()
    assert first == ("capplan: export prometheus: thresholds for the required counts, "
                     "nodes_required (web 4)")
    assert late.startswith("capplan: export prometheus: web's threshold assumes 4 nodes but it "
                           "declares 2: the alert fires late")


def test_explicit_declared_counts_still_refuse_undeclared_tiers(tmp_path: Path) -> None:
    """Only the default falls back: --counts declared asked for declared counts, all of them."""
    path = site_file(tmp_path, "{name: api, redundancy: pool, node: {capacity_rps: 200}}")
    result = runner.invoke(app, ["export", path, "--to", "prometheus", "--counts", "declared"])
    assert result.exit_code == 2
    assert "api declares no nodes" in result.stderr


@pytest.mark.parametrize("target", ["ansible", "terraform", "kubernetes"])
def test_provisioning_keeps_required_and_names_a_shrink(tmp_path: Path, target: str) -> None:
    """Provisioning writes nodes_required by default; fewer than declared is said on stderr."""
    path = site_file(tmp_path, "{name: web, redundancy: pool, nodes: 6, "
                               "node: {capacity_rps: 200}}")
    result = runner.invoke(app, ["export", path, "--to", target])
    assert result.exit_code == 0, result.output
    topology = load_file(path).topology
    [row] = export_tiers(topology)
    assert row.nodes == 4
    render = {"ansible": to_ansible, "terraform": to_terraform, "kubernetes": to_kubernetes}
    assert result.stdout == render[target]("s", [row])
    uses = {"ansible": "hosts", "terraform": "variables", "kubernetes": "replicas"}[target]
    assert result.stderr.splitlines() == [
        f"capplan: export {target}: {uses} for the required counts, nodes_required (web 4)",
        f"capplan: export {target}: web gets 4 nodes, fewer than the 6 it declares: applying "
        "this removes 2 (--counts declared keeps them)"]


@pytest.mark.parametrize("target", ["ansible", "terraform", "kubernetes", "prometheus"])
def test_notes_go_to_stderr_only(target: str, tmp_path: Path) -> None:
    """Stdout is exactly the renderer's document; the counts line never mixes into it."""
    result = runner.invoke(app, ["export", str(BLUEPRINT), "--to", target])
    assert result.exit_code == 0, result.output
    counts: Counts = "declared" if target == "prometheus" else "required"
    render = {"ansible": to_ansible, "terraform": to_terraform, "kubernetes": to_kubernetes,
              "prometheus": to_prometheus}[target]
    assert result.stdout == render(TOPOLOGY.site, rows(counts))
    assert result.stderr.startswith(f"capplan: export {target}: ")
    out = tmp_path / "out"
    written = runner.invoke(app, ["export", str(BLUEPRINT), "--to", target, "-o", str(out)])
    assert (written.stdout, out.read_text()) == ("", result.stdout)
    assert written.stderr == result.stderr


ACTIVE_PASSIVE = ("{name: db, redundancy: active-passive, standby: 1, nodes: 2, "
                  "node: {capacity_rps: 1000}}")


def test_active_passive_utilization_counts_idle_standbys(tmp_path: Path) -> None:
    """One active at its 70% limit and one idle standby average 35% over the pods, not 70%."""
    path = site_file(tmp_path, ACTIVE_PASSIVE, policy="{failures: 1, max_utilization: 70%}")
    for counts in ("required", "declared"):
        [row] = export_tiers(load_file(path).topology, counts)
        assert (row.nodes, row.active, row.holds_up_to_rps) == (2, 1, Fraction(700))
        assert row.holds_up_to_utilization == Fraction(35, 100)


def test_active_passive_gets_no_autoscaler_and_says_why(tmp_path: Path) -> None:
    """No HPA for active-passive (added pods may be idle standbys); the PDB says so, with 35%."""
    path = site_file(tmp_path, ACTIVE_PASSIVE + "\n{name: web, redundancy: pool, nodes: 3, "
                                                "node: {capacity_rps: 1000}}",
                     policy="{failures: 1, max_utilization: 70%}")
    result = runner.invoke(app, ["export", path, "--to", "kubernetes"])
    assert result.exit_code == 0, result.output
    documents = list(yaml.safe_load_all(result.stdout))
    assert list(by_kind(documents, "HorizontalPodAutoscaler")) == ["web"]
    note = by_kind(documents, "PodDisruptionBudget")["db"]["metadata"]["annotations"][
        "capplan/autoscaling"]
    assert note.startswith("no HorizontalPodAutoscaler: idle standbys pull the pod average down")
    assert note.endswith("the actives (1 of 2 pods) run at 70% and all pods average 35%")
    assert documents[-1]["replicas"] == [{"name": "db", "count": 2}, {"name": "web", "count": 2}]
    assert "no HorizontalPodAutoscaler for active-passive db" in result.stderr


def test_autoscaler_can_always_scale(tmp_path: Path) -> None:
    """The HPA's maxReplicas is above minReplicas: twice the count, or more if declared say so."""
    path = site_file(tmp_path, """
        {name: web, redundancy: pool, nodes: 4, node: {capacity_rps: 200}}
        {name: api, redundancy: pool, nodes: 12, node: {capacity_rps: 200}}
    """)
    topology = load_file(path).topology
    web, api = export_tiers(topology)
    assert (web.nodes, web.max_nodes) == (4, 8)  # declared = required: twice the count
    assert (api.nodes, api.max_nodes) == (4, 12)  # the declared 12 is more than twice 4
    for document in by_kind(kube([web, api]), "HorizontalPodAutoscaler").values():
        assert document["spec"]["maxReplicas"] > document["spec"]["minReplicas"]


def reference_inventory(site: str, tiers: list[ExportTier]) -> str:
    """The inventory as the YAML emitter writes it: what the fast writer must equal."""
    children = {
        tier.name.replace("-", "_"): {
            "hosts": {f"{tier.name}-{i}": None for i in range(1, tier.nodes + 1)},
            "vars": {"capplan_redundancy": tier.redundancy, "capplan_nodes": tier.nodes,
                     "capplan_failures": tier.failures,
                     **({} if tier.redundancy != "active-passive"
                        else {"capplan_standby": tier.nodes - (tier.active or tier.nodes)})}}
        for tier in tiers}
    return (f"# Ansible inventory for {site}, written by capplan export\n"
            + to_yaml({"all": {"children": children}}))


def pool(name: str, nodes: int) -> ExportTier:
    """A pool tier of *nodes* for the inventory tests."""
    return ExportTier(name, "pool", 1, nodes, 2 * nodes, Fraction(10), Fraction(1, 2))


# Names YAML quotes ('null', 'on', '---1'), and names whose hosts pass 128 characters,
# where the emitter switches to '? key' complex keys, partway through the digits.
ODD_NAMES = ["null", "on", "yes", "y", "--", "-5", "_", "e", "x" * 124, "w" * 126, "z" * 200]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_ansible_writer_equals_the_emitter_on_odd_names(name: str) -> None:
    """Quoted names and complex keys come out exactly as the emitter writes them."""
    site = [pool(name, 1200), pool("web", 10)]
    assert to_ansible("s", site) == reference_inventory("s", site)
    assert yaml.safe_load(to_ansible("s", site)) is not None


@settings(deadline=None, max_examples=200)
@given(st.lists(st.tuples(st.from_regex(r"[a-z_-][a-z0-9_-]{0,12}", fullmatch=True),
                          st.sampled_from([0, 1, 9, 10, 11, 99, 100, 101, 1000])),
                min_size=1, max_size=4, unique_by=lambda pair: pair[0].replace("-", "_")))
def test_ansible_writer_equals_the_emitter(site: list[tuple[str, int]]) -> None:
    """For any names the inventory takes and counts across digit lengths, byte for byte."""
    tiers = [pool(name, nodes) for name, nodes in site]
    if any(name.replace("-", "_") in {"all", "ungrouped"} for name, _ in site):
        return
    assert to_ansible("s", tiers) == reference_inventory("s", tiers)


def test_ansible_inventory_of_a_million_hosts_is_fast() -> None:
    """A million hosts take well under the 2 s a command may take (the emitter took 16 s)."""
    tier = pool("web", 1_000_000)
    started = time.perf_counter()
    text = to_ansible("s", [tier])
    elapsed = time.perf_counter() - started
    assert elapsed < 2, f"{elapsed:.2f} s"
    lines = text.splitlines()
    assert lines[5:7] == ["        web-1: null", "        web-2: null"]
    assert lines[-5:] == ["        web-1000000: null", "      vars:",
                          "        capplan_redundancy: pool", "        capplan_nodes: 1000000",
                          "        capplan_failures: 1"]
    assert len(lines) == 1_000_000 + 9


def test_threshold_beyond_the_float_range_is_written_exactly() -> None:
    """Limits a float cannot hold (3e-400, 1e400 + 1 rps) are written exactly, no math error."""
    tiny = ExportTier("db", "pool", 1, 2, 2, Fraction(3, 10**400), Fraction(1, 2))
    huge = ExportTier("web", "pool", 1, 2, 2, Fraction(10**400 + 1), Fraction(1, 2))
    found = site_rules([tiny, huge])
    thresholds = [rule["expr"].rpartition(" > ")[2] for rule in found]
    assert thresholds == ["0." + "0" * 399 + "3", "1" + "0" * 399 + "1"]
