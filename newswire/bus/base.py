"""The bus: the one interface both stages use to produce, consume and commit on named topics.

Two backends implement it with the same semantics (checked by one contract suite):
``kafka`` (a real cluster) and ``embedded`` (SQLite on local disk, the single-machine default).

Semantics both honour:
- at-least-once by default: a consumer resumes from its group's last committed position;
- exactly-once with a transactional producer: records sent between ``begin()`` and
  ``commit(consumer, offsets)`` become visible together with the consumer's new positions, or not
  at all (a crash before commit aborts them);
- consumers only see committed transactional records (Kafka ``read_committed``);
- ``read_table`` reads a compacted topic from the start to its current end, for state restore;
  ``table_reader`` reads it forward from the start and remembers where it is, for a standby
  that keeps a copy of the state current and, on take-over, replays only what it has not seen.
"""

from __future__ import annotations

import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from newswire.topics import TopicSpec


class TopicPartition(NamedTuple):
    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...] = field(default=())

    @property
    def tp(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)


class BusError(Exception):
    """The backend failed; the operation may be retried after reconnecting."""


class BrokerUnreachable(BusError):
    """No broker answered within the connect timeout (bad address, cluster down), or it stopped
    answering mid-operation (a retriable error): an open transaction's outcome is unknown and
    new clients, once it answers again, settle it."""


class Fenced(BusError):
    """Another instance took over this producer's transactional id: this one must stop."""


# Rebalance callbacks: called with the partitions revoked/assigned, on the consuming thread.
PartitionsCallback = Callable[[frozenset[TopicPartition]], None]


def partition_for(key: bytes, partitions: int) -> int:
    """Stable key -> partition map used where we pick partitions ourselves (feed ownership).

    Both backends use it for keyed records so a key's partition is the same in embedded mode
    and on Kafka, and pollers can compute which feeds a partition owns.
    """
    return zlib.crc32(key) % partitions


