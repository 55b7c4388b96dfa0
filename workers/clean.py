"""Cleaning step: one fetched page (:class:`RawStory`) -> one :class:`CleanArticle`.

Body text comes from trafilatura, which is good at it; the *metadata* does not, because
the bare library takes titles from ``<title>`` (" | AP News", " - Reuters", section names)
and often misses authors. So metadata is read here from the page's own structured signals,
in order of how trustworthy they are on real publisher pages:

- title: JSON-LD ``headline`` / ``og:title`` / ``twitter:title`` / the ``<h1>`` / trafilatura /
  ``<title>`` / the feed's title, with a site-name prefix or suffix stripped when it matches
  ``og:site_name``, the JSON-LD publisher, or the host, and section segments dropped when the
  ``<h1>`` shows where the headline ends;
- authors: JSON-LD ``author`` persons, author metas, trafilatura's byline, the feed: split
  ("By A and B"), with emails, URLs and organisations dropped;
- date: explicit page metadata first (``article:published_time``, JSON-LD ``datePublished``,
  ...), then the feed's date, and only then trafilatura/htmldate's guess (which may come from
  the URL or page furniture): the feed is a publisher statement, a heuristic guess is not.

Text is normalised (NFC, whitespace, straight quotes, ASCII dashes) and stripped of residual
chrome: lines that are the whole text of a short link (menu items and breadcrumbs such as
the TASS page's "All news"), share bars, cookie notices, and per-site learned boilerplate
(:mod:`workers.boilerplate`).

Wire datelines ("QUELLPORT, May 11 (Wire-X) - ", "MOSCOW, January 25. /TASS/.") stay in
``text``: they are part of what the publisher printed, and the event carries the article as
published. Comparison must ignore them (a syndicated copy differs from its source only by
its dateline), so :func:`comparable_text` removes them, and ``content_hash`` is computed over
that comparable form: verbatim copies hash equal whatever dateline they carry.

Failures are classified (:class:`ExtractionError` ``reason``) so the caller can route them to
a dead-letter topic instead of crashing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import trafilatura
from trafilatura.utils import load_html

from newswire.records import RawStory, stable_id
from workers.boilerplate import SiteBoilerplate

ErrorReason = Literal["too_large", "empty", "timeout", "not_html", "crashed"]


class ExtractionError(Exception):
    """Extraction failed for a classified ``reason`` (dead-letter routing key).

    ``reason`` is one of ``too_large`` (page above the byte cap), ``empty`` (no article text),
    ``timeout`` (killed by :mod:`workers.extract_pool`), ``not_html`` (wrong content type or
    unparseable) and ``crashed`` (the worker process died).
    """

    def __init__(self, reason: ErrorReason, detail: str = "", *, raw_id: str = "", url: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: ErrorReason = reason
        self.detail = detail
        self.raw_id = raw_id
        self.url = url

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword-only fields must survive pickling across the process pool
        return (_rebuild_error, (self.reason, self.detail, self.raw_id, self.url))


def _rebuild_error(reason: ErrorReason, detail: str, raw_id: str, url: str) -> ExtractionError:
    return ExtractionError(reason, detail, raw_id=raw_id, url=url)


@dataclass(frozen=True, slots=True)
class CleanSettings:
    """Knobs of the cleaning step (the lead maps these from the worker settings).

    ``favor_precision`` was measured on the article-extraction benchmark: it raises F1 from
    0.960 to 0.964 with trafilatura 2.3.1 and is also faster. Pages above ``max_html_bytes``
    are refused (``too_large``) or, with ``truncate_oversize``, cut to the cap: a cut page may
    lose its ending, which is why refusing is the default.
    """

    max_html_bytes: int = 3_000_000
    truncate_oversize: bool = False
    favor_precision: bool = True
    include_tables: bool = True
    min_text_chars: int = 25  # below this what is left is a label or a menu, not an article
    max_nav_words: int = 6


DEFAULT_SETTINGS = CleanSettings()


@dataclass(frozen=True, slots=True)
class CleanArticle:
    """The cleaned article as carried by story events."""

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
    guid: str
    feed_url: str
    content_hash: str


# --------------------------------------------------------------------------- text normalisation

#: Calendar words: capitalised, yet they name no person (bylines) and no event (threading).
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)

TYPOGRAPHY: dict[int, str | None] = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)
_HSPACE_RE = re.compile(r"[^\S\n]+")


def normalise_line(line: str) -> str:
    """NFC, straight quotes, ASCII dashes, no zero-width characters, single spaces."""
    line = unicodedata.normalize("NFC", line).translate(TYPOGRAPHY)
    return _HSPACE_RE.sub(" ", line).strip()


def normalise_text(text: str) -> str:
    """Normalise every line and drop empty ones (paragraphs are separated by one newline)."""
    return "\n".join(n for n in (normalise_line(line) for line in text.splitlines()) if n)


# --------------------------------------------------------------------------- chrome lines

_SOCIAL = frozenset(
    [
        "facebook",
        "twitter",
        "x",
        "linkedin",
        "email",
        "e",
        "mail",
        "whatsapp",
        "reddit",
        "pinterest",
        "print",
        "copy",
        "link",
        "share",
        "telegram",
        "messenger",
        "flipboard",
        "tumblr",
        "comments",
        "comment",
        "sms",
        "mastodon",
        "bluesky",
        "threads",
    ]
)
_UI_LINES = frozenset(
    s.casefold()
    for s in (
        "advertisement",
        "advertising",
        "skip to main content",
        "skip to content",
        "read more",
        "continue reading",
        "show comments",
        "hide comments",
        "accept all",
        "accept cookies",
        "manage preferences",
        "sign up",
        "subscribe",
        "log in",
        "sign in",
        "back to top",
        "related stories",
        "related articles",
        "most read",
        "story continues below advertisement",
    )
)
_SHARE_RE = re.compile(r"^(share( this)?( article| story| page| on)?|follow us( on)?)\b\s*[:\-|]?", re.I)
_COOKIE_RE = re.compile(r"\bcookies?\b", re.I)
_COOKIE_CTX_RE = re.compile(r"\b(we use|use of|accept|consent|policy|settings|preferences|browsing)\b", re.I)
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def is_chrome_line(line: str) -> bool:
    """Share bars, cookie notices and UI labels: text of the page, not of the article."""
    folded = line.casefold().strip(" .:!")
    if folded in _UI_LINES:
        return True
    words = _WORD_RE.findall(folded)
    if len(words) >= 2 and all(w in _SOCIAL for w in words):
        return True
    if _SHARE_RE.match(line) and len(words) <= 14 and sum(w in _SOCIAL for w in words) >= 2:
        return True
    return bool(len(words) <= 60 and _COOKIE_RE.search(line) and _COOKIE_CTX_RE.search(line))


_SENTENCE_END = (".", "!", "?", '"', "'", ":", ";")


def link_texts(tree: Any, max_words: int) -> frozenset[str]:
    """Case-folded texts of short links on the page (menus, breadcrumbs, tag lists)."""
    out: set[str] = set()
    for a in tree.iter("a"):
        text = normalise_line(a.text_content() or "")
        if text and len(text.split()) <= max_words:
            out.add(text.casefold())
    return frozenset(out)


def is_nav_line(line: str, links: frozenset[str], max_words: int) -> bool:
    """A short line that is exactly a link's whole text and reads as a label, not a sentence."""
    if len(line.split()) > max_words or line.endswith(_SENTENCE_END):
        return False
    return line.casefold() in links


