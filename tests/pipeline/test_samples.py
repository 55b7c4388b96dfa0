"""Rendered pages and feeds must carry the record faithfully *and* realistic chrome."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import feedparser
import pytest

from pipeline.samples import load_corpus, render_feed, render_page, seed_records
from tests.support.data import DEV_CORPUS


def test_load_corpus_reads_plain_and_gzipped_alike(tmp_path: Path) -> None:
    plain = tmp_path / "dev.jsonl"
    plain.write_bytes(gzip.decompress(DEV_CORPUS.read_bytes()) + b"\n\n")
    assert load_corpus(plain) == load_corpus(DEV_CORPUS)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n[2]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        load_corpus(bad)


def test_load_corpus_reads_all_records() -> None:
    records = load_corpus(DEV_CORPUS)
    assert len(records) == 25
    assert all(r["body_paragraphs"] and r["site_chrome"]["nav"] for r in records)


def test_render_page_has_metadata_body_and_chrome() -> None:
    record = load_corpus(DEV_CORPUS)[0]
    page = render_page(record)
    assert page.startswith("<!DOCTYPE html>")
    assert f"<title>{record['title']} | " in page
    assert 'property="og:site_name"' in page
    assert f'rel="canonical" href="{record["url"]}"' in page
    assert f'content="{record["published"]}"' in page
    assert "<h1" in page and "<article" in page
    for item in record["site_chrome"]["nav"] + record["site_chrome"]["related"]:
        assert f">{item}</a>" in page
    assert "cookie" in page.lower() and "Share this article" in page
    assert render_page(record) == page  # deterministic


def test_render_page_without_date_and_with_authors() -> None:
    record = {**load_corpus(DEV_CORPUS)[0], "published": None, "authors": ["Ana Lind", "Bo Carr"]}
    page = render_page(record)
    assert "published_time" not in page and "datetime=" not in page
    assert "By Ana Lind and Bo Carr" in page
    assert 'name="author" content="Ana Lind, Bo Carr"' in page


def test_seed_records_labels_and_navigation_line() -> None:
    records = seed_records()
    assert [r["expect"] for r in records] == ["new", "duplicate", "new", "update"]
    statement, copy, other, followup = records
    assert statement["body_paragraphs"] == copy["body_paragraphs"] and statement["site"] != copy["site"]
    assert statement["thread"] == copy["thread"] == followup["thread"] != other["thread"]
    assert other["title"] != statement["title"] and "telephone conversation" in other["body_paragraphs"][0]
    assert followup["published"].startswith("2022-01-25")
    assert "All news" not in followup["body_paragraphs"] and followup["title"].startswith("Putin, Cuban")
    assert "All news" in render_page(followup)  # present on the page as chrome, not as body


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_xml_feeds_parse_with_items(kind: str) -> None:
    records = seed_records()
    parsed = feedparser.parse(render_feed(records, kind, "https://kremlin.example/"))  # type: ignore[arg-type]
    assert not parsed.bozo
    assert [e.title for e in parsed.entries] == [r["title"] for r in records]
    assert [e.link for e in parsed.entries] == [r["url"] for r in records]
    assert [e.id for e in parsed.entries] == [r["guid"] for r in records]
    assert all(e.get("published") and e.get("summary") for e in parsed.entries)


def test_json_feed_is_jsonfeed_11() -> None:
    records = seed_records()
    doc = json.loads(render_feed(records, "json", "https://kremlin.example"))
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert [i["id"] for i in doc["items"]] == [r["guid"] for r in records]
    assert doc["items"][0]["date_published"] == "2022-01-24T17:20:00Z"


def test_feed_kind_is_validated() -> None:
    with pytest.raises(ValueError):
        render_feed([], "csv", "https://x.example/")  # type: ignore[arg-type]
