"""KafkaBusConsumer bookkeeping that needs no broker: a stand-in for kafka-python's consumer."""

from __future__ import annotations

from typing import Any

import pytest
from kafka import TopicPartition as KafkaTP
from kafka.errors import KafkaTimeoutError

from newswire.bus import BusError, TopicPartition
from newswire.bus.kafka import KafkaBusConsumer, _Listener


class _FakeRaw:
    def __init__(self) -> None:
        self.committed: list[dict[Any, Any]] = []
        self.assigned = {KafkaTP("t", 0), KafkaTP("t", 1)}

    def commit(self, offsets: dict[Any, Any]) -> None:
        self.committed.append(offsets)

    def assignment(self) -> set[KafkaTP]:
        return self.assigned

    def end_offsets(self, tps: list[KafkaTP]) -> dict[KafkaTP, int]:
        raise KafkaTimeoutError("Failed to get offsets by timestamps in 30000 ms")

    def position(self, tp: KafkaTP) -> int:
        return 0


def _consumer() -> tuple[KafkaBusConsumer, _FakeRaw]:
    c = KafkaBusConsumer.__new__(KafkaBusConsumer)
    raw = _FakeRaw()
    c.raw = raw
    c.group_id = "g"
    c._on_assign = c._on_revoke = None
    c._assigned = frozenset({TopicPartition("t", 0), TopicPartition("t", 1)})
    c._positions = {TopicPartition("t", 0): 5, TopicPartition("t", 1): 7}
    return c, raw


def test_commit_after_revoke_leaves_revoked_partitions_alone() -> None:
    c, raw = _consumer()
    _Listener(c).on_partitions_revoked({KafkaTP("t", 1)})
    c.commit()
    assert [{tp.partition for tp in batch} for batch in raw.committed] == [{0}]
    _Listener(c).on_partitions_revoked({KafkaTP("t", 0)})
    c.commit()  # nothing left to commit: no call at all
    assert len(raw.committed) == 1


def test_lag_failure_is_a_bus_error() -> None:
    c, _ = _consumer()
    with pytest.raises(BusError):
        c.lag()