# --------------------------------------------------------------------------- datelines

_DATELINE_RE = re.compile(
    r"""^
    [A-Z][A-Z.'\- ]{1,40}[A-Z.]                                   # CITY (upper case)
    (?:\s*,\s*[A-Z][A-Za-z.'\- ]{1,30})?                          # , Region or Country
    (?:\s*,\s*(?:[A-Z][a-z]{2,9}\.?\s+\d{1,2}(?:,\s*\d{4})?|\d{1,2}\s+[A-Z][a-z]{2,9}\.?))?  # , May 11
    \s*\.?\s*
    (?:\((?P<paren>[^()\n]{1,40})\)\s*[-:]+|/(?P<slash>[^/\n]{1,30})/\.?)  # (Wire-X) - or /TASS/.
    \s*
    """,
    re.X,
)


def strip_dateline(text: str) -> str:
    """Drop a leading wire dateline from the first line ("MOSCOW, January 25. /TASS/. ")."""
    return _DATELINE_RE.sub("", text, count=1)


def comparable_text(article: CleanArticle | str) -> str:
    """The article body as compared by dedupe/threading: dateline-free, case-folded, one line
    per paragraph. Copies of one wire story differ mostly by dateline; this form makes them equal."""
    text = article.text if isinstance(article, CleanArticle) else article
    lines = text.splitlines()
    # the dateline opens the first paragraph, or the first after a lead/standfirst (TASS)
    for i in range(min(3, len(lines))):
        stripped = strip_dateline(lines[i])
        if stripped != lines[i]:
            lines[i] = stripped
            break
    return "\n".join(n for n in (normalise_line(line).casefold() for line in lines) if n)


