"""Record types that cross a topic boundary, and their wire encoding.

These are the contracts between stages: a stage only knows the record types of the
topics it reads and writes (see :mod:`newswire.topics`), never its neighbours' code.
Every record carries ``schema_version`` so consumers can refuse what they cannot read.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from urllib.parse import urlsplit

RAW_SCHEMA_VERSION = 1

#: Keys of a raw record's ``extra`` that the clean stage reads for a record that was never a
#: fetched page: an article given as text (``newswire replay``'s lines with ``body_paragraphs``
#: or ``text``), rendered as a page only so that the same cleaning runs on it.
#: ``EXTRA_GIVEN_AS_TEXT``: true for such a record. The page holds the text alone, so a date
#: guessed from it is a date the article mentions ("in January 2017"), not its own; the record's
#: ``published`` is its only date.
EXTRA_GIVEN_AS_TEXT = "given_as_text"
#: ``EXTRA_GIVEN_SITE``: the outlet the line names, for a record whose URL names none (a line
#: without a ``url`` gets ``urn:newswire:ID``): the site its article is of, as a URL's host is.
EXTRA_GIVEN_SITE = "given_site"
#: Longest site name read from a line (a host name is at most 253 characters).
MAX_SITE_CHARS = 253


class RecordError(ValueError):
    """A record on a topic cannot be decoded: it goes to dead letters, never crashes a stage."""


#: How far past its fetch an article's publication date may lie and still be believed: time
#: zones and clocks differ by hours; a date a day or more after the fetch is an error or a lie.
FUTURE_TOLERANCE = timedelta(days=1)


def after_fetch(when: datetime, fetched: datetime | None) -> bool:
    """Whether an article's publication time lies more than ``FUTURE_TOLERANCE`` after its
    fetch (never, without a fetch time): a date no page can truly carry."""
    return fetched is not None and when > fetched + FUTURE_TOLERANCE


#: The years a record's timestamp may name: a time in the calendar's first or last year is
#: no news time, and the arithmetic done with one (in UTC, a day's tolerance, the window)
#: would leave the calendar: "0001-01-01T00:30+01:00" failed the decision in the thread stage
#: after the story was stored, filed as one of our bugs.
_YEARS = range(2, 9999)


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp from a record as an aware datetime (naive means UTC), or None:
    not ISO 8601, or not in years 2-9998 once in UTC (``_YEARS``)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        in_utc = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return parsed if in_utc.year in _YEARS else None


def stable_id(*parts: str, length: int = 32) -> str:
    """Deterministic id from text parts (sha256, hex): the same input always yields the same id,
    which is what makes event ids idempotent across retries and replays."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:length]


def _fields(record: Any) -> dict[str, Any]:
    """A record's fields by name, shallow: ``dataclasses.asdict`` deep-copies every value (a page's
    ``extra``, the shipped features) only for ``json.dumps`` to read it once."""
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


#: How deep a raw record may nest. A poller's record is three levels deep at most (``extra``
#: with a sitemap's news fields); the extraction processes receive records pickled, and
#: pickle gives up at ~500 levels, inside the process pool's own thread, where the page's
#: future then never resolved: one 18 KB line nested 600 deep hung ``newswire replay``.
MAX_RECORD_DEPTH = 32


def nested_deeper(obj: object, limit: int) -> bool:
    """Whether JSON-like ``obj`` nests lists and objects more than ``limit`` deep (a loop, not a
    recursion: the depth is what is hostile)."""
    stack: list[tuple[object, int]] = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


