"""Poller replicas share the feed list through Kafka group membership: no feed is polled by
two replicas, none is orphaned when one dies, and the survivor resumes the dead one's feeds
from their state in the compacted topic without re-emitting old entries."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from newswire.bus import open_bus, partition_for
from newswire.settings import Settings
from newswire.topics import Role, topic_graph
from pipeline.demo import SampleWeb
from pipeline.samples import load_corpus
from tests.support.daemons import Daemon, wait_for, write_config
from tests.support.data import DEV_CORPUS

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]


def _who_polled(web: SampleWeb) -> dict[str, set[str]]:
    """site -> user agents that fetched its feed since the logs were last cleared."""
    out: dict[str, set[str]] = defaultdict(set)
    for name, site in web.sites.items():
        for path, agent, _ in list(site.requests):
            if path.startswith("/feed"):
                out[name].add(agent)
    return out


def _feed_url_on(site_feed: str, partition: int, partitions: int) -> str:
    """The site's feed URL with a harmless query chosen so the feed lands on ``partition``."""
    n = 0
    while partition_for(f"{site_feed}?p={n}".encode(), partitions) != partition:
        n += 1
    return f"{site_feed}?p={n}"


def _clear(web: SampleWeb) -> None:
    for site in web.sites.values():
        site.requests.clear()


def _raw_count(settings: Settings) -> int:
    bus = open_bus(settings)
    try:
        return sum(1 for _ in bus.read_table(topic_graph(settings).name(Role.RAW)))
    finally:
        bus.close()


def test_two_pollers_split_feeds_and_hand_over(kafka_settings: Settings, tmp_path: Path) -> None:
    corpus = load_corpus(DEV_CORPUS)
    partitions = kafka_settings.topics.feed_partitions
    # Feeds on every partition, so both replicas necessarily own some.
    names = [f"wire-{i}" for i in range(2 * partitions)]
    with SampleWeb([(n, ("rss", "atom", "json")[i % 3]) for i, n in enumerate(names)]) as web:
        used: list[str] = []
        for i, (name, record) in enumerate(zip(names, corpus, strict=False)):
            web.sites[name].publish({**record, "site": name})
            used.append(_feed_url_on(web.sites[name].feed_url, i % partitions, partitions))
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text("feeds:\n" + "".join(f"  - url: {u}\n" for u in used))
        config = write_config(
            tmp_path / "poller.yaml",
            kafka_settings,
            metrics={"enabled": False},
            poller={
                "feeds_file": str(feeds),
                "allow_private_network": True,
                "per_host_min_interval_s": 0.0,
                "min_interval_s": 1.0,
                "max_interval_s": 1.5,
                "fetch_pages": True,
            },
        )
        a = Daemon(
            config,
            "poll",
            log=tmp_path / "a.log",
            env={"NEWSWIRE_POLLER__USER_AGENT": "poller-a", "NEWSWIRE_INSTANCE_ID": "a"},
        )
        b = Daemon(
            config,
            "poll",
            log=tmp_path / "b.log",
            env={"NEWSWIRE_POLLER__USER_AGENT": "poller-b", "NEWSWIRE_INSTANCE_ID": "b"},
        )
        try:

            def both_active() -> bool:
                agents = set().union(*_who_polled(web).values()) if _who_polled(web) else set()
                return {"poller-a", "poller-b"} <= agents

            assert wait_for(both_active, 90, 0.5), (tmp_path / "a.log").read_text()[-2000:]
            time.sleep(3)  # let the rebalance settle
            _clear(web)
            time.sleep(5)
            split: dict[str, set[str]] = _who_polled(web)
            assert set(split) == set(names)  # none orphaned
            assert all(len(agents) == 1 for agents in split.values()), split  # none polled twice
            owners: dict[str, Any] = {u: next(iter(v)) for u, v in split.items()}
            assert set(owners.values()) == {"poller-a", "poller-b"}
            assert _raw_count(kafka_settings) == len(used)  # each entry emitted once

            a.kill9()  # the survivor takes over a's feeds once the group notices
            assert wait_for(lambda: b.alive() and _handover_done(web, names), 60, 1.0)
            time.sleep(3)
            assert _raw_count(kafka_settings) == len(used)  # restored state: nothing re-emitted
        finally:
            for d in (a, b):
                if d.alive():
                    d.terminate()


def _handover_done(web: SampleWeb, names: list[str]) -> bool:
    _clear(web)
    time.sleep(3)
    polled = _who_polled(web)
    return set(polled) == set(names) and all(agents == {"poller-b"} for agents in polled.values())
