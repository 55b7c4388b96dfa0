"""Per-host politeness shared by feed and page fetches.

Many feeds live on one host (and every page of a feed does), so limits are per host, not
per feed: at most ``max_concurrency`` requests in flight and at least ``min_interval_s``
between request starts. A Retry-After pushes the host's next allowed start. ``acquire``
returns how long it waited so the caller can record throttle waits as a metric.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class PolitenessSettings:
    max_concurrency: int = 2
    min_interval_s: float = 1.0
    # Idle hosts are forgotten once there are more than this many, to bound memory.
    max_hosts: int = 10_000


class HostBusyError(TimeoutError):
    """The host would not be free within ``max_wait_s``; reschedule instead of blocking."""

    def __init__(self, host: str, wait_s: float) -> None:
        super().__init__(f"host {host} not available for {wait_s:.1f}s")
        self.host = host
        self.wait_s = wait_s


@dataclass(slots=True)
class _Host:
    active: int = 0
    next_start: float = 0.0


def host_key(url_or_host: str) -> str:
    """Politeness key: the lowercased host name (ports and schemes share one server)."""
    if "://" in url_or_host:
        return (urlsplit(url_or_host).hostname or "").lower()
    return url_or_host.lower()


class Politeness:
    """Thread-safe per-host gate. Use ``with politeness.slot(url) as waited: ...``."""

    def __init__(
        self,
        settings: PolitenessSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or PolitenessSettings()
        self._clock = clock
        self._cond = threading.Condition()
        self._hosts: dict[str, _Host] = {}

    def acquire(self, url_or_host: str, *, max_wait_s: float | None = None) -> float:
        """Block until the host may be contacted; return seconds waited.

        Raises :class:`HostBusyError` (taking no slot) if that would take longer than
        ``max_wait_s``, e.g. when a Retry-After pushed the host an hour away.
        """
        key = host_key(url_or_host)
        start = self._clock()
        with self._cond:
            while True:
                now = self._clock()
                h = self._hosts.setdefault(key, _Host())
                if h.active < self.settings.max_concurrency and now >= h.next_start:
                    h.active += 1
                    h.next_start = now + self.settings.min_interval_s
                    return now - start
                # Wait for a release (unknown time) or for next_start (known time).
                until_start = max(0.0, h.next_start - now)
                if max_wait_s is not None:
                    left = max_wait_s - (now - start)
                    if until_start > left or left <= 0:
                        raise HostBusyError(key, until_start if until_start > left else now - start)
                    self._cond.wait(timeout=min(left, until_start) if until_start > 0 else left)
                else:
                    self._cond.wait(timeout=until_start if until_start > 0 else None)

    def release(self, url_or_host: str) -> None:
        key = host_key(url_or_host)
        with self._cond:
            h = self._hosts.get(key)
            if h is not None and h.active > 0:
                h.active -= 1
            self._prune()
            self._cond.notify_all()

    @contextmanager
    def slot(self, url_or_host: str, *, max_wait_s: float | None = None) -> Iterator[float]:
        waited = self.acquire(url_or_host, max_wait_s=max_wait_s)
        try:
            yield waited
        finally:
            self.release(url_or_host)

    def defer(self, url_or_host: str, seconds: float) -> None:
        """Honour Retry-After: no new request to this host for ``seconds`` (never shortens)."""
        key = host_key(url_or_host)
        with self._cond:
            h = self._hosts.setdefault(key, _Host())
            h.next_start = max(h.next_start, self._clock() + max(0.0, seconds))
            self._cond.notify_all()

    def delay(self, url_or_host: str) -> float:
        """Seconds until the host's next allowed start (0 if now), ignoring concurrency."""
        key = host_key(url_or_host)
        with self._cond:
            h = self._hosts.get(key)
            return 0.0 if h is None else max(0.0, h.next_start - self._clock())

    def _prune(self) -> None:
        if len(self._hosts) <= self.settings.max_hosts:
            return
        now = self._clock()
        for key in [k for k, h in self._hosts.items() if h.active == 0 and h.next_start <= now]:
            del self._hosts[key]
