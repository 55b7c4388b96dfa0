"""Discovery against a real HTTP server on 127.0.0.1: link rel=alternate, robots.txt Sitemap:
lines and the conventional sitemap paths; what is not a sitemap is not listed."""

from __future__ import annotations

import gzip

from ingest.discover import MAX_FEEDS, MAX_SITEMAPS, discover, feed_links
from ingest.fetch import Fetcher
from tests.support.http import TestServer

HOME = b"""<!doctype html><html><head><title>Wire</title>
<link rel="alternate" type="application/rss+xml" title="Top stories" href="/rss/top.xml">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://cdn.example/atom.xml">
<link rel="alternate" type="text/html" hreflang="de" href="/de/">
<link rel="stylesheet" type="text/css" href="/s.css">
<link rel="alternate" type="application/feed+json" href="javascript:alert(1)">
</head><body><a href="/feed.rss">feed</a></body></html>"""
NEWS = (
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>http://x.example/a</loc>'
    b"<news:news><news:title>A</news:title></news:news></url></urlset>"
)
INDEX = b"<sitemapindex><sitemap><loc>http://x.example/1.xml</loc></sitemap><sitemap><loc>http://x.example/2.xml</loc></sitemap></sitemapindex>"


def test_feed_links_resolve_against_base() -> None:
    page = (
        b'<html><head><base href="https://w.example/sub/">'
        b'<link rel="alternate" type="application/rss+xml" href="f.xml"></head></html>'
    )
    assert feed_links(page, "https://w.example/") == [("https://w.example/sub/f.xml", "application/rss+xml", None)]
    assert feed_links(b"", "https://w.example/") == []
    assert feed_links(b"\x00\xff garbage <<<", "https://w.example/") == []


def test_discover_lists_feeds_and_sitemaps(http_server: TestServer, local_fetcher: Fetcher) -> None:
    http_server.static("/", HOME, headers={"Content-Type": "text/html"})
    news = http_server.url("/sitemaps/news.xml.gz")
    robots = f"User-agent: *\nDisallow: /private/\nSitemap: {news}\nSitemap: /missing.xml\n"
    http_server.static("/robots.txt", robots.encode(), headers={"Content-Type": "text/plain"})
    http_server.static("/sitemaps/news.xml.gz", gzip.compress(NEWS), headers={"Content-Type": "application/x-gzip"})
    http_server.static("/sitemap.xml", INDEX, headers={"Content-Type": "application/xml"})
    # A soft 404: the conventional path answers with an HTML page, which is no sitemap.
    http_server.static(
        "/news-sitemap.xml", b"<html><body>Not here</body></html>", headers={"Content-Type": "text/html"}
    )
    found, problems = discover(local_fetcher, http_server.url("/"))
    assert [(d.kind, d.url, d.via, d.what) for d in found] == [
        ("feed", http_server.url("/rss/top.xml"), "link rel=alternate", "application/rss+xml"),
        ("feed", "https://cdn.example/atom.xml", "link rel=alternate", "application/atom+xml"),
        ("sitemap", http_server.url("/sitemaps/news.xml.gz"), "robots.txt", "news sitemap, 1 URL"),
        ("sitemap", http_server.url("/sitemap.xml"), "well-known path", "sitemap index, 2 sitemaps"),
    ]
    assert found[0].title == "Top stories"
    assert len(problems) == 1 and "missing.xml" in problems[0] and "404" in problems[0]


def test_hostile_sitemap_listed_in_robots_is_reported_not_listed(
    http_server: TestServer, local_fetcher: Fetcher
) -> None:
    bomb = b'<!DOCTYPE urlset [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><urlset><url><loc>&b;</loc></url></urlset>'
    http_server.static("/robots.txt", f"Sitemap: {http_server.url('/evil.xml')}\n".encode())
    http_server.static("/evil.xml", bomb, headers={"Content-Type": "application/xml"})
    found, problems = discover(local_fetcher, http_server.url("/"))
    assert found == []
    assert any("xml_attack" in p for p in problems) and any("home page" in p and "404" in p for p in problems)


def test_discover_survives_urls_that_are_none_and_lists_a_bounded_number(
    http_server: TestServer, local_fetcher: Fetcher
) -> None:
    """One malformed URL (a feed link, a <base>, a Sitemap: line "http://[x/") raised
    ValueError out of discovery, a traceback from ``feeds discover``; a home page of 90,000
    feed links went whole into the feed list, and 2,000 Sitemap: lines took 88 s. The bad URL
    is skipped or one problem line, and what a site lists is bounded (``MAX_FEEDS``,
    ``MAX_SITEMAPS``)."""
    links = "".join(f'<link rel="alternate" type="application/rss+xml" href="/f{i}.xml">' for i in range(200))
    home = f'<html><head><base href="http://[x/"><link rel="alternate" type="application/rss+xml" href="http://[x/f">{links}'
    http_server.static("/", home.encode(), headers={"Content-Type": "text/html"})
    sitemaps = "".join(f"Sitemap: /s{i}.xml\n" for i in range(100))
    robots = f"User-agent: *\nSitemap: http://[::1/s.xml\n{sitemaps}"
    http_server.static("/robots.txt", robots.encode(), headers={"Content-Type": "text/plain"})
    found, problems = discover(local_fetcher, http_server.url("/"))
    feeds = [d for d in found if d.kind == "feed"]
    assert len(feeds) == MAX_FEEDS and all(d.url.startswith(http_server.url("/f")) for d in feeds)
    assert any("no URL a request can carry" in p for p in problems)
    assert any(f"the first {MAX_SITEMAPS} looked at" in p for p in problems)
    assert len(http_server.hits("/s1.xml")) == 1 and not http_server.hits("/s99.xml")
