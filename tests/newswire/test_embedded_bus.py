"""Embedded-backend specifics beyond the shared contract: durability across reopen, and the
housekeeping that keeps a long-running single-machine database bounded."""

from __future__ import annotations

import time
from pathlib import Path

from newswire.bus import TopicPartition
from newswire.bus.embedded import EmbeddedBus
from newswire.topics import TopicSpec


def test_committed_records_and_offsets_survive_reopen(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db")
    bus.ensure_topics([TopicSpec("t", 1)])
    producer = bus.producer(transactional_id="tx")
    producer.begin()
    producer.send("t", b"kept")
    producer.commit()
    producer.begin()
    producer.send("t", b"lost in a crash")  # never committed
    bus.close()  # the "crash": the open transaction goes nowhere

    again = EmbeddedBus(tmp_path / "bus.db")
    consumer = again.consumer("g", ["t"])
    assert [m.value for m in consumer.poll(timeout_s=0.2)] == [b"kept"]
    consumer.commit()
    consumer.close()
    assert again.group_lag("g", "t") == {TopicPartition("t", 0): 0}
    again.close()


def test_maintain_compacts_and_drops_only_consumed_expired_records(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db", retention_hours=1.0)
    bus.ensure_topics([TopicSpec("state", 1, compacted=True), TopicSpec("log", 1)])
    producer = bus.producer()
    for i in range(5):
        producer.send("state", f"v{i}".encode(), key=b"feed")
        producer.send("log", f"r{i}".encode())
    producer.flush()
    consumer = bus.consumer("g", ["log"])
    consumer.poll(timeout_s=0.2, max_records=3)
    consumer.commit()  # consumed r0..r2 only

    later = 2 * 3600 * 1000 + int(time.time() * 1000)
    removed = bus.maintain(now_ms=later)
    assert removed == 4 + 3  # 4 superseded state records, 3 consumed expired log records
    assert [m.value for m in bus.read_table("state")] == [b"v4"]
    assert [m.value for m in bus.read_table("log")] == [b"r3", b"r4"]  # unconsumed: kept
    assert bus.end_offsets("log") == {TopicPartition("log", 0): 5}  # offsets never reused
    consumer.close()
    bus.close()


def test_topic_no_group_reads_is_trimmed_by_time_alone(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db", retention_hours=1.0)
    bus.ensure_topics([TopicSpec("events", 1)])
    producer = bus.producer()
    for i in range(3):
        producer.send("events", str(i).encode())
    producer.flush()
    assert bus.maintain(now_ms=int(time.time() * 1000)) == 0  # young: kept
    assert bus.maintain(now_ms=int(time.time() * 1000) + 2 * 3600 * 1000) == 3
    bus.close()


def test_a_backlogged_partition_does_not_starve_the_others(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db")
    bus.ensure_topics([TopicSpec("t", 2)])
    producer = bus.producer()
    for i in range(50):
        producer.send("t", b"busy", partition=0)
        if i < 5:
            producer.send("t", b"quiet", partition=1)
    producer.flush()
    consumer = bus.consumer("g", ["t"])
    first_two = consumer.poll(timeout_s=0.2, max_records=10) + consumer.poll(timeout_s=0.2, max_records=10)
    assert {m.partition for m in first_two} == {0, 1}
    consumer.close()
    bus.close()


def test_a_file_without_the_headers_column_is_migrated_in_place(tmp_path: Path) -> None:
    """A database written before record headers existed opens, keeps its records, and then
    stores and returns headers (traceparent, CloudEvents attributes)."""
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE topics(name TEXT PRIMARY KEY, partitions INTEGER NOT NULL, compacted INTEGER NOT NULL,
            retention_ms INTEGER);
        CREATE TABLE heads(topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
            PRIMARY KEY(topic, partition)) WITHOUT ROWID;
        CREATE TABLE records(topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
            key BLOB, value BLOB, ts INTEGER NOT NULL, PRIMARY KEY(topic, partition, offset)) WITHOUT ROWID;
        INSERT INTO topics VALUES ('t', 1, 0, NULL);
        INSERT INTO heads VALUES ('t', 0, 1);
        INSERT INTO records VALUES ('t', 0, 0, NULL, X'6F6C64', 1);
        """
    )
    conn.commit()
    conn.close()

    bus = EmbeddedBus(path)
    producer = bus.producer()
    producer.send("t", b"new", headers=[("traceparent", b"00-" + b"a" * 32 + b"-" + b"b" * 16 + b"-01")])
    producer.flush()
    producer.close()
    got = [(m.offset, m.value, m.headers) for m in bus.read_table("t")]
    assert got == [
        (0, b"old", ()),
        (1, b"new", (("traceparent", b"00-" + b"a" * 32 + b"-" + b"b" * 16 + b"-01"),)),
    ]
    bus.close()
    EmbeddedBus(path).close()  # a second open of a migrated file is a no-op


def test_maintain_caps_a_topic_in_bytes_oldest_first(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db", retention_hours=1000.0)
    bus.ensure_topics([TopicSpec("dead-letters", 1, retention_bytes=1000), TopicSpec("other", 1)])
    producer = bus.producer()
    for i in range(20):
        producer.send("dead-letters", bytes([65 + i]) * 96, key=b"k" * 4)  # 100 bytes a record
        producer.send("other", b"x" * 100)
    producer.flush()

    removed = bus.maintain()
    assert removed == 10  # no time retention due, nothing consumed: the size cap alone
    kept = [m.value for m in bus.read_table("dead-letters")]
    assert kept == [bytes([65 + i]) * 96 for i in range(10, 20)]  # the newest 1000 bytes
    assert len(list(bus.read_table("other"))) == 20  # an uncapped topic is untouched
    assert bus.end_offsets("dead-letters") == {TopicPartition("dead-letters", 0): 20}
    assert bus.maintain() == 0  # within the cap now
    bus.close()
