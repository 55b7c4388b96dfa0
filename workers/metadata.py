"""Page metadata: what a page says about itself, and the choice of title, authors, date, language.

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

Every ``choose_*`` function is a pure decision over :class:`PageMeta` and plain strings.
"""

from __future__ import annotations

import email.utils
import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import py3langid
from lxml import etree

from newswire.records import after_fetch, parse_time
from workers.agencies import agencies_of, agency_of, credit_line_agencies
from workers.bylines import Byline, read_byline, squash_name, strip_labels
from workers.text import fold_chars, is_timestamp_line, normalise_line, replacement_pairs


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What the page says about itself in structured form (metas, JSON-LD, headings)."""

    metas: dict[str, str]
    canonical: str
    html_lang: str
    title_tag: str
    h1: tuple[str, ...]
    ld: tuple[dict[str, Any], ...]
    meta_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the article's heading(s) when every ``<h1>`` is navigation (:func:`_in_navigation`)
    headings: tuple[str, ...] = ()


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


# parts of a headline element that are not the headline: the kicker above it, screen-reader text
_KICKER_RE = re.compile(
    r"overline|kicker|eyebrow|dachzeile|topline|roofline|spitzmarke|offscreen|sr-only|visually-hidden"
)
# byline markup: a class naming an author or byline ("article__author", "Byline"), schema.org
# and rel markup, and links to an author's page ("von <a href='/autoren/name/max-kolter'>");
# searched on the attributes rather than on every element (the parents of the attributes that
# match), which halves the cost for the class and takes a third off the whole search. Each
# branch takes its first ``$n`` matches before the step to their parents: libxml2 merges node
# sets with a duplicate check per node, and a page of 80,000 byline-classed elements took 10 s
# in the parent step of its whole node set (of which 32 are used), 0.04 s now
_BYLINE_XPATH = etree.XPath(
    " | ".join(
        f"({branch})[position() <= $n]/.."
        for branch in (
            "//@class[contains(., 'uthor') or contains(., 'yline')]",
            "//@itemprop[.='author']",
            "//@rel[.='author']",
            "//a/@href[contains(., '/autor') or contains(., '/author') or contains(., '/journalist')]",
        )
    )
)
# bylines of other articles (teasers), of comments, and photo credits ("Foto: REUTERS") are not the article's
_NOT_ARTICLE_RE = re.compile(
    r"teaser|related|recommend|comment|footer|sidebar|promo|newsletter|caption|photo|image|media|gallery", re.I
)
_MAX_BYLINE_ELEMENTS = 8


def display_text(text: str) -> str:
    """Text as the page shows it: entities decoded, NFC, invisible characters (soft hyphens,
    zero-width spaces) dropped, whitespace collapsed; quotes and dashes kept as printed."""
    text = html.unescape(text)
    if not text.isascii():  # (ASCII text is NFC and holds no invisible character)
        text = fold_chars(unicodedata.normalize("NFC", text), _INVISIBLE)
    return " ".join(text.split())


_INVISIBLE = replacement_pairs(dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff")))


def _headline_text(h: Any) -> str:
    """An ``<h1>``'s visible headline: without a kicker or screen-reader span inside it."""
    parts: list[str] = []
    skip: set[Any] = set()
    for el in h.iter():
        if el in skip or not isinstance(el.tag, str):
            continue
        if el is not h and _KICKER_RE.search(el.get("class") or ""):
            skip.update(el.iter())
            if el.tail:
                parts.append(el.tail)
            continue
        if el.text:
            parts.append(el.text)
        if el is not h and el.tail and el.getparent() is not None:
            parts.append(el.tail)
    return display_text(" ".join(parts))


# the article's heading when the page's <h1> is navigation: an <h2> in the article's header or
# heading group, or one marked as the headline ("itemprop=headline", a "headline" class on it or
# on a span in it)
_HEADING_XPATH = etree.XPath(
    "//article//header//h2 | //hgroup/h2"
    " | //h2[@itemprop='headline' or contains(@class, 'headline') or *[contains(@class, 'headline')]]"
)
_MAX_HEADINGS = 3


