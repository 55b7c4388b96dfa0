"""One article, one raw record, when a feed and a sitemap of this replica both list it.

A site's feed and its news sitemap announce the same article within minutes of each other.
Both sources key it alike (the normalised URL: ``RawStory.article_key``), and the first to
reach it *claims* it; the other records it as seen without fetching the page again. A claim
lasts ``ttl_s``: a revision seen hours later through either source is fetched as usual.

This is the cheap path, not the guarantee. Claims live in memory, so after a restart, or when
the two sources belong to different replicas (ownership follows the source URL), the second
sighting does make a raw record; it then carries the same article key and page, and the
threading step, whose index is restored from its compacted changelog, decides ``unchanged``:
no second event either way.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class ArticleClaims:
    """Thread-safe, bounded map ``article_key -> (source, claimed at)``."""

    def __init__(
        self, *, ttl_s: float = 3600.0, max_keys: int = 200_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._claims: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def claim(self, article_key: str, source: str) -> bool:
        """True if ``source`` may emit the article: nobody else claimed it within ``ttl_s``."""
        now = self._clock()
        with self._lock:
            held = self._claims.get(article_key)
            if held is not None and held[0] != source and now - held[1] < self.ttl_s:
                return False
            self._claims[article_key] = (source, now)
            self._claims.move_to_end(article_key)
            while len(self._claims) > self.max_keys:
                self._claims.popitem(last=False)
            return True

    def release(self, article_key: str, source: str) -> None:
        """Give a claim back (the page fetch failed and will be retried): another source may
        then reach the article first."""
        with self._lock:
            held = self._claims.get(article_key)
            if held is not None and held[0] == source:
                del self._claims[article_key]
