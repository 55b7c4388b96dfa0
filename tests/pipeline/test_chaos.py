"""Crashing processes under a steady flow, on the real broker (issue 11).

Loopback wire sites publish new entries while pollers, cleaners and deciders run as separate
daemons; at least 20 of them are SIGKILLed at random points and started again, and the broker
itself is SIGKILLed once and started again on its data dir and port. Every daemon must turn
not-ready while the broker is down and ready again once it is back, without a restart. In the
end every entry has exactly one event (by event_id, raw_id and its reference in the text), none
is missing, nothing is dead-lettered, and every story's versions run 1..n.

The seed is printed (and in any failure); ``NEWSWIRE_CHAOS_SEED`` replays a run and
``NEWSWIRE_CHAOS_KILLS`` raises the kill count (``make chaos`` runs hundreds, not in CI).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from newswire.settings import Settings
from tests.support.broker import LocalBroker, kafka_local
from tests.support.chaos import run_chaos

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(900)]


@pytest.fixture
def crashable_broker(
    local_broker: LocalBroker | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalBroker]:
    """The session's broker (started again whatever happens, for the tests after this one), or
    a private one when the session runs against a broker it must not kill."""
    if local_broker is not None:
        try:
            yield local_broker
        finally:
            local_broker.start()
        return
    kl = kafka_local()
    home = tmp_path_factory.mktemp("chaos-kafka")
    info = kl.up(home, timeout_s=180.0)
    try:
        yield LocalBroker(str(info["bootstrap"]), home)
    finally:
        kl.down(home)


def test_kills_and_a_broker_crash_lose_nothing_and_double_nothing(
    crashable_broker: LocalBroker, kafka_settings: Settings, tmp_path: Path
) -> None:
    seed = int(os.environ.get("NEWSWIRE_CHAOS_SEED") or random.SystemRandom().randrange(1_000_000))
    kills = int(os.environ.get("NEWSWIRE_CHAOS_KILLS") or 21)
    settings = kafka_settings.model_copy(
        update={"kafka": kafka_settings.kafka.model_copy(update={"bootstrap_servers": crashable_broker.bootstrap})}
    )
    print(f"\nchaos seed: {seed}")  # also in every failure message
    report = run_chaos(settings, tmp_path, seed=seed, kills=kills, broker=crashable_broker)
    assert sum(report.kills.values()) >= kills
    assert all(report.kills[role] > 0 for role in ("poller", "clean", "thread"))
    assert report.broker_restarts == 1
    assert report.audit.entries > 100
    assert not report.audit.problems
    assert report.audit.by_type.get("story.updated", 0) > 0  # versions beyond 1 were exercised
