"""A feed's hand-over between pollers emits each entry once, against the real broker.

The chaos suite saw one entry emitted twice across a broker crash: a poll committed by the
partition's previous holder (or by the same poller, whose commit it thought lost) was missing
from the state the next poll started from. These tests hold the two ways it happens: a deposed
poller whose transaction lands after its successor read the state (fenced now: the successor
opened the partition's transactional id before reading), and a commit whose outcome the poller
could not learn (the partition is re-opened and its state read again before the next poll).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from ingest.feedlist import FeedConfig
from ingest.poller import Poller
from ingest.schedule import FeedState
from newswire.bus import BrokerUnreachable, Bus, Consumer, Producer, TopicPartition, open_bus, partition_for
from newswire.records import RawStory
from newswire.runtime import StopFlag
from newswire.settings import Settings, load_settings
from newswire.topics import Group, Role, topic_graph
from tests.support.http import TestServer
from tests.support.pollers import LOCAL_POLLER

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]

PAGE = b"<html><body><article><h1>Story</h1><p>Body text of the story.</p></article></body></html>"


def _rss(page_url: str) -> bytes:
    return (
        '<rss version="2.0"><channel><title>t</title><item><guid>g1</guid><title>Story g1</title>'
        f"<link>{page_url}</link><description>About g1.</description></item></channel></rss>"
    ).encode()


def _settings(kafka_settings: Settings) -> Settings:
    return load_settings(
        backend="kafka",
        kafka={"bootstrap_servers": kafka_settings.kafka.bootstrap_servers, "connect_timeout_s": 30},
        topics={
            "prefix": kafka_settings.topics.prefix,
            "raw_partitions": 2,
            "events_partitions": 1,
            "feed_partitions": 2,
        },
        metrics={"enabled": False},
        shutdown_timeout_s=2.0,
        poller={**LOCAL_POLLER, "min_interval_s": 0.5, "max_interval_s": 1.0},
    )


@pytest.fixture
def cluster(kafka_settings: Settings, http_server: TestServer) -> Iterator[tuple[Settings, str, Any]]:
    """(settings, feed URL, make(bus=None) -> a Poller of one group on that feed)."""
    settings = _settings(kafka_settings)
    page = http_server.static("/story", PAGE)
    feed = http_server.static("/feed", _rss(page), headers={"Content-Type": "application/rss+xml"})
    graph = topic_graph(settings)
    with ExitStack() as stack:
        admin = open_bus(settings)
        stack.callback(admin.close)
        admin.ensure_topics(graph.all())

        def make(bus: Bus | None = None, group: str = graph.group(Group.POLLERS)) -> Poller:
            if bus is None:
                bus = open_bus(settings)
                stack.callback(bus.close)
            p = Poller(
                settings,
                bus,
                [FeedConfig(url=feed)],
                state_topic=graph.name(Role.POLLER_STATE),
                raw_topic=graph.name(Role.RAW),
                partitions=settings.topics.feed_partitions,
                txid_prefix="t-poller",
                group_id=group,
                stop=StopFlag(),
            )
            stack.callback(p.close)
            return p

        yield settings, feed, make


def _emitted(settings: Settings) -> list[RawStory]:
    bus = open_bus(settings)
    try:
        topic = topic_graph(settings).name(Role.RAW)
        return [RawStory.decode(m.value) for m in bus.read_table(topic) if m.value is not None]
    finally:
        bus.close()


def _hold(p: Poller, part: int, timeout_s: float = 60.0) -> None:
    """Turn the group's crank until ``p`` holds ``part`` settled (producer open, state read),
    without starting any poll."""
    deadline = time.monotonic() + timeout_s
    while not (part in p.owned and part not in p._unsettled):
        assert time.monotonic() < deadline, "partition never assigned"
        assert p._consumer is not None
        p._consumer.poll(timeout_s=0.2)
        p._settle()


def test_a_deposed_pollers_late_commit_is_fenced_and_the_entry_emitted_once(cluster: tuple[Settings, str, Any]) -> None:
    settings, feed, make = cluster
    part = partition_for(feed.encode(), settings.topics.feed_partitions)
    # a holds the partition in a group of its own: cut off from the group b joins, as a
    # poller is that a broker outage separated from it and that has not learnt it yet.
    a = make(group="cut-off-" + settings.topics.prefix)
    _hold(a, part)
    # a polls the feed; before it commits, b takes the partition over, reads its state and
    # polls the same entry.
    result = a.poll_feed(FeedConfig(url=feed), a.states.get(feed) or FeedState())
    assert [r.guid for r in result.raws] == ["g1"]
    started_in = a._handover[part]
    b = make()
    deadline = time.monotonic() + 60
    while feed not in b.polled_once:
        assert time.monotonic() < deadline, "b never polled the feed"
        b.tick(once=True)
    assert [r.guid for r in _emitted(settings)] == ["g1"]
    # a's transaction, cut off until now, is tried after its successor took over: under the
    # partition's transactional id, which b opened, it is fenced and writes nothing.
    assert part in a.owned  # a has not learnt it lost the partition
    a._commit(result, started_in)
    assert [r.guid for r in _emitted(settings)] == ["g1"]
    assert a._rejoin  # fenced: it rejoins instead of crashing
    # Another poll of the partition finishing before the rejoin: fenced again (kafka-python
    # fails a fenced producer's next ``begin`` with a plain error), not a crash of the poller.
    a._commit(result, started_in)
    assert [r.guid for r in _emitted(settings)] == ["g1"]
    # Both carry on, a rejoining (into b's group now: its membership is back): the entry is
    # still not emitted again.
    a._group_id = b._group_id
    threads = [threading.Thread(target=p.run) for p in (a, b)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 60
        while not (a._consumer is not None and a.owned | b.owned == {0, 1} and not a.owned & b.owned):
            assert time.monotonic() < deadline, (a.owned, b.owned)
            time.sleep(0.2)
        time.sleep(3)  # several polls of the feed by its holder
    finally:
        for p in (a, b):
            p.stop.set()
        for t in threads:
            t.join(timeout=30)
    assert [r.guid for r in _emitted(settings)] == ["g1"]


class _LandsThenLost:
    """A bus whose first commit lands but is reported lost (the broker died before answering):
    what the poller sees of a commit whose outcome it cannot know."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.lost = 0

    def producer(self, transactional_id: str | None = None) -> Producer:
        return _Producer(self, self.bus.producer(transactional_id=transactional_id))  # type: ignore[return-value]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bus, name)


