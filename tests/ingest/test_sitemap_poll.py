"""Sitemap sources against a real HTTP server on 127.0.0.1: news sitemaps become raw records,
an index is followed only where it changed, and every hostile sitemap ends bounded and
classified (``SitemapPollResult.outcome`` and ``.problems``)."""

from __future__ import annotations

import gzip
from pathlib import Path

from ingest.feedlist import FeedConfig
from ingest.schedule import FeedState
from ingest.sitemap_source import SitemapPollResult
from newswire.records import stable_id
from tests.support.http import TestServer
from tests.support.pollers import open_poller, poll_all, raws

NEWS_NS = (
    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
)
XML = {"Content-Type": "application/xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _url(loc: str, title: str, date: str, *, lang: str = "en", keywords: str = "") -> str:
    kw = f"<news:keywords>{keywords}</news:keywords>" if keywords else ""
    return (
        f"<url><loc>{loc}</loc><lastmod>{date}</lastmod><news:news><news:publication><news:name>Wire</news:name>"
        f"<news:language>{lang}</news:language></news:publication><news:publication_date>{date}"
        f"</news:publication_date><news:title>{title}</news:title>{kw}</news:news></url>"
    )


def _urlset(*urls: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NEWS_NS}>{"".join(urls)}</urlset>'.encode()


def _index(*children: tuple[str, str]) -> bytes:
    body = "".join(f"<sitemap><loc>{loc}</loc><lastmod>{mod}</lastmod></sitemap>" for loc, mod in children)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'.encode()


def _page(http_server: TestServer, path: str, text: str) -> str:
    body = f"<html><head><title>{text}</title></head><body><article><p>{text}</p></article></body></html>"
    return http_server.static(path, body.encode(), headers=HTML)


def _poll(p: object, feed: FeedConfig, state: FeedState | None = None) -> SitemapPollResult:
    result = p.poll_feed(feed, state or FeedState())  # type: ignore[attr-defined]
    assert isinstance(result, SitemapPollResult)
    return result


def test_news_sitemap_articles_become_raw_records(http_server: TestServer, tmp_path: Path) -> None:
    a = _page(http_server, "/news/a", "Alpha body")
    b = _page(http_server, "/news/b", "Beta body")
    sm = http_server.static(
        "/news-sitemap.xml",
        _urlset(
            _url(a, "Alpha headline", "2024-05-01T10:00:00Z", keywords="alpha, wire"),
            _url(b + "?utm_source=x", "Beta headline", "2024-05-01T11:00:00+01:00", lang="de"),
        ),
        headers=XML,
    )
    feed = FeedConfig(url=sm, kind="sitemap")
    with open_poller(tmp_path, [feed]) as p:
        poll_all(p)
        got = {r.url: r for r in raws(p)}
        assert set(got) == {a, b}  # tracking parameter gone: the normalised URL is the key
        assert got[a].title == "Alpha headline" and got[a].published == "2024-05-01T10:00:00Z"
        assert got[a].extra == {
            "source": "sitemap",
            "language": "en",
            "keywords": ["alpha", "wire"],
            "publication": "Wire",
        }
        assert got[b].extra["language"] == "de" and got[b].published == "2024-05-01T10:00:00Z"
        assert "Alpha body" in got[a].html and got[a].article_key == stable_id(a, length=24)
        assert got[a].feed_url == sm
        # Second poll: conditional, the body is the same -> not_modified, nothing new, no page refetched.
        http_server.requests.clear()
        poll_all(p)
        assert len(raws(p)) == 2
        assert [r.path for r in http_server.requests] == ["/news-sitemap.xml"]
        assert http_server.requests[0].headers.get("if-none-match") is None  # static route sends no ETag
        assert p.states[sm].body_hash is not None


def test_index_follows_only_the_changed_child(http_server: TestServer, tmp_path: Path) -> None:
    pages = {n: _page(http_server, f"/story/{n}", f"Story {n} body") for n in ("a", "b", "c", "d")}
    children = {
        "1": _urlset(_url(pages["a"], "A", "2024-05-01T08:00:00Z")),
        "2": _urlset(_url(pages["b"], "B", "2024-05-01T09:00:00Z")),
        "3": _urlset(_url(pages["c"], "C", "2024-05-01T10:00:00Z")),
    }
    urls = {n: http_server.static(f"/sitemap-{n}.xml", body, headers=XML) for n, body in children.items()}
    mods = {"1": "2024-05-01T08:00:00Z", "2": "2024-05-01T09:00:00Z", "3": "2024-05-01T10:00:00Z"}
    index = http_server.static("/sitemap_index.xml", _index(*((urls[n], mods[n]) for n in "123")), headers=XML)
    feed = FeedConfig(url=index, kind="sitemap")
    with open_poller(tmp_path, [feed]) as p:
        first = _poll(p, feed)
        assert first.outcome == "ok" and sorted(r.title for r in first.raws) == ["A", "B", "C"]
        assert sorted(first.fetched_children) == sorted(urls.values())

        # Child 2 gains a story and a new lastmod in the index; 1 and 3 are untouched.
        children["2"] = _urlset(
            _url(pages["d"], "D", "2024-05-01T12:00:00Z"), _url(pages["b"], "B", "2024-05-01T09:00:00Z")
        )
        http_server.static("/sitemap-2.xml", children["2"], headers=XML)
        mods["2"] = "2024-05-01T12:00:00Z"
        http_server.static("/sitemap_index.xml", _index(*((urls[n], mods[n]) for n in "123")), headers=XML)
        http_server.requests.clear()
        second = _poll(p, feed, first.state)
        assert [r.path for r in http_server.requests] == ["/sitemap_index.xml", "/sitemap-2.xml", "/story/d"]
        assert [r.title for r in second.raws] == ["D"]
        assert second.fetched_children == [urls["2"]]

        # Nothing changed: the index answers from its body hash, no child is fetched.
        http_server.requests.clear()
        third = _poll(p, feed, second.state)
        assert third.outcome == "not_modified" and [r.path for r in http_server.requests] == ["/sitemap_index.xml"]


def test_children_over_the_per_poll_budget_wait_for_the_next_poll(http_server: TestServer, tmp_path: Path) -> None:
    pages = [_page(http_server, f"/s/{i}", f"Story {i}") for i in range(3)]
    kids = []
    for i, page in enumerate(pages):
        date = f"2024-05-01T1{i}:00:00Z"
        kids.append((http_server.static(f"/c{i}.xml", _urlset(_url(page, f"S{i}", date)), headers=XML), date))
    index = http_server.static("/index.xml", _index(*kids), headers=XML)
    feed = FeedConfig(url=index, kind="sitemap")
    with open_poller(tmp_path, [], sitemap_max_children=2) as p:
        first = _poll(p, feed)
        assert [r.title for r in first.raws] == ["S2", "S1"] and first.problems == ["deferred"]
        assert first.state.body_hash is None  # the unchanged index must be read again
        second = _poll(p, feed, first.state)
        assert [r.title for r in second.raws] == ["S0"] and second.problems == []
        assert second.fetched_children == [kids[0][0]]
        third = _poll(p, feed, second.state)
        assert third.outcome == "not_modified" and third.raws == []


def test_gzipped_child_sitemap(http_server: TestServer, tmp_path: Path) -> None:
    a = _page(http_server, "/a", "Gz body")
    child = http_server.static(
        "/sitemap-1.xml.gz",
        gzip.compress(_urlset(_url(a, "Gz", "2024-05-01T10:00:00Z"))),
        headers={"Content-Type": "application/x-gzip"},
    )
    index = http_server.static("/index.xml", _index((child, "2024-05-01T10:00:00Z")), headers=XML)
    with open_poller(tmp_path, []) as p:
        result = _poll(p, FeedConfig(url=index, kind="sitemap"))
    assert [r.title for r in result.raws] == ["Gz"] and result.problems == []


def test_feed_and_sitemap_of_one_site_make_one_raw_record_per_article(http_server: TestServer, tmp_path: Path) -> None:
    a = _page(http_server, "/news/a", "Alpha body")
    b = _page(http_server, "/news/b", "Beta body")
    rss = (
        '<rss version="2.0"><channel><title>Wire</title>'
        f'<item><guid isPermaLink="false">wire-1</guid><title>Alpha</title><link>{a}</link></item>'
        f'<item><guid isPermaLink="false">wire-2</guid><title>Beta</title><link>{b}?utm_medium=rss</link></item>'
        "</channel></rss>"
    ).encode()
    feed_url = http_server.static("/feed.rss", rss, headers={"Content-Type": "application/rss+xml"})
    sm = http_server.static(
        "/news-sitemap.xml",
        _urlset(_url(a, "Alpha", "2024-05-01T10:00:00Z"), _url(b, "Beta", "2024-05-01T11:00:00Z")),
        headers=XML,
    )
    sources = [FeedConfig(url=feed_url), FeedConfig(url=sm, kind="sitemap")]
    with open_poller(tmp_path, sources) as p:
        poll_all(p)
        records = raws(p)
        assert sorted(r.url for r in records) == [a, b]
        assert len(http_server.hits("/news/a")) == 1 and len(http_server.hits("/news/b")) == 1
        # Both sources remember the articles: a later poll of either emits nothing.
        assert len(p.states[sm].seen) == 2 and len(p.states[feed_url].seen) == 2

    # A fresh replica (no claims in memory) that owns only the sitemap re-reads it: its raw
    # records carry the very article keys of the feed's, so threading sees the same article.
    with open_poller(tmp_path / "other", [FeedConfig(url=sm, kind="sitemap")]) as q:
        poll_all(q)
        again = raws(q)
    assert {r.article_key for r in again} == {r.article_key for r in records}


# -- hostile sitemaps -----------------------------------------------------------------------


def _many(host: str, n: int) -> bytes:
    parts = [f'<?xml version="1.0" encoding="UTF-8"?><urlset {NEWS_NS}>']
    parts += [f"<url><loc>{host}/a/{i}</loc><lastmod>2024-05-01T10:{i % 60:02d}:00Z</lastmod></url>" for i in range(n)]
    parts.append("</urlset>")
    return "".join(parts).encode()


def test_protocol_maximum_of_50000_urls_is_read_and_bounded(http_server: TestServer, tmp_path: Path) -> None:
    http_server.static("/a/0", b"<html><body><p>zero</p></body></html>", headers=HTML)
    sm = http_server.static("/big.xml", _many(http_server.base_url, 50_000), headers=XML)
    with open_poller(tmp_path, [], sitemap_max_new_per_poll=5, fetch_pages=False) as p:
        result = _poll(p, FeedConfig(url=sm, kind="sitemap"))
    assert result.outcome == "ok"
    assert len(result.raws) == 5  # the per-poll cap; the rest is news for the next polls
    assert result.problems == ["deferred"]
    assert len(result.state.seen) == 5
    assert result.state.body_hash is None  # no 304 short cut while news is owed


def test_more_than_50000_urls_are_truncated(http_server: TestServer, tmp_path: Path) -> None:
    sm = http_server.static("/big.xml", _many(http_server.base_url, 50_010), headers=XML)
    with open_poller(tmp_path, [], sitemap_max_new_per_poll=1, fetch_pages=False) as p:
        result = _poll(p, FeedConfig(url=sm, kind="sitemap"))
    assert result.outcome == "ok" and result.problems[0] == "truncated"


def test_oversized_sitemaps_are_cut_at_the_cap(http_server: TestServer, tmp_path: Path) -> None:
    # 60 MB of comments, gzipped to ~130 KB: past the 50 MB protocol cap once inflated.
    pad = b"<!--" + b" " * 1000 + b"-->"
    bomb = gzip.compress(_urlset().replace(b"</urlset>", pad * 62_000 + b"</urlset>"), 9)
    assert len(bomb) < 200_000
    gz = http_server.static("/bomb.xml.gz", bomb, headers={"Content-Type": "application/x-gzip"})
    plain = http_server.static("/plain.xml", _many(http_server.base_url, 2000), headers=XML)
    with open_poller(tmp_path, []) as p:
        assert _poll(p, FeedConfig(url=gz, kind="sitemap")).outcome == "too_large"
    with open_poller(tmp_path / "small", [], sitemap_max_bytes=64 * 1024) as p:
        result = _poll(p, FeedConfig(url=plain, kind="sitemap"))
    assert result.outcome == "too_large"


def test_index_loops_and_nesting_are_bounded(http_server: TestServer, tmp_path: Path) -> None:
    root = http_server.url("/index.xml")
    inner = http_server.url("/inner.xml")
    deeper = http_server.url("/deeper.xml")
    http_server.static("/index.xml", _index((root, "2024-05-01"), (inner, "2024-05-01")), headers=XML)
    http_server.static(
        "/inner.xml", _index((root, "2024-05-02"), (inner, "2024-05-02"), (deeper, "2024-05-02")), headers=XML
    )
    http_server.static("/deeper.xml", _index((root, "2024-05-03")), headers=XML)
    with open_poller(tmp_path, []) as p:
        result = _poll(p, FeedConfig(url=root, kind="sitemap"))
    assert result.outcome == "ok" and result.raws == []
    # The index listing itself is a loop; an index inside it is one level past the protocol's
    # (indexes list sitemaps, not indexes): read once, not followed.
    assert result.problems == ["index_loop", "too_deep"]
    assert len(http_server.hits("/index.xml")) == 1 and len(http_server.hits("/inner.xml")) == 1
    assert not http_server.hits("/deeper.xml")


def test_child_on_another_host_is_refused_unless_allowed(http_server: TestServer, tmp_path: Path) -> None:
    other = http_server.base_url.replace("127.0.0.1", "localhost")
    a = _page(http_server, "/a", "Elsewhere")
    http_server.static(
        "/child.xml", _urlset(_url(a.replace("127.0.0.1", "localhost"), "Elsewhere", "2024-05-01")), headers=XML
    )
    index = http_server.static("/index.xml", _index((other + "/child.xml", "2024-05-01")), headers=XML)
    with open_poller(tmp_path, []) as p:
        refused = _poll(p, FeedConfig(url=index, kind="sitemap"))
        assert refused.problems == ["foreign_host"] and not http_server.hits("/child.xml")
        allowed = _poll(p, FeedConfig(url=index, kind="sitemap", allow_hosts=("localhost",)))
    assert allowed.problems == [] and [r.title for r in allowed.raws] == ["Elsewhere"]


def test_xml_attacks_are_refused_and_classified(http_server: TestServer, tmp_path: Path) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY %s "%s">' % (b"b%d" % i, (b"&a;" if i == 0 else b"&b%d;" % (i - 1)) * 10) for i in range(9)
        )
        + b"]><urlset><url><loc>http://x.example/&b8;</loc></url></urlset>"
    )
    xxe = b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]><urlset><url><loc>&x;</loc></url></urlset>'
    dtd = b'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "http://127.0.0.1:1/evil.dtd"><urlset></urlset>'
    with open_poller(tmp_path, []) as p:
        for name, body in (("laughs", laughs), ("xxe", xxe), ("dtd", dtd)):
            url = http_server.static(f"/{name}.xml", body, headers=XML)
            result = _poll(p, FeedConfig(url=url, kind="sitemap"))
            assert (result.outcome, result.problems) == ("parse_error", ["xml_attack"]), name
            assert result.state.consecutive_failures == 1 and result.state.last_error_kind == "parse_error"
        junk = http_server.static("/junk.xml", b"<html><body>not a sitemap</body></html>", headers=XML)
        assert _poll(p, FeedConfig(url=junk, kind="sitemap")).problems == ["invalid"]


