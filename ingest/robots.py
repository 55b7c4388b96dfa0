"""robots.txt for article page fetches (feeds are meant to be polled; pages are crawled).

Files are fetched through the project's :class:`~ingest.fetch.Fetcher` (same SSRF guard and
limits), parsed with protego and cached per origin with a TTL. Outcomes follow RFC 9309:
a 4xx (no robots.txt) allows everything; when robots.txt is unreachable (5xx, timeout,
connection error) the last good copy keeps applying (RFC 9309 2.4: a cached copy may be
used) and is re-checked after ``error_ttl_s``; only an origin never read successfully falls
back to ``allow_on_error`` (default allow, logged). An outage never turns good rules into
allow-all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from ingest.fetch import Fetcher, FetchError, RobotsDisallowedError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RobotsSettings:
    ttl_s: float = 24 * 3600
    error_ttl_s: float = 600
    allow_on_error: bool = True
    max_hosts: int = 10_000
    # RFC 9309 2.5: a crawler may limit what it parses, to no less than 500 KiB. A file
    # beyond it is read to the limit: 10 MiB of rules took 7-10 s and ~530 MB an origin.
    max_bytes: int = 500 * 1024


@dataclass(frozen=True, slots=True)
class _Entry:
    rules: Protego | None  # None: allow all (404) or the error policy decided
    allow_all: bool
    expires: float


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "/robots.txt", "", ""))


class RobotsCache:
    """Thread-safe; one fetch per origin per TTL even under concurrent callers."""

    def __init__(
        self,
        fetcher: Fetcher,
        settings: RobotsSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self.settings = settings or RobotsSettings()
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._origin_locks: dict[str, threading.Lock] = {}

    def allowed(self, url: str, user_agent: str) -> bool:
        entry = self._entry(robots_url(url))
        if entry.rules is None:
            return entry.allow_all
        return bool(entry.rules.can_fetch(url, user_agent))

    def check(self, url: str, user_agent: str) -> None:
        """Raise :class:`RobotsDisallowedError` (kind ``robots``) if ``url`` is disallowed."""
        if not self.allowed(url, user_agent):
            raise RobotsDisallowedError(url)

    def crawl_delay(self, url: str, user_agent: str) -> float | None:
        """The site's Crawl-delay for us, for the caller to feed into politeness."""
        entry = self._entry(robots_url(url))
        if entry.rules is None:
            return None
        delay = entry.rules.crawl_delay(user_agent)
        return float(delay) if delay is not None else None

    def _entry(self, key: str) -> _Entry:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires > self._clock():
                self._entries.move_to_end(key)
                return entry
            origin_lock = self._origin_locks.setdefault(key, threading.Lock())
        with origin_lock:
            with self._lock:  # another thread may have fetched while we waited
                entry = self._entries.get(key)
                if entry is not None and entry.expires > self._clock():
                    return entry
            entry = self._load(key, entry)
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.settings.max_hosts:
                    old, _ = self._entries.popitem(last=False)
                    self._origin_locks.pop(old, None)
            return entry

    def _load(self, key: str, previous: _Entry | None) -> _Entry:
        s = self.settings
        try:
            result = self._fetcher.fetch(key, accept="text/plain", max_bytes=s.max_bytes, head_only=True)
        except FetchError as exc:
            if exc.kind == "http_error" and exc.status is not None and 400 <= exc.status < 500:
                return _Entry(None, True, self._clock() + s.ttl_s)
            if previous is not None and previous.rules is not None:
                log.warning("robots.txt unavailable, keeping the cached rules: %s", exc)
                return _Entry(previous.rules, previous.allow_all, self._clock() + s.error_ttl_s)
            log.warning("robots.txt unavailable, %s: %s", "allowing" if s.allow_on_error else "disallowing", exc)
            return _Entry(None, s.allow_on_error, self._clock() + s.error_ttl_s)
        body = result.body
        if len(body) >= s.max_bytes:  # cut at the cap: the rules up to its last whole line
            body = body[: body.rfind(b"\n") + 1]
        text = body.decode("utf-8", errors="replace")
        return _Entry(Protego.parse(text), True, self._clock() + s.ttl_s)
