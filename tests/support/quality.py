"""Quality measures shared by the quality tests, and the floors they are held to.

The floors, and a sha256 of every corpus they are measured on, live in one file,
``tests/quality_baseline.json``: lowering a floor or changing a corpus is a visible diff there,
and ``tests/test_quality_baseline.py`` fails when a corpus no longer matches its checksum.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from newswire.records import parse_time
from pipeline.samples import load_corpus
from tests.support.data import HELD_OUT_CORPUS, REPO
from workers.scoring import pairwise_scores
from workers.thread import Decision, ThreadInput, thread_input

BASELINE_FILE = REPO / "tests" / "quality_baseline.json"


# --------------------------------------------------------------------------- the baseline


@cache
def baseline() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BASELINE_FILE.read_text(encoding="utf-8"))
    return data


def floor(name: str) -> float:
    """A pinned quality floor, e.g. ``floor("threading.dev.f1")``."""
    return float(baseline()["floors"][name])


def reference(name: str) -> float:
    """A published score our metric must reproduce (so the metric itself is checked)."""
    return float(baseline()["reference"][name])


def known_errors(name: str) -> set[str]:
    """Items a measure is known to get wrong (documented limits, not noise)."""
    return set(baseline()["known_errors"][name])


def corpus_digest(path: Path) -> str:
    """sha256 of a corpus: of the file's bytes, or for a folder of every file's relative path
    and sha256, in sorted order (so adding, removing, renaming or editing any file changes it)."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    lines = [
        f"{p.relative_to(path).as_posix()}\0{hashlib.sha256(p.read_bytes()).hexdigest()}\n"
        for p in sorted(path.rglob("*"))
        if p.is_file()
    ]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


# --------------------------------------------------------------------------- same-story grouping


def lookalike_pairs_merged(predicted: Mapping[str, Hashable], rows: Iterable[Mapping[str, Any]]) -> int:
    """Pairs put in one story although one of them is a look-alike of a different event (same
    people, place or template): the precision failure a story pipeline must never make."""
    by_id = {r["id"]: r for r in rows}
    merged = 0
    for a, b in itertools.combinations(sorted(by_id), 2):
        if predicted[a] != predicted[b] or by_id[a]["thread"] == by_id[b]["thread"]:
            continue
        merged += "lookalike" in (by_id[a]["role"], by_id[b]["role"])
    return merged


def pairwise_f1(predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable]) -> float:
    return pairwise_scores(predicted, truth).f1


def correct(decision: Decision, expect: str, role: str) -> bool:
    """The decision a labelled item expects: its kind, and for an update the kind its role names."""
    if decision.kind != expect:
        return False
    if expect == "update":
        return decision.update_kind == role
    return True


# --------------------------------------------------------------------------- labelled items


def record_item(row: Mapping[str, Any]) -> ThreadInput:
    """A corpus record as the threader sees it (title, body, time, site, guid)."""
    key = row["guid"] or row["url"]
    published = parse_time(row["published"])
    assert published is not None, row["id"]
    return thread_input(
        key,
        row["title"],
        "\n\n".join(row["body_paragraphs"]),
        published,
        site=row["site"],
        guid=row["guid"],
    )


def held_out_item(row: Mapping[str, Any]) -> ThreadInput:
    """A held-out record as the threader sees it; ids derive from the guid (the article's
    identity: same guid = the same article revised) and the text."""
    text = "\n\n".join(row["body_paragraphs"])
    guid = str(row["guid"])
    return ThreadInput(
        article_id=hashlib.sha256(guid.encode()).hexdigest()[:20],
        raw_id=hashlib.sha256((guid + text).encode()).hexdigest()[:20],
        url=row["url"],
        guid=guid,
        site=row["site"],
        title=row["title"],
        text=text,
        published=datetime.fromisoformat(row["published"]),
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def load_held_out() -> list[dict[str, Any]]:
    """The held-out threading set, in publication order (ties by id)."""
    return sorted(load_corpus(HELD_OUT_CORPUS), key=lambda r: (r["published"], r["id"]))
