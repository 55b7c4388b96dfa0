"""Imported by the extraction fork server (by each extraction worker where another pool started
that server: ``extract_pool.warm_worker``): one extraction of a small page, at start-up.

trafilatura (with htmldate, courlan and lxml) builds much of its state on first use, which
costs a new process about a second on its first page. Workers are forked from the fork server
and recycled every ``max_tasks_per_child`` pages, so without this every fresh worker would pay
that second inside its first page's time limit (and a loaded machine could turn it into a
spurious ``timeout``). Warmed once here, every forked worker inherits the built state.

That state is then frozen (``gc.freeze``): it lives as long as the worker, and the library's
tables are large (a 154k-word stop-word set, two 104k-entry lists), so each of a worker's full
collections spent ~45 ms walking them (~0.3 ms a page) and wrote to their pages, which then
stopped being shared with the fork server. Frozen, the collector never looks at them.
"""

from __future__ import annotations

import gc
from contextlib import suppress

from trafilatura.utils import load_html

from newswire.records import RawStory
from workers.clean import ExtractionError, clean
from workers.library_meta import LibraryMeta

_SENTENCE = "The council approved the new bridge on Tuesday after a long debate about its cost."
PAGE = (
    '<html lang="en"><head><title>Bridge approved | Example</title>'
    '<meta property="article:published_time" content="2025-01-01T10:00:00Z">'
    '<meta name="author" content="By Ana Lind"></head>'
    f"<body><article><h1>Bridge approved</h1><p>By Ana Lind</p><p>{_SENTENCE}</p>"
    f"<p>{_SENTENCE}</p></article></body></html>"
)

# Best effort: a fork server that failed to start would break the pool, a cold one is only slower.
with suppress(ExtractionError):
    clean(RawStory(id="warmup", url="https://warmup.invalid/a", html=PAGE))
# The page declares its byline and date, so cleaning it never asks trafilatura's own byline
# search or htmldate: they are warmed here, as a page that leaves them open would ask for them.
_library = LibraryMeta(load_html(PAGE), "https://warmup.invalid/a")
_warmed = (_library.author, _library.date)
# What the warm-up left behind is garbage or lives for good: collect the one, freeze the other.
gc.collect()
gc.freeze()