class Producer(ABC):
    @abstractmethod
    def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
        partition: int | None = None,
    ) -> None:
        """Queue one record; keyed records go to ``partition_for(key)`` unless ``partition`` is given."""

    @abstractmethod
    def flush(self, timeout_s: float | None = None) -> None:
        """Block until every queued record is durably written (raises BusError if not)."""

    # Transactions (only on producers created with a transactional id).
    @abstractmethod
    def begin(self) -> None: ...

    @abstractmethod
    def commit(self, consumer: Consumer | None = None, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Commit the open transaction, atomically with ``offsets`` (next offset to read) of
        ``consumer``'s group when given."""

    @abstractmethod
    def abort(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def settle(self, group_id: str) -> None:
        """Commit an empty transaction carrying (no) offsets of ``group_id``, right after the
        producer is opened. Its commit marker in the group's offsets partition completes any
        offsets an earlier transaction of the same transactional id left pending there without
        one (a broker restart can; see the Kafka bus)."""

    def committed_offsets(self) -> dict[TopicPartition, int]:
        """Per partition the last committed transaction wrote to, the offset just past its last
        record (so a reader of that partition may start there, having seen the rest); empty
        when unknown. Lets a stage that applied its own writes skip reading them back."""
        return {}


class Consumer(ABC):
    group_id: str

    @abstractmethod
    def poll(self, timeout_s: float = 1.0, max_records: int = 500) -> list[Message]: ...

    @abstractmethod
    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Commit positions (next offset to read); default: the positions after the last poll."""

    @abstractmethod
    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Rewind/advance a partition's position (after an aborted transaction, to re-read)."""

    @abstractmethod
    def assignment(self) -> frozenset[TopicPartition]: ...

    def position(self, tp: TopicPartition) -> int | None:
        """The next offset this consumer will read from an assigned partition, past any
        transaction markers it skipped; None when unknown (or the backend has no markers)."""
        return None

    def resume_at_committed(self, partitions: frozenset[TopicPartition]) -> dict[TopicPartition, int]:
        """Fetch the group's committed offsets of assigned ``partitions`` again and resume
        there (a stage that has just fenced earlier holders: see ``StageLoop``); returns them,
        as ``assigned_offsets`` will."""
        raise NotImplementedError

    def assigned_offsets(self) -> dict[TopicPartition, int]:
        """Per assigned partition, the group's committed offset it resumed from when it was
        assigned (fetched before ``on_assign`` ran, after any pending transaction of a deposed
        owner settled); partitions the group had no offset for are absent. A stage whose state
        lives in a changelog checks that state against it before it processes anything."""
        return {}

    @abstractmethod
    def lag(self) -> dict[TopicPartition, int]:
        """Records between the position and the end of each assigned partition."""

    @abstractmethod
    def close(self) -> None: ...


class TableReader(ABC):
    """A compacted topic read forward from its start, remembering the position: what a warm
    standby tails to keep its copy of a stage's state current, so that a take-over replays only
    the records it has not applied yet instead of the whole topic.

    It sees what ``read_table`` sees: committed records only (Kafka ``read_committed``), in
    offset order per partition, so state built from it equals state built by a cold restore
    from the same records. It belongs to no consumer group and commits nothing; the position
    lives in the reader (a restarted process starts again from the beginning).
    """

    topic: str

    @abstractmethod
    def read(self, max_records: int = 2000, timeout_s: float = 0.1) -> list[Message]:
        """The next committed records after the position, in offset order per partition;
        waits up to ``timeout_s`` when none is there yet. Raises BusError (BrokerUnreachable
        for a retriable failure); the position is then unchanged."""

    @abstractmethod
    def positions(self) -> dict[TopicPartition, int]:
        """Next offset to read, per partition (past any transaction markers already read)."""

    @abstractmethod
    def end_offsets(self) -> dict[TopicPartition, int]:
        """Where the committed records end now, per partition (Kafka: the last stable offset,
        so an open transaction's records, which may still abort, are beyond it)."""

    @abstractmethod
    def rewind(self) -> None:
        """Back to the start of the topic, for a holder that dropped its state."""

    @abstractmethod
    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Move one partition's position, for a holder whose state already covers the records
        before ``offset`` (its own writes)."""

    @abstractmethod
    def close(self) -> None: ...

    def lag(self) -> int:
        """Committed records not read yet, summed over partitions (0 when caught up)."""
        pos = self.positions()
        return sum(max(0, end - pos.get(tp, 0)) for tp, end in self.end_offsets().items())

    def settled(self) -> bool:
        """Whether nothing past the position can still become readable: no record of a
        transaction that has not ended yet lies beyond it (Kafka: the position has reached the
        high watermark seen by the last fetch; a backend that writes transactions whole: the
        position has reached the end). False when unknown."""
        return self.caught_up(self.end_offsets())

    def caught_up(self, ends: Mapping[TopicPartition, int]) -> bool:
        """Whether the position has reached ``ends`` (as returned by ``end_offsets``) everywhere."""
        pos = self.positions()
        return all(pos.get(tp, 0) >= end for tp, end in ends.items())

    def read_to_end(self, stall_s: float = 30.0, max_records: int = 2000) -> Iterator[Message]:
        """Every record from the position up to (at least) the committed end as of this call:
        the catch-up a take-over does before it decides anything. Records read past that end
        are yielded too (they are committed, and the position has moved past them). Raises
        BusError when no record arrives for ``stall_s`` while some are still due (the broker
        went away): a catch-up that hangs would hold the rebalance callback forever."""
        ends = self.end_offsets()
        progress_at = time.monotonic()
        while not self.caught_up(ends):
            if time.monotonic() - progress_at > stall_s:
                raise BusError(f"reading {self.topic} stalled for {stall_s:.0f}s before its end")
            batch = self.read(max_records=max_records, timeout_s=0.5)
            if batch:
                progress_at = time.monotonic()
            yield from batch


class Bus(ABC):
    name: str

    @abstractmethod
    def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        """Create missing topics (idempotent)."""

    @abstractmethod
    def producer(self, transactional_id: str | None = None) -> Producer: ...

    @abstractmethod
    def consumer(
        self,
        group_id: str,
        topics: Sequence[str],
        *,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        sticky: bool = False,
    ) -> Consumer:
        """A member of ``group_id``. ``sticky``: a rebalance leaves a partition with the member
        that holds it (Kafka's sticky assignor) instead of dealing it out afresh, for a stage
        whose owner holds state a newcomer would have to rebuild (the decider's index)."""

    @abstractmethod
    def read_table(self, topic: str, partitions: Sequence[int] | None = None) -> Iterator[Message]:
        """Every committed record of ``topic`` (optionally some partitions) from the start to the
        end as of the call, in offset order per partition. Used to restore state."""

    @abstractmethod
    def table_reader(self, topic: str, partitions: Sequence[int] | None = None) -> TableReader:
        """A reader of ``topic`` (optionally some partitions) positioned at its start; see
        :class:`TableReader`. The caller closes it."""

    @abstractmethod
    def end_offsets(self, topic: str) -> dict[TopicPartition, int]: ...

    @abstractmethod
    def group_lag(self, group_id: str, topic: str) -> dict[TopicPartition, int]:
        """Committed-offset lag of a consumer group (for ``newswire status`` and draining)."""

    def reachable(self) -> bool:
        """Whether the backend answers right now, for readiness: bounded by a few seconds,
        never raises. Clients reconnect on their own after an outage; this only tells whether
        the daemon can do its job meanwhile. A local backend is always reachable."""
        return True

    def maintain(self) -> int:
        """Housekeeping a long-running process calls now and then (compaction, retention);
        returns records removed. Kafka's brokers do this themselves."""
        return 0

    @abstractmethod
    def close(self) -> None: ...
