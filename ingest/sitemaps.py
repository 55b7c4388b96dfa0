"""Sitemap bytes -> :class:`ParsedSitemap`, and which of its URLs are news: parsing and pure decisions.

Publishers list every new article in a (Google News) sitemap while their feeds carry only the
last 10-20 items, so the sitemap is a second source beside the feed. This module holds the
parts without I/O: a streaming, bounded parser and the functions that decide which entries
and which index children a poll follows (the poll itself is :mod:`ingest.sitemap_source`).

Parsing uses lxml's ``iterparse`` and clears each ``<url>`` once read, so memory stays flat
whatever the document's length; at most ``max_urls`` entries (the protocol's 50,000) are kept
and the rest is left unread (``truncated``); elements that are not entries count against the
same cap, and one entry holds at most ``MAX_ITEM_ELEMENTS``. Hostile XML: the prolog is screened like a feed's
(entity declarations refused: billion laughs, quadratic blowup, external entities), and lxml
runs with ``resolve_entities=False``, ``no_network=True``, ``load_dtd=False`` and
``huge_tree=False`` as a second wall. A gzipped sitemap (``.xml.gz``, served as a file rather
than with ``Content-Encoding``) is inflated in slices behind the same decoded-size cap as
pages, so a gzip bomb stops at the cap, not at memory's end.

Tags are matched on their local name: sitemaps in the wild use the 0.9 namespace, the old
0.84 one, or none at all, and the ``news:`` prefix is bound to more than one URI.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal

from lxml import etree

from ingest.feeds import FeedParseError, screen_xml
from newswire.records import stable_id

SitemapKind = Literal["urlset", "index"]
SitemapParseErrorKind = Literal["xml_attack", "invalid", "empty", "too_large"]

#: The sitemap protocol's limits for one file (sitemaps.org): 50,000 URLs, 50 MB uncompressed.
PROTOCOL_MAX_URLS: Final = 50_000
PROTOCOL_MAX_BYTES: Final = 50 * 1024 * 1024
#: Elements inside one <url> or <sitemap> (a news entry has about ten): more is a flood.
MAX_ITEM_ELEMENTS: Final = 256
_GZIP_MAGIC: Final = b"\x1f\x8b"
_READ_SLICE: Final = 64 * 1024


class SitemapParseError(ValueError):
    """The bytes are not a usable sitemap; ``kind`` is a metric label."""

    def __init__(self, kind: SitemapParseErrorKind, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind: SitemapParseErrorKind = kind


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One ``<url>`` (or, in an index, one ``<sitemap>`` child: only ``loc`` and ``lastmod``).

    Dates are ISO 8601 UTC strings (``2024-05-01T10:00:00Z``); ``when`` is the entry's best
    epoch time (publication date, else lastmod) for ordering and the news horizon.
    """

    loc: str
    lastmod: str | None = None
    title: str = ""
    published: str | None = None
    language: str = ""
    keywords: tuple[str, ...] = ()
    publication: str = ""
    when: float | None = None

    @property
    def change_hash(self) -> str:
        """What marks a revision: a new lastmod (or publication date) or a retitled story."""
        return stable_id(self.lastmod or self.published or "", self.title, length=16)


@dataclass(frozen=True, slots=True)
class ParsedSitemap:
    kind: SitemapKind
    entries: list[SitemapEntry]
    truncated: bool = False  # entries past max_urls were left unread
    skipped: int = 0  # entries without a usable <loc>


@dataclass(frozen=True, slots=True)
class SitemapSettings:
    """Bounds of one sitemap poll. Production defaults; tests pass small ones."""

    max_urls: int = PROTOCOL_MAX_URLS
    max_bytes: int = PROTOCOL_MAX_BYTES
    # Children of an index fetched per poll (changed ones first, newest first); the rest wait.
    max_children: int = 8
    # Index nesting followed below the configured sitemap (the protocol allows none).
    max_depth: int = 1
    # Article pages fetched per poll; the backlog drains over the following polls.
    max_new_per_poll: int = 200
    # Unseen entries dated this long before the newest date already seen are archive, not news
    # (a Google News sitemap holds the last two days).
    news_horizon_s: float = 2 * 86400.0
    # URL keys remembered per sitemap (about 40 bytes each in the state record).
    max_seen: int = PROTOCOL_MAX_URLS


def _local(tag: object) -> str:
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rpartition("}")[2]


