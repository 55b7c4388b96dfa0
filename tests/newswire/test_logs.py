"""Log lines: JSON with an RFC 3339 UTC ``ts`` and the record's ids as fields."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from newswire.logs import setup_logging

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    buf = io.StringIO()
    monkeypatch.setenv("TZ", "America/New_York")  # a node in another timezone changes nothing
    time.tzset()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        yield buf
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        monkeypatch.delenv("TZ")
        time.tzset()


def test_json_ts_is_rfc3339_utc_and_fields_are_kept(captured: io.StringIO) -> None:
    setup_logging("INFO", "json")
    logging.getLogger().handlers[0].setStream(captured)  # type: ignore[attr-defined]
    before = time.time()
    logging.getLogger("t").info("story event", extra={"event_id": "e1", "raw_id": "r1", "story_id": "s1"})
    line = json.loads(captured.getvalue().splitlines()[-1])
    assert RFC3339_UTC.match(line["ts"]), line["ts"]
    assert abs(datetime.fromisoformat(line["ts"]).timestamp() - before) < 5
    assert (line["event_id"], line["raw_id"], line["story_id"]) == ("e1", "r1", "s1")


def test_text_ts_is_rfc3339_utc(captured: io.StringIO) -> None:
    setup_logging("INFO", "text")
    logging.getLogger().handlers[0].setStream(captured)  # type: ignore[attr-defined]
    logging.getLogger("t").info("hello", extra={"feed": "https://x.test/rss"})
    line = captured.getvalue().splitlines()[-1]
    assert RFC3339_UTC.match(line.split()[0]), line
    assert "feed=https://x.test/rss" in line
