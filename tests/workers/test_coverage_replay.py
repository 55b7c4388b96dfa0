"""Coverage through ``newswire replay``: the coverage-dev corpus rendered as pages, cleaned and
threaded by the daemon's code path, scored on the story events it publishes."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema

from pipeline.cli import main
from pipeline.samples import load_corpus, render_page
from tests.support.data import COVERAGE_CORPUS
from workers.events import schema

# Measured through replay: P 1.000, R 0.810, 0 look-alike pairs merged (as StoryIndex directly).
FLOORS = {"precision": 1.0, "recall": 0.75}


def test_coverage_dev_through_replay(tmp_path: Path) -> None:
    records = sorted(load_corpus(COVERAGE_CORPUS), key=lambda r: (r["published"], r["id"]))
    lines = [
        {
            "id": r["id"],
            "url": r["url"],
            "guid": r["guid"],
            "html": render_page(r),
            "title": r["title"],
            "published": r["published"],
            "feed_url": f"https://{r['site']}/feed",
        }
        for r in records
    ]
    src, out = tmp_path / "in.jsonl", tmp_path / "events.jsonl"
    src.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert main(["--log-format", "text", "replay", str(src), "--output", str(out)]) == 0
    events: dict[str, dict[str, Any]] = {}
    validator = jsonschema.Draft202012Validator(schema())
    for text in out.read_text(encoding="utf-8").splitlines():
        event = json.loads(text)
        validator.validate(event)
        events[event["raw_id"]] = event
    assert set(events) == {r["id"] for r in records}
    by_id = {r["id"]: r for r in records}
    tp = fp = fn = merged_lookalikes = 0
    for a, b in itertools.combinations(sorted(by_id), 2):
        same_pred = events[a]["story_id"] == events[b]["story_id"]
        same_true = by_id[a]["thread"] == by_id[b]["thread"]
        tp += same_pred and same_true
        fp += same_pred and not same_true
        fn += same_true and not same_pred
        merged_lookalikes += same_pred and not same_true and "lookalike" in (by_id[a]["role"], by_id[b]["role"])
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"coverage-dev via replay: P={precision:.3f} R={recall:.3f} look-alike pairs merged={merged_lookalikes}")
    assert precision >= FLOORS["precision"]
    assert recall >= FLOORS["recall"]
    assert merged_lookalikes == 0
    for rid, event in events.items():
        role = by_id[rid]["role"]
        if role.startswith("coverage") and event["type"] == "story.updated":
            assert event["update_kind"] == "coverage", (rid, event["evidence"])
        if role in ("lookalike", "unrelated", "original"):
            assert event["type"] == "story.created", (rid, event["evidence"])
