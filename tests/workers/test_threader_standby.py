"""Warm standby of the thread stage: a decider without the partition follows the changelog and,
once assigned, replays only what it has not applied; its index then decides exactly as a cold
restore of the same changelog (and as the previous owner) would. On the embedded bus (real
SQLite backend); the SIGKILL take-over on the real broker is in tests/pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from newswire.bus import Bus, Message, Producer, TopicPartition
from newswire.bus.embedded import EmbeddedBus
from newswire.settings import WorkerSettings
from newswire.topics import TopicSpec
from pipeline.samples import load_corpus
from tests.support.data import DEV_CORPUS
from workers.text import content_hash
from workers.threader import ThreadProcessor

CLEANED = TopicPartition("cleaned", 0)


def _sample(name: str) -> float:
    value = REGISTRY.get_sample_value(name)
    assert value is not None, name
    return value


def _cleaned(r: dict[str, Any], copy: int) -> dict[str, Any]:
    """A corpus record as the cleaning stage would emit it; copies > 0 are the same text under
    another id (syndication: duplicates) or with an added line (revisions/updates)."""
    paras = list(r["body_paragraphs"]) + ([f"Updated edition {copy}."] if copy % 2 else [])
    text = "\n\n".join(paras)
    aid = f"{r['id']}-{copy}"
    return {
        "article_id": aid,
        "raw_id": f"raw-{aid}",
        "url": f"{r['url']}?c={copy}",
        "canonical_url": f"{r['url']}?c={copy}",
        "site": r["site"],
        "title": r["title"],
        "text": text,
        "authors": [],
        "published": r["published"],
        "language": "en",
        "guid": f"{r['guid']}-{copy}",
        "feed_url": f"https://{r['site']}/feed",
        "content_hash": content_hash(text),
    }


def _inputs() -> list[dict[str, Any]]:
    corpus = sorted(load_corpus(DEV_CORPUS), key=lambda r: r["published"])
    return [_cleaned(r, c) for r in corpus for c in range(3)]


def _batch(articles: list[dict[str, Any]], start: int) -> list[Message]:
    return [Message("cleaned", 0, start + i, None, json.dumps(a).encode(), 0) for i, a in enumerate(articles)]


def _decide(proc: ThreadProcessor, producer: Producer | None, articles: list[dict[str, Any]]) -> list[Any]:
    """One batch through ``proc``; its changelog records committed by ``producer`` (as the stage
    loop's transaction would); returns the events' identity."""
    outcomes = proc.process(_batch(articles, 0))
    events = []
    if producer is not None:
        producer.begin()
    for outcome in sorted(outcomes, key=lambda o: o.order if o.order is not None else -1):
        for out in outcome.outputs:
            if out.topic == "index" and producer is not None:
                producer.send("index", out.value, out.key)
            elif out.topic == "events":
                e = json.loads(out.value or b"{}")
                events.append((e["type"], e["story_id"], e["version"], e["article_id"], e.get("update_kind")))
    if producer is not None:
        producer.commit()
        proc.on_commit(producer.committed_offsets())  # as the stage loop does
    return events


@pytest.fixture
def bus(tmp_path: Path) -> Any:
    b = EmbeddedBus(tmp_path / "bus.db")
    b.ensure_topics([TopicSpec("index", 1, compacted=True)])
    yield b
    b.close()


def _processor(bus: Bus | None) -> ThreadProcessor:
    reader = bus.table_reader("index") if bus is not None else None
    return ThreadProcessor(WorkerSettings(), "events", "index", changelog=reader)


def test_standby_takes_over_with_the_tail_only_and_decides_as_a_cold_restore(bus: Bus) -> None:
    inputs = _inputs()
    head, tail, after = inputs[:40], inputs[40:55], inputs[55:]
    active = _processor(None)
    producer = bus.producer(transactional_id="decider-a")
    standby = _processor(bus)
    standby.on_assign(frozenset())  # joined the group, no partition: a standby
    for i in range(0, len(head), 8):
        _decide(active, producer, head[i : i + 8])
        standby.tick()  # an idle turn of its stage loop
    for _ in range(3):
        standby.tick()
    assert standby.warm and not standby.assigned
    assert standby.index.stats() == active.index.stats()
    followed = bus.end_offsets("index")[TopicPartition("index", 0)]

    # The active decides a tail the standby does not see, then dies (its last batch committed).
    _decide(active, producer, tail)
    end = bus.end_offsets("index")[TopicPartition("index", 0)]
    assert end > followed
    producer.close()

    takeovers = _sample("newswire_thread_takeover_seconds_count")
    standby.on_assign(frozenset({CLEANED}))
    assert standby.assigned == {CLEANED} and not standby.restoring and standby.ready
    # Only the tail was replayed, not the whole changelog.
    assert _sample("newswire_thread_takeover_records") == end - followed
    assert _sample("newswire_thread_standby_lag_records") == 0
    assert _sample("newswire_thread_takeover_seconds_count") == takeovers + 1

    cold = ThreadProcessor(
        WorkerSettings(), "events", "index", restore=lambda: bus.read_table("index")
    )  # a fresh pod's restore
    cold.on_assign(frozenset({CLEANED}))
    assert standby.index.stats() == cold.index.stats() == active.index.stats()
    assert standby.boilerplate.keys() == cold.boilerplate.keys() == active.boilerplate.keys()
    assert standby.watermark == cold.watermark

    by_standby = _decide(standby, bus.producer(transactional_id="decider-b"), after)
    by_cold = _decide(cold, None, after)
    by_predecessor = _decide(active, None, after)
    assert by_standby == by_cold == by_predecessor
    assert {kind for kind, *_ in by_standby} >= {"story.created", "story.updated"}


def test_a_standby_never_publishes_and_a_revoked_decider_follows_again(bus: Bus) -> None:
    inputs = _inputs()
    first = _processor(bus)
    first.on_assign(frozenset({CLEANED}))  # first member: a cold take-over of an empty changelog
    assert _sample("newswire_thread_takeover_records") == 0
    producer = bus.producer(transactional_id="decider-a")
    _decide(first, producer, inputs[:30])
    first.on_revoke(frozenset({CLEANED}))  # the partition moves to another member
    assert not first.assigned and not first.ready
    standby_events = []
    second = _processor(bus)
    second.on_assign(frozenset({CLEANED}))
    for i in range(30, 60, 10):
        standby_events.append(_decide(second, bus.producer(transactional_id="decider-b"), inputs[i : i + 10]))
        first.tick()  # follows: re-applies its own records, then the successor's
    for _ in range(3):
        first.tick()
    assert first.index.stats() == second.index.stats()
    # Following wrote nothing: the only records are the two deciders' transactions.
    assert all(m.key is not None for m in bus.read_table("index"))
    first.on_assign(frozenset({CLEANED}))
    assert _sample("newswire_thread_takeover_records") == 0  # nothing left to replay
    assert _decide(first, None, inputs[60:]) == _decide(second, None, inputs[60:])


def test_an_aborted_batch_rebuilds_from_the_whole_changelog(bus: Bus) -> None:
    inputs = _inputs()
    proc = _processor(bus)
    proc.on_assign(frozenset({CLEANED}))
    producer = bus.producer(transactional_id="decider-a")
    _decide(proc, producer, inputs[:20])
    committed = proc.index.stats()
    _decide(proc, None, inputs[20:30])  # its transaction aborts: the index ran ahead
    assert proc.index.stats() != committed
    proc.on_abort()
    assert proc.index.stats() == committed


def test_without_standby_a_member_holds_nothing_and_takes_over_cold(bus: Bus) -> None:
    inputs = _inputs()
    producer = bus.producer(transactional_id="decider-a")
    active = _processor(None)
    _decide(active, producer, inputs[:20])
    idle = ThreadProcessor(WorkerSettings(thread_standby=False), "events", "index", changelog=bus.table_reader("index"))
    idle.on_assign(frozenset())
    for _ in range(3):
        idle.tick()
    assert not idle.warm and idle.index.stats()["articles"] == 0
    idle.on_assign(frozenset({CLEANED}))
    assert _sample("newswire_thread_takeover_records") == bus.end_offsets("index")[TopicPartition("index", 0)]
    assert idle.index.stats() == active.index.stats()
    idle.on_revoke(frozenset({CLEANED}))
    assert idle.index.stats()["articles"] == 0


def test_a_decider_that_keeps_its_partition_through_a_rebalance_replays_nothing(bus: Bus) -> None:
    """Eager rebalances revoke and re-assign even a partition that stays: the decider must not
    read back (and re-apply) the records it wrote itself."""
    inputs = _inputs()
    proc = _processor(bus)
    proc.on_assign(frozenset({CLEANED}))
    producer = bus.producer(transactional_id="decider-a")
    for i in range(0, 60, 10):
        _decide(proc, producer, inputs[i : i + 10])
    proc.on_revoke(frozenset({CLEANED}))
    proc.on_assign(frozenset({CLEANED}))
    assert _sample("newswire_thread_takeover_records") == 0
    cold = ThreadProcessor(WorkerSettings(), "events", "index", restore=lambda: bus.read_table("index"))
    cold.on_assign(frozenset({CLEANED}))
    assert proc.index.stats() == cold.index.stats()
    assert _decide(proc, None, inputs[60:]) == _decide(cold, None, inputs[60:])
