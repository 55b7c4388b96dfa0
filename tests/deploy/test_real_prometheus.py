"""A real Prometheus server scrapes a real ``newswire run`` daemon over loopback wire sites,
with the alert rules loaded: every dashboard expression returns data, every rule evaluates
healthy, and a broken feed fires the feed alert.

This is the operator's view end to end: metric names, label sets, the PromQL of the dashboard
and the alerts, and the exposition format are all checked by the server that will run them.
The rules are the real expressions from ``deploy/prometheus/alerts.yml``; only their ``for:``
is set to 0 in the test copy so the test does not sit through a production grace period.
Intervals are 1 s for the same reason.

The server is Debian's ``prometheus`` package, extracted by ``deploy/tools/install.sh``; where
that package is not available the installer records why and this test skips with that reason.
"""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from newswire.settings import load_settings
from pipeline.demo import SampleWeb
from pipeline.samples import seed_records
from tests.support.daemons import Daemon, wait_for, write_config
from tests.support.data import REPO
from tests.support.tools import find_tool, require_tool, tools_dir

pytestmark = pytest.mark.timeout(180)

ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "newswire.json"
NAMESPACE = "nwtest"
JOB = "newswire"
# Grafana's variables, as Grafana would substitute them for "All" over a short time range.
VARIABLES = {
    "$__rate_interval": "15s",
    "$__interval": "1s",
    "$__range": "1m",
    "$namespace": NAMESPACE,
    "$job": JOB,
    "$pod": ".*",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prometheus() -> Path:
    """The server binary; a skip with the installer's reason where it could not be installed."""
    stamp = tools_dir() / "stamps" / "prometheus"
    if find_tool("prometheus") is None and stamp.is_file() and stamp.read_text().startswith("unavailable"):
        pytest.skip(f"prometheus server not installable here: {stamp.read_text().strip()}")
    return require_tool("prometheus")


def _api(port: int, path: str, **params: str) -> Any:
    url = f"http://127.0.0.1:{port}/api/v1/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as resp:
        body = json.loads(resp.read())
    assert body["status"] == "success", body
    return body["data"]


def dashboard_expressions() -> list[tuple[str, str]]:
    out = []
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for var, value in VARIABLES.items():
                expr = expr.replace(var, value)
            out.append((f"{panel['title']}/{target['refId']}", expr))
    return out


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Wire sites, a ``newswire run`` daemon polling them plus two broken feeds, and a
    Prometheus scraping the daemon with the test copy of the rules."""
    prometheus = _prometheus()
    tmp = tmp_path_factory.mktemp("prom")
    records = [r for r in seed_records() if r["thread"] == "seed-cuba"]
    sites = sorted({r["site"] for r in records})
    with SampleWeb(list(zip(sites, ["rss", "atom", "json"], strict=True))) as web:
        # One story now, the rest once Prometheus scrapes: events published only before its
        # first scrape would show no increase, and the no-events alert would rightly fire.
        web.publish(records[:1])
        closed = _free_port()  # nothing listens here: connection refused
        feeds = [{"url": s.feed_url, "allow_private": True} for s in web.sites.values()]
        feeds += [
            {"url": f"http://127.0.0.1:{closed}/rss.xml", "allow_private": True},
            {"url": f"http://127.0.0.1:{closed}/atom.xml", "allow_private": True},
        ]
        feeds_file = tmp / "feeds.yaml"
        feeds_file.write_text(yaml.safe_dump({"feeds": feeds}))
        metrics_port = _free_port()
        settings = load_settings(
            backend="embedded",
            embedded={"path": str(tmp / "bus.db")},
            topics={"raw_partitions": 2, "events_partitions": 2, "feed_partitions": 2},
            metrics={"enabled": True, "host": "127.0.0.1", "port": metrics_port},
            poller={
                "feeds_file": str(feeds_file),
                "allow_private_network": True,
                "per_host_min_interval_s": 0.0,
                "min_interval_s": 2.0,
                "max_interval_s": 4.0,
                "max_backoff_s": 4.0,
                "connect_timeout_s": 1.0,
            },
            worker={"extract_processes": 0, "batch_size": 8},
        )
        config = write_config(tmp / "newswire.yaml", settings)

        rules = yaml.safe_load(ALERTS.read_text())
        for group in rules["groups"]:
            group["interval"] = "1s"
            for rule in group["rules"]:
                rule["for"] = "0s"  # the expressions stay exactly as shipped
        (tmp / "rules.yml").write_text(yaml.safe_dump(rules))
        prom_port = _free_port()
        (tmp / "prometheus.yml").write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "900ms"},
                    "rule_files": [str(tmp / "rules.yml")],
                    "scrape_configs": [
                        {
                            "job_name": JOB,
                            "static_configs": [
                                {"targets": [f"127.0.0.1:{metrics_port}"], "labels": {"namespace": NAMESPACE}}
                            ],
                        }
                    ],
                }
            )
        )
        daemon = Daemon(config, "run", log=tmp / "newswire.log")
        server = subprocess.Popen(
            [
                str(prometheus),
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=(tmp / "prometheus.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            yield {"port": prom_port, "daemon": daemon, "tmp": tmp, "web": web, "late": records[1:]}
        finally:
            server.terminate()
            server.wait(timeout=30)
            rc = daemon.terminate()
            assert rc == 0, (tmp / "newswire.log").read_text()[-3000:]


def _query(port: int, expr: str) -> list[Any]:
    result: list[Any] = _api(port, "query", query=expr)["result"]
    return result


def test_real_prometheus_scrapes_evaluates_and_alerts(stack: dict[str, Any]) -> None:
    port, tmp = stack["port"], stack["tmp"]

    def logs() -> str:  # evaluated only when an assertion fails
        daemon, server = (tmp / "newswire.log").read_text(), (tmp / "prometheus.log").read_text()
        return f"newswire:\n{daemon[-2000:]}\nprometheus:\n{server[-2000:]}"

    def ready() -> bool:
        try:
            return bool(_query(port, f'up{{job="{JOB}"}} == 1'))
        except OSError:
            return False

    assert wait_for(ready, 30, 0.5), logs()
    stack["web"].publish(stack["late"])
    # Events flowed (the pipeline works end to end) and a lag report was scraped. Asked as the
    # no-events alert asks it, an increase Prometheus saw: events published before its first
    # scrape are a counter's starting value, no increase, and the alert (``for: 0s`` here) fires
    # until the late entry's event is scraped.
    published = "sum(increase(newswire_events_published_total[30m])) >= 1"
    assert wait_for(lambda: bool(_query(port, published)), 60, 1.0), logs()
    assert wait_for(lambda: bool(_query(port, "newswire_consumer_lag")), 30, 1.0), logs()

    # The broken feeds (2 of 5) fire the feed alert, for this namespace and job.
    def feed_alert() -> list[dict[str, Any]]:
        alerts = _api(port, "alerts")["alerts"]
        return [a for a in alerts if a["labels"]["alertname"] == "NewswireManyFeedsFailing" and a["state"] == "firing"]

    assert wait_for(lambda: bool(feed_alert()), 40, 1.0), logs()
    (alert,) = feed_alert()
    assert alert["labels"]["namespace"] == NAMESPACE and alert["labels"]["job"] == JOB
    assert alert["annotations"]["runbook_url"].endswith("#newswiremanyfeedsfailing")

    # Every rule evaluated without error.
    rules = [r for g in _api(port, "rules")["groups"] for r in g["rules"]]
    assert len(rules) == sum(len(g["rules"]) for g in yaml.safe_load(ALERTS.read_text())["groups"])
    unhealthy = {r["name"]: r.get("lastError") for r in rules if r["health"] != "ok"}
    assert unhealthy == {}
    quiet = {"NewswireTargetDown", "NewswireTargetsGone", "NewswireNotReady", "NewswireNoEventsPublished"}

    def firing() -> set[str]:
        return {a["labels"]["alertname"] for a in _api(port, "alerts")["alerts"] if a["state"] == "firing"} & quiet

    # (the rules evaluate every second: an alert raised before the late event was scraped is
    # resolved by the next evaluation, and one that holds stays)
    wait_for(lambda: not firing(), 10, 1.0)
    assert not firing(), logs()

    # The series the chart's HPA selector (group/topic, full names) and KEDA's trigger name.
    lag = _query(port, 'newswire_consumer_lag{group="newswire.clean", topic="newswire.raw"}')
    assert sorted(s["metric"]["partition"] for s in lag) == ["0", "1"], lag
    assert _query(port, f'{{__name__=~".+_created", job="{JOB}"}}') == [], "created series are disabled"

    # Every dashboard expression returns data, once rate() windows hold a few scrapes.
    scrapes = f'count_over_time(up{{job="{JOB}"}}[1m]) >= 5'
    assert wait_for(lambda: bool(_query(port, scrapes)), 30, 0.5), logs()
    empty: list[str] = []

    def all_have_data() -> bool:
        empty[:] = [where for where, expr in dashboard_expressions() if not _query(port, expr)]
        return not empty

    assert wait_for(all_have_data, 20, 1.0), f"dashboard queries without data: {empty}"
    assert len(dashboard_expressions()) >= 25
