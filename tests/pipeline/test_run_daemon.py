"""``newswire run`` as the long-running daemon, in a subprocess on the embedded backend: it
publishes events for a live wire site next to an unreachable feed, drains and exits 0 on
SIGINT, and a second SIGTERM during a drain exits at once with 128+15."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from newswire.settings import Settings
from pipeline.demo import SampleWeb
from pipeline.samples import seed_records
from tests.support.daemons import Daemon, wait_for, write_config

pytestmark = pytest.mark.timeout(240)

SHUTDOWN_BUDGET_S = 10.0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Staller:
    """Accepts TCP connections on 127.0.0.1 and never answers: a fetch to it stays in flight."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.server.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def web() -> Iterator[SampleWeb]:
    records = [r for r in seed_records() if r["thread"] == "seed-cuba"]
    sites = sorted({r["site"] for r in records})
    with SampleWeb([(sites[0], "rss")]) as w:
        w.publish([r for r in records if r["site"] == sites[0]])
        yield w


def _config(tmp_path: Path, settings: Settings) -> Path:
    return write_config(
        tmp_path / "newswire.yaml",
        settings,
        shutdown_timeout_s=SHUTDOWN_BUDGET_S,
        metrics={"enabled": False},
        worker={"extract_processes": 0},
        poller={
            "per_host_min_interval_s": 0.0,
            "connect_timeout_s": 2.0,
            "read_timeout_s": 60.0,
            "total_timeout_s": 120.0,
        },
    )


def _feeds(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump([{"url": u} for u in urls]))
    return path


def _log_lines(log: Path) -> list[dict[str, Any]]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            out.append({"message": line, "unparsed": True})
    return out


def _messages(log: Path) -> list[str]:
    return [str(x.get("message")) for x in _log_lines(log)]


def test_run_daemon_publishes_events_and_stops_cleanly_on_sigint(
    tmp_path: Path, embedded_settings: Settings, web: SampleWeb
) -> None:
    site = next(iter(web.sites.values()))
    dead = f"http://127.0.0.1:{_closed_port()}/feed.xml"
    config = _config(tmp_path, embedded_settings)
    feeds = _feeds(tmp_path, site.feed_url, dead)
    events = tmp_path / "events.jsonl"
    log = tmp_path / "daemon.log"
    daemon = Daemon(
        config, "run", "--feeds", str(feeds), "--allow-private-network", "--events-out", str(events), log=log
    )
    try:
        assert wait_for(lambda: events.exists() and len(events.read_text().splitlines()) >= 1, 90), log.read_text()[
            -3000:
        ]
        assert daemon.alive(), "run without --once must keep running"
        messages = _messages(log)
        assert "using the embedded backend (no broker)" in messages
        assert "starting" in messages
        assert not any(x.get("unparsed") for x in _log_lines(log)), "every log line is JSON"

        started = time.monotonic()
        daemon.proc.send_signal(signal.SIGINT)
        code = daemon.wait(SHUTDOWN_BUDGET_S + 5)
        took = time.monotonic() - started
    finally:
        if daemon.alive():
            daemon.kill9()
    assert code == 0, log.read_text()[-3000:]
    assert took < SHUTDOWN_BUDGET_S + 5
    messages = _messages(log)
    assert "stopping: draining in-flight work" in messages
    assert messages[-1] == "stopped cleanly", messages[-5:]
    assert "Traceback" not in log.read_text()

    evs = [json.loads(x) for x in events.read_text().splitlines()]
    assert {e["feed_url"] for e in evs} == {site.feed_url}
    assert all(e["type"].startswith("story.") and e["story_id"] for e in evs)

    # The state it left behind: the live feed healthy, the dead one failing on "connection".
    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "--config",
            str(config),
            "--log-level",
            "ERROR",
            "feeds",
            "status",
            "--feeds",
            str(feeds),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    rows = {ln.split()[0]: ln.split() for ln in status.stdout.splitlines()[2:]}
    assert rows[site.feed_url][1] == "healthy"
    assert rows[dead][1] == "failing" and "connection" in rows[dead]


def test_second_sigterm_exits_at_once_while_draining(
    tmp_path: Path, embedded_settings: Settings, web: SampleWeb
) -> None:
    site = next(iter(web.sites.values()))
    staller = Staller()
    config = _config(tmp_path, embedded_settings)
    # The stalled feed keeps a poll in flight, so the graceful drain has real work to wait for.
    feeds = _feeds(tmp_path, site.feed_url, f"http://127.0.0.1:{staller.port}/feed.xml")
    log = tmp_path / "daemon.log"
    daemon = Daemon(config, "run", "--feeds", str(feeds), "--allow-private-network", log=log)
    try:
        assert wait_for(lambda: staller.accepted and "using the embedded backend (no broker)" in _messages(log), 60), (
            log.read_text()[-3000:]
        )
        daemon.proc.send_signal(signal.SIGTERM)
        # Two signals of the same number sent before the handler runs coalesce into one (POSIX),
        # so the second is sent as soon as the first has been acted on.
        assert wait_for(lambda: "stopping: draining in-flight work" in _messages(log), 10, interval_s=0.05)
        assert daemon.alive(), "the drain must still be waiting on the stalled poll"
        started = time.monotonic()
        daemon.proc.send_signal(signal.SIGTERM)
        code = daemon.wait(5)
        took = time.monotonic() - started
    finally:
        if daemon.alive():
            daemon.kill9()
        staller.close()
    assert code == 128 + signal.SIGTERM
    assert took < 3.0
    assert "stopped cleanly" not in _messages(log)
