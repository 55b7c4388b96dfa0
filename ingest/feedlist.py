"""Feed lists: the YAML the project keeps, and OPML that feed readers export.

The format is detected from the content (``<`` first means OPML) rather than the file name,
so ``newswire feeds import`` works on whatever a reader exported. OPML is parsed with
defusedxml: an exported file is user input and must not be able to expand entities.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET  # noqa: N814
import yaml
from defusedxml import DefusedXmlException

from ingest.urls import normalize_url
from newswire.settings import MAX_POLL_INTERVAL_S, read_bounded


class FeedListError(ValueError):
    """The feed list cannot be used; the message names the file and the offending entry."""


SourceKind = Literal["feed", "sitemap"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("feed", "sitemap")


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One source to poll. ``None`` intervals mean "use the scheduler's defaults".

    ``kind`` ``sitemap`` makes it a (news) sitemap or sitemap index rather than a feed;
    ``allow_hosts`` names other hosts whose URLs the sitemap may list (the protocol wants
    one host per sitemap, so others are refused unless named here).
    """

    url: str
    name: str | None = None
    robots: bool = True
    min_interval_s: float | None = None
    max_interval_s: float | None = None
    allow_private: bool = False
    category: str | None = None
    kind: SourceKind = "feed"
    allow_hosts: tuple[str, ...] = ()


_YAML_KEYS = {
    "type",
    "allow_hosts",
    "url",
    "name",
    "robots",
    "min_interval",
    "max_interval",
    "allow_private",
    "category",
}


#: A feed list's size at most: 20,000 feeds of OPML are 1.5 MB; a file far past it (or a FIFO,
#: or /dev/zero) would hold the daemon's start-up for minutes, or for ever
MAX_FEED_LIST_BYTES = 16 * 1024 * 1024


def load_feed_list(path: str | Path) -> list[FeedConfig]:
    return parse_feed_list(read_feed_list(path), source=str(path))


