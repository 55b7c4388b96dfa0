"""Sample data: corpus records rendered as realistic news pages and feeds.

A labelled corpus record holds *what a story says* (title, body
paragraphs) plus *what surrounds it on its site* (``site_chrome``: nav, related links,
footer). The pipeline never sees records like that: it sees feed documents and HTML pages.
This module turns records into exactly those inputs, with the chrome a real page carries
(menus, breadcrumbs, share bars, cookie banners, related-story asides, site suffixes in the
``<title>``), so that the demo and the end-to-end tests exercise extraction and cleaning on
something that can fail, not on bare ``<p>`` lists.

Everything here is a pure function of its inputs (no clock, no randomness): the same record
always renders to the same bytes, which keeps end-to-end tests and replays reproducible.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from newswire.records import parse_time

FeedKind = Literal["rss", "atom", "json"]

SHARE_LINE = "Share this article: Facebook · X · LinkedIn · Email · Copy link"
COOKIE_LINE = (
    "We use cookies to personalise content and to analyse our traffic. "
    "By continuing to browse you accept our use of cookies."
)
COOKIE_BUTTONS = ("Accept all", "Manage preferences")


def load_corpus(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSON-lines corpus file (gzipped when it ends in ``.gz``); blank lines are skipped,
    a malformed line raises.

    A corpus is small, labelled and hand-curated, so a broken line is a bug to see at once,
    not something to skip silently.
    """
    records: list[dict[str, Any]] = []
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError(f"{path}:{lineno}: corpus line is not a JSON object")
            records.append(obj)
    return records


# --------------------------------------------------------------------------- site naming


def site_name(record: Mapping[str, Any]) -> str:
    """Human name of the record's site ("Wire-X", "Quellport Gazette", "MFA Arveth").

    ``record["site_name"]`` wins when present; otherwise the name is derived from the host,
    the way most publishers' brand follows their domain. Deterministic, so the same site
    always carries the same suffix on every page (which is what makes it learnable).
    """
    explicit = record.get("site_name")
    if isinstance(explicit, str) and explicit:
        return explicit
    host = str(record.get("site") or urlsplit(str(record.get("url", ""))).hostname or "news.example")
    labels = [lab for lab in host.lower().split(".") if lab and lab != "www"]
    if len(labels) > 1:
        labels = labels[:-1]  # drop the TLD (".example", ".com")
    words: list[str] = []
    for label in labels:
        parts = label.split("-")
        if any(len(p) == 1 for p in parts):
            words.append("-".join(p.upper() if len(p) == 1 else p.capitalize() for p in parts))
        else:
            words.extend(p.upper() if len(p) <= 3 else p.capitalize() for p in parts)
    return " ".join(words) or host


def _style(record: Mapping[str, Any]) -> int:
    """A stable per-site layout variant (0..3), so pages of one site look alike and sites differ."""
    site = str(record.get("site", ""))
    return hashlib.sha256(site.encode("utf-8")).digest()[0] % 4


def _section(record: Mapping[str, Any]) -> str:
    """The section a page is filed under: the first URL path segment that is a word, else a nav item."""
    path = urlsplit(str(record.get("url", ""))).path
    for seg in path.split("/"):
        if seg.isalpha() and len(seg) > 1:
            return seg.capitalize()
    nav = _chrome(record).get("nav") or []
    return str(nav[1]) if len(nav) > 1 else "News"


def _chrome(record: Mapping[str, Any]) -> dict[str, Any]:
    chrome = record.get("site_chrome")
    return dict(chrome) if isinstance(chrome, Mapping) else {}


def _site_url(record: Mapping[str, Any]) -> str:
    parts = urlsplit(str(record.get("url", "")))
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}/"
    return f"https://{record.get('site', 'news.example')}/"


