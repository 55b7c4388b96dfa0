"""Story events: what downstream consumers receive on the events topic.

The schema lives in ``workers/schema/story-event.v1.json`` (versioned; a breaking change gets a
new file and ``schema_version``; adding an optional field does not, see ``docs/events.md``).
``event_id`` is derived from the raw record id alone, so a record re-processed after a crash or
a replay yields the same id and consumers can drop repeats.

On the wire each event follows the CloudEvents 1.0 Kafka protocol binding in *binary* mode:
the JSON body is the event's ``data``, and the context attributes travel as ``ce_*`` headers
(``ce_id`` = ``event_id``, ``ce_subject`` = ``story_id``), so a stock CloudEvents SDK reads
our events without knowing newswire, while plain JSON consumers keep reading the value.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from newswire.records import CleanedRecord, parse_time, stable_id
from newswire.timestamps import rfc3339, utc_now
from workers.thread import Decision

SCHEMA_VERSION = 1
EVENT_TYPES = {"new": "story.created", "update": "story.updated", "duplicate": "story.duplicate"}


def schema() -> dict[str, Any]:
    text = files("workers").joinpath("schema/story-event.v1.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def build_event(article: CleanedRecord, decision: Decision) -> dict[str, Any]:
    """The event for one decided article (``decision.kind`` must not be ``unchanged``)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "type": EVENT_TYPES[decision.kind],
        "event_id": stable_id("event", article.raw_id),
        "story_id": decision.story_id,
        "article_id": article.article_id,
        "raw_id": article.raw_id,
        "version": decision.version,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "site": article.site,
        "title": article.title,
        "text": article.text,
        "authors": list(article.authors),
        "credits": list(article.credits),
        "published": article.published,
        "language": article.language,
        "update_kind": decision.update_kind if decision.kind == "update" else None,
        "duplicate_of": decision.duplicate_of if decision.kind == "duplicate" else None,
        "evidence": dict(decision.evidence),
        "feed_url": article.feed_url,
        "fetched_at": _rfc3339_or_none(article.fetched_at),
    }


def _rfc3339_or_none(value: str | None) -> str | None:
    """Records written before timestamps were unified carry ``+00:00``: normalise to ``Z``."""
    parsed = parse_time(value)
    return rfc3339(parsed, timespec="seconds") if parsed is not None else None


def encode_event(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


#: CloudEvents ``source``: the producer of story events (ids are unique within it).
CE_SOURCE = "urn:newswire:workers:thread"
#: CloudEvents ``type`` per event type: reverse-DNS prefixed, as the spec recommends.
CE_TYPE_PREFIX = "org.newswire."
#: CloudEvents ``dataschema``: the JSON Schema of the body.
CE_DATASCHEMA = "https://newswire.dev/schema/story-event.v1.json"


def event_headers(event: dict[str, Any], traceparent: str | None = None) -> tuple[tuple[str, bytes], ...]:
    """Kafka headers of one event: CloudEvents 1.0 binary-mode attributes (+ W3C traceparent).

    ``ce_time`` is when the article version was fetched (the occurrence the event reports),
    so re-publishing after a crash or a replay gives the same attributes as the first time.
    """
    attributes = {
        "ce_specversion": "1.0",
        "ce_id": event["event_id"],
        "ce_source": CE_SOURCE,
        "ce_type": CE_TYPE_PREFIX + event["type"],
        "ce_subject": event["story_id"],
        "ce_time": event.get("fetched_at") or utc_now(timespec="seconds"),
        "ce_dataschema": CE_DATASCHEMA,
        "content-type": "application/json",
    }
    if traceparent:
        attributes["traceparent"] = traceparent
    return tuple((k, v.encode("utf-8")) for k, v in attributes.items())
