"""Cleaning step: one fetched page (:class:`RawStory`) -> one :class:`CleanedRecord`.

The step composes three concerns that live in their own modules:

- body text from trafilatura, helped where page layouts defeat it (:mod:`workers.body`),
  normalised (:mod:`workers.text`) and stripped of residual page chrome (:mod:`workers.chrome`);
- metadata (title, authors, date, language, canonical URL) from the page's own structured
  signals (:mod:`workers.metadata`), which are more trustworthy than trafilatura's guesses
  (read once per page, as far as they are weighed: :mod:`workers.library_meta`);
- ``content_hash`` over the dateline-free comparable form (:func:`workers.text.content_hash`).

Per-site learned boilerplate is not removed here: extraction may run in a child process whose
learned state would be lost, so the thread stage, the single writer of that state, filters it
(:mod:`workers.boilerplate`, :mod:`workers.threader`).

Page faults are classified (:class:`ExtractionError` ``reason``) so the caller can route them
to a dead-letter topic instead of crashing, and only page faults: the HTML libraries' own
exceptions are caught around the library calls alone, so an exception raised by our code
escapes unclassified and is reported as the bug it is (:mod:`workers.extract_pool`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import trafilatura
from lxml.html import HTMLParser, fromstring
from trafilatura.utils import HTML_PARSER, load_html

from newswire.records import (
    EXTRA_GIVEN_AS_TEXT,
    EXTRA_GIVEN_SITE,
    MAX_SITE_CHARS,
    CleanedRecord,
    RawStory,
    parse_time,
    stable_id,
)
from workers import features
from workers.agencies import agencies_of
from workers.body import continued_text, inline_ruby
from workers.chrome import drop_trailing_headings, is_chrome_line, is_nav_line, link_texts
from workers.library_meta import DATE_PARAMS, LIBRARY_PAGE_FAULTS, LibraryMeta
from workers.metadata import (
    PAGE_META_TAGS,
    body_bylines,
    byline_texts,
    choose_byline,
    choose_canonical,
    choose_language,
    choose_published,
    choose_title,
    drop_headline,
    headline_forms,
    page_elements,
    read_page_meta,
    site_aliases,
    site_host,
    site_names,
)
from workers.text import content_hash, normalise_line

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
    0.960 to 0.964 with trafilatura 2.3.1 and is also faster. ``fast_first`` reads a page with
    trafilatura's main extractor alone and runs its whole cascade (the comparison with
    readability and justext, a third of its time) only on a thin reading (:func:`_thin`): the
    comparison's own conditions for replacing a reading, short (under ``recheck_below_chars``)
    or without paragraph text or more table than paragraph. On the two page corpora (322
    pages) every page the comparison changed had a fast reading under 900 characters, and the
    cleaned records are identical but for one page's text (63 characters of 4,587), in 15% less
    time. A page is extracted twice at most (:func:`_read_body`). Pages above ``max_html_bytes``
    are refused (``too_large``) or, with ``truncate_oversize``, cut to the cap: a cut page may
    lose its ending, which is why refusing is the default.
    """

    max_html_bytes: int = 3_000_000
    truncate_oversize: bool = False
    favor_precision: bool = True
    fast_first: bool = True
    include_tables: bool = True
    min_text_chars: int = 25  # below this what is left is a label or a menu, not an article
    max_nav_words: int = 6
    # a fast reading this short is read again by a whole cascade; precision-mode text this
    # short is suspected of a lost article, read again by the default mode's cascade...
    recheck_below_chars: int = 1500
    recheck_missing_chars: int = 2500  # ...when the page's paragraphs hold this much more


DEFAULT_SETTINGS = CleanSettings()

#: the elements the step reads on the page itself, collected in one walk (the paragraphs for the
#: searches of their text after extraction: :func:`workers.body.continued_text`, :func:`_missing_text`)
_WALKED = (*PAGE_META_TAGS, "a", "ruby", "p")


#: trafilatura's page parser with libxml2's nesting limit raised from 256 to 2048 elements
#: (``huge_tree``; the page's size is capped before). libxml2 stops reading a page at the limit
#: and returns what it read, silently: 260 unclosed ``<span>``s (old ``<font>`` markup) before
#: an article made an event of the filler above it, without the article.
_DEEP_PARSER = HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
)


def _cut_by_depth(parser: HTMLParser) -> bool:
    """Whether ``parser``'s last page stopped at its nesting limit (a fatal error ends the
    parse, so it is the last one logged)."""
    last = parser.error_log.last_error
    return last is not None and last.type_name == "ERR_RESOURCE_LIMIT"


def _check_input(raw: RawStory, settings: CleanSettings) -> str:
    ctype = (raw.content_type or "").split(";")[0].strip().casefold()
    if ctype and not (ctype in ("text/html", "application/xhtml+xml", "text/plain") or ctype.endswith("+xml")):
        raise ExtractionError("not_html", f"content type {ctype}", raw_id=raw.id, url=raw.url)
    page = raw.html
    if not page or page.isspace():  # (not ``strip()``, which copies the page)
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