def _slug(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(p for p in out.split("-") if p)[:60]


def _human_date(iso: str) -> str:
    dt = parse_time(iso)
    return f"{dt.day} {dt.strftime('%B %Y, %H:%M')} UTC" if dt else iso


def _authors(record: Mapping[str, Any]) -> list[str]:
    raw = record.get("authors") or ()
    if isinstance(raw, str):
        return [raw]
    return [str(a) for a in raw if a]


def _byline(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return f"By {names[0]}" if names else ""
    return "By " + ", ".join(names[:-1]) + " and " + names[-1]


# --------------------------------------------------------------------------- pages


def render_page(record: Mapping[str, Any]) -> str:
    """Render one corpus record as a complete, realistic article page.

    What a page carries and why:

    - ``<title>`` is ``"{title} | {Site Name}"`` (some sites also add the section), the suffix
      extraction must strip; ``og:title`` is clean on some sites and suffixed on others;
      ``og:site_name``, ``link rel=canonical`` and ``article:published_time`` are present as on
      most publisher pages, and a JSON-LD ``NewsArticle`` block on half the sites.
    - Without ``record["published"]`` there is no date on the page at all, so a consumer must
      fall back to the feed's date. ``record["authors"]`` (optional) becomes an author meta
      and a "By A and B" byline.
    - Chrome from ``site_chrome``: nav menu, a breadcrumb *inside* the article on some sites
      (the "All news" trap of the TASS seed page), related-story aside, share bar, cookie
      banner, newsletter box and footer.
    """
    title = str(record.get("title", ""))
    name = site_name(record)
    url = str(record.get("url", ""))
    published = record.get("published")
    chrome = _chrome(record)
    style = _style(record)
    section = _section(record)
    authors = _authors(record)
    paragraphs = [str(p) for p in record.get("body_paragraphs") or ()]
    e = html.escape

    head_title = f"{title} | {section} | {name}" if style == 3 else f"{title} | {name}"
    og_title = f"{title} - {name}" if style in (1, 3) else title
    meta = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(head_title)}</title>",
        f'<link rel="canonical" href="{e(url)}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{e(og_title)}">',
        f'<meta property="og:site_name" content="{e(name)}">',
        f'<meta property="og:url" content="{e(url)}">',
    ]
    if paragraphs:
        meta.append(f'<meta name="description" content="{e(paragraphs[0][:200])}">')
    if published:
        meta.append(f'<meta property="article:published_time" content="{e(str(published))}">')
        meta.append(f'<meta property="article:section" content="{e(section)}">')
    if authors:
        meta.append(f'<meta name="author" content="{e(", ".join(authors))}">')
    if style in (0, 2):
        ld: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "mainEntityOfPage": url,
            "publisher": {"@type": "Organization", "name": name},
        }
        if published:
            ld["datePublished"] = published
        if authors:
            ld["author"] = [{"@type": "Person", "name": a} for a in authors]
        ld_text = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
        meta.append(f'<script type="application/ld+json">{ld_text}</script>')

    site_url = _site_url(record)
    nav_items = [str(n) for n in chrome.get("nav") or ()]
    nav = "\n".join(f'      <li><a href="{site_url}{_slug(n)}/">{e(n)}</a></li>' for n in nav_items)
    related_items = [str(r) for r in chrome.get("related") or ()]
    related = "\n".join(f'        <li><a href="{site_url}{_slug(r)}">{e(r)}</a></li>' for r in related_items)
    breadcrumb_items = [str(b) for b in chrome.get("breadcrumb") or ()]
    if not breadcrumb_items and style == 2:
        breadcrumb_items = [section]
    breadcrumb = ""
    if breadcrumb_items:
        links = " ".join(f'<a href="{site_url}{_slug(b)}/">{e(b)}</a>' for b in breadcrumb_items)
        breadcrumb = f'\n      <div class="breadcrumbs">{links}</div>'
    byline = ""
    if authors:
        byline = f'\n        <p class="byline"><span class="author">{e(_byline(authors))}</span></p>'
    time_el = ""
    if published:
        time_el = (
            f'\n        <p class="dateline"><time datetime="{e(str(published))}">'
            f"{e(_human_date(str(published)))}</time></p>"
        )
    body = "\n".join(f"        <p>{e(p)}</p>" for p in paragraphs)
    footer = e(str(chrome.get("footer", f"© {name}")))
    extra_chrome = "\n".join(f'    <div class="promo"><p>{e(str(x))}</p></div>' for x in chrome.get("extra") or ())

    meta_html = "\n  ".join(meta)
    return f"""<!DOCTYPE html>
<html lang="{e(str(record.get("language", "en")))}">
<head>
  {meta_html}
  <link rel="stylesheet" href="{site_url}static/site.css">
</head>
<body class="article-page">
  <div id="cookie-consent" class="cookie-banner" role="dialog">
    <p>{e(COOKIE_LINE)}</p>
    <button>{COOKIE_BUTTONS[0]}</button> <button>{COOKIE_BUTTONS[1]}</button>
  </div>
  <header class="site-header">
    <a class="logo" href="{site_url}">{e(name)}</a>
    <nav class="main-nav" aria-label="Sections">
    <ul>
{nav}
    </ul>
    </nav>
    <form class="search" action="{site_url}search"><input name="q" placeholder="Search"></form>
  </header>
  <main id="content">
    <article class="story">{breadcrumb}
      <header class="story-header">
        <span class="kicker">{e(section)}</span>
        <h1 class="headline">{e(title)}</h1>{byline}{time_el}
      </header>
      <div class="story-body">
{body}
      </div>
      <div class="share-bar"><p>{e(SHARE_LINE)}</p></div>
    </article>
    <aside class="related" aria-label="Related stories">
      <h2>Related stories</h2>
      <ul>
{related}
      </ul>
    </aside>
{extra_chrome}
    <div class="newsletter"><h3>Newsletter</h3><p>Get the morning briefing from {e(name)}.</p>
      <input type="email" placeholder="Email address"><button>Sign up</button></div>
  </main>
  <footer class="site-footer">
    <p>{footer}</p>
    <ul><li><a href="{site_url}about">About us</a></li><li><a href="{site_url}privacy">Privacy</a></li>
    <li><a href="{site_url}terms">Terms of use</a></li><li><a href="{site_url}contact">Contact</a></li></ul>
  </footer>
</body>
</html>
"""


