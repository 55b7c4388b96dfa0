"""``newswire feeds discover`` against a loopback sample site, and ``--add`` to a feed list."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.discover import Discovered
from ingest.feedlist import FeedListError, load_feed_list
from pipeline.cli import main
from pipeline.demo import SampleWeb
from pipeline.discovery import add_to_feed_list
from pipeline.samples import seed_records


def test_discover_prints_and_adds_feed_and_sitemap(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = seed_records()
    with SampleWeb([("kremlin.example", "atom"), ("tass.example", "sitemap")]) as web:
        web.publish([r for r in records if r["site"] in web.sites])
        kremlin, tass = web.sites["kremlin.example"], web.sites["tass.example"]
        feeds = isolated_env / "feeds.yaml"
        feeds.write_text(f"- url: {kremlin.feed_url}\n  name: already here\n")
        args = ["--log-level", "WARNING", "feeds", "discover", "--allow-private-network", "--add", str(feeds)]
        assert main([*args, kremlin.base]) == 0
        out = capsys.readouterr().out
        rows = [line.split() for line in out.splitlines()]
        assert ["feed", kremlin.feed_url, "link", "rel=alternate", "application/atom+xml"] in rows
        assert ["sitemap", kremlin.sitemap_url, "robots.txt", "news", "sitemap,", "2", "URLs"] in rows
        assert "added 1 of 2" in out
        assert main([*args, tass.base]) == 0
        assert "added 1 of 1" in capsys.readouterr().out
        listed = load_feed_list(feeds)
        assert [(f.url, f.kind, f.name) for f in listed] == [
            (kremlin.feed_url, "feed", "already here"),
            (kremlin.sitemap_url, "sitemap", None),
            (tass.sitemap_url, "sitemap", None),
        ]
        # Idempotent: a second discovery adds nothing.
        assert main([*args, tass.base]) == 0
        assert "added 0 of 1" in capsys.readouterr().out

        # Without --allow-private-network the SSRF guard refuses loopback: nothing found, exit 1.
        assert main(["--log-level", "WARNING", "feeds", "discover", tass.base]) == 1
        captured = capsys.readouterr()
        assert "no feeds or sitemaps found" in captured.out and "loopback" in captured.err

        opml = isolated_env / "list.opml"
        opml.write_text('<opml version="2.0"><body/></opml>')
        assert main([*args[:-1], str(opml), tass.base]) == 1
        assert "is OPML" in capsys.readouterr().err


def test_add_keeps_the_lists_comments_and_layout(tmp_path: Path) -> None:
    """The list's owner wrote comments and a ``feeds:`` mapping: the new sources go after its
    last item, and nothing of it is lost; a list the appended text would not read as (a flow
    list) is written out whole."""
    feeds = tmp_path / "feeds.yaml"
    head = "# polled by the newsroom\nfeeds:\n  # the wires\n  - url: https://a.example/rss\n    name: A wire\n"
    feeds.write_text(head)
    found = [
        Discovered("https://b.example/rss", "feed", "link", "rss", "B: news"),
        Discovered("https://b.example/news.xml", "sitemap", "robots.txt", "news sitemap"),
        Discovered("https://a.example/rss", "feed", "link", "rss"),
    ]
    added = add_to_feed_list(feeds, found)
    assert [f.url for f in added] == ["https://b.example/rss", "https://b.example/news.xml"]
    text = feeds.read_text()
    assert text.startswith(head)
    assert [(f.url, f.kind, f.name) for f in load_feed_list(feeds)] == [
        ("https://a.example/rss", "feed", "A wire"),
        ("https://b.example/rss", "feed", "B: news"),
        ("https://b.example/news.xml", "sitemap", None),
    ]
    flow = tmp_path / "flow.yaml"
    flow.write_text("feeds: [{url: 'https://a.example/rss'}]\n")
    add_to_feed_list(flow, found[:1])
    assert [f.url for f in load_feed_list(flow)] == ["https://a.example/rss", "https://b.example/rss"]
    # read as a feed list is read (once, bounded, a regular file only): a FIFO blocked the read
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(FeedListError, match="cannot read"):
        add_to_feed_list(fifo, found[:1])
