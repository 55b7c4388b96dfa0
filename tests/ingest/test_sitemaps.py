"""The sitemap parser and the pure decisions of a sitemap poll (no I/O)."""

from __future__ import annotations

import gzip

import pytest

from ingest.feedlist import FeedListError, parse_feed_list, to_yaml
from ingest.schedule import FeedState
from ingest.sitemaps import (
    SitemapEntry,
    SitemapParseError,
    SitemapSettings,
    baseline_children,
    iso_utc,
    next_watermark,
    parse_sitemap,
    remember,
    select_children,
    select_entries,
)

DAY = 86400.0


def test_news_fields_namespaces_and_dates() -> None:
    doc = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.google.com/schemas/sitemap/0.84" xmlns:n="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc> https://a.example/1 </loc><lastmod>2024-05</lastmod>
 <n:news><n:publication><n:name>A Wire</n:name><n:language>EN</n:language></n:publication>
 <n:publication_date>2024-05-01T10:00:00.5+02:00</n:publication_date><n:title>Hi &amp; bye</n:title>
 <n:keywords>a, , b</n:keywords></n:news></url>
<url><loc>ftp://a.example/x</loc></url>
<url><loc>https://a.example/2</loc><lastmod>not a date</lastmod></url>
</urlset>"""
    for data in (doc, gzip.compress(doc)):
        parsed = parse_sitemap(data)
        assert parsed.kind == "urlset" and parsed.skipped == 1 and not parsed.truncated
        first, second = parsed.entries
        assert first.loc == "https://a.example/1" and first.title == "Hi & bye" and first.publication == "A Wire"
        assert first.published == "2024-05-01T08:00:00Z" and first.lastmod == "2024-05-01T00:00:00Z"
        assert first.language == "en" and first.keywords == ("a", "b")
        assert second.lastmod is None and second.when is None


def test_index_and_refusals() -> None:
    index = parse_sitemap(b"<sitemapindex><sitemap><loc>https://a.example/s1.xml</loc></sitemap></sitemapindex>")
    assert index.kind == "index" and index.entries[0].loc == "https://a.example/s1.xml"
    cases = {
        b"   ": "empty",
        b"<rss/>": "invalid",
        b"<urlset><url><loc>x</loc>": "invalid",
        b'<!DOCTYPE urlset [<!ENTITY e "x">]><urlset/>': "xml_attack",
        b"<urlset><url>" + b"<x/>" * 300 + b"</url></urlset>": "invalid",
        b"<urlset>" + b"<x/>" * 11 + b"</urlset>": "invalid",
        gzip.compress(b"<urlset>" + b" " * 5000 + b"</urlset>"): "too_large",
        b"\x1f\x8bnot gzip at all": "invalid",
        # A DOCTYPE hidden past the screened head (64 KB of comment first) is still refused.
        b"<!--"
        + b" " * 70_000
        + b'--><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]><urlset/>': "xml_attack",
    }
    for data, kind in cases.items():
        with pytest.raises(SitemapParseError) as err:
            parse_sitemap(data, max_urls=10, max_bytes=4096 if len(data) < 4096 else 200_000)
        assert err.value.kind == kind, data[:40]


def test_truncation_at_the_cap() -> None:
    doc = b"<urlset>" + b"".join(b"<url><loc>https://a.example/%d</loc></url>" % i for i in range(20)) + b"</urlset>"
    parsed = parse_sitemap(doc, max_urls=5)
    assert parsed.truncated and [e.loc[-1] for e in parsed.entries] == list("01234")


def test_iso_utc() -> None:
    assert iso_utc("2024") == ("2024-01-01T00:00:00Z", 1704067200.0)
    assert iso_utc("2024-05-01T10:00Z")[0] == "2024-05-01T10:00:00Z"
    assert iso_utc("") == (None, None) and iso_utc("yesterday") == (None, None)


def _e(n: int, when: float | None, title: str = "") -> tuple[str, SitemapEntry]:
    return f"k{n}", SitemapEntry(loc=f"https://a.example/{n}", title=title or f"t{n}", lastmod=str(when), when=when)


def test_first_poll_takes_recent_news_and_skips_the_archive() -> None:
    now = 100 * DAY
    entries = [_e(1, now - 10 * DAY), _e(2, now - 1 * DAY), _e(3, now), _e(4, None)]
    sel = select_entries(entries, {}, None, SitemapSettings(max_new_per_poll=10), now=now)
    assert [k for k, _ in sel.emit] == ["k3", "k2", "k4"] and sel.old == 1
    capped = select_entries(entries, {}, None, SitemapSettings(max_new_per_poll=1), now=now)
    # Over the cap: the dated news waits for the next poll; undated archive is baselined.
    assert [k for k, _ in capped.emit] == ["k3"] and capped.deferred == 1 and set(capped.baseline) == {"k4"}


def test_one_entry_dated_in_the_future_does_not_make_the_first_poll_skip_the_news() -> None:
    """The first poll measures its news horizon from the newest entry: one dated 2099 (a bad
    clock, or a lie) would put every real entry in the archive, and an index's real children
    would be recorded unfetched. A date past the poll's clock counts as the clock."""
    now = 100 * DAY
    entries = [_e(1, now - DAY), _e(2, now - 10 * DAY), _e(9, 4_000_000_000.0)]
    sel = select_entries(entries, {}, None, SitemapSettings(max_new_per_poll=10), now=now)
    assert [k for k, _ in sel.emit] == ["k9", "k1"] and sel.old == 1
    kids = [
        SitemapEntry("https://a.example/today.xml", lastmod="T", when=now - DAY),
        SitemapEntry("https://a.example/old.xml", lastmod="O", when=now - 10 * DAY),
        SitemapEntry("https://a.example/liar.xml", lastmod="L", when=4_000_000_000.0),
    ]
    assert baseline_children(kids, {}, SitemapSettings(), now=now) == {"https://a.example/old.xml": "O"}


