"""The whole worker path (clean + thread, as ``newswire replay`` runs it) vs bare trafilatura.

Run: ``.venv/bin/python bench/bench_replay.py [--shared ../shared] [--repeat 2]``

The 181 pages of the article-extraction benchmark (from the shared data folder given by
``--shared``, default ``../shared`` beside the repository; skipped with a message when absent)
are written as raw records and replayed on one core (``extract_processes: 0``: extraction in
this process), the daemon's code path from raw record to story event. The baseline is bare
trafilatura with the project's own extraction settings, the options the cleaning step passes
it (``favor_precision``, with metadata, no comments, tables, htmldate's search for the date
the page declares), over the same pages (parsed from their HTML) in the same run. Times are
CPU seconds of this process (one core), best of ``--repeat``, the two run alternately; the
ratio is replay pages/s over bare pages/s.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench._build  # first: the decider's and the features' modules as the daemon runs them
from newswire.records import RawStory
from newswire.settings import Settings, WorkerSettings
from workers.clean import DEFAULT_SETTINGS
from workers.library_meta import DATE_PARAMS
from workers.replay import replay

REPO = Path(__file__).resolve().parents[1]


def load(root: Path) -> list[tuple[str, str, str]]:
    """(id, url, html) of every benchmark page."""
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for key, meta in sorted(truth.items()):
        html = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace")
        out.append((key, meta["url"], html))
    return out


def bare(pages: list[tuple[str, str, str]]) -> None:
    s = DEFAULT_SETTINGS
    for _, url, html in pages:
        trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            favor_precision=s.favor_precision,
            include_comments=False,
            include_tables=s.include_tables,
            date_extraction_params=dict(DATE_PARAMS),
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared data folder")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    root = args.shared / "data" / "article-extraction-benchmark"
    if not (root / "ground-truth.json").exists():
        print(f"replay bench: skipped ({root} not found; pass --shared PATH)")
        return
    print(bench._build.build_line())
    pages = load(root)
    settings = Settings(worker=WorkerSettings(extract_processes=0))
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.jsonl"
        with raw.open("w", encoding="utf-8") as fh:
            for key, url, html in pages:
                rec = RawStory(id=key, url=url, html=html, article_key=key, guid=key)
                fh.write(rec.encode().decode("utf-8") + "\n")
        best_replay = best_bare = float("inf")
        events = 0
        for _ in range(max(1, args.repeat)):
            # Alternate the two so that neither always runs on a warmer machine.
            started = time.process_time()
            stats = replay(raw, io.StringIO(), settings)
            best_replay = min(best_replay, time.process_time() - started)
            events = stats.events
            started = time.process_time()
            bare(pages)
            best_bare = min(best_bare, time.process_time() - started)
    n = len(pages)
    print(f"{'system':44} {'pages':>6} {'CPU s':>7} {'pages/s':>8}")
    print(f"{'newswire replay (clean + thread, 1 core)':44} {n:6d} {best_replay:7.2f} {n / best_replay:8.1f}")
    print(f"{'trafilatura bare_extraction (clean options)':44} {n:6d} {best_bare:7.2f} {n / best_bare:8.1f}")
    print(f"ratio replay/bare: {best_bare / best_replay:.2f}x ({events} story events)")


if __name__ == "__main__":
    main()
