"""Extraction pool probes shared by the pool's tests and the fork-server test: a task that
reports a worker's collector state, and the check that the warm-up's state is frozen in it."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence

from newswire.records import CleanedRecord, RawStory
from workers.clean import CleanSettings, clean


def collector_state(raw: RawStory, settings: CleanSettings) -> CleanedRecord:
    """Test task: what the worker's collector holds, after cleaning the page as usual: the
    objects frozen out of its walks and those it still tracks."""
    clean(raw, settings=settings)
    return (gc.get_freeze_count(), len(gc.get_objects()))  # type: ignore[return-value]


def assert_warm_and_frozen(states: Iterable[Sequence[int]]) -> None:
    """Each worker's ``collector_state``: the warm-up's state frozen (tens of thousands of
    objects), and what the collector still walks a small part of it."""
    for frozen, tracked in states:
        assert frozen > 10_000 and tracked < frozen / 4
