"""Embedded bus: topics, consumer offsets and transactions in one SQLite file on local disk.

The single-machine default (``make run``): no broker to install, yet the same semantics as Kafka.
A transaction's records and its consumer offsets are written in one SQLite transaction, so a
crash loses nothing and doubles nothing; WAL mode with ``synchronous=FULL`` makes a committed
write survive a process crash or power loss. Compacted topics keep the latest record per key.

Limits, on purpose: one process family on one disk, and one active member per consumer group
(a second member of the same group would read the same partitions).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from newswire.bus.base import (
    Bus,
    BusError,
    Consumer,
    Message,
    PartitionsCallback,
    Producer,
    TableReader,
    TopicPartition,
    partition_for,
)
from newswire.topics import TopicSpec

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics(
    name TEXT PRIMARY KEY, partitions INTEGER NOT NULL, compacted INTEGER NOT NULL,
    retention_ms INTEGER);
CREATE TABLE IF NOT EXISTS heads(
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    PRIMARY KEY(topic, partition)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records(
    topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    key BLOB, value BLOB, ts INTEGER NOT NULL, headers TEXT,
    PRIMARY KEY(topic, partition, offset)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_key ON records(topic, partition, key);
CREATE TABLE IF NOT EXISTS group_offsets(
    group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
    offset INTEGER NOT NULL, PRIMARY KEY(group_id, topic, partition)) WITHOUT ROWID;
"""

_POLL_INTERVAL_S = 0.05
#: Bumped with each change to the tables; ``_migrate`` brings an older file up to date in place.
_SCHEMA_VERSION = 1


def _migrate(conn: sqlite3.Connection) -> None:
    """Create missing tables, then add what a file from an older newswire lacks.

    Only additive steps (new tables, new nullable columns), so an older newswire can still
    read a migrated file, and a crash midway leaves a file the next start migrates again.
    """
    conn.executescript(_SCHEMA)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(records)")}
    if "headers" not in columns:  # files written before record headers existed
        conn.execute("ALTER TABLE records ADD COLUMN headers TEXT")
    conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=60.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=60000")
    return conn


def _encode_headers(headers: Sequence[tuple[str, bytes]]) -> str | None:
    return json.dumps([[k, v.hex()] for k, v in headers]) if headers else None


def _read_partition(conn: sqlite3.Connection, tp: TopicPartition, pos: int, limit: int) -> list[Message]:
    """Up to ``limit`` records of one partition from offset ``pos`` on, in offset order: the read
    a group consumer's poll and a table reader share (the caller holds the connection's lock)."""
    rows = conn.execute(
        "SELECT offset, key, value, ts, headers FROM records "
        "WHERE topic=? AND partition=? AND offset>=? ORDER BY offset LIMIT ?",
        (tp.topic, tp.partition, pos, limit),
    ).fetchall()
    return [Message(tp.topic, tp.partition, int(o), k, v, int(ts), _decode_headers(h)) for o, k, v, ts, h in rows]


def _decode_headers(raw: str | None) -> tuple[tuple[str, bytes], ...]:
    return tuple((k, bytes.fromhex(v)) for k, v in json.loads(raw)) if raw else ()


