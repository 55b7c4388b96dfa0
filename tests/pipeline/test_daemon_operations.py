"""A running poller and worker on the real broker, watched the way Prometheus and the kubelet
watch them: /readyz is 503 until ready, /metrics carries the series after real work."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from newswire.bus import open_bus
from newswire.settings import Settings
from newswire.topics import Role, topic_graph
from pipeline.demo import SampleWeb
from pipeline.samples import seed_records
from tests.support.daemons import Daemon, wait_for, write_config

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(port: int, path: str) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), -1.0)


class Forwarder:
    """A TCP forwarder that starts listening only when told: the broker "appears" on cue."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _free_port()
        self._server: socket.socket | None = None

    def start(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self._server is not None
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            dst.close()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()


def _readiness_trace(port: int, proc: Daemon, timeout_s: float) -> list[int]:
    trace: list[int] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.alive():
        code = _status(port, "/readyz")
        if code is not None and (not trace or trace[-1] != code):
            trace.append(code)
        if code == 200:
            break
        time.sleep(0.05)
    return trace


def test_metrics_and_probes_of_running_daemons(kafka_settings: Settings, tmp_path: Path) -> None:
    records = [r for r in seed_records() if r["thread"] == "seed-cuba"]
    sites = sorted({r["site"] for r in records})
    with SampleWeb(list(zip(sites, ["rss", "atom", "json"], strict=True))) as web:
        web.publish(records)
        opml = tmp_path / "wires.opml"
        opml.write_text(web.opml())
        poll_port, work_port = _free_port(), _free_port()
        poller_cfg = write_config(
            tmp_path / "poller.yaml",
            kafka_settings,
            metrics={"enabled": True, "host": "127.0.0.1", "port": poll_port},
            poller={
                "feeds_file": str(opml),
                "allow_private_network": True,
                "per_host_min_interval_s": 0.0,
                "min_interval_s": 2.0,
                "max_interval_s": 4.0,
            },
        )
        # The worker reaches the broker through a forwarder that is not listening yet: until it
        # is, the worker must answer its probes with "alive, not ready".
        host, port = kafka_settings.kafka.bootstrap_servers.split(":")
        forwarder = Forwarder((host, int(port)))
        worker_cfg = write_config(
            tmp_path / "worker.yaml",
            kafka_settings,
            kafka={"bootstrap_servers": f"127.0.0.1:{forwarder.port}", "connect_timeout_s": 60},
            metrics={"enabled": True, "host": "127.0.0.1", "port": work_port},
            worker={"extract_processes": 1, "batch_size": 8},
        )
        bus = open_bus(kafka_settings)
        bus.ensure_topics(topic_graph(kafka_settings).all())
        worker = Daemon(worker_cfg, "work", log=tmp_path / "worker.log")
        poller = Daemon(poller_cfg, "poll", log=tmp_path / "poller.log")
        try:
            assert wait_for(lambda: _status(work_port, "/readyz") == 503, 30, 0.1)
            time.sleep(1.0)
            assert _status(work_port, "/readyz") == 503
            assert _status(work_port, "/healthz") == 200
            forwarder.start()
            worker_trace = _readiness_trace(work_port, worker, 90)
            poller_trace = _readiness_trace(poll_port, poller, 90)
            assert worker_trace[-1] == 200, worker_trace
            assert poller_trace[-1] == 200, poller_trace
            assert _status(work_port, "/healthz") == 200
            events_topic = topic_graph(kafka_settings).name(Role.EVENTS)

            def events() -> list[dict[str, object]]:
                return [json.loads(m.value) for m in bus.read_table(events_topic) if m.value]

            assert wait_for(lambda: len(events()) >= 3, 120, 1.0), (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(6)  # a few more polls (conditional now) and a lag report
            p = _samples(poll_port)
            w = _samples(work_port)
        finally:
            assert worker.terminate() == 0
            assert poller.terminate() == 0
            forwarder.close()
            bus.close()
    assert _value(p, "newswire_polls_total", outcome="ok") >= 3
    assert _value(p, "newswire_polls_total", outcome="not_modified") >= 1
    assert _value(p, "newswire_entries_new_total") == 3
    assert _value(p, "newswire_raw_records_produced_total") == 3
    assert _value(p, "newswire_fetched_bytes_total", kind="page") > 1000
    assert _value(p, "newswire_poll_duration_seconds_count") >= 3
    assert _value(p, "newswire_feeds", health="healthy") == 3
    assert _value(w, "newswire_raw_records_consumed_total") == 3
    assert _value(w, "newswire_extraction_duration_seconds_count") == 3
    for decision in ("new", "duplicate", "update"):
        assert _value(w, "newswire_decisions_total", decision=decision) == 1
    assert _value(w, "newswire_events_published_total", type="story.created") == 1
    assert _value(w, "newswire_event_latency_seconds_count", since="fetched") == 3
    assert 0 < _value(w, "newswire_event_latency_seconds_sum", since="fetched") < 300
    assert _value(w, "newswire_index_articles") >= 2
    lag = [v for (name, _), v in w.items() if name == "newswire_consumer_lag"]
    assert lag and all(v == 0 for v in lag)
