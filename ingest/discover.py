"""What a site publishes for us to poll: its feeds and its sitemaps (``newswire feeds discover``).

Three places are looked at, as crawlers do: the home page's ``<link rel="alternate">`` with a
feed type (RSS, Atom, JSON Feed), the ``Sitemap:`` lines of robots.txt, and the two
conventional sitemap paths ``/sitemap.xml`` and ``/news-sitemap.xml``. Every sitemap found is
fetched and parsed once, so the list says what it is (a news sitemap, a plain one, an index)
and a path that answers with something else is not listed. Everything goes through the
project's fetcher (SSRF guard, size caps, timeouts) and the sitemap parser (XML attacks
refused): a site being discovered is as untrusted as one being polled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree
from lxml import html as lxml_html
from protego import Protego

from ingest.feedlist import SourceKind
from ingest.fetch import Fetcher, FetchError
from ingest.robots import robots_url
from ingest.sitemaps import PROTOCOL_MAX_BYTES, SitemapParseError, parse_sitemap

log = logging.getLogger(__name__)

FEED_TYPES: Final = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
        "application/x.atom+xml",
        "text/xml",
    }
)
WELL_KNOWN_SITEMAPS: Final = ("/sitemap.xml", "/news-sitemap.xml")
MAX_HOME_BYTES: Final = 4 * 1024 * 1024
#: A site's feeds and sitemaps listed at most, and sitemaps fetched at most: a home page of
#: 90,000 feed links went whole into the feed list, and 2,000 ``Sitemap:`` lines in
#: robots.txt took 88 s (at 30 s a slow one, hours); the rest is one problem line
MAX_FEEDS: Final = 50
MAX_SITEMAPS: Final = 20


def _join(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``, or None when either is no URL ("http://[x/")."""
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - validates the host and the port
    except ValueError:
        return None
    return url


@dataclass(frozen=True, slots=True)
class Discovered:
    """One source a site publishes: ``via`` says where it was announced, ``what`` what it is."""

    url: str
    kind: SourceKind
    via: str
    what: str
    title: str | None = None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "/", "", ""))


def feed_links(page: bytes, base_url: str) -> list[tuple[str, str, str | None]]:
    """(absolute URL, type, title) of each ``<link rel="alternate">`` with a feed type, in page
    order. Parsed with lxml's HTML parser with network access off."""
    if not page.strip():
        return []
    parser = lxml_html.HTMLParser(no_network=True, huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        doc = lxml_html.document_fromstring(page, parser=parser)
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    for b in doc.iter("base"):
        href = b.get("href")
        if href:
            base = _join(base_url, href.strip()) or base_url
        break
    out: list[tuple[str, str, str | None]] = []
    for link in doc.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        ctype = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rels and ctype in FEED_TYPES and href:
            url = _join(base, href)
            if url is not None and urlsplit(url).scheme in ("http", "https"):
                out.append((url, ctype, (link.get("title") or "").strip() or None))
    return out


def describe_sitemap(body: bytes, max_bytes: int = PROTOCOL_MAX_BYTES) -> str:
    """ "news sitemap, 12 URLs" | "sitemap, 300 URLs" | "sitemap index, 3 sitemaps"; raises
    :class:`SitemapParseError` if the body is no sitemap."""
    parsed = parse_sitemap(body, max_bytes=max_bytes)
    n = len(parsed.entries)
    more = "+" if parsed.truncated else ""
    if parsed.kind == "index":
        return f"sitemap index, {n}{more} sitemaps"
    news = any(e.title or e.published for e in parsed.entries)
    return f"{'news sitemap' if news else 'sitemap'}, {n}{more} URL{'' if n == 1 and not more else 's'}"


def discover(fetcher: Fetcher, site_url: str) -> tuple[list[Discovered], list[str]]:
    """The feeds and sitemaps ``site_url`` publishes, and the problems met looking (one line
    each: an unreachable home page, a listed sitemap that is not one...)."""
    found: list[Discovered] = []
    problems: list[str] = []
    seen: set[str] = set()
    try:
        home = fetcher.fetch(
            site_url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5", max_bytes=MAX_HOME_BYTES
        )
        links = feed_links(home.body, home.final_url)
        for url, ctype, title in links:
            if url not in seen and len(seen) < MAX_FEEDS:
                seen.add(url)
                found.append(Discovered(url, "feed", "link rel=alternate", ctype, title))
        if len(seen) >= MAX_FEEDS and len(links) > MAX_FEEDS:
            problems.append(f"home page {site_url}: {len(links)} feed links; the first {MAX_FEEDS} listed")
        base = home.final_url
    except FetchError as exc:
        problems.append(f"home page {site_url}: {exc}")
        base = site_url
    candidates: list[tuple[str, str]] = []
    try:
        robots = fetcher.fetch(robots_url(base), accept="text/plain")
        rules = Protego.parse(robots.body.decode("utf-8", errors="replace"))
        listed = [_join(robots.final_url, s.strip()) for s in rules.sitemaps]
        candidates += [(url, "robots.txt") for url in listed if url is not None]
        if None in listed:
            problems.append(f"robots.txt: {listed.count(None)} Sitemap line(s) with no URL a request can carry")
    except FetchError as exc:
        if exc.status is None or exc.status >= 500:
            problems.append(f"robots.txt: {exc}")
    candidates += [(urljoin(_origin(base), path), "well-known path") for path in WELL_KNOWN_SITEMAPS]
    fetched = 0
    for url, via in candidates:
        if url in seen:
            continue
        if fetched >= MAX_SITEMAPS:
            problems.append(f"robots.txt: {len(candidates)} sitemaps listed; the first {MAX_SITEMAPS} looked at")
            break
        seen.add(url)
        fetched += 1
        try:
            res = fetcher.fetch(url, accept="application/xml, text/xml;q=0.9, */*;q=0.5", max_bytes=PROTOCOL_MAX_BYTES)
            what = describe_sitemap(res.body)
        except FetchError as exc:
            if via != "well-known path" or exc.status is None or exc.status >= 500:
                problems.append(f"sitemap {url}: {exc}")
            continue
        except SitemapParseError as exc:
            if via != "well-known path":
                problems.append(f"sitemap {url}: {exc}")
            continue
        found.append(Discovered(url, "sitemap", via, what))
    return found, problems
