"""HealthServer answers probes and scrapes over real HTTP on an ephemeral port."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from newswire import metrics
from newswire.health import HealthServer


def get(port: int, path: str, accept: str | None = None) -> tuple[int, str, str]:
    """(status, content type, body) of a GET; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def flag() -> dict[str, bool]:
    return {"ready": False}


@pytest.fixture
def server(flag: dict[str, bool]) -> Iterator[HealthServer]:
    with HealthServer("127.0.0.1", 0, ready=lambda: flag["ready"], liveness_timeout_s=30) as hs:
        yield hs


def test_ephemeral_port_is_bound(server: HealthServer) -> None:
    assert server.port > 0
    assert get(server.port, "/healthz")[0] == 200


def test_readyz_is_503_until_the_callable_flips(server: HealthServer, flag: dict[str, bool]) -> None:
    status, _, body = get(server.port, "/readyz")
    assert (status, body) == (503, "not ready\n")
    flag["ready"] = True
    assert get(server.port, "/readyz")[:3:2] == (200, "ready\n")
    flag["ready"] = False  # readiness can be lost again (e.g. partitions revoked)
    assert get(server.port, "/readyz")[0] == 503


def test_readyz_is_503_when_the_callable_raises() -> None:
    def broken() -> bool:
        raise RuntimeError("bug in readiness check")

    with HealthServer("127.0.0.1", 0, ready=broken, liveness_timeout_s=30) as hs:
        assert get(hs.port, "/readyz")[0] == 503
        assert get(hs.port, "/healthz")[0] == 200  # the server itself survived


def test_healthz_follows_the_heartbeat_with_a_fake_clock() -> None:
    clock = FakeClock()
    with HealthServer("127.0.0.1", 0, ready=lambda: True, liveness_timeout_s=10, clock=clock) as hs:
        clock.now += 9  # start-up grace: one timeout from construction
        assert get(hs.port, "/healthz")[0] == 200
        clock.now += 2
        status, _, body = get(hs.port, "/healthz")
        assert status == 503
        assert "11.0s" in body
        hs.tick()  # the loop recovered
        assert get(hs.port, "/healthz")[0] == 200
        clock.now += 10.5
        assert not hs.alive()
        assert get(hs.port, "/healthz")[0] == 503


def test_healthz_fails_in_real_time_when_ticks_stop() -> None:
    stop = threading.Event()
    with HealthServer("127.0.0.1", 0, ready=lambda: True, liveness_timeout_s=0.3) as hs:

        def loop() -> None:
            while not stop.is_set():
                hs.tick()
                time.sleep(0.02)

        beat = threading.Thread(target=loop, daemon=True)
        beat.start()
        time.sleep(0.5)  # longer than the timeout: only the ticks keep it alive
        assert get(hs.port, "/healthz")[0] == 200
        stop.set()
        beat.join()
        time.sleep(0.5)
        assert get(hs.port, "/healthz")[0] == 503


def test_metrics_exposes_the_newswire_catalogue(server: HealthServer) -> None:
    status, content_type, body = get(server.port, "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    assert 'newswire_polls_total{outcome="ok"}' in body
    assert "# TYPE newswire_event_latency_seconds histogram" in body
    assert "process_start_time_seconds" in body


def test_metrics_reflect_increments(server: HealthServer) -> None:
    metrics.FEEDS_BY_HEALTH["failing"].set(7)
    body = get(server.port, "/metrics")[2]
    assert 'newswire_feeds{health="failing"} 7.0' in body


def test_metrics_negotiates_openmetrics(server: HealthServer) -> None:
    status, content_type, body = get(server.port, "/metrics", accept="application/openmetrics-text; version=1.0.0")
    assert status == 200
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith("# EOF")


def test_unknown_path_is_404(server: HealthServer) -> None:
    assert get(server.port, "/nope")[0] == 404


def test_head_has_no_body(server: HealthServer) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}/healthz", method="HEAD")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200
        assert resp.read() == b""


def test_a_slow_readiness_check_does_not_block_liveness() -> None:
    release = threading.Event()

    def slow() -> bool:
        release.wait(5)
        return True

    with HealthServer("127.0.0.1", 0, ready=slow, liveness_timeout_s=30) as hs:
        results: list[int] = []
        t = threading.Thread(target=lambda: results.append(get(hs.port, "/readyz")[0]))
        t.start()
        time.sleep(0.1)
        started = time.monotonic()
        assert get(hs.port, "/healthz")[0] == 200
        assert time.monotonic() - started < 1
        release.set()
        t.join()
        assert results == [200]


def test_close_releases_the_port_and_is_idempotent() -> None:
    hs = HealthServer("127.0.0.1", 0, ready=lambda: True, liveness_timeout_s=30).start()
    port = hs.port
    hs.close()
    hs.close()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    with pytest.raises(RuntimeError):
        _ = hs.port
    # The port can be bound again straight away (SO_REUSEADDR), as after a quick restart.
    with HealthServer("127.0.0.1", port, ready=lambda: True, liveness_timeout_s=30) as again:
        assert again.port == port


def test_rejects_nonpositive_timeout() -> None:
    with pytest.raises(ValueError, match="positive"):
        HealthServer("127.0.0.1", 0, ready=lambda: True, liveness_timeout_s=0)


def test_ready_gauge_follows_readyz(server: HealthServer, flag: dict[str, bool]) -> None:
    """newswire_ready is what /readyz says, at scrape time (the not-ready alert reads it)."""
    flag["ready"] = False
    assert REGISTRY.get_sample_value("newswire_ready") == 0.0
    flag["ready"] = True
    assert REGISTRY.get_sample_value("newswire_ready") == 1.0
    server.close()
    assert REGISTRY.get_sample_value("newswire_ready") == 0.0
