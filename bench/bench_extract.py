"""Benchmark: our ``clean()`` vs bare trafilatura on the same pages in the same run.

Prints pages/s and the article-extraction-benchmark F1 (4-gram shingles, mean P / mean R, as
the benchmark's evaluate.py computes it) for both, plus how many titles still carry a site
suffix. Run: ``.venv/bin/python -m bench.bench_extract [--repeat N] [--benchmark DIR]``; DIR
defaults to the benchmark's copy in ``tests/data``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

import trafilatura

from newswire.records import RawStory
from workers.clean import clean

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
BENCHMARK = Path(__file__).resolve().parents[1] / "tests" / "data" / "article-extraction-benchmark"
SUFFIX_RE = re.compile(r" (?:\||-|\u2013|\u2014) ")


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN_RE.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def shingle_tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) over 4-gram word shingles, counting multiplicity."""
    t, p = _shingles(true), _shingles(pred)
    tp = fp = fn = 0
    for key in t.keys() | p.keys():
        tc, pc = t.get(key, 0), p.get(key, 0)
        tp += min(tc, pc)
        fp += max(0, pc - tc)
        fn += max(0, tc - pc)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def f1_score(truth: Mapping[str, str], predicted: Mapping[str, str]) -> tuple[float, float, float]:
    """(F1, precision, recall): F1 of the mean per-page precision and mean per-page recall."""
    scores = [shingle_tp_fp_fn(truth[k], predicted.get(k, "")) for k in sorted(truth)]

    def prec(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def rec(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    p = statistics.mean(prec(*s) for s in scores if s[0] + s[1] > 0)
    r = statistics.mean(rec(*s) for s in scores if s[0] + s[2] > 0)
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def load_benchmark(root: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(html by page id, ground-truth body by id, url by id); the ground truth may be gzipped."""
    plain = root / "ground-truth.json"
    raw = plain.read_bytes() if plain.exists() else gzip.decompress((root / "ground-truth.json.gz").read_bytes())
    truth = json.loads(raw)
    pages = {
        key: gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace")
        for key in truth
    }
    return pages, {k: v["articleBody"] for k, v in truth.items()}, {k: v["url"] for k, v in truth.items()}


def ours(pages: Mapping[str, str], urls: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Our step: page id -> (text, title)."""
    out: dict[str, tuple[str, str]] = {}
    for key, page in pages.items():
        art = clean(RawStory(id=key, url=urls[key], html=page))
        out[key] = (art.text, art.title)
    return out


def bare(pages: Mapping[str, str], urls: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Bare trafilatura as commonly used (comments excluded), with metadata for the title."""
    out: dict[str, tuple[str, str]] = {}
    for key, page in pages.items():
        doc = trafilatura.bare_extraction(page, url=urls[key], include_comments=False, with_metadata=True)
        out[key] = ((getattr(doc, "text", None) or ""), (getattr(doc, "title", None) or ""))
    return out


def bare_text_only(pages: Mapping[str, str], urls: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Bare trafilatura body only (no metadata): the fastest baseline."""
    return {k: (trafilatura.extract(p, include_comments=False) or "", "") for k, p in pages.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="timed passes per extractor (best is kept)")
    parser.add_argument(
        "--benchmark", type=Path, default=BENCHMARK, help="folder with html/ and ground-truth.json[.gz]"
    )
    args = parser.parse_args()
    pages, truth, urls = load_benchmark(args.benchmark)
    runners: list[tuple[str, Callable[[Mapping[str, str], Mapping[str, str]], dict[str, tuple[str, str]]]]] = [
        ("newswire clean()", ours),
        ("trafilatura bare_extraction+meta", bare),
        ("trafilatura extract (text only)", bare_text_only),
    ]
    print(f"{len(pages)} pages, {sum(map(len, pages.values())) / 1e6:.1f} MB of HTML")
    print(f"{'extractor':36} {'pages/s':>8} {'F1':>7} {'P':>7} {'R':>7} {'suffixed titles':>16}")
    for name, fn in runners:
        best = float("inf")
        result: dict[str, tuple[str, str]] = {}
        for _ in range(max(1, args.repeat)):
            started = time.perf_counter()
            result = fn(pages, urls)
            best = min(best, time.perf_counter() - started)
        f1, p, r = f1_score(truth, {k: v[0] for k, v in result.items()})
        titled = [v[1] for v in result.values() if v[1]]
        suffixed = sum(1 for t in titled if SUFFIX_RE.search(t))
        suffix_cell = f"{suffixed}/{len(titled)}" if titled else "-"
        print(f"{name:36} {len(pages) / best:8.1f} {f1:7.4f} {p:7.4f} {r:7.4f} {suffix_cell:>16}")


if __name__ == "__main__":
    main()