def _is_heading(h2: Any) -> bool:
    """An ``<h2>`` :data:`_HEADING_XPATH` selects, told from the element and its surroundings
    (the ``<h2>``s come from the walk of the page that found its ``<h1>``s: a second search of
    the whole page costs more than this on a page with a navigation ``<h1>``)."""
    if h2.get("itemprop") == "headline" or "headline" in (h2.get("class") or ""):
        return True
    if any(isinstance(c.tag, str) and "headline" in (c.get("class") or "") for c in h2):
        return True
    parent = h2.getparent()
    if parent is not None and parent.tag == "hgroup":
        return True
    ancestors = h2.iterancestors()
    # in a <header> that is in an <article>: an <article> above the nearest <header> is above any
    return any(a.tag == "header" for a in ancestors) and any(a.tag == "article" for a in ancestors)


def _in_navigation(h: Any) -> bool:
    """An ``<h1>`` in a ``<nav>`` bar or a breadcrumb trail: the page's name in the site's
    navigation (often the SEO title), not the headline the article shows."""
    return any(el.tag == "nav" or "breadcrumb" in (el.get("class") or "").casefold() for el in (h, *h.iterancestors()))


def byline_texts(tree: Any) -> tuple[str, ...]:
    """Texts of the page's byline elements (author markup, links to author pages), outside
    teasers, comments and photo credits. A search of the whole page: :func:`choose_byline`
    asks for it only when the structured sources leave the byline open."""
    out: list[str] = []
    try:
        found = _BYLINE_XPATH(tree, n=_MAX_BYLINE_ELEMENTS * 4)
    except (ValueError, TypeError, etree.XPathError):
        return ()
    for el in found[: _MAX_BYLINE_ELEMENTS * 4]:
        if el.tag in ("meta", "link", "script", "style", "html", "body", "article", "main") or _NOT_ARTICLE_RE.search(
            el.get("class") or ""
        ):
            continue
        if any(
            a.tag in ("aside", "footer", "nav", "figure", "figcaption", "picture")
            or _NOT_ARTICLE_RE.search(a.get("class") or "")
            for a in el.iterancestors()
        ):
            continue
        name = el.find(".//*[@itemprop='name']")
        text = normalise_line((name if name is not None else el).text_content())
        if 2 <= len(text) <= 160 and text not in out:
            out.append(text)
        if len(out) >= _MAX_BYLINE_ELEMENTS:
            break
    return tuple(out)


# a paragraph that is one emphasised run and nothing else: "<p><strong>Jane Doe</strong></p>"
_EMPHASIS_XPATH = etree.XPath("//p[count(*)=1][strong or b or em or i]")
#: lines at the start and at the end of the article where a byline set as a paragraph stands
_BODY_BYLINE_HEAD, _BODY_BYLINE_TAIL, _BODY_BYLINE_CHARS = 3, 2, 80


def body_bylines(tree: Any, text: str) -> tuple[str, ...]:
    """Bylines set as a paragraph of the article: a paragraph wholly in bold or italics, among
    the first or the last lines of the extracted text, as small pages without byline markup
    print them ("<p><strong>Jane Doe</strong></p>" above the story, "<p><em>IN-Redaktion</em></p>"
    under it). Whether it names someone is for :func:`choose_byline` to say."""
    lines = [line for line in text.splitlines() if line.strip()]
    ends = {
        line for line in (*lines[:_BODY_BYLINE_HEAD], *lines[-_BODY_BYLINE_TAIL:]) if len(line) <= _BODY_BYLINE_CHARS
    }
    if not ends:
        return ()
    out: list[str] = []
    for p in _EMPHASIS_XPATH(tree):
        line = normalise_line(p.text_content())
        if line in ends and line not in out and normalise_line(p[0].text_content()) == line:
            out.append(line)
    return tuple(out)