def content_hash(text: str) -> str:
    """Hash of the comparable form of ``text`` (see module docstring)."""
    return stable_id(comparable_text(text))


# --------------------------------------------------------------------------- page metadata


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What the page says about itself in structured form (metas, JSON-LD, headings)."""

    metas: dict[str, str]
    canonical: str
    html_lang: str
    title_tag: str
    h1: tuple[str, ...]
    ld: tuple[dict[str, Any], ...]


_ARTICLE_TYPES = frozenset(
    t.casefold()
    for t in (
        "NewsArticle",
        "Article",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "BlogPosting",
        "OpinionNewsArticle",
        "LiveBlogPosting",
        "Report",
        "WebPage",
        "ScholarlyArticle",
        "TechArticle",
        "SocialMediaPosting",
        "BackgroundNewsArticle",
    )
)


def _walk_ld(obj: Any) -> Iterator[dict[str, Any]]:
    if isinstance(obj, list):
        for item in obj:
            yield from _walk_ld(item)
    elif isinstance(obj, dict):
        yield obj
        graph = obj.get("@graph")
        if graph is not None:
            yield from _walk_ld(graph)


def _ld_types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    types = t if isinstance(t, list) else [t]
    return {str(x).casefold() for x in types if x}


def read_page_meta(tree: Any) -> PageMeta:
    """Collect metas, canonical link, ``<html lang>``, ``<title>``, ``<h1>``s and JSON-LD objects."""
    metas: dict[str, str] = {}
    for m in tree.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv") or "").strip()
        content = (m.get("content") or "").strip()
        if key and content:
            metas.setdefault(key.casefold(), content)
    canonical = ""
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").casefold().split() and link.get("href"):
            canonical = link.get("href", "").strip()
            break
    title_el = tree.find(".//title")
    title_tag = normalise_line(title_el.text_content()) if title_el is not None else ""
    h1 = tuple(t for t in (normalise_line(h.text_content()) for h in tree.iter("h1")) if t)
    ld: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().casefold() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except (ValueError, RecursionError):
            continue
        ld.extend(o for o in _walk_ld(data) if _ld_types(o) & _ARTICLE_TYPES)
    html_lang = (tree.get("lang") or tree.get("xml:lang") or "").strip() if tree.tag == "html" else ""
    if not html_lang:
        root = tree.getroottree().getroot()
        html_lang = (root.get("lang") or "").strip()
    # prefer article types over WebPage
    ld.sort(key=lambda o: "webpage" in _ld_types(o))
    return PageMeta(metas, canonical, html_lang, title_tag, h1, tuple(ld))


def _ld_str(ld: Iterable[dict[str, Any]], key: str) -> str:
    for obj in ld:
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, list) and value and isinstance(value[0], str):
            return value[0].strip()
    return ""


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").casefold()
    return host[4:] if host.startswith("www.") else host


# --------------------------------------------------------------------------- titles

_TITLE_SEP_RE = re.compile(r"\s+(?:\||-|\u2013|\u2014|::|·|•|»|«|/|:)\s+")
_PIPE_SEPS = frozenset({"|", "::", "·", "•", "»", "«"})
_ALNUM_RE = re.compile(r"[^0-9a-z]+")


def _squash(text: str) -> str:
    return _ALNUM_RE.sub("", unicodedata.normalize("NFKD", text).casefold())


def site_aliases(host: str, names: Iterable[str]) -> frozenset[str]:
    """Squashed forms under which a site may name itself in a title ("apnews", "ap news")."""
    aliases = {_squash(n) for n in names if n}
    labels = [lab for lab in host.split(".") if lab and lab != "www"]
    if len(labels) >= 2:
        # registrable-ish label: "apnews" in apnews.com, "bbc" in bbc.co.uk
        core = labels[-3] if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3 else labels[-2]
        aliases.add(_squash(core))
    aliases.add(_squash(host))
    return frozenset(a for a in aliases if len(a) >= 2)


def _is_site_segment(segment: str, aliases: frozenset[str]) -> bool:
    sq = _squash(segment)
    if not sq:
        return True
    if sq in aliases:
        return True
    # "AP News" vs alias "apnews", "The Guardian" vs "theguardian"/"guardian",
    # "Reuters.com" vs "reuters"; require the alias to be a large part of the segment
    for alias in aliases:
        if len(alias) >= 3 and (sq.startswith(alias) or sq.endswith(alias)) and len(alias) >= 0.6 * len(sq):
            return True
        if len(sq) >= 4 and alias.startswith(sq) and len(sq) >= 0.6 * len(alias):
            return True
    return False


def _split_title(title: str) -> tuple[list[str], list[str]]:
    """Segments and the separators between them."""
    parts = _TITLE_SEP_RE.split(title)
    seps = [m.group(0).strip() for m in _TITLE_SEP_RE.finditer(title)]
    return parts, seps


def strip_site_name(title: str, aliases: frozenset[str], sections: frozenset[str] = frozenset()) -> str:
    """Remove site-name (and known section) segments from either end of a title.

    Only whole separator-delimited segments are removed, only from the ends, and never the
    last remaining one, so a headline that merely mentions its publisher is kept intact.
    """
    parts, seps = _split_title(title)
    if len(parts) == 1:
        return title.strip()

    def droppable(seg: str) -> bool:
        return _is_site_segment(seg, aliases) or _squash(seg) in sections

    changed = True
    while changed and len(parts) > 1:
        changed = False
        if droppable(parts[-1]):
            parts.pop()
            seps.pop()
            changed = True
        elif len(parts) > 1 and droppable(parts[0]):
            parts.pop(0)
            seps.pop(0)
            changed = True
    # pipe-like separators are never part of headlines: what remains around them is chrome
    # (section or site); keep the longest segment when the others are short labels
    if len(parts) > 1 and any(s in _PIPE_SEPS for s in seps):
        longest = max(parts, key=len)
        if all(len(p.split()) <= 4 for p in parts if p is not longest):
            return longest.strip()
    return _rejoin(title, parts)


def _rejoin(original: str, parts: list[str]) -> str:
    """The span of the original title from the first kept segment to the last one."""
    start = original.find(parts[0])
    end = original.rfind(parts[-1])
    if start < 0 or end < 0:
        return " ".join(parts).strip()
    return original[start : end + len(parts[-1])].strip()


def choose_title(meta: PageMeta, traf_title: str, feed_title: str, aliases: frozenset[str]) -> str:
    """Best headline: structured candidates, site name stripped, cut to the ``<h1>`` when it agrees."""
    sections = frozenset(
        _squash(s) for s in (meta.metas.get("article:section", ""), meta.metas.get("og:section", "")) if s
    )
    candidates = [
        _ld_str(meta.ld, "headline"),
        meta.metas.get("og:title", ""),
        meta.metas.get("twitter:title", ""),
        traf_title,
        meta.title_tag,
        feed_title,
    ]
    cleaned = [strip_site_name(normalise_line(c), aliases, sections) for c in candidates if c and c.strip()]
    h1s = [h for h in meta.h1 if not _is_site_segment(h, aliases)]
    # an <h1> that equals, or is a separator-delimited head of, a candidate is the headline
    for cand in cleaned:
        for h in h1s:
            if _squash(h) == _squash(cand):
                return h if len(h) >= len(cand) else cand
    for cand in cleaned:
        for h in h1s:
            sq_h = _squash(h)
            if len(sq_h) >= 12 and _squash(cand).startswith(sq_h):
                return h
    if cleaned:
        return cleaned[0]
    return h1s[0] if h1s else ""


# --------------------------------------------------------------------------- authors

_BY_RE = re.compile(r"^\s*(?:[A-Za-z-]+\s+){0,2}?by\s*[:\-]?\s+", re.I)
# "and"-style separators; not Spanish "y" or French "et", which collide with initials ("Bruce Y. Lee")
_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|\||&|\band\b|\bund\b|\n|(?<=\w{3})\.\s+(?=[A-Z]))\s*", re.I)
_EMAIL_RE = re.compile(r"\S+@\S+")
_URL_RE = re.compile(r"^(?:https?://|www\.)|\.(?:com|org|net|co\.uk)\b", re.I)
_ORG_WORDS = frozenset(
    [
        "news",
        "staff",
        "agency",
        "press",
        "reuters",
        "associated",
        "afp",
        "ap",
        "bloomberg",
        "team",
        "desk",
        "editorial",
        "editors",
        "correspondent",
        "correspondents",
        "wire",
        "service",
        "services",
        "media",
        "group",
        "network",
        "times",
        "post",
        "journal",
        "daily",
        "herald",
        "tribune",
        "online",
        "newsroom",
        "bureau",
        "contributors",
        "guardian",
        "bbc",
        "cnn",
        "tass",
        "dpa",
        "efe",
        "ansa",
        "inc",
        "ltd",
        "llc",
        "gmbh",
        "company",
        "corporation",
        "magazine",
        "channel",
        "radio",
        "tv",
        "television",
        "admin",
        "administrator",
        "international",
        "the",
        "university",
        "institute",
        "foundation",
        "ministry",
        "office",
        "department",
    ]
)
# job titles trailing a name in bylines ("Tom Gillespie News reporter", "Jane Doe Staff writer")
_ROLE_WORDS = frozenset(
    [
        "reporter",
        "writer",
        "correspondent",
        "editor",
        "senior",
        "chief",
        "political",
        "national",
        "sports",
        "business",
        "news",
        "contributor",
        "columnist",
        "producer",
        "analyst",
        "at-large",
        "editor-at-large",
        "auto",
        "security",
        "science",
        "health",
        *WEEKDAYS,
        "published",
        "updated",
    ]
)


def _clean_author(name: str, aliases: frozenset[str]) -> str:
    name = _BY_RE.sub("", normalise_line(name))
    name = _EMAIL_RE.sub("", name).strip(" ,.;:-|()")
    if not name or _URL_RE.search(name) or any(ch.isdigit() for ch in name):
        return ""
    words = name.split()
    while len(words) > 2 and words[-1].casefold() in _ROLE_WORDS:
        words.pop()
    name = " ".join(words)
    if not 2 <= len(words) <= 5 or len(name) > 60:
        return ""
    if any(w.casefold().strip(".") in _ORG_WORDS for w in words):
        return ""
    if _is_site_segment(name, aliases):
        return ""
    # a person's name reads as capitalised words (particles like "van", "de" allowed) and,
    # unless all in capitals, has no acronym among them ("PMJS", "NJ")
    caps = sum(1 for w in words if w[0].isupper())
    if caps < max(2, len(words) - 2):
        return ""
    if name.isupper():
        return " ".join(w.capitalize() for w in words)
    if any(len(w.strip(".")) >= 2 and w.strip(".").isupper() for w in words):
        return ""
    return name


def split_authors(raw: Iterable[str], aliases: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Person names from author strings: "By A and B", "A, B; C", organisations and emails dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for item in raw:
        if not item:
            continue
        for part in _AUTHOR_SPLIT_RE.split(_BY_RE.sub("", normalise_line(item))):
            name = _clean_author(part, aliases)
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                out.append(name)
    return tuple(out)


def _ld_authors(ld: Iterable[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for obj in ld:
        value = obj.get("author") or obj.get("creator")
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str):
                names.append(item)
            elif isinstance(item, dict):
                types = _ld_types(item)
                if types and "person" not in types:
                    continue
                n = item.get("name")
                if isinstance(n, str):
                    names.append(n)
        if names:
            break
    return names


def choose_authors(
    meta: PageMeta, traf_author: str, feed_authors: Iterable[str], aliases: frozenset[str]
) -> tuple[str, ...]:
    """First source that yields person names: JSON-LD, author metas, trafilatura byline, feed."""
    sources: list[list[str]] = [
        _ld_authors(meta.ld),
        [
            meta.metas.get(k, "")
            for k in ("author", "article:author", "parsely-author", "dc.creator", "sailthru.author")
        ],
        [traf_author.replace(";", ",")] if traf_author else [],
        list(feed_authors),
    ]
    for source in sources:
        names = split_authors(source, aliases)
        if names:
            return names
    return ()


# --------------------------------------------------------------------------- dates

_DATE_KEYS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "date",
)


def normalise_date(value: str | None) -> str | None:
    """ISO 8601: aware datetimes in UTC with ``Z``, naive datetimes as given, dates as YYYY-MM-DD."""
    if not value:
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return None
    if len(text) <= 10:
        return dt.date().isoformat()
    if dt.tzinfo is not None:
        return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return dt.isoformat()


def choose_published(meta: PageMeta, feed_published: str | None, traf_date: str | None) -> str | None:
    """Page's explicit date, else the feed's, else trafilatura/htmldate's heuristic guess."""
    for candidate in (_ld_str(meta.ld, "datePublished"), *(meta.metas.get(k, "") for k in _DATE_KEYS)):
        found = normalise_date(candidate)
        if found:
            return found
    return normalise_date(feed_published) or normalise_date(traf_date)


