"""Nothing lost, nothing doubled: workers killed with SIGKILL (or drained with SIGTERM) at
arbitrary points on the real broker still publish every input's event exactly once."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from newswire.bus import open_bus
from newswire.records import RawStory
from newswire.settings import Settings
from newswire.topics import Role, topic_graph
from pipeline.samples import load_corpus, render_page, seed_records
from tests.daemons import Daemon, wait_for, write_config
from tests.paths import CORPUS

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(600)]


def _inputs(copies: int) -> list[RawStory]:
    """Distinct articles (no unchanged re-deliveries), so every input must yield one event."""
    base = sorted([*seed_records(), *load_corpus(CORPUS / "dev.jsonl")], key=lambda r: r["published"])
    out = []
    for n in range(copies):
        for r in base:
            rec = {
                **r,
                "url": f"{r['url']}?copy={n}" if n else r["url"],
                "body_paragraphs": [*r["body_paragraphs"], f"Edition {n}."] if n else r["body_paragraphs"],
            }
            out.append(
                RawStory.from_dict(
                    {
                        "id": f"{r['id']}#{n}",
                        "url": rec["url"],
                        "guid": f"{r['guid']}#{n}",
                        "html": render_page(rec),
                        "title": r["title"],
                        "published": r["published"],
                    }
                )
            )
    return out


def _produce(settings: Settings, raws: list[RawStory]) -> None:
    bus = open_bus(settings)
    graph = topic_graph(settings)
    bus.ensure_topics(graph.all())
    producer = bus.producer()
    for raw in raws:
        producer.send(graph.name(Role.RAW), raw.encode(), key=raw.article_key.encode())
    producer.flush()
    producer.close()
    bus.close()


def _events(settings: Settings) -> list[dict[str, object]]:
    bus = open_bus(settings)
    try:
        return [
            json.loads(m.value) for m in bus.read_table(topic_graph(settings).name(Role.EVENTS)) if m.value is not None
        ]
    finally:
        bus.close()


def _config(tmp_path: Path, settings: Settings) -> Path:
    return write_config(
        tmp_path / "worker.yaml",
        settings,
        worker={"extract_processes": 1, "batch_size": 4},
        metrics={"enabled": False},
        shutdown_timeout_s=20,
    )


def test_kill_9_loses_nothing_and_doubles_nothing(kafka_settings: Settings, tmp_path: Path) -> None:
    raws = _inputs(copies=6)
    _produce(kafka_settings, raws)
    config = _config(tmp_path, kafka_settings)
    log = tmp_path / "worker.log"
    rng = random.Random(7)
    kills = 0
    seen = 0
    for _ in range(3):
        worker = Daemon(config, "work", log=log, env={"NEWSWIRE_INSTANCE_ID": "w1"})
        # Kill mid-stream, as soon as this incarnation has made progress (a transaction has
        # committed) and at a random point of the next one.
        before = seen
        assert wait_for(lambda w=worker, b=before: len(_events(kafka_settings)) > b or not w.alive(), 120, 0.2)
        time.sleep(rng.uniform(0.0, 0.5))
        assert worker.alive(), log.read_text()[-3000:]
        worker.kill9()
        kills += 1
        seen = len(_events(kafka_settings))
    assert seen < len(raws), "worker finished before it could be killed"
    worker = Daemon(config, "work", log=log, env={"NEWSWIRE_INSTANCE_ID": "w1"})
    try:
        assert wait_for(lambda: len(_events(kafka_settings)) >= len(raws), 240, 1.0), log.read_text()[-3000:]
        time.sleep(2)  # anything doubled would show up now
    finally:
        assert worker.terminate() == 0
    events = _events(kafka_settings)
    per_raw = Counter(str(e["raw_id"]) for e in events)
    assert kills == 3
    assert set(per_raw) == {r.id for r in raws}
    assert max(per_raw.values()) == 1, [k for k, v in per_raw.items() if v > 1]
    assert len({e["event_id"] for e in events}) == len(events)


def test_sigterm_drains_without_loss_or_duplicates(kafka_settings: Settings, tmp_path: Path) -> None:
    raws = _inputs(copies=6)
    _produce(kafka_settings, raws)
    config = _config(tmp_path, kafka_settings)
    log = tmp_path / "worker.log"
    worker = Daemon(config, "work", log=log, env={"NEWSWIRE_INSTANCE_ID": "w2"})
    wait_for(lambda: len(_events(kafka_settings)) > 0, 90)
    started = time.monotonic()
    assert worker.terminate(timeout_s=60) == 0, log.read_text()[-3000:]
    assert time.monotonic() - started < 30  # within shutdown_timeout_s + slack
    assert "stopped cleanly" in log.read_text()
    partial = len(_events(kafka_settings))
    assert partial < len(raws)
    worker = Daemon(config, "work", log=log, env={"NEWSWIRE_INSTANCE_ID": "w2"})
    try:
        assert wait_for(lambda: len(_events(kafka_settings)) >= len(raws), 180, 1.0), log.read_text()[-3000:]
        time.sleep(2)
    finally:
        assert worker.terminate() == 0
    per_raw = Counter(str(e["raw_id"]) for e in _events(kafka_settings))
    assert set(per_raw) == {r.id for r in raws}
    assert max(per_raw.values()) == 1
