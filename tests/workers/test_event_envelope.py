"""Events on the wire: CloudEvents binary-mode headers, the trace carried from the input
record, RFC 3339 UTC timestamps, and a v1 schema that accepts additive fields."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from cloudevents.core.bindings import kafka as ce_kafka

from newswire import tracing
from newswire.bus import Message
from newswire.settings import WorkerSettings
from workers.events import schema
from workers.text import content_hash
from workers.threader import ThreadProcessor

TEXT = (
    "The ministry said on Tuesday that the new bridge over the river will open in March, "
    "two years later than planned, after a review of the contractor's costs and schedule."
)


def _article(**over: Any) -> dict[str, Any]:
    return {
        "article_id": "a1",
        "raw_id": "r1",
        "url": "https://wire.example/1",
        "canonical_url": "https://wire.example/1",
        "site": "wire.example",
        "title": "Bridge",
        "text": TEXT,
        "authors": [],
        "published": "2025-01-24T10:00:00Z",
        "language": "en",
        "guid": "g1",
        "feed_url": "https://wire.example/feed",
        "content_hash": content_hash(TEXT),
        "fetched_at": "2025-01-24T10:05:00+00:00",  # as records written before the fix carry it
        **over,
    }


def _publish(headers: tuple[tuple[str, bytes], ...]) -> tuple[Any, dict[str, bytes]]:
    proc = ThreadProcessor(WorkerSettings(), "events", "index")
    (outcome,) = proc.process([Message("cleaned", 0, 0, b"a1", json.dumps(_article()).encode(), 0, headers)])
    (out,) = [o for o in outcome.outputs if o.topic == "events"]
    return out, dict(out.headers)


def test_event_headers_are_cloudevents_binary_mode() -> None:
    out, headers = _publish(())
    body = json.loads(out.value)
    event = ce_kafka.from_binary_event(ce_kafka.KafkaMessage(headers=headers, key=out.key, value=out.value))
    assert event.get_id() == body["event_id"]
    assert event.get_type() == "org.newswire.story.created"
    assert event.get_subject() == body["story_id"] == out.key.decode()
    assert headers["ce_time"] == b"2025-01-24T10:05:00Z"
    assert body["fetched_at"] == "2025-01-24T10:05:00Z", "normalised to Z"
    assert event.get_data() == body


def test_the_input_records_trace_continues_on_the_event() -> None:
    parent = tracing.new_traceparent()
    _, headers = _publish((("traceparent", parent.encode()),))
    child = headers["traceparent"].decode()
    assert tracing.trace_id(child) == tracing.trace_id(parent) and child != parent
    _, headers = _publish(())  # an input without a trace (older producer) starts one
    assert tracing.parse(headers["traceparent"]) is not None


def test_v1_accepts_additive_fields_and_still_checks_known_ones() -> None:
    out, _ = _publish(())
    body = json.loads(out.value)
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    validator.validate({**body, "a_field_added_later": {"any": "shape"}})
    assert not validator.is_valid({**body, "version": "one"})
    assert not validator.is_valid({k: v for k, v in body.items() if k != "story_id"})


def test_published_as_the_page_gives_it_is_valid() -> None:
    """``published`` keeps the page's own form (docs/events.md): with an offset, a local time
    without one, or a date alone. A schema of ``format: date-time`` refused the last two under
    a consumer's format checker."""
    out, _ = _publish(())
    body = json.loads(out.value)
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    for given in ("2025-01-14T01:28:54+09:00", "2026-03-09T10:00:00Z", "2026-03-09T10:00:00", "2026-03-09", None):
        validator.validate({**body, "published": given})
    for wrong in ("yesterday", "09/03/2026", "2026-03-09 10:00"):
        assert not validator.is_valid({**body, "published": wrong}), wrong
