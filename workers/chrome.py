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
from typing import Any

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
