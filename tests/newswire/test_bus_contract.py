"""The bus contract: one suite, run unchanged against the embedded backend and the real broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from newswire.bus import Bus, Consumer, Message, TopicPartition, open_bus, partition_for
from newswire.settings import Settings
from newswire.topics import TopicSpec


@pytest.fixture
def bus(any_settings: Settings) -> Iterator[Bus]:
    b = open_bus(any_settings)
    yield b
    b.close()


def _topic(bus: Bus, partitions: int = 3, compacted: bool = False) -> str:
    name = f"c{uuid.uuid4().hex[:10]}"
    bus.ensure_topics([TopicSpec(name, partitions, compacted=compacted, max_message_bytes=8 << 20)])
    bus.ensure_topics([TopicSpec(name, partitions, compacted=compacted)])  # idempotent
    return name


def _drain(consumer: Consumer, want: int, rounds: int = 40) -> list[Message]:
    got: list[Message] = []
    for _ in range(rounds):
        got.extend(consumer.poll(timeout_s=0.5))
        if len(got) >= want:
            break
    return got


def test_produce_consume_commit_round_trip(bus: Bus) -> None:
    topic = _topic(bus)
    producer = bus.producer()
    for i in range(30):
        producer.send(topic, f"v{i}".encode(), key=f"k{i % 5}".encode(), headers=[("h", b"x")])
    producer.flush()
    producer.close()

    group = f"g{uuid.uuid4().hex[:6]}"
    consumer = bus.consumer(group, [topic])
    got = _drain(consumer, 30)
    assert sorted(m.value or b"" for m in got) == sorted(f"v{i}".encode() for i in range(30))
    assert all(m.headers == (("h", b"x"),) for m in got)
    # Same key -> same partition, the one partition_for picks on both backends.
    for m in got:
        assert m.key is not None
        assert m.partition == partition_for(m.key, 3)
    # Per key, order is preserved.
    by_key: dict[bytes, list[int]] = {}
    for m in sorted(got, key=lambda m: (m.partition, m.offset)):
        assert m.key is not None and m.value is not None
        by_key.setdefault(m.key, []).append(int(m.value[1:]))
    assert all(v == sorted(v) for v in by_key.values())
    consumer.commit()
    assert bus.group_lag(group, topic) == {TopicPartition(topic, p): 0 for p in range(3)}
    consumer.close()

    # A new member of the same group resumes after the commit: nothing is read twice.
    again = bus.consumer(group, [topic])
    assert _drain(again, 1, rounds=4) == []
    again.close()


def test_uncommitted_records_are_redelivered(bus: Bus) -> None:
    topic = _topic(bus, partitions=1)
    producer = bus.producer()
    for i in range(10):
        producer.send(topic, str(i).encode())
    producer.flush()
    group = f"g{uuid.uuid4().hex[:6]}"
    first = bus.consumer(group, [topic])
    got = _drain(first, 10)
    assert len(got) == 10
    first.commit({TopicPartition(topic, 0): got[4].offset + 1})  # processed only 5
    first.close()
    second = bus.consumer(group, [topic])
    rest = _drain(second, 5)
    assert [m.value for m in rest] == [str(i).encode() for i in range(5, 10)]
    second.close()
    producer.close()


def test_transaction_commit_is_atomic_with_offsets(bus: Bus) -> None:
    src, dst = _topic(bus, partitions=1), _topic(bus, partitions=1)
    plain = bus.producer()
    for i in range(4):
        plain.send(src, str(i).encode())
    plain.flush()
    plain.close()

    group = f"g{uuid.uuid4().hex[:6]}"
    consumer = bus.consumer(group, [src])
    txp = bus.producer(transactional_id=f"tx-{uuid.uuid4().hex[:6]}")
    got = _drain(consumer, 4)
    tp = TopicPartition(src, 0)

    # An aborted transaction publishes nothing and moves no offsets.
    txp.begin()
    txp.send(dst, b"aborted")
    txp.abort()
    consumer.seek(tp, got[0].offset)

    txp.begin()
    for m in got:
        txp.send(dst, b"out-" + (m.value or b""))
    txp.commit(consumer, {tp: got[-1].offset + 1})
    assert bus.group_lag(group, src)[tp] == 0

    reader = bus.consumer(f"r{uuid.uuid4().hex[:6]}", [dst])
    out = _drain(reader, 4)
    assert [m.value for m in out] == [b"out-0", b"out-1", b"out-2", b"out-3"]
    assert _drain(reader, 1, rounds=3) == []
    for c in (reader, consumer):
        c.close()
    txp.close()


def test_read_table_returns_latest_per_key_in_order(bus: Bus) -> None:
    topic = _topic(bus, partitions=2, compacted=True)
    b_key = next(k for k in (b"b", b"c", b"d", b"e") if partition_for(k, 2) != partition_for(b"a", 2))
    producer = bus.producer()
    for i in range(3):
        producer.send(topic, f"a{i}".encode(), key=b"a")
        producer.send(topic, f"b{i}".encode(), key=b_key)
    producer.send(topic, None, key=b_key)  # tombstone
    producer.flush()
    producer.close()
    latest: dict[bytes, bytes | None] = {}
    for m in bus.read_table(topic):
        assert m.key is not None
        latest[m.key] = m.value
    assert latest == {b"a": b"a2", b_key: None}
    only = list(bus.read_table(topic, partitions=[partition_for(b"a", 2)]))
    assert {m.key for m in only} == {b"a"}


def test_lag_reports_unread_records(bus: Bus) -> None:
    topic = _topic(bus, partitions=1)
    producer = bus.producer()
    for i in range(7):
        producer.send(topic, str(i).encode())
    producer.flush()
    producer.close()
    consumer = bus.consumer(f"g{uuid.uuid4().hex[:6]}", [topic])
    got = _drain(consumer, 7)
    assert len(got) == 7
    assert consumer.lag() == {TopicPartition(topic, 0): 0}
    assert bus.end_offsets(topic)[TopicPartition(topic, 0)] >= 7
    consumer.close()


def test_table_reader_tails_committed_records_from_where_it_stopped(bus: Bus) -> None:
    """A standby's view of a changelog: everything committed, in order, resumed where the last
    read stopped, never an open or aborted transaction's records; ``read_to_end`` reaches the
    end as of its call; ``rewind`` starts over."""
    topic = _topic(bus, partitions=1, compacted=True)
    tp = TopicPartition(topic, 0)
    txp = bus.producer(transactional_id=f"tx-{uuid.uuid4().hex[:6]}")
    txp.begin()
    for i in range(5):
        txp.send(topic, f"v{i}".encode(), key=f"k{i}".encode())
    txp.commit()
    reader = bus.table_reader(topic)
    try:
        assert reader.positions() == {tp: 0}
        assert reader.lag() >= 5
        first = list(reader.read_to_end())
        assert [m.value for m in first] == [f"v{i}".encode() for i in range(5)]
        assert reader.lag() == 0 and reader.caught_up(reader.end_offsets())
        at = reader.positions()[tp]
        assert at >= 5

        txp.begin()  # aborted: never seen
        txp.send(topic, b"aborted", key=b"k0")
        txp.abort()
        txp.begin()
        txp.send(topic, b"w0", key=b"k0")
        txp.send(topic, None, key=b"k1")
        txp.commit()
        txp.begin()  # open while the reader catches up: beyond the committed end
        txp.send(topic, b"open", key=b"k2")
        txp.flush()
        written = txp.committed_offsets()
        tail = list(reader.read_to_end())
        assert [(m.key, m.value) for m in tail] == [(b"k0", b"w0"), (b"k1", None)]
        assert written == {tp: tail[-1].offset + 1}  # where the last committed transaction ended
        assert all(m.offset >= at for m in tail)
        assert reader.read(timeout_s=0.5) == []
        txp.commit()
        later: list[Message] = []
        for _ in range(20):
            later.extend(reader.read(timeout_s=0.5))
            if later:
                break
        assert [m.value for m in later] == [b"open"]
        assert reader.lag() == 0

        reader.seek(tp, written[tp])  # a holder of everything before: only what came after
        assert [m.value for m in reader.read_to_end()] == [b"open"]
        reader.rewind()
        again = list(reader.read_to_end())
        latest = {m.key: m.value for m in again}
        assert latest == {b"k0": b"w0", b"k1": None, b"k2": b"open", b"k3": b"v3", b"k4": b"v4"}
    finally:
        reader.close()
        txp.close()
