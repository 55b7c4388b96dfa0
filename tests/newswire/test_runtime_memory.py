"""``release_free_memory``: the heap a take-over's decoded records leave free goes back to the OS."""

from __future__ import annotations

import gc
import sys

import pytest

from newswire.runtime import release_free_memory


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; glibc's malloc_trim")
def test_freed_heap_held_by_the_process_is_handed_back() -> None:
    # 150,000 records of 2 KB each come from malloc's heap (too big for Python's own arenas, too
    # small for their own mappings); one record kept past them pins the top, so freeing the rest
    # leaves holes the process keeps, as a restore's garbage does.
    records = [bytes(2048) for _ in range(150_000)]
    pin = bytes(2048)
    del records
    gc.collect()
    held = _rss()
    assert release_free_memory()
    assert held - _rss() > 200 * 2**20  # of the ~300 MiB freed, most is returned
    assert len(pin) == 2048
