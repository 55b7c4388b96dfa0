"""Hostile replay inputs: every line ends as an event, an unchanged redelivery or a dead
letter with a reason; no line ends the run, and the run's figures add up.

One replay runs the whole table (each case is one line, between good records), so the cases
also prove that a bad line does not disturb the good lines around it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from newswire.settings import load_settings
from pipeline.cli import main
from pipeline.samples import render_page, seed_records
from workers.replay import ReplayStats, replay

RECORDS = sorted(seed_records(), key=lambda r: r["published"])


def good(i: int, **over: Any) -> dict[str, Any]:
    record = RECORDS[i % len(RECORDS)]
    line = {
        "id": f"{record['id']}-{i}",
        "url": f"{record['url']}?copy={i}",
        "guid": f"{record['guid']}-{i}",
        "html": render_page(record),
        "title": record["title"],
        "published": record.get("published"),
    }
    line.update(over)
    return line


def enc(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def dated(i: int, published: str) -> dict[str, Any]:
    """A good line whose page and feed both give ``published``, without a fetch time."""
    page = render_page({**RECORDS[i % len(RECORDS)], "published": published})
    return good(i, id=f"dated-{i}", html=page, published=published)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth - 1):
        value = [value]
    return value


# (name, line bytes, expected outcome: a dead-letter reason, "event", "unchanged" or "any")
CASES: list[tuple[str, bytes, str]] = [
    ("latin-1 bytes", b'{"url": "https://x.example/1", "html": "caf\xe9"}', "decode_error"),
    ("not JSON", b"{nope", "decode_error"),
    ("JSON array", b"[1, 2]", "decode_error"),
    ("JSON string", b'"just a string"', "decode_error"),
    ("JSON null", b"null", "decode_error"),
    ("JSON nested 200k deep", b"[" * 200_000 + b"]" * 200_000, "decode_error"),
    ("object nested 200k deep", b'{"a":' * 200_000 + b"1" + b"}" * 200_000, "decode_error"),
    ("5000-digit integer", b'{"url": "https://x.example/", "html": "x", "n": ' + b"7" * 5000 + b"}", "decode_error"),
    ("lone surrogate in html", b'{"url": "https://x.example/s", "html": "<p>\\ud800</p>"}', "decode_error"),
    ("lone surrogate in title", enc(good(1))[:-1] + b', "title": "a\\udfffb"}', "decode_error"),
    ("NaN literal", b'{"url": "https://x.example/", "html": "x", "n": NaN, "fetched_at": 5}', "decode_error"),
    ("fetched_at a number", enc(good(2, fetched_at=5)), "decode_error"),
    ("fetched_at an object", enc(good(3, fetched_at={"t": 1})), "decode_error"),
    ("published a list", enc(good(4, published=[2024])), "decode_error"),
    ("authors a number", enc(good(5, authors=5)), "decode_error"),
    ("status a string", enc(good(6, status="200")), "decode_error"),
    ("id a boolean", enc(good(7, id=True)), "decode_error"),
    ("id a list", enc(good(8, id=[1])), "decode_error"),
    ("no url", b'{"html": "<p>x</p>"}', "decode_error"),
    ("url javascript:", enc(good(9, url="javascript:alert(1)")), "decode_error"),
    ("url data:", enc(good(10, url="data:text/html,x")), "decode_error"),
    ("url file:", enc(good(11, url="file:///etc/passwd")), "decode_error"),
    ("url vbscript:", enc(good(12, url="vbscript:x")), "decode_error"),
    ("url //host", enc(good(13, url="//evil.example/x")), "decode_error"),
    ("final_url javascript:", enc(good(14, final_url="javascript:x")), "decode_error"),
    ("html a number", b'{"url": "https://x.example/", "html": 5}', "decode_error"),
    ("unknown schema version", enc(good(15, schema_version=99)), "decode_error"),
    ("empty html", enc(good(16, html="")), "extract_empty"),
    ("a PDF", enc(good(17, content_type="application/pdf")), "extract_not_html"),
    ("markup without text", enc(good(18, html="<html><body><div></div></body></html>")), "extract_empty"),
    ("a million open tags", enc(good(19, html="<div>" * 200_000)), "any"),
    ("NUL bytes in html", enc(good(20, html="<p>a\x00b</p>" * 10)), "any"),
    ("unclosed IPv6 url", enc(good(21, url="http://[broken/x")), "any"),
    ("guid an object", enc(good(22, guid={"a": 1})), "any"),
    ("numeric id", enc(good(23, id=12345)), "event"),
    ("id reused for another story", enc(good(24, id="shared")), "event"),
    ("id reused (2nd story)", enc(good(25, id="shared")), "conflicting_id"),
    ("same record again", enc(good(26, id="again")), "event"),
    ("same record again (2nd)", enc(good(26, id="again")), "unchanged"),
    ("a field nested 600 deep", enc(good(27, x=_nested(600))), "decode_error"),
    ("a field nested 33 deep", enc(good(28, x=_nested(33))), "decode_error"),
    ("a field nested 20 deep", enc(good(29, id="nested-20", x=_nested(20))), "event"),
    # times the stages cannot place in UTC, or one day on: no date (an event, dated by the page)
    ("published at the calendar's end", enc(dated(30, "9999-12-31T23:30:00-01:00")), "event"),
    ("published at its start", enc(dated(31, "0001-01-01T00:30:00+01:00")), "event"),
    ("fetched at its start", enc(good(32, id="fetch-0001", fetched_at="0001-01-01T00:00:00+05:00")), "event"),
    ("fetched at its end", enc(good(33, id="fetch-9999", fetched_at="9999-12-31T23:00:00Z")), "event"),
    # text given as markup: read as its blocks' text, in bounded time, or no text at all
    (
        "markup text 100k deep",
        enc({"id": "mk-1", "title": "T", "content": "<div>" * 100_000 + "x</p>"}),
        "decode_error",
    ),
    ("markup text of 300k breaks", enc({"id": "mk-2", "title": "T", "content": "<br>" * 300_000}), "decode_error"),
    (
        "markup text of scripts only",
        enc({"id": "mk-3", "title": "T", "content": "<p></p><script>x()</script>"}),
        "decode_error",
    ),
    ("date a boolean", enc({"id": "dt-1", "title": "T", "text": "Some text.", "date": True}), "decode_error"),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReplayStats, dict[int, str], list[dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("replay")
    src, out = tmp / "in.jsonl", tmp / "out.jsonl"
    lines = [enc(good(100))]
    for _, body, _ in CASES:
        lines.append(body)
        lines.append(b"")  # blank lines are not inputs
    lines.append(enc(good(101)))
    src.write_bytes(b"\n".join(lines) + b"\n")
    settings = load_settings(worker={"extract_processes": 0})
    letters: list[dict[str, Any]] = []
    with out.open("w", encoding="utf-8") as fh:
        stats = replay(src, fh, settings, batch_size=8, on_dead=letters.append)
    events = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    dead = {d["offset"]: d["reason"] for d in letters}
    return stats, dead, events


@pytest.mark.parametrize(("index", "case"), list(enumerate(CASES)), ids=[c[0] for c in CASES])
def test_hostile_replay_line(run: Any, index: int, case: tuple[str, bytes, str]) -> None:
    _, dead, events = run
    name, body, expected = case
    lineno = 2 + 2 * index
    raw_ids = {e["raw_id"] for e in events}
    line_id = None
    if expected in ("event", "unchanged"):
        line_id = str(json.loads(body)["id"])
    if expected == "event":
        assert lineno not in dead, f"{name}: {dead.get(lineno)}"
        assert line_id in raw_ids, f"{name}: no event"
    elif expected == "unchanged":
        assert lineno not in dead
    elif expected == "any":
        pass  # an event or a dead letter, but the run went on (checked by the summary test)
    else:
        assert dead.get(lineno) == expected, f"{name}: {dead.get(lineno)}"


def test_the_run_survives_the_table_and_its_figures_add_up(run: Any) -> None:
    stats, dead, events = run
    assert stats.inputs == len(CASES) + 2
    assert stats.events == len(events) and stats.events >= 5
    assert len(stats.dead_letters) == len(dead)
    assert stats.inputs == stats.events + stats.unchanged + len(stats.dead_letters)
    # the good records before and after the hostile lines both made it
    assert {f"{RECORDS[100 % len(RECORDS)]['id']}-100", f"{RECORDS[101 % len(RECORDS)]['id']}-101"} <= {
        e["raw_id"] for e in events
    }
    # one id never names two stories
    assert len({e["event_id"] for e in events}) == len(events)


def test_cli_prints_dead_letters_and_fails_when_every_input_is_bad(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = tmp_path / "bad.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"[" * 200_000 + b"\n" + b'{"url": "javascript:x", "html": "x"}\n' + b"\xff\n")
    assert main(["--log-format", "text", "replay", str(src), "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("dead letter (decode_error)") == 3
    assert "3 inputs -> 0 events, 0 unchanged, 3 dead letters" in err


def test_a_line_nested_past_the_parsers_depth_is_scored_as_no_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--score`` reads the input again for its labels: a line nested 100,000 deep (the replay's
    dead letter) raised RecursionError there, a traceback after the run. It has no label."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [enc({**good(i), "thread": f"t{i % 2}"}) for i in range(4)]
    src.write_bytes(b"\n".join([*lines, b"[" * 100_000 + b"]" * 100_000]) + b"\n")
    assert main(["--log-format", "text", "replay", str(src), "-o", str(out), "--score"]) == 0
    captured = capsys.readouterr()
    assert "4 inputs labelled by 'thread'" in captured.out
    assert captured.err.count("dead letter (decode_error)") == 1


def test_a_page_dated_2099_does_not_expire_the_stories_before_it(tmp_path: Path) -> None:
    """Expiry follows the newest event time. A page that says it was published in 2099 (fetched
    in 2022) would carry that time past every live story, and the next expiry would tombstone
    them all: a copy of an earlier story would then come out as a new one. Its date is passed
    over; the window stays, and the copy is still a duplicate."""
    fetched = "2022-01-25T12:00:00Z"
    lines = [good(0, id="statement", fetched_at=fetched)]
    liar = {**RECORDS[2], "published": "2099-01-01T00:00:00Z"}  # the page's own date says so
    lines.append({**good(2, id="liar", fetched_at=fetched), "html": render_page(liar), "published": liar["published"]})
    for i in range(210):  # distinct stories: more than one expiry pass (every 200 records)
        filler = {
            **RECORDS[2],
            "title": f"Council approves budget line {i}",
            "body_paragraphs": [
                f"The council approved item {i} of the plan, worth {i * 17} thousand, on its {i}th vote."
            ],
        }
        lines.append({**good(1000 + i, id=f"filler-{i}", fetched_at=fetched), "html": render_page(filler)})
    lines.append({**good(0, id="copy", fetched_at=fetched), "url": "https://relay.example/copy", "guid": "copy"})
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    with out.open("w", encoding="utf-8") as fh:
        stats = replay(src, fh, load_settings(worker={"extract_processes": 0}))
    assert not stats.dead_letters
    events = {e["raw_id"]: e for e in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert not (events["liar"]["published"] or "").startswith("2099")
    assert events["copy"]["type"] == "story.duplicate", events["copy"]["evidence"]
    assert events["copy"]["story_id"] == events["statement"]["story_id"]


def test_a_record_nested_past_what_pickle_takes_is_a_dead_letter_not_a_hang(tmp_path: Path) -> None:
    """With extraction processes: a record travels to them pickled, and pickle gives up at ~500
    levels inside the pool's own thread, where the page's future then never resolved: replay
    (and the clean stage) waited for ever, the good records with it. The record is refused
    as it is read (``MAX_RECORD_DEPTH``); the run goes on."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [good(0, id="before"), good(1, id="deep", x=_nested(600)), good(2, id="after")]
    src.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    letters: list[dict[str, Any]] = []
    with out.open("w", encoding="utf-8") as fh:
        stats = replay(src, fh, load_settings(worker={"extract_processes": 1}), on_dead=letters.append)
    assert [d["reason"] for d in letters] == ["decode_error"]
    assert "nested" in letters[0]["error"]
    assert {e["raw_id"] for e in map(json.loads, out.read_text(encoding="utf-8").splitlines())} == {"before", "after"}
    assert stats.inputs == 3


