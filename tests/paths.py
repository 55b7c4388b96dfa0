"""Where tests find the read-only shared data (beside the repo root, never copied into it;
``NEWSWIRE_SHARED_DIR`` points elsewhere, e.g. for a clone in another folder)."""

from pathlib import Path

from pipeline.samples import shared_dir

REPO = Path(__file__).resolve().parents[1]
SHARED = shared_dir()
CORPUS = SHARED / "corpus"
BENCHMARK = SHARED / "data" / "article-extraction-benchmark"
FEEDS = SHARED / "data" / "feeds" / "netnewswire"
