"""KafkaBusConsumer bookkeeping that needs no broker: a stand-in for kafka-python's consumer."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kafka import TopicPartition as KafkaTP
from kafka.errors import KafkaTimeoutError

from newswire.bus import BrokerUnreachable, BusError, TopicPartition
from newswire.bus.kafka import KafkaBus, KafkaBusConsumer, _Listener
from newswire.settings import KafkaSettings


class _FakeRaw:
    def __init__(self) -> None:
        self.commits: list[dict[Any, Any]] = []
        self.assigned = {KafkaTP("t", 0), KafkaTP("t", 1)}

    def commit(self, offsets: dict[Any, Any]) -> None:
        self.commits.append(offsets)

    def assignment(self) -> set[KafkaTP]:
        return self.assigned

    def end_offsets(self, tps: list[KafkaTP], timeout_ms: int | None = None) -> dict[KafkaTP, int]:
        raise KafkaTimeoutError("Failed to get offsets by timestamps in 30000 ms")

    def position(self, tp: KafkaTP, timeout_ms: int | None = None) -> int:
        return 0


class _NoPositionRaw(_FakeRaw):
    """The broker answers end offsets, but a partition's position (a committed-offset fetch a
    transaction holds unstable) is not known within the bound."""

    def __init__(self) -> None:
        super().__init__()
        self.position_timeouts: list[int | None] = []

    def end_offsets(self, tps: list[KafkaTP], timeout_ms: int | None = None) -> dict[KafkaTP, int]:
        return {tp: 10 for tp in tps}

    def position(self, tp: KafkaTP, timeout_ms: int | None = None) -> int | None:  # type: ignore[override]
        self.position_timeouts.append(timeout_ms)
        return None if tp.partition == 1 else 4


class _Rec:
    def __init__(self, offset: int) -> None:
        self.offset, self.key, self.value, self.timestamp = offset, None, b"v", 0
        self.headers: list[tuple[str, bytes]] = []


class _RebalancingRaw(_FakeRaw):
    """A poll during which the group hands back partition 0, whose kept position is stale."""

    def __init__(self, listener: list[_Listener]) -> None:
        super().__init__()
        self.listener = listener
        self.calls: list[str] = []

    def poll(self, timeout_ms: int, max_records: int) -> dict[KafkaTP, list[_Rec]]:
        self.listener[0].on_partitions_assigned({KafkaTP("t", 0)})
        return {KafkaTP("t", 0): [_Rec(3), _Rec(4)]}  # fetched from the stale position 3

    def committed(self, tp: KafkaTP, timeout_ms: int | None = None) -> int | None:
        assert timeout_ms is not None  # never waited on without a bound (an unstable offset can stay so)
        self.calls.append(f"committed {tp.partition}")
        return 9  # another owner got this far meanwhile

    def seek(self, tp: KafkaTP, offset: int) -> None:
        self.calls.append(f"seek {tp.partition} {offset}")


def _consumer() -> tuple[KafkaBusConsumer, _FakeRaw]:
    c = KafkaBusConsumer.__new__(KafkaBusConsumer)
    raw = _FakeRaw()
    c.raw = raw
    c.group_id = "g"
    c._on_assign = c._on_revoke = None
    c._assigned = frozenset({TopicPartition("t", 0), TopicPartition("t", 1)})
    c._positions = {TopicPartition("t", 0): 5, TopicPartition("t", 1): 7}
    c._pending_assign = None
    c._resumed = {}
    c._fetch_timeout_ms = 30_000
    return c, raw


def test_commit_after_revoke_leaves_revoked_partitions_alone() -> None:
    c, raw = _consumer()
    _Listener(c).on_partitions_revoked({KafkaTP("t", 1)})
    c.commit()
    assert [{tp.partition for tp in batch} for batch in raw.commits] == [{0}]
    _Listener(c).on_partitions_revoked({KafkaTP("t", 0)})
    c.commit()  # nothing left to commit: no call at all
    assert len(raw.commits) == 1


def test_lag_failure_is_a_bus_error() -> None:
    c, _ = _consumer()
    with pytest.raises(BusError):
        c.lag()


def test_lag_waits_for_a_position_within_a_bound_and_says_which_is_unknown() -> None:
    c, _ = _consumer()
    raw = c.raw = _NoPositionRaw()
    with pytest.raises(BusError, match="t-1"):
        c.lag()
    assert raw.position_timeouts and all(t is not None and t <= 1000 for t in raw.position_timeouts)


def test_an_assigned_partition_resumes_from_the_committed_offset_before_the_owner_is_told() -> None:
    """kafka-python keeps a kept partition's fetch position across a rebalance; a member cut
    off meanwhile would re-run records another owner has committed. The records fetched from the
    kept position are dropped, the partition is sought to the committed offset, and only then
    does ``on_assign`` (a state restore) run, outside the client's IO thread."""
    c, _ = _consumer()
    listener: list[_Listener] = [_Listener(c)]
    raw = _RebalancingRaw(listener)
    c.raw = raw
    told: list[frozenset[TopicPartition]] = []
    known: list[dict[TopicPartition, int]] = []

    def on_assign(tps: frozenset[TopicPartition]) -> None:
        told.append(tps)
        known.append(c.assigned_offsets())
        raw.calls.append("on_assign")

    c._on_assign = on_assign
    assert c.poll(timeout_s=0.1) == []  # offsets 3 and 4 are not handed out
    assert raw.calls == ["committed 0", "seek 0 9", "on_assign"]
    assert told == [frozenset({TopicPartition("t", 0)})]
    # The owner can check its state against the offset the partition resumes from.
    assert known == [{TopicPartition("t", 0): 9}]
    assert TopicPartition("t", 0) not in c._positions  # a commit never writes the stale position
    _Listener(c).on_partitions_revoked({KafkaTP("t", 0)})
    assert c.assigned_offsets() == {}


class _GoneBrokerConsumer:
    """A group-less consumer whose broker went away after the end offsets: no position is known
    within any bound, and polls return nothing."""

    def __init__(self) -> None:
        self.position_timeouts: list[int] = []

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1}

    def assign(self, tps: list[KafkaTP]) -> None:
        pass

    def seek_to_beginning(self, *tps: KafkaTP) -> None:
        pass

    def end_offsets(self, tps: list[KafkaTP]) -> dict[KafkaTP, int]:
        return {tp: 5 for tp in tps}

    def position(self, tp: KafkaTP, timeout_ms: int | None = None) -> int | None:
        if timeout_ms is None:  # kafka-python would retry the look-up for good
            raise AssertionError("a position waited for without a bound")
        self.position_timeouts.append(timeout_ms)
        return None

    def poll(self, timeout_ms: int, max_records: int) -> dict[KafkaTP, list[_Rec]]:
        return {}


def test_a_table_read_whose_broker_went_away_fails_as_unreachable_instead_of_waiting_in_a_position(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = iter(range(0, 10_000, 7))  # seconds: each look at the clock a few seconds on
    monkeypatch.setattr(time, "monotonic", lambda: float(next(clock)))
    bus = KafkaBus.__new__(KafkaBus)
    bus.settings = KafkaSettings(bootstrap_servers="127.0.0.1:9")
    consumer = _GoneBrokerConsumer()
    with pytest.raises(BrokerUnreachable, match="stalled"):
        list(bus._read_table(consumer, "state", None))
    assert consumer.position_timeouts and all(t <= 1000 for t in consumer.position_timeouts)
