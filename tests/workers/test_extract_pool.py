"""The pool survives a page that never finishes and keeps input order."""

from __future__ import annotations

import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest

from newswire.records import CleanedRecord, RawStory
from tests.support.extraction import assert_warm_and_frozen, collector_state
from workers.clean import CleanSettings, ExtractionError, clean
from workers.extract_pool import ExtractPool, InternalError

BODY = "<p>" + "The council approved the plan after a long debate on Tuesday evening. " * 3 + "</p>"


def _raw(i: int, html: str | None = None) -> RawStory:
    page = html if html is not None else f"<html><body><article><h1>Story {i}</h1>{BODY}</article></body></html>"
    return RawStory(id=f"r{i}", url=f"https://x.example/{i}", html=page)


def slow_on_marker(raw: RawStory, settings: CleanSettings) -> CleanedRecord:
    """Test task: a page whose id starts with "slow" runs far beyond the pool's timeout."""
    if raw.id.startswith("slow"):
        time.sleep(60)
    return clean(raw, settings=settings)


def test_inline_mode_orders_and_classifies() -> None:
    raws = [_raw(0), _raw(1, html="   "), _raw(2)]
    with ExtractPool(workers=0, timeout_s=1, max_tasks_per_child=10) as pool:
        out = list(pool.map_ordered(raws))
    assert isinstance(out[0], CleanedRecord) and out[0].raw_id == "r0"
    assert isinstance(out[1], ExtractionError) and out[1].reason == "empty"
    assert isinstance(out[2], CleanedRecord) and out[2].raw_id == "r2"


@pytest.mark.timeout(60)
def test_timeout_kills_slow_task_and_pool_continues() -> None:
    slow = RawStory(id="slow-1", url="https://x.example/slow", html="<html><body><p>x</p></body></html>")
    raws = [_raw(0), slow, *[_raw(i) for i in range(1, 6)]]
    started = time.monotonic()
    with ExtractPool(workers=2, timeout_s=2.0, max_tasks_per_child=2, fn=slow_on_marker) as pool:
        out = list(pool.map_ordered(raws))
        after = pool.result(pool.submit(_raw(99)), _raw(99))
    assert time.monotonic() - started < 30
    assert [type(o).__name__ for o in out] == ["CleanedRecord", "ExtractionError"] + ["CleanedRecord"] * 5
    assert [o.raw_id for o in out] == ["r0", "slow-1", "r1", "r2", "r3", "r4", "r5"]
    err = out[1]
    assert isinstance(err, ExtractionError) and err.reason == "timeout" and err.raw_id == "slow-1"
    assert isinstance(after, CleanedRecord)  # workers were recycled (max_tasks=2) and still serve


def test_errors_cross_the_process_boundary_with_reason() -> None:
    with ExtractPool(workers=1, timeout_s=10, max_tasks_per_child=5) as pool:
        out = list(pool.map_ordered([_raw(1, html="%PDF"), _raw(2)]))
    assert isinstance(out[0], ExtractionError) and out[0].reason == "not_html" and out[0].url.endswith("/1")
    assert isinstance(out[1], CleanedRecord)


def buggy_extract(raw: RawStory, settings: CleanSettings) -> CleanedRecord:
    """Test task: extraction with a bug of ours (the kind the pool must not call a bad page)."""
    article = clean(raw, settings=settings)
    return article.authors.first  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("workers", [0, 1])
def test_a_bug_is_an_internal_error_with_its_traceback_and_a_bad_page_is_a_page_fault(workers: int) -> None:
    unparseable = _raw(1, html="<!-- -->")  # lxml finds no document in it: trafilatura gives up
    with ExtractPool(workers=workers, timeout_s=10, max_tasks_per_child=5, fn=buggy_extract) as pool:
        bug, fault = pool.map_ordered([_raw(0), unparseable])
    assert isinstance(fault, ExtractionError) and fault.reason == "not_html" and fault.raw_id == "r1"
    assert isinstance(bug, InternalError) and bug.raw_id == "r0" and bug.url.endswith("/0")
    assert bug.error.startswith("AttributeError: 'tuple' object has no attribute 'first'")
    # the traceback points at the faulty line, also when it was raised in a worker process
    assert "in buggy_extract" in bug.traceback and "article.authors.first" in bug.traceback


def test_a_failing_pool_is_not_blamed_on_the_page_nor_filed_as_a_bug() -> None:
    # Neither the page's fault nor a bug on this page: the batch must fail and be retried,
    # not dead-letter every page behind it.
    broken: Future[CleanedRecord | InternalError] = Future()
    broken.set_exception(BrokenProcessPool("All workers expired"))
    with pytest.raises(BrokenProcessPool):
        ExtractPool.result(broken, _raw(0))


def test_the_fork_servers_warmup_page_runs_the_whole_extraction() -> None:
    from workers import extract_warmup

    record = clean(RawStory(id="w", url="https://warmup.invalid/a", html=extract_warmup.PAGE))
    assert (record.title, record.authors, record.published) == (
        "Bridge approved",
        ("Ana Lind",),
        "2025-01-01T10:00:00Z",
    )


def test_a_worker_starts_with_the_warmed_library_state_kept_out_of_its_collections() -> None:
    """What the warm-up built (the library's tables, our modules) is frozen, by the fork server
    or, where another pool started that server, by the worker at its start; so a worker's full
    collections walk only what its own pages leave behind, whichever worker (a recycled one
    included) takes the page."""
    with ExtractPool(workers=1, timeout_s=30, max_tasks_per_child=1, fn=collector_state) as pool:
        states = [pool.submit(_raw(i)).result() for i in range(2)]
    assert_warm_and_frozen(states)  # type: ignore[arg-type]


@pytest.mark.timeout(120)
def test_a_page_past_the_memory_cap_is_out_of_memory_and_the_pool_goes_on() -> None:
    """An extraction process's address space is capped (``worker.extract_memory_mb``): 700,000
    ``<br>`` in 3.5 MB of page took 1.5 GB, under a pod limit of 1 GiB. Past the cap the page
    is the page's fault (``crashed``: out of memory, or the worker dies), not the pod's OOM
    kill; the next page is served."""
    hungry = _raw(1, html="<html><body><div>" + "<br>" * 700_000 + "</div></body></html>")
    with ExtractPool(workers=1, timeout_s=60, max_tasks_per_child=5, memory_mb=512) as pool:
        out = list(pool.map_ordered([hungry, _raw(2)]))
    assert isinstance(out[0], ExtractionError) and out[0].reason == "crashed", out[0]
    assert isinstance(out[1], CleanedRecord)
