"""Process pool for extraction: hard per-page timeout, worker recycling, ordered results.

Extraction is CPU-bound (so threads do not help) and trafilatura has no timeout of its own:
a pathological page can keep it busy for minutes and stall a partition. pebble's
``ProcessPool`` kills the worker running a task that exceeds ``timeout`` and starts a fresh
one, so one bad page costs ``timeout_s`` and becomes an ``ExtractionError("timeout")`` for
the dead-letter topic while the next page goes on. ``max_tasks_per_child`` recycles workers
so memory held by lxml/trafilatura caches stays flat over days of running.

``workers=0`` runs inline in the calling process (no timeout enforcement): for tests and
replays, where process start-up would dominate.

Every result is one of three things, and only the second is the page's fault:

- a :class:`~newswire.records.CleanedRecord`;
- an :class:`~workers.clean.ExtractionError`: the page cannot be extracted (classified by the
  extractor, or the page timed out, or killed its worker, or exhausted memory);
- an :class:`InternalError`: our own code raised something it did not classify. That is a bug,
  not a bad page, and it is reported as one (the clean stage logs it with its traceback and
  counts it as ``internal``), never disguised as a page fault.
"""

from __future__ import annotations

import multiprocessing
import resource
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from importlib import import_module
from types import TracebackType
from typing import Self

from pebble import ProcessExpired, ProcessPool

from newswire.records import CleanedRecord, RawStory
from workers.clean import DEFAULT_SETTINGS, CleanSettings, ExtractionError, clean

ExtractFn = Callable[[RawStory, CleanSettings], CleanedRecord]


@dataclass(frozen=True, slots=True)
class InternalError:
    """Extraction raised an exception that no rule classifies: a bug in our code.

    ``traceback`` is formatted where it was raised (in the worker process), so the log shows
    the faulty line, not the pool's plumbing.
    """

    error: str
    traceback: str
    raw_id: str
    url: str


def run_task(fn: ExtractFn, raw: RawStory, settings: CleanSettings) -> CleanedRecord | InternalError:
    """What a worker runs for one page: ``fn``, with an exception of our own code turned into
    an :class:`InternalError` value right where it happened.

    Doing this inside the task is what tells a bug on this page apart from a failure of the
    pool itself (``BrokenProcessPool``, a pool that was stopped): those do not come from the
    page or from extraction, so :meth:`ExtractPool.result` lets them raise and the stage
    retries the batch instead of dead-lettering every page behind them.
    """
    try:
        return fn(raw, settings)
    except (ExtractionError, MemoryError):  # the page's fault; classified by result()
        raise
    except Exception as exc:
        return InternalError(f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc)), raw.id, raw.url)


ExtractResult = CleanedRecord | ExtractionError | InternalError


def warm_worker(memory_bytes: int = 0) -> None:
    """A worker's start: its address space capped at ``memory_bytes`` (``RLIMIT_AS``; 0: not
    capped), so a page that would take more fails with MemoryError, classified as the page's
    (``crashed``: out of memory), instead of the pod being killed for it and the page
    redelivered into the same end; then the fork server's warm-up
    (``workers.extract_warmup``), unless the worker inherited it. A process has one fork
    server, started with the preload of whichever pool starts first: where the poller's feed
    parsers started it (a process running both stages), the server never ran the warm-up, and
    without this each fresh worker would pay it inside its first page's time limit. Inherited,
    the module is already loaded: a no-op."""
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    import_module("workers.extract_warmup")


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
        memory_mb: int = 0,
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
        self.memory_bytes = memory_mb * 1024 * 1024
        self.settings = settings
        self.fn = fn
        # bounded in-flight tasks for map_ordered: keeps memory flat on long inputs
        self.window = window or max(1, workers) * 4
        self._pool: ProcessPool | None = None

    def __enter__(self) -> Self:
        if self.workers > 0:
            # Workers are recycled (max_tasks) while the parent runs Kafka client threads, and
            # forking a threaded parent can copy a held lock into the child. A fork server is a
            # clean single-threaded parent; preloading the extractor keeps each start cheap (and
            # a worker warms itself where another pool started the server: ``warm_worker``).
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["workers.extract_pool", "workers.extract_warmup"])
            self._pool = ProcessPool(
                max_workers=self.workers,
                max_tasks=self.max_tasks_per_child,
                initializer=warm_worker,
                initargs=(self.memory_bytes,),
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

    def submit(self, raw: RawStory) -> Future[CleanedRecord | InternalError]:
        """Schedule one page; the future raises :class:`ExtractionError` (or the pool's
        timeout/expiry errors, which :meth:`result` classifies)."""
        if self._pool is None:
            inline: Future[CleanedRecord | InternalError] = Future()
            try:
                inline.set_result(run_task(self.fn, raw, self.settings))
            except (ExtractionError, MemoryError) as exc:  # classified by result(), like a worker's
                inline.set_exception(exc)
            return inline
        future: Future[CleanedRecord | InternalError] = self._pool.schedule(
            run_task, args=(self.fn, raw, self.settings), timeout=self.timeout_s
        )
        return future

    @staticmethod
    def result(future: Future[CleanedRecord | InternalError], raw: RawStory) -> ExtractResult:
        """The article, a page fault as a classified :class:`ExtractionError`, or a bug as an
        :class:`InternalError`; never raises, so one page cannot stop the stream.

        What counts as a page fault is decided where it is known: the extractor raises
        :class:`ExtractionError` (it also turns failures inside the HTML libraries into one),
        and here only what the pool itself observes is added: the time limit, a dead worker,
        memory exhausted by the page. Anything else (``AttributeError``, ``TypeError``, ...
        from our code) is a bug and is not filed as bad input: :func:`run_task` has already
        made it an :class:`InternalError`. What still raises from here is the pool failing,
        not the page: the caller's batch fails and is retried.
        """
        try:
            return future.result()
        except ExtractionError as exc:
            return exc
        except FutureTimeout:
            return ExtractionError("timeout", "extraction exceeded the time limit", raw_id=raw.id, url=raw.url)
        except ProcessExpired as exc:
            return ExtractionError("crashed", f"worker died: {exc}", raw_id=raw.id, url=raw.url)
        except MemoryError:
            return ExtractionError("crashed", "out of memory", raw_id=raw.id, url=raw.url)

    def map_ordered(self, raws: Iterable[RawStory]) -> Iterator[ExtractResult]:
        """Results in input order, with at most ``window`` pages in flight."""
        pending: list[tuple[RawStory, Future[CleanedRecord | InternalError]]] = []
        for raw in raws:
            pending.append((raw, self.submit(raw)))
            if len(pending) >= self.window:
                head_raw, head = pending.pop(0)
                yield self.result(head, head_raw)
        for raw, future in pending:
            yield self.result(future, raw)
