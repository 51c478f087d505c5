"""The loader: safe YAML, located problems naming the key and the fix, hostile files refused."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from capplan.loader import MAX_FILE_BYTES, InvalidInput, load_file, load_text

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT = (ROOT / "examples" / "blueprint.yaml").read_text(encoding="utf-8")


def problems(text: str | bytes) -> list[str]:
    """The problem lines a text produces."""
    with pytest.raises(InvalidInput) as info:
        load_text(text, "site.yaml")
    return [str(problem) for problem in info.value.problems]


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing *needle*."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_blueprint_loads() -> None:
    """The SPEC §1 example is valid, and tiers are located at their lines."""
    loaded = load_text(BLUEPRINT, "blueprint.yaml")
    assert [tier.name for tier in loaded.topology.tiers] == ["lb", "cache", "web", "storage"]
    assert loaded.locate(("tiers", 2))[0] == line_of(BLUEPRINT, "name: web")


def test_misspelt_key_names_the_closest_valid_one() -> None:
    """An unknown key is reported at the key, with 'did you mean'."""
    text = BLUEPRINT.replace("capacity_rps: 150", "capacty_rps: 150")
    found = problems(text)
    line = line_of(text, "capacty_rps")
    column = text.splitlines()[line - 1].index("capacty_rps") + 1
    assert f"site.yaml:{line}:{column}: tiers[2].node.capacty_rps: unknown key 'capacty_rps' " \
           "(did you mean 'capacity_rps'?)" in found


def test_bad_redundancy_suggests_a_scheme() -> None:
    """A misspelt scheme value names the valid ones and the closest."""
    found = problems(BLUEPRINT.replace("redundancy: ring", "redundancy: rign"))
    assert any("tiers[1].redundancy" in p and "did you mean 'ring'" in p for p in found)


def test_duplicate_key_points_at_the_second() -> None:
    """A duplicate key is refused at its second occurrence, naming the first."""
    assert problems("site: a\nsite: b\n") == [
        "site.yaml:2:1: duplicate key 'site' (first at line 1)"
    ]


def test_anchors_and_aliases_are_refused_at_the_anchor() -> None:
    """An alias bomb is refused at its first anchor, never expanded."""
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(9))
    assert problems(bomb) == [
        "site.yaml:1:4: YAML anchors and aliases are not allowed: write the value out"
    ]


def test_language_tags_are_refused() -> None:
    """A python tag is refused before anything is constructed."""
    found = problems('site: !!python/object/apply:os.system ["true"]\n')
    assert found[0].startswith("site.yaml:1:7: tags are not allowed")


def test_deep_nesting_is_refused() -> None:
    """20,000-deep nesting is refused, block or flow."""
    block = "".join("  " * depth + f"k{depth}:\n" for depth in range(40)) + "  " * 40 + "x\n"
    assert problems(block)[0] == "site.yaml:33:65: nested deeper than 32 levels"
    flow = problems("site: " + "[" * 20_000 + "]" * 20_000 + "\n")
    assert flow[0].startswith("site.yaml:1:")


def test_long_strings_are_refused() -> None:
    """A multi-megabyte scalar is refused with its location."""
    assert "longer than" in problems("site: " + "x" * 5_000_000 + "\n")[0]


@pytest.mark.parametrize("value", ["1e308", ".nan", ".inf", "-.inf", "1e999999999"])
def test_non_finite_and_huge_numbers_are_refused(value: str) -> None:
    """NaN, infinities and absurd magnitudes name the key they were found at."""
    found = problems(BLUEPRINT.replace("peak_rps: 1200", f"peak_rps: {value}"))
    assert found[0].startswith(f"site.yaml:{line_of(BLUEPRINT, 'peak_rps')}:")
    assert "traffic.peak_rps" in found[0]


def test_node_count_above_the_limit_is_refused() -> None:
    """nodes: 10G is above the documented limit of a million."""
    found = problems(BLUEPRINT.replace("nodes: 4", "nodes: 10G"))
    assert "tiers[2].nodes" in found[0]
    assert "at most 1000000" in found[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\x00\x01\x02binary", "binary data"),
        (b"site: caf\xe9\n", "not UTF-8"),
        ("", "empty file"),
        ("# only a comment\n", "empty file"),
        ("- a\n- b\n", "expected a mapping"),
        ("a: [\n", "invalid YAML"),
        ("---\nsite: a\n---\nsite: b\n", "more than one YAML document"),
    ],
)
def test_unusable_texts_are_refused(text: str | bytes, message: str) -> None:
    """Binary, non-UTF-8, empty, non-mapping, broken and multi-document texts are refused."""
    assert message in problems(text)[0]


def test_spec_rules_are_located() -> None:
    """Ratio out of range, 'm' suffix, zero capacity, spread on a pool: all at once, sorted."""
    text = (BLUEPRINT.replace("hit_ratio: 60%", "hit_ratio: 150%")
            .replace("capacity_rps: 150", "capacity_rps: 0")
            .replace("response_bytes: 24k", "response_bytes: 24m")
            .replace("    nodes: 4\n", "    nodes: 4\n    spread: 2\n"))
    found = problems(text)
    assert len(found) == 3  # spread is checked once the fields are valid
    assert [int(p.split(":")[1]) for p in found] == sorted(int(p.split(":")[1]) for p in found)
    assert any("hit_ratio" in p and "at most 1" in p for p in found)
    assert any("'m' is ambiguous" in p for p in found)
    assert any("capacity_rps" in p and "more than 0" in p for p in found)
    spread = problems(BLUEPRINT.replace("    nodes: 4\n", "    nodes: 4\n    spread: 2\n"))
    assert spread == [f"site.yaml:{line_of(BLUEPRINT, 'nodes: 4') + 1}:13: tiers[2].spread: "
                      "spread applies only to ring tiers ('web' is pool)"]


def test_unknown_upstream_and_cycles() -> None:
    """A `from` naming an unknown tier (with a suggestion) or closes a cycle: both located."""
    unknown = problems(BLUEPRINT.replace("from: [web]", "from: [wbe]"))
    assert "unknown upstream tier 'wbe' (did you mean 'web'?)" in unknown[0]
    cycle = problems(BLUEPRINT.replace("  - name: web\n", "  - name: web\n    from: [storage]\n"))
    assert "cycle in from: " in cycle[0]


def test_traffic_needs_exactly_one_form() -> None:
    """Two traffic forms, or daily_requests without peak_to_average, are refused."""
    both = problems(BLUEPRINT.replace("peak_rps: 1200", "peak_rps: 1200\n  profile: [1, 2]"))
    assert "exactly one of peak_rps, daily_requests, profile" in both[0]
    daily = problems(BLUEPRINT.replace("peak_rps: 1200", "daily_requests: 40M"))
    assert "daily_requests needs peak_to_average" in daily[0]


def test_bool_is_not_a_number() -> None:
    """`nodes: true` is a boolean, not a count."""
    assert "expected a number, got a boolean" in problems(
        BLUEPRINT.replace("nodes: 4", "nodes: true"))[0]


def test_yaml_1_1_quirks_do_not_apply() -> None:
    """`yes` stays a word and `1e5` is a number: YAML 1.2 core, not PyYAML's 1.1."""
    loaded = load_text(BLUEPRINT.replace("site: zope-cluster", "site: yes")
                       .replace("peak_rps: 1200", "peak_rps: 1e5"))
    assert loaded.topology.site == "yes"
    assert loaded.topology.traffic.peak_rps == 100_000


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    """Missing files, directories and oversized files are located one-line problems."""
    for path, message in ((tmp_path / "missing.yaml", "no such file"),
                          (tmp_path, "is a directory")):
        with pytest.raises(InvalidInput, match=message):
            load_file(path)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(InvalidInput, match="larger than"):
        load_file(big)