def iso_utc(value: str | None) -> tuple[str | None, float | None]:
    """A W3C datetime (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, with optional time and zone) as
    (ISO UTC text, epoch seconds); (None, None) if absent or unreadable."""
    if not value:
        return None, None
    text = value.strip()
    if len(text) == 4 and text.isdigit():
        text += "-01-01"
    elif len(text) == 7 and text[4] == "-":
        text += "-01"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None, None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        stamp = when.timestamp()
        u = when.astimezone(UTC)
    except (OverflowError, ValueError, OSError):
        return None, None
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z", stamp


class _CappedReader(io.RawIOBase):
    """A read-only stream over (possibly gzipped) bytes that refuses to yield past ``cap``."""

    def __init__(self, data: bytes, cap: int) -> None:
        super().__init__()
        self._cap = cap
        self._total = 0
        self._inner: io.BufferedIOBase | io.BytesIO = (
            gzip.GzipFile(fileobj=io.BytesIO(data)) if data[:2] == _GZIP_MAGIC else io.BytesIO(data)
        )

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = _READ_SLICE if size is None or size < 0 else min(size, _READ_SLICE)
        try:
            out = self._inner.read(want)
        except (OSError, EOFError, zlib.error) as exc:
            raise SitemapParseError("invalid", f"corrupt gzip: {exc}") from None
        self._total += len(out)
        if self._total > self._cap:
            raise SitemapParseError("too_large", f"sitemap over {self._cap} bytes once decompressed")
        return out


def _head(data: bytes, cap: int) -> bytes:
    """The first bytes of the (decompressed) document, for the prolog screen."""
    reader = _CappedReader(data, cap)
    return reader.read(_READ_SLICE)


