"""StageLoop failure routing on the real embedded bus: dead letters keep the original and move
on, RetryLater redelivers the batch, a processor crash is isolated to its record (retried, then
quarantined as poison), and bus failures or a stage failing every record crash with nothing
committed or produced."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from newswire import tracing
from newswire.bus import Bus, BusError, Message, TopicPartition
from newswire.records import RawStory
from newswire.runtime import Out, Outcome, RetryLater, StageLoop, StopFlag
from newswire.settings import Settings, load_settings
from newswire.topics import Role, TopicGraph
from pipeline.samples import load_corpus, render_page
from tests.support.data import DEV_CORPUS
from tests.support.stages import Echo, wired_bus
from workers.cleaner import CleanProcessor
from workers.extract_pool import ExtractPool
from workers.replay import clean_settings

pytestmark = pytest.mark.timeout(120)

GROUP = "t.clean"
MAX_HTML = 16_384  # every rendered dev page is ~5-6 KB


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        backend="embedded",
        embedded={"path": str(tmp_path / "bus.db")},
        topics={"prefix": "t.", "raw_partitions": 2, "events_partitions": 1, "feed_partitions": 1},
        worker={"max_html_bytes": MAX_HTML, "extract_processes": 0},
        metrics={"enabled": False},
    )


@pytest.fixture
def wired(settings: Settings) -> Iterator[tuple[Bus, TopicGraph]]:
    with wired_bus(settings) as wired:
        yield wired


def _raw(record: dict[str, Any], html: str | None = None) -> bytes:
    return RawStory.from_dict(
        {
            "url": record["url"],
            "html": html if html is not None else render_page(record),
            "guid": record["guid"],
            "title": record["title"],
            "published": record["published"],
        }
    ).encode()


def _publish(
    bus: Bus, topic: str, values: Sequence[bytes], partition: int = 0, headers: Sequence[tuple[str, bytes]] = ()
) -> None:
    producer = bus.producer()
    for i, value in enumerate(values):
        producer.send(topic, value, f"k{i}".encode(), headers, partition=partition)
    producer.flush()
    producer.close()


def _topic(bus: Bus, topic: str) -> list[Message]:
    return list(bus.read_table(topic))


def _lag(bus: Bus, graph: TopicGraph) -> int:
    return sum(bus.group_lag(GROUP, graph.name(Role.RAW)).values())


def _loop(bus: Bus, graph: TopicGraph, processor: Any, **kw: Any) -> StageLoop:
    loop = StageLoop(
        bus=bus,
        processor=processor,
        group_id=GROUP,
        input_topics=[graph.name(Role.RAW)],
        dead_letter_topic=graph.name(Role.DEAD_LETTERS),
        transactional_id="t-clean-test",
        stop=StopFlag(),
        batch_size=64,
        poll_timeout_s=0.2,
        retry_backoff_s=0.01,
        **kw,
    )
    loop.open()
    return loop


# --- dead letters --------------------------------------------------------------------------------


def test_bad_records_are_dead_lettered_with_the_original_and_good_ones_flow(
    wired: tuple[Bus, TopicGraph], settings: Settings
) -> None:
    bus, graph = wired
    corpus = load_corpus(DEV_CORPUS)[:3]
    good = [_raw(r) for r in corpus]
    not_json = b"<html>this is not a raw record</html>"
    huge_html = render_page(corpus[0]) + "<!--" + "x" * (MAX_HTML * 2) + "-->"
    oversize = _raw({**corpus[0], "url": corpus[0]["url"] + "-huge", "guid": "huge"}, html=huge_html)
    assert len(oversize) > MAX_HTML and all(len(g) < MAX_HTML for g in good)
    values = [good[0], not_json, good[1], oversize, good[2]]
    trace = tracing.new_traceparent()
    _publish(bus, graph.name(Role.RAW), values, partition=1, headers=[("traceparent", trace.encode())])

    batches: list[tuple[int, int]] = []
    with ExtractPool(workers=0, settings=clean_settings(settings)) as pool:
        loop = _loop(
            bus,
            graph,
            CleanProcessor(pool, graph.name(Role.CLEANED), max_record_bytes=settings.max_record_bytes),
            on_batch=lambda n, dead: batches.append((n, dead)),
        )
        try:
            assert loop.step() == 5
            assert loop.step() == 0  # committed: nothing is redelivered
        finally:
            loop.close()
    assert batches == [(5, 2)]

    cleaned = [json.loads(m.value or b"") for m in _topic(bus, graph.name(Role.CLEANED))]
    assert [c["url"] for c in cleaned] == [r["url"] for r in corpus]
    assert all(c["text"] and c["title"] for c in cleaned)
    for m in _topic(bus, graph.name(Role.CLEANED)):  # the raw record's trace, a new span
        child = dict(m.headers)["traceparent"].decode()
        assert tracing.trace_id(child) == tracing.trace_id(trace) and child != trace

    dead = _topic(bus, graph.name(Role.DEAD_LETTERS))
    assert [m.value for m in dead] == [not_json, oversize]  # byte-for-byte originals
    assert [m.key for m in dead] == [b"k1", b"k3"]
    envelopes = [json.loads(dict(m.headers)["newswire.dlq"]) for m in dead]
    assert [e["reason"] for e in envelopes] == ["decode_error", "extract_too_large"]
    assert [e["source"] for e in envelopes] == [
        {"topic": graph.name(Role.RAW), "partition": 1, "offset": 1},
        {"topic": graph.name(Role.RAW), "partition": 1, "offset": 3},
    ]
    assert all(e["stage"] == "clean" for e in envelopes)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["failed_at"]) for e in envelopes)
    assert all(dict(m.headers)["traceparent"] == trace.encode() for m in dead)
    assert "not JSON" in envelopes[0]["error"]
    assert str(MAX_HTML) in envelopes[1]["error"]

    assert _lag(bus, graph) == 0
    assert bus.group_lag(GROUP, graph.name(Role.RAW))[TopicPartition(graph.name(Role.RAW), 1)] == 0


# --- processors for the failure paths ------------------------------------------------------------


class HalfWrong(Echo):
    """Emits a valid output for the first record, then one to a partition that does not exist:
    the bus refuses it mid-batch, after the first output was already sent."""

    def process(self, batch: Sequence[Message]) -> list[Outcome]:
        self.calls.append([(m.partition, m.offset) for m in batch])
        return [
            Outcome(outputs=[Out(self.topic, m.value, m.key, partition=0 if i == 0 else 99)])
            for i, m in enumerate(batch)
        ]


VALUES = [b"one", b"two", b"three"]


def test_retry_later_leaves_offsets_and_redelivers_the_batch(wired: tuple[Bus, TopicGraph]) -> None:
    bus, graph = wired
    out_topic = graph.name(Role.CLEANED)
    _publish(bus, graph.name(Role.RAW), VALUES)
    proc = Echo(out_topic, fail={1: RetryLater("search index warming up")})
    loop = _loop(bus, graph, proc)
    try:
        assert loop.step() == 0  # retried: reported as no progress
        assert proc.aborts == 1
        assert _lag(bus, graph) == 3
        assert _topic(bus, out_topic) == []
        assert not loop.stop.is_set()

        assert loop.step() == 3
        assert proc.calls[1] == proc.calls[0] == [(0, 0), (0, 1), (0, 2)]  # same records again
        assert [m.value for m in _topic(bus, out_topic)] == VALUES  # once each
        assert _lag(bus, graph) == 0
        assert loop.step() == 0
        assert len(proc.calls) == 2
    finally:
        loop.close()


@pytest.mark.parametrize("make", [HalfWrong], ids=["produce-fails-mid-batch"])
def test_unexpected_error_crashes_with_nothing_committed_or_produced(wired: tuple[Bus, TopicGraph], make: Any) -> None:
    bus, graph = wired
    out_topic = graph.name(Role.CLEANED)
    _publish(bus, graph.name(Role.RAW), VALUES)
    proc = make(out_topic)
    loop = _loop(bus, graph, proc)
    try:
        with pytest.raises((ValueError, BusError)):
            loop.step()
    finally:
        loop.close()
    assert proc.aborts == 1
    assert _topic(bus, out_topic) == []
    assert _topic(bus, graph.name(Role.DEAD_LETTERS)) == []
    assert _lag(bus, graph) == 3

    # The restarted process (fresh loop, same group) gets the whole batch and finishes it.
    again = Echo(out_topic)
    loop = _loop(bus, graph, again)
    try:
        assert loop.step() == 3
    finally:
        loop.close()
    assert again.calls == [[(0, 0), (0, 1), (0, 2)]]
    assert [m.value for m in _topic(bus, out_topic)] == VALUES
    assert _lag(bus, graph) == 0


class Poison(Echo):
    """Raises on every call whose batch holds one of ``bad`` values."""

    def __init__(self, topic: str, bad: set[bytes]) -> None:
        super().__init__(topic)
        self.bad = bad

    def process(self, batch: Sequence[Message]) -> list[Outcome]:
        self.calls.append([(m.partition, m.offset) for m in batch])
        if any(m.value in self.bad for m in batch):
            raise ValueError("cannot handle this record")
        return [Outcome(outputs=[Out(self.topic, m.value, m.key)]) for m in batch]


def test_a_one_off_crash_is_isolated_and_nothing_is_lost(wired: tuple[Bus, TopicGraph]) -> None:
    bus, graph = wired
    out_topic = graph.name(Role.CLEANED)
    _publish(bus, graph.name(Role.RAW), VALUES)
    proc = Echo(out_topic, fail={1: ValueError("a bug that does not come back")})
    loop = _loop(bus, graph, proc)
    try:
        assert loop.step() == 0  # aborted, rewound: the records go one per transaction now
        assert _topic(bus, out_topic) == [] and _lag(bus, graph) == 3
        assert [loop.step() for _ in range(3)] == [1, 1, 1]
        assert loop.step() == 0
    finally:
        loop.close()
    assert proc.calls[1:] == [[(0, 0)], [(0, 1)], [(0, 2)]]
    assert [m.value for m in _topic(bus, out_topic)] == VALUES
    assert _topic(bus, graph.name(Role.DEAD_LETTERS)) == []
    assert _lag(bus, graph) == 0


def test_a_poison_record_is_retried_then_quarantined_and_the_partition_moves_on(
    wired: tuple[Bus, TopicGraph],
) -> None:
    bus, graph = wired
    out_topic = graph.name(Role.CLEANED)
    _publish(bus, graph.name(Role.RAW), VALUES)
    proc = Poison(out_topic, {b"two"})
    loop = _loop(bus, graph, proc)
    try:
        loop.run(until_idle=True)
    finally:
        loop.close()
    assert [m.value for m in _topic(bus, out_topic)] == [b"one", b"three"]
    (dead,) = _topic(bus, graph.name(Role.DEAD_LETTERS))
    assert dead.value == b"two"
    envelope = json.loads(dict(dead.headers)["newswire.dlq"])
    assert envelope["reason"] == "poison" and "ValueError" in envelope["error"]
    assert envelope["source"]["offset"] == 1
    assert proc.calls.count([(0, 1)]) == 3  # poison_attempts
    assert _lag(bus, graph) == 0


def test_a_stage_failing_every_record_crashes_instead_of_dead_lettering_everything(
    wired: tuple[Bus, TopicGraph],
) -> None:
    bus, graph = wired
    _publish(bus, graph.name(Role.RAW), VALUES)
    proc = Poison(graph.name(Role.CLEANED), set(VALUES))
    loop = _loop(bus, graph, proc, max_consecutive_poison=2)
    try:
        with pytest.raises(ValueError):
            loop.run(until_idle=True)
    finally:
        loop.close()
    assert len(_topic(bus, graph.name(Role.DEAD_LETTERS))) == 2
    assert _topic(bus, graph.name(Role.CLEANED)) == []
    assert _lag(bus, graph) == 1  # the third is not committed: the restarted process gets it


def test_run_stops_on_a_crash_when_quarantine_is_off(wired: tuple[Bus, TopicGraph]) -> None:
    bus, graph = wired
    _publish(bus, graph.name(Role.RAW), VALUES)
    proc = Poison(graph.name(Role.CLEANED), {b"one"})
    loop = _loop(bus, graph, proc, max_consecutive_poison=0)
    try:
        with pytest.raises(ValueError):
            loop.run(until_idle=True)
    finally:
        loop.close()
    assert _lag(bus, graph) == 3
    assert _topic(bus, graph.name(Role.DEAD_LETTERS)) == []


# --- lag series ------------------------------------------------------------------------------------


def _lag_series(group: str) -> dict[tuple[str, str], float]:
    from prometheus_client import REGISTRY

    return {
        (s.labels["topic"], s.labels["partition"]): s.value
        for family in REGISTRY.collect()
        if family.name == "newswire_consumer_lag"
        for s in family.samples
        if s.labels["group"] == group
    }


def test_lag_series_of_revoked_partitions_are_removed(wired: tuple[Bus, TopicGraph]) -> None:
    """After a rebalance the new owner reports a partition: a value left behind here would
    freeze and be counted twice by sum by (group, topic) (the lag alert and the HPA)."""
    bus, graph = wired
    raw = graph.name(Role.RAW)
    _publish(bus, raw, VALUES, partition=1)
    loop = _loop(bus, graph, Echo(graph.name(Role.CLEANED)), lag_interval_s=0.0)
    try:
        assert loop.consumer is not None
        loop.consumer.poll(timeout_s=0.1, max_records=0)  # joins: partitions assigned
        loop._report_lag()
        assert _lag_series(GROUP) == {(raw, "0"): 0.0, (raw, "1"): 3.0}
        # What the bus calls on a rebalance that takes partition 1 away:
        loop._on_revoke(frozenset({TopicPartition(raw, 1)}))
        assert _lag_series(GROUP) == {(raw, "0"): 0.0}
    finally:
        loop.close()
    assert _lag_series(GROUP) == {}, "a closed loop leaves no series behind"