FAILURE_DOMAINS = (ROOT / "examples" / "failure-domains.yaml").read_text(encoding="utf-8")


def test_more_zones_than_nodes_is_refused_at_zones() -> None:
    """A tier cannot spread 2 nodes over 3 zones: located at the zones key."""
    text = FAILURE_DOMAINS.replace("    nodes: 2\n    zones: 2\n    direct",
                                   "    nodes: 2\n    zones: 3\n    direct")
    [found] = problems(text)
    assert found.startswith(f"site.yaml:{line_of(text, 'zones: 3')}:")
    assert "has 3 zones but only 2 nodes" in found


def test_zone_failures_need_more_zones() -> None:
    """zone_failures: 1 on a one-zone tier says which key to change."""
    text = FAILURE_DOMAINS.replace("    zones: 2\n    node: {capacity_rps: 2500",
                                   "    node: {capacity_rps: 2500")
    [found] = problems(text)
    assert "tier 'db' must survive 1 zone failure but has 1 zone" in found
    assert "set zones: 2 or more, or zone_failures: 0 on the tier" in found


def test_too_many_zone_sets_are_refused() -> None:
    """Losing 10 of 20 zones is 184,756 sets: refused with the limit named."""
    text = FAILURE_DOMAINS.replace("nodes: 9\n    zones: 3", "nodes: 40\n    zones: 20\n"
                                   "    zone_failures: 10")
    [found] = problems(text)
    assert "184,756 ways to lose 10 of 20 zones; capplan examines at most 1,000" in found


