"""``newswire replay``: the worker logic over raw records from a file, in order, on fresh state.

The same processors as the daemon (clean, then thread) run over the records without a bus:
each input line becomes the raw record a poller would have produced. It is the backfill tool
and the way to score extraction and threading on a labelled set.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from newswire.bus import Message
from newswire.records import RawStory, RecordError
from newswire.settings import Settings
from workers.clean import CleanSettings
from workers.cleaner import CleanProcessor
from workers.extract_pool import ExtractPool
from workers.threader import ThreadProcessor


@dataclass
class ReplayStats:
    inputs: int = 0
    events: int = 0
    unchanged: int = 0
    dead_letters: list[dict[str, Any]] = field(default_factory=list)


def clean_settings(settings: Settings) -> CleanSettings:
    return CleanSettings(max_html_bytes=settings.worker.max_html_bytes)


def _read(path: Path, stats: ReplayStats) -> Iterator[tuple[int, RawStory | str]]:
    # Bytes, decoded per line: one line of bad UTF-8 in a million-record backfill is that
    # line's dead letter, not the end of the run.
    with path.open("rb") as fh:
        for lineno, raw_line in enumerate(fh, 1):
            if not raw_line.strip():
                continue
            stats.inputs += 1
            try:
                obj = json.loads(raw_line.decode("utf-8"))
                if not isinstance(obj, dict):
                    raise RecordError("line is not a JSON object")
                yield lineno, RawStory.from_dict(obj)
            except (UnicodeDecodeError, json.JSONDecodeError, RecordError) as exc:
                yield lineno, f"line {lineno}: {exc}"


def replay(input_path: Path, output: IO[str], settings: Settings, batch_size: int = 32) -> ReplayStats:
    stats = ReplayStats()
    w = settings.worker
    with ExtractPool(
        workers=w.extract_processes,
        timeout_s=w.extract_timeout_s,
        max_tasks_per_child=w.max_tasks_per_child,
        settings=clean_settings(settings),
    ) as pool:
        cleaner = CleanProcessor(pool, "cleaned")
        threader = ThreadProcessor(w, "events", "index")
        threader.ready = True
        progress = tqdm(desc="replay", unit="rec", disable=not sys.stderr.isatty(), file=sys.stderr)
        batch: list[Message] = []

        def flush() -> None:
            outcomes = cleaner.process(batch)
            for msg, outcome in zip(batch, outcomes, strict=True):
                if outcome.dead is not None:
                    stats.dead_letters.append(
                        {"offset": msg.offset, "reason": outcome.dead.reason, "error": str(outcome.dead)}
                    )
                    continue
                for out in outcome.outputs:
                    cleaned = Message("cleaned", 0, msg.offset, out.key, out.value, 0)
                    for t_out in threader.process([cleaned])[0].outputs:
                        if t_out.topic == "events" and t_out.value is not None:
                            output.write(t_out.value.decode("utf-8") + "\n")
                            stats.events += 1
            progress.update(len(batch))
            batch.clear()

        for lineno, item in _read(input_path, stats):
            if isinstance(item, str):
                stats.dead_letters.append({"offset": lineno, "reason": "decode_error", "error": item})
                continue
            batch.append(Message("raw", 0, lineno, item.article_key.encode(), item.encode(), 0))
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        progress.close()
    stats.unchanged = stats.inputs - stats.events - len(stats.dead_letters)
    return stats
