"""The article body on the parsed page, where trafilatura's reading of it needs help.

trafilatura reads the article's text well, but two page layouts defeat it, and both are
repaired on the parsed page (``lxml``), around the library's reading:

- ruby annotations (a Japanese name with its reading printed above it) break a paragraph into
  fragments: :func:`inline_ruby` makes them plain inline text before extraction;
- a story split into several containers of one class, one per row of the layout with an
  advertisement between them, is read only up to the first: :func:`continued_text` finds the
  rest after extraction.

Both are pure functions of the page (and the text read), tested without trafilatura
(``tests/workers/test_body.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lxml import etree

_WORDS_RE = re.compile(r"\w+")
#: words of a paragraph's start that identify it on the page
_PROBE_WORDS = 8
#: elements of a continuation container read as the article's paragraphs
_CONTINUED_TAGS = frozenset({"p", "h2", "h3", "h4", "blockquote"})
#: layout wrappers between a story container and the row it repeats in
_MAX_WRAPPERS = 5
#: paragraphs whose text (``text_content()``, the XPath string value) holds a word, in document order
_HOLDING = etree.XPath("descendant-or-self::p[contains(., $word)]")
#: the same of the page's paragraphs when the caller has them (``$paragraphs``, in document order)
_LISTED_HOLDING = etree.XPath("$paragraphs[contains(., $word)]")


def inline_ruby(tree: Any) -> None:
    """Ruby annotations (the reading printed above a Japanese name, ``<ruby>尹錫悦<rt>ユンソンニョル
    </rt></ruby>``) made plain inline text, in place, the reading in full-width parentheses after
    the name as the page's own fallback ``<rp>`` parentheses print it: trafilatura breaks a
    paragraph at each ruby element and drops the reading, which cuts the sentence into fragments."""
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


def _probe(text: str) -> tuple[str, ...]:
    return tuple(_WORDS_RE.findall(text[:200])[:_PROBE_WORDS])


def _same_kind(a: Any, classes: set[str], tag: str) -> bool:
    other = set((a.get("class") or "").split())
    return a.tag == tag and bool(other) and (other <= classes or classes <= other)


def continued_text(tree: Any, body: str, paragraphs: Sequence[Any] | None = None) -> list[str]:
    """Paragraphs of the article that trafilatura left in later containers of the same kind.

    Some pages split the story into several containers of one class ("articleBody"), each in
    its own row of the layout, with an advertisement or a "read more" box between them;
    trafilatura reads the first and stops. The container of the last paragraph it kept is
    found on the page; the paragraphs and subheadings directly inside later containers of the
    same tag and class (or a subset or superset of its classes), in the rows that follow its
    own (up to :data:`_MAX_WRAPPERS` levels up), are the story's continuation. Boxes nested in
    those containers (teasers, ads) are not read.

    ``paragraphs``: the page's ``<p>`` elements (``tree.iter("p")``) when the caller has walked
    the page for them before extraction. The search then reads those paragraphs' text alone:
    after trafilatura's extraction a walk of the whole page finds its nodes out of the
    processor's caches, and costs more than the rest of this function."""
    lines = body.splitlines()
    probe = _probe(lines[-1]) if lines else ()
    if len(probe) < _PROBE_WORDS:
        return []
    first = probe[0]
    try:  # the paragraphs holding the probe's first word, found without reading every paragraph's text
        if paragraphs is None:
            holding = _HOLDING(tree, word=first)
        else:
            holding = _LISTED_HOLDING(tree, paragraphs=paragraphs, word=first)
    except (ValueError, etree.XPathError):
        holding = tree.iter("p") if paragraphs is None else paragraphs
    container = next(
        (p.getparent() for p in holding if first in (t := p.text_content()[:200]) and _probe(t) == probe),
        None,
    )
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