#: the kinds of element :func:`read_page_meta` reads
PAGE_META_TAGS = ("meta", "link", "title", "h1", "h2", "script")


def page_elements(tree: Any, tags: Iterable[str]) -> dict[str, list[Any]]:
    """The page's elements of these kinds, each kind in document order, found in one walk of
    the page: each walk of a page's elements costs as much as reading what it finds, so the
    cleaning step collects what its readers need in a single one."""
    found: dict[str, list[Any]] = {tag: [] for tag in tags}
    for el in tree.iter(*found):
        found[el.tag].append(el)
    return found


def read_page_meta(tree: Any, found: Mapping[str, list[Any]] | None = None) -> PageMeta:
    """Collect metas (every value of a repeated one), canonical link, ``<html lang>``,
    ``<title>``, ``<h1>``s and JSON-LD objects. ``found``: the page's elements of the kinds
    read here (:data:`PAGE_META_TAGS`, :func:`page_elements`) when the caller has walked the
    page for them already."""
    if found is None:
        found = page_elements(tree, PAGE_META_TAGS)
    metas: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for m in found["meta"]:
        key = (m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv") or "").strip()
        content = (m.get("content") or "").strip()
        if key and content:
            metas.setdefault(key.casefold(), content)
            values.setdefault(key.casefold(), []).append(content)
    canonical = ""
    for link in found["link"]:
        if "canonical" in (link.get("rel") or "").casefold().split() and link.get("href"):
            canonical = link.get("href", "").strip()
            break
    title_el = next((t for t in found["title"] if t is not tree), None)  # as ``find(".//title")``
    title_tag = display_text(title_el.text_content()) if title_el is not None else ""
    h1_els = found["h1"]
    h1 = tuple(t for t in (_headline_text(h) for h in h1_els) if t)
    # the article's own heading matters only when the page spends its <h1>s on navigation
    headings: tuple[str, ...] = ()
    if h1_els and all(_in_navigation(h) for h in h1_els):
        marked = [h for h in found["h2"] if _is_heading(h)]  # as ``_HEADING_XPATH(tree)``
        headings = tuple(t for t in (_headline_text(h) for h in marked[:_MAX_HEADINGS]) if t)
    ld: list[dict[str, Any]] = []
    for script in found["script"]:
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
    return PageMeta(
        metas,
        canonical,
        html_lang,
        title_tag,
        h1,
        tuple(ld),
        {k: tuple(v) for k, v in values.items()},
        headings,
    )


def _ld_str(ld: Iterable[dict[str, Any]], key: str) -> str:
    for obj in ld:
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, list) and value and isinstance(value[0], str):
            return value[0].strip()
    return ""


def site_host(url: str) -> str:
    """The article's site as events name it: the URL's host, case-folded, without ``www.``."""
    host = (urlsplit(url).hostname or "").casefold()
    return host[4:] if host.startswith("www.") else host


def site_names(meta: PageMeta, extracted_sitename: str) -> list[str]:
    """Names the site gives itself: ``og:site_name``, application name, trafilatura's site
    name, the JSON-LD publisher (for :func:`site_aliases`). A "name" of more than a few words
    is a page title some pages put there (trafilatura falls back to the ``WebPage`` name), not
    the site's: taken for one, it would make the headline itself look like the site's name."""
    names = [
        meta.metas.get("og:site_name", ""),
        meta.metas.get("application-name", ""),
        extracted_sitename,
    ]
    for obj in meta.ld:
        pub = obj.get("publisher")
        if isinstance(pub, dict) and isinstance(pub.get("name"), str):
            names.append(pub["name"])
    return [n for n in names if len(n.split()) <= _MAX_SITE_NAME_WORDS]


#: words in a site's name at most ("Frankfurter Allgemeine Zeitung", "The New York Times")
_MAX_SITE_NAME_WORDS = 6