def choose_language(meta: PageMeta, traf_language: str | None) -> str | None:
    """Primary language subtag from ``<html lang>``, JSON-LD, ``og:locale`` or content-language."""
    for value in (
        meta.html_lang,
        _ld_str(meta.ld, "inLanguage"),
        meta.metas.get("og:locale", ""),
        meta.metas.get("content-language", ""),
        meta.metas.get("language", ""),
        traf_language or "",
    ):
        sub = re.split(r"[-_]", value.strip())[0].casefold() if value else ""
        if 2 <= len(sub) <= 3 and sub.isalpha():
            return sub
    return None


# --------------------------------------------------------------------------- the step


def _check_input(raw: RawStory, settings: CleanSettings) -> str:
    ctype = (raw.content_type or "").split(";")[0].strip().casefold()
    if ctype and not (ctype in ("text/html", "application/xhtml+xml", "text/plain") or ctype.endswith("+xml")):
        raise ExtractionError("not_html", f"content type {ctype}", raw_id=raw.id, url=raw.url)
    page = raw.html
    if not page.strip():
        raise ExtractionError("empty", "no html", raw_id=raw.id, url=raw.url)
    size = len(page.encode("utf-8", "surrogatepass")) if len(page) * 4 > settings.max_html_bytes else len(page)
    if size > settings.max_html_bytes:
        if not settings.truncate_oversize:
            raise ExtractionError(
                "too_large", f"{size} bytes > cap {settings.max_html_bytes}", raw_id=raw.id, url=raw.url
            )
        page = page.encode("utf-8", "surrogatepass")[: settings.max_html_bytes].decode("utf-8", "ignore")
    if "<" not in page[:4096]:
        raise ExtractionError("not_html", "no markup", raw_id=raw.id, url=raw.url)
    return page


