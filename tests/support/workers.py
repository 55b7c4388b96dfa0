"""Worker runs on the real broker, shared by the exactly-once and scale-out tests: distinct raw
inputs, producing them to the raw topic, reading the events table back, a worker's config; and
the coverage corpus's rows as the thread stage reads them (a decider's input, a cleaned record)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from newswire.bus import Message, open_bus
from newswire.records import RawStory
from newswire.settings import Settings
from newswire.topics import Role, topic_graph
from pipeline.samples import load_corpus, render_page, seed_records
from tests.support.daemons import write_config
from tests.support.data import COVERAGE_CORPUS, DEV_CORPUS
from workers import features
from workers.text import content_hash
from workers.thread import ThreadInput, thread_input
from workers.threader import ThreadProcessor


def distinct_inputs(copies: int) -> list[RawStory]:
    """Distinct articles (no unchanged re-deliveries), so every input must yield one event."""
    base = sorted([*seed_records(), *load_corpus(DEV_CORPUS)], key=lambda r: r["published"])
    out = []
    for n in range(copies):
        for r in base:
            rec = {
                **r,
                "url": f"{r['url']}?copy={n}" if n else r["url"],
                "body_paragraphs": [*r["body_paragraphs"], f"Edition {n}."] if n else r["body_paragraphs"],
            }
            out.append(
                RawStory.from_dict(
                    {
                        "id": f"{r['id']}#{n}",
                        "url": rec["url"],
                        "guid": f"{r['guid']}#{n}",
                        "html": render_page(rec),
                        "title": r["title"],
                        "published": r["published"],
                    }
                )
            )
    return out


def produce_raw(settings: Settings, raws: list[RawStory]) -> None:
    bus = open_bus(settings)
    graph = topic_graph(settings)
    bus.ensure_topics(graph.all())
    producer = bus.producer()
    for raw in raws:
        producer.send(graph.name(Role.RAW), raw.encode(), key=raw.article_key.encode())
    producer.flush()
    producer.close()
    bus.close()


def read_events(settings: Settings) -> list[dict[str, object]]:
    bus = open_bus(settings)
    try:
        return [
            json.loads(m.value) for m in bus.read_table(topic_graph(settings).name(Role.EVENTS)) if m.value is not None
        ]
    finally:
        bus.close()


def worker_config(tmp_path: Path, settings: Settings) -> Path:
    return write_config(
        tmp_path / "worker.yaml",
        settings,
        worker={"extract_processes": 1, "batch_size": 4},
        metrics={"enabled": False},
        shutdown_timeout_s=20,
    )


def coverage_rows() -> list[dict[str, Any]]:
    """The coverage-dev corpus (events, independent coverage, look-alikes), one dict a line."""
    with gzip.open(COVERAGE_CORPUS, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def coverage_item(row: dict[str, Any]) -> ThreadInput:
    """A corpus row as the decider's input, at its publication time."""
    published = datetime.fromisoformat(row["published"].replace("Z", "+00:00"))
    return thread_input(
        row["url"], row["title"], "\n\n".join(row["body_paragraphs"]), published, site=row["site"], guid=row["guid"]
    )


def cleaned_body(row: dict[str, Any], i: int, text: str, *, with_features: bool = False, **over: Any) -> dict[str, Any]:
    """A corpus row as the clean stage writes it to the cleaned topic (``CleanedRecord``'s wire
    form, ids ``a{i}`` and ``r{i}``) with ``text`` as its text: with the features the clean stage
    ships when asked, and ``over`` in place of any field."""
    body: dict[str, Any] = {
        "article_id": f"a{i}",
        "raw_id": f"r{i}",
        "url": row["url"],
        "canonical_url": row["url"],
        "site": row["site"],
        "title": row["title"],
        "text": text,
        "authors": [],
        "published": row["published"],
        "language": "en",
        "content_hash": content_hash(text),
    }
    if with_features:
        body["features"] = features.analyse(row["title"], text).to_wire()
    return {**body, **over}


def changelog_of(proc: ThreadProcessor, articles: list[dict[str, Any]]) -> list[Message]:
    """The story-index changelog ``proc`` writes deciding ``articles`` (cleaned records' wire
    form) in one batch, as messages of the index topic: what a restore or a standby reads."""
    outcomes = proc.process([Message("cleaned", 0, i, None, json.dumps(a).encode(), 0) for i, a in enumerate(articles)])
    changes = [o for outcome in outcomes for o in outcome.outputs if o.topic == "index"]
    return [Message("index", 0, i, o.key, o.value, 0) for i, o in enumerate(changes)]