def test_a_sitemap_article_whose_page_never_answers_is_given_up_after_max_page_attempts(
    http_server: TestServer, tmp_path: Path
) -> None:
    """As for a feed's entry (``poller.max_page_attempts``): the sitemap's news title and date
    make the record, the failure its ``page_error``."""
    down = http_server.static("/news/down", b"try later", status=500, headers={"Content-Type": "text/plain"})
    sm = http_server.static("/sm.xml", _urlset(_url(down, "Down headline", "2024-05-01T10:00:00Z")), headers=XML)
    feed = FeedConfig(url=sm, kind="sitemap")
    with open_poller(tmp_path, [feed], max_page_attempts=2) as p:
        first = _poll(p, feed)
        assert first.raws == [] and list(first.state.page_attempts.values()) == [1]
        second = _poll(p, feed, first.state)
    assert len(second.raws) == 1 and second.raws[0].extra["page_error"] == "http_error"
    assert second.raws[0].title == "Down headline" and second.state.page_attempts == {}


def test_an_index_whose_children_have_no_lastmod_owes_those_past_the_budget(
    http_server: TestServer, tmp_path: Path
) -> None:
    """Many indexes date no child. Past the per-poll budget such children were never fetched:
    nothing was owed, so the next poll took the unchanged index's 304 and stopped. They now
    wait as changed children do (``deferred``), and the next poll fetches them."""
    kids = []
    for i in range(12):
        page = _page(http_server, f"/a/{i}", f"Story {i}")
        kids.append(
            http_server.static(f"/c/{i}.xml", _urlset(_url(page, f"S{i}", "2024-05-01T10:00:00Z")), headers=XML)
        )
    body = "".join(f"<sitemap><loc>{k}</loc></sitemap>" for k in kids)
    index = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'
    feed = FeedConfig(url=http_server.static("/index.xml", index.encode(), headers=XML), kind="sitemap")
    with open_poller(tmp_path, [feed], sitemap_max_children=8) as p:
        first = _poll(p, feed)
        second = _poll(p, feed, first.state)
    assert len(first.raws) == 8 and "deferred" in first.problems
    assert len(second.raws) == 4 and len(second.state.children) == 12