class _Topics:
    """Topic metadata cache (partition counts never change once created)."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self._conn, self._lock = conn, lock
        self._cache: dict[str, tuple[int, bool]] = {}

    def get(self, topic: str) -> tuple[int, bool]:
        found = self._cache.get(topic)
        if found is None:
            with self._lock:
                row = self._conn.execute("SELECT partitions, compacted FROM topics WHERE name=?", (topic,)).fetchone()
            if row is None:
                raise BusError(f"unknown topic {topic!r} (ensure_topics was not called)")
            found = self._cache[topic] = (int(row[0]), bool(row[1]))
        return found


def _write_records(
    conn: sqlite3.Connection, pending: list[tuple[str, int, bytes | None, bytes | None, str | None]]
) -> dict[TopicPartition, int]:
    """Append records inside the caller's transaction, assigning offsets from ``heads``;
    returns the next offset of each partition written."""
    now = int(time.time() * 1000)
    written: dict[TopicPartition, int] = {}
    for topic, part, key, value, headers in pending:
        row = conn.execute("SELECT next_offset FROM heads WHERE topic=? AND partition=?", (topic, part)).fetchone()
        offset = int(row[0]) if row else 0
        conn.execute(
            "INSERT INTO records(topic, partition, offset, key, value, ts, headers) VALUES (?,?,?,?,?,?,?)",
            (topic, part, offset, key, value, now, headers),
        )
        conn.execute(
            "INSERT INTO heads VALUES (?,?,?) ON CONFLICT(topic, partition) "
            "DO UPDATE SET next_offset=excluded.next_offset",
            (topic, part, offset + 1),
        )
        written[TopicPartition(topic, part)] = offset + 1
    return written


def _write_offsets(conn: sqlite3.Connection, group_id: str, offsets: Mapping[TopicPartition, int]) -> None:
    for tp, off in offsets.items():
        conn.execute(
            "INSERT INTO group_offsets VALUES (?,?,?,?) ON CONFLICT(group_id, topic, partition) "
            "DO UPDATE SET offset=excluded.offset",
            (group_id, tp.topic, tp.partition, off),
        )


class EmbeddedProducer(Producer):
    """Buffers records in memory; ``flush``/``commit`` writes them in one SQLite transaction."""

    _AUTOFLUSH = 500

    def __init__(self, path: Path, transactional: bool) -> None:
        self._conn = _connect(path)
        self._lock = threading.Lock()
        self._topics = _Topics(self._conn, self._lock)
        self._transactional = transactional
        self._in_txn = False
        self._pending: list[tuple[str, int, bytes | None, bytes | None, str | None]] = []
        self._committed: dict[TopicPartition, int] = {}

    def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
        partition: int | None = None,
    ) -> None:
        if self._transactional and not self._in_txn:
            raise BusError("send outside a transaction on a transactional producer")
        partitions, _ = self._topics.get(topic)
        if partition is None:
            partition = partition_for(key, partitions) if key is not None else 0
        elif not 0 <= partition < partitions:
            raise BusError(f"partition {partition} out of range for {topic}")
        self._pending.append((topic, partition, key, value, _encode_headers(headers)))
        if not self._transactional and len(self._pending) >= self._AUTOFLUSH:
            self.flush()

    def _write(self, group_id: str | None, offsets: Mapping[TopicPartition, int] | None) -> None:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                written = _write_records(self._conn, self._pending)
                if group_id is not None and offsets:
                    _write_offsets(self._conn, group_id, offsets)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise BusError(f"embedded write failed: {exc}") from exc
        self._pending.clear()
        self._committed = written

    def flush(self, timeout_s: float | None = None) -> None:
        if self._transactional:
            return  # records become visible only at commit
        if self._pending:
            self._write(None, None)

    def begin(self) -> None:
        if not self._transactional:
            raise BusError("begin() on a non-transactional producer")
        if self._in_txn:
            raise BusError("transaction already open")
        self._in_txn = True
        self._pending.clear()

    def commit(self, consumer: Consumer | None = None, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        if not self._in_txn:
            raise BusError("commit() without begin()")
        self._write(consumer.group_id if consumer is not None else None, offsets)
        if consumer is not None and offsets and isinstance(consumer, EmbeddedConsumer):
            consumer._committed_positions(offsets)
        self._in_txn = False

    def abort(self) -> None:
        self._pending.clear()
        self._in_txn = False

    def settle(self, group_id: str) -> None:
        """Nothing to settle: a commit writes its records and offsets in one SQLite transaction,
        so no offsets are ever left pending."""

    def committed_offsets(self) -> dict[TopicPartition, int]:
        return dict(self._committed)

    def close(self) -> None:
        if not self._transactional:
            self.flush()
        self._conn.close()


class EmbeddedConsumer(Consumer):
    """Sole member of its group: assigned every partition of its topics."""

    def __init__(
        self,
        path: Path,
        group_id: str,
        topics: Sequence[str],
        on_assign: PartitionsCallback | None,
        on_revoke: PartitionsCallback | None,
    ) -> None:
        self._conn = _connect(path)
        self._lock = threading.Lock()
        self._topics_meta = _Topics(self._conn, self._lock)
        self.group_id = group_id
        self._topics = list(topics)
        self._on_assign, self._on_revoke = on_assign, on_revoke
        self._positions: dict[TopicPartition, int] = {}
        self._assigned: frozenset[TopicPartition] = frozenset()
        self._resumed: dict[TopicPartition, int] = {}
        self._rotation = 0  # start partition of the next poll: no partition starves the others

    def _ensure_assigned(self) -> None:
        if self._assigned:
            return
        tps = {TopicPartition(t, p) for t in self._topics for p in range(self._topics_meta.get(t)[0])}
        with self._lock:
            rows = self._conn.execute(
                "SELECT topic, partition, offset FROM group_offsets WHERE group_id=?", (self.group_id,)
            ).fetchall()
        committed = {TopicPartition(r[0], int(r[1])): int(r[2]) for r in rows}
        self._positions = {tp: committed.get(tp, 0) for tp in tps}
        self._resumed = {tp: off for tp, off in committed.items() if tp in tps}
        self._assigned = frozenset(tps)
        if self._on_assign is not None:
            self._on_assign(self._assigned)

    def poll(self, timeout_s: float = 1.0, max_records: int = 500) -> list[Message]:
        self._ensure_assigned()
        deadline = time.monotonic() + timeout_s
        while True:
            out: list[Message] = []
            order = sorted(self._positions)
            self._rotation = (self._rotation + 1) % max(1, len(order))
            with self._lock:
                for tp in order[self._rotation :] + order[: self._rotation]:
                    if len(out) >= max_records:
                        break
                    got = _read_partition(self._conn, tp, self._positions[tp], max_records - len(out))
                    out.extend(got)
                    if got:
                        self._positions[tp] = got[-1].offset + 1
            if out or time.monotonic() >= deadline:
                return out
            time.sleep(min(_POLL_INTERVAL_S, max(0.0, deadline - time.monotonic())))

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        offsets = dict(offsets) if offsets is not None else dict(self._positions)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            _write_offsets(self._conn, self.group_id, offsets)
            self._conn.execute("COMMIT")

    def _committed_positions(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Hook for the transactional producer; positions already moved at poll time."""

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self._ensure_assigned()
        if tp not in self._positions:
            raise BusError(f"{tp} is not assigned")
        self._positions[tp] = offset

    def assignment(self) -> frozenset[TopicPartition]:
        self._ensure_assigned()
        return self._assigned

    def resume_at_committed(self, partitions: frozenset[TopicPartition]) -> dict[TopicPartition, int]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT topic, partition, offset FROM group_offsets WHERE group_id=?", (self.group_id,)
            ).fetchall()
        committed = {TopicPartition(r[0], int(r[1])): int(r[2]) for r in rows}
        for tp in partitions:
            self._positions[tp] = committed.get(tp, 0)
            if tp in committed:
                self._resumed[tp] = committed[tp]
            else:
                self._resumed.pop(tp, None)
        return {tp: off for tp, off in self._resumed.items() if tp in partitions}

    def assigned_offsets(self) -> dict[TopicPartition, int]:
        return dict(self._resumed)

    def lag(self) -> dict[TopicPartition, int]:
        self._ensure_assigned()
        with self._lock:
            heads = {
                TopicPartition(r[0], int(r[1])): int(r[2])
                for r in self._conn.execute("SELECT topic, partition, next_offset FROM heads").fetchall()
            }
        return {tp: max(0, heads.get(tp, 0) - pos) for tp, pos in self._positions.items()}

    def close(self) -> None:
        if self._assigned and self._on_revoke is not None:
            self._on_revoke(self._assigned)
        self._conn.close()


