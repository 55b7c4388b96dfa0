"""Metadata quality on real publisher pages: headline, credited names, date, body, language.

The publisher-pages set (``tests/data/publisher-pages``) is scored by the same code as the
benchmark (:mod:`bench.bench_publisher_pages`); floors are pinned in ``tests/quality_baseline.json``
and bare trafilatura's figures are printed beside ours (and shown in ``make bench``).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bench.bench_publisher_pages import Extracted, bare, load_cases, ours, score
from tests.support.data import PUBLISHER_PAGES
from tests.support.quality import floor
from workers.clean import clean
from workers.metadata import detect_language

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return load_cases(PUBLISHER_PAGES)


@pytest.fixture(scope="module")
def extracted(cases: list[dict[str, Any]]) -> dict[str, Extracted]:
    return ours(cases)


def test_every_page_extracts_and_fields_hold_their_floors(
    cases: list[dict[str, Any]], extracted: dict[str, Extracted]
) -> None:
    s = score(cases, extracted)
    print(
        f"publisher pages: headline={s.headline:.3f} date={s.date:.3f} authors F1={s.authors:.3f} "
        f"body F1={s.body:.3f} events={s.extracted}/{s.pages}"
    )
    assert s.extracted == s.pages, s.failures["extracted"]
    assert s.headline >= floor("metadata.pages.headline"), s.failures["headline"]
    assert s.date >= floor("metadata.pages.date"), s.failures["date"]
    assert s.authors >= floor("metadata.pages.authors_f1"), s.failures["authors"]
    assert s.body >= floor("metadata.pages.body_f1"), s.failures["body"]


def test_beats_bare_trafilatura_on_every_metadata_field(
    cases: list[dict[str, Any]], extracted: dict[str, Extracted]
) -> None:
    mine, theirs = score(cases, extracted), score(cases, bare(cases))
    print(f"bare trafilatura: headline={theirs.headline:.3f} date={theirs.date:.3f} authors F1={theirs.authors:.3f}")
    assert mine.headline > theirs.headline
    assert mine.date >= theirs.date  # never worse than trafilatura's own pick
    assert mine.authors > theirs.authors
    assert mine.body >= theirs.body - floor("extraction.benchmark.max_deficit_to_bare")


def _case(cases: list[dict[str, Any]], part: str) -> dict[str, Any]:
    return next(c for c in cases if part in c["id"])


def test_agency_credits_are_kept_beside_the_people(cases: list[dict[str, Any]]) -> None:
    from bench.bench_publisher_pages import raw_story

    rec = clean(raw_story(_case(cases, "de/BSZ_2024_05_16")))  # "Felix Schröder und Jörg Soldwisch, dpa"
    assert rec.authors == ("Felix Schröder", "Jörg Soldwisch")
    assert rec.credits == ("dpa",) and rec.agencies == ("dpa",)
    desk = clean(raw_story(_case(cases, "de/BR_2024_08_27")))  # JSON-LD "Person" that is a desk
    assert desk.authors == () and desk.credits == ("BR24 Redaktion",)


def test_non_latin_and_single_word_bylines_survive(cases: list[dict[str, Any]]) -> None:
    from bench.bench_publisher_pages import raw_story

    assert clean(raw_story(_case(cases, "jp/TheJapanNews"))).authors == ("新間",)
    assert clean(raw_story(_case(cases, "jp/SankeiShimbun"))).authors == ("大渡 美咲",)
    pravda = clean(raw_story(_case(cases, "ua/Pravda")))
    assert pravda.authors == ("Ярослав Кузишин", "Антон Зелинский", "Карина Гасимова")


def test_language_detected_when_the_page_declares_none() -> None:
    assert detect_language("Die Bundesregierung hat am Mittwoch neue Regeln für den Nahverkehr beschlossen.") == "de"
    assert (
        detect_language("政府は水曜日、公共交通機関の新しい規則を決定した。関係者によると、来年から施行される。")
        == "ja"
    )
    assert detect_language("12:30") is None