def test_a_child_that_is_no_url_is_a_problem_of_its_own(http_server: TestServer, tmp_path: Path) -> None:
    """ "http://[::1/evil.xml" in an index failed the whole poll as one of our bugs (``internal``)
    on every poll, its valid siblings with it."""
    good = _page(http_server, "/a/1", "Story")
    child = http_server.static("/c/1.xml", _urlset(_url(good, "S", "2024-05-01T10:00:00Z")), headers=XML)
    index = http_server.static(
        "/index.xml", _index(("http://[::1/evil.xml", "2024-05-01"), (child, "2024-05-01")), headers=XML
    )
    feed = FeedConfig(url=index, kind="sitemap")
    with open_poller(tmp_path, [feed]) as p:
        result = _poll(p, feed)
    assert result.outcome == "ok" and len(result.raws) == 1
    assert "foreign_host" in result.problems


def test_news_fields_are_cut_to_what_such_fields_hold(http_server: TestServer, tmp_path: Path) -> None:
    """9,000,000 quotes of news:keywords made a raw record past the bus's limit, after the
    record had been fitted to it."""
    page = _page(http_server, "/a/1", "Story")
    huge = '"' * 100_000
    sm = http_server.static(
        "/sm.xml", _urlset(_url(page, "T" * 100_000, "2024-05-01T10:00:00Z", keywords=f"a, {huge}")), headers=XML
    )
    feed = FeedConfig(url=sm, kind="sitemap")
    with open_poller(tmp_path, [feed]) as p:
        (raw,) = _poll(p, feed).raws
    assert len(raw.title) <= 2000 and len(raw.encode()) < 50_000
