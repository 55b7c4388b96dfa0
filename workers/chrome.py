"""Page chrome: lines that are text of the page, not of the article.

trafilatura removes most page furniture, but what it leaves is recognisable on sight: share
bars ("Share: Facebook Twitter Email"), cookie notices, UI labels ("Advertisement", "Read
more"), and lines that are the whole text of a short link on the same page (menu items and
breadcrumbs such as the TASS page's "All news"). These are fixed word lists and one link
lookup; what a single site repeats on every page is learned per site instead
(:mod:`workers.boilerplate`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml.etree import tostring

from workers.text import normalise_line

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
# a pointer to another article ("Read also: ...", "Les også: ...", "MORE : ..."): a label, a colon
# and the other article's headline, in the languages of the pages we read
_POINTER_RE = re.compile(
    r"^(?:read also|also read|see also|read more|more|related|lesen sie auch|lesen sie mehr|mehr zum thema"
    r"|auch interessant|les også|les mer|læs også|læs mere|läs också|läs mer|lue myös|lire aussi|à lire aussi"
    r"|voir aussi|leia também|leia mais|lee también|leer más|leggi anche|czytaj też|czytaj także|lees ook"
    r"|читайте также|читайте також|ayr\u0131ca okuyun)\s*:\s*\S",
    re.I,
)
# the publisher's call to follow, sign up or send tips, under every article of the site
_CALL_RE = re.compile(
    r"^(?:(?:follow|like)\s+(?:us|[\w.-]+(?:\s+[\w.-]+){0,3})\s+on\s+(?:google news|twitter|facebook|x|instagram"
    r"|linkedin|whatsapp|telegram|youtube|tiktok|threads|bluesky)\b"
    r"|sign up (?:for|to)\b.*\b(?:newsletters?|news|updates|deals|inbox)\b"
    r"|got a (?:story|news tip)\b|for more stories like this\b)",
    re.I,
)
_MAX_CALL_WORDS = 40
_COOKIE_RE = re.compile(r"\bcookies?\b", re.I)
_COOKIE_CTX_RE = re.compile(r"\b(we use|use of|accept|consent|policy|settings|preferences|browsing)\b", re.I)
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def is_chrome_line(line: str) -> bool:
    """Share bars, cookie notices, UI labels, pointers to other articles and the site's calls
    to follow it: text of the page, not of the article."""
    folded = line.casefold().strip(" .:!")
    if folded in _UI_LINES:
        return True
    # The words are split out only for a line that opens like chrome: most lines are the
    # article's sentences, and none of the tests below can hold for them.
    first = _WORD_RE.search(folded)
    social = first is not None and first.group() in _SOCIAL
    share = _SHARE_RE.match(line) is not None
    call = _CALL_RE.match(line) is not None
    # (the case-insensitive search is costly: only a line with "cook" in it can hold "cookie")
    cookie = "cook" in folded and _COOKIE_RE.search(line) is not None and _COOKIE_CTX_RE.search(line) is not None
    if len(line) <= 200 and _POINTER_RE.match(line):
        return True
    if not (social or share or call or cookie):
        return False
    words = _WORD_RE.findall(folded)
    if social and len(words) >= 2 and all(w in _SOCIAL for w in words):
        return True
    if share and len(words) <= 14 and sum(w in _SOCIAL for w in words) >= 2:
        return True
    if call and len(words) <= _MAX_CALL_WORDS:
        return True
    return cookie and len(words) <= 60


_SENTENCE_END = (".", "!", "?", '"', "'", ":", ";")


#: words of a link text worth keeping: a menu label or another article's headline
_MAX_LINK_WORDS = 40
_TEASER_MIN_WORDS = 3
_TEASER_LABEL_WORDS = 3


def link_texts(tree: Any, max_words: int, anchors: Iterable[Any] | None = None) -> frozenset[str]:
    """Case-folded texts of the page's links: menus, breadcrumbs, tag lists (up to ``max_words``
    words) and other articles' headlines (longer ones, for :func:`is_nav_line`'s teaser lists).
    ``anchors``: the page's ``<a>`` elements when the caller has walked the page for them."""
    out: set[str] = set()
    limit = max(max_words, _MAX_LINK_WORDS)
    # menus repeat: each text once; the text serialisation is the same string as
    # ``text_content()`` (no tail, no comments) made at a third less cost, a page holding ~200
    # links; a link without child nodes (most) is its text, read without serialising
    for raw in {
        tostring(a, method="text", encoding="unicode", with_tail=False) if len(a) else a.text
        for a in (tree.iter("a") if anchors is None else anchors)
    }:
        text = normalise_line(raw or "")
        if text and len(text.split()) <= limit:
            out.add(text.casefold())
    return frozenset(out)


def is_nav_line(line: str, links: frozenset[str], max_words: int) -> bool:
    """A short line that is exactly a link's whole text and reads as a label, not a sentence;
    or a list item that is a whole link: a list of other articles ("- Headline elsewhere")."""
    if line.startswith("- ") and len(line.split()) > _TEASER_MIN_WORDS:
        item = line[2:].casefold()
        label, colon, rest = item.partition(": ")  # "- Archäologie: <a>Headline elsewhere</a>"
        if item in links or (colon and len(label.split()) <= _TEASER_LABEL_WORDS < len(rest.split()) and rest in links):
            return True
    # (more than ``max_words`` words: a split that stops after them tells, not a list of all of
    # a paragraph's words)
    if len(line.split(None, max_words)) > max_words or line.endswith(_SENTENCE_END):
        return False
    return line.casefold() in links


#: words of a heading-like line: a sidebar's title ("Beiträge aus dem Forum", "Weiterführende Links")
_MAX_HEADING_WORDS = 5
_MAX_HEADING_CHARS = 40
#: box titles in a run at least: one closing short line may be a signature or a credit line
#: ("Reporting by Jane Doe"), which belongs to the story
_MIN_BOX_TITLES = 2
_CLOSED = (".", "!", "?", '"', "'", ")", "“", "”", "»", "。")


def _heading_like(line: str) -> bool:
    return len(line) <= _MAX_HEADING_CHARS and len(line.split()) <= _MAX_HEADING_WORDS and not line.endswith(_CLOSED)


def drop_trailing_headings(lines: list[str]) -> list[str]:
    """The body without the heading-like lines it ends on: short lines that close no sentence,
    with no paragraph after them. A subheading belongs to the story when a paragraph follows it;
    a run of them at the end is the titles of the boxes beside or below the story (forum posts,
    share prices, related links) that trafilatura kept without their content. Never the first
    line."""
    end = len(lines)
    while end > 1 and _heading_like(lines[end - 1]):
        end -= 1
    return lines[:end] if len(lines) - end >= _MIN_BOX_TITLES else lines