def test_cold_hit_ratio_needs_a_hit_ratio() -> None:
    """cold_hit_ratio without hit_ratio is refused at cold_hit_ratio."""
    text = FAILURE_DOMAINS.replace("    hit_ratio: 70%\n", "")
    [found] = problems(text)
    assert found.startswith(f"site.yaml:{line_of(text, 'cold_hit_ratio')}:")
    assert "cold_hit_ratio needs a hit_ratio on tier 'cache'" in found


def test_cold_hit_ratio_above_hit_ratio_is_refused() -> None:
    """A cache cannot hit more often cold than warm."""
    text = FAILURE_DOMAINS.replace("cold_hit_ratio: 20%", "cold_hit_ratio: 90%")
    [found] = problems(text)
    assert "cold_hit_ratio 0.9 is above hit_ratio 0.7" in found


@pytest.mark.parametrize("slot", ["-5", ".nan", "1e400", "lots"])
def test_profile_slots_must_be_finite_and_not_negative(slot: str) -> None:
    """A negative, non-finite or non-numeric slot is located at that slot."""
    text = FAILURE_DOMAINS.replace("[310, 220,", f"[310, {slot},")
    [found] = problems(text)
    assert found.startswith(f"site.yaml:{line_of(text, 'profile: [')}:")
    assert "traffic.profile[1]" in found


SERVICE_LEVELS = (ROOT / "examples" / "service-levels.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("change", "message"), [
    (("service_ms: 25, ", ""), "workers needs service_ms on tier 'app'"),
    (("mtbf_hours: 2000, ", ""), "mttr_hours needs mtbf_hours on tier 'app'"),
    (("mttr_hours: 8, ", ""), "mtbf_hours needs mttr_hours on tier 'app'"),
    (("{workers: 8, service_ms: 25, ", "{"), "node of tier 'app' needs capacity_rps, or "
                                             "workers and service_ms"),
    (("p99: 120", "p99: 100"), "p99 100 ms is below what service alone takes at p99 on tier "
                               "'app' (115.1 ms for service_ms 25): no node count meets it"),
    (("p99: 120", "p50: 0"), "more than 0"),
])
def test_latency_and_availability_inputs_are_checked(change: tuple[str, str],
                                                     message: str) -> None:
    """Half-given node figures, impossible latency targets: exit 2 with a located message."""
    text = SERVICE_LEVELS.replace(*change)
    assert text != SERVICE_LEVELS
    found = problems(text)
    assert any(message in line for line in found), found


def test_tier_policy_needs_the_node_figures() -> None:
    """A tier's own availability target on nodes without mtbf/mttr is refused."""
    text = SERVICE_LEVELS.replace("    redundancy: active-passive\n    nodes: 2\n    node: "
                                  "{capacity_rps: 4000, service_ms: 2, workers: 16, "
                                  "mtbf_hours: 4000, mttr_hours: 24}",
                                  "    redundancy: active-passive\n    nodes: 2\n"
                                  "    availability: 99.9%\n    node: {capacity_rps: 4000}")
    [found] = problems(text)
    assert "availability needs node.mtbf_hours and mttr_hours on tier 'db'" in found


