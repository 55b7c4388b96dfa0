"""Feed lists: YAML and OPML (the real NetNewsWire export), detection by content, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.feedlist import FeedConfig, FeedListError, load_feed_list, parse_feed_list, to_yaml
from tests.support.data import feed_file


def test_real_opml_with_nested_outlines(tmp_path: Path) -> None:
    feeds = load_feed_list(feed_file("Subs.opml", tmp_path))
    assert len(feeds) > 100
    assert feeds[0] == FeedConfig(url="http://daringfireball.net/feeds/main", name="Daring Fireball")
    assert len({f.url for f in feeds}) == len(feeds)
    assert all(f.url.startswith(("http://", "https://")) for f in feeds)
    # SubsNoTitleAttributes has only text=: names come from it.
    no_titles = load_feed_list(feed_file("SubsNoTitleAttributes.opml", tmp_path))
    assert [f.url for f in no_titles] == [f.url for f in feeds]
    assert all(f.name for f in no_titles)


def test_opml_categories_from_parent_outline() -> None:
    data = b"""<?xml version="1.0"?><opml version="1.1"><head/><body>
<outline text="Tech"><outline text="Inner"><outline text="A" xmlUrl="https://a.example/feed"/></outline></outline>
<outline text="B" title="Bee" xmlUrl="https://b.example/rss"/></body></opml>"""
    assert parse_feed_list(data) == [
        FeedConfig(url="https://a.example/feed", name="A", category="Inner"),
        FeedConfig(url="https://b.example/rss", name="Bee"),
    ]


def test_yaml_all_fields_and_roundtrip() -> None:
    data = """
feeds:
  - url: https://a.example/feed
    name: A
    robots: false
    min_interval: 60
    max_interval: 3600
    allow_private: true
  - https://b.example/rss
"""
    feeds = parse_feed_list(data)
    assert feeds == [
        FeedConfig("https://a.example/feed", "A", False, 60.0, 3600.0, True),
        FeedConfig("https://b.example/rss"),
    ]
    assert parse_feed_list(to_yaml(feeds)) == feeds


def test_opml_import_to_yaml_roundtrip(tmp_path: Path) -> None:
    feeds = load_feed_list(feed_file("Subs.opml", tmp_path))
    assert parse_feed_list(to_yaml(feeds)) == feeds


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "empty"),
        ("feeds: [", "invalid YAML"),
        ("just: a mapping", "expected a list"),
        ("- name: no url", "missing url"),
        ("- url: ftp://x.example/f", r"not an http\(s\) URL"),
        ("- url: https://x.example/f\n  min_interval: -1", "positive number"),
        # a feed's interval is held to the settings' bound (a month), as the settings' own are
        ("- url: https://x.example/f\n  max_interval: 1e9", "up to 2592000"),
        ("- url: https://x.example/f\n  min_interval: 2592001", "up to 2592000"),
        ("- url: https://x.example/f\n  min_interval: 100\n  max_interval: 10", "min_interval"),
        ("- url: https://x.example/f\n  robots: maybe", "true or false"),
        ("- url: https://x.example/f\n  colour: red", "unknown keys"),
        ("<opml><body><outline", "invalid XML"),
        ("<html><body/></html>", "not <opml>"),
        ("feeds: []", "names no feeds"),
        ("[]", "names no feeds"),
        ("<opml><body></body></opml>", "names no feeds"),
        ('<!DOCTYPE opml [<!ENTITY a "b">]><opml><body/></opml>', "unsafe XML"),
    ],
)
def test_bad_lists(data: str, message: str) -> None:
    with pytest.raises(FeedListError, match=message):
        parse_feed_list(data, source="list.yaml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FeedListError, match="cannot read"):
        load_feed_list(tmp_path / "nope.yaml")
