"""Sitemap sources on the real broker: ``newswire run --once`` over a sitemap-only wire and two
wires read through both their feed and their sitemap gives one event per article, and a
second run (state restored from the compacted poller-state topic) gives none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.feedlist import FeedConfig, to_yaml
from newswire.settings import Settings
from pipeline.cli import main
from pipeline.demo import SampleWeb
from pipeline.samples import seed_records
from tests.support.daemons import write_config

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]


def test_sitemap_and_feed_sources_on_kafka(kafka_settings: Settings, tmp_path: Path) -> None:
    records = [r for r in seed_records() if r["thread"] == "seed-cuba"]
    sites = sorted({r["site"] for r in records})
    kinds = ["rss", "sitemap", "json"]
    with SampleWeb(list(zip(sites, kinds, strict=True))) as web:
        web.publish(records)
        sources = [
            FeedConfig(s.feed_url, kind="sitemap" if s.kind == "sitemap" else "feed") for s in web.sites.values()
        ]
        sources += [FeedConfig(s.sitemap_url, kind="sitemap") for s in web.sites.values() if s.kind != "sitemap"]
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(to_yaml(sources))
        config = write_config(
            tmp_path / "newswire.yaml",
            kafka_settings,
            metrics={"enabled": False},
            worker={"extract_processes": 0},
            poller={"feeds_file": str(feeds), "allow_private_network": True, "per_host_min_interval_s": 0.0},
        )
        events_path = tmp_path / "events.jsonl"

        def run_once() -> list[dict[str, object]]:
            before = len(events_path.read_text().splitlines()) if events_path.exists() else 0
            assert (
                main(
                    ["--config", str(config), "--log-format", "text", "run", "--once", "--events-out", str(events_path)]
                )
                == 0
            )
            return [json.loads(x) for x in events_path.read_text().splitlines()[before:]]

        events = run_once()
        assert sorted(str(e["type"]) for e in events) == ["story.created", "story.duplicate", "story.updated"]
        assert len({e["story_id"] for e in events}) == 1
        tass = web.sites["tass.example"]
        assert any(e["feed_url"] == tass.sitemap_url for e in events)  # the sitemap-only wire's article
        for site in web.sites.values():
            site.requests.clear()
        assert run_once() == []
        pages = [p for s in web.sites.values() for p, _, _ in s.requests if p.count("/") > 1]
        assert pages == []  # validators and seen URLs came back from the compacted state topic