# --------------------------------------------------------------------------- feeds


def _summary(record: Mapping[str, Any]) -> str:
    summary = record.get("summary")
    if isinstance(summary, str) and summary:
        return summary
    paragraphs = record.get("body_paragraphs") or ()
    return str(paragraphs[0])[:280] if paragraphs else ""


def _guid(record: Mapping[str, Any]) -> str:
    return str(record.get("guid") or record.get("url") or "")


def _x(text: object) -> str:
    """Escape for XML text and attributes (html.escape's entities are all valid XML)."""
    return html.escape(str(text), quote=True)


def render_feed(records: Iterable[Mapping[str, Any]], kind: FeedKind, site_url: str) -> bytes:
    """A feed document (RSS 2.0, Atom 1.0 or JSON Feed 1.1) listing ``records``' pages.

    Items keep the given order; each has title, link, guid/id, publication date and a
    summary (``record["summary"]`` or the first paragraph). A record without ``published``
    has no date in the feed either, as happens with real feeds. The feed's own timestamp is
    the newest item date (not the clock), so output is reproducible.
    """
    items = list(records)
    base = site_url if site_url.endswith("/") else site_url + "/"
    channel_name = site_name(items[0]) if items else urlsplit(base).hostname or base
    dates = [d for d in (parse_time(r.get("published")) for r in items) if d is not None]
    newest = max(dates) if dates else datetime(1970, 1, 1, tzinfo=UTC)

    if kind == "rss":
        out = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">',
            "<channel>",
            f"<title>{_x(channel_name)}</title>",
            f"<link>{_x(base)}</link>",
            f"<description>Latest stories from {_x(channel_name)}</description>",
            f"<lastBuildDate>{format_datetime(newest)}</lastBuildDate>",
            f'<atom:link href="{_x(base)}feed.rss" rel="self" type="application/rss+xml"/>',
        ]
        for r in items:
            guid = _guid(r)
            permalink = "true" if guid == r.get("url") else "false"
            out.append("<item>")
            out.append(f"<title>{_x(r.get('title', ''))}</title>")
            out.append(f"<link>{_x(r.get('url', ''))}</link>")
            out.append(f'<guid isPermaLink="{permalink}">{_x(guid)}</guid>')
            pub = parse_time(r.get("published"))
            if pub:
                out.append(f"<pubDate>{format_datetime(pub)}</pubDate>")
            for author in _authors(r):
                out.append(f"<dc:creator>{_x(author)}</dc:creator>")
            out.append(f"<description>{_x(_summary(r))}</description>")
            out.append("</item>")
        out += ["</channel>", "</rss>", ""]
        return "\n".join(out).encode("utf-8")

    if kind == "atom":
        out = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<id>{_x(base)}</id>",
            f"<title>{_x(channel_name)}</title>",
            f"<updated>{newest.isoformat().replace('+00:00', 'Z')}</updated>",
            f'<link rel="alternate" href="{_x(base)}"/>',
            f'<link rel="self" href="{_x(base)}feed.atom"/>',
        ]
        for r in items:
            out.append("<entry>")
            out.append(f"<id>{_x(_guid(r))}</id>")
            out.append(f"<title>{_x(r.get('title', ''))}</title>")
            out.append(f'<link rel="alternate" href="{_x(r.get("url", ""))}"/>')
            pub = parse_time(r.get("published"))
            if pub:
                stamp = pub.isoformat().replace("+00:00", "Z")
                out.append(f"<published>{stamp}</published>")
                out.append(f"<updated>{stamp}</updated>")
            for author in _authors(r):
                out.append(f"<author><name>{_x(author)}</name></author>")
            out.append(f"<summary>{_x(_summary(r))}</summary>")
            out.append("</entry>")
        out += ["</feed>", ""]
        return "\n".join(out).encode("utf-8")

    if kind == "json":
        feed_items: list[dict[str, Any]] = []
        for r in items:
            item: dict[str, Any] = {
                "id": _guid(r),
                "url": r.get("url", ""),
                "title": r.get("title", ""),
                "summary": _summary(r),
            }
            pub = parse_time(r.get("published"))
            if pub:
                item["date_published"] = pub.isoformat().replace("+00:00", "Z")
            if _authors(r):
                item["authors"] = [{"name": a} for a in _authors(r)]
            feed_items.append(item)
        doc = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": channel_name,
            "home_page_url": base,
            "feed_url": base + "feed.json",
            "items": feed_items,
        }
        return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")

    raise ValueError(f"unknown feed kind {kind!r} (expected rss, atom or json)")


