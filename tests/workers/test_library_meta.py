"""trafilatura's metadata read once per page, each field when asked: the values are the
library's own (``extract_metadata``, as ``bare_extraction(with_metadata=True)`` reads them)."""

from __future__ import annotations

import gzip
import json
import logging
from typing import Any

import pytest
from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html

from tests.support.data import BENCHMARK, PUBLISHER_PAGES
from workers import library_meta
from workers.library_meta import DATE_PARAMS, LibraryMeta

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


def _pages() -> list[tuple[str, str, str]]:
    """(id, url, html) of the two real page corpora."""
    out: list[tuple[str, str, str]] = []
    for file in sorted(PUBLISHER_PAGES.glob("cases*.jsonl.gz")):
        with gzip.open(file, "rt", encoding="utf-8") as fh:
            out.extend((c["id"], c["url"], c["html"]) for c in map(json.loads, fh))
    truth = json.loads(gzip.decompress((BENCHMARK / "ground-truth.json.gz").read_bytes()))
    for key, meta in sorted(truth.items()):
        html = gzip.decompress((BENCHMARK / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace")
        out.append((key, meta["url"], html))
    return out


def test_the_fields_are_trafilaturas_own_on_the_real_pages() -> None:
    pages = _pages()
    assert len(pages) > 300
    for key, url, html in pages:
        want = extract_metadata(load_html(html), url, dict(DATE_PARAMS))
        got = LibraryMeta(load_html(html), url)
        assert (got.title, got.sitename, got.author, got.date) == (
            want.title or "",
            want.sitename or "",
            want.author or "",
            want.date,
        ), key


def test_the_byline_and_the_date_are_searched_for_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counted(name: str) -> Any:
        real = getattr(library_meta, name)

        def run(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)

        return run

    for name in ("extract_author", "find_date"):
        monkeypatch.setattr(library_meta, name, counted(name))
    page = (
        "<html><head><title>Storm closes the port - Harbour News</title></head><body><article>"
        "<h1>Storm closes the port</h1><p class='byline'>By Jane Doe</p>"
        "<p>Published 2024-03-05. The port closed on Tuesday as the storm reached the coast.</p>"
        "</article></body></html>"
    )
    meta = LibraryMeta(load_html(page), "https://harbour.example/2024/03/05/storm")
    assert meta.title == "Storm closes the port"
    assert calls == []
    assert meta.date == "2024-03-05"
    assert meta.author == "Jane Doe"
    assert meta.author == "Jane Doe" and meta.date == "2024-03-05"  # read once
    assert calls == ["find_date", "extract_author"]


def test_a_field_the_markup_defeats_is_a_field_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library fault on one field (here the byline search) leaves that field empty: the page
    is still read, and the fault is not filed against our code."""

    def broken(tree: Any) -> str:
        raise ValueError("markup the search cannot walk")

    monkeypatch.setattr(library_meta, "extract_author", broken)
    meta = LibraryMeta(
        load_html("<html><head><title>A title</title></head><body><p>x</p></body></html>"), "https://a.example/"
    )
    assert meta.author == ""
    assert meta.title == "A title"
