"""Cleaning step: one fetched page (:class:`RawStory`) -> one :class:`CleanedRecord`.

The step composes three concerns that live in their own modules:

- body text from trafilatura, normalised (:mod:`workers.text`) and stripped of residual page
  chrome (:mod:`workers.chrome`);
- metadata (title, authors, date, language, canonical URL) from the page's own structured
  signals (:mod:`workers.metadata`), which are more trustworthy than trafilatura's guesses;
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

import re
from dataclasses import dataclass
from typing import Any, Literal

import trafilatura
from lxml.etree import LxmlError
from trafilatura.utils import load_html

from newswire.records import CleanedRecord, RawStory, stable_id
from workers import features
from workers.agencies import agencies_of
from workers.chrome import drop_trailing_headings, is_chrome_line, is_nav_line, link_texts
from workers.metadata import (
    body_bylines,
    byline_texts,
    choose_byline,
    choose_canonical,
    choose_language,
    choose_published,
    choose_title,
    drop_headline,
    headline_forms,
    read_page_meta,
    site_aliases,
    site_host,
    site_names,
)
from workers.text import content_hash, normalise_line

ErrorReason = Literal["too_large", "empty", "timeout", "not_html", "crashed"]

#: What the HTML libraries raise when a page defeats them; caught only around library calls.
_LIBRARY_PAGE_FAULTS = (ValueError, TypeError, RecursionError, LxmlError)


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
    time. Pages above ``max_html_bytes``
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
    # a fast reading this short gets the whole cascade; precision-mode text this short is
    # checked once without precision...
    recheck_below_chars: int = 1500
    recheck_missing_chars: int = 2500  # ...when the page's paragraphs hold this much more


DEFAULT_SETTINGS = CleanSettings()


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


def clean_lines(text: str, links: frozenset[str], settings: CleanSettings) -> list[str]:
    """Normalised body lines without chrome or nav labels."""
    out: list[str] = []
    for raw_line in text.splitlines():
        line = normalise_line(raw_line)
        if not line or is_chrome_line(line) or is_nav_line(line, links, settings.max_nav_words):
            continue
        out.append(line)
    return out


_WORDS_RE = re.compile(r"\w+")
#: words of a paragraph's start that identify it on the page
_PROBE_WORDS = 8
#: elements of a continuation container read as the article's paragraphs
_CONTINUED_TAGS = frozenset({"p", "h2", "h3", "h4", "blockquote"})
#: layout wrappers between a story container and the row it repeats in
_MAX_WRAPPERS = 5


def _probe(text: str) -> tuple[str, ...]:
    return tuple(_WORDS_RE.findall(text[:200])[:_PROBE_WORDS])


def _same_kind(a: Any, classes: set[str], tag: str) -> bool:
    other = set((a.get("class") or "").split())
    return a.tag == tag and bool(other) and (other <= classes or classes <= other)


def continued_text(tree: Any, body: str) -> list[str]:
    """Paragraphs of the article that trafilatura left in later containers of the same kind.

    Some pages split the story into several containers of one class ("articleBody"), each in
    its own row of the layout, with an advertisement or a "read more" box between them;
    trafilatura reads the first and stops. The container of the last paragraph it kept is
    found on the page; the paragraphs and subheadings directly inside later containers of the
    same tag and class (or a subset or superset of its classes), in the rows that follow its
    own (up to :data:`_MAX_WRAPPERS` levels up), are the story's continuation. Boxes nested in
    those containers (teasers, ads) are not read."""
    lines = body.splitlines()
    probe = _probe(lines[-1]) if lines else ()
    if len(probe) < _PROBE_WORDS:
        return []
    container = next((p.getparent() for p in tree.iter("p") if _probe(p.text_content()) == probe), None)
    if container is None or not (classes := set((container.get("class") or "").split())):
        return []
    tag = container.tag
    row = container
    for _ in range(_MAX_WRAPPERS):
        rows = [r for r in row.itersiblings() if r.tag == row.tag and r.get("class") == row.get("class")]
        parts = [c for r in rows for c in r.iter(tag) if _same_kind(c, classes, tag)]
        if parts:
            return [t for c in parts for t in (el.text_content().strip() for el in c if el.tag in _CONTINUED_TAGS) if t]
        row = row.getparent()
        if row is None:
            break
    return []


def _missing_text(tree: Any, kept: int, settings: CleanSettings) -> bool:
    """The page's ``<p>`` elements hold an article's worth more text than was kept: over three
    times as much, and at least ``recheck_missing_chars`` more (a story, not a sidebar)."""
    held = sum(len(p.text_content()) for p in tree.iter("p"))
    return held > 3 * kept and held - kept >= settings.recheck_missing_chars


def _extract(
    tree: Any,
    url: str,
    raw: RawStory,
    settings: CleanSettings,
    *,
    favor_precision: bool,
    with_metadata: bool = True,
    fast: bool = False,
) -> Any:
    """trafilatura over one parsed page (which it does not modify), its page faults classified."""
    try:
        return trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=with_metadata,
            favor_precision=favor_precision,
            include_comments=False,
            include_tables=settings.include_tables,
            fast=fast,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except _LIBRARY_PAGE_FAULTS as exc:
        # Raised inside the library on this page's markup: the page cannot be extracted
        # (trafilatura itself discards pages on ValueError/TypeError). Nothing of ours runs
        # in there, so this is not one of our bugs; those propagate and are reported as such.
        raise ExtractionError(
            "not_html", f"trafilatura: {type(exc).__name__}: {exc}", raw_id=raw.id, url=raw.url
        ) from exc


def _thin(doc: Any, settings: CleanSettings) -> bool:
    """A fast reading trafilatura's comparison stage might replace, by the stage's own tests: short
    (readability or justext may find the article the main extractor missed), or without paragraph
    text, or more table than paragraph (readability is preferred over such a reading)."""
    if len(getattr(doc, "text", None) or "") < settings.recheck_below_chars:
        return True
    body = getattr(doc, "body", None)
    if body is None:
        return True
    return not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p"))


def _inline_ruby(tree: Any) -> None:
    """Ruby annotations (the reading printed above a Japanese name, ``<ruby>尹錫悦<rt>ユンソンニョル
    </rt></ruby>``) made plain inline text, the reading in full-width parentheses after the name as the
    page's own fallback ``<rp>`` parentheses print it: trafilatura breaks a paragraph at each ruby element and drops
    the reading, which cuts the sentence into fragments."""
    for ruby in list(tree.iter("ruby")):
        base = "".join(t for el in ruby.iter() if el.tag in ("ruby", "rb") for t in (el.text or "",))
        base += "".join(child.tail or "" for child in ruby)
        reading = "".join("".join(rt.itertext()) for rt in ruby.iter("rt")).strip()
        tail = ruby.tail
        ruby.clear()
        ruby.tag, ruby.text, ruby.tail = (
            "span",
            f"{base.strip()}\uff08{reading}\uff09" if reading else base.strip(),
            tail,
        )


def clean(raw: RawStory, *, settings: CleanSettings = DEFAULT_SETTINGS) -> CleanedRecord:
    """Extract and normalise one page; raises :class:`ExtractionError` with a reason on failure."""
    page = _check_input(raw, settings)
    url = raw.final_url or raw.url
    try:
        tree = load_html(page)
    except _LIBRARY_PAGE_FAULTS as exc:  # lxml/trafilatura parse failures
        raise ExtractionError("not_html", f"{type(exc).__name__}: {exc}", raw_id=raw.id, url=raw.url) from exc
    if tree is None:
        raise ExtractionError("not_html", "unparseable", raw_id=raw.id, url=raw.url)
    _inline_ruby(tree)
    meta = read_page_meta(tree)
    links = link_texts(tree, settings.max_nav_words)

    doc = _extract(tree, url, raw, settings, favor_precision=settings.favor_precision, fast=settings.fast_first)
    if settings.fast_first and _thin(doc, settings):
        doc = _extract(tree, url, raw, settings, favor_precision=settings.favor_precision)
    body = getattr(doc, "text", None) or ""
    short = len(body)
    if settings.favor_precision and short < settings.recheck_below_chars and _missing_text(tree, short, settings):
        # Precision mode sometimes keeps only a fragment of a page the default mode reads whole
        # (a lead paragraph of a long story): a short result is checked once without it, and
        # the longer reading kept when it is much longer. Long results, most pages, are not,
        # nor short ones from pages whose paragraphs hold little more (briefs, teasers).
        # The text only: the metadata of the first reading stands.
        again = _extract(tree, url, raw, settings, favor_precision=False, with_metadata=False)
        longer = getattr(again, "text", None) or ""
        if len(longer) >= max(2 * short, settings.min_text_chars):
            body = longer
    more = continued_text(tree, body)
    if more:
        body = "\n".join((body, *more))
    host = site_host(url)
    aliases = site_aliases(host, site_names(meta, getattr(doc, "sitename", None) or ""))
    title = choose_title(meta, getattr(doc, "title", None) or "", raw.title, aliases)
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
        getattr(doc, "author", None) or "",
        raw.authors,
        aliases,
        signed,
        site_names(meta, getattr(doc, "sitename", None) or ""),
        lambda: byline_texts(tree),
        lambda: body_bylines(tree, signed),
    )
    published = choose_published(meta, raw.published, getattr(doc, "date", None))
    # The page decides; a news sitemap's news:language (carried in the raw's extra) fills a gap
    # before the detector guesses.
    hinted = raw.extra.get("language")
    language = choose_language(
        meta, getattr(doc, "language", None), text, hint=hinted if isinstance(hinted, str) else None
    )

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
        content_hash=content_hash(text),
        fetched_at=raw.fetched_at,
        feed_published=raw.published,
        # Computed here, in the parallel extraction processes, not in the single decider.
        features=features.analyse(title, text).to_wire(),
    )
