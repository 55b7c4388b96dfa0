"""The bus: the one interface both stages use to produce, consume and commit on named topics.

Two backends implement it with the same semantics (checked by one contract suite):
``kafka`` (a real cluster) and ``embedded`` (SQLite on local disk, the single-machine default).

Semantics both honour:
- at-least-once by default: a consumer resumes from its group's last committed position;
- exactly-once with a transactional producer: records sent between ``begin()`` and
  ``commit(consumer, offsets)`` become visible together with the consumer's new positions, or not
  at all (a crash before commit aborts them);
- consumers only see committed transactional records (Kafka ``read_committed``);
- ``read_table`` reads a compacted topic from the start to its current end, for state restore.
"""

from __future__ import annotations

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

    @abstractmethod
    def lag(self) -> dict[TopicPartition, int]:
        """Records between the position and the end of each assigned partition."""

    @abstractmethod
    def close(self) -> None: ...


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
    ) -> Consumer: ...

    @abstractmethod
    def read_table(self, topic: str, partitions: Sequence[int] | None = None) -> Iterator[Message]:
        """Every committed record of ``topic`` (optionally some partitions) from the start to the
        end as of the call, in offset order per partition. Used to restore state."""

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