def choose_canonical(meta: PageMeta, url: str) -> str:
    """The page's canonical link (or ``og:url``) resolved against ``url``; ``url`` itself when
    the page names none or names something that is not a web address."""
    canonical = meta.canonical or meta.metas.get("og:url", "")
    try:
        canonical = urljoin(url, canonical) if canonical else ""
        scheme = urlsplit(canonical).scheme
    except ValueError:  # "http://[oops": the page's link is broken, the article is not
        return url
    return canonical if scheme in ("http", "https") else url


# --------------------------------------------------------------------------- titles

_TITLE_SEP_RE = re.compile(r"\s+(?:\||-|\u2013|\u2014|::|·|•|»|«|/|:)\s+")
_PIPE_SEPS = frozenset({"|", "::", "·", "•", "»", "«"})
_ALNUM_RE = re.compile(r"[\W_]+")


@lru_cache(maxsize=4096)  # the same site names and title segments are squashed over and over
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


def strip_site_name(
    title: str, aliases: frozenset[str], sections: frozenset[str] = frozenset(), *, keep_pipes: bool = False
) -> str:
    """Remove site-name (and known section) segments from either end of a title.

    Only whole separator-delimited segments are removed, only from the ends, and never the
    last remaining one, so a headline that merely mentions its publisher is kept intact.
    ``keep_pipes``: the title is a marked-up headline, where a "|" belongs to the headline.
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
    if not keep_pipes and len(parts) > 1 and any(s in _PIPE_SEPS for s in seps):
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


def _plausible_headline(text: str, aliases: frozenset[str]) -> bool:
    """Long enough to be a headline and not the site's own name (a logo ``<h1>``)."""
    if not text or _is_site_segment(text, aliases):
        return False
    return len(text.split()) >= 3 or len(text) >= 8


_KICKER_SEP_RE = re.compile(r"^(?P<kicker>.{2,60}?)(?::|\s[-\u2013\u2014|]|\s/)\s+(?P<rest>.+)$")


def _is_kicker_of(full: str, headline: str) -> bool:
    """``full`` is ``headline`` with a kicker in front ("Olympia: Headline")."""
    found = _KICKER_SEP_RE.match(full)
    if found is None:
        return False
    return _squash(found.group("rest")) == _squash(headline) and len(_squash(headline)) >= 12


def _has_suffix_segment(full: str, headline: str) -> bool:
    """``full`` is ``headline`` and a separator-delimited segment after it ("Headline - Section");
    a colon does not count: what follows one is the headline's second half."""
    parts, seps = _split_title(full)
    return any(seps[i - 1] != ":" and _squash(" ".join(parts[:i])) == _squash(headline) for i in range(1, len(parts)))


def _ellipsis_head(text: str) -> str:
    return text[:-3] if text.endswith("...") else text[:-1] if text.endswith("\u2026") else ""


#: words of a social headline that is a part of the marked-up one (not a fragment of it)
_MIN_PART_WORDS = 4