class _Producer:
    def __init__(self, owner: _LandsThenLost, inner: Producer) -> None:
        self.owner, self.inner = owner, inner

    def commit(self, consumer: Consumer | None = None, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        self.inner.commit(consumer, offsets)
        if not self.owner.lost:
            self.owner.lost += 1
            raise BrokerUnreachable("commit failed: KafkaTimeoutError (commit not acknowledged)")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_commit_of_unknown_outcome_is_read_back_before_the_feed_is_polled_again(
    cluster: tuple[Settings, str, Any], tmp_path: Path
) -> None:
    settings, feed, make = cluster
    bus = _LandsThenLost(open_bus(settings))
    try:
        p = make(bus)
        deadline = time.monotonic() + 60
        while feed not in p.states or bus.lost == 0:
            assert time.monotonic() < deadline, "the feed was never polled"
            p.tick(once=True)
        assert bus.lost == 1
        assert feed in p.states and "g1" in p.states[feed].seen  # read back: the commit landed
        p.polled_once.clear()
        deadline = time.monotonic() + 60
        while feed not in p.polled_once:
            assert time.monotonic() < deadline, "the feed was not polled again"
            p.tick(once=True)
        assert [r.guid for r in _emitted(settings)] == ["g1"]
    finally:
        bus.bus.close()
