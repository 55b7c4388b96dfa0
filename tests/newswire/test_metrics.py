"""The metric catalogue follows Prometheus naming rules and is what the registry exposes.

These rules are what keeps dashboards portable and Prometheus memory bounded, so they are
checked on the live default registry (what ``/metrics`` serves), not on a hand-kept list.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.metrics_core import Metric

from newswire import metrics

# Families the default registry's built-in collectors provide.
BUILTIN_PREFIXES = ("process_", "python_")
# Label names whose values are unbounded (one per feed/article): never allowed.
FORBIDDEN_LABELS = {
    "url",
    "feed",
    "feed_url",
    "host",
    "hostname",
    "domain",
    "guid",
    "id",
    "article_key",
    "title",
}
NAME_RE = re.compile(r"^newswire_[a-z][a-z0-9_]*[a-z0-9]$")


def newswire_families() -> list[Metric]:
    return [f for f in REGISTRY.collect() if f.name.startswith("newswire_")]


def test_every_registered_family_is_builtin_or_newswire() -> None:
    stray = [f.name for f in REGISTRY.collect() if not f.name.startswith(("newswire_", *BUILTIN_PREFIXES))]
    assert stray == []


def test_registry_holds_exactly_the_catalogue() -> None:
    registered = {f.name for f in newswire_families()}
    catalogue = {family.name for m in metrics.CATALOGUE for family in m.describe()}
    assert registered == catalogue
    assert len(catalogue) >= 20


def test_process_start_time_is_exposed_for_the_restart_alert() -> None:
    assert REGISTRY.get_sample_value("process_start_time_seconds") is not None


@pytest.mark.parametrize("family", newswire_families(), ids=lambda f: f.name)
def test_naming_rules(family: Metric) -> None:
    assert NAME_RE.match(family.name), "lower snake case with the newswire_ prefix"
    assert family.documentation.strip(), "every metric says what it counts"
    assert not re.search(r"_(ms|milliseconds|minutes|hours|kb|kilobytes|mb|megabytes)(_|$)", family.name), (
        "base units only: seconds and bytes"
    )
    if re.search(r"(duration|latency|wait|age|time)", family.name):
        assert re.search(r"_seconds(_total)?$", family.name + ("_total" if family.type == "counter" else ""))
    for sample in family.samples:
        if family.type == "counter":
            assert sample.name.endswith("_total"), sample.name
        else:
            assert not sample.name.endswith("_total"), f"only counters end in _total: {sample.name}"
        assert not FORBIDDEN_LABELS & set(sample.labels), f"unbounded label on {sample.name}"


def test_no_catalogue_metric_declares_a_forbidden_label() -> None:
    # Checked on declarations too: a metric with no child yet exposes no sample to inspect.
    for metric in metrics.CATALOGUE:
        assert not FORBIDDEN_LABELS & set(metric._labelnames), metric


def test_prebound_children_exist_at_zero_before_any_event() -> None:
    text = generate_latest(REGISTRY).decode()
    for outcome in metrics.POLL_OUTCOMES:
        assert f'newswire_polls_total{{outcome="{outcome}"}}' in text
    for decision in ("new", "duplicate", "update", "unchanged"):
        assert f'newswire_decisions_total{{decision="{decision}"}}' in text
    for health in ("healthy", "failing", "backing_off"):
        assert f'newswire_feeds{{health="{health}"}}' in text
    assert 'newswire_event_latency_seconds_bucket{le="3600.0",since="published"}' in text
    for stage in metrics.DEAD_LETTER_STAGES:
        for reason in metrics.DEAD_LETTER_REASONS:
            assert (
                REGISTRY.get_sample_value("newswire_dead_letters_total", {"stage": stage, "reason": reason}) is not None
            )
    for event_type in metrics.EVENT_TYPES:
        assert REGISTRY.get_sample_value("newswire_events_published_total", {"type": event_type}) is not None


def test_prebound_child_is_the_same_series_as_labels() -> None:
    child = metrics.DECISIONS_BY_KIND["duplicate"]
    before = REGISTRY.get_sample_value("newswire_decisions_total", {"decision": "duplicate"})
    assert before is not None
    child.inc()
    assert REGISTRY.get_sample_value("newswire_decisions_total", {"decision": "duplicate"}) == before + 1


def test_required_poll_outcomes_are_all_prebound() -> None:
    required = {
        "ok", "not_modified", "http_error", "timeout", "blocked",
        "parse_error", "throttled", "too_large", "connection", "robots", "internal",
    }  # fmt: skip
    assert set(metrics.POLLS_BY_OUTCOME) == required


def test_event_latency_buckets_reach_hours() -> None:
    bounds = metrics.EVENT_LATENCY._upper_bounds
    assert max(b for b in bounds if b != float("inf")) >= 6 * 3600
    assert min(bounds) <= 5


def test_series_names_and_label_lookup() -> None:
    names = metrics.series_names()
    assert {"newswire_polls_total", "newswire_feeds", "newswire_event_latency_seconds_bucket"} <= names
    assert "newswire_polls" not in names  # family name, never a queryable series
    assert metrics.label_names("newswire_event_latency_seconds_bucket") == {"since", "le"}
    assert metrics.label_names("newswire_consumer_lag") == {"group", "topic", "partition"}
    assert metrics.label_names("newswire_raw_records_produced_total") == frozenset()
    with pytest.raises(KeyError):
        metrics.label_names("newswire_polls")


def test_no_created_series_are_exposed() -> None:
    """``*_created`` only repeats the start time; disable_created_metrics() drops them all."""
    text = generate_latest(REGISTRY).decode()
    assert "_created" not in text
    assert not any(name.endswith("_created") for name in metrics.series_names())


def test_cgroup_v2_limits(tmp_path: Path) -> None:
    (tmp_path / "memory.max").write_text("536870912\n")
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert metrics.cgroup_limits(tmp_path) == (536870912.0, 1.5)


def test_cgroup_unlimited_and_missing_are_infinite(tmp_path: Path) -> None:
    assert metrics.cgroup_limits(tmp_path) == (math.inf, math.inf)
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert metrics.cgroup_limits(tmp_path) == (math.inf, math.inf)


def test_cgroup_v1_limits(tmp_path: Path) -> None:
    (tmp_path / "memory").mkdir()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("1073741824\n")
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert metrics.cgroup_limits(tmp_path) == (1073741824.0, 0.5)
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1's "unlimited"
    assert metrics.cgroup_limits(tmp_path)[0] == math.inf


def test_limits_are_exposed() -> None:
    assert REGISTRY.get_sample_value("newswire_memory_limit_bytes") is not None
    assert REGISTRY.get_sample_value("newswire_cpu_limit_cores") is not None