def test_later_polls_emit_unseen_and_revised_entries_inside_the_horizon() -> None:
    now = 100 * DAY
    seen = {"k1": _e(1, now - DAY)[1].change_hash, "k2": _e(2, now - DAY)[1].change_hash}
    entries = [_e(1, now - DAY), _e(2, now - DAY, title="retitled"), _e(3, now), _e(5, now - 30 * DAY)]
    sel = select_entries(entries, seen, now - DAY, SitemapSettings(), now=now)
    assert [k for k, _ in sel.emit] == ["k3", "k2"] and sel.old == 1


def test_watermark_and_seen_bounds() -> None:
    assert next_watermark(None, [_e(1, 50.0)[1], _e(2, 9e9)[1]], now=100.0) == 100.0
    assert next_watermark(200.0, [_e(1, 50.0)[1]], now=300.0) == 200.0
    seen = remember({"a": "1", "b": "2"}, [("a", "3"), ("c", "4")], max_seen=2)
    assert seen == {"a": "3", "c": "4"}


def test_children_selection() -> None:
    s = SitemapSettings(max_children=2)
    kids = [
        SitemapEntry("https://a.example/1.xml", lastmod="L1", when=1.0),
        SitemapEntry("https://a.example/2.xml", lastmod="L2b", when=3.0),
        SitemapEntry("https://a.example/3.xml", lastmod="L3", when=2.0),
        SitemapEntry("https://a.example/4.xml"),
    ]
    recorded = {"https://a.example/1.xml": "L1", "https://a.example/2.xml": "L2", "https://a.example/4.xml": "#h"}
    chosen, waiting = select_children(kids, recorded, s)
    assert [c.loc[-5:] for c in chosen] == ["2.xml", "3.xml"] and waiting == 0
    wide, _ = select_children(kids, recorded, SitemapSettings(max_children=5))
    assert [c.loc[-5:] for c in wide] == ["2.xml", "3.xml", "4.xml"]  # undated: refreshed by body hash
    old = baseline_children(
        [
            SitemapEntry("https://a.example/old.xml", lastmod="2020", when=0.0),
            SitemapEntry("https://a.example/new.xml", lastmod="2024", when=10 * DAY),
        ],
        {},
        SitemapSettings(),
        now=10 * DAY,
    )
    assert old == {"https://a.example/old.xml": "2020"}


def test_state_round_trip_and_feed_list_type() -> None:
    st = FeedState(children={"https://a.example/1.xml": "L1"}, watermark=5.0)
    assert FeedState.from_json(st.to_json()) == st
    assert FeedState.from_json('{"v":1}').children == {}
    with pytest.raises(ValueError):
        FeedState.from_json('{"v":1,"children":{"a":1}}')
    feeds = parse_feed_list(
        b"- url: https://a.example/news-sitemap.xml\n  type: sitemap\n  allow_hosts: [CDN.a.example]\n"
        b"- https://a.example/feed.rss\n"
    )
    assert [(f.kind, f.allow_hosts) for f in feeds] == [("sitemap", ("cdn.a.example",)), ("feed", ())]
    assert parse_feed_list(to_yaml(feeds)) == feeds
    opml = b'<opml><body><outline text="s" type="sitemap" xmlUrl="https://a.example/s.xml"/></body></opml>'
    assert parse_feed_list(opml)[0].kind == "sitemap"
    with pytest.raises(FeedListError, match="type must be"):
        parse_feed_list(b"- url: https://a.example/x\n  type: podcast\n")
