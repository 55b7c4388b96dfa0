"""Feed parsing throughput: ingest.feeds.parse_feed vs bare feedparser.parse (default settings).

Usage: python bench/bench_feeds.py [-n ROUNDS] [--dir FOLDER]

FOLDER defaults to the NetNewsWire test feeds in ``tests/data`` (gzipped files are read
decompressed, so any folder of plain or ``.gz`` feeds will do).

Both run over the same RSS/Atom files in the same process, interleaved per round, so the
ratio is meaningful even on a noisy machine. parse_feed adds the expat guard (a full scan) and
entry conversion but turns off feedparser's HTML sanitising and relative-URI resolution.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import time
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.feeds import parse_feed

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "feeds" / "netnewswire"
XML_SUFFIXES = (".rss", ".atom", ".xml", ".rdf")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--rounds", type=int, default=5)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    args = ap.parse_args()
    blobs = [
        gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
        for p in sorted(args.dir.iterdir())
        if Path(p.name.removesuffix(".gz")).suffix in XML_SUFFIXES
    ]
    total_mb = sum(map(len, blobs)) / 1e6
    timings = {"ingest.feeds.parse_feed": 0.0, "feedparser.parse (defaults)": 0.0}
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for data in blobs:
            parse_feed(data)
        timings["ingest.feeds.parse_feed"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        for data in blobs:
            feedparser.parse(io.BytesIO(data))
        timings["feedparser.parse (defaults)"] += time.perf_counter() - t0
    n = len(blobs) * args.rounds
    print(f"{len(blobs)} RSS/Atom files ({total_mb:.1f} MB), {args.rounds} rounds")
    for name, secs in timings.items():
        print(f"{name:30s} {n / secs:8.1f} feeds/s  {total_mb * args.rounds / secs:6.2f} MB/s")
    ours, bare = timings.values()
    print(f"speed-up: {bare / ours:.2f}x")


if __name__ == "__main__":
    main()