def clean_lines(text: str, links: frozenset[str], settings: CleanSettings) -> list[str]:
    """Normalised body lines without chrome or nav labels."""
    out: list[str] = []
    for raw_line in text.splitlines():
        line = normalise_line(raw_line)
        if not line or is_chrome_line(line) or is_nav_line(line, links, settings.max_nav_words):
            continue
        out.append(line)
    return out


def _missing_text(paragraphs: Iterable[Any], kept: int, settings: CleanSettings) -> bool:
    """The page's ``<p>`` elements hold an article's worth more text than was kept: over three
    times as much, and at least ``recheck_missing_chars`` more (a story, not a sidebar)."""
    held = sum(len(p.text_content()) for p in paragraphs)
    return held > 3 * kept and held - kept >= settings.recheck_missing_chars


def _no_date() -> str | None:
    """The date guessed from a page that is no page (a record given as text): none."""
    return None


def _extract(
    tree: Any, url: str, raw: RawStory, settings: CleanSettings, *, favor_precision: bool, fast: bool = False
) -> Any:
    """trafilatura's reading of one parsed page (which it does not modify), its page faults
    classified. The text only: trafilatura's metadata is read once per page, apart
    (:class:`~workers.library_meta.LibraryMeta`)."""
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=False,
            favor_precision=favor_precision,
            include_comments=False,
            include_tables=settings.include_tables,
            fast=fast,
        )
    except LIBRARY_PAGE_FAULTS as exc:
        # Raised inside the library on this page's markup: the page cannot be extracted
        # (trafilatura itself discards pages on ValueError/TypeError). Nothing of ours runs
        # in there, so this is not one of our bugs; those propagate and are reported as such.
        raise ExtractionError(
            "not_html", f"trafilatura: {type(exc).__name__}: {exc}", raw_id=raw.id, url=raw.url
        ) from exc
    return doc


def _text(doc: Any) -> str:
    return getattr(doc, "text", None) or ""


def _thin(doc: Any, settings: CleanSettings) -> bool:
    """A fast reading trafilatura's comparison stage might replace, by the stage's own tests: short
    (readability or justext may find the article the main extractor missed), or without paragraph
    text, or more table than paragraph (readability is preferred over such a reading)."""
    if len(getattr(doc, "text", None) or "") < settings.recheck_below_chars:
        return True
    body = getattr(doc, "body", None)
    if body is None:
        return True
    # (the first paragraph with text, not every text node of every paragraph: the whole node
    # set cost 30 s on a page of 100,000 paragraphs)
    return not body.xpath("boolean(.//p[.//text()][1])") or len(body.findall(".//table")) > len(body.findall(".//p"))


def _precision_lost(paragraphs: Iterable[Any], kept: int, settings: CleanSettings) -> bool:
    """Precision mode kept only a fragment of an article the page holds: a short reading
    (under ``recheck_below_chars``) of a page whose ``<p>`` elements hold an article's worth
    more (:func:`_missing_text`). Long readings, most pages, are not suspected, nor short
    ones from pages whose paragraphs hold little more (briefs, teasers). ``paragraphs``: the
    page's ``<p>`` elements."""
    return (
        settings.favor_precision and kept < settings.recheck_below_chars and _missing_text(paragraphs, kept, settings)
    )


def _read_body(tree: Any, paragraphs: Sequence[Any], url: str, raw: RawStory, settings: CleanSettings) -> str:
    """trafilatura's text of the page, in two extractions at most.

    The first reading is trafilatura's main extractor alone (``fast_first``) or its whole
    cascade. A fast reading that is not thin (:func:`_thin`) stands. A thin one is read again,
    by one of two cascades. When precision has lost text (:func:`_precision_lost`), precision
    mode keeps only a fragment of a page the default mode reads whole (a lead paragraph of a
    long story), so the second reading is the default mode's whole cascade (which runs the same
    comparison with readability and justext, and a recall retry besides) and is kept when it is
    much longer (twice as long); otherwise the first reading stands. Else the second reading is
    precision's whole cascade. A first reading by the whole cascade gets the default mode's
    only when precision has lost text. Reading such a page three times (fast, precision's
    cascade, then the default mode's) gave the same records on the two page corpora (322 pages)
    but for two texts, and the default mode's reading is the closer to the article on balance
    (publisher-pages body F1 0.960 -> 0.961): one page loses two photo captions and a "follow
    this category" box, another gains the site's copyright line. On the six pages read three
    times, precision's cascade had kept the fast reading."""
    doc = _extract(tree, url, raw, settings, favor_precision=settings.favor_precision, fast=settings.fast_first)
    body = _text(doc)
    if settings.fast_first and not _thin(doc, settings):
        return body
    if _precision_lost(paragraphs, len(body), settings):
        longer = _text(_extract(tree, url, raw, settings, favor_precision=False))
        return longer if len(longer) >= max(2 * len(body), settings.min_text_chars) else body
    if not settings.fast_first:
        return body
    return _text(_extract(tree, url, raw, settings, favor_precision=settings.favor_precision))


