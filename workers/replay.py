"""``newswire replay``: the worker logic over raw records from a file, on fresh state.

The same processors as the daemon (clean, then thread) run over the records without a bus:
each input line becomes the raw record a poller would have produced. It is the backfill tool
and the way to score extraction and threading on a labelled set.

A file is decided in publication order (``order="published"``, the default): a backfill's
stories then form as they would have, had each record come in when it was published, the
first report of an event becoming the story and the later ones joining it. A file lists its
records by source, by event or by id as often as by time, and threading's decisions depend on
which report comes first: in arrival orders a report published before a story it resembles
(the president's housing plan of that morning, after the reports of her evening announcement)
is judged against that story. A line's time is its record's ``published`` (or ``date``,
``date_publish`` and the other names of :func:`dated`); a line without one (or with one in no
readable form) keeps its place after the line before it, and lines of one instant keep their
file order. ``order="file"`` decides the lines as they come, as a stream
would; so does a file that cannot be read twice (a pipe).

No single line ends a replay: whatever is wrong with a line (not UTF-8, not JSON, JSON nested
too deep or with a 5000-digit number, a lone surrogate, a field of the wrong type, a URL that
is not a web page, an id already used for a different story) or whatever a line makes the
workers do (a crash in cleaning or threading) becomes that line's dead letter, reported the
moment it happens (``on_dead``), and the run goes on.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import hashlib
import html
import io
import json
import logging
import lzma
import math
import re
import sys
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import lxml.html
from dateutil import parser as date_parser
from lxml import etree
from tqdm import tqdm

from newswire.bus import Message
from newswire.records import (
    EXTRA_GIVEN_AS_TEXT,
    EXTRA_GIVEN_SITE,
    MAX_SITE_CHARS,
    SURROGATE_ESCAPE,
    RawStory,
    RecordError,
    parse_time,
    stable_id,
)
from newswire.settings import Settings
from workers.clean import CleanSettings
from workers.cleaner import CleanProcessor
from workers.extract_pool import ExtractPool
from workers.metadata import normalise_date, site_aliases, site_host, strip_site_name
from workers.scoring import StoryScores, imitated_threads, score_stories
from workers.threader import ThreadProcessor

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

log = logging.getLogger(__name__)

DeadLetterSink = Callable[[dict[str, Any]], None]
ORDERS = ("published", "file")
# Before any time a record gives: lines without one ahead of the first dated line keep their place.
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_WEB = ("http://", "https://")
_OPTIONAL_TEXT = ("fetched_at", "published", "updated")
# Where a line gives its publication time, in the order read: newswire's own field, then the
# names feeds, scrapers and news APIs give it (JSON Feed, news-please, newspaper, NewsAPI,
# NewsCatcher, schema.org, RSS, Event Registry's time of publication and of the article, whose
# ``date`` gives the day alone, other exports' spellings, and WCEP's ``time``, last). A corpus
# dated under another name would otherwise replay undated: every report at one instant, in file
# order, where its dates keep one day's events from the next day's.
DATE_FIELDS = (
    "published",
    "date_published",
    "date_publish",
    "publish_date",
    "published_at",
    "publishedAt",
    "published_date",
    "publishedDate",
    "publishDate",
    "publication_date",
    "pub_date",
    "published_time",
    "datePublished",
    "pubDate",
    "dateTimePub",
    "dateTime",
    "date",
    "time",
)
_DATE_KEYS = tuple(f'"{key}"'.encode() for key in DATE_FIELDS)
# A date written out (``written_date``): its month named (English, as dateutil reads it), or its
# year first; at most as long as a byline's date runs ("Monday, 9 March 2026, 8:00 a.m. GMT").
_MONTH_NAME = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?![a-z])", re.I)
_YEAR_FIRST = re.compile(r"\s*\d{4}[/.]\d{1,2}[/.]\d{1,2}\b")
# A date written out in another language (``foreign_date``): a year, a word (the month's name),
# and no date of digits alone ("09.03.2026": the day or the month first?); read in the stop
# lists' languages but English.
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_WORD = re.compile(r"[^\W\d_]{3,}")
_DIGITS_DATE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
_FOREIGN_DATE_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl")
_WRITTEN_DATE_CHARS = 64
_DEFAULTS = (datetime(2000, 1, 1, 0, 0), datetime(2001, 2, 2, 1, 1))
# The fields of a line that carries its article as text (see ``as_page``): the paragraphs as a
# list, or the text as one string, under newswire's names and then news-please's and others'
# (schema.org's ``articleBody``; ``article``, ``full_text`` and ``article_text`` in exports).
_TEXT_FIELDS = (
    "body_paragraphs",
    "text",
    "maintext",
    "body",
    "content",
    "articleBody",
    "article",
    "full_text",
    "article_text",
)
_TITLE_FIELDS = ("title", "headline")
# Where a line given as text names its outlet, in the order read: newswire's own event field,
# then the names labelled corpora and news APIs use.
_SITE_FIELDS = ("site", "outlet", "source", "source_domain", "publisher", "publication", "source_name", "domain")
# An outlet given as an object, as news APIs give their ``source``: its host first, then its name.
_SOURCE_KEYS = ("domain", "uri", "url", "name", "title", "id")
_BLANK_LINE = re.compile(r"\n\s*\n")
# A text given as markup, as news APIs and CMS exports give a story's body ("<p>...</p>"): told
# by a closing block tag or a line break, and read as its blocks' text (``markup_paragraphs``).
_MARKUP = re.compile(r"</(?:p|div|li|h[1-6]|blockquote|section|article)\s*>|<br\s*/?>", re.I)
_BLOCKS = frozenset(
    ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section", "article", "figcaption", "tr")
)
_UNREAD = ("script", "style", "noscript", "template")
# A line given as text without a title: its first line is its headline when it reads as one
# (``text_headline``), as corpora that keep an article as one text (the headline, then the
# story) give it. Headlines run to a dozen words or two and end without a full stop; a lead
# sentence, a standfirst or a list's lead-in ends with one (or a comma, colon or semicolon).
# A trailing ellipsis is a headline cut short by a feed, not a sentence's end.
_HEADLINE_WORDS = (2, 25)
_SENTENCE_END = re.compile(r"(?<!\.\.)[.,;:]['\"\u2019\u201d\u00bb)\]]*$")
# "By Jane Smith": a byline where a headline would be.
_BYLINE = re.compile(r"^by\s", re.I)


# Compressed inputs, told by their first bytes (not the file's name): corpora ship as .jsonl.gz,
# .bz2 or .xz, and tests/data keeps its corpora gzipped.
_COMPRESSED = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)


# A compressed input is refused past this many times its own size (JSON lines compress 5 to 20
# times; a decompression bomb, thousands), and never below ``_MIN_INFLATED``: bounded time and
# disk for the temporary file, whatever the archive claims.
_MAX_RATIO = 200
_MIN_INFLATED = 1 << 30
# A corpus saved as one JSON array is parsed whole (``_as_lines``): about ten times its size in
# memory, so up to this size; a larger one is given as JSON lines.
_MAX_ARRAY_BYTES = 128 << 20


def _decompressed(kind: str, fh: IO[bytes]) -> io.BufferedIOBase:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=fh, mode="rb")
    if kind == "bzip2":
        return bz2.BZ2File(fh, "rb")
    return lzma.LZMAFile(fh, "rb")


class InputError(Exception):
    """The replay's input as a whole cannot be read (a compressed file that is corrupt or cut
    short): the run stops before it writes anything, where a bad line is that line's dead letter."""


