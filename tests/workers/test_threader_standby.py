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

from newswire.bus import Bus, Message, Producer, TableReader, TopicPartition
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


# -- the take-over reaches the group's committed offset --------------------------------------


class _PendingMarkers(TableReader):
    """The changelog as a ``read_committed`` Kafka reader sees it while the commit markers of a
    committed transaction are still being written (they land partition by partition, the
    changelog's after the group's offsets': after a broker restart, or with an open transaction
    of a deposed owner before it): from ``hold(offset, reads)`` on, the records from ``offset``
    are beyond the last stable offset for the next ``reads`` reads, then readable."""

    def __init__(self, inner: TableReader) -> None:
        self.topic = inner.topic
        self._inner = inner
        self._hold_from: int | None = None
        self._reads_left = 0

    def hold(self, offset: int, reads: int) -> None:
        self._hold_from, self._reads_left = offset, reads

    def _holding(self) -> bool:
        return self._hold_from is not None and self._reads_left > 0

    def read(self, max_records: int = 2000, timeout_s: float = 0.1) -> list[Message]:
        holding = self._holding()
        self._reads_left -= 1
        batch = self._inner.read(max_records, 0.0)
        if not holding or self._hold_from is None:
            return batch
        kept = [m for m in batch if m.offset < self._hold_from]
        if len(kept) < len(batch):
            self._inner.seek(INDEX, self._hold_from)
        return kept

    def positions(self) -> dict[TopicPartition, int]:
        return self._inner.positions()

    def end_offsets(self) -> dict[TopicPartition, int]:
        if self._holding() and self._hold_from is not None:
            return {INDEX: self._hold_from}
        return self._inner.end_offsets()

    def settled(self) -> bool:
        return not self._holding() and self._inner.settled()

    def rewind(self) -> None:
        self._inner.rewind()

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self._inner.seek(tp, offset)

    def close(self) -> None:
        self._inner.close()


INDEX = TopicPartition("index", 0)


def _commit_batch(proc: ThreadProcessor, producer: Producer, articles: list[dict[str, Any]], at: int) -> list[Any]:
    """One batch at input offset ``at`` committed as the stage loop commits it: its outputs,
    the processor's records of the consumed offset, then ``on_commit``."""
    outcomes = proc.process(_batch(articles, at))
    producer.begin()
    events = []
    for outcome in sorted(outcomes, key=lambda o: o.order if o.order is not None else -1):
        for out in outcome.outputs:
            if out.topic == "index":
                producer.send("index", out.value, out.key)
            elif out.topic == "events":
                e = json.loads(out.value or b"{}")
                events.append((e["type"], e["story_id"], e["version"], e["article_id"]))
    for out in proc.commit_outputs({CLEANED: at + len(articles)}):
        producer.send(out.topic, out.value, out.key)
    producer.commit()
    proc.on_commit(producer.committed_offsets())
    return events


def _end(bus: Bus) -> int:
    return bus.end_offsets("index")[INDEX]


def test_a_takeover_waits_for_the_changelog_to_reach_the_committed_offset(bus: Bus) -> None:
    """The group's offsets of the predecessor's last transaction are committed (the stable
    fetch saw them) while its changelog records are not readable yet. Deciding from the index
    as the read end left it would miss that batch: a re-delivery of one of its articles (a
    poller re-emits what it committed just before a broker outage) would be published again."""
    inputs = _inputs()
    head, last = inputs[:40], inputs[40:48]
    active = _processor(None)
    producer = bus.producer(transactional_id="decider-a")
    reader = _PendingMarkers(bus.table_reader("index"))
    standby = ThreadProcessor(WorkerSettings(), "events", "index", changelog=reader)
    standby.on_assign_at(frozenset(), {})
    for i in range(0, len(head), 8):
        _commit_batch(active, producer, head[i : i + 8], i)
        standby.tick()
    standby.tick()
    assert standby.applied == {CLEANED: len(head)}
    before = _end(bus)
    assert _commit_batch(active, producer, last, len(head))  # the predecessor's last batch, then it dies
    reader.hold(before, reads=3)

    standby.on_assign_at(frozenset({CLEANED}), {CLEANED: len(head) + len(last)})

    assert standby.index.stats() == active.index.stats()
    redelivered = _commit_batch(standby, bus.producer(transactional_id="decider-b"), last, len(head) + len(last))
    assert redelivered == []  # every one unchanged: nothing published twice
    assert standby.applied == {CLEANED: len(head) + 2 * len(last)}


