"""``newswire feeds import|status`` and ``newswire status``: an exported OPML becomes the YAML the
project keeps, and after a real poll the operator sees which feeds are healthy and which fail."""

from __future__ import annotations

import json
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingest.feedlist import parse_feed_list
from pipeline.cli import main
from pipeline.demo import SampleWeb
from pipeline.samples import seed_records
from tests.support.data import feed_file

pytestmark = pytest.mark.timeout(300)


def _opml_urls(path: Path) -> list[str]:
    """xmlUrl of every outline, in document order, first occurrence only (read independently;
    ``http://h`` and ``http://h/`` are one feed: the export lists one such pair)."""
    urls: list[str] = []
    keys: set[str] = set()
    for node in ET.parse(path).iter("outline"):
        url = (node.get("xmlUrl") or "").strip()
        key = url.lower().rstrip("/")
        if url and key not in keys:
            keys.add(key)
            urls.append(url)
    return urls


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    """The real NetNewsWire OPML export, written out where the CLI can be pointed at it."""
    return feed_file("Subs.opml", tmp_path)


@pytest.fixture(autouse=True)
def _isolated(isolated_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSWIRE_EMBEDDED__PATH", str(tmp_path / "bus.db"))
    monkeypatch.setenv("NEWSWIRE_METRICS__ENABLED", "false")


# --- feeds import --------------------------------------------------------------------------------


def test_import_opml_prints_yaml_that_reads_back_to_the_same_feeds(
    subs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _opml_urls(subs)
    assert len(expected) > 20  # the real NetNewsWire export, not a toy
    assert main(["feeds", "import", str(subs)]) == 0
    out = capsys.readouterr().out
    doc = yaml.safe_load(out)
    assert isinstance(doc, list) and all(isinstance(item, dict) for item in doc)
    back = parse_feed_list(out, source="stdout")
    assert [f.url for f in back] == expected
    names = {f.url: f.name for f in back}
    assert names["http://daringfireball.net/feeds/main"] == "Daring Fireball"
    assert names["http://corinnekrych.blogspot.com/feeds/posts/default"] == "chat & code"  # entity decoded


def test_import_to_a_file(subs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "feeds.yaml"
    assert main(["feeds", "import", str(subs), "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert [f.url for f in parse_feed_list(target.read_bytes())] == _opml_urls(subs)
    # Importing the YAML again is a fixed point.
    again = tmp_path / "again.yaml"
    assert main(["feeds", "import", str(target), "--output", str(again)]) == 0
    assert again.read_text() == target.read_text()


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        (b"<opml version='2.0'><body><outline xmlUrl='http://a.example/feed'></body></opml>", "invalid XML"),
        (b"<rss><channel/></rss>", "not <opml>"),
        (b"<opml version='2.0'><body><outline text='x' xmlUrl='ftp://a.example/f'/></body></opml>", "not an http(s)"),
    ],
)
def test_malformed_opml_is_one_line_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: bytes, expect: str
) -> None:
    bad = tmp_path / "bad.opml"
    bad.write_bytes(body)
    out = tmp_path / "out.yaml"
    assert main(["feeds", "import", str(bad), "-o", str(out)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"newswire: {bad}: ")
    assert expect in lines[0]
    assert captured.out == ""
    assert not out.exists()


# --- feeds status / status after a real poll -----------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def polled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[dict[str, Any]]:
    """One sample wire site and one feed on a closed port, polled once by ``run --once``."""
    monkeypatch.setenv("NEWSWIRE_WORKER__EXTRACT_PROCESSES", "0")
    monkeypatch.setenv("NEWSWIRE_POLLER__PER_HOST_MIN_INTERVAL_S", "0")
    records = [r for r in seed_records() if r["thread"] == "seed-cuba"]
    site = sorted({r["site"] for r in records})[0]
    with SampleWeb([(site, "rss")]) as web:
        web.publish([r for r in records if r["site"] == site])
        good = web.sites[site].feed_url
        dead = f"http://127.0.0.1:{_closed_port()}/feed.xml"
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(yaml.safe_dump([{"url": good, "name": "wire"}, {"url": dead, "name": "gone"}]))
        events = tmp_path / "events.jsonl"
        code = main(
            [
                "--log-level",
                "WARNING",
                "run",
                "--once",
                "--feeds",
                str(feeds),
                "--allow-private-network",
                "--events-out",
                str(events),
            ]
        )
        assert code == 0
        evs = [json.loads(x) for x in events.read_text().splitlines()]
        assert evs and all(e["feed_url"] == good for e in evs)
        capsys.readouterr()
        yield {"good": good, "dead": dead, "feeds": feeds, "events": evs}


def _table(text: str) -> list[list[str]]:
    """Rows of a format_table block (split on runs of 2+ spaces), header and rule dropped."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return [re.split(r"\s{2,}", ln.strip()) for ln in lines[2:]]


def test_feeds_status_shows_healthy_and_failing_feeds(
    polled: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--log-level", "WARNING", "feeds", "status", "--feeds", str(polled["feeds"])]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:2] == ["feed", "health"]
    rows = {r[0]: r for r in _table(out)}
    assert list(rows) == [polled["good"], polled["dead"]]  # configured order

    good = rows[polled["good"]]
    assert good[1] == "healthy"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", good[2]), good
    assert good[3] == "0"

    dead = rows[polled["dead"]]
    # columns: feed, health, last success, failures, last error, next poll in
    assert dead[1] == "failing"
    assert dead[2] == "never"
    assert int(dead[3]) >= 1
    assert dead[4] == "connection"
    next_poll = re.fullmatch(r"(\d+)s", dead[5])
    assert next_poll is not None and int(next_poll.group(1)) > 0, dead


def test_feeds_status_before_any_poll_lists_feeds_as_unpolled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("- http://a.example/feed\n- http://b.example/feed\n")
    assert main(["--log-level", "WARNING", "feeds", "status", "--feeds", str(feeds)]) == 0
    rows = _table(capsys.readouterr().out)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("http://a.example/feed", "unpolled", "never"),
        ("http://b.example/feed", "unpolled", "never"),
    ]


def test_status_prints_topics_lag_and_feed_health(
    polled: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSWIRE_POLLER__FEEDS_FILE", str(polled["feeds"]))
    assert main(["--log-level", "WARNING", "status"]) == 0
    out = capsys.readouterr().out
    topics_block, lag_block, health_block = out.strip().split("\n\n")

    topics = {r[0]: r for r in _table(topics_block)}
    assert topics_block.splitlines()[0].split()[:3] == ["topic", "partitions", "cleanup"]
    assert set(topics) == {
        "newswire.raw",
        "newswire.cleaned",
        "newswire.events",
        "newswire.dead-letters",
        "newswire.poller-state",
        "newswire.thread-index",
    }
    assert topics["newswire.poller-state"][2] == "compact"
    assert topics["newswire.raw"][2] == "delete"
    assert int(topics["newswire.raw"][3]) >= len(polled["events"])
    assert int(topics["newswire.events"][3]) == len(polled["events"])

    lag = _table(lag_block)
    assert lag_block.splitlines()[0].split() == ["group", "topic", "partition", "lag"]
    assert {r[0] for r in lag} == {"newswire.clean", "newswire.thread", "newswire.events-out"}
    assert all(r[3] == "0" for r in lag), lag  # run --once drained every stage and committed

    health = dict((r[0], r[1]) for r in _table(health_block))
    assert health == {"failing": "1", "healthy": "1"}
