"""The dashboard's PromQL parses and queries only what ``newswire.metrics`` exposes.

A dashboard that names a metric the code does not export shows "No data" forever, which
nobody notices until an incident; these tests catch a rename on either side.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from newswire import metrics
from tests.support.data import REPO
from tests.support.tools import require_tool, run

DASHBOARD = REPO / "deploy" / "grafana" / "newswire.json"
# Grafana substitutes these before the query reaches Prometheus; give them valid stand-ins.
GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "6h",
    "$namespace": ".*",
    "${namespace}": ".*",
    "$job": ".*",
    "$pod": ".*",
}
# Labels Prometheus attaches to every scraped series (target labels), on top of our own.
TARGET_LABELS = {"job", "instance", "namespace", "pod", "container", "service", "endpoint", "__name__"}
FOREIGN_SERIES = {"process_start_time_seconds", "process_resident_memory_bytes", "process_cpu_seconds_total"}
SELECTOR = re.compile(r"\b((?:newswire|process)_[a-z0-9_]+)\s*(?:\{([^}]*)\})?")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"')


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def all_panels() -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for panel in dashboard()["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # collapsed rows nest their panels
    return panels


def expressions() -> list[tuple[str, str]]:
    """(panel title/refId, PromQL with Grafana variables substituted)."""
    exprs = []
    for panel in all_panels():
        for target in panel.get("targets", []):
            expr = target["expr"]
            for var, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(var, value)
            exprs.append((f"{panel['title']}/{target['refId']}", expr))
    return exprs


def test_dashboard_is_well_formed() -> None:
    dash = dashboard()
    assert dash["uid"] and dash["title"]
    ids = [p["id"] for p in all_panels()]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    variables = {v["name"] for v in dash["templating"]["list"]}
    assert {"datasource", "namespace", "job", "pod"} <= variables
    for panel in all_panels():
        if panel["type"] == "row":
            continue
        assert panel["targets"], f"{panel['title']} has no query"
        assert panel["datasource"]["uid"] == "${datasource}", "panels follow the datasource variable"
    assert "$" not in "".join(e for _, e in expressions()), "unsubstituted Grafana variable"


def test_every_expression_parses(tmp_path: Path) -> None:
    """promtool parses each expression as a recording rule (it has no bare 'parse' command)."""
    promtool = require_tool("promtool")
    exprs = expressions()
    assert len(exprs) >= 20
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [{"record": f"dashboard:expr_{i}", "expr": e} for i, (_, e) in enumerate(exprs)],
            }
        ]
    }
    rules_file = tmp_path / "dashboard_rules.yml"
    rules_file.write_text(yaml.safe_dump(rules))
    out = run([promtool, "check", "rules", rules_file])
    assert f"SUCCESS: {len(exprs)} rules found" in out


def test_the_parse_check_rejects_bad_promql(tmp_path: Path) -> None:
    """Guards the check above: a broken expression must make promtool fail."""
    promtool = require_tool("promtool")
    rules_file = tmp_path / "bad.yml"
    rules_file.write_text(
        yaml.safe_dump({"groups": [{"name": "g", "rules": [{"record": "r:x", "expr": "sum(rate(x[5m])"}]}]})
    )
    with pytest.raises(pytest.fail.Exception):
        run([promtool, "check", "rules", rules_file])


@pytest.mark.parametrize(("where", "expr"), expressions(), ids=[w for w, _ in expressions()])
def test_expression_uses_catalogue_series_and_labels(where: str, expr: str) -> None:
    known = metrics.series_names()
    selectors = SELECTOR.findall(expr)
    assert selectors, f"{where}: no newswire metric referenced"
    for name, matchers in selectors:
        if name in FOREIGN_SERIES:
            continue
        assert name in known, f"{where}: {name} is not in newswire.metrics"
        labels = set(MATCHER.findall(matchers))
        allowed = metrics.label_names(name) | TARGET_LABELS
        assert labels <= allowed, f"{where}: {name} has no label {labels - allowed}"


def test_dashboard_covers_the_pipeline() -> None:
    text = " ".join(e for _, e in expressions())
    for needed in (
        "newswire_decisions_total",
        "newswire_polls_total",
        "newswire_feeds",
        "newswire_consumer_lag",
        "histogram_quantile(0.95, sum by (le, since) (rate(newswire_event_latency_seconds_bucket",
        "newswire_extraction_failures_total",
        "newswire_dead_letters_total",
        "newswire_events_published_total",
    ):
        assert needed in text, f"dashboard lacks {needed}"


def test_every_selector_follows_the_namespace_job_and_pod_variables() -> None:
    raw = [t["expr"] for p in all_panels() for t in p.get("targets", [])]
    for expr in raw:
        for name, matchers in re.findall(r"\b((?:newswire|process)_[a-z0-9_]+|up)\s*\{([^}]*)\}", expr):
            if "[1h]" in expr and name == "newswire_build_info" and "$pod" not in matchers:
                continue  # "jobs seen in the last hour": deliberately wider than the selected pods
            for var in ("$namespace", "$job", "$pod"):
                assert var in matchers, f"{name} in {expr!r} ignores {var}"


def test_stat_panels_follow_the_rate_interval() -> None:
    for panel in all_panels():
        if panel["type"] == "stat":
            for target in panel["targets"]:
                assert not re.search(r"\[\d+[smh]\]", target["expr"]), f"{panel['title']}: hard-coded range"


def test_latency_series_get_their_own_axes() -> None:
    (panel,) = [p for p in all_panels() if p["title"] == "Event latency percentiles"]
    (override,) = panel["fieldConfig"]["overrides"]
    assert override["matcher"] == {"id": "byRegexp", "options": ".*since published"}
    assert {"id": "custom.axisPlacement", "value": "right"} in override["properties"]
    legends = [t["legendFormat"] for t in panel["targets"]]
    assert all(legend.endswith("since {{since}}") for legend in legends)


def test_health_and_resource_panels() -> None:
    text = " ".join(t["expr"] for p in all_panels() for t in p.get("targets", []))
    for needed in ("up{", "newswire_ready{", "process_resident_memory_bytes{", "newswire_memory_limit_bytes{",
                   "rate(process_cpu_seconds_total{", "newswire_cpu_limit_cores{"):  # fmt: skip
        assert needed in text, f"dashboard lacks {needed}"
