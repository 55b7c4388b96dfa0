"""Coverage through ``newswire replay``: the coverage-dev corpus rendered as pages, cleaned and
threaded by the daemon's code path, scored on the story events it publishes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from prometheus_client import REGISTRY

from newswire import metrics
from pipeline.cli import main
from pipeline.samples import load_corpus, render_page
from tests.support.data import COVERAGE_CORPUS
from tests.support.quality import floor, lookalike_pairs_merged
from workers.events import schema
from workers.scoring import pairwise_scores


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
    before = {k: _updates(k) for k in metrics.UPDATE_KINDS}
    assert main(["--log-format", "text", "replay", str(src), "--output", str(out)]) == 0
    events: dict[str, dict[str, Any]] = {}
    validator = jsonschema.Draft202012Validator(schema())
    for text in out.read_text(encoding="utf-8").splitlines():
        event = json.loads(text)
        validator.validate(event)
        events[event["raw_id"]] = event
    assert set(events) == {r["id"] for r in records}
    by_id = {r["id"]: r for r in records}
    predicted = {rid: event["story_id"] for rid, event in events.items()}
    scores = pairwise_scores(predicted, {r["id"]: r["thread"] for r in records})
    merged = lookalike_pairs_merged(predicted, records)
    print(f"coverage-dev via replay: P={scores.precision:.3f} R={scores.recall:.3f} F1={scores.f1:.3f} merged={merged}")
    assert scores.precision >= floor("threading.coverage_dev.replay.precision")
    assert scores.recall >= floor("threading.coverage_dev.replay.recall")
    assert scores.f1 >= floor("threading.coverage_dev.replay.f1")
    assert merged == 0
    for rid, event in events.items():
        role = by_id[rid]["role"]
        if role.startswith("coverage") and event["type"] == "story.updated":
            assert event["update_kind"] == "coverage", (rid, event["evidence"])
        if role in ("lookalike", "unrelated", "original"):
            assert event["type"] == "story.created", (rid, event["evidence"])
    # what an operator sees of it: the updates counted by relation, as the events give them
    joined = Counter(e["update_kind"] for e in events.values() if e["type"] == "story.updated")
    assert joined["coverage"] > 0
    assert {k: _updates(k) - before[k] for k in metrics.UPDATE_KINDS} == {k: joined[k] for k in metrics.UPDATE_KINDS}


def _updates(kind: str) -> float:
    value = REGISTRY.get_sample_value("newswire_story_updates_total", {"update_kind": kind})
    assert value is not None  # the series exists at 0 before any update
    return value


def test_replay_scores_its_stories_against_the_input_s_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``replay --score``: a labelled corpus as news APIs give it (title, body paragraphs), its
    ``thread`` the event each line reports; the printed scores are those of the events written."""
    records = load_corpus(COVERAGE_CORPUS)
    src, out = tmp_path / "in.jsonl", tmp_path / "events.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert main(["--log-format", "text", "replay", str(src), "--output", str(out), "--score"]) == 0
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    predicted = {e["raw_id"]: e["story_id"] for e in events}
    s = pairwise_scores(predicted, {r["id"]: r["thread"] for r in records})
    printed = capsys.readouterr().out
    assert printed.startswith(f"newswire replay: {len(records)} inputs labelled by 'thread': ")
    assert f"precision {s.precision:.3f}, recall {s.recall:.3f}, F1 {s.f1:.3f}" in printed
    # coverage-dev names its look-alikes by group ("CD01-look" beside "CD01"): none merged
    assert "look-alike pairs merged 0 of 41 (0.0%)" in printed
    assert s.recall >= floor("threading.coverage_dev.recall")
    assert printed.rstrip().endswith("held-out criterion (P >= 0.98, R >= 0.8, <= 1% of look-alike pairs) met")


def test_replay_score_without_labelled_lines_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "events.jsonl"
    line = {"id": "x1", "title": "Storm closes harbour", "body_paragraphs": ["The harbour closed on Monday."]}
    src.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert main(["--log-format", "text", "replay", str(src), "--output", str(out), "--score", "event"]) == 2
    assert "no input line carries 'event' and an 'id': nothing to score" in capsys.readouterr().err


def test_replay_score_given_before_the_input_scores_it_against_thread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--score`` takes an optional FIELD, and an optional value takes the next word: ``replay
    -o OUT --score IN`` read IN as the field and stopped on a missing input. An existing file
    given so is the input, scored against ``thread``; with no input at all, replay is still bad
    usage."""
    src, out = tmp_path / "in.jsonl", tmp_path / "events.jsonl"
    lines = [
        {"id": f"x{n}", "thread": "T1", "title": "Storm closes harbour", "body_paragraphs": [f"Report {n}."]}
        for n in (1, 2)
    ]
    src.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert main(["--log-format", "text", "replay", "--output", str(out), "--score", str(src)]) == 0
    assert "newswire replay: 2 inputs labelled by 'thread': " in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["--log-format", "text", "replay", "--output", str(out), "--score", "event"])
    assert exc.value.code == 2
    assert "required: input" in capsys.readouterr().err
