"""Sitemap parsing throughput: ingest.sitemaps.parse_sitemap vs a bare lxml.etree.iterparse loop.

Usage: python bench/bench_sitemaps.py [-n ROUNDS] [--urls N]

The document is a synthetic Google News sitemap at the protocol's maximum (50,000 URLs by
default), each entry with lastmod, publication name and language, publication date, title and
keywords, as wires publish them. The bare loop does the same work as ours - iterparse on the
URL elements, read the seven fields, convert both dates to UTC, clear each element - without
the prolog screen, the byte cap, the per-entry element bound and the entry objects. Both run
in the same process, interleaved per round; plain and gzipped (.xml.gz) documents both.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.sitemaps import SitemapSettings, parse_sitemap, select_entries, url_key

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def news_sitemap(n: int) -> bytes:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
    ]
    for i in range(n):
        stamp = f"2024-05-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+00:00"
        out.append(
            f"<url><loc>https://wire.example/world/2024/05/story-{i}</loc><lastmod>{stamp}</lastmod>"
            "<news:news><news:publication><news:name>Wire Example</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{stamp}</news:publication_date>"
            f"<news:title>Ministers meet over item {i} of the agenda &amp; budget</news:title>"
            "<news:keywords>politics, budget, europe</news:keywords></news:news></url>"
        )
    out.append("</urlset>\n")
    return "\n".join(out).encode()


def _utc(text: str | None) -> str | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bare_iterparse(data: bytes) -> int:
    """The same extraction with nothing but lxml: the floor our parser is measured against."""
    stream = gzip.GzipFile(fileobj=io.BytesIO(data)) if data[:2] == b"\x1f\x8b" else io.BytesIO(data)
    rows = []
    for _, elem in etree.iterparse(stream, events=("end",), tag=f"{SM}url", resolve_entities=False, no_network=True):
        news = elem.find(f"{NEWS}news")
        pub = news.find(f"{NEWS}publication") if news is not None else None
        rows.append(
            (
                (elem.findtext(f"{SM}loc") or "").strip(),
                _utc(elem.findtext(f"{SM}lastmod")),
                news.findtext(f"{NEWS}title") if news is not None else "",
                _utc(news.findtext(f"{NEWS}publication_date")) if news is not None else None,
                pub.findtext(f"{NEWS}language") if pub is not None else "",
                pub.findtext(f"{NEWS}name") if pub is not None else "",
                news.findtext(f"{NEWS}keywords") if news is not None else "",
            )
        )
        elem.clear()
        while elem.getprevious() is not None:
            del elem.getparent()[0]
    return len(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--rounds", type=int, default=5)
    ap.add_argument("--urls", type=int, default=50_000)
    args = ap.parse_args()
    plain = news_sitemap(args.urls)
    docs = {"plain": plain, "gzip": gzip.compress(plain, 6)}
    systems = {
        "ingest.sitemaps.parse_sitemap": lambda d: len(parse_sitemap(d).entries),
        "bare lxml.etree.iterparse": bare_iterparse,
    }
    timings = {(s, k): 0.0 for s in systems for k in docs}
    for _ in range(args.rounds):
        for kind, data in docs.items():
            for name, fn in systems.items():
                t0 = time.perf_counter()
                count = fn(data)
                timings[(name, kind)] += time.perf_counter() - t0
                assert count == args.urls, (name, count)
    mb = len(plain) / 1e6
    print(
        f"news sitemap of {args.urls} URLs: {mb:.1f} MB plain, {len(docs['gzip']) / 1e6:.2f} MB gzipped; "
        f"{args.rounds} rounds, interleaved"
    )
    print(f"{'system':32s} {'input':6s} {'URLs/s':>9s} {'MB/s':>7s} {'ms/doc':>8s} ours/bare")
    for kind in docs:
        ours = timings[("ingest.sitemaps.parse_sitemap", kind)]
        bare = timings[("bare lxml.etree.iterparse", kind)]
        for name in systems:
            secs = timings[(name, kind)]
            ratio = f"{bare / ours:.2f}x" if name.startswith("ingest") else ""
            print(
                f"{name:32s} {kind:6s} {args.urls * args.rounds / secs:9.0f} {mb * args.rounds / secs:7.1f} "
                f"{1000 * secs / args.rounds:8.0f} {ratio:>9s}"
            )
    parsed = parse_sitemap(plain).entries
    keyed = [(url_key(e.loc), e) for e in parsed]
    t0 = time.perf_counter()
    sel = select_entries(keyed, {}, None, SitemapSettings(), now=time.time())
    print(
        f"news selection over {len(keyed)} entries (first poll): {1000 * (time.perf_counter() - t0):.0f} ms, "
        f"{len(sel.emit)} emitted, {sel.deferred} deferred, {sel.old} archive"
    )


if __name__ == "__main__":
    main()
