"""Dead letters can be re-driven: ``replay --dead-letters`` and ``dlq export`` write the
original record with its reason; once fixed, ``replay --from-dead-letters`` replays it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from newswire.bus import Message, open_bus
from newswire.runtime import DeadLetter, dead_letter_record
from newswire.settings import load_settings
from newswire.topics import Role, topic_graph
from pipeline.cli import main
from pipeline.samples import render_page, seed_records


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("NEWSWIRE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSWIRE_EMBEDDED__PATH", str(tmp_path / "bus.db"))
    monkeypatch.setenv("NEWSWIRE_METRICS__ENABLED", "false")
    monkeypatch.setenv("NEWSWIRE_WORKER__EXTRACT_PROCESSES", "0")


def _good() -> dict[str, object]:
    record = seed_records()[0]
    return {"id": record["id"], "url": record["url"], "guid": record["guid"], "html": render_page(record)}


def test_replay_dead_letters_fixed_and_re_driven(tmp_path: Path) -> None:
    good = _good()
    broken = {**good, "fetched_at": 5}  # a dead letter: fetched_at must be a string
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(broken) + "\n" + "{nope\n")
    dead = tmp_path / "dead.jsonl"
    assert main(["replay", str(src), "-o", str(tmp_path / "ev1"), "--dead-letters", str(dead)]) == 1
    letters = [json.loads(x) for x in dead.read_text().splitlines()]
    assert [x["reason"] for x in letters] == ["decode_error", "decode_error"]
    assert letters[0]["value"]["fetched_at"] == 5 and letters[1]["value_text"] == "{nope"
    # the operator fixes the record and re-drives the file
    letters[0]["value"]["fetched_at"] = "2024-01-25T10:00:00Z"
    dead.write_text("".join(json.dumps(x) + "\n" for x in letters))
    out = tmp_path / "ev2"
    assert main(["replay", "--from-dead-letters", str(dead), "-o", str(out)]) == 0
    events = [json.loads(x) for x in out.read_text().splitlines()]
    assert [e["raw_id"] for e in events] == [good["id"]]


def test_dlq_export_then_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings()
    graph = topic_graph(settings)
    bus = open_bus(settings)
    try:
        bus.ensure_topics(graph.all())
        good = _good()
        msg = Message(graph.name(Role.RAW), 0, 7, b"k", json.dumps(good).encode(), 0)
        out = dead_letter_record(graph.name(Role.DEAD_LETTERS), "clean", msg, DeadLetter("extract_timeout", "slow"))
        producer = bus.producer()
        producer.send(out.topic, out.value, key=out.key, headers=out.headers)
        producer.flush()
        producer.close()
    finally:
        bus.close()
    exported = tmp_path / "dlq.jsonl"
    assert main(["dlq", "export", "--stage", "clean", "-o", str(exported)]) == 0
    (line,) = [json.loads(x) for x in exported.read_text().splitlines()]
    assert line["stage"] == "clean" and line["reason"] == "extract_timeout"
    assert line["source"]["offset"] == 7 and line["value"]["id"] == good["id"]
    events = tmp_path / "ev.jsonl"
    assert main(["replay", "--from-dead-letters", str(exported), "-o", str(events)]) == 0
    assert [json.loads(x)["raw_id"] for x in events.read_text().splitlines()] == [good["id"]]


def test_dlq_export_writes_every_letter_however_odd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A letter whose record holds a lone surrogate (the thread stage's own poison letters did)
    aborted the export with UnicodeEncodeError, the file cut where it failed; an envelope that
    is JSON but no object raised AttributeError, one nested past the parser's depth
    RecursionError. Every letter is written, the surrogate kept escaped, an odd envelope named
    unreadable."""
    settings = load_settings()
    graph = topic_graph(settings)
    bus = open_bus(settings)
    try:
        bus.ensure_topics(graph.all())
        topic = graph.name(Role.DEAD_LETTERS)
        producer = bus.producer()
        lone = b'{"url": "https://x.example/1", "title": "a\\udfffb", "html": "<p>x</p>"}'
        msg = Message(graph.name(Role.CLEANED), 0, 3, b"k", lone, 0)
        out = dead_letter_record(topic, "thread", msg, DeadLetter("poison", "UnicodeEncodeError"))
        producer.send(out.topic, out.value, key=out.key, headers=out.headers)
        producer.send(topic, b"{}", key=b"k", headers=(("newswire.dlq", b"[1, 2]"),))
        producer.send(topic, b"{}", key=b"k", headers=(("newswire.dlq", b"[" * 100_000 + b"]" * 100_000),))
        producer.flush()
        producer.close()
    finally:
        bus.close()
    exported = tmp_path / "dlq.jsonl"
    assert main(["dlq", "export", "-o", str(exported)]) == 0
    lines = [json.loads(x) for x in exported.read_text(encoding="utf-8").splitlines()]
    assert [x["reason"] for x in lines] == ["poison", "unknown", "unknown"]
    assert lines[0]["value"]["title"] == "a\udfffb"
    assert lines[1]["error"] == lines[2]["error"] == "unreadable dead-letter envelope"