def choose_title(meta: PageMeta, traf_title: str, feed_title: str, aliases: frozenset[str]) -> str:
    """The headline the page shows, in the page's own typography.

    The visible headline beats the SEO ones: JSON-LD ``headline`` (the headline the
    publisher marks up for the article), then the article's ``<h1>`` when another candidate
    agrees with it, then ``og:title``/``twitter:title``/trafilatura/``<title>``/the feed, each
    with site-name and section segments stripped. Kickers inside the ``<h1>`` are not part of
    it; quotes and dashes stay as printed (:func:`display_text`).
    """
    sections = frozenset(
        _squash(s) for s in (meta.metas.get("article:section", ""), meta.metas.get("og:section", "")) if s
    )
    h1s = [h for h in meta.h1 if _plausible_headline(h, aliases)]
    shown = {_squash(h) for h in h1s}

    def stripped(text: str) -> str:
        # a segment the visible headline shows too ("BUDGET 3.0 | Headline") is the headline's
        return text if _squash(text) in shown else strip_site_name(text, aliases, sections)

    others = [
        stripped(display_text(c))
        for c in (
            meta.metas.get("og:title", ""),
            meta.metas.get("twitter:title", ""),
            traf_title,
            meta.title_tag,
            feed_title,
        )
        if c and c.strip()
    ]
    social = [stripped(display_text(meta.metas.get(k, ""))) for k in ("og:title", "twitter:title") if meta.metas.get(k)]
    ld = display_text(_ld_str(meta.ld, "headline"))
    # a page whose <h1> is navigation (meta.headings is only read then) shows its headline in
    # the article's heading. When the JSON-LD headline is the navigation's text, it is the SEO
    # title, not what the article shows: the article heading the og:title (the headline written
    # for readers sharing the article) confirms is the headline
    og = social[0] if meta.metas.get("og:title") else ""
    if og and meta.headings and _squash(ld) in {_squash(h) for h in meta.h1}:
        for heading in meta.headings:
            if _squash(heading) == _squash(og) and _plausible_headline(og, aliases):
                return og
    if _plausible_headline(ld, aliases):
        ld = stripped(ld)
        head = _squash(_ellipsis_head(ld))
        for h in h1s:  # a JSON-LD headline cut short ("...") is completed by the <h1>
            if head and _squash(h).startswith(head):
                return h
        # the <h1> shows a kicker in front of it ("<span>Kicker</span>Headline") and another
        # source gives that whole <h1> ("Kicker / Headline"): the page prints the kicker as part
        # of the headline, and the declared text keeps the punctuation the spans lose
        for cand in others:
            if _is_kicker_of(cand, ld) and any(_squash(h) == _squash(cand) for h in h1s):
                return cand
        # "Kicker: Headline" where another source gives "Headline": the kicker is the label
        # printed above the headline, not part of it
        for cand in others:
            if len(cand) < len(ld) and _is_kicker_of(ld, cand):
                return cand
        # the social headline as a part of it ("MSV-Interimstrainer X: ..." / "Interimstrainer X:
        # ...", or without a trailing clause): the headline without what the page adds around it
        for cand in social:
            if len(cand.split()) >= _MIN_PART_WORDS and len(cand) < len(ld) and _squash(cand) in _squash(ld):
                return cand
        return ld
    agreed = [c for c in others if sum(_squash(o) == _squash(c) for o in others) >= 2]
    # an <h1> that equals, or is a separator-delimited head or tail of, a candidate is the headline;
    # when its words equal a declared headline's, the declared text is kept: an <h1> built of
    # spans (kicker, headline) loses the punctuation between them in its text
    for cand in others:
        for h in h1s:
            if _squash(h) == _squash(cand):
                return cand
    for cand in others:
        for h in h1s:
            if len(_squash(h)) >= 12 and (_is_kicker_of(cand, h) or _has_suffix_segment(cand, h)):
                return h
    if len(h1s) == 1 and (len(h1s[0].split()) >= 4 or not others) and not agreed:
        return strip_site_name(h1s[0], aliases, sections)
    if agreed:
        return agreed[0]
    return others[0] if others else (h1s[0] if h1s else "")


def headline_forms(meta: PageMeta, title: str) -> frozenset[str]:
    """The headline as the body may repeat it: the chosen title and the page's ``<h1>``s, folded
    (:func:`_squash`) for :func:`drop_headline`."""
    return frozenset(f for f in (_squash(t) for t in (title, *meta.h1)) if len(f) >= 8)


#: the headline repeated above the story, a kicker and a timestamp with it: at most this many lines
_MAX_HEADLINE_LINES = 3