@contextmanager
def open_input(path: Path) -> Iterator[IO[bytes]]:
    """The input's bytes, decompressed when the file is gzip, bzip2 or xz. A compressed input is
    decompressed whole into a temporary file first: the publication order reads the lines twice,
    the second time by offset, which a compressed stream can only do by decompressing from the
    start again; and a corrupt or truncated archive is found before a single event is written
    (:class:`InputError`), not after half of a backfill."""
    with path.open("rb") as fh:
        head = fh.peek(6)[:6]
        kind = next((kind for magic, kind in _COMPRESSED if head.startswith(magic)), None)
        if kind is None:
            with _as_lines(path, fh) as lines:
                yield lines
            return
        bound = max(_MIN_INFLATED, _MAX_RATIO * path.stat().st_size)
        with tempfile.TemporaryFile() as tmp:
            try:
                with _decompressed(kind, fh) as stream:
                    written = 0
                    while chunk := stream.read(1 << 20):
                        written += len(chunk)
                        if written > bound:
                            raise InputError(
                                f"{path} decompresses to more than {bound:,} bytes ({_MAX_RATIO} times its size): "
                                "a decompression bomb, or a corpus to decompress first"
                            )
                        tmp.write(chunk)
            except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError) as exc:
                raise InputError(f"{path} is not a readable {kind} file: {type(exc).__name__}: {exc}") from exc
            tmp.seek(0)
            with _as_lines(path, tmp) as lines:
                yield lines


