"""Metadata quality on real publisher pages: headline, credited names, date, body, language.

The publisher-pages set (``tests/data/publisher-pages``) goes through ``newswire replay`` and
the events are scored by the same code as the benchmark (:mod:`bench.bench_publisher_pages`);
floors are pinned in ``tests/quality_baseline.json`` and bare trafilatura's figures are printed
beside ours (and shown in ``make bench``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import jsonschema
import pytest

from bench.bench_publisher_pages import Extracted, bare, load_cases, ours, score
from pipeline.cli import main
from tests.support.data import PUBLISHER_PAGES
from tests.support.quality import floor
from workers.clean import clean
from workers.events import schema
from workers.metadata import detect_language

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return load_cases(PUBLISHER_PAGES)


@pytest.fixture(scope="module")
def extracted(cases: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Extracted]:
    """The pages through ``newswire replay`` (clean, thread, events), read back from the events."""
    tmp = tmp_path_factory.mktemp("pages")
    src, out = tmp / "pages.jsonl", tmp / "events.jsonl"
    lines = ({"id": c["id"], "guid": c["id"], "url": c["url"], "html": c["html"]} for c in cases)
    src.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert main(["--log-format", "text", "--log-level", "WARNING", "replay", str(src), "--output", str(out)]) == 0
    validator = jsonschema.Draft202012Validator(schema())
    by_url = {c["url"]: c["id"] for c in cases}
    got = {c["id"]: Extracted(ok=False, note="no event") for c in cases}
    for line in out.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        validator.validate(event)
        names = (*event["authors"], *event["credits"])
        got[by_url[event["url"]]] = Extracted(event["title"], names, event["published"], event["text"])
    return got


def test_replay_agrees_with_the_cleaning_step(cases: list[dict[str, Any]], extracted: dict[str, Extracted]) -> None:
    direct = ours(cases[:10])
    for key, value in direct.items():
        assert extracted[key] == value, key


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


_SCRIPTS = {
    "ko": (
        "서울시는 내년부터 대중교통 요금을 인상하기로 결정했다고 밝혔다. 시 관계자는 운영 적자가 늘고 있다고 했다.",
        "시민 단체들은 요금 인상이 서민 가계에 부담이 될 것이라며 반대했다. 시는 다음 달 공청회를 연다.",
    ),
    "ar": (
        "أعلنت الحكومة يوم الأربعاء عن خطة جديدة لتحسين شبكة النقل العام في العاصمة خلال السنوات الخمس المقبلة.",
        "وقال وزير النقل إن المشروع سيوفر آلاف فرص العمل ويخفف الازدحام المروري في وسط المدينة بشكل كبير.",
    ),
    "he": (
        "הממשלה אישרה ביום רביעי תוכנית חדשה לשיפור התחבורה הציבורית בעיר הבירה בחמש השנים הקרובות.",
        "שר התחבורה אמר כי הפרויקט ייצור אלפי מקומות עבודה ויקל על העומס בכבישים במרכז העיר.",
    ),
    "ru": (
        "Правительство в среду объявило о новом плане по улучшению общественного транспорта в столице.",
        "Министр транспорта заявил, что проект создаст тысячи рабочих мест и снизит пробки в центре города.",
    ),
    "zh": (
        "市政府周三宣布了一项改善首都公共交通的新计划，预计将在未来五年内完成。",
        "交通部长表示，该项目将创造数千个就业岗位，并大大缓解市中心的交通拥堵问题。",
    ),
}


@pytest.mark.parametrize("lang", sorted(_SCRIPTS))
def test_pages_in_every_script_extract_with_their_language(lang: str) -> None:
    """A page that declares no language, in a script without spaces or case, is an article like
    any other: its text, its byline and the detected language."""
    from newswire.records import RawStory

    first, second = _SCRIPTS[lang]
    page = (
        "<html><head><title>T</title>"
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"'
        + first[:20]
        + '","author":{"@type":"Person","name":"'
        + {"ko": "김민수", "ar": "أحمد علي", "he": "דנה כהן", "ru": "Анна Петрова", "zh": "牛镛"}[lang]
        + '"}}</script></head><body><article>'
        + "".join(f"<p>{p}</p>" for p in (first, second, first + second))
        + "</article></body></html>"
    )
    rec = clean(RawStory(id=lang, url=f"https://news.example/{lang}/1", html=page))
    assert first in rec.text and second in rec.text
    assert rec.language == lang
    assert len(rec.authors) == 1 and rec.credits == ()
