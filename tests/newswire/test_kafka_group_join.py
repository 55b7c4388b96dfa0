"""A group member gets its partitions however short its polls, against the real broker.

kafka-python 3.0 lost a join that finished between two polls (see
:mod:`newswire.bus.group_join`): a member that joined before it saw its topic's partitions, or
that polled with no timeout, held nothing and sent no heartbeats for as long as it ran. The
poller handover test met it as a partition never assigned.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from newswire.bus import TopicPartition
from newswire.bus.kafka import KafkaBus
from newswire.settings import Settings
from newswire.topics import TopicSpec

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]


@pytest.fixture
def bus(kafka_settings: Settings) -> Iterator[KafkaBus]:
    b = KafkaBus(kafka_settings.kafka)
    yield b
    b.close()


def _assigned_after_polls(bus: KafkaBus, group: str, topic: str, timeout_s: float, create: bool) -> set[int]:
    got: list[frozenset[TopicPartition]] = []
    consumer = bus.consumer(group, [topic], on_assign=got.append)
    try:
        if create:  # the member has joined (and been given nothing) before the topic exists
            deadline = time.monotonic() + 30
            while not got:
                assert time.monotonic() < deadline, "never joined the group"
                consumer.poll(timeout_s=0.5)
            bus.ensure_topics([TopicSpec(topic, partitions=2)])
        deadline = time.monotonic() + 30
        while not (got and got[-1]):
            assert time.monotonic() < deadline, f"partitions never assigned: {got}"
            consumer.poll(timeout_s=timeout_s)
            time.sleep(0.05)  # the member's own work between polls, as a stage does
        return {tp.partition for tp in got[-1]}
    finally:
        consumer.close()


def test_a_member_polling_without_a_timeout_is_assigned_its_partitions(bus: KafkaBus, kafka_settings: Settings) -> None:
    topic = kafka_settings.topics.prefix + "join-nowait"
    bus.ensure_topics([TopicSpec(topic, partitions=2)])
    assert _assigned_after_polls(bus, topic + "-g", topic, timeout_s=0.0, create=False) == {0, 1}


def test_a_member_that_joined_before_its_topic_existed_is_assigned_once_it_does(
    bus: KafkaBus, kafka_settings: Settings
) -> None:
    topic = kafka_settings.topics.prefix + "join-late"
    assert _assigned_after_polls(bus, topic + "-g", topic, timeout_s=0.0, create=True) == {0, 1}
