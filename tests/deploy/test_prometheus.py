"""The alert rules parse, and behave as their unit tests in ``alerts_test.yml`` say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from newswire import metrics
from tests.support.data import REPO
from tests.support.tools import require_tool, run

RULES_DIR = REPO / "deploy" / "prometheus"
ALERTS = RULES_DIR / "alerts.yml"
ALERTS_TEST = RULES_DIR / "alerts_test.yml"
# Series that are not ours but that rules may use: target health and the process collector.
FOREIGN_SERIES = {"up", "process_start_time_seconds"}
RUNBOOK = REPO / "docs" / "runbook.md"
REQUIRED_ALERTS = {
    "NewswireNoEventsPublished",
    "NewswireTargetsGone",
    "NewswireTargetDown",
    "NewswireNotReady",
    "NewswireConsumerLagGrowing",
    "NewswireManyFeedsFailing",
    "NewswireDeadLetterRateHigh",
    "NewswireDeadLettersNearCap",
    "NewswireRestarting",
}


def alert_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_promtool_check_rules() -> None:
    promtool = require_tool("promtool")
    out = run([promtool, "check", "rules", ALERTS])
    assert f"SUCCESS: {len(alert_rules())} rules found" in out


def test_promtool_unit_tests_pass() -> None:
    promtool = require_tool("promtool")
    out = run([promtool, "test", "rules", ALERTS_TEST.name], cwd=RULES_DIR)
    assert "SUCCESS" in out


def test_every_alert_has_a_unit_test_that_expects_it_to_fire() -> None:
    doc = yaml.safe_load(ALERTS_TEST.read_text())
    firing = {
        case["alertname"] for test in doc["tests"] for case in test.get("alert_rule_test", []) if case.get("exp_alerts")
    }
    names = {str(rule["alert"]) for rule in alert_rules()}
    assert names >= REQUIRED_ALERTS
    assert names == firing, "an alert without a firing test could be dead code"


def test_rules_only_use_catalogue_series_and_carry_severity_and_summary() -> None:
    known = metrics.series_names() | FOREIGN_SERIES
    for rule in alert_rules():
        expr = str(rule["expr"])
        used = set(re.findall(r"\b((?:newswire|process)_[a-z0-9_]+)\b", expr))
        assert used, f"{rule['alert']} uses no metric"
        assert used <= known, f"{rule['alert']} uses unknown series {used - known}"
        assert rule.get("labels", {}).get("severity") in {"warning", "critical"}
        assert rule.get("annotations", {}).get("summary")


def test_rule_file_paths_resolve() -> None:
    doc = yaml.safe_load(ALERTS_TEST.read_text())
    assert [Path(RULES_DIR / f).resolve() for f in doc["rule_files"]] == [ALERTS.resolve()]


def test_alerts_are_per_namespace_and_job_and_link_their_runbook_section() -> None:
    """A global sum lets a healthy environment hide a stalled one: every aggregation keeps
    namespace and job, and every alert links a runbook section that exists."""
    headings = {line[3:].strip().lower() for line in RUNBOOK.read_text().splitlines() if line.startswith("## ")}
    for rule in alert_rules():
        expr = str(rule["expr"])
        for grouping in re.findall(r"\b(?:sum|group|count|max|min|avg)\s+by\s*\(([^)]*)\)", expr):
            labels = {label.strip() for label in grouping.split(",")}
            assert {"namespace", "job"} <= labels, f"{rule['alert']}: by ({grouping})"
        assert not re.search(r"\b(?:sum|group|count)\s*\(", expr), f"{rule['alert']} aggregates without by"
        assert "absent(" not in expr, f"{rule['alert']}: absent() carries no labels"
        url = rule["annotations"]["runbook_url"]
        assert url.startswith("https://github.com/newswire/newswire/blob/main/docs/runbook.md#")
        assert url.rsplit("#", 1)[1] == str(rule["alert"]).lower()
        assert str(rule["alert"]).lower() in headings, f"docs/runbook.md has no section {rule['alert']}"
