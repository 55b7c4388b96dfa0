"""Where tests find the read-only shared data (beside the repo root, never copied into it)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO.parent / "shared").resolve()
CORPUS = SHARED / "corpus"
BENCHMARK = SHARED / "data" / "article-extraction-benchmark"
FEEDS = SHARED / "data" / "feeds" / "netnewswire"