def parse_sitemap(
    data: bytes, *, max_urls: int = PROTOCOL_MAX_URLS, max_bytes: int = PROTOCOL_MAX_BYTES
) -> ParsedSitemap:
    """Parse a sitemap, a news sitemap or a sitemap index (plain or gzipped); raise
    :class:`SitemapParseError` if it is none of them, hostile, or over ``max_bytes``."""
    if not data.strip():
        raise SitemapParseError("empty", "no content")
    head = _head(data, max_bytes)
    if not head.strip():
        raise SitemapParseError("empty", "no content")
    try:
        screen_xml(head)
    except FeedParseError as exc:
        raise SitemapParseError("xml_attack", str(exc).removeprefix("xml_attack: ")) from None
    if b"<!DOCTYPE" in head or b"<!doctype" in head:
        # Sitemaps never declare a DOCTYPE; one that does is probing for entity tricks.
        raise SitemapParseError("xml_attack", "sitemaps carry no DOCTYPE")
    parser = etree.iterparse(
        _CappedReader(data, max_bytes),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    kind: SitemapKind | None = None
    entries: list[SitemapEntry] = []
    truncated = False
    skipped = 0
    item = ""  # "url" or "sitemap": the local name of the repeated element
    depth = inner = others = 0
    reader = _EntryReader()
    try:
        for event, elem in parser:
            if event == "start":
                depth += 1
                if depth == 2:
                    inner = 0
                elif depth > 2:
                    inner += 1
                    if inner > MAX_ITEM_ELEMENTS:
                        raise SitemapParseError("invalid", f"an entry with over {MAX_ITEM_ELEMENTS} elements")
                if depth == 1:
                    if elem.getroottree().docinfo.doctype:  # past the screened head: still refused
                        raise SitemapParseError("xml_attack", "sitemaps carry no DOCTYPE")
                    root = _local(elem.tag)
                    if root == "urlset":
                        kind, item = "urlset", "url"
                    elif root == "sitemapindex":
                        kind, item = "index", "sitemap"
                    else:
                        raise SitemapParseError("invalid", f"root element <{root}> is not <urlset> or <sitemapindex>")
                continue
            depth -= 1
            if depth != 1:
                continue
            # Every child of the root is dropped once read (unknown ones too, or a flood of
            # them would pile up in the tree); an item is read first.
            if _local(elem.tag) == item:
                if len(entries) >= max_urls:
                    truncated = True  # the rest is not read: past the cap it is not worth the time
                    break
                entry = reader.read(elem)
                if entry is None:
                    skipped += 1
                else:
                    entries.append(entry)
            else:
                others += 1
                if others > max_urls:
                    raise SitemapParseError("invalid", f"over {max_urls} elements that are not entries")
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        if kind is None:
            raise SitemapParseError("invalid", f"not XML: {exc}") from None
        msg = str(exc)
        if "entit" in msg.lower() or "amplification" in msg.lower():
            raise SitemapParseError("xml_attack", msg[:200]) from None
        raise SitemapParseError("invalid", f"malformed sitemap: {msg[:200]}") from None
    if kind is None:
        raise SitemapParseError("invalid", "no root element")
    return ParsedSitemap(kind, entries, truncated, skipped)


_FIELDS: Final = ("loc", "lastmod", "title", "publication_date", "language", "keywords", "name")
#: characters a sitemap's news title, publication name or keyword keeps at most
_MAX_NEWS_CHARS: Final = 2000


class _EntryReader:
    """Reads one entry element into a :class:`SitemapEntry`. Per parse: it memoises the field
    of each qualified tag (a sitemap repeats the same handful) and each date text (lastmod and
    publication date usually agree), which is most of the per-entry cost."""

    __slots__ = ("_dates", "_fields")

    def __init__(self) -> None:
        self._fields: dict[object, int] = {}
        self._dates: dict[str, tuple[str | None, float | None]] = {}

    def _field(self, tag: object) -> int:
        found = self._fields.get(tag)
        if found is None:
            name = _local(tag)
            found = _FIELDS.index(name) if name in _FIELDS else -1
            self._fields[tag] = found
        return found

    def _date(self, text: str) -> tuple[str | None, float | None]:
        if not text:
            return None, None
        found = self._dates.get(text)
        if found is None:
            if len(self._dates) > 4096:
                self._dates.clear()
            found = self._dates[text] = iso_utc(text)
        return found

    def read(self, elem: etree._Element) -> SitemapEntry | None:
        values = ["", "", "", "", "", "", ""]
        for child in elem.iter():
            i = self._field(child.tag)
            if i >= 0:
                values[i] = (child.text or "").strip()
        loc, lastmod, title, published, language, keywords, publication = values
        if not loc[:8].lower().startswith(("http://", "https://")):
            return None
        lastmod_iso, lastmod_t = self._date(lastmod)
        published_iso, published_t = self._date(published)
        # the news fields are a headline, a name, a few keywords: cut to what such fields hold
        # (9,000,000 quotes of keywords made a raw record past the bus's limit)
        return SitemapEntry(
            loc=loc,
            lastmod=lastmod_iso,
            title=title[:_MAX_NEWS_CHARS],
            published=published_iso,
            language=language.lower()[:16],
            keywords=tuple(
                k[:_MAX_NEWS_CHARS] for k in (w.strip() for w in keywords[: 64 * _MAX_NEWS_CHARS].split(",")) if k
            )[:32]
            if keywords
            else (),
            publication=publication[:_MAX_NEWS_CHARS],
            when=published_t if published_t is not None else lastmod_t,
        )


# -- decisions (pure) ----------------------------------------------------------------------


def url_key(normalized_url: str) -> str:
    """The key an article URL is remembered under in a sitemap's state (short: a sitemap
    may hold 50,000 of them)."""
    return stable_id(normalized_url, length=16)


@dataclass(frozen=True, slots=True)
class Selection:
    """What a poll of one urlset does: ``emit`` (newest first) are fetched; ``baseline`` keys
    are recorded as seen without fetching (first poll of an archive); ``deferred`` wait for the
    next poll (over the per-poll cap)."""

    emit: list[tuple[str, SitemapEntry]]
    baseline: dict[str, str] = field(default_factory=dict)
    deferred: int = 0
    old: int = 0  # unseen but older than the news horizon: archive, skipped


def select_entries(
    keyed: Iterable[tuple[str, SitemapEntry]],
    seen: dict[str, str],
    watermark: float | None,
    settings: SitemapSettings,
    *,
    now: float,
) -> Selection:
    """Which entries are news. An entry is emitted when its key is unseen, or seen with another
    ``change_hash`` (a revision); unseen entries dated before ``watermark - news_horizon_s`` are
    archive and skipped. On the first poll (no watermark) the horizon is measured from the
    newest entry, a date in the future counting as ``now`` (one entry dated 2099 would make
    every real one archive), and undated entries past the cap are recorded without fetching,
    so a site's archive is not crawled. At most ``max_new_per_poll`` are emitted, newest first."""
    candidates: list[tuple[str, SitemapEntry]] = []
    done: set[str] = set()
    items = list(keyed)
    first = watermark is None
    if first:
        watermark = newest_date((e for _, e in items), now)
    horizon = watermark - settings.news_horizon_s if watermark is not None else None
    old = 0
    for key, entry in items:
        if key in done:
            continue
        done.add(key)
        prev = seen.get(key)
        if prev == entry.change_hash:
            continue
        if prev is None and horizon is not None and entry.when is not None and entry.when < horizon:
            old += 1
            continue
        candidates.append((key, entry))
    # Newest first; undated after dated, in document order (a stable sort keeps it).
    candidates.sort(key=lambda ke: -(ke[1].when if ke[1].when is not None else float("-inf")))
    cap = settings.max_new_per_poll
    emit, rest = candidates[:cap], candidates[cap:]
    baseline = {k: e.change_hash for k, e in rest if first and e.when is None}
    return Selection(emit, baseline, len(rest) - len(baseline), old)


def newest_date(entries: Iterable[SitemapEntry], now: float) -> float | None:
    """The newest entry time (None when none is dated); a date in the future (a bad clock, or
    a lie) counts as ``now``, so one entry dated 2099 is no newer than the poll."""
    newest = max((e.when for e in entries if e.when is not None), default=None)
    return None if newest is None else min(newest, now)


def next_watermark(watermark: float | None, entries: Iterable[SitemapEntry], now: float) -> float | None:
    """The newest entry time seen so far (:func:`newest_date`)."""
    newest = newest_date(entries, now)
    if newest is None:
        return watermark
    return newest if watermark is None else max(watermark, newest)


def remember(seen: dict[str, str], done: Iterable[tuple[str, str]], max_seen: int) -> dict[str, str]:
    """``seen`` with ``done`` (key, change_hash) moved to the newest end, bounded to ``max_seen``
    (the oldest evicted first: archive entries, which the horizon skips anyway)."""
    out = dict(seen)
    for key, h in done:
        out.pop(key, None)
        out[key] = h
    overflow = len(out) - max_seen
    if overflow > 0:
        for key in list(out)[:overflow]:
            del out[key]
    return out


def child_marker(entry: SitemapEntry, body_hash: str | None) -> str:
    """What an index child is remembered by: its lastmod, or (without one) its body hash."""
    return entry.lastmod or f"#{body_hash or ''}"


def select_children(
    children: Sequence[SitemapEntry], recorded: dict[str, str], settings: SitemapSettings
) -> tuple[list[SitemapEntry], int]:
    """Children of an index to fetch this poll, and how many changed ones wait for a later one.

    A child is followed when unseen, or when its lastmod differs from the recorded one; a child
    without lastmod is re-fetched (conditionally, by its body hash) after the dated ones. On
    the first poll, dated children older than the newest one by more than the news horizon are
    archive: recorded, not fetched (see :func:`baseline_children`)."""
    changed: list[SitemapEntry] = []
    undated: list[SitemapEntry] = []
    seen_locs: set[str] = set()
    for child in children:
        if child.loc in seen_locs:
            continue
        seen_locs.add(child.loc)
        prev = recorded.get(child.loc)
        if child.lastmod is None:
            undated.append(child)
        elif prev != child.lastmod:
            changed.append(child)
    changed.sort(key=lambda c: -(c.when or 0.0))
    # Unseen undated children first, then seen ones (refreshed by body hash).
    undated.sort(key=lambda c: c.loc in recorded)
    ordered = changed + undated
    limit = settings.max_children
    # an unseen child without lastmod waits as a changed one does: many indexes date none, and
    # past the budget such children were never fetched (the index unchanged, polls took its 304)
    unseen_undated = sum(1 for c in undated if c.loc not in recorded)
    waiting = max(0, len(changed) + unseen_undated - limit)
    return ordered[:limit], waiting


def baseline_children(
    children: Sequence[SitemapEntry], recorded: dict[str, str], settings: SitemapSettings, *, now: float
) -> dict[str, str]:
    """On an index's first poll: dated children older than the newest by more than the news
    horizon, recorded as they are so they are never fetched unless they change. A date in the
    future counts as ``now``: one child dated 2099 would otherwise record every real one."""
    newest = None if recorded else newest_date(children, now)
    if newest is None:
        return {}
    horizon = newest - settings.news_horizon_s
    return {c.loc: c.lastmod for c in children if c.when is not None and c.when < horizon and c.lastmod}
