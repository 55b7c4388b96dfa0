"""The feed parsers' and the extractors' pools share a process's one fork server (``newswire
run`` runs both stages in one process): extraction workers start warm even where the feed
parsers started it with their own preload."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.extraction import assert_warm_and_frozen

REPO = Path(__file__).resolve().parents[2]

# In a fresh interpreter (a process's fork server is started once, by the first pool that needs
# it): the poller's feed parsers start it with their own preload, then the extractors' pool runs
# two pages, the second in a recycled worker, each reporting its collector's state.
SCRIPT = """
import json
from ingest.parse_pool import FeedParserPool
from newswire.records import RawStory
from tests.support.extraction import collector_state
from workers.extract_pool import ExtractPool

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>a</title><link>https://x.example/a</link></item></channel></rss>"
)
BODY = "The council approved the plan after a long debate. " * 3
PAGE = f"<html><body><article><h1>Story</h1><p>{BODY}</p></article></body></html>"

with FeedParserPool(processes=1, timeout_s=30) as feeds:
    parsed = feeds.parse(FEED)
    with ExtractPool(workers=1, timeout_s=60, max_tasks_per_child=1, fn=collector_state) as pool:
        states = [pool.submit(RawStory(id=f"r{i}", url=f"https://x.example/{i}", html=PAGE)).result() for i in range(2)]
print(json.dumps({"entries": len(parsed.entries), "states": states}))
"""


@pytest.mark.timeout(120)
def test_extraction_workers_are_warm_and_frozen_when_the_feed_parsers_started_the_fork_server() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], check=False, cwd=REPO, capture_output=True, text=True, timeout=110
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["entries"] == 1
    # the warm-up ran in the worker (its state frozen out of the collector's walks), not in the
    # page's time: the server preloaded only the feed parser
    assert_warm_and_frozen(out["states"])
