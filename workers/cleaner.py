"""Clean stage: raw topic -> cleaned topic. Reads RawStory records, extracts them in a recycled
process pool (CPU-bound; scales across processes and across raw partitions), and writes
cleaned articles. A page that cannot be extracted goes to dead letters with its reason."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict

from newswire import metrics as m
from newswire import tracing
from newswire.bus import Message, TopicPartition
from newswire.records import RawStory, RecordError
from newswire.runtime import DeadLetter, Out, Outcome
from workers.clean import CleanArticle, ExtractionError
from workers.extract_pool import ExtractPool


def cleaned_record(article: CleanArticle, raw: RawStory) -> bytes:
    """The cleaned-topic record: the article plus what latency and audit need from the raw."""
    body = asdict(article)
    body["fetched_at"] = raw.fetched_at
    body["feed_published"] = raw.published
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class CleanProcessor:
    name = "clean"

    def __init__(self, pool: ExtractPool, cleaned_topic: str) -> None:
        self.pool = pool
        self.cleaned_topic = cleaned_topic
        self._consumed = m.RAW_CONSUMED
        self._duration = m.EXTRACTION_DURATION
        self._failures = m.EXTRACTION_FAILURES_BY_REASON
        self.assigned: frozenset[TopicPartition] = frozenset()

    def process(self, batch: Sequence[Message]) -> list[Outcome]:
        outcomes: list[Outcome] = [Outcome() for _ in batch]
        raws: list[tuple[int, RawStory]] = []
        for i, msg in enumerate(batch):
            try:
                raws.append((i, RawStory.decode(msg.value)))
            except (RecordError, TypeError, ValueError) as exc:  # e.g. "authors": 5 -> TypeError
                # A malformed record is dead-lettered; raising would fail the batch on every restart.
                outcomes[i].dead = DeadLetter("decode_error", str(exc))
        self._consumed.inc(len(batch))
        started = time.monotonic()
        results = list(self.pool.map_ordered(raw for _, raw in raws))
        if results:
            per_page = (time.monotonic() - started) / len(results)
            for _ in results:
                self._duration.observe(per_page)
        for (i, raw), result in zip(raws, results, strict=True):
            if isinstance(result, ExtractionError):
                reason = result.reason if result.reason in self._failures else "error"
                self._failures[reason].inc()
                outcomes[i].dead = DeadLetter(f"extract_{result.reason}", str(result))
            else:
                # Single-partition topic: keyed by article so compaction-free ordering is kept.
                parent = tracing.from_headers(batch[i].headers)
                outcomes[i].outputs.append(
                    Out(
                        self.cleaned_topic,
                        cleaned_record(result, raw),
                        key=result.article_id.encode(),
                        headers=((tracing.HEADER, tracing.child_of(parent).encode("ascii")),),
                    )
                )
        return outcomes

    def on_assign(self, partitions: frozenset[TopicPartition]) -> None:
        """Stateless: nothing to restore; ready once it holds partitions."""
        self.assigned |= partitions

    def on_revoke(self, partitions: frozenset[TopicPartition]) -> None:
        """Stateless: nothing to hand over."""
        self.assigned -= partitions

    def on_abort(self) -> None:
        """Stateless: an aborted batch leaves nothing behind."""
