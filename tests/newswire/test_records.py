"""Cleaned records: the contract between the clean and thread stages, validated on decode."""

from __future__ import annotations

import json
from typing import Any

import pytest

from newswire.records import CleanedRecord, RecordError

# A record as the clean stage wrote it before the typed record existed (no schema_version).
WIRE_V0: dict[str, Any] = {
    "article_id": "a1",
    "raw_id": "r1",
    "url": "https://wire.example/1",
    "canonical_url": "https://wire.example/1",
    "site": "wire.example",
    "title": "Bridge opens late",
    "text": "The bridge opens in March.",
    "authors": ["Ana Lind"],
    "published": "2025-01-24T10:00:00Z",
    "language": "en",
    "guid": "g1",
    "feed_url": "https://wire.example/feed",
    "content_hash": "c0ffee",
    "fetched_at": "2025-01-24T10:05:00Z",
    "feed_published": None,
}


def test_round_trip_keeps_the_wire_field_names() -> None:
    record = CleanedRecord.decode(json.dumps(WIRE_V0).encode())
    assert record.authors == ("Ana Lind",) and record.schema_version == 1
    # a record from before credits and agencies reads as crediting none
    assert record.credits == () and record.agencies == ()
    assert json.loads(record.encode()) == {**WIRE_V0, "schema_version": 1, "credits": [], "agencies": []}
    assert CleanedRecord.decode(record.encode()) == record


def test_optional_fields_default() -> None:
    minimal = {k: v for k, v in WIRE_V0.items() if k not in ("guid", "feed_url", "fetched_at", "feed_published")}
    record = CleanedRecord.decode(json.dumps({**minimal, "published": None, "language": None}).encode())
    assert (record.guid, record.feed_url, record.fetched_at, record.published) == ("", "", None, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),  # RecursionError: the batch failed on every retry
        (json.dumps({k: v for k, v in WIRE_V0.items() if k != "language"}).encode(), "lacks required fields: language"),
        (json.dumps({**WIRE_V0, "text": ["a", "b"]}).encode(), "wrongly typed fields: text"),
        (json.dumps({**WIRE_V0, "authors": "Ana Lind"}).encode(), "wrongly typed fields: authors"),
        (json.dumps({**WIRE_V0, "published": 20250124}).encode(), "wrongly typed fields: published"),
        (json.dumps({**WIRE_V0, "schema_version": 2}).encode(), "unsupported cleaned schema_version 2"),
    ],
)
def test_bad_records_raise_record_error(data: bytes, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        CleanedRecord.decode(data)
