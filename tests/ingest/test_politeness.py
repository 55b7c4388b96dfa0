"""Per-host politeness: concurrency cap, minimum spacing, Retry-After deferral (real threads)."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from ingest.politeness import HostBusyError, Politeness, PolitenessSettings, host_key


def test_host_key() -> None:
    assert host_key("https://News.Example.com:8443/a?b") == "news.example.com"
    assert host_key("Example.COM") == "example.com"


@pytest.mark.timeout(10)
def test_min_interval_spaces_request_starts() -> None:
    p = Politeness(PolitenessSettings(max_concurrency=5, min_interval_s=0.1))
    starts, waits = [], []
    for _ in range(4):
        with p.slot("https://a.example/x") as waited:
            starts.append(time.monotonic())
            waits.append(waited)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(g >= 0.09 for g in gaps)
    assert waits[0] < 0.01 and all(w > 0.05 for w in waits[1:])
    with p.slot("https://b.example/") as waited:  # other hosts are not held back
        assert waited < 0.01


@pytest.mark.timeout(10)
def test_concurrency_cap_per_host() -> None:
    p = Politeness(PolitenessSettings(max_concurrency=2, min_interval_s=0.0))
    lock = threading.Lock()
    active = peak = 0

    def work() -> None:
        nonlocal active, peak
        with p.slot("a.example"):
            with lock:
                active += 1
                peak = max(peak, active)
            time.sleep(0.05)
            with lock:
                active -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2


@pytest.mark.timeout(10)
def test_retry_after_defers_host_and_max_wait() -> None:
    p = Politeness(PolitenessSettings(min_interval_s=0.0))
    p.defer("https://a.example/feed", 0.3)
    assert 0.2 < p.delay("a.example") <= 0.3
    with pytest.raises(HostBusyError) as info:
        p.acquire("a.example", max_wait_s=0.05)
    assert info.value.wait_s > 0.1
    p.defer("a.example", 0.01)  # never shortens an existing deferral
    assert p.delay("a.example") > 0.2
    t0 = time.monotonic()
    with p.slot("a.example") as waited:
        assert waited >= 0.2
    assert time.monotonic() - t0 >= 0.2


@pytest.mark.timeout(10)
def test_waiter_wakes_on_release() -> None:
    p = Politeness(PolitenessSettings(max_concurrency=1, min_interval_s=0.0))
    p.acquire("a.example")
    threading.Timer(0.1, p.release, args=("a.example",)).start()
    waited = p.acquire("a.example", max_wait_s=2.0)
    assert 0.05 < waited < 1.0
    p.release("a.example")
