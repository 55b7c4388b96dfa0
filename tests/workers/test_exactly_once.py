"""Nothing lost, nothing doubled: workers killed with SIGKILL (or drained with SIGTERM) at
arbitrary points on the real broker still publish every input's event exactly once."""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from newswire.settings import Settings
from tests.support.daemons import Daemon, wait_for
from tests.support.workers import distinct_inputs, produce_raw, read_events, worker_config

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(600)]


def test_kill_9_loses_nothing_and_doubles_nothing(kafka_settings: Settings, tmp_path: Path) -> None:
    raws = distinct_inputs(copies=10)
    produce_raw(kafka_settings, raws)
    config = worker_config(tmp_path, kafka_settings)
    log = tmp_path / "worker.log"
    rng = random.Random(7)
    # How far each killed incarnation got. A fast host may finish the stream before the third
    # kill; the kills that land mid-stream are what the test is about, and the first always does.
    reached: list[int] = []
    while len(reached) < 3 and (not reached or reached[-1] < len(raws)):
        worker = Daemon(config, "work", log=log, env={"NEWSWIRE_INSTANCE_ID": "w1"})
        # Kill as soon as this incarnation has made progress (a transaction has committed) and at
        # a random point of the next one.
        before = reached[-1] if reached else 0
        assert wait_for(lambda w=worker, b=before: len(read_events(kafka_settings)) > b or not w.alive(), 120, 0.2)
        time.sleep(rng.uniform(0.0, 0.5))
        assert worker.alive(), log.read_text()[-3000:]
        worker.kill9()
        reached.append(len(read_events(kafka_settings)))
    assert reached[0] < len(raws), "the first incarnation finished before it could be killed"
    worker = Daemon(config, "work", log=log, env={"NEWSWIRE_INSTANCE_ID": "w1"})
    try:
        assert wait_for(lambda: len(read_events(kafka_settings)) >= len(raws), 240, 1.0), log.read_text()[-3000:]
        time.sleep(2)  # anything doubled would show up now
    finally:
        assert worker.terminate() == 0
    events = read_events(kafka_settings)
    per_raw = Counter(str(e["raw_id"]) for e in events)
    assert set(per_raw) == {r.id for r in raws}
    assert max(per_raw.values()) == 1, [k for k, v in per_raw.items() if v > 1]
    assert len({e["event_id"] for e in events}) == len(events)


def test_sigterm_drains_without_loss_or_duplicates(kafka_settings: Settings, tmp_path: Path) -> None:
    raws = distinct_inputs(copies=10)
    produce_raw(kafka_settings, raws)
    config = worker_config(tmp_path, kafka_settings)
    log = tmp_path / "worker.log"
    worker = Daemon(config, "work", log=log, env={"NEWSWIRE_INSTANCE_ID": "w2"})
    wait_for(lambda: len(read_events(kafka_settings)) > 0, 90)
    started = time.monotonic()
    assert worker.terminate(timeout_s=60) == 0, log.read_text()[-3000:]
    assert time.monotonic() - started < 30  # within shutdown_timeout_s + slack
    assert "stopped cleanly" in log.read_text()
    partial = len(read_events(kafka_settings))
    assert partial < len(raws)
    worker = Daemon(config, "work", log=log, env={"NEWSWIRE_INSTANCE_ID": "w2"})
    try:
        assert wait_for(lambda: len(read_events(kafka_settings)) >= len(raws), 180, 1.0), log.read_text()[-3000:]
        time.sleep(2)
    finally:
        assert worker.terminate() == 0
    per_raw = Counter(str(e["raw_id"]) for e in read_events(kafka_settings))
    assert set(per_raw) == {r.id for r in raws}
    assert max(per_raw.values()) == 1
