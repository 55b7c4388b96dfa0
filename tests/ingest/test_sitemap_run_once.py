"""``newswire run --once`` end to end with sitemap sources, over wire sites served on loopback
(the January 24/25 case): a site publishing only a news sitemap, and sites publishing the same
articles through a feed and a sitemap, which must still give one event per article."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.feedlist import FeedConfig, to_yaml
from pipeline.cli import main
from pipeline.demo import SampleWeb
from pipeline.samples import seed_records

pytestmark = pytest.mark.timeout(300)


def _run_once(feeds: Path, events: Path) -> list[dict[str, Any]]:
    before = len(events.read_text().splitlines()) if events.exists() else 0
    args = ["--log-format", "text", "run", "--once", "--feeds", str(feeds), "--allow-private-network"]
    assert main([*args, "--events-out", str(events)]) == 0
    return [json.loads(x) for x in events.read_text().splitlines()[before:]]


@pytest.fixture
def cuba(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    monkeypatch.setenv("NEWSWIRE_EMBEDDED__PATH", str(tmp_path / "bus.db"))
    monkeypatch.setenv("NEWSWIRE_METRICS__ENABLED", "false")
    monkeypatch.setenv("NEWSWIRE_WORKER__EXTRACT_PROCESSES", "0")
    monkeypatch.setenv("NEWSWIRE_POLLER__PER_HOST_MIN_INTERVAL_S", "0")
    records = [r for r in seed_records() if r["thread"] == "seed-cuba"]
    assert len({r["site"] for r in records}) == 3
    return records


@pytest.fixture
def sitemap_only(cuba: list[dict[str, Any]]) -> Iterator[SampleWeb]:
    with SampleWeb([(site, "sitemap") for site in sorted({r["site"] for r in cuba})]) as web:
        web.publish(cuba)
        yield web


def _feed_list(path: Path, sources: list[FeedConfig]) -> Path:
    path.write_text(to_yaml(sources))
    return path


def test_sites_with_only_a_news_sitemap_make_events(sitemap_only: SampleWeb, tmp_path: Path) -> None:
    web = sitemap_only
    feeds = _feed_list(tmp_path / "feeds.yaml", [FeedConfig(s.sitemap_url, kind="sitemap") for s in web.sites.values()])
    events = _run_once(feeds, tmp_path / "events.jsonl")
    assert sorted(e["type"] for e in events) == ["story.created", "story.duplicate", "story.updated"]
    assert len({e["story_id"] for e in events}) == 1
    assert {e["feed_url"] for e in events} == {s.sitemap_url for s in web.sites.values()}
    # No feed exists on these sites: nothing but sitemaps, robots.txt and article pages was asked for.
    paths = {path for s in web.sites.values() for path, _, _ in s.requests}
    assert not {p for p in paths if "feed" in p}

    # Again: the sitemaps answer 304 to their ETags, nothing is emitted, no page is refetched.
    for site in web.sites.values():
        site.requests.clear()
    assert _run_once(feeds, tmp_path / "events.jsonl") == []
    asked = [r for s in web.sites.values() for r in s.requests if "robots" not in r[0]]
    assert len(asked) == 3 and all(path == "/news-sitemap.xml" and conditional for path, _, conditional in asked)


def test_feed_and_sitemap_of_the_same_sites_give_one_event_per_article(
    cuba: list[dict[str, Any]], tmp_path: Path
) -> None:
    kinds = ["rss", "atom", "json"]
    with SampleWeb(list(zip(sorted({r["site"] for r in cuba}), kinds, strict=True))) as web:
        web.publish(cuba)
        both = [FeedConfig(s.feed_url) for s in web.sites.values()]
        both += [FeedConfig(s.sitemap_url, kind="sitemap") for s in web.sites.values()]
        events = _run_once(_feed_list(tmp_path / "both.yaml", both), tmp_path / "events.jsonl")
        assert sorted(e["type"] for e in events) == ["story.created", "story.duplicate", "story.updated"]
        # One replica, both sources: each article page was fetched once (one raw record each).
        for site in web.sites.values():
            pages = [p for p, _, _ in site.requests if p not in ("/robots.txt", "/news-sitemap.xml", "/")]
            assert len(pages) == len(set(pages)) == 2, pages  # the feed document and one article


def test_a_sitemap_added_later_repeats_no_event(cuba: list[dict[str, Any]], tmp_path: Path) -> None:
    """A new process (no claims in memory) adds the sitemaps of sites whose feeds it already
    read: the sitemap's raw records carry the feed articles' keys, threading says unchanged."""
    with SampleWeb(list(zip(sorted({r["site"] for r in cuba}), ["rss", "atom", "json"], strict=True))) as web:
        web.publish(cuba)
        feeds_only = [FeedConfig(s.feed_url) for s in web.sites.values()]
        events_path = tmp_path / "events.jsonl"
        first = _run_once(_feed_list(tmp_path / "feeds.yaml", feeds_only), events_path)
        assert len(first) == 3
        both = feeds_only + [FeedConfig(s.sitemap_url, kind="sitemap") for s in web.sites.values()]
        for site in web.sites.values():
            site.requests.clear()
        assert _run_once(_feed_list(tmp_path / "both.yaml", both), events_path) == []
        # The sitemaps were read and their articles fetched: the dedupe happened downstream.
        assert all(any(p.startswith("/") and p.count("/") > 1 for p, _, _ in s.requests) for s in web.sites.values())