def read_feed_list(path: str | Path) -> bytes:
    """A feed list file's bytes, read once and within ``MAX_FEED_LIST_BYTES`` (a regular file
    only: a FIFO would block the read), its faults as :class:`FeedListError`."""
    p = Path(path)
    try:
        data = read_bounded(p, MAX_FEED_LIST_BYTES)
    except (OSError, ValueError) as exc:  # (ValueError: a path with a NUL in it)
        raise FeedListError(f"{p}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    if data is None:
        raise FeedListError(f"{p}: over {MAX_FEED_LIST_BYTES} bytes; a feed list is a few MB at most")
    return data


def parse_feed_list(data: bytes | str, *, source: str = "<feed list>") -> list[FeedConfig]:
    """YAML or OPML bytes -> feed configs, duplicates dropped (the first wins), order kept.

    Duplicates are found by normalised URL (``HTTP://Ex.com:80/feed`` and
    ``http://ex.com/feed?utm_source=x`` are one feed): polled twice, one feed would be
    fetched twice as often and its entries raced by two state keys."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FeedListError(f"{source}: empty feed list")
    feeds = _parse_opml(raw, source) if head.startswith(b"<") else _parse_yaml(raw, source)
    seen: set[str] = set()
    unique = []
    for feed in feeds:
        key = normalize_url(feed.url)
        if key not in seen:
            seen.add(key)
            unique.append(feed)
    if not unique:
        # A poller given nothing to poll would idle (or exit 0 with --once) and look healthy.
        raise FeedListError(f"{source}: the feed list names no feeds")
    return unique


def _check_url(url: object, where: str) -> str:
    if not isinstance(url, str) or not url.strip():
        raise FeedListError(f"{where}: missing url")
    url = url.strip()
    try:
        url.encode("utf-8")  # a lone surrogate ("\ud800" in YAML) is no URL any request can carry
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except (ValueError, UnicodeEncodeError) as exc:  # "http://[::1/feed", "http://h:99999/"
        raise FeedListError(f"{where}: malformed URL {url!r}: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FeedListError(f"{where}: not an http(s) URL: {url!r}")
    return url


def _interval(value: object, key: str, where: str) -> float | None:
    if value is None:
        return None
    # (not finite: a feed due at NaN or infinity is polled once, then never again)
    try:
        seconds = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    except OverflowError:  # an int of 400 digits
        seconds = math.inf
    # (at most the settings' bound: a feed due in a century is a typing slip, and its state is
    # held to that bound anyway when restored, ``ingest.schedule.within_schedule``)
    if not 0 < seconds <= MAX_POLL_INTERVAL_S:
        raise FeedListError(
            f"{where}: {key} must be a positive number of seconds up to {MAX_POLL_INTERVAL_S:.0f} (30 days),"
            f" got {str(value)[:40]}"
        )
    return seconds


def _bool(value: object, key: str, where: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise FeedListError(f"{where}: {key} must be true or false, got {value!r}")
    return value


def _parse_yaml(raw: bytes, source: str) -> list[FeedConfig]:
    try:
        # libyaml when present: a list of 300,000 feeds took 40 s in the pure-Python loader
        doc: Any = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders only
    except yaml.YAMLError as exc:
        raise FeedListError(f"{source}: invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise FeedListError(f"{source}: invalid YAML: nested too deeply") from None
    if isinstance(doc, dict) and "feeds" in doc:
        doc = doc["feeds"]
    if not isinstance(doc, list):
        raise FeedListError(f"{source}: expected a list of feeds (or a mapping with 'feeds:')")
    feeds = []
    for i, entry in enumerate(doc):
        where = f"{source}: feed #{i + 1}"
        item = {"url": entry} if isinstance(entry, str) else entry
        if not isinstance(item, dict):
            raise FeedListError(f"{where}: expected a mapping with 'url', got {type(item).__name__}")
        unknown = set(item) - _YAML_KEYS
        if unknown:
            # (sorted by their text: YAML keys may be numbers or null beside words)
            raise FeedListError(f"{where}: unknown keys {sorted(unknown, key=repr)}")
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise FeedListError(f"{where}: name must be text")
        category = item.get("category")
        if category is not None and not isinstance(category, str):
            raise FeedListError(f"{where}: category must be text")
        lo = _interval(item.get("min_interval"), "min_interval", where)
        hi = _interval(item.get("max_interval"), "max_interval", where)
        if lo is not None and hi is not None and lo > hi:
            raise FeedListError(f"{where}: min_interval {lo:g} > max_interval {hi:g}")
        kind = item.get("type", "feed")
        if kind not in SOURCE_KINDS:
            raise FeedListError(f"{where}: type must be one of {list(SOURCE_KINDS)}, got {kind!r}")
        hosts = item.get("allow_hosts") or []
        if not isinstance(hosts, list) or not all(isinstance(h, str) and h.strip() for h in hosts):
            raise FeedListError(f"{where}: allow_hosts must be a list of host names")
        feeds.append(
            FeedConfig(
                url=_check_url(item.get("url"), where),
                kind=kind,
                allow_hosts=tuple(h.strip().lower().rstrip(".") for h in hosts),
                name=name,
                robots=_bool(item.get("robots"), "robots", where, True),
                min_interval_s=lo,
                max_interval_s=hi,
                allow_private=_bool(item.get("allow_private"), "allow_private", where, False),
                category=category,
            )
        )
    return feeds


def _parse_opml(raw: bytes, source: str) -> list[FeedConfig]:
    try:
        root = DET.fromstring(raw)
    except DefusedXmlException as exc:
        raise FeedListError(f"{source}: refused unsafe XML ({type(exc).__name__})") from None
    except ParseError as exc:
        raise FeedListError(f"{source}: invalid XML: {exc}") from None
    if root.tag.lower() != "opml":
        raise FeedListError(f"{source}: root element is <{root.tag}>, not <opml>")
    body = root.find("body")
    if body is None:
        raise FeedListError(f"{source}: OPML without <body>")
    feeds: list[FeedConfig] = []
    _walk(body, source, feeds)
    return feeds


def _walk(body: Element, source: str, out: list[FeedConfig]) -> None:
    """The feeds of the outlines under ``body``, in document order, each in the category of
    the nearest labelled outline above it that is no feed. A loop over a stack, not a
    recursion: an OPML file nested thousands of outlines deep is a list, not a crash."""
    stack: list[tuple[Element, str | None]] = [(o, None) for o in reversed(body.findall("outline"))]
    while stack:
        outline, category = stack.pop()
        label = outline.get("title") or outline.get("text") or None
        xml_url = outline.get("xmlUrl") or outline.get("xmlurl")
        if xml_url:
            kind: SourceKind = "sitemap" if (outline.get("type") or "").lower() == "sitemap" else "feed"
            out.append(
                FeedConfig(
                    url=_check_url(xml_url, f"{source}: outline {label!r}"), name=label, category=category, kind=kind
                )
            )
        inner = label if not xml_url else category
        stack.extend((child, inner) for child in reversed(outline.findall("outline")))


def to_yaml(feeds: Iterable[FeedConfig]) -> str:
    """The YAML feed list for ``feeds``, writing only non-default fields (round-trips)."""
    items: list[dict[str, Any]] = []
    for f in feeds:
        item: dict[str, Any] = {"url": f.url}
        if f.kind != "feed":
            item["type"] = f.kind
        if f.allow_hosts:
            item["allow_hosts"] = list(f.allow_hosts)
        if f.name:
            item["name"] = f.name
        if f.category:
            item["category"] = f.category
        if not f.robots:
            item["robots"] = False
        if f.min_interval_s is not None:
            item["min_interval"] = f.min_interval_s
        if f.max_interval_s is not None:
            item["max_interval"] = f.max_interval_s
        if f.allow_private:
            item["allow_private"] = True
        items.append(item)
    return yaml.safe_dump(items, sort_keys=False, allow_unicode=True, default_flow_style=False)
