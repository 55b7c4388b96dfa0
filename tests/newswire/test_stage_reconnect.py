"""A broker that goes away mid-batch is survived in-process (found by the chaos suite: a commit
the dead broker never acknowledged parked a stage, and a failed commit ended the daemon).

The stage loop meets it as :class:`BrokerUnreachable`: it drops the batch's in-memory effects,
replaces its producer and consumer (the new producer settles the open transaction; the new
consumer resumes from the committed offsets) and carries on, so every record is still written
exactly once. Any other bus error still crashes, as before. The Kafka side of the story, that a
retriable kafka-python error is classified as unreachable, is checked here without a broker;
``tests/pipeline/test_chaos.py`` kills the real one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import CommitFailedError, IllegalStateError, KafkaTimeoutError, ProducerFencedError

from newswire.bus import BrokerUnreachable, Bus, BusError, Consumer, Fenced, Producer, TopicPartition
from newswire.bus.kafka import _error
from newswire.runtime import StageLoop, StopFlag
from newswire.settings import load_settings
from newswire.topics import Role, TopicGraph
from tests.support.stages import Echo, wired_bus

pytestmark = pytest.mark.timeout(60)

GROUP = "t.clean"


class LostCommit(Producer):
    """A producer whose commit the broker never acknowledges (it died): raises as the Kafka bus
    does after its bounded wait, leaving the transaction open."""

    def __init__(self, inner: Producer) -> None:
        self.inner = inner

    def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
        partition: int | None = None,
    ) -> None:
        self.inner.send(topic, value, key, headers, partition)

    def flush(self, timeout_s: float | None = None) -> None:
        self.inner.flush(timeout_s)

    def begin(self) -> None:
        self.inner.begin()

    def commit(self, consumer: Consumer | None = None, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        raise BrokerUnreachable("commit failed: KafkaTimeoutError: commit not acknowledged within 30000 ms")

    def abort(self) -> None:
        self.inner.abort()

    def settle(self, group_id: str) -> None:
        self.inner.settle(group_id)

    def close(self) -> None:
        self.inner.close()


class FlakyBus:
    """The embedded bus, whose first transactional producer loses its commit."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.producers = 0
        self.consumers = 0

    def producer(self, transactional_id: str | None = None) -> Producer:
        self.producers += 1
        inner = self.bus.producer(transactional_id)
        return LostCommit(inner) if self.producers == 1 else inner

    def consumer(self, group_id: str, topics: Sequence[str], **kw: Any) -> Consumer:
        self.consumers += 1
        return self.bus.consumer(group_id, topics, **kw)


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[tuple[Bus, TopicGraph]]:
    settings = load_settings(
        backend="embedded",
        embedded={"path": str(tmp_path / "bus.db")},
        topics={"prefix": "t.", "raw_partitions": 1, "events_partitions": 1, "feed_partitions": 1},
        metrics={"enabled": False},
    )
    with wired_bus(settings) as wired:
        yield wired


def _seed_raw(bus: Bus, graph: TopicGraph) -> list[bytes]:
    """Three raw records in partition 0; returns their values, in order."""
    values = [b"one", b"two", b"three"]
    producer = bus.producer()
    for i, value in enumerate(values):
        producer.send(graph.name(Role.RAW), value, f"k{i}".encode(), partition=0)
    producer.flush()
    producer.close()
    return values


def _echo_loop(bus: FlakyBus, graph: TopicGraph, proc: Echo, **kw: Any) -> StageLoop:
    """A stage loop copying raw to cleaned through ``bus`` (a wrapped embedded bus)."""
    return StageLoop(
        bus=bus,  # type: ignore[arg-type]
        processor=proc,
        group_id=GROUP,
        input_topics=[graph.name(Role.RAW)],
        dead_letter_topic=graph.name(Role.DEAD_LETTERS),
        stop=StopFlag(),
        poll_timeout_s=0.2,
        retry_backoff_s=0.01,
        **kw,
    )


