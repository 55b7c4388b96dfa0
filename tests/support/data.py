"""Where the tests' own data lives: ``tests/data`` in this repository, nothing outside it.

Every file is gzipped (``gzip -9n``: no name, no timestamp, so a re-compression is no diff) and
sits beside its source's LICENSE. Quality floors and the checksum of each quality corpus are in
``tests/quality_baseline.json`` (see ``tests.support.quality``).
"""

from __future__ import annotations

import gzip
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
CORPUS = DATA / "corpus"
DEV_CORPUS = CORPUS / "dev.jsonl.gz"
COVERAGE_CORPUS = CORPUS / "coverage-dev.jsonl.gz"
HELD_OUT_CORPUS = CORPUS / "threading-held-out.jsonl.gz"
COVERAGE_HELD_OUT_CORPUS = CORPUS / "coverage-held-out.jsonl.gz"
COVERAGE_HELD_OUT_2_CORPUS = CORPUS / "coverage-held-out-2.jsonl.gz"
COVERAGE_HELD_OUT_3_CORPUS = CORPUS / "coverage-held-out-3.jsonl.gz"
COVERAGE_HELD_OUT_4_CORPUS = CORPUS / "coverage-held-out-4.jsonl.gz"
COVERAGE_HELD_OUT_5_CORPUS = CORPUS / "coverage-held-out-5.jsonl.gz"
COVERAGE_HELD_OUT_6_CORPUS = CORPUS / "coverage-held-out-6.jsonl.gz"
COVERAGE_HELD_OUT_7_CORPUS = CORPUS / "coverage-held-out-7.jsonl.gz"
COVERAGE_HELD_OUT_8_CORPUS = CORPUS / "coverage-held-out-8.jsonl.gz"
COVERAGE_HELD_OUT_9_CORPUS = CORPUS / "coverage-held-out-9.jsonl.gz"
COVERAGE_HELD_OUT_10_CORPUS = CORPUS / "coverage-held-out-10.jsonl.gz"
COVERAGE_HELD_OUT_11_CORPUS = CORPUS / "coverage-held-out-11.jsonl.gz"
COVERAGE_HELD_OUT_12_CORPUS = CORPUS / "coverage-held-out-12.jsonl.gz"
COVERAGE_HELD_OUT_13_CORPUS = CORPUS / "coverage-held-out-13.jsonl.gz"
COVERAGE_HELD_OUT_14_CORPUS = CORPUS / "coverage-held-out-14.jsonl.gz"
COVERAGE_HELD_OUT_15_CORPUS = CORPUS / "coverage-held-out-15.jsonl.gz"
COVERAGE_HELD_OUT_16_CORPUS = CORPUS / "coverage-held-out-16.jsonl.gz"
COVERAGE_HELD_OUT_17_CORPUS = CORPUS / "coverage-held-out-17.jsonl.gz"
COVERAGE_HELD_OUT_18_CORPUS = CORPUS / "coverage-held-out-18.jsonl.gz"
COVERAGE_HELD_OUT_19_CORPUS = CORPUS / "coverage-held-out-19.jsonl.gz"
COVERAGE_HELD_OUT_20_CORPUS = CORPUS / "coverage-held-out-20.jsonl.gz"
COVERAGE_HELD_OUT_21_CORPUS = CORPUS / "coverage-held-out-21.jsonl.gz"
COVERAGE_HELD_OUT_22_CORPUS = CORPUS / "coverage-held-out-22.jsonl.gz"
COVERAGE_HELD_OUT_23_CORPUS = CORPUS / "coverage-held-out-23.jsonl.gz"
COVERAGE_HELD_OUT_24_CORPUS = CORPUS / "coverage-held-out-24.jsonl.gz"
BENCHMARK = DATA / "article-extraction-benchmark"
PUBLISHER_PAGES = DATA / "publisher-pages"
FEEDS = DATA / "feeds" / "netnewswire"


def feed_files() -> list[Path]:
    """Every NetNewsWire test file (feeds of each kind and the two OPML exports), sorted."""
    return sorted(FEEDS.glob("*.gz"))


def original_name(path: Path) -> str:
    """``DaringFireball.atom.gz`` -> ``DaringFireball.atom``: the name the file had upstream."""
    return path.name.removesuffix(".gz")


def feed_bytes(name: str) -> bytes:
    """The bytes of one NetNewsWire test file, by its upstream name (e.g. ``Subs.opml``)."""
    return gzip.decompress((FEEDS / f"{name}.gz").read_bytes())


def feed_file(name: str, directory: Path) -> Path:
    """One NetNewsWire test file written out under its upstream name, for code that takes a path."""
    path = directory / name
    path.write_bytes(feed_bytes(name))
    return path