class EmbeddedTableReader(TableReader):
    """Reads one topic's rows by offset on a connection of its own (so a standby's thread
    never shares the bus's). Transactions are written whole, so every row it sees is committed."""

    def __init__(self, path: Path, topic: str, partitions: Sequence[int] | None) -> None:
        self.topic = topic
        self._conn = _connect(path)
        self._lock = threading.Lock()
        count, _ = _Topics(self._conn, self._lock).get(topic)
        self._parts = [p for p in range(count) if partitions is None or p in partitions]
        self._positions: dict[TopicPartition, int] = {}
        self.rewind()

    def read(self, max_records: int = 2000, timeout_s: float = 0.1) -> list[Message]:
        deadline = time.monotonic() + timeout_s
        while True:
            out: list[Message] = []
            with self._lock:
                heads = self._heads()
                for tp, pos in sorted(self._positions.items()):
                    if len(out) >= max_records:
                        break
                    got = _read_partition(self._conn, tp, pos, max_records - len(out))
                    out.extend(got)
                    if got:
                        self._positions[tp] = got[-1].offset + 1
                    elif heads.get(tp.partition, 0) > pos:  # the rows up to the head were compacted away
                        self._positions[tp] = heads[tp.partition]
            if out or time.monotonic() >= deadline:
                return out
            time.sleep(min(_POLL_INTERVAL_S, max(0.0, deadline - time.monotonic())))

    def _heads(self) -> dict[int, int]:
        rows = self._conn.execute("SELECT partition, next_offset FROM heads WHERE topic=?", (self.topic,)).fetchall()
        return {int(p): int(n) for p, n in rows}

    def positions(self) -> dict[TopicPartition, int]:
        return dict(self._positions)

    def end_offsets(self) -> dict[TopicPartition, int]:
        with self._lock:
            heads = self._heads()
        return {TopicPartition(self.topic, p): heads.get(p, 0) for p in self._parts}

    def rewind(self) -> None:
        self._positions = {TopicPartition(self.topic, p): 0 for p in self._parts}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        if tp not in self._positions:
            raise BusError(f"{tp} is not read by this reader")
        self._positions[tp] = offset

    def close(self) -> None:
        self._conn.close()


