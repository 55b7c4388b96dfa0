"""Two workers on the real broker: extraction is shared, decisions have a single writer.

If two workers could decide concurrently, one story would get two ``story.created`` events or
two different articles would both become its version 2. With one owner of the ``cleaned``
partition (fenced by transactions, state restored from the changelog on take-over), every
story's events form one gapless history even when the decider is killed mid-stream.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from newswire.settings import Settings
from tests.support.daemons import Daemon, wait_for
from tests.support.workers import distinct_inputs, produce_raw, read_events, worker_config

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(600)]


def test_two_workers_one_decider_consistent_histories(kafka_settings: Settings, tmp_path: Path) -> None:
    raws = distinct_inputs(copies=6)
    produce_raw(kafka_settings, raws)
    config = worker_config(tmp_path, kafka_settings)
    workers = {
        name: Daemon(config, "work", log=tmp_path / f"{name}.log", env={"NEWSWIRE_INSTANCE_ID": name})
        for name in ("w-a", "w-b")
    }
    try:
        assert wait_for(lambda: len(read_events(kafka_settings)) > len(raws) // 4, 180, 0.5)
        victim = random.Random(3).choice(sorted(workers))
        workers[victim].kill9()  # may or may not be the decider: both cases must hold
        survivor = next(w for n, w in workers.items() if n != victim)
        assert wait_for(lambda: len(read_events(kafka_settings)) >= len(raws), 240, 1.0), (
            tmp_path / "w-a.log"
        ).read_text()[-2000:] + (tmp_path / "w-b.log").read_text()[-2000:]
        time.sleep(2)
        assert survivor.alive()
    finally:
        for w in workers.values():
            if w.alive():
                assert w.terminate() == 0
    events = read_events(kafka_settings)
    assert Counter(str(e["raw_id"]) for e in events) == Counter(r.id for r in raws)
    by_story: dict[str, list[dict[str, object]]] = defaultdict(list)
    for e in events:
        by_story[str(e["story_id"])].append(e)
    for story, evs in by_story.items():
        created = [e for e in evs if e["type"] == "story.created"]
        assert len(created) == 1 and created[0]["version"] == 1, story
        versions = sorted(int(str(e["version"])) for e in evs if e["type"] == "story.updated")
        assert versions == list(range(2, 2 + len(versions))), (story, versions)
