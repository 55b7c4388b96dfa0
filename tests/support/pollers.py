"""A poller on the embedded bus for ingest tests that drive polls by hand (no daemon)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.feedlist import FeedConfig
from ingest.poller import Poller
from newswire.bus import open_bus
from newswire.records import RawStory
from newswire.runtime import StopFlag
from newswire.settings import Settings, load_settings
from newswire.topics import Group, Role, topic_graph

LOCAL_POLLER: dict[str, object] = {
    "allow_private_network": True,  # the test servers listen on 127.0.0.1
    "per_host_min_interval_s": 0.0,
    "respect_robots": False,
    "total_timeout_s": 5.0,
}
"""Poller settings for feeds served by the tests' own HTTP servers, polled without waiting."""


def poller_settings(tmp_path: Path, **poller: object) -> Settings:
    return load_settings(
        backend="embedded",
        embedded={"path": str(tmp_path / "bus.db")},
        topics={"prefix": "t.", "raw_partitions": 2, "events_partitions": 1, "feed_partitions": 2},
        metrics={"enabled": False},
        shutdown_timeout_s=1.0,
        poller={**LOCAL_POLLER, "connect_timeout_s": 2.0, "read_timeout_s": 2.0, **poller},
    )


@contextmanager
def open_poller(tmp_path: Path, feeds: list[FeedConfig], **poller: object) -> Iterator[Poller]:
    """A poller owning every partition of the state topic once ``restore()`` ran."""
    with poller_on(poller_settings(tmp_path, **poller), feeds) as p:
        yield p


@contextmanager
def poller_on(settings: Settings, feeds: list[FeedConfig], txid_prefix: str = "tx-poller") -> Iterator[Poller]:
    """A poller with ``settings`` (either backend), on the topics they name."""
    bus = open_bus(settings)
    graph = topic_graph(settings)
    bus.ensure_topics(graph.all())
    p = Poller(
        settings,
        bus,
        feeds,
        state_topic=graph.name(Role.POLLER_STATE),
        raw_topic=graph.name(Role.RAW),
        partitions=settings.topics.feed_partitions,
        txid_prefix=txid_prefix,
        group_id=graph.group(Group.POLLERS),
        stop=StopFlag(),
    )
    try:
        yield p
    finally:
        p.close()
        bus.close()


def poll_all(p: Poller, timeout_s: float = 20.0) -> None:
    """Poll every configured source once in this run (``tick(once=True)`` until done)."""
    urls = set(p._feeds)
    p.polled_once.clear()
    deadline = time.monotonic() + timeout_s
    while not (urls <= p.polled_once and not p._inflight):
        assert time.monotonic() < deadline, "polls did not complete"
        p.tick(once=True)
        time.sleep(0.02)


def raws(p: Poller) -> list[RawStory]:
    return [RawStory.decode(m.value) for m in p.bus.read_table(p.raw_topic) if m.value is not None]