@pytest.mark.parametrize(("value", "message"), [
    ("{low: 3000, high: 1500}", "low 3000 is above high 1500"),
    ("{low: 1500, high: 3000, confidence: 100%}", "must be below 100%"),
    ("{low: 1500, high: 3000, confidence: 0%}", "must be more than 0"),
    ("{low: 1500, hi: 3000}", "a range is written {low: X, high: Y, confidence: 90%} "
                              "(unknown key 'hi')"),
    ("{low: 0, high: 3000}", "must be more than 0"),
])
def test_ranges_are_checked(value: str, message: str) -> None:
    """A range with low above high or a confidence outside (0, 100%) is refused, located."""
    text = BLUEPRINT.replace("peak_rps: 1200", f"peak_rps: {value}")
    [found] = problems(text)
    assert found.startswith(f"site.yaml:{line_of(text, 'peak_rps')}:")
    assert message in found


def test_availability_on_a_wide_ring_is_refused_not_guessed() -> None:
    """Availability targets do not size rings with spread > 1 yet: say so, at spread."""
    text = SERVICE_LEVELS.replace("    redundancy: pool\n    nodes: 10\n",
                                  "    redundancy: ring\n    spread: 2\n    nodes: 10\n")
    [found] = problems(text)
    assert found.startswith(f"site.yaml:{line_of(text, 'spread: 2')}:")
    assert "availability targets size rings with spread 1 only" in found


def test_workers_above_the_limit_are_refused() -> None:
    """More than 100,000 workers a node is refused: the queue model's documented limit."""
    text = SERVICE_LEVELS.replace("workers: 8,", "workers: 1M,")
    [found] = problems(text)
    assert "tiers[0].node.workers: 1000000 is out of range: must be at least 1 and at most " \
           "100000" in found


# --- bare ratios (SPEC §1: a ratio written without % lies in [0, 1]) -----------------------


def test_bare_growth_above_one_names_the_percentage() -> None:
    """`growth: 5` is refused at the key with SPEC §1's words, not read as 500% a month."""
    text = BLUEPRINT.replace("growth: 4%", "growth: 5")
    line = line_of(text, "growth: 5")
    column = text.splitlines()[line - 1].index("5") + 1
    assert problems(text) == [f"site.yaml:{line}:{column}: traffic.growth: 5 means 500% per "
                              "month; write 500% if you mean it"]


@pytest.mark.parametrize(("old", "new", "key", "message"), [
    ("growth: 4%", "growth: 50", "traffic.growth",
     "50 means 5000% per month, above 1000%; write 50% if you mean 50% per month"),
    ("max_utilization: 80%", "max_utilization: 85", "policy.max_utilization",
     "85 means 8500%, above 100%; write 85% if you mean 85%"),
    ("    nodes: 4\n", "    nodes: 4\n    max_utilization: 1.5\n", "tiers[2].max_utilization",
     "1.5 means 150%, above 100%; write 1.5% if you mean 1.5%"),
    ("hit_ratio: 60%", "hit_ratio: 60", "tiers[1].hit_ratio",
     "60 means 6000%, above 100%; write 60% if you mean 60%"),
    ("hit_ratio: 60%", "hit_ratio: {low: 50%, high: 70}", "tiers[1].hit_ratio",
     "high 70 means 7000%, above 100%; write 70% if you mean 70%"),
    ("hit_ratio: 60%", "hit_ratio: 60%\n    cold_hit_ratio: 20", "tiers[1].cold_hit_ratio",
     "20 means 2000%, above 100%; write 20% if you mean 20%"),
    ("max_utilization: 80%", "max_utilization: 80%\n  confidence: 95", "policy.confidence",
     "95 means 9500%, above 100%; write 95% if you mean 95%"),
    ("max_utilization: 80%", "max_utilization: 80%\n  availability: 99.99",
     "policy.availability", "99.99 means 9999%, above 100%; write 99.99% if you mean 99.99%"),
    ("peak_rps: 1200", "peak_rps: {low: 1000, high: 2000, confidence: 90}", "traffic.peak_rps",
     "confidence 90 means 9000%, above 100%; write 90% if you mean 90%"),
])
def test_every_bare_ratio_above_one_is_refused_at_its_key(old: str, new: str, key: str,
                                                          message: str) -> None:
    """Each ratio key, ranges and policy targets included: a bare number above 1 is refused."""
    text = BLUEPRINT.replace(old, new)
    assert text != BLUEPRINT
    [found] = problems(text)
    line = line_of(text, new.splitlines()[-1].strip())
    assert found.startswith(f"site.yaml:{line}:")
    assert found.endswith(f": {key}: {message}")