# --------------------------------------------------------------------------- seed case

# A *synthetic* readout of a different call, written in the Kremlin readout house style: it
# shares the formulaic phrases ("had a telephone conversation", "agreed to intensify contacts
# at different levels") with the January 24 statement but reports another call, so it is the
# hard negative that boilerplate-level similarity must not merge into the Cuba story.
_OTHER_READOUT_TITLE = "Telephone conversation with President of Mongolia Ukhnaagiin Khurelsukh"
_OTHER_READOUT = (
    "Vladimir Putin had a telephone conversation with President of Mongolia Ukhnaagiin Khurelsukh.",
    "The leaders discussed the implementation of joint projects in energy and transport, including "
    "the modernisation of the Ulaanbaatar Railway and supplies of Russian fuel to the Mongolian market. "
    "The President of Mongolia thanked Russia for the assistance provided in the delivery of vaccines.",
    "The presidents exchanged views on preparations for the celebrations of the anniversary of the "
    "establishment of diplomatic relations between the two countries.",
    "Both leaders reaffirmed their commitment to developing comprehensive strategic partnership and "
    "agreed to intensify contacts at different levels.",
)

_KREMLIN_CHROME = {
    "nav": ["President", "News", "Events", "Transcripts", "Trips", "Photos"],
    "related": [
        "Meeting with Security Council permanent members",
        "Greetings to participants of the international forum",
        "Telephone conversation with Prime Minister of Italy",
    ],
    "footer": "Presidential Executive Office · All content is licensed under Creative Commons 4.0",
}
_RELAY_CHROME = {
    "nav": ["Home", "World", "Politics", "Business", "Opinion"],
    "related": [
        "Oil edges higher as traders weigh supply outlook",
        "Central bank leaves key rate unchanged",
        "Talks on grain corridor to resume next week",
    ],
    "footer": "World Relay · © 2022 · Reproduction only with attribution",
}
_TASS_CHROME = {
    "nav": ["Russian Politics & Diplomacy", "World", "Business & Economy", "Military & Defense", "Sport"],
    "breadcrumb": ["All news"],
    "related": [
        "Kremlin comments on talks with NATO",
        "Russian diplomat outlines agenda of Security Council meeting",
        "Lavrov to hold talks with Blinken in Geneva",
    ],
    "footer": "TASS Russian News Agency · © 2022 · Use of materials requires a hyperlink",
}


