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
# Every fictional held-out coverage set by name, in the order they were written (each after the
# rules of its day; tests/data/corpus/README.md says what each holds): the one list the tests
# and the bench read, so that a new set is one more number here.
COVERAGE_HELD_OUT_SETS: dict[str, Path] = {"coverage-held-out": COVERAGE_HELD_OUT_CORPUS} | {
    f"coverage-held-out-{n}": CORPUS / f"coverage-held-out-{n}.jsonl.gz" for n in range(2, 103)
}
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