def clean_lines(
    text: str, links: frozenset[str], settings: CleanSettings, boilerplate: SiteBoilerplate | None
) -> list[str]:
    """Normalised body lines without chrome, nav labels or learned boilerplate."""
    out: list[str] = []
    for raw_line in text.splitlines():
        line = normalise_line(raw_line)
        if not line or is_chrome_line(line) or is_nav_line(line, links, settings.max_nav_words):
            continue
        if boilerplate is not None and boilerplate.is_boilerplate(line):
            continue
        out.append(line)
    return out


def clean(
    raw: RawStory,
    *,
    boilerplate: SiteBoilerplate | None = None,
    settings: CleanSettings = DEFAULT_SETTINGS,
) -> CleanArticle:
    """Extract and normalise one page; raises :class:`ExtractionError` with a reason on failure.

    ``boilerplate`` only filters; learning is the caller's job (``boilerplate.observe``), since
    extraction may run in a child process whose state would be lost.
    """
    page = _check_input(raw, settings)
    url = raw.final_url or raw.url
    try:
        tree = load_html(page)
    except (ValueError, TypeError) as exc:  # lxml/trafilatura parse failures
        raise ExtractionError("not_html", str(exc), raw_id=raw.id, url=raw.url) from exc
    if tree is None:
        raise ExtractionError("not_html", "unparseable", raw_id=raw.id, url=raw.url)
    meta = read_page_meta(tree)
    links = link_texts(tree, settings.max_nav_words)

    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        favor_precision=settings.favor_precision,
        include_comments=False,
        include_tables=settings.include_tables,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    body = getattr(doc, "text", None) or ""
    lines = clean_lines(body, links, settings, boilerplate)
    text = "\n".join(lines)
    if len(text) < settings.min_text_chars:
        raise ExtractionError("empty", "no article text", raw_id=raw.id, url=raw.url)

    host = _host(url)
    names = [
        meta.metas.get("og:site_name", ""),
        meta.metas.get("application-name", ""),
        getattr(doc, "sitename", None) or "",
    ]
    for obj in meta.ld:
        pub = obj.get("publisher")
        if isinstance(pub, dict) and isinstance(pub.get("name"), str):
            names.append(pub["name"])
    aliases = site_aliases(host, names)

    canonical = meta.canonical or meta.metas.get("og:url", "")
    canonical = urljoin(url, canonical) if canonical else ""
    if urlsplit(canonical).scheme not in ("http", "https"):
        canonical = url

    title = choose_title(meta, getattr(doc, "title", None) or "", raw.title, aliases)
    authors = choose_authors(meta, getattr(doc, "author", None) or "", raw.authors, aliases)
    published = choose_published(meta, raw.published, getattr(doc, "date", None))
    # The page decides; a news sitemap's news:language (carried in the raw's extra) fills a gap.
    hinted = raw.extra.get("language")
    language = choose_language(meta, getattr(doc, "language", None)) or (
        hinted.casefold() if isinstance(hinted, str) and 2 <= len(hinted) <= 3 and hinted.isalpha() else None
    )

    return CleanArticle(
        # The article key (normalised URL) from ingest: a feed and a sitemap listing one article
        # make one article, whatever guid the feed gave it.
        article_id=stable_id(raw.article_key or raw.guid or raw.url),
        raw_id=raw.id,
        url=url,
        canonical_url=canonical,
        site=host,
        title=title,
        text=text,
        authors=authors,
        published=published,
        language=language,
        guid=raw.guid,
        feed_url=raw.feed_url,
        content_hash=content_hash(text),
    )


def strip_boilerplate(article: CleanArticle, boilerplate: SiteBoilerplate) -> CleanArticle:
    """Re-filter an already cleaned article with a site's learned boilerplate (used by the
    parent process after a pool worker extracted it without site state)."""
    lines = boilerplate.filter(article.text.splitlines())
    if len(lines) == len(article.text.splitlines()):
        return article
    text = "\n".join(lines)
    return replace(article, text=text, content_hash=content_hash(text))
