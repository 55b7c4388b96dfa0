"""A partition whose committed offset stays unstable does not park the stage, and a stage
settles its own transactional id's offsets when it opens its producer (found by the chaos suite).

Seed 943160 left both cleaners not ready after the broker crash. Reproduced with two stage loops
and a broker killed during their commits: a broker killed between a transaction's prepare-commit
and its markers completed it when it came back, but no commit marker reached the group's offsets
partition, so the transaction's offset commit stayed pending there and every stable
committed-offset fetch for its partition answered UNSTABLE_OFFSET_COMMIT. kafka-python retries
that fetch without a bound: the stage given the partition sat in it inside ``poll`` (nothing
handed over: not ready), never polled again, so the group's next rebalance waited for it and the
other member got no partition either (RELIABILITY.md, defect 12).

The broker losing a marker cannot be caused on purpose; here an open transaction of another
producer holds the committed offset unstable, which the consumer meets the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from kafka import KafkaProducer
from kafka import TopicPartition as KafkaTP
from kafka.structs import OffsetAndMetadata

from newswire.bus import Bus, TopicPartition
from newswire.runtime import StageLoop, StopFlag
from newswire.settings import Settings
from newswire.topics import Role, TopicGraph
from tests.support.stages import Echo, wired_bus

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]


@pytest.fixture
def quick(kafka_settings: Settings) -> Settings:
    """The session's broker, with a request timeout short enough to wait out in a test."""
    return kafka_settings.model_copy(
        update={"kafka": kafka_settings.kafka.model_copy(update={"request_timeout_ms": 3000})}
    )


@pytest.fixture
def wired(quick: Settings) -> Iterator[tuple[Bus, TopicGraph]]:
    with wired_bus(quick) as wired:
        yield wired


def _transactional(settings: Settings, txid: str) -> KafkaProducer:
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap_servers.split(","),
        transactional_id=txid,
        transaction_timeout_ms=120_000,  # stays open for the whole test unless ended
    )
    producer.init_transactions()
    return producer


def test_a_stage_gives_up_a_partition_held_unstable_and_takes_it_once_settled(
    quick: Settings, wired: tuple[Bus, TopicGraph]
) -> None:
    bus, graph = wired
    raw, cleaned, group = graph.name(Role.RAW), graph.name(Role.CLEANED), f"{graph.prefix}clean"
    seed = bus.producer()
    seed.send(raw, b"one", b"k", partition=0)
    seed.flush()
    seed.close()
    holder = _transactional(quick, f"{graph.prefix}holder")
    holder.begin_transaction()
    holder.send_offsets_to_transaction({KafkaTP(raw, 0): OffsetAndMetadata(0, "", -1)}, group)
    proc = Echo(cleaned)
    loop = StageLoop(
        bus=bus,
        processor=proc,
        group_id=group,
        input_topics=[raw],
        dead_letter_topic=graph.name(Role.DEAD_LETTERS),
        transactional_id=f"{graph.prefix}clean-0",
        stop=StopFlag(),
        poll_timeout_s=0.5,
        retry_backoff_s=0.1,
    )
    loop.open()
    try:
        first = loop.consumer
        started = time.monotonic()
        while loop.consumer is first:  # before the fix: parked in the first fetch for good
            assert time.monotonic() - started < 60, "the stage never gave the unstable partition up"
            loop.step()
        assert not proc.assigned and not proc.calls  # nothing handed over, nothing read
        holder.abort_transaction()  # the offset is stable again: the next join takes it
        deadline = time.monotonic() + 60
        processed = 0
        while processed < 1:
            assert time.monotonic() < deadline, "the partition was never taken once stable"
            processed += loop.step()
        assert TopicPartition(raw, 0) in proc.assigned
    finally:
        loop.close()
        holder.close()
    assert [m.value for m in bus.read_table(cleaned)] == [b"one"]


def test_settling_commits_no_offset_and_leaves_the_producer_usable(
    quick: Settings, wired: tuple[Bus, TopicGraph]
) -> None:
    """Opening a stage settles its id in the group's offsets partition every time: with nothing
    of its own pending (the usual case) that must change no committed offset."""
    bus, graph = wired
    raw, group = graph.name(Role.RAW), f"{graph.prefix}settle"
    seed = bus.producer()
    for value in (b"one", b"two", b"three"):
        seed.send(raw, value, b"k", partition=0)
    seed.flush()
    seed.close()
    committer = _transactional(quick, f"{graph.prefix}committer")
    committer.begin_transaction()
    committer.send_offsets_to_transaction({KafkaTP(raw, 0): OffsetAndMetadata(2, "", -1)}, group)
    committer.commit_transaction()
    committer.close()
    producer = bus.producer(transactional_id=f"{graph.prefix}settler")
    try:
        producer.settle(group)
        producer.settle(group)  # as often as the stage reopens
        producer.begin()
        producer.send(graph.name(Role.CLEANED), b"after", b"k")
        producer.commit()
    finally:
        producer.close()
    assert bus.group_lag(group, raw)[TopicPartition(raw, 0)] == 1  # still committed at 2 of 3
