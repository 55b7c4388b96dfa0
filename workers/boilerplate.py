"""Per-site learned boilerplate: lines that recur on many distinct pages of one site.

Generic extraction removes most chrome, but every site leaks a few lines of its own into
article text ("All news", "Licensing enquiries via our sales desk", a promo strapline).
No fixed list can know them; the site itself gives them away by repeating them. So we count,
per site, on how many *distinct pages* each short line occurs, and treat a line seen on at
least ``min_pages`` pages as boilerplate.

Design choices, and why:

- *Distinct pages, not occurrences*: revisions of one article (same page key) repeat their
  paragraphs; that must not make real text look like chrome.
- *Only short lines are eligible* (``max_words``): chrome is short, while a formulaic sentence
  that a ministry reuses in many readouts is still article content and must stay.
- *Bounded memory*: at most ``max_lines`` tracked lines per site, least recently seen evicted
  first, and at most ``min_pages`` page ids stored per line. Long-running workers stay flat.
- *Plain, serialisable state* (``to_dict``/``from_dict``, JSON-safe): the lead persists it in a
  compacted topic keyed by site and restores it on restart or rebalance.
- Lines are keyed by a stable hash (sha256 of the case- and space-folded line), never
  Python's per-process ``hash()``, so state means the same thing in every worker process.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

STATE_VERSION = 1
_SPACE_RE = re.compile(r"\s+")


def line_key(line: str) -> str:
    """Stable key of a line: sha256 of its NFC, case-folded, space-collapsed form (16 hex chars)."""
    folded = _SPACE_RE.sub(" ", unicodedata.normalize("NFC", line)).strip().casefold()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:16]


def page_key(page: str) -> str:
    """Compact id of a page (its URL or article key) as stored per line."""
    return hashlib.sha256(page.encode("utf-8")).hexdigest()[:12]


@dataclass
class SiteBoilerplate:
    """Boilerplate state of one site: line key -> ids of distinct pages it was seen on."""

    site: str
    min_pages: int = 3
    max_lines: int = 5000
    max_words: int = 16
    lines: OrderedDict[str, list[str]] = field(default_factory=OrderedDict)
    pages_seen: int = 0

    def eligible(self, line: str) -> bool:
        """Whether a line is short enough to ever count as boilerplate."""
        words = len(line.split())
        return 0 < words <= self.max_words

    def observe(self, page: str, lines: Iterable[str]) -> None:
        """Count one page's lines (``page`` is its URL or article key).

        Observing the same page again (a revision, a replay) adds nothing: counts are of
        distinct pages, which also makes observation idempotent under at-least-once delivery.
        """
        pid = page_key(page)
        self.pages_seen += 1
        for key in {line_key(line) for line in lines if self.eligible(line)}:
            pages = self.lines.get(key)
            if pages is None:
                pages = []
                self.lines[key] = pages
            else:
                self.lines.move_to_end(key)
            if pid not in pages and len(pages) < self.min_pages:
                pages.append(pid)
        while len(self.lines) > self.max_lines:
            self.lines.popitem(last=False)

    def is_boilerplate(self, line: str) -> bool:
        """True when this line was seen on at least ``min_pages`` distinct pages of the site."""
        if not self.eligible(line):
            return False
        pages = self.lines.get(line_key(line))
        return pages is not None and len(pages) >= self.min_pages

    def filter(self, lines: Iterable[str]) -> list[str]:
        """The lines that are not boilerplate, in order."""
        return [line for line in lines if not self.is_boilerplate(line)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "site": self.site,
            "min_pages": self.min_pages,
            "max_lines": self.max_lines,
            "max_words": self.max_words,
            "pages_seen": self.pages_seen,
            "lines": [[k, list(v)] for k, v in self.lines.items()],
        }

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> SiteBoilerplate:
        if obj.get("version", STATE_VERSION) != STATE_VERSION:
            raise ValueError(f"unsupported boilerplate state version {obj.get('version')!r}")
        state = cls(
            site=str(obj["site"]),
            min_pages=int(obj.get("min_pages", 3)),
            max_lines=int(obj.get("max_lines", 5000)),
            max_words=int(obj.get("max_words", 16)),
            pages_seen=int(obj.get("pages_seen", 0)),
        )
        for key, pages in obj.get("lines", []):
            state.lines[str(key)] = [str(p) for p in pages][: state.min_pages]
        while len(state.lines) > state.max_lines:
            state.lines.popitem(last=False)
        return state