@contextmanager
def _as_lines(path: Path, fh: IO[bytes]) -> Iterator[IO[bytes]]:
    """The input as JSON lines: ``fh`` itself, or, for a corpus saved as one JSON array
    (``json.dump(rows)``, indented or not, as datasets often ship), its elements written one a
    line to a temporary file, each then read as a line is (an element that is no object is that
    line's dead letter). An array is read whole, so it is read up to ``_MAX_ARRAY_BYTES``; a
    larger one, or an indented array that is not valid JSON (whose every line would be a dead
    letter), is an :class:`InputError` saying how to give it as lines. A file of JSON lines whose
    first line is an array is read as lines."""
    head = fh.read(4096).lstrip()
    fh.seek(0)
    if not head.startswith(b"["):
        yield fh
        return
    indented = head[1:].lstrip(b" \t\r").startswith(b"\n")
    hint = "replay reads JSON lines, one object per line (jq -c '.[]')"
    size = _size(fh)
    if size > _MAX_ARRAY_BYTES:
        raise InputError(f"{path} is a JSON array of {size:,} bytes, more than {_MAX_ARRAY_BYTES:,} read whole: {hint}")
    try:
        rows = json.loads(fh.read().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        if indented:
            raise InputError(f"{path} is a JSON array that does not parse ({type(exc).__name__}): {hint}") from exc
        fh.seek(0)
        yield fh  # JSON lines, the first an array (its dead letter says so)
        return
    with tempfile.TemporaryFile() as lines:  # (a text opening on "[" that parses is a list)
        for row in rows:
            lines.write(json.dumps(row, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n")
        del rows
        lines.seek(0)
        yield lines


def _size(fh: IO[bytes]) -> int:
    """The bytes left to read in a seekable file, the position kept."""
    here = fh.tell()
    end = fh.seek(0, io.SEEK_END)
    fh.seek(here)
    return end - here


@dataclass
class ReplayStats:
    inputs: int = 0
    events: int = 0
    unchanged: int = 0
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    # Lines whose ``published`` is in no form a date is read from (ISO 8601, RFC 2822, an epoch
    # timestamp): threaded at the page's own date, else trafilatura's guess, and counted here.
    unreadable_dates: int = 0
    # Lines given as text with no date at all (``published`` or a name of ``DATE_FIELDS``):
    # nothing else dates them (``as_page``), so they are threaded at one instant, in file order.
    # Counted, as a corpus that names its dates yet otherwise would replay undated without a word.
    undated_text: int = 0


def clean_settings(settings: Settings) -> CleanSettings:
    return CleanSettings(max_html_bytes=settings.worker.max_html_bytes)


def extract_pool(settings: Settings) -> ExtractPool:
    """The cleaning step's pool of extraction processes as the worker settings size it: the
    daemon's clean stage and the replay run the same."""
    w = settings.worker
    return ExtractPool(
        workers=w.extract_processes,
        timeout_s=w.extract_timeout_s,
        max_tasks_per_child=w.max_tasks_per_child,
        memory_mb=w.extract_memory_mb,
        settings=clean_settings(settings),
    )


def markup_paragraphs(text: str) -> list[str]:
    """The paragraphs of a text given as markup: each block's text, its inline tags dropped and
    its entities decoded, a line break ending a paragraph; scripts and styles are not text. Read
    as text, the tags were words of the story and its paragraphs one: the 68 held-out sets given
    so replayed at mean recall 0.755 (22 meeting the held-out criterion) against 0.831 (40).
    The paragraphs are text again from here: escaped into the page, they cannot forge its markup."""
    try:
        root = lxml.html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError) as exc:  # nothing a parser can read as markup
        raise RecordError(f"the line's text reads as markup and cannot be parsed: {exc}") from exc
    for el in list(root.iter(*_UNREAD)):
        el.drop_tree()
    for el in root.iter():
        if not isinstance(el.tag, str):  # a comment or processing instruction
            continue
        if el.tag == "br":
            el.tail = "\n\n" + (el.tail or "")
        elif el.tag in _BLOCKS:
            el.text = "\n\n" + (el.text or "")
            el.tail = "\n\n" + (el.tail or "")
    return [p for p in (" ".join(block.split()) for block in _BLANK_LINE.split(root.text_content())) if p]


def text_paragraphs(text: str) -> list[str]:
    """The paragraphs of a text given as one string: between its blank lines where it has any
    (a single line break within one is a wrapped line), else its lines, as news-please's
    ``maintext`` and other scrapers write one paragraph per line. Read as one paragraph, such a
    text has no lead to tell what it only mentions in passing, nor a first line to read a
    headline from: the 68 held-out sets given so replayed at mean recall 0.765 (22 sets meeting
    the held-out criterion), against 0.831 (40) with their paragraphs."""
    return _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.splitlines()


def reads_as_headline(line: str) -> bool:
    """Whether a text's first line is its headline (``_HEADLINE_WORDS``, ``_SENTENCE_END``)."""
    words = len(line.split())
    lo, hi = _HEADLINE_WORDS
    return lo <= words <= hi and not _SENTENCE_END.search(line) and not _BYLINE.match(line)


def text_headline(paragraphs: list[str]) -> tuple[str, list[str]]:
    """The headline of a text given without a title, and the paragraphs after it: its first
    line when that reads as a headline and some text follows it ("Quake kills four in
    Ardmoor" above the story, in a paragraph of its own or a line of the first), else no
    headline and the paragraphs as given. The coverage relation weighs a report's headline
    names and words (what the report says it is about): read as the story's first sentence, a
    headline would only be text, and with no headline at all a corpus of such lines threads
    as one without headlines (over the 68 held-out sets in time order, recall 0.683 and 128
    look-alike pairs merged against 0.831 and 46 with their titles)."""
    first, _, rest = paragraphs[0].partition("\n")
    first, rest = first.strip(), rest.strip()
    if not reads_as_headline(first) or not (rest or len(paragraphs) > 1):
        return "", paragraphs
    return first, [rest, *paragraphs[1:]] if rest else paragraphs[1:]


def as_page(obj: dict[str, Any]) -> dict[str, Any]:
    """A line that carries its article as text instead of the fetched page, as labelled corpora and news
    APIs give articles already extracted (``title`` with ``body_paragraphs``, a list of strings, or
    ``text``, paragraphs between blank lines or else one a line, or markup; news-please's
    ``maintext``, ``body`` and ``content`` are read as ``text`` is, ``headline`` as ``title``), as
    the page a site would serve of it: the same cleaning and threading then run on it as on a
    fetched page. The text is escaped (it is text: it cannot forge the page's markup, date or
    author), and ``published`` becomes the page's date; without one the article has no date (nothing
    is guessed from its text: a date it mentions is not its own). Without a title, the text's first
    line is the headline where it reads as one (``text_headline``); a title signed with the outlet's
    name shows without it (``_outlet_aliases``). Without a ``url`` the line's
    ``id`` names it (``urn:newswire:ID``), and the outlet the line names (``site``, ``outlet`` or
    ``source``) is its site, as a URL's host would be: one outlet's reports of different events are
    then told apart as a site's own are; without an ``id`` either, its outlet, title and text name
    it (``text_name``). A line with ``html`` is returned as it is."""
    if "html" in obj or not any(key in obj for key in _TEXT_FIELDS):
        return obj
    given = obj.get("body_paragraphs")
    if given is not None:
        if not isinstance(given, list) or not all(isinstance(p, str) for p in given):
            raise RecordError("body_paragraphs must be a list of strings")
        paragraphs = [p.strip() for p in given]
    else:
        key = next((k for k in _TEXT_FIELDS[1:] if obj.get(k) is not None), "text")
        text = obj.get(key)
        if not isinstance(text, str):
            raise RecordError(f"{key} must be a string, not {type(text).__name__}")
        given_lines = markup_paragraphs(text) if _MARKUP.search(text) else text_paragraphs(text)
        paragraphs = [p.strip() for p in given_lines]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise RecordError("the line's text is empty")
    key = next((k for k in _TITLE_FIELDS if obj.get(k) is not None), "title")
    title = obj.get(key, "")
    if not isinstance(title, str):
        raise RecordError(f"{key} must be a string, not {type(title).__name__}")
    if not title.strip():
        title, paragraphs = text_headline(paragraphs)
    e = html.escape
    head = [f"<title>{e(title)}</title>"]
    published = obj.get("published")
    if isinstance(published, str) and published:
        head.append(f'<meta property="article:published_time" content="{e(published)}">')
    body = "".join(f"<p>{e(p)}</p>" for p in paragraphs)
    # The headline the page shows: the title without the outlet's name, which titles taken from a
    # page's <title> or a news aggregator sign it with ("Quake kills four in Ardmoor - Lantern
    # News"); the cleaner prefers a page's visible headline to its <title>.
    shown = strip_site_name(title, _outlet_aliases(obj)) if title else title
    page = f"<html><head>{''.join(head)}</head><body><article><h1>{e(shown)}</h1>{body}</article></body></html>"
    out = {k: v for k, v in obj.items() if k not in _TEXT_FIELDS}
    if title:
        out["title"] = title
    out["html"] = page
    out[EXTRA_GIVEN_AS_TEXT] = True
    raw_id = obj.get("id")
    if not out.get("url"):
        site = _given_site(obj)
        if raw_id is None or raw_id == "":
            # Named by what it says (``text_name``): the same report given twice is one article.
            raw_id = text_name(site, title, paragraphs)
        elif not isinstance(raw_id, str | int) or isinstance(raw_id, bool):
            raise RecordError(f"id must be a string, not {type(raw_id).__name__}")
        out["url"] = f"urn:newswire:{raw_id}"
        if site:
            out[EXTRA_GIVEN_SITE] = site
    return out


def text_name(site: str, title: str, paragraphs: list[str]) -> str:
    """The name of a report given as text with neither an ``id`` nor a ``url`` (corpora kept as
    headline and text alone): a digest of its outlet, title and text, so that the same line read
    again (a replay run twice, a takeover) is the same article, and one outlet's copy of another's
    text is an article of its own."""
    return "text-" + stable_id(site, title, *paragraphs, length=24)


def line_id(obj: Any) -> str | None:
    """The id the replay gives the article of an input line (its ``id``, else the one its record
    is named by: ``text_name``, or the page's url and markup), or None where the line is no record
    (it is a dead letter). What ``score_replay`` reads a line without an ``id`` by."""
    try:
        return _page_record(obj)[1].id
    except (ValueError, TypeError, RecursionError):
        return None


def _page_record(obj: Any) -> tuple[Any, RawStory]:
    """An input line's object as the page a poller would have written (``dated``, ``as_page``)
    and its raw record (``_record``): how the replay reads every line, and how ``line_id``
    finds the id it gave one."""
    page = as_page(dated(obj)) if isinstance(obj, dict) else obj
    return page, _record(page)


def dated(obj: dict[str, Any]) -> dict[str, Any]:
    """The line with its publication time as ``published``: the first of ``DATE_FIELDS`` it
    gives (a line that names its date ``date_publish`` or ``date`` is as dated as one that says
    ``published``), a number as the epoch timestamp it is (``_epoch_text``); the line itself
    when it gives none, or ``published`` as a string."""
    for key in DATE_FIELDS:
        value = obj.get(key)
        if value is not None and value != "":
            text = value if isinstance(value, str) else _epoch_text(key, value)
            text = written_date(text) or text
            return obj if text is value and key == "published" else {**obj, "published": text}
    return obj


def written_date(text: str) -> str | None:
    """A date written out as a page's byline prints it and scrapers copy it ("March 9, 2026
    8:00 AM", "9 Mar 2026", "2026/03/09 08:00"; in another language, ``foreign_date``), in ISO
    8601 (a day alone where it gives no time); None where ``normalise_date`` reads the text
    already, or where it is no such date: its month not named (03/09/2026 reads two ways, the
    ninth of March and the third of September), its day, month or year not given ("March
    2026"), or longer than a date is. Read by dateutil, twice with different defaults: a part
    that differs was not given."""
    if len(text) > _WRITTEN_DATE_CHARS or normalise_date(text) is not None:
        return None
    if not (_MONTH_NAME.search(text) or _YEAR_FIRST.match(text)):
        return foreign_date(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", date_parser.UnknownTimezoneWarning)  # "EST": read as given
            first, second = (date_parser.parse(text, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError):  # dateutil's ParserError is a ValueError
        return foreign_date(text)  # "9 mars 2026": a French month dateutil does not know
    if first.date() != second.date():
        return None
    return first.isoformat() if first.hour == second.hour else first.date().isoformat()


def foreign_date(text: str) -> str | None:
    """A date written out in a language of the stop lists but English ("9. März 2026, 20:15
    Uhr", "9 de marzo de 2026", "lundi 9 mars 2026 à 20h15"), in ISO 8601 as ``written_date``
    gives it, or None. Read by dateparser (htmldate's own date reader, installed with
    trafilatura), strictly (a day, a month and a year), and only where the text gives a year and
    a word (its month's name): a date of digits alone reads two ways, and a relative one
    ("gestern", "hace 2 días") is no publication date."""
    if not (_FOUR_DIGITS.search(text) and _WORD.search(text)) or _DIGITS_DATE.search(text):
        return None
    data = _foreign_dates().get_date_data(text)
    when = data.date_obj
    if when is None:
        return None
    return when.isoformat() if data.period == "time" else when.date().isoformat()


@functools.cache
def _foreign_dates() -> DateDataParser:
    """dateparser's reader of the stop lists' languages but English (dateutil's): imported and
    built at the first such date (a replay of ISO dates never loads it), its language data
    loaded then (about a tenth of a second)."""
    from dateparser.date import DateDataParser

    settings = {"STRICT_PARSING": True, "RETURN_TIME_AS_PERIOD": True, "DATE_ORDER": "DMY"}
    return DateDataParser(languages=list(_FOREIGN_DATE_LANGUAGES), settings=settings)


def _epoch_text(key: str, value: object) -> str:
    """A date given as a number, as exports and APIs write an epoch timestamp (1741507200, in
    milliseconds 1741507200000, or with a fraction of a second), in the form a date string
    gives it (digits, read by ``normalise_date``); any other value is no date."""
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"{key} must be a string or an epoch timestamp, not {type(value).__name__}")
    return str(value)


def _outlet_aliases(obj: dict[str, Any]) -> frozenset[str]:
    """Names under which a line's outlet may sign a headline: its URL's host and the names the
    line gives its outlet (``_outlet_names``), as the cleaner reads a page's site names."""
    url = obj.get("url")
    host = site_host(url) if isinstance(url, str) else ""
    return site_aliases(host or _given_site(obj), list(_outlet_names(obj)))


def _outlet_names(obj: dict[str, Any]) -> Iterator[str]:
    """The names a line gives its outlet, in the order read: each of ``_SITE_FIELDS`` that is a
    string, and an object's ``_SOURCE_KEYS`` (NewsAPI's {"id", "name"}, Event Registry's {"uri",
    "title"})."""
    for key in _SITE_FIELDS:
        value = obj.get(key)
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from (name for k in _SOURCE_KEYS if isinstance(name := value.get(k), str))


def _given_site(obj: dict[str, Any]) -> str:
    """The outlet a line given as text names (the first of ``_outlet_names`` that is not blank),
    case-folded, spaces collapsed, as long as a host name may be; "" when it names none."""
    for name in _outlet_names(obj):
        site = " ".join(name.split()).casefold()[:MAX_SITE_CHARS]
        if site:
            return site
    return ""


def _record(obj: Any) -> RawStory:
    """One input object as a raw record, or :class:`RecordError` saying what is wrong."""
    if isinstance(obj, list):  # a corpus saved as one JSON array on one line
        raise RecordError("line is a JSON array, not an object: replay reads one object per line (jq -c '.[]')")
    if not isinstance(obj, dict):
        raise RecordError("line is not a JSON object")
    raw_id = obj.get("id")
    if raw_id is not None:
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            raise RecordError(f"id must be a string, not {type(raw_id).__name__}")
        obj = {**obj, "id": str(raw_id)}  # "id": 12345 is an id, not "no id"
    for key in _OPTIONAL_TEXT:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise RecordError(f"{key} must be a string, not {type(obj[key]).__name__}")
    if "status" in obj and (isinstance(obj["status"], bool) or not isinstance(obj["status"], int)):
        raise RecordError("status must be an integer")
    raw = RawStory.from_dict(obj)
    if not raw.url.lower().startswith(_WEB) and not raw.url.startswith("urn:newswire:"):
        raise RecordError(f"url is not an http(s) page: {raw.url[:80]!r}")
    if raw.final_url and not raw.final_url.lower().startswith(_WEB):
        raise RecordError(f"final_url is not an http(s) page: {raw.final_url[:80]!r}")
    return raw


def dead_letter_line(letter: dict[str, Any], original: bytes) -> str:
    """One dead letter as a JSON line that ``replay --from-dead-letters`` reads back: the
    envelope (stage, reason, error, source) and the original record (``value``, or
    ``value_text`` when the original was not JSON). Fix the record, replay the file."""
    out: dict[str, Any] = {
        "stage": letter.get("stage", "replay"),
        "reason": letter["reason"],
        "error": letter["error"],
        "source": letter.get("source", {"line": letter["offset"]}),
    }
    try:
        out["value"] = json.loads(original)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, too deep, too many digits
        out["value_text"] = original.decode("utf-8", "replace")[:1_000_000]
    try:
        line = json.dumps(out, ensure_ascii=False)
    except (ValueError, RecursionError):
        out.pop("value", None)
        out["value_text"] = original.decode("utf-8", "replace")[:1_000_000]
        line = json.dumps(out, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (the letter's very fault, often): kept escaped
        line = json.dumps(out)
    return line


def _unwrap(obj: Any) -> Any:
    """A dead-letter line's original record (``--from-dead-letters``)."""
    if not isinstance(obj, dict) or "reason" not in obj:
        raise RecordError("not a dead-letter line (no envelope)")
    if "value" not in obj:
        raise RecordError("dead letter without a JSON record (value_text): fix it into 'value' first")
    return obj["value"]


def _published(line: bytes, from_dead_letters: bool) -> datetime | None:
    """The publication time a line's record gives (``published``, in any form the replay
    reads), or None: none, none readable, or no record (the line's dead letter is found when
    it is read for its turn)."""
    if not any(key in line for key in _DATE_KEYS):  # most undated lines are not parsed at all
        return None
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if from_dead_letters and isinstance(obj, dict):
        obj = obj.get("value")
    if not isinstance(obj, dict):
        return None
    try:
        value = dated(obj).get("published")
    except RecordError:
        return None
    return parse_time(normalise_date(value)) if isinstance(value, str) else None


def _publication_order(fh: IO[bytes], from_dead_letters: bool) -> list[tuple[int, int]]:
    """(byte offset, line number) of the file's lines that are not blank, in publication order
    (see the module docstring): a line without a time sorts at the time of the line before it,
    after it; lines of one instant in file order. One pass reads the times; the lines are read
    again, one by one, in that order."""
    keyed: list[tuple[datetime, int, int]] = []
    last = _EARLIEST
    offset = 0
    for lineno, raw_line in enumerate(fh, 1):
        start, offset = offset, offset + len(raw_line)
        if not raw_line.strip():
            continue
        when = _published(raw_line.rstrip(b"\r\n"), from_dead_letters)
        if when is not None:
            last = when
        keyed.append((last, lineno, start))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [(start, lineno) for _, lineno, start in keyed]


def _lines(fh: IO[bytes], order: str, from_dead_letters: bool) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of the lines that are not blank, in ``order``."""
    if order == "published" and fh.seekable():
        for start, lineno in _publication_order(fh, from_dead_letters):
            fh.seek(start)
            yield lineno, fh.readline()
        return
    for lineno, raw_line in enumerate(fh, 1):
        if raw_line.strip():
            yield lineno, raw_line


def _read(
    fh: IO[bytes], stats: ReplayStats, from_dead_letters: bool = False, order: str = "published"
) -> Iterator[tuple[int, bytes, tuple[RawStory, bytes, datetime | None] | str]]:
    """(line number, line, and the line's record, its value for the raw topic and its
    publication time, or what is wrong with it), in ``order``."""
    # Bytes, decoded per line: one line of bad UTF-8 in a million-record backfill is that
    # line's dead letter, not the end of the run.
    for lineno, raw_line in _lines(fh, order, from_dead_letters):
        stats.inputs += 1
        line = raw_line.rstrip(b"\r\n")
        try:
            obj = json.loads(line.decode("utf-8"))
            if from_dead_letters:
                obj = _unwrap(obj)
                line = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
            given = obj
            obj, raw = _page_record(obj)
            published = normalise_date(raw.published) if raw.published else None
            if raw.published and published is None:
                stats.unreadable_dates += 1
                if stats.unreadable_dates == 1:  # the first says which form; the count says how many
                    log.warning(
                        "line %d: published %r is not a date (ISO 8601, RFC 2822 or an epoch timestamp): "
                        "the page's date is used, else trafilatura's guess (a line given as text: none)",
                        lineno,
                        raw.published[:80],
                    )
            if obj.get(EXTRA_GIVEN_AS_TEXT) and not raw.published:
                stats.undated_text += 1
            # a line given as text, or dated under another name, is written as a poller
            # would have: with its page, its date as ``published``
            value = _value(obj, line, raw) if obj is given else raw.encode()
            yield lineno, line, (raw, value, parse_time(published))
        except RecursionError:
            yield lineno, line, f"line {lineno}: JSON nested too deep"
        except (ValueError, TypeError) as exc:  # JSON, UTF-8, int digits, RecordError, fields
            yield lineno, line, f"line {lineno}: {type(exc).__name__}: {str(exc)[:300]}"


def _value(obj: dict[str, Any], line: bytes, raw: RawStory) -> bytes:
    """The raw record as a poller would have written it to the topic. The line itself when it
    reads back as ``raw`` (its id, if any, a string: :func:`_record` changes nothing else) and
    holds no escaped surrogate; else ``raw`` encoded, which also finds a lone surrogate now (no
    topic takes one). A page is the bulk of a line: encoding it again costs as much as reading it."""
    if isinstance(obj.get("id"), str | None) and not SURROGATE_ESCAPE.search(line):
        return line
    return raw.encode()


def _written_ms(published: datetime | None, now_ms: int) -> int:
    """When a line's record is taken to be written: ``now_ms``, or when the line says it was
    published, if that is later. A record is written after its publication, as a poller writes
    it; a corpus dated after the run (fictional news, or a backfill shifted in time) replays at
    its own dates, where the threading stage would pass over every date after now and thread the
    whole file as undated, all at one instant."""
    return max(now_ms, int(published.timestamp() * 1000)) if published is not None else now_ms


def replay(
    input_path: Path | IO[bytes],
    output: IO[str],
    settings: Settings,
    batch_size: int = 32,
    on_dead: DeadLetterSink | None = None,
    *,
    from_dead_letters: bool = False,
    order: str = "published",
) -> ReplayStats:
    """Replay ``input_path`` (a path, read through :func:`open_input`, or its bytes already
    opened so) in ``order`` (``"published"`` or ``"file"``: see the module docstring);
    ``on_dead(letter)`` sees each dead letter as it happens, with the original line
    under ``"input"`` (bytes) for :func:`dead_letter_line`."""
    if order not in ORDERS:
        raise ValueError(f"replay order must be one of {', '.join(ORDERS)}, not {order!r}")
    stats = ReplayStats()
    w = settings.worker
    # id -> digest of what it identified: one id for two different stories would give both
    # the same event_id, so the second is refused (the same story again is a redelivery).
    seen_ids: dict[str, bytes] = {}

    originals: dict[int, bytes] = {}  # line -> original bytes, for the batch in flight

    def dead(offset: int, reason: str, error: str) -> None:
        letter = {"offset": offset, "reason": reason, "error": error}
        stats.dead_letters.append(letter)
        if on_dead is not None:
            on_dead({**letter, "input": originals.get(offset, b"")})

    source = open_input(input_path) if isinstance(input_path, Path) else nullcontext(input_path)
    with source as fh, extract_pool(settings) as pool:
        cleaner = CleanProcessor(pool, "cleaned", max_record_bytes=settings.max_record_bytes)
        threader = ThreadProcessor(w, "events", "index")
        threader.ready = True
        progress = tqdm(desc="replay", unit="rec", disable=not sys.stderr.isatty(), file=sys.stderr)
        batch: list[Message] = []

        def clean_batch() -> list[Any]:
            try:
                return list(cleaner.process(batch))
            except Exception:  # one record broke the batch: find it by going one by one
                outcomes: list[Any] = []
                for msg in batch:
                    try:
                        outcomes.append(cleaner.process([msg])[0])
                    except Exception as exc:
                        log.exception("cleaning crashed on one record", extra={"offset": msg.offset})
                        outcomes.append(exc)
                return outcomes

        def flush() -> None:
            for msg, outcome in zip(batch, clean_batch(), strict=True):
                if isinstance(outcome, Exception):
                    dead(msg.offset, "internal", f"cleaning crashed: {type(outcome).__name__}: {outcome}")
                    continue
                if outcome.dead is not None:
                    dead(msg.offset, outcome.dead.reason, str(outcome.dead))
                    continue
                for out in outcome.outputs:
                    cleaned = Message("cleaned", 0, msg.offset, out.key, out.value, msg.timestamp_ms)
                    try:
                        t_outs = threader.process([cleaned])[0].outputs
                    except Exception as exc:
                        log.exception("threading crashed on one record", extra={"offset": msg.offset})
                        dead(msg.offset, "internal", f"threading crashed: {type(exc).__name__}: {exc}")
                        continue
                    for t_out in t_outs:
                        if t_out.topic == "events" and t_out.value is not None:
                            output.write(t_out.value.decode("utf-8") + "\n")
                            stats.events += 1
            progress.update(len(batch))
            batch.clear()
            originals.clear()

        # The run's records are written now, once for all (as a poller's when it polls): the
        # bound of a date given without a fetch time (a date after it is no publication date).
        # A line published after now is written when it was published (``_written_ms``).
        written_ms = int(time.time() * 1000)
        for lineno, line, item in _read(fh, stats, from_dead_letters, order):
            originals[lineno] = line
            if isinstance(item, str):
                dead(lineno, "decode_error", item)
                originals.pop(lineno, None)
                continue
            story, value, published = item
            digest = hashlib.sha256(stable_id(story.url, story.html, story.guid).encode()).digest()[:12]
            if seen_ids.setdefault(story.id, digest) != digest:
                dead(lineno, "conflicting_id", f"line {lineno}: id {story.id!r} already used for another story")
                originals.pop(lineno, None)
                continue
            written = _written_ms(published, written_ms)
            batch.append(Message("raw", 0, lineno, story.article_key.encode(), value, written))
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        progress.close()
    stats.unchanged = stats.inputs - stats.events - len(stats.dead_letters)
    return stats


@dataclass(frozen=True)
class ReplayScore:
    """A replay scored against the labels its input carries (``newswire replay --score``)."""

    field: str
    scores: StoryScores
    # Labelled inputs the replay published no event for (dead letters, or an id the output does
    # not hold): each scored as a story of its own.
    without_event: int


def score_replay(input_path: Path, events_path: Path, label: str) -> ReplayScore:
    """Score the stories of a replay's events (``events_path``) against the ``label`` field of
    its input's lines (the event each reports; ``role: lookalike`` with ``resembles`` or a shared
    ``group`` names the look-alikes): :func:`workers.scoring.score_stories`. An input line that
    is no JSON object, or has no ``label``, is not scored."""
    story: dict[str, str] = {}
    with events_path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                event = json.loads(line)
                story[str(event["raw_id"])] = event["story_id"]  # the last event of an input holds
    rows: list[dict[str, Any]] = []
    with open_input(input_path) as raw, io.TextIOWrapper(raw, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):  # the replay's dead letter; no label to score
                continue
            if not isinstance(obj, dict) or obj.get(label) is None:
                continue
            # A line without an id is found by the id its article was given (``line_id``); one
            # that is no record has no event and is scored as a story of its own.
            key = obj.get("id")
            key = line_id(obj) if key is None else key
            rows.append({**obj, "id": str(key) if key is not None else f"(line {lineno})"})
    truth = {r["id"]: r[label] for r in rows}
    predicted = {k: story.get(k, f"(no event) {k}") for k in truth}
    without_event = sum(k not in story for k in truth)
    scores = score_stories(predicted, truth, imitated_threads(rows))
    return ReplayScore(label, scores, without_event)
