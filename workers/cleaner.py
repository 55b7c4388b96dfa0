"""Clean stage: raw topic -> cleaned topic. Reads RawStory records, extracts them in a recycled
process pool (CPU-bound; scales across processes and across raw partitions), and writes
cleaned articles. A page that cannot be extracted goes to dead letters with its reason.

A bug in our extraction code (:class:`~workers.extract_pool.InternalError`) is not a bad page
and is not reported as one: it is logged at ERROR with its traceback and counted as
``internal`` (``newswire_extraction_failures_total`` and ``newswire_dead_letters_total``).
The record itself is dead-lettered with reason ``internal``, keeping the original and the
error, rather than crashing the stage, because:

- this stage's code paths are driven by arbitrary web pages, so a bug typically fires on a few
  pages only; crashing would re-read the same page after every restart, a crash loop that
  stops every page of the partition (and, as partitions move between replicas, of the whole
  stage) until a fix ships: one page's bug would stop the news;
- the stage is stateless and extraction runs in a separate process, so a bug cannot leave
  state half-updated behind it (the thread stage, which owns the story index, does crash on a
  bug: there a rebuild from the changelog is what keeps the state right);
- nothing is lost: the dead letter holds the raw record as it was, to be fed again once the
  bug is fixed, and the ``internal`` reason tells operators it is theirs to fix, not the
  publisher's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from newswire import metrics as m
from newswire import tracing
from newswire.bus import Message, TopicPartition
from newswire.records import CleanedRecord, RawStory, RecordError
from newswire.runtime import DeadLetter, Out, Outcome
from workers.clean import ExtractionError
from workers.extract_pool import ExtractPool, InternalError

log = logging.getLogger(__name__)


class CleanProcessor:
    name = "clean"

    def __init__(self, pool: ExtractPool, cleaned_topic: str, *, max_record_bytes: int) -> None:
        self.pool = pool
        self.cleaned_topic = cleaned_topic
        self.max_record_bytes = max_record_bytes
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
            except RecordError as exc:
                # A malformed record is dead-lettered; raising would fail the batch on every restart.
                outcomes[i].dead = DeadLetter("decode_error", str(exc))
        self._consumed.inc(len(batch))
        started = time.monotonic()
        results = list(self.pool.map_ordered(raw for _, raw in raws))
        if results:
            per_page = (time.monotonic() - started) / len(results)
            for _ in results:
                self._duration.observe(per_page)
        for (i, _), result in zip(raws, results, strict=True):
            if isinstance(result, ExtractionError):
                reason = result.reason if result.reason in self._failures else "error"
                self._failures[reason].inc()
                outcomes[i].dead = DeadLetter(f"extract_{result.reason}", str(result))
            elif isinstance(result, InternalError):
                self._failures["internal"].inc()
                log.error(
                    "bug in extraction (not the page's fault); record dead-lettered as internal",
                    extra={
                        "raw_id": result.raw_id,
                        "url": result.url,
                        "error": result.error,
                        "traceback": result.traceback,
                    },
                )
                outcomes[i].dead = DeadLetter("internal", f"{result.error}\n{result.traceback[-1500:]}")
            else:
                value = self._fitted(result)
                if value is None:
                    self._failures["too_large"].inc()
                    outcomes[i].dead = DeadLetter(
                        "extract_too_large", f"cleaned text over the record limit of {self.max_record_bytes} bytes"
                    )
                    continue
                # Single-partition topic: keyed by article so compaction-free ordering is kept.
                parent = tracing.from_headers(batch[i].headers)
                outcomes[i].outputs.append(
                    Out(
                        self.cleaned_topic,
                        value,
                        key=result.article_id.encode(),
                        headers=((tracing.HEADER, tracing.child_of(parent).encode("ascii")),),
                    )
                )
        return outcomes

    def _fitted(self, record: CleanedRecord) -> bytes | None:
        """The record as the bus can hold it, or None. The text's features may outgrow the page
        (150,000 short lines in a 5.9 MB page made 27 MB of them, a 33 MB record the broker
        refused, failing the batch on every restart): such a record goes without them, and the
        thread stage computes them from the text. A text that alone is over is a dead letter."""
        value = record.encode()
        if len(value) <= self.max_record_bytes:
            return value
        log.warning(
            "cleaned record over the record limit; sent without its features",
            extra={"raw_id": record.raw_id, "url": record.url, "bytes": len(value)},
        )
        value = replace(record, features=None).encode()
        return value if len(value) <= self.max_record_bytes else None

    def on_assign(self, partitions: frozenset[TopicPartition]) -> None:
        """Stateless: nothing to restore; ready once it holds partitions."""
        self.assigned |= partitions

    def on_revoke(self, partitions: frozenset[TopicPartition]) -> None:
        """Stateless: nothing to hand over."""
        self.assigned -= partitions

    def on_abort(self) -> None:
        """Stateless: an aborted batch leaves nothing behind."""