def _read_paragraphs(path: Traversable) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_records() -> list[dict[str, Any]]:
    """The four-record canonical case, as corpus-like dicts, in publication order.

    1. the Kremlin statement of 2022-01-24 (``expect`` new, thread ``seed-cuba``);
    2. the same statement republished verbatim on a second site (duplicate, same thread);
    3. a readout of a *different* call in the same formulaic style (new, thread
       ``seed-mongolia``): the hard negative;
    4. the TASS follow-up of 2022-01-25 (update, thread ``seed-cuba``). Its page text starts
       with "All news", which is site navigation: here it becomes the page's breadcrumb
       chrome, not body text, exactly as on the live site.

    Hosts are ``.example`` stand-ins so nothing pretends to be a real URL. The pair ships inside
    the package (``pipeline/data/seed``), so ``newswire demo`` works from an installed wheel or
    a container image with nothing else on disk.
    """
    base = resources.files("pipeline") / "data" / "seed"
    statement = _read_paragraphs(base / "2022-01-24-kremlin-statement.txt")
    followup = _read_paragraphs(base / "2022-01-25-tass-followup.txt")
    if followup and followup[0].lower() == "all news":
        followup = followup[1:]
    st_title, st_body = statement[0], statement[1:]
    fu_title, fu_body = followup[0], followup[1:]

    return [
        {
            "id": "seed-1",
            "group": "seed",
            "thread": "seed-cuba",
            "role": "original",
            "expect": "new",
            "site": "kremlin.example",
            "site_name": "President of Russia",
            "url": "https://kremlin.example/events/president/news/67639",
            "guid": "https://kremlin.example/events/president/news/67639",
            "published": "2022-01-24T17:20:00Z",
            "title": st_title,
            "body_paragraphs": st_body,
            "site_chrome": _KREMLIN_CHROME,
        },
        {
            "id": "seed-2",
            "group": "seed",
            "thread": "seed-cuba",
            "role": "syndicated_copy",
            "expect": "duplicate",
            "site": "worldrelay.example",
            "site_name": "World Relay",
            "url": "https://worldrelay.example/world/2022/01/24/telephone-conversation-with-president-of-cuba",
            "guid": "worldrelay-2022-0124-118",
            "published": "2022-01-24T18:05:00Z",
            "title": st_title,
            "body_paragraphs": list(st_body),
            "site_chrome": _RELAY_CHROME,
        },
        {
            "id": "seed-3",
            "group": "seed",
            "thread": "seed-mongolia",
            "role": "hard_negative",
            "expect": "new",
            "site": "kremlin.example",
            "site_name": "President of Russia",
            "url": "https://kremlin.example/events/president/news/67651",
            "guid": "https://kremlin.example/events/president/news/67651",
            "published": "2022-01-25T09:40:00Z",
            "title": _OTHER_READOUT_TITLE,
            "body_paragraphs": list(_OTHER_READOUT),
            "site_chrome": _KREMLIN_CHROME,
        },
        {
            "id": "seed-4",
            "group": "seed",
            "thread": "seed-cuba",
            "role": "followup",
            "expect": "update",
            "site": "tass.example",
            "site_name": "TASS",
            "url": "https://tass.example/politics/1393041",
            "guid": "https://tass.example/politics/1393041",
            "published": "2022-01-25T11:32:00Z",
            "title": fu_title,
            "body_paragraphs": fu_body,
            "site_chrome": _TASS_CHROME,
        },
    ]