@pytest.mark.parametrize(("value", "expected"), [
    ("500%", Fraction(5)), ("1", Fraction(1)), ("0.04", Fraction(1, 25)),
    ("-0.5", Fraction(-1, 2)), ("1000%", Fraction(10)),
])
def test_growth_within_bounds_loads(value: str, expected: Fraction) -> None:
    """A percentage keeps the wide range; a bare growth in (−1, 1] is read as a ratio."""
    text = BLUEPRINT.replace("growth: 4%", f"growth: {value}")
    assert load_text(text).topology.traffic.growth == expected


@pytest.mark.parametrize(("old", "new", "message"), [
    ("growth: 4%", "growth: -5", "traffic.growth: -5 (-500%) is out of range: must be more "
                                 "than -100% per month"),
    ("growth: 4%", "growth: 1001%", "traffic.growth: 1001% is out of range: must be at most "
                                    "1000% per month"),
    ("hit_ratio: 60%", "hit_ratio: 150%", "tiers[1].hit_ratio: 150% is out of range: must be "
                                          "at most 100%"),
    ("max_utilization: 80%", "max_utilization: 0", "policy.max_utilization: 0% is out of "
                                                   "range: must be more than 0%"),
])
def test_ratio_range_messages_name_the_broken_bound_in_percent(old: str, new: str,
                                                               message: str) -> None:
    """Out-of-range ratios say which bound, in the percent the key is documented in."""
    [found] = problems(BLUEPRINT.replace(old, new))
    assert found.endswith(message)


# --- standby (issue 9 item 14; N+k raised above a pair's standbys) ---------------------------

TWO_BOXES = """\
site: pair
traffic: {peak_rps: 1000}
policy: {failures: 1}
tiers:
  - name: db
    redundancy: active-passive
    nodes: 2
    node: {capacity_rps: 2000}
"""


@pytest.mark.parametrize("text", [
    TWO_BOXES.replace("failures: 1", "failures: 0").replace("nodes: 2", "nodes: 2\n    standby: 0"),
    TWO_BOXES.replace("nodes: 2", "nodes: 2\n    standby: 0\n    failures: 0"),
], ids=["policy", "tier"])
def test_standby_zero_loads_under_failures_zero(text: str) -> None:
    """`standby: 0` is the default under failures: 0, and `size` takes it: a file may too."""
    assert load_text(text).topology.tiers[0].standby == 0


@pytest.mark.parametrize(("old", "new"), [
    ("policy: {failures: 1}", "policy: {failures: 2}"),
    ("policy: {failures: 1}", "policy: {failures: 3}"),
    ("    nodes: 2\n", "    nodes: 2\n    failures: 2\n"),
    ("    nodes: 2\n", "    nodes: 2\n    standby: 0\n"),
    ("    nodes: 2\n", "    nodes: 3\n    standby: 1\n    failures: 2\n"),
])
def test_a_pair_below_its_policy_is_not_invalid_input(old: str, new: str) -> None:
    """N+2 over a pair, or standby: 0 under N+1, loads: a policy failure, not exit 2."""
    text = TWO_BOXES.replace(old, new)
    assert text != TWO_BOXES
    assert load_text(text).topology.tiers[0].name == "db"


@pytest.mark.parametrize("standby", [2, 3])
def test_declared_standby_leaving_no_active_node_is_refused_at_standby(standby: int) -> None:
    """A stated standby count of at least the declared nodes has no active node: exit 2."""
    text = TWO_BOXES.replace("    nodes: 2\n", f"    nodes: 2\n    standby: {standby}\n")
    assert problems(text) == [
        f"site.yaml:8:14: tiers[0].standby: tier 'db' declares 2 nodes but standby: {standby}: "
        "at least one node must be active (standby: 1 at most, or more nodes)"]
