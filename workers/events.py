"""Story events: what downstream consumers receive on the events topic.

The schema lives in ``workers/schema/story-event.v1.json`` (versioned; a breaking change gets a
new file and ``schema_version``). ``event_id`` is derived from the raw record id alone, so a
record re-processed after a crash or a replay yields the same id and consumers can drop repeats.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from newswire.records import CleanedRecord, stable_id
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
        "fetched_at": article.fetched_at,
    }


def encode_event(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
