"""Feed bytes -> :class:`ParsedFeed`: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed by hand.

The poller only needs entry metadata (the article page is fetched and cleaned later), so
feedparser runs with HTML sanitising and relative-URI resolution off: that is most of its
cost and none of what we use. Input is always wrapped in ``BytesIO``: feedparser treats a
``str``/``bytes`` argument as a possible URL or *file path* and would happily read it.

XML attacks: before feedparser sees the bytes, the document is scanned with expat (C speed,
linear) and refused if its DOCTYPE declares entities (billion laughs, quadratic blowup:
legitimate feeds never declare entities) or if one element has more than ``MAX_ATTRIBUTES``
attributes or elements nest deeper than ``MAX_DEPTH`` (feedparser is quadratic in the first
and keeps every open element of the second). External DTD references (the RSS 0.91 DOCTYPE)
are allowed: nothing here fetches them. A document expat cannot read to the end is scanned
as far as it reads; the hard bound for everything is the parse process's time and memory
limit (:mod:`ingest.parse_pool`).
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import time
import xml.parsers.expat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

import feedparser

FeedKind = Literal["rss", "atom", "json"]  # "json": JSON Feed 1.x or RSS-in-JSON
FeedParseErrorKind = Literal["xml_attack", "invalid", "empty", "too_complex", "timeout", "out_of_memory", "crashed"]
#: Real feeds use a handful of attributes per element and nest a few levels deep.
MAX_ATTRIBUTES: Final = 256
MAX_DEPTH: Final = 128

_PERIOD_SECONDS: Final = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}
_JSONFEED_VERSION: Final = re.compile(r"^https?://jsonfeed\.org/version/(\d+(?:\.\d+)?)/?$")
_BOMS: Final = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class FeedParseError(ValueError):
    """The bytes are not a usable feed; ``kind`` is a metric label."""

    def __init__(self, kind: FeedParseErrorKind, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind: FeedParseErrorKind = kind
        self.message = message

    def __reduce__(self) -> tuple[type[FeedParseError], tuple[FeedParseErrorKind, str]]:
        # Raised in the parse process and re-raised here: pickled by kind and message.
        return (FeedParseError, (self.kind, self.message))


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """What the poller knows about one item before fetching its page.

    ``entry_hash`` covers the fields an editor changes when revising a story, so a changed
    hash under a known guid marks a revision candidate.
    """

    guid: str
    url: str | None
    title: str
    summary: str
    published: str | None
    updated: str | None
    authors: tuple[str, ...]
    entry_hash: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    entries: list[FeedEntry]
    ttl_s: float | None
    update_period_s: float | None
    kind: FeedKind
    version: str = ""  # feedparser's version string ("rss20", "atom10", ...) or "json1.1"
    warnings: tuple[str, ...] = field(default=())  # recovered-from problems (bozo)
    dropped_entries: int = 0  # entries past ``max_entries``, not followed


def entry_hash(title: str, summary: str, content: str, updated: str | None) -> str:
    h = hashlib.sha256()
    for part in (title, summary, content, updated or ""):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


class _StopScanError(Exception):
    """Raised at the root element: the prolog, where DOCTYPEs live, is over."""


class _AttackFoundError(Exception):
    pass


class _TooComplexError(Exception):
    pass


def _raise_stop(*_args: object) -> None:
    raise _StopScanError


def _raise_attack(*_args: object) -> None:
    raise _AttackFoundError


def screen_xml(data: bytes) -> None:
    """Refuse XML that declares entities, or whose shape no feed has (see the module docstring).

    If expat cannot read the document at all (unknown encoding, garbage), fall back to a byte
    search, which is what an ASCII-compatible encoding would show.
    """
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _raise_attack
    parser.UnparsedEntityDeclHandler = _raise_attack
    parser.ExternalEntityRefHandler = _raise_attack  # type: ignore[assignment]
    parser.ordered_attributes = True
    depth = 0

    def start(_name: str, attrs: list[str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _TooComplexError(f"elements nested deeper than {MAX_DEPTH}")
        if len(attrs) > 2 * MAX_ATTRIBUTES:
            raise _TooComplexError(f"an element with more than {MAX_ATTRIBUTES} attributes")

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
        return
    except _AttackFoundError:
        raise FeedParseError("xml_attack", "DOCTYPE declares entities (entity expansion attack?)") from None
    except _TooComplexError as exc:
        raise FeedParseError("too_complex", str(exc)) from None
    except (xml.parsers.expat.ExpatError, ValueError, LookupError):  # multi-byte or unknown codecs
        pass
    if b"<!ENTITY" in data:
        raise FeedParseError("xml_attack", "entity declaration in a document expat cannot read")


def _iso(struct: time.struct_time | None) -> str | None:
    if struct is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return None


def _iso_from_text(value: object) -> str | None:
    """A JSON feed's date as RFC 3339 UTC, or None: a date is the entry's hint, and one that
    cannot be read (or placed in UTC) leaves the entry undated, never fails the feed."""
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = feedparser.datetimes._parse_date(value)  # tolerate RFC 822 dates in sloppy feeds
        except (ValueError, OverflowError, TypeError):
            return None
        return _iso(parsed)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:  # the first or last hours of the calendar, moved to UTC: no date
        return None


def _str(value: object) -> str:
    """A string field, or "". Lone surrogates (legal in JSON, not in UTF-8) become U+FFFD:
    they would make the raw record unencodable later, far from the feed that sent them."""
    if not isinstance(value, str):
        return ""
    if not value.isascii():
        value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


def _to_float(value: object) -> float | None:
    try:
        f = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return f if f > 0 else None


def parse_feed(data: bytes, max_entries: int | None = None) -> ParsedFeed:
    """Parse feed bytes of any supported format; raise :class:`FeedParseError` if unusable.

    Only the first ``max_entries`` entries are kept (feeds list the newest first); the poller
    sets it, so a feed of 100k items costs what a feed of ``max_entries`` does downstream."""
    stripped = data.lstrip()
    for bom in _BOMS:
        if stripped.startswith(bom):
            stripped = stripped[len(bom) :].lstrip()
            break
    if not stripped:
        raise FeedParseError("empty", "no content")
    if stripped[:1] in (b"{", b"["):
        return _parse_json_feed(data, max_entries)
    screen_xml(data)
    return _parse_xml_feed(data, max_entries)


def _parse_xml_feed(data: bytes, max_entries: int | None) -> ParsedFeed:
    try:
        d: Any = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    except (MemoryError, RecursionError):
        raise  # resource exhaustion: classified where the parse runs (``parse_pool.parse_bounded``)
    except Exception as exc:
        # feedparser flags a malformed feed (``bozo``) rather than raising, but some malformed
        # feeds make it raise (kurtmckee/feedparser#591 and #599, open in 6.0.14): a character
        # reference past Unicode or a surrogate ("&#x110000;"), an end tag its loose parser
        # handles with a value it never read. Only the library runs in this block: what it
        # raises is the feed's fault, a feed to report as unusable, not a crash of the poll.
        raise FeedParseError("invalid", f"the feed parser failed on it ({type(exc).__name__}: {exc})"[:300]) from None
    version = str(d.get("version") or "")
    bozo = bool(d.get("bozo"))
    problem = f"{type(d.get('bozo_exception')).__name__}: {d.get('bozo_exception')}"
    warnings = (problem,) if bozo else ()
    if not d.entries:
        if bozo:
            raise FeedParseError("invalid", f"not a parseable feed ({problem[:200]})")
        if not version:
            raise FeedParseError("invalid", "well-formed XML but not RSS or Atom")
    entries: list[FeedEntry] = []
    for e in d.entries[:max_entries]:
        title = _str(e.get("title"))
        summary = _str(e.get("summary"))
        content = "\x1e".join(_str(c.get("value")) for c in e.get("content") or [])
        published = _iso(e.get("published_parsed"))
        # dict.get: FeedParserDict.get("updated_parsed") silently falls back to published.
        updated = _iso(dict.get(e, "updated_parsed"))
        link = _str(e.get("link")) or None
        h = entry_hash(title, summary, content, updated)
        guid = _str(e.get("id")) or link or f"hash:{h}"
        authors = tuple(name for a in e.get("authors") or [] if (name := _str(a.get("name") or a.get("email"))))
        entries.append(FeedEntry(guid, link, title, summary, published, updated, authors, h))
    feed = d.feed
    kind: FeedKind = "atom" if version.startswith("atom") else "rss"
    return ParsedFeed(
        title=_str(feed.get("title")),
        entries=entries,
        ttl_s=(t * 60 if (t := _to_float(feed.get("ttl"))) else None),  # <ttl> is in minutes
        update_period_s=_update_period(feed.get("sy_updateperiod"), feed.get("sy_updatefrequency")),
        kind=kind,
        version=version,
        warnings=warnings,
        dropped_entries=_dropped(len(d.entries), max_entries),
    )


def _dropped(total: int, max_entries: int | None) -> int:
    return max(0, total - max_entries) if max_entries is not None else 0


def _update_period(period: object, frequency: object) -> float | None:
    """sy:updatePeriod / sy:updateFrequency -> seconds between updates (RSS 1.0 syndication)."""
    if not isinstance(period, str) or period.strip().lower() not in _PERIOD_SECONDS:
        return None
    freq = _to_float(frequency) or 1.0
    return _PERIOD_SECONDS[period.strip().lower()] / freq


def _json_authors(obj: dict[str, Any]) -> tuple[str, ...] | None:
    raw = obj.get("authors")
    if not isinstance(raw, list):
        legacy = obj.get("author")  # JSON Feed 1.0
        raw = [legacy] if isinstance(legacy, dict) else None
    if raw is None:
        return None
    return tuple(n for a in raw if isinstance(a, dict) and (n := _str(a.get("name"))))


def _parse_json_feed(data: bytes, max_entries: int | None) -> ParsedFeed:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError("invalid", f"bad JSON: {exc}") from None
    except RecursionError:
        raise FeedParseError("too_complex", "JSON nested too deep") from None
    except ValueError as exc:  # e.g. an integer of more digits than int() accepts
        raise FeedParseError("invalid", f"bad JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise FeedParseError("invalid", "JSON Feed must be an object")
    if isinstance(doc.get("rss"), dict):
        return _parse_rss_in_json(doc["rss"], max_entries)
    m = _JSONFEED_VERSION.match(_str(doc.get("version")))
    if not m:
        raise FeedParseError("invalid", f"not a JSON Feed (version={doc.get('version')!r})")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedParseError("invalid", "JSON Feed without an items array")
    feed_authors = _json_authors(doc) or ()
    entries: list[FeedEntry] = []
    for item in items[:max_entries]:
        if not isinstance(item, dict):
            continue
        raw_id = item.get("id")
        # The spec says string; numbers occur in the wild and are unambiguous.
        guid = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else ""
        link = _str(item.get("url")) or _str(item.get("external_url")) or None
        title = _str(item.get("title"))
        summary = _str(item.get("summary"))
        content = _str(item.get("content_html")) + "\x1e" + _str(item.get("content_text"))
        published = _iso_from_text(item.get("date_published"))
        updated = _iso_from_text(item.get("date_modified"))
        h = entry_hash(title, summary, content, updated)
        authors = _json_authors(item)
        entries.append(
            FeedEntry(
                guid=guid or link or f"hash:{h}",
                url=link,
                title=title,
                summary=summary,
                published=published,
                updated=updated,
                authors=authors if authors is not None else feed_authors,
                entry_hash=h,
            )
        )
    return ParsedFeed(
        title=_str(doc.get("title")),
        entries=entries,
        ttl_s=None,
        update_period_s=None,
        kind="json",
        version=f"json{m.group(1)}",
        dropped_entries=_dropped(len(items), max_entries),
    )


def _parse_rss_in_json(rss: dict[str, Any], max_entries: int | None) -> ParsedFeed:
    """RSS 2.0 mapped to JSON (scripting.com's "RSS in JSON"): channel.item is the item list."""
    channel = rss.get("channel")
    if not isinstance(channel, dict):
        raise FeedParseError("invalid", "RSS-in-JSON without a channel object")
    items = channel.get("item", [])
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise FeedParseError("invalid", "RSS-in-JSON channel.item is not a list")
    entries: list[FeedEntry] = []
    for item in items[:max_entries]:
        if not isinstance(item, dict):
            continue
        raw_guid = item.get("guid")
        guid = _str(raw_guid.get("value") if isinstance(raw_guid, dict) else raw_guid)
        link = _str(item.get("link")) or None
        title = _str(item.get("title"))
        summary = _str(item.get("description"))
        published = _iso_from_text(item.get("pubDate"))
        h = entry_hash(title, summary, "", None)
        author = _str(item.get("author"))
        authors = (author,) if author else ()
        entries.append(FeedEntry(guid or link or f"hash:{h}", link, title, summary, published, None, authors, h))
    ttl = _to_float(channel.get("ttl"))
    return ParsedFeed(
        title=_str(channel.get("title")),
        entries=entries,
        ttl_s=ttl * 60 if ttl else None,
        update_period_s=None,
        kind="json",
        version="rss-in-json",
        dropped_entries=_dropped(len(items), max_entries),
    )
