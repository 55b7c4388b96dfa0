"""The clean stage's processor: what reaches it from the raw topic cannot stop it."""

from __future__ import annotations

import json

from newswire.bus import Message
from newswire.settings import load_settings
from workers.cleaner import CleanProcessor
from workers.extract_pool import ExtractPool
from workers.replay import clean_settings


def test_raw_record_with_wrongly_typed_fields_is_dead_lettered() -> None:
    settings = load_settings(worker={"extract_processes": 0}, metrics={"enabled": False})
    bad = json.dumps({"url": "https://x.example/1", "html": "<p>x</p>", "authors": 5}).encode()
    with ExtractPool(workers=0, timeout_s=10.0, max_tasks_per_child=10, settings=clean_settings(settings)) as pool:
        [outcome] = CleanProcessor(pool, "cleaned").process([Message("raw", 0, 0, b"k", bad, 0)])
    assert outcome.dead is not None and outcome.dead.reason == "decode_error"
    assert not outcome.outputs