def test_a_time_at_the_calendars_edge_is_no_date_and_leaves_the_index_whole(tmp_path: Path) -> None:
    """A time of 0001-01-01T00:30:00+01:00 lies before the calendar in UTC: the thread stage failed
    on it as one of our bugs, after the story had been stored, so a copy of the article from
    another site came out as a ``story.duplicate`` of a story never announced. Such a time is
    no date now: the article is a story, the copy its duplicate."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    first = {**dated(0, "0001-01-01T00:30:00+01:00"), "id": "edge"}
    copy = {**first, "id": "copy", "url": "https://relay.example/copy", "guid": "copy"}
    src.write_text(json.dumps(first) + "\n" + json.dumps(copy) + "\n", encoding="utf-8")
    with out.open("w", encoding="utf-8") as fh:
        stats = replay(src, fh, load_settings(worker={"extract_processes": 0}))
    assert not stats.dead_letters
    events = {e["raw_id"]: e for e in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert events["edge"]["type"] == "story.created"
    assert events["copy"]["type"] == "story.duplicate" and events["copy"]["story_id"] == events["edge"]["story_id"]
    assert not (events["edge"]["published"] or "").startswith("0001")


def test_a_decompression_bomb_is_refused_in_bounded_time_and_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A compressed input that inflates past its bound (200 times its size, at least 1 GiB;
    lowered here to 1 MiB) is refused while it is being decompressed, with a usage error naming
    the bound, before anything is written: nothing fills the disk with a bomb's zeros. A
    gzipped corpus under the bound replays as before."""
    monkeypatch.setattr("workers.replay._MIN_INFLATED", 1 << 20)
    bomb, out = tmp_path / "bomb.jsonl.gz", tmp_path / "bomb.events"
    bomb.write_bytes(gzip.compress(b"\n" * (8 << 20)))  # 8 MiB of blank lines in about 8 KB
    assert main(["--log-format", "text", "replay", str(bomb), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    bound = max(1 << 20, 200 * bomb.stat().st_size)
    assert f"decompresses to more than {bound:,} bytes (200 times its size)" in err and "decompression bomb" in err
    assert not out.exists()
    fine = tmp_path / "fine.jsonl.gz"
    fine.write_bytes(gzip.compress(b"".join(enc(good(i)) + b"\n" for i in range(3))))
    assert main(["--log-format", "text", "replay", str(fine), "-o", str(out)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