def test_a_lost_commit_reconnects_and_writes_each_record_once(wired: tuple[Bus, TopicGraph]) -> None:
    bus, graph = wired
    values = _seed_raw(bus, graph)
    flaky = FlakyBus(bus)
    proc = Echo(graph.name(Role.CLEANED))
    loop = _echo_loop(flaky, graph, proc, transactional_id="t-clean-test")
    loop.open()
    try:
        assert loop.step() == 0  # the batch's commit was lost: no progress, but no crash either
        assert proc.aborts == 1
        assert (flaky.producers, flaky.consumers) == (2, 2)  # both clients replaced
        assert sum(bus.group_lag(GROUP, graph.name(Role.RAW)).values()) == 3
        assert loop.step() == 3
    finally:
        loop.close()
    assert [m.value for m in bus.read_table(graph.name(Role.CLEANED))] == values
    assert sum(bus.group_lag(GROUP, graph.name(Role.RAW)).values()) == 0


def test_kafka_errors_are_classified_for_the_loop() -> None:
    assert isinstance(_error(KafkaTimeoutError("commit not acknowledged"), "commit"), BrokerUnreachable)
    # after a broker restart the group forgot this member: rejoin (found by the 300-kill run)
    lost = CommitFailedError("Transaction offset commit failed due to consumer group metadata mismatch")
    assert isinstance(_error(lost, "commit"), BrokerUnreachable)
    fenced = _error(ProducerFencedError(), "commit")
    assert isinstance(fenced, Fenced) and not isinstance(fenced, BrokerUnreachable)
    other = _error(IllegalStateError("no transaction"), "commit")
    assert isinstance(other, BusError) and not isinstance(other, BrokerUnreachable | Fenced)


class FencedOnce(LostCommit):
    """A producer whose commit finds a newer holder of its transactional id (fenced)."""

    def commit(self, consumer: Consumer | None = None, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        raise Fenced("commit failed: ProducerFencedError")


class PartitionBus(FlakyBus):
    """The embedded bus, recording which transactional ids producers are opened under and
    when; the first producer opened is fenced at its commit."""

    def __init__(self, bus: Bus) -> None:
        super().__init__(bus)
        self.txids: list[str | None] = []

    def producer(self, transactional_id: str | None = None) -> Producer:
        self.txids.append(transactional_id)
        inner = self.bus.producer(transactional_id)
        return FencedOnce(inner) if len(self.txids) == 1 else inner


def test_a_stage_fenced_by_partition_opens_its_producer_on_assignment_and_rejoins_when_fenced(
    wired: tuple[Bus, TopicGraph],
) -> None:
    """The decider's way: no producer until the partition is assigned, then one under the
    partition's transactional id (opening it is what fences an earlier holder), and the resume
    offsets fetched after it; fenced (a successor opened the same id), it rejoins instead of
    crashing, with nothing of the batch written."""
    bus, graph = wired
    values = _seed_raw(bus, graph)
    pbus = PartitionBus(bus)
    proc = Echo(graph.name(Role.CLEANED))
    loop = _echo_loop(pbus, graph, proc, transactional_id="unused-pod-id", partition_txid_prefix="t-thread")
    loop.open()
    try:
        assert pbus.txids == []  # nothing assigned yet: no producer
        assert loop.step() == 0  # assigned, decided, fenced at the commit: rejoined
        assert pbus.txids == [f"t-thread-{graph.name(Role.RAW)}-0"]
        assert proc.aborts == 1 and pbus.consumers == 2
        assert loop.step() == 3  # the new assignment opened a new producer under the same id
        assert pbus.txids == [f"t-thread-{graph.name(Role.RAW)}-0"] * 2
    finally:
        loop.close()
    assert [m.value for m in bus.read_table(graph.name(Role.CLEANED))] == values
    assert sum(bus.group_lag(GROUP, graph.name(Role.RAW)).values()) == 0
