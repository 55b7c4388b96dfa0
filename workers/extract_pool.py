"""Process pool for extraction: hard per-page timeout, worker recycling, ordered results.

Extraction is CPU-bound (so threads do not help) and trafilatura has no timeout of its own:
a pathological page can keep it busy for minutes and stall a partition. pebble's
``ProcessPool`` kills the worker running a task that exceeds ``timeout`` and starts a fresh
one, so one bad page costs ``timeout_s`` and becomes an ``ExtractionError("timeout")`` for
the dead-letter topic while the next page goes on. ``max_tasks_per_child`` recycles workers
so memory held by lxml/trafilatura caches stays flat over days of running.

``workers=0`` runs inline in the calling process (no timeout enforcement): for tests and
replays, where process start-up would dominate.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from types import TracebackType
from typing import Self

from pebble import ProcessExpired, ProcessPool

from newswire.records import CleanedRecord, RawStory
from workers.clean import DEFAULT_SETTINGS, CleanSettings, ExtractionError, clean

ExtractFn = Callable[[RawStory, CleanSettings], CleanedRecord]


def extract_one(raw: RawStory, settings: CleanSettings) -> CleanedRecord:
    """The default task: :func:`workers.clean.clean` (site boilerplate is the thread stage's)."""
    return clean(raw, settings=settings)


class ExtractPool:
    """``with ExtractPool(workers=2, timeout_s=20, max_tasks_per_child=500) as pool: ...``

    ``fn`` must be a picklable top-level function; tests inject a deliberately slow one.
    """

    def __init__(
        self,
        workers: int = 2,
        timeout_s: float = 30.0,
        max_tasks_per_child: int = 500,
        *,
        settings: CleanSettings = DEFAULT_SETTINGS,
        fn: ExtractFn = extract_one,
        window: int | None = None,
    ) -> None:
        if workers < 0:
            raise ValueError("workers must be >= 0")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.workers = workers
        self.timeout_s = timeout_s
        self.max_tasks_per_child = max_tasks_per_child
        self.settings = settings
        self.fn = fn
        # bounded in-flight tasks for map_ordered: keeps memory flat on long inputs
        self.window = window or max(1, workers) * 4
        self._pool: ProcessPool | None = None

    def __enter__(self) -> Self:
        if self.workers > 0:
            # Workers are recycled (max_tasks) while the parent runs Kafka client threads, and
            # forking a threaded parent can copy a held lock into the child. A fork server is a
            # clean single-threaded parent; preloading the extractor keeps each start cheap.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["workers.clean"])
            self._pool = ProcessPool(
                max_workers=self.workers,
                max_tasks=self.max_tasks_per_child,
                context=context,
            )
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers; running tasks are cancelled (their pages will be redelivered)."""
        if self._pool is not None:
            self._pool.stop()  # type: ignore[no-untyped-call]
            self._pool.join()
            self._pool = None

    def submit(self, raw: RawStory) -> Future[CleanedRecord]:
        """Schedule one page; the future raises :class:`ExtractionError` (or the pool's
        timeout/expiry errors, which :meth:`result` classifies)."""
        if self._pool is None:
            inline: Future[CleanedRecord] = Future()
            try:
                inline.set_result(self.fn(raw, self.settings))
            except Exception as exc:  # classified by result(), like a worker's failure
                inline.set_exception(exc)
            return inline
        future: Future[CleanedRecord] = self._pool.schedule(self.fn, args=(raw, self.settings), timeout=self.timeout_s)
        return future

    @staticmethod
    def result(future: Future[CleanedRecord], raw: RawStory) -> CleanedRecord | ExtractionError:
        """The article, or the failure as a classified :class:`ExtractionError` (never raises
        for a per-page problem: one bad page must not stop the stream)."""
        try:
            return future.result()
        except ExtractionError as exc:
            return exc
        except FutureTimeout:
            return ExtractionError("timeout", "extraction exceeded the time limit", raw_id=raw.id, url=raw.url)
        except ProcessExpired as exc:
            return ExtractionError("crashed", f"worker died: {exc}", raw_id=raw.id, url=raw.url)
        except (RecursionError, MemoryError, ValueError, TypeError, AttributeError) as exc:
            # trafilatura/lxml bugs on odd markup: a page problem, not a worker problem
            return ExtractionError("not_html", f"{type(exc).__name__}: {exc}", raw_id=raw.id, url=raw.url)

    def map_ordered(self, raws: Iterable[RawStory]) -> Iterator[CleanedRecord | ExtractionError]:
        """Results in input order, with at most ``window`` pages in flight."""
        pending: list[tuple[RawStory, Future[CleanedRecord]]] = []
        for raw in raws:
            pending.append((raw, self.submit(raw)))
            if len(pending) >= self.window:
                head_raw, head = pending.pop(0)
                yield self.result(head, head_raw)
        for raw, future in pending:
            yield self.result(future, raw)
