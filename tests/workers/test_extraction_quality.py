"""Extraction quality gates: the public benchmark and the rendered dev corpus."""

from __future__ import annotations

import gzip
import json
import logging
from typing import Any

import pytest
import trafilatura

from bench.bench_extract import SUFFIX_RE, f1_score, load_benchmark
from newswire.records import CleanedRecord, RawStory
from pipeline.samples import COOKIE_LINE, SHARE_LINE, load_corpus, render_page, seed_records
from tests.support.data import BENCHMARK, DEV_CORPUS
from tests.support.quality import floor, reference
from workers.clean import clean
from workers.text import normalise_line

logging.getLogger("trafilatura").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def benchmark() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    return load_benchmark(BENCHMARK)


@pytest.fixture(scope="module")
def ours(benchmark: tuple[dict[str, str], dict[str, str], dict[str, str]]) -> dict[str, CleanedRecord]:
    pages, _, urls = benchmark
    return {k: clean(RawStory(id=k, url=urls[k], html=p)) for k, p in pages.items()}


def test_metric_reproduces_published_trafilatura_score(
    benchmark: tuple[dict[str, str], dict[str, str], dict[str, str]],
) -> None:
    _, truth, _ = benchmark
    stored = json.loads(gzip.decompress((BENCHMARK / "trafilatura-2.0.0-output.json.gz").read_bytes()))["output"]
    f1, _, _ = f1_score(truth, {k: v["articleBody"] for k, v in stored.items()})
    assert f1 == pytest.approx(reference("extraction.benchmark.published_trafilatura_f1"), abs=0.001)


def test_body_f1_beats_gate_and_bare_trafilatura(
    benchmark: tuple[dict[str, str], dict[str, str], dict[str, str]], ours: dict[str, CleanedRecord]
) -> None:
    pages, truth, _ = benchmark
    bare = {k: trafilatura.extract(p, include_comments=False) or "" for k, p in pages.items()}
    ours_f1, _, _ = f1_score(truth, {k: a.text for k, a in ours.items()})
    bare_f1, _, _ = f1_score(truth, bare)
    print(f"benchmark F1 ours={ours_f1:.4f} bare={bare_f1:.4f}")
    assert ours_f1 >= floor("extraction.benchmark.f1")
    assert ours_f1 >= bare_f1 - floor("extraction.benchmark.max_deficit_to_bare")


def test_titles_lose_site_suffixes_on_real_pages(
    benchmark: tuple[dict[str, str], dict[str, str], dict[str, str]], ours: dict[str, CleanedRecord]
) -> None:
    pages, _, urls = benchmark
    bare_titles = {
        k: getattr(trafilatura.bare_extraction(p, url=urls[k], with_metadata=True), "title", "") or ""
        for k, p in pages.items()
    }
    ours_suffixed = sum(1 for a in ours.values() if SUFFIX_RE.search(a.title))
    bare_suffixed = sum(1 for t in bare_titles.values() if SUFFIX_RE.search(t))
    print(f"titles with a separator segment: ours={ours_suffixed} bare={bare_suffixed}")
    assert all(a.title for a in ours.values())
    assert ours_suffixed <= floor(
        "extraction.benchmark.max_suffixed_titles"
    )  # remaining ones are headlines with a dash in them
    assert ours_suffixed * 4 < bare_suffixed
    assert not any(" | " in a.title for a in ours.values())


def _norm(text: str) -> str:
    return normalise_line(text)


@pytest.mark.parametrize("record", load_corpus(DEV_CORPUS) + seed_records(), ids=lambda r: r["id"])
def test_rendered_pages_extract_exactly(record: dict[str, Any]) -> None:
    raw = RawStory(
        id=record["id"],
        url=record["url"],
        html=render_page(record),
        guid=record["guid"],
        title="",
        published=record["published"],
    )
    art = clean(raw)
    assert art.title == record["title"]
    lines = art.text.splitlines()
    assert [line for line in lines if line != art.title] == [_norm(p) for p in record["body_paragraphs"]]
    chrome = record["site_chrome"]
    for item in [*chrome["nav"], *chrome["related"], chrome["footer"], SHARE_LINE, COOKIE_LINE]:
        assert _norm(item) not in lines
    assert isinstance(art.authors, tuple)
    assert art.published == record["published"]


def test_authors_from_byline_and_date_falls_back_to_feed() -> None:
    record = {
        **load_corpus(DEV_CORPUS)[2],
        "published": None,
        "authors": ["Mira Olsen", "Tomas Reyes"],
    }
    raw = RawStory(id="x", url=record["url"], html=render_page(record), published="2026-05-12T05:10:00Z")
    art = clean(raw)
    assert art.authors == ("Mira Olsen", "Tomas Reyes")
    assert art.published == "2026-05-12T05:10:00Z"
