"""Sample wire sites on loopback: the offline demo (``make demo``) and the end-to-end tests.

Each site gets its own loopback address (127.0.0.2, 127.0.0.3, ...: Linux routes all of
127/8 to lo), so sites are distinct hosts as they would be on the web, and serves its feed in
the format asked for (RSS, Atom or JSON Feed), its article pages, and a robots.txt. Every site
also publishes a Google News sitemap (named in robots.txt) and a home page linking its feed;
a site of kind ``sitemap`` publishes through its news sitemap only, with no feed at all.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from pipeline.samples import render_feed, render_page, site_name
from pipeline.sitemap_samples import render_home, render_news_sitemap

FEED_TYPES = {
    "rss": ("feed.rss", "application/rss+xml"),
    "atom": ("feed.atom", "application/atom+xml"),
    "json": ("feed.json", "application/feed+json"),
}
#: Where every sample site publishes its Google News sitemap; kind "sitemap": the only source.
NEWS_SITEMAP = "news-sitemap.xml"


@dataclass
class SampleSite:
    """One site: its records (served newest first in the feed) and the feed format."""

    name: str
    kind: str
    host: str
    records: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    # (path, user agent, conditional?) of every request, for tests that check politeness.
    requests: list[tuple[str, str, bool]] = field(default_factory=list)

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://{self.host}:{self.server.server_address[1]}/"

    @property
    def feed_url(self) -> str:
        """The site's source for a feed list: its feed, or its news sitemap (kind ``sitemap``)."""
        return self.base + (FEED_TYPES[self.kind][0] if self.kind in FEED_TYPES else NEWS_SITEMAP)

    @property
    def sitemap_url(self) -> str:
        return self.base + NEWS_SITEMAP

    def localise(self, record: Mapping[str, Any]) -> dict[str, Any]:
        path = urlsplit(str(record["url"])).path or "/"
        return {**record, "url": self.base.rstrip("/") + path}

    def publish(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Add (or replace, for a revision under the same URL) a story; returns it localised."""
        local = self.localise(record)
        self.records = [r for r in self.records if r["url"] != local["url"]] + [local]
        return local

    def routes(self) -> dict[str, tuple[str, bytes]]:
        newest_first = sorted(self.records, key=lambda r: str(r.get("published") or ""), reverse=True)
        robots = f"User-agent: *\nDisallow: /private/\nSitemap: {self.sitemap_url}\n"
        publication = site_name(self.records[0]) if self.records else self.name
        out = {
            "/robots.txt": ("text/plain", robots.encode()),
            "/" + NEWS_SITEMAP: ("application/xml", render_news_sitemap(newest_first, publication)),
        }
        feeds: list[tuple[str, str]] = []
        if self.kind in FEED_TYPES:
            name, ctype = FEED_TYPES[self.kind]
            out["/" + name] = (ctype, render_feed(newest_first, self.kind, self.base))  # type: ignore[arg-type]
            feeds.append((self.base + name, ctype))
        out["/"] = ("text/html; charset=utf-8", render_home(publication, feeds))
        for r in self.records:
            out[urlsplit(r["url"]).path] = ("text/html; charset=utf-8", render_page(r).encode("utf-8"))
        return out


def _handler(site: SampleSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            conditional = self.headers.get("If-None-Match")
            site.requests.append((path, self.headers.get("User-Agent", ""), conditional is not None))
            found = site.routes().get(path)
            if found is None:
                self.send_error(404)
                return
            ctype, body = found
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if conditional == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


class SampleWeb:
    """Start one HTTP server per site; ``close()`` stops them all."""

    def __init__(self, sites: Sequence[tuple[str, str]]) -> None:
        self.sites: dict[str, SampleSite] = {}
        for i, (name, kind) in enumerate(sites):
            site = SampleSite(name, kind, f"127.0.0.{i + 2}")
            site.server = ThreadingHTTPServer((site.host, 0), _handler(site))
            site.server.daemon_threads = True
            threading.Thread(target=site.server.serve_forever, daemon=True, name=f"site-{name}").start()
            self.sites[name] = site

    def publish(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.sites[str(r["site"])].publish(r) for r in records]

    def opml(self) -> str:
        outlines = "\n".join(
            f"    <outline text={quoteattr(s.name)} type={quoteattr(s.kind)} xmlUrl={quoteattr(s.feed_url)}/>"
            for s in self.sites.values()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n  <head><title>sample wires'
            f"</title></head>\n  <body>\n{outlines}\n  </body>\n</opml>\n"
        )

    def close(self) -> None:
        for s in self.sites.values():
            if s.server is not None:
                s.server.shutdown()
                s.server.server_close()

    def __enter__(self) -> SampleWeb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