def test_an_aborted_batch_rebuilds_at_least_to_the_deciders_own_last_commit(bus: Bus) -> None:
    """After an abort the index is rebuilt from the changelog, where this decider's own last
    committed transaction can still be beyond the read end: the rebuild waits for it, since the
    consumer resumes after it."""
    inputs = _inputs()
    reader = _PendingMarkers(bus.table_reader("index"))
    proc = ThreadProcessor(WorkerSettings(), "events", "index", changelog=reader)
    proc.on_assign_at(frozenset({CLEANED}), {})
    producer = bus.producer(transactional_id="decider-a")
    _commit_batch(proc, producer, inputs[:16], 0)
    before = _end(bus)
    _commit_batch(proc, producer, inputs[16:24], 16)
    committed = proc.index.stats()
    proc.process(_batch(inputs[24:32], 24))  # its transaction aborts: the index ran ahead
    reader.hold(before, reads=3)
    proc.on_abort()
    assert proc.index.stats() == committed
    assert proc.applied == {CLEANED: 24}
    cold = ThreadProcessor(WorkerSettings(), "events", "index", restore=lambda: bus.read_table("index"))
    cold.on_assign(frozenset({CLEANED}))
    assert _decide(proc, None, inputs[16:32]) == _decide(cold, None, inputs[16:32])


def test_a_changelog_without_offset_records_is_taken_as_it_is(bus: Bus) -> None:
    """A changelog written before the offset records (or by a version rolled back to) cannot
    show the committed offset: once nothing more can become readable, the take-over goes on."""
    inputs = _inputs()
    active = _processor(None)
    _decide(active, bus.producer(transactional_id="decider-a"), inputs[:20])  # no offset records
    proc = _processor(bus)
    proc.on_assign_at(frozenset({CLEANED}), {CLEANED: 20})
    assert proc.ready and proc.applied == {}
    assert proc.index.stats() == active.index.stats()


def test_every_commit_of_the_stage_loop_writes_the_offset_it_commits(tmp_path: Path) -> None:
    """Batches and quarantined records alike: the changelog's offset record and the group's
    committed offset are written in one transaction, so they never disagree."""
    from newswire.runtime import StageLoop, StopFlag

    b = EmbeddedBus(tmp_path / "bus.db")
    try:
        b.ensure_topics([TopicSpec("index", 1, compacted=True), TopicSpec("cleaned", 1), TopicSpec("events", 1)])
        b.ensure_topics([TopicSpec("dead", 1)])
        p = b.producer()
        for i, a in enumerate(_inputs()[:12]):
            p.send("cleaned", json.dumps(a).encode() if i != 5 else b"\xff not json", partition=0)
        p.flush()
        proc = ThreadProcessor(WorkerSettings(), "events", "index", changelog=b.table_reader("index"))
        loop = StageLoop(b, proc, "deciders", ["cleaned"], "dead", "decider-x", StopFlag(), batch_size=4)
        loop.run(until_idle=True)
        loop.close()
        offsets = [(m.key, m.value) for m in b.read_table("index") if m.key and m.key.startswith(b"offset/")]
        assert offsets[-1] == (b"offset/cleaned/0", b"12")
        assert [int(v or b"0") for _, v in offsets] == [4, 8, 12]
        c = b.consumer("deciders", ["cleaned"])
        c.assignment()
        assert c.assigned_offsets() == {CLEANED: 12}
        c.close()
    finally:
        b.close()