def drop_headline(lines: list[str], forms: frozenset[str]) -> list[str]:
    """The body without the headline trafilatura sometimes keeps as its first line, nor a
    timestamp line above the story: they are the event's ``title`` and ``published``, not
    paragraphs of its ``text``. Never the last line."""
    start = 0
    while start < min(_MAX_HEADLINE_LINES, len(lines) - 1) and (
        _squash(lines[start]) in forms or is_timestamp_line(lines[start])
    ):
        start += 1
    return lines[start:]


# --------------------------------------------------------------------------- bylines

# author metas, most specific first; a meta may repeat ("article:author" once per author)
_AUTHOR_METAS = (
    "author",
    "article:author",
    "og:article:author",
    "article:byline",
    "byl",
    "dc.creator",
    "dcterms.creator",
    "parsely-author",
    "sailthru.author",
    "cxenseparse:author",
    "articleauthor",
)


def _ld_name(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        name = item.get("name")
        if isinstance(name, list):
            name = " ".join(str(n) for n in name)
        return html.unescape(name) if isinstance(name, str) else ""
    return ""


# a content system's administrator account ("/author/admin/"), named after the site or its
# operator: whoever pressed "publish", not who wrote the article
_ACCOUNT_RE = re.compile(
    r"/(?:authors?|autor(?:en)?|users?|profiles?)/(?:admin|administrator|webmaster|root)\d*/?$", re.I
)


def _is_site_account(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    return any(
        isinstance(v, str) and _ACCOUNT_RE.search(v.split("#")[0].split("?")[0])
        for v in (item.get("@id"), item.get("url"))
    )


def _ld_byline(ld: Iterable[dict[str, Any]], site: frozenset[str]) -> Byline:
    """JSON-LD ``author`` (people and organisations, told apart by ``@type`` and by name) and
    ``sourceOrganization``, from the first article object that names an author."""
    for obj in ld:
        value = obj.get("author") or obj.get("creator")
        items = value if isinstance(value, list) else [value] if value else []
        authors: list[str] = []
        credits: list[str] = []
        sources = [(item, False) for item in items] + [(obj.get("sourceOrganization"), True)]
        for item, always_org in sources:
            name = _ld_name(item)
            if not name or _is_site_account(item):
                continue
            types = _ld_types(item) if isinstance(item, dict) else set()
            typed_org = always_org or (bool(types) and not types & {"person"})
            found = read_byline([name], typed_org=typed_org, site=site, split=not typed_org)
            authors.extend(a for a in found.authors if a not in authors)
            credits.extend(c for c in found.credits if c not in credits)
        if authors or credits:
            return Byline(tuple(authors), tuple(credits))
    return Byline()


def _site_names_squashed(aliases: frozenset[str], names: Iterable[str]) -> frozenset[str]:
    return aliases | {squash_name(n) for n in names if n}


def choose_byline(
    meta: PageMeta,
    traf_author: Callable[[], str],
    feed_authors: Iterable[str],
    aliases: frozenset[str],
    text: str = "",
    site_names: Iterable[str] = (),
    page_bylines: Callable[[], Iterable[str]] = tuple,
    paragraph_bylines: Callable[[], Iterable[str]] = tuple,
) -> Byline:
    """People (``authors``) and organisations (``credits``) the page credits.

    Sources in order of trust: JSON-LD ``author``/``sourceOrganization``, author metas, a
    byline set as a paragraph of the article (``paragraph_bylines``, e.g. :func:`body_bylines`),
    the visible byline (``page_bylines``, e.g. :func:`byline_texts` of the page), trafilatura's
    byline (``traf_author``, called only when reached: it may cost trafilatura a page search),
    the feed. The first source that names a person or an organisation other than the site
    itself wins; a site crediting only itself ("ORF.at", "Salzburger Nachrichten") keeps that
    credit when no source names anyone else. Agencies named in any source, or in the article's
    dateline or credit line ("(AP) —", "© dpa"), are credited too: for a wire pipeline that is
    the most useful byline there is.
    """
    site = _site_names_squashed(aliases, site_names)
    sources: list[Callable[[], Byline]] = [
        lambda: _ld_byline(meta.ld, site),
        lambda: read_byline([v for k in _AUTHOR_METAS for v in meta.meta_values.get(k, ())], site=site),
        lambda: _paragraph_byline(paragraph_bylines(), site),
        lambda: _dom_byline(page_bylines(), site),
        lambda: read_byline([a.replace(";", ",")] if (a := traf_author()) else [], site=site),
        lambda: read_byline(list(feed_authors), site=site),
    ]
    chosen: Byline | None = None
    own: tuple[str, ...] = ()
    read: list[Byline] = []
    for source in sources:  # in order, and only as far as needed: the visible byline costs a page search
        found = source()
        read.append(found)
        others = [c for c in found.credits if squash_name(c) not in site]
        if found.authors or others:
            chosen = found
            break
        own = own or found.credits
    result = chosen or Byline((), own)
    # a site's credit to itself adds nothing to the people it names
    credits = [c for c in result.credits if not (result.authors and squash_name(c) in site)]
    known = set(agencies_of(credits + list(result.authors)))
    extra = [c for found in read[:4] for c in found.credits if agency_of(c)]
    for credit in [*extra, *credit_line_agencies(text)]:
        key = agency_of(credit)
        if key and key not in known:
            known.add(key)
            credits.append(credit)
    return Byline(result.authors, tuple(credits))


_NOT_NAME_LINE_RE = re.compile(r"[©\d]|[.!?:]$")


def _paragraph_byline(lines: Iterable[str], site: frozenset[str]) -> Byline:
    """A paragraph that is a byline and nothing else: names that make up (nearly) the whole
    line, so an emphasised lead sentence or a "Read more" label is not taken for one."""
    for line in lines:
        # a copyright or a sentence ("Das Gespräch führte Peter Hanselmann.") is not a byline
        if _NOT_NAME_LINE_RE.search(line) or any(len(w) > 3 and w.islower() for w in line.split()):
            continue
        found = read_byline([line], site=site)
        named = sum(len(squash_name(n)) for n in (*found.authors, *found.credits))
        if found and named >= 0.8 * len(squash_name(strip_labels(line))):
            return found
    return Byline()


def _dom_byline(texts: Iterable[str], site: frozenset[str]) -> Byline:
    """The visible byline: the first byline element that names someone."""
    for text in texts:
        found = read_byline([text], site=site)
        if found:
            return found
    return Byline()


def split_authors(raw: Iterable[str], aliases: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Person names from author strings ("By A and B", "A, B; C"); organisations, emails and
    places dropped (see :mod:`workers.bylines`)."""
    return read_byline(raw, site=aliases).authors


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


# A date some content systems write as an epoch timestamp (seconds, or milliseconds as
# JavaScript counts them) in their date metas: read as one only within these years, so that a
# ten-digit id in a date field is not taken for a day. (Digits that read as an ISO 8601 basic
# date, "2018042010", are read so first.)
_EPOCH = re.compile(r"\d{10}(?:\d{3})?")
_EPOCH_YEARS = range(1995, 2100)
# A clock of twelve hours ("8:00 PM", "8 p.m."), which RFC 2822 does not write.
_TWELVE_HOUR = re.compile(r"\d\s*[ap]\.?\s?m\b\.?", re.I)


def _other_date(text: str) -> datetime | None:
    """A date written in a form other than ISO 8601 that pages, feeds and backfill files use:
    RFC 2822 (``Fri, 20 Apr 2018 10:00:00 GMT``, as RSS and many ``pubdate`` metas write it,
    with its own offset; ``-0000`` is an unknown zone, so naive) or an epoch timestamp in UTC."""
    if _EPOCH.fullmatch(text):
        when = datetime.fromtimestamp(int(text) / (1000 if len(text) == 13 else 1), UTC)
        return when if when.year in _EPOCH_YEARS else None
    if _TWELVE_HOUR.search(text):
        # RFC 2822 has no AM or PM, and ``parsedate`` passes over them: "March 9, 2026 8:00 PM"
        # read as 08:00, twelve hours early. No date here, rather than a wrong one.
        return None
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):  # parsedate's ways of saying "no date"
        return None


def normalise_date(value: str | None) -> str | None:
    """ISO 8601: aware datetimes with the page's own UTC offset (so the day is the day the page
    shows: "2025-01-14T01:28:54+09:00" is the 14th in Tokyo, not the 13th), UTC as ``Z``, naive
    datetimes as given, dates as YYYY-MM-DD. Read from ISO 8601, RFC 2822 or an epoch
    timestamp (:func:`_other_date`); anything else is no date (None), nor is a time the
    stages cannot place (``parse_time``: the calendar's first and last years)."""
    found = _normalised(value)
    return found if found is not None and parse_time(found) is not None else None


def _normalised(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            other = _other_date(text)
            if other is None:
                return None
            dt = other
    else:
        if len(text) <= 10:
            return dt.date().isoformat()
    if dt.tzinfo is not None and dt.utcoffset() == timedelta(0):
        return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return dt.isoformat()


def not_after(value: str | None, fetched: datetime | None) -> str | None:
    """``value`` (a :func:`normalise_date` result), or None when it lies after the page was
    ``fetched`` (:func:`~newswire.records.after_fetch`): a page fetched on 7 May 2024 was not
    published in 2099. Dates without an offset read as UTC, a day as its start."""
    when = parse_time(value)
    return None if when is not None and after_fetch(when, fetched) else value


def choose_published(
    meta: PageMeta, feed_published: str | None, traf_date: Callable[[], str | None], fetched: datetime | None = None
) -> str | None:
    """Page's explicit date, else the feed's, else trafilatura/htmldate's heuristic guess (read
    only then: htmldate searches the page). A date more than ``FUTURE_TOLERANCE`` after the
    page was ``fetched`` is passed over: one page dated 2099 would otherwise carry the event
    time every story's expiry follows past the whole window (a record without a fetch time,
    such as a backfill line, is taken at its word)."""
    for candidate in (_ld_str(meta.ld, "datePublished"), *(meta.metas.get(k, "") for k in _DATE_KEYS)):
        found = not_after(normalise_date(candidate), fetched)
        if found:
            return found
    return not_after(normalise_date(feed_published), fetched) or not_after(normalise_date(traf_date()), fetched)


def choose_language(meta: PageMeta, traf_language: str | None, text: str = "", hint: str | None = None) -> str | None:
    """Primary language subtag from ``<html lang>``, JSON-LD, ``og:locale`` or content-language;
    when the page says nothing, the publisher's word from elsewhere (``hint``: a news sitemap's
    ``news:language``), and only then a guess from the text (:func:`detect_language`)."""
    for value in (
        meta.html_lang,
        _ld_str(meta.ld, "inLanguage"),
        meta.metas.get("og:locale", ""),
        meta.metas.get("content-language", ""),
        meta.metas.get("language", ""),
        traf_language or "",
        hint or "",
    ):
        sub = re.split(r"[-_]", value.strip())[0].casefold() if value else ""
        if 2 <= len(sub) <= 3 and sub.isalpha():
            return sub
    return detect_language(text)


#: characters of text the detector reads: enough for a confident guess, bounded cost
_DETECT_CHARS = 2000

# The detector's model is loaded here, at import, not on the first page that needs it: loading
# takes a second or more, which on a page would eat into the extraction timeout of a fresh
# worker process. The extract pool's fork server imports the cleaning step once and every
# worker inherits the loaded model.
py3langid.classify("newswire")


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text`` by py3langid, whose model ships inside the package (no
    download at run time); None for text too short to tell."""
    sample = text[:_DETECT_CHARS]
    if sum(ch.isalpha() for ch in sample) < 20:
        return None
    code, _score = py3langid.classify(sample)
    return str(code) or None
