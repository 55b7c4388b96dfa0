"""Feed parsing with a hard time and memory limit, in recycled child processes.

feedparser is pure Python with no timeout; some shapes of input cost it seconds to minutes
and hundreds of megabytes (the pre-parse guard in :mod:`ingest.feeds` refuses the known ones,
this is the bound for the unknown ones). A poller parses in its own process, so one hostile
feed would otherwise stall a pool thread, and with it a share of every other feed's polls, or
take the daemon down with it. Here a parse runs in a pebble worker that is killed past
``timeout_s`` and whose address space is capped at ``memory_mb`` (``RLIMIT_AS``): the feed's
poll fails as ``parse_error`` with kind ``timeout`` / ``out_of_memory`` / ``crashed`` and the
next feed goes on. The same design as the workers' extraction pool; ingest keeps its own copy
because ingest never imports workers.

``processes=0`` parses inline (tests, ``make run`` on tiny machines): the guard still
applies, the hard bound does not.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Self

from pebble import ProcessExpired, ProcessPool

from ingest.feeds import FeedParseError, ParsedFeed, parse_feed


def _limit_memory(memory_bytes: int) -> None:
    """Worker initializer: cap the address space, so a runaway parse fails with MemoryError
    (or is killed) instead of pushing the node into swap."""
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def parse_bounded(data: bytes, max_entries: int | None) -> ParsedFeed:
    """The task run in a worker: :func:`parse_feed`, with resource exhaustion classified."""
    try:
        return parse_feed(data, max_entries)
    except MemoryError:
        raise FeedParseError("out_of_memory", "feed parse exceeded the memory limit") from None
    except RecursionError:
        raise FeedParseError("too_complex", "feed nested too deep for the parser") from None


class FeedParserPool:
    """``with FeedParserPool(processes=1, timeout_s=20, memory_mb=1024) as p: p.parse(body)``.

    Thread-safe: the poller's threads share one pool; the processes start on first use.
    """

    def __init__(
        self,
        processes: int = 1,
        timeout_s: float = 20.0,
        memory_mb: int = 1024,
        max_entries: int | None = None,
        max_tasks_per_child: int = 200,
    ) -> None:
        if processes < 0 or timeout_s <= 0:
            raise ValueError("processes must be >= 0 and timeout_s > 0")
        self.processes = processes
        self.timeout_s = timeout_s
        self.memory_bytes = memory_mb * 1024 * 1024
        self.max_entries = max_entries
        self.max_tasks_per_child = max_tasks_per_child
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _started(self) -> ProcessPool:
        with self._lock:
            if self._closed:
                raise RuntimeError("feed parser pool is closed")
            if self._pool is None:
                # A fork server: the poller runs Kafka client threads, and forking a threaded
                # parent can copy a held lock into the child.
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["ingest.feeds"])
                self._pool = ProcessPool(
                    max_workers=self.processes,
                    max_tasks=self.max_tasks_per_child,
                    initializer=_limit_memory,
                    initargs=(self.memory_bytes,),
                    context=context,
                )
            return self._pool

    def parse(self, data: bytes) -> ParsedFeed:
        """Parse ``data``; raise :class:`FeedParseError` for every way a feed can be unusable."""
        if self.processes == 0:
            return parse_bounded(data, self.max_entries)
        future = self._started().schedule(parse_bounded, args=(data, self.max_entries), timeout=self.timeout_s)
        try:
            result: ParsedFeed = future.result()
        except FeedParseError:
            raise
        except FutureTimeout:
            raise FeedParseError("timeout", f"feed parse exceeded {self.timeout_s:g}s") from None
        except ProcessExpired as exc:
            # Killed for memory (the kernel or the allocator gave up) or crashed outright.
            raise FeedParseError("crashed", f"feed parse process died: {exc}") from None
        except BrokenProcessPool as exc:
            # A worker died outside the task (its input alone was over the memory limit): the
            # pool is unusable, so it is dropped and the next parse starts a fresh one.
            self._discard()
            raise FeedParseError("crashed", f"feed parse pool broke: {exc}") from None
        except MemoryError:
            raise FeedParseError("out_of_memory", "feed parse exceeded the memory limit") from None
        return result

    def _discard(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()  # type: ignore[no-untyped-call]
            pool.join()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()  # type: ignore[no-untyped-call]
            pool.join()