def clean(raw: RawStory, *, settings: CleanSettings = DEFAULT_SETTINGS) -> CleanedRecord:
    """Extract and normalise one page; raises :class:`ExtractionError` with a reason on failure."""
    page = _check_input(raw, settings)
    url = raw.final_url or raw.url
    try:
        tree = load_html(page)
        if tree is not None and _cut_by_depth(HTML_PARSER):
            tree = fromstring(page.encode("utf-8", "surrogatepass"), parser=_DEEP_PARSER)
            if _cut_by_depth(_DEEP_PARSER):
                raise ExtractionError("not_html", "markup nested over 2048 deep", raw_id=raw.id, url=raw.url)
    except LIBRARY_PAGE_FAULTS as exc:  # lxml/trafilatura parse failures
        raise ExtractionError("not_html", f"{type(exc).__name__}: {exc}", raw_id=raw.id, url=raw.url) from exc
    if tree is None:
        raise ExtractionError("not_html", "unparseable", raw_id=raw.id, url=raw.url)
    # one walk of the page for its own readers (metadata, links, ruby), not one each; a page
    # with ruby annotations is walked again once they are inlined, as its elements changed
    found = page_elements(tree, _WALKED)
    if found["ruby"]:
        inline_ruby(tree)
        found = page_elements(tree, _WALKED)
    meta = read_page_meta(tree, found)
    links = link_texts(tree, settings.max_nav_words, found["a"])
    library = LibraryMeta(tree, url, DATE_PARAMS)
    body = _read_body(tree, found["p"], url, raw, settings)
    more = continued_text(tree, body, found["p"])
    if more:
        body = "\n".join((body, *more))
    # A page's site is its URL's host; a record given as text whose URL names none may name its
    # outlet (``EXTRA_GIVEN_SITE``).
    given = raw.extra.get(EXTRA_GIVEN_SITE)
    host = site_host(url) or (given[:MAX_SITE_CHARS] if isinstance(given, str) else "")
    aliases = site_aliases(host, site_names(meta, library.sitename))
    title = choose_title(meta, library.title, raw.title, aliases)
    lines = drop_headline(clean_lines(body, links, settings), headline_forms(meta, title))
    text = "\n".join(drop_trailing_headings(lines))
    # a signature ends a story the way a box title does ("Lê Phương"): bylines are read from
    # the text with its closing lines
    signed = "\n".join(lines)
    if len(text) < settings.min_text_chars:
        # the chrome filters never turn a page trafilatura extracts into a dead letter: when
        # they leave too little, the extracted text stands as it is (normalised)
        text = signed = "\n".join(n for n in (normalise_line(line) for line in body.splitlines()) if n)
    if len(text) < settings.min_text_chars:
        raise ExtractionError("empty", "no article text", raw_id=raw.id, url=raw.url)

    canonical = choose_canonical(meta, url)
    byline = choose_byline(
        meta,
        lambda: library.author,
        raw.authors,
        aliases,
        signed,
        site_names(meta, library.sitename),
        lambda: byline_texts(tree),
        lambda: body_bylines(tree, signed),
    )
    # A record given as text is no page: its text alone is on it, and a date found there is one
    # the article mentions, not its own (``EXTRA_GIVEN_AS_TEXT``).
    guessed = _no_date if raw.extra.get(EXTRA_GIVEN_AS_TEXT) is True else (lambda: library.date)
    published = choose_published(meta, raw.published, guessed, parse_time(raw.fetched_at))
    # The page decides; a news sitemap's news:language (carried in the raw's extra) fills a gap
    # before the detector guesses.
    hinted = raw.extra.get("language")
    # (trafilatura guesses a language only for a page it is asked to keep in one: no guess here)
    language = choose_language(meta, None, text, hint=hinted if isinstance(hinted, str) else None)

    return CleanedRecord(
        # The article key (normalised URL) from ingest: a feed and a sitemap listing one article
        # make one article, whatever guid the feed gave it.
        article_id=stable_id(raw.article_key or raw.guid or raw.url),
        raw_id=raw.id,
        url=url,
        canonical_url=canonical,
        site=host,
        title=title,
        text=text,
        authors=byline.authors,
        credits=byline.credits,
        agencies=agencies_of(byline.credits),
        published=published,
        language=language,
        guid=raw.guid,
        feed_url=raw.feed_url,
        content_hash=content_hash(text, normalised=True),  # (its lines are normalise_line's)
        fetched_at=raw.fetched_at,
        feed_published=raw.published,
        # Computed here, in the parallel extraction processes, not in the single decider.
        features=features.analyse(title, text).to_wire(),
    )