class EmbeddedBus(Bus):
    name = "embedded"

    def __init__(self, path: Path, retention_hours: float = 72.0) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = _connect(self.path)
            _migrate(self._conn)
        except (OSError, ValueError, sqlite3.Error) as exc:
            # ``embedded.path`` naming a directory, a device, a file that is no database, a
            # path with a NUL: one line at start-up (exit 1), not sqlite's traceback
            raise BusError(f"cannot open the embedded bus at {self.path}: {exc}") from None
        self._lock = threading.Lock()
        self._retention_ms = int(retention_hours * 3600 * 1000)
        # Size caps (``TopicSpec.retention_bytes``) as configured for this run, not stored:
        # the cap follows the settings, as a topic config change would on Kafka.
        self._retention_bytes: dict[str, int] = {}

    def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            for spec in specs:
                if spec.retention_bytes and not spec.compacted:
                    self._retention_bytes[spec.name] = spec.retention_bytes
                self._conn.execute(
                    "INSERT INTO topics VALUES (?,?,?,?) ON CONFLICT(name) DO NOTHING",
                    (spec.name, spec.partitions, int(spec.compacted), spec.retention_ms),
                )
            self._conn.execute("COMMIT")

    def producer(self, transactional_id: str | None = None) -> Producer:
        return EmbeddedProducer(self.path, transactional=transactional_id is not None)

    def consumer(
        self,
        group_id: str,
        topics: Sequence[str],
        *,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        sticky: bool = False,  # the sole member holds every partition anyway
    ) -> Consumer:
        return EmbeddedConsumer(self.path, group_id, topics, on_assign, on_revoke)

    def read_table(self, topic: str, partitions: Sequence[int] | None = None) -> Iterator[Message]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT partition, offset, key, value, ts, headers FROM records WHERE topic=? "
                "ORDER BY partition, offset",
                (topic,),
            ).fetchall()
        wanted = set(partitions) if partitions is not None else None
        for part, off, key, value, ts, headers in rows:
            if wanted is None or int(part) in wanted:
                yield Message(topic, int(part), int(off), key, value, int(ts), _decode_headers(headers))

    def table_reader(self, topic: str, partitions: Sequence[int] | None = None) -> TableReader:
        return EmbeddedTableReader(self.path, topic, partitions)

    def end_offsets(self, topic: str) -> dict[TopicPartition, int]:
        with self._lock:
            meta = self._conn.execute("SELECT partitions FROM topics WHERE name=?", (topic,)).fetchone()
            if meta is None:
                raise BusError(f"unknown topic {topic!r}")
            heads = dict(
                self._conn.execute("SELECT partition, next_offset FROM heads WHERE topic=?", (topic,)).fetchall()
            )
        return {TopicPartition(topic, p): int(heads.get(p, 0)) for p in range(int(meta[0]))}

    def group_lag(self, group_id: str, topic: str) -> dict[TopicPartition, int]:
        ends = self.end_offsets(topic)
        with self._lock:
            committed = dict(
                self._conn.execute(
                    "SELECT partition, offset FROM group_offsets WHERE group_id=? AND topic=?", (group_id, topic)
                ).fetchall()
            )
        return {tp: end - int(committed.get(tp.partition, 0)) for tp, end in ends.items()}

    def maintain(self, now_ms: int | None = None) -> int:
        """Compact compacted topics and drop consumed records past retention; returns rows deleted.

        A record of a plain topic is deleted only once every group that reads the topic has
        committed past it, so retention never loses an unprocessed story.
        """
        now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        deleted = 0
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            topics = self._conn.execute("SELECT name, compacted FROM topics").fetchall()
            for name, compacted in topics:
                if compacted:
                    cur = self._conn.execute(
                        "DELETE FROM records WHERE topic=? AND key IS NOT NULL AND EXISTS ("
                        " SELECT 1 FROM records r2 WHERE r2.topic=records.topic"
                        " AND r2.partition=records.partition AND r2.key=records.key"
                        " AND r2.offset>records.offset)",
                        (name,),
                    )
                else:
                    cur = self._conn.execute(
                        # Read by groups: only below every group's position. Read by none
                        # (events without --events-out): plain time retention, as on Kafka.
                        "DELETE FROM records WHERE topic=? AND ts<? AND offset < ("
                        " SELECT COALESCE(MIN(g.offset), 9223372036854775807) FROM group_offsets g"
                        " WHERE g.topic=records.topic AND g.partition=records.partition)",
                        (name, now_ms - self._retention_ms),
                    )
                deleted += cur.rowcount
            for name, cap in self._retention_bytes.items():
                deleted += self._cap_bytes(name, cap)
            self._conn.execute("COMMIT")
        return deleted

    def _cap_bytes(self, topic: str, cap: int) -> int:
        """Drop a partition's oldest records until the rest holds at most ``cap`` bytes of keys
        and values, as Kafka's ``retention.bytes`` does (there by whole segments)."""
        deleted = 0
        for (partition,) in self._conn.execute("SELECT DISTINCT partition FROM records WHERE topic=?", (topic,)):
            over = self._conn.execute(
                "SELECT offset FROM (SELECT offset, SUM(COALESCE(length(value), 0) + COALESCE(length(key), 0))"
                " OVER (ORDER BY offset DESC) AS kept FROM records WHERE topic=? AND partition=?)"
                " WHERE kept > ? ORDER BY offset DESC LIMIT 1",
                (topic, partition, cap),
            ).fetchone()
            if over is not None:
                cur = self._conn.execute(
                    "DELETE FROM records WHERE topic=? AND partition=? AND offset<=?", (topic, partition, over[0])
                )
                deleted += cur.rowcount
        return deleted

    def close(self) -> None:
        self._conn.close()