#: a JSON escape of a UTF-16 surrogate: the one way a UTF-8 record can hold a lone one
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _json_object(data: bytes | None, kind: str) -> dict[str, Any]:
    """The JSON object a topic record holds, or :class:`RecordError` saying why it is none."""
    if not data:
        raise RecordError(f"empty {kind} record")
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{kind} record is not JSON: {exc}") from exc
    except RecursionError:  # arrays or objects nested past the parser's depth: no record of ours
        raise RecordError(f"{kind} record is JSON nested too deep") from None
    if not isinstance(obj, dict):
        raise RecordError(f"{kind} record is not a JSON object")
    if SURROGATE_ESCAPE.search(data):
        # JSON may escape half of a UTF-16 pair alone ("\ud800"): a string no stage can encode
        # again (a key, an event, a changelog record), which failed the stage on every retry
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RecordError(f"{kind} record holds a lone surrogate: {exc.object[exc.start : exc.end]!r}") from None
    return obj


@dataclass(frozen=True, slots=True)
class RawStory:
    """One fetched article page plus what its feed said about it (topic ``raw``).

    ``id`` identifies this *version* (URL + content); ``article_key`` identifies the article
    across versions and is the Kafka key, so every revision lands in the same partition and
    is processed in order by one worker.
    """

    id: str
    url: str
    html: str
    article_key: str = ""
    feed_url: str = ""
    final_url: str = ""
    guid: str = ""
    title: str = ""
    summary: str = ""
    published: str | None = None
    updated: str | None = None
    authors: tuple[str, ...] = ()
    fetched_at: str | None = None
    status: int = 200
    content_type: str = "text/html"
    schema_version: int = RAW_SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> bytes:
        return json.dumps(_fields(self), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def decode(cls, data: bytes | None) -> Self:
        return cls.from_dict(_json_object(data, "raw"))

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Self:
        """Build from a dict (a topic record or a replay input line); unknown keys go to ``extra``."""
        if nested_deeper(obj, MAX_RECORD_DEPTH):
            raise RecordError(f"raw record nested more than {MAX_RECORD_DEPTH} levels deep")
        version = obj.get("schema_version", RAW_SCHEMA_VERSION)
        if version != RAW_SCHEMA_VERSION:
            raise RecordError(f"unsupported raw schema_version {version!r}")
        url = obj.get("url")
        html = obj.get("html")
        if not isinstance(url, str) or not url:
            raise RecordError("raw record has no url")
        for key in ("url", "final_url"):
            value = obj.get(key)
            if not isinstance(value, str):
                continue
            try:
                urlsplit(value)
            except ValueError as exc:  # "http://[oops": every stage would trip over it
                raise RecordError(f"raw record has an invalid {key}: {exc}") from exc
        if not isinstance(html, str):
            raise RecordError("raw record has no html")
        known = {f for f in cls.__dataclass_fields__}
        kwargs: dict[str, Any] = {k: v for k, v in obj.items() if k in known and v is not None}
        extra = {k: v for k, v in obj.items() if k not in known}
        kwargs["extra"] = {**obj.get("extra", {}), **extra} if isinstance(obj.get("extra"), dict) else extra
        authors = kwargs.get("authors", ())
        if isinstance(authors, str):
            authors = (authors,)
        if not isinstance(authors, list | tuple):
            raise RecordError(f"raw record has authors of type {type(authors).__name__}, not a list")
        kwargs["authors"] = tuple(str(a) for a in authors)
        for key in ("guid", "title", "summary", "feed_url", "final_url", "article_key", "content_type"):
            if key in kwargs and not isinstance(kwargs[key], str):
                kwargs[key] = str(kwargs[key])
        if not kwargs.get("id"):
            kwargs["id"] = stable_id(url, html)
        if not kwargs.get("article_key"):
            kwargs["article_key"] = stable_id(kwargs.get("guid") or url, length=24)
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise RecordError(f"raw record has a wrong field: {exc}") from exc


CLEANED_SCHEMA_VERSION = 1
_CLEANED_TEXT_FIELDS = ("article_id", "raw_id", "url", "canonical_url", "site", "title", "text", "content_hash")
_CLEANED_OPTIONAL_TEXT = ("published", "language", "fetched_at", "feed_published")
_CLEANED_DEFAULT_TEXT = ("guid", "feed_url")


@dataclass(frozen=True, slots=True)
class CleanedRecord:
    """One cleaned article (topic ``cleaned``): what the clean stage extracted from a page, plus
    what the thread stage needs from the raw record for latency and audit.

    It is the whole contract between the two stages: the thread stage never sees the page or
    the extractor. ``content_hash`` is over the dateline-free comparable form of ``text``, so
    verbatim copies that differ only by dateline hash equal.

    ``authors`` are the people a page credits, ``credits`` the agencies, desks and
    organisations ("dpa", "BR24 Redaktion"), ``agencies`` the canonical ids of the wire
    agencies among them ("dpa", "ap"): copies of one agency's text are the same story.

    The wire form is a JSON object with these field names (``authors`` as a list). Records
    written before ``schema_version`` existed carry none and are read as version 1.
    """

    article_id: str
    raw_id: str
    url: str
    canonical_url: str
    site: str
    title: str
    text: str
    authors: tuple[str, ...]
    published: str | None
    language: str | None
    content_hash: str
    guid: str = ""
    feed_url: str = ""
    fetched_at: str | None = None
    feed_published: str | None = None
    credits: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    # The text's input-only threading features, computed by the clean stage (which runs in
    # parallel processes) so the single-writer decider does not analyse the text again. Opaque
    # here (its own version inside, read by the thread stage); a record without them, written
    # before they existed, is threaded from its text.
    features: dict[str, Any] | None = None
    schema_version: int = CLEANED_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        body = _fields(self)
        body["authors"] = list(self.authors)
        body["credits"] = list(self.credits)
        body["agencies"] = list(self.agencies)
        if self.features is None:  # the form records had before features, for their readers
            del body["features"]
        return body

    def encode(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def decode(cls, data: bytes | None) -> Self:
        """Parse and validate a topic record; :class:`RecordError` says what is wrong with it."""
        return cls.from_dict(_json_object(data, "cleaned"))

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Self:
        """Validate every field the thread stage and the events read: a record that lacks one is
        this record's dead letter, not a KeyError that fails the batch on every restart.
        Unknown keys (a newer writer's additions) are ignored."""
        version = obj.get("schema_version", CLEANED_SCHEMA_VERSION)
        if version != CLEANED_SCHEMA_VERSION:
            raise RecordError(f"unsupported cleaned schema_version {version!r}")
        missing = [k for k in (*_CLEANED_TEXT_FIELDS, "authors", "published", "language") if k not in obj]
        if missing:
            raise RecordError(f"cleaned record lacks required fields: {', '.join(missing)}")
        wrong = [k for k in _CLEANED_TEXT_FIELDS if not isinstance(obj[k], str)]
        wrong += [k for k in _CLEANED_OPTIONAL_TEXT if obj.get(k) is not None and not isinstance(obj[k], str)]
        wrong += [k for k in _CLEANED_DEFAULT_TEXT if not isinstance(obj.get(k) or "", str)]
        authors = obj["authors"]
        if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
            wrong.append("authors")
        # credits and agencies came later: a record written before them has none
        lists = {k: obj.get(k) or [] for k in ("credits", "agencies")}
        wrong += [k for k, v in lists.items() if not isinstance(v, list) or not all(isinstance(a, str) for a in v)]
        features = obj.get("features")
        if features is not None and not isinstance(features, dict):
            wrong.append("features")
        if wrong:
            raise RecordError(f"cleaned record has wrongly typed fields: {', '.join(wrong)}")
        return cls(
            article_id=obj["article_id"],
            raw_id=obj["raw_id"],
            url=obj["url"],
            canonical_url=obj["canonical_url"],
            site=obj["site"],
            title=obj["title"],
            text=obj["text"],
            authors=tuple(authors),
            published=obj["published"],
            language=obj["language"],
            content_hash=obj["content_hash"],
            guid=obj.get("guid") or "",
            feed_url=obj.get("feed_url") or "",
            fetched_at=obj.get("fetched_at"),
            feed_published=obj.get("feed_published"),
            credits=tuple(lists["credits"]),
            agencies=tuple(lists["agencies"]),
            features=features,
        )
