"""Coverage: independent reports of one event join its story; look-alikes stay apart.

The coverage-dev corpus (fictional, labelled) is decided in time order through the worker's
path (``decide`` then ``apply``); floors sit just below what the method measures, so a change
that loses precision or recall fails here. Extra cases written for this file (not in any
corpus) check the same behaviour on events the thresholds never saw."""

from __future__ import annotations

import dataclasses
import json
import random
from array import array
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest

from bench import bench_coverage
from newswire.records import CleanedRecord
from pipeline.samples import load_corpus
from tests.support.data import DEV_CORPUS
from tests.support.quality import floor, lookalike_pairs_merged, record_item
from tests.support.workers import coverage_item, coverage_rows
from workers import agencies, coverage, coverage_model, coverage_terms, coverage_vectors, features, shingles
from workers import thread as thread_module
from workers.events import build_event, schema
from workers.scoring import pairwise_scores
from workers.thread import (
    ARTICLE_PREFIX,
    Decision,
    StoryIndex,
    ThreadInput,
    ThreadSettings,
    _decode_article,
    decide_and_apply,
    thread_input,
)

_rows, _item = coverage_rows, coverage_item


def _in_time_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["published"], r["id"]))


def test_coverage_dev_precision_recall_and_no_lookalike_merged() -> None:
    rows = _in_time_order(_rows())
    index = StoryIndex(ThreadSettings())
    decided: dict[str, Decision] = {}
    for row in rows:
        decided[row["id"]], _ = decide_and_apply(index, _item(row))
    predicted = {rid: d.story_id for rid, d in decided.items()}
    scores = pairwise_scores(predicted, {r["id"]: r["thread"] for r in rows})
    look_merged = lookalike_pairs_merged(predicted, rows)
    print(f"coverage-dev: P={scores.precision:.3f} R={scores.recall:.3f} F1={scores.f1:.3f} look-alikes={look_merged}")
    assert scores.precision >= floor("threading.coverage_dev.precision")
    assert scores.recall >= floor("threading.coverage_dev.recall")
    assert scores.f1 >= floor("threading.coverage_dev.f1")
    assert look_merged == 0
    for row in rows:
        d = decided[row["id"]]
        if row["role"] in ("lookalike", "unrelated", "original"):
            assert d.kind == "new", (row["id"], d.evidence)
        elif d.kind == "update":  # every coverage article that joined its story says so
            assert d.update_kind == "coverage", (row["id"], d.evidence)
            assert d.evidence["coverage_method"] == coverage.DECISION_METHOD


def test_coverage_evidence_names_the_shared_event() -> None:
    rows = _in_time_order(_rows())
    index = StoryIndex(ThreadSettings())
    quake = {}
    for row in rows:
        d, _ = decide_and_apply(index, _item(row))
        if row["id"] in ("CD02-1", "CD02-2"):
            quake[row["id"]] = d
    d = quake["CD02-2"]
    assert (d.kind, d.update_kind, d.story_id) == ("update", "coverage", quake["CD02-1"].story_id)
    ev = d.evidence
    assert {"ruthwen", "ardmoor"} <= set(str(ev["shared_names"]).split(", "))
    assert "5.8" in str(ev["shared_numbers"]).split(", ")
    assert 2 < float(ev["time_gap_hours"]) < 3
    assert float(ev["coverage_similarity"]) >= ThreadSettings().coverage.min_similarity


def test_a_report_far_from_each_member_joins_through_the_story_as_a_whole() -> None:
    """CD02-4 (a feature from the stricken town) is below the threshold against each earlier
    report alone (``coverage_similarity``, the best member), but shares what they tell
    together (the town, the villages, the magnitude, the hospital city): the story's centroid
    (``coverage_story_similarity``) carries it over the threshold."""
    settings = ThreadSettings()
    index = StoryIndex(settings)
    decided: dict[str, Decision] = {}
    for row in _in_time_order(_rows()):
        decided[row["id"]], _ = decide_and_apply(index, _item(row))
    d = decided["CD02-4"]
    assert (d.kind, d.update_kind, d.story_id) == ("update", "coverage", decided["CD02-1"].story_id), d.evidence
    ev = d.evidence
    assert float(ev["coverage_similarity"]) < settings.coverage.min_similarity <= float(ev["coverage_story_similarity"])


def test_the_story_as_a_whole_stands_for_its_best_member_only_within_a_news_cycle() -> None:
    """The centroid is what a story's reports tell together: its vocabulary matches a report of
    the same topic as well as one of the same event. Within hours of the reports that is one
    event (CD02-4, the feature from the stricken town); a day later, a commentary or another
    event of the same setting shares the topic (NewsWCL50: an opinion piece on North Korea's
    test halt joined the story of Pompeo's visit to Kim through it, 1.5 days after it). The
    time damping alone (a week's scale here) does not tell them apart. The rules alone: where
    they say no, the rescue model (trees-v1) takes the feature 20 hours on, as the report of the
    same event it is."""
    rows = _in_time_order(_rows())
    late = {r["id"]: r for r in rows}["CD02-4"]["published"]
    shifted = datetime.fromisoformat(late.replace("Z", "+00:00")) + timedelta(hours=20)

    def decide_feature(c: coverage.CoverageSettings) -> Decision:
        index = StoryIndex(ThreadSettings(coverage=c))
        decided: dict[str, Decision] = {}
        for row in rows:
            item = _item(row)
            if row["id"] == "CD02-4":
                item = dataclasses.replace(item, published=shifted)
            decided[row["id"]], _ = decide_and_apply(index, item)
        return decided["CD02-4"]

    slow = coverage.CoverageSettings(time_scale=timedelta(days=7), rescue=None)
    assert decide_feature(slow).kind == "new"
    rescued = decide_feature(dataclasses.replace(slow, rescue=coverage.RESCUE_MODEL))
    assert "coverage_rescue_probability" in rescued.evidence, rescued.evidence
    joined = decide_feature(dataclasses.replace(slow, centroid_gap=timedelta(days=2)))
    assert (joined.kind, joined.update_kind) == ("update", "coverage"), joined.evidence
    assert "coverage_story_similarity" in joined.evidence


def test_centroid_is_the_unit_sum_of_its_vectors() -> None:
    c = coverage_vectors.centroid([{1: 1.0}, {1: 0.6, 2: 0.8}])
    assert abs(sum(v * v for v in c.values()) - 1.0) < 1e-9
    assert c[1] > c[2] > 0
    assert coverage_vectors.centroid([]) == {}


def test_restore_in_shuffled_order_decides_identically() -> None:
    """Document frequencies and term postings are rebuilt from the compacted changelog in any
    order; the successor must decide the rest of the corpus exactly as the predecessor."""
    rows = _in_time_order(_rows())
    half = len(rows) // 2
    live = StoryIndex(ThreadSettings())
    log: dict[str, bytes | None] = {}
    for row in rows[:half]:
        _, entries = decide_and_apply(live, _item(row))
        log.update(entries)
    keys = list(log)
    random.Random(7).shuffle(keys)
    restored = StoryIndex(ThreadSettings())
    for key in keys:
        restored.restore(key, log[key])
    assert restored.stats() == live.stats()
    assert restored._df.docs == live._df.docs
    assert restored.postings_view() == live.postings_view()
    kinds = set()
    for row in rows[half:]:
        item = _item(row)
        a, b = live.decide(item), restored.decide(item)
        assert a == b, row["id"]
        kinds.add(a.update_kind)
        live.apply(item, a)
        restored.apply(item, b)
    assert "coverage" in kinds  # the comparison covered coverage decisions


def test_version_1_records_restore_without_coverage_terms() -> None:
    index = StoryIndex(ThreadSettings())
    row = _rows()[0]
    _, entries = decide_and_apply(index, _item(row))
    key, value = next((k, v) for k, v in entries if k.startswith(ARTICLE_PREFIX))
    assert value is not None
    old = json.loads(value)
    old["v"] = 1
    for field in ("cov_terms", "cov_tf", "cov_names", "cov_headline", "cov_figures"):
        del old[field]
    article = _decode_article(json.dumps(old).encode())
    assert len(article.cov.terms) == 0
    fresh = StoryIndex(ThreadSettings())
    fresh.restore(key, json.dumps(old).encode())
    assert fresh.stats()["articles"] == 1


def test_records_of_another_coverage_method_restore_without_its_terms() -> None:
    """The method version is part of the state: terms folded or weighted another way are not
    compared with this version's."""
    index = StoryIndex(ThreadSettings())
    _, entries = decide_and_apply(index, _item(_rows()[0]))
    value = next(v for k, v in entries if k.startswith(ARTICLE_PREFIX))
    assert value is not None
    assert len(_decode_article(value).cov.terms) > 0
    other = json.loads(value)
    other["cov_method"] = "some-other-method-v9"
    assert len(_decode_article(json.dumps(other).encode()).cov.terms) == 0


def test_records_of_the_v3_method_restore_with_their_terms_as_not_german() -> None:
    """v6 only added the German mark to the stored headline: a v3 changelog keeps its
    coverage terms across the upgrade (read as texts not marked German)."""
    index = StoryIndex(ThreadSettings())
    _, entries = decide_and_apply(index, _item(_rows()[0]))
    value = next(v for k, v in entries if k.startswith(ARTICLE_PREFIX))
    assert value is not None
    old = json.loads(value)
    old["cov_method"] = "tfidf-names-v3"
    restored = _decode_article(json.dumps(old).encode()).cov
    assert restored.terms == _decode_article(value).cov.terms
    assert coverage_terms.LANGUAGE_DE not in restored.headline


def test_records_of_the_v9_method_restore_with_their_terms() -> None:
    """v10 only added the marks of French, Spanish, Italian, Portuguese and Dutch to the stored
    headline: a v9 changelog keeps its coverage terms across the upgrade (a text of one of those
    languages it stored reads as English until it expires)."""
    index = StoryIndex(ThreadSettings())
    _, entries = decide_and_apply(index, _item(_rows()[0]))
    value = next(v for k, v in entries if k.startswith(ARTICLE_PREFIX))
    assert value is not None
    old = json.loads(value)
    assert old["cov_method"] == coverage_terms.METHOD != "tfidf-names-v9"
    old["cov_method"] = "tfidf-names-v9"
    restored = _decode_article(json.dumps(old).encode()).cov
    assert len(restored.terms) > 0 and restored.terms == _decode_article(value).cov.terms


def test_coverage_event_validates_against_the_schema() -> None:
    rows = {r["id"]: r for r in _rows()}
    index = StoryIndex(ThreadSettings())
    decide_and_apply(index, _item(rows["CD02-1"]))
    row = rows["CD02-2"]
    item = _item(row)
    d, _ = decide_and_apply(index, item)
    assert d.update_kind == "coverage"
    article = CleanedRecord(
        article_id=item.article_id,
        raw_id=item.raw_id,
        url=item.url,
        canonical_url=item.url,
        site=item.site,
        title=item.title,
        text=item.text,
        authors=(),
        published=row["published"],
        language="en",
        content_hash=item.content_hash,
    )
    event = build_event(article, d)
    jsonschema.validate(event, schema())
    assert event["type"] == "story.updated" and event["update_kind"] == "coverage"


def test_decide_hands_its_features_to_apply() -> None:
    """One analysis per article: ``apply`` consumes what ``decide`` computed."""
    index = StoryIndex(ThreadSettings())
    item = _item(_rows()[0])
    d = index.decide(item)
    assert d.prepared is not None and d.prepared.article_id == item.article_id
    calls = 0
    original = index._prepare

    def counting(it: ThreadInput) -> Any:
        nonlocal calls
        calls += 1
        return original(it)

    index._prepare = counting  # type: ignore[method-assign,assignment]
    index.apply(item, d)
    assert calls == 0


# ---------------------------------------------------------------- cases written for this file

T0 = datetime(2026, 9, 14, 6, 0, tzinfo=UTC)


def _mk(key: str, title: str, paragraphs: list[str], hours: float, site: str) -> ThreadInput:
    return thread_input(f"https://{site}/{key}", title, "\n\n".join(paragraphs), T0 + timedelta(hours=hours), site=site)


DAM_ORIGINAL = _mk(
    "dam-1",
    "Floodgates opened at Veskar dam as Lorne river rises in Pellinor",
    [
        "PELLINOR, Sept 14 (Northwire) - Engineers opened all six floodgates of the Veskar dam on Monday as the "
        "Lorne river rose to its highest level since 1998, and the regional authority ordered 2,400 people in "
        "the low-lying villages of Amsby and Treve to leave their homes.",
        "The dam's operator, Lorne Hydro, said the reservoir had reached 97 percent of capacity after three "
        "days of torrential rain over the Pellinor highlands.",
        '"The structure is sound. Releasing water now is how we keep it that way," Lorne Hydro director Ines '
        "Caldwell told reporters at the dam.",
        "Regional governor Piet Vandermolen said buses and school gyms in Harlow had been made ready for the "
        "evacuees, and that the army had sent 300 soldiers to reinforce dykes along the river.",
    ],
    0,
    "northwire.example",
)
DAM_COVERAGE = _mk(
    "dam-2",
    "Amsby and Treve evacuated as Veskar dam releases water into swollen Lorne",
    [
        "Residents of Amsby packed cars and tractors on Monday morning after the authorities in Pellinor told "
        "them to go, as water released from the Veskar dam sent the Lorne higher still.",
        "Some 2,400 people from Amsby and neighbouring Treve were being taken to shelters in Harlow, where the "
        "town's sports halls were filling with camp beds. Soldiers worked on the dykes below the dam.",
        "Lorne Hydro's Ines Caldwell insisted the dam itself was not at risk and that opening the gates was a "
        "precaution once the reservoir neared its limit after days of rain.",
        '"My parents saw the 1998 flood. Nobody here wants to wait and see," said Marta Oosting, 52, loading '
        "blankets into a van outside the church in Amsby.",
    ],
    5,
    "valley-post.example",
)
DAM_LOOKALIKE = _mk(
    "dam-3",
    "Floodgates opened at Orrin dam as Lorne river rises again in Pellinor",
    [
        "PELLINOR, Sept 19 (Northwire) - Engineers opened four floodgates of the Orrin dam upstream of "
        "Castlemere on Saturday as the Lorne river rose again, and the authority ordered 600 people in the "
        "hamlets of Bram and Oddsey to leave their homes.",
        "The dam's operator, Lorne Hydro, said the Orrin reservoir had reached 94 percent of capacity after "
        "fresh storms over the northern Pellinor highlands.",
        '"We are releasing water in a controlled way, exactly as we did at Veskar," Lorne Hydro spokesman '
        "Tomas Ebbe told reporters.",
        "Regional governor Piet Vandermolen said shelters in Castlemere were open and that soldiers who had "
        "reinforced dykes earlier in the week would stay in the region.",
    ],
    5 * 24 + 3,
    "northwire.example",
)
SUMMIT_A = _mk(
    "summit-1",
    "Foreign minister Adaire meets Korvan counterpart Stelt in Ostend talks on fishing quotas",
    [
        "Foreign Minister Helena Adaire met her Korvan counterpart Jorun Stelt in Ostend on Monday for talks on "
        "the fishing quotas that have soured relations between the two countries since the spring.",
        "Adaire said after the meeting that both sides had agreed to ask scientists from the Marrow Sea "
        "commission for a joint assessment of cod stocks by December.",
        "Stelt told reporters the Korvan fleet would respect the existing 18,000-tonne limit until the "
        "assessment was published.",
    ],
    1,
    "capital-times.example",
)
SUMMIT_B = _mk(
    "summit-2",
    "Foreign minister Adaire meets Velsian counterpart Morand in Ostend on rail link",
    [
        "Foreign Minister Helena Adaire met her Velsian counterpart Luc Morand in Ostend on Monday to discuss "
        "financing for the planned high-speed rail link between the two capitals.",
        "Adaire said after the meeting that both governments would present a joint funding request to the "
        "regional investment bank before the end of the year.",
        "Morand told reporters the Velsian section of the line, 140 km long, could be finished by 2031.",
    ],
    4,
    "capital-times.example",
)


def test_written_coverage_joins_and_lookalikes_stay_apart() -> None:
    index = StoryIndex(ThreadSettings())
    original, _ = decide_and_apply(index, DAM_ORIGINAL)
    summit_a, _ = decide_and_apply(index, SUMMIT_A)
    summit_b, _ = decide_and_apply(index, SUMMIT_B)
    covered, _ = decide_and_apply(index, DAM_COVERAGE)
    second_dam, _ = decide_and_apply(index, DAM_LOOKALIKE)
    assert original.kind == "new" and summit_a.kind == "new"
    # Same minister, same day, same city, another counterpart and subject: another story.
    assert summit_b.kind == "new", summit_b.evidence
    assert summit_b.story_id != summit_a.story_id
    # Another outlet's own report of the evacuation: the dam story, as coverage.
    assert (covered.kind, covered.update_kind) == ("update", "coverage"), covered.evidence
    assert covered.story_id == original.story_id
    assert {"amsby", "veskar"} <= set(str(covered.evidence["shared_names"]).split(", "))
    # Another dam on the same river five days later: a new story.
    assert second_dam.kind == "new", second_dam.evidence
    assert second_dam.story_id != original.story_id


@pytest.mark.parametrize(
    ("title", "agency"),
    [
        ("Amsby and Treve evacuated as Veskar dam releases water into swollen Lorne (AFP)", "AFP"),
        ("Amsby and Treve evacuated as Veskar dam releases water into swollen Lorne - Reuters", "Reuters"),
        # an agency the list does not hold, by the code in capitals that ends the headline
        ("Amsby and Treve evacuated as Veskar dam releases water into swollen Lorne (PNX)", "PNX"),
        # ...or after a bar or dash at its end, as a feed prints the credit line
        ("Amsby and Treve evacuated as Veskar dam releases water into swollen Lorne | PNX", "PNX"),
    ],
)
def test_a_headline_crediting_an_agency_joins_the_story_its_names_tell(title: str, agency: str) -> None:
    """ "(AFP)" or "- Reuters" in a headline says who wrote the report. The agency is a name of
    its text ("told AFP"), but the other outlets' reports do not name it: read as a headline
    name it was a slot the story lacked (the headline's rarest name, its heaviest weight), and
    the report stayed apart."""
    assert agencies.without_credits(title).strip() == DAM_COVERAGE.title
    paragraphs = DAM_COVERAGE.text.split("\n\n")
    paragraphs[2] = paragraphs[2].replace("insisted", f"told {agency}")
    # without the figure both quote (2,400 evacuated), which would lower the share required
    paragraphs[1] = paragraphs[1].replace("Some 2,400 people", "Hundreds of people")
    credited = _mk("dam-2-credited", title, paragraphs, 5, "wire-desk.example")
    assert agency.lower() in coverage_terms.raw_terms(title, paragraphs, features.CALENDAR).entities
    index = StoryIndex(ThreadSettings())
    original, _ = decide_and_apply(index, DAM_ORIGINAL)
    covered, _ = decide_and_apply(index, credited)
    assert (covered.kind, covered.update_kind, covered.story_id) == ("update", "coverage", original.story_id), (
        covered.evidence
    )
    assert covered.evidence["headline_names_in_story"] == 1.0


def test_without_credits_leaves_an_agency_the_headline_is_about() -> None:
    assert agencies.without_credits("Reuters reporters freed after 500 days").strip() == (
        "Reuters reporters freed after 500 days"
    )
    assert agencies.without_credits("WASHINGTON (AP) - Senate passes bill").split() == [
        "WASHINGTON",
        "-",
        "Senate",
        "passes",
        "bill",
    ]
    assert agencies.without_credits("Quake hits Japan - Kyodo News").strip() == "Quake hits Japan"
    # initials in parentheses within the headline name what it is about; only at its end a credit
    assert agencies.without_credits("Kurdistan Workers' Party (PKK) calls truce").strip() == (
        "Kurdistan Workers' Party (PKK) calls truce"
    )
    # a code after a dash ends the headline only as a credit; within it, it is a name
    assert agencies.without_credits("Bank raises key rate to 4.75% - ABT").strip() == "Bank raises key rate to 4.75%"
    assert agencies.without_credits("ABT - the agency that lost its licence").strip() == (
        "ABT - the agency that lost its licence"
    )


def test_coverage_outside_its_window_is_a_new_story() -> None:
    settings = ThreadSettings()
    late = _mk(
        "dam-late",
        DAM_COVERAGE.title,
        DAM_COVERAGE.text.split("\n\n"),
        settings.coverage.window.total_seconds() / 3600 + 6,
        "valley-post.example",
    )
    index = StoryIndex(settings)
    decide_and_apply(index, DAM_ORIGINAL)
    d, _ = decide_and_apply(index, late)
    assert d.kind == "new"


def test_coverage_can_be_switched_off() -> None:
    index = StoryIndex(ThreadSettings(coverage=coverage.CoverageSettings(enabled=False)))
    decide_and_apply(index, DAM_ORIGINAL)
    d, _ = decide_and_apply(index, DAM_COVERAGE)
    assert d.kind == "new"


MILL_CLOSURE = _mk(
    "mill-1",
    "Haldane Steel to close Brevik mill with the loss of 2,350 jobs",
    [
        "BREVIK, Sept 16 (Northwire) - Haldane Steel will close its Brevik rolling mill by the end of next year "
        "with the loss of 2,350 jobs, the company said on Wednesday, blaming cheap imports and the cost of "
        "power for the 70-year-old plant.",
        "Chief executive Oona Haldane said the group had lost money at Brevik for six years running and could "
        "not find a buyer. Production of heavy plate will move to the Tarrow works on the coast.",
        "Union leader Ruben Skov called the decision a betrayal of the town, where the mill is the largest "
        "employer, and said workers at Brevik would vote on strike action next week.",
    ],
    0,
    "northwire.example",
)
MILL_COVERAGE = _mk(
    "mill-2",
    "Norvik's Haldane shuts Brevik works as steel slump deepens",
    [
        "The biggest steelmaker in Norvik is to shut the Brevik mill, ending rolling at the site after seven "
        "decades. Haldane Steel said 2,350 people would lose their jobs when the plant closes next year.",
        "Oona Haldane, who runs the family-controlled group, said Brevik had not made a profit since the price "
        "of electricity doubled, and heavy plate would be made at Tarrow instead.",
        "In Brevik, union leader Ruben Skov said workers felt betrayed and would decide on a strike next week. "
        "The industry ministry of Norvik said it would meet the company and the unions on Friday.",
    ],
    4,
    "coast-herald.example",
)


def test_a_telling_figure_lets_a_report_headline_a_name_the_story_does_not() -> None:
    """A report that headlines the company's country, which no report of the story names, joins
    the story when both quote the event's own figure (2,350 jobs); without a telling figure in
    common (only a small count) it stays a story of its own."""
    assert [coverage_terms.telling_form(f) for f in ("186", "412", "1,800", "6.55", "2,350")] == [True] * 5
    assert [coverage_terms.telling_form(f) for f in ("10", "200", "3-1", "1.7", "72", "5,000")] == [False] * 6
    index = StoryIndex(ThreadSettings())
    for other in (SUMMIT_A, SUMMIT_B, DAM_ORIGINAL):
        decide_and_apply(index, other)
    original, _ = decide_and_apply(index, MILL_CLOSURE)
    covered, _ = decide_and_apply(index, MILL_COVERAGE)
    assert (covered.kind, covered.update_kind, covered.story_id) == ("update", "coverage", original.story_id), (
        covered.evidence
    )
    ev = covered.evidence
    assert float(ev["headline_names_in_story"]) < ThreadSettings().coverage.min_headline_in_story
    assert ev["headline_names_required"] == ThreadSettings().coverage.min_headline_with_figure
    assert "2,350" in str(ev["shared_numbers"]).split(", ")
    # The same report with another figure for the jobs: to the rules, the headline's extra name
    # decides. The rescue model weighs the similarity (0.52: the same text) against the event's
    # figure not shared, a look-alike's mark (the same mill's next round of cuts): trees-v1 gives
    # it 0.48, under the 0.7 it is read at (logit-v2, weighing the similarity alone, took it).
    vague = _mk(
        "mill-3",
        MILL_COVERAGE.title,
        [p.replace("2,350 people", "10 thousand people") for p in MILL_COVERAGE.text.split("\n\n")],
        4,
        "coast-herald.example",
    )
    rules = ThreadSettings(coverage=dataclasses.replace(coverage.CoverageSettings(), rescue=None))
    assert coverage.RESCUE_MODEL is not None
    keen = dataclasses.replace(coverage.RESCUE_MODEL, min_probability=0.3)
    keener = ThreadSettings(coverage=dataclasses.replace(rules.coverage, rescue=keen))
    for settings in (rules, ThreadSettings(), keener):
        index = StoryIndex(settings)
        for other in (SUMMIT_A, SUMMIT_B, DAM_ORIGINAL, MILL_CLOSURE):
            decide_and_apply(index, other)
        alone, _ = decide_and_apply(index, vague)
        if settings.coverage.rescue is not keen:
            assert alone.kind == "new", alone.evidence
            assert "headline_names_required" not in alone.evidence
        else:
            assert (alone.kind, alone.story_id) == ("update", original.story_id), alone.evidence
            assert 0.3 <= float(alone.evidence["coverage_rescue_probability"]) < coverage.RESCUE_MODEL.min_probability


def test_a_figure_with_its_multiplier_or_unit_written_on_is_the_figure() -> None:
    """House styles write one amount as "£412m", "412 million" or "412-million": each is the
    figure 412, in the body and in the headline; "5G", "3rd" and "1990s" are not amounts."""

    def figures(title: str, body: str) -> set[str]:
        raw = coverage_terms.raw_terms(title, shingles.normalise_paragraphs(body), thread_module._CALENDAR)
        spelled = {"412", "4.3", "20", "15", "5g", "3rd", "1990s", "412m", "4.3bn"}
        by_hash = {coverage_terms._hash_term(t): t for t in spelled}
        return {by_hash[h] for h in raw.number_hashes if h in by_hash}

    assert figures("", "It paid £412m. A 4.3bn deal, 20km away, up 15pc.") == {"412", "4.3", "20", "15"}
    written_out = "It paid 412 million. A 4.3-billion deal, 20 km away, up 15 percent."
    assert figures("", written_out) == {"412", "4.3", "20", "15"}
    assert figures("Haldane writes off £412m", "") == {"412"}
    assert figures("", "On 5G masts since the 1990s, for the 3rd time.") == set()
    # A report that headlines a name the story never uses joins it on the amount both quote.
    story = _mk(
        "mill-412-1",
        MILL_CLOSURE.title,
        [*MILL_CLOSURE.text.split("\n\n"), "The group will book a write-down of 412 million crowns on the mill."],
        0,
        "northwire.example",
    )
    report = _mk(
        "mill-412-2",
        MILL_COVERAGE.title,
        [
            *[p.replace("2,350 people", "thousands of people") for p in MILL_COVERAGE.text.split("\n\n")],
            "Haldane said it would take a 412m crown write-down on the plant.",
        ],
        4,
        "coast-herald.example",
    )
    index = StoryIndex(ThreadSettings())
    for other in (SUMMIT_A, SUMMIT_B, DAM_ORIGINAL):
        decide_and_apply(index, other)
    original, _ = decide_and_apply(index, story)
    covered, _ = decide_and_apply(index, report)
    assert (covered.kind, covered.update_kind, covered.story_id) == ("update", "coverage", original.story_id), (
        covered.evidence
    )
    assert covered.evidence["headline_names_required"] == ThreadSettings().coverage.min_headline_with_figure


PORT_DEAL = _mk(
    "port-1",
    "President Varga signs Tellin port deal with Ostmark shipping group",
    [
        "TELLIN, Sept 15 (Northwire) - President Varga signed a 30-year concession on Tuesday handing the "
        "container terminal of Tellin to the Ostmark shipping group, which will build a second quay and "
        "deepen the harbour channel by 2029.",
        "Varga said the deal would double the port's capacity and create 1,200 jobs. Ostmark will pay 410 "
        "million crowns up front and a share of its revenue from the terminal every year.",
        "Dockworkers' union leader Anna Brisk said her members would judge the deal on whether Ostmark keeps "
        "the current crews. Opposition deputies said parliament should have voted on the concession.",
    ],
    0,
    "northwire.example",
)
PORT_DEAL_FIRST_NAME = _mk(
    "port-2",
    "Miklos Varga hands Tellin terminal to Ostmark for 30 years",
    [
        "President Miklos Varga put his signature on Tuesday to the largest concession of his term, giving the "
        "Ostmark shipping group the container terminal of Tellin until the middle of the century.",
        "Under the deal Ostmark pays 410 million crowns at once, builds a second quay and deepens the channel "
        "into Tellin harbour. Varga promised 1,200 new jobs at the port.",
        "Varga's critics in parliament said a 30-year concession should not be signed without a vote, and the "
        "dockworkers' union said it wanted guarantees for the current crews from Ostmark.",
    ],
    3,
    "harbour-daily.example",
)


def test_a_first_name_the_story_never_gives_is_found_with_the_surname() -> None:
    """ "Miklos Varga" in one headline, "President Varga" in the story: the same person. The
    given name is no slot a look-alike fills differently, so the report joins the story."""
    pairs = coverage_terms.title_pairs(PORT_DEAL_FIRST_NAME.title)
    assert (coverage_terms._fold("Miklos"), coverage_terms._fold("Varga")) in pairs
    index = StoryIndex(ThreadSettings())
    original, _ = decide_and_apply(index, PORT_DEAL)
    covered, _ = decide_and_apply(index, PORT_DEAL_FIRST_NAME)
    assert (covered.kind, covered.update_kind, covered.story_id) == ("update", "coverage", original.story_id), (
        covered.evidence
    )
    # Without given names the first name counts as a headline name the story lacks (and the
    # figures both quote, 410 million and 1,200 jobs, may not stand in for it).
    plain = StoryIndex(
        ThreadSettings(coverage=coverage.CoverageSettings(given_names=False, min_headline_with_figure=0.8, rescue=None))
    )
    decide_and_apply(plain, PORT_DEAL)
    alone, _ = decide_and_apply(plain, PORT_DEAL_FIRST_NAME)
    assert alone.kind == "new", alone.evidence
    assert float(alone.evidence["headline_names_in_story"]) < float(covered.evidence["headline_names_in_story"])


def test_a_story_the_input_cannot_pass_is_ruled_out_before_any_similarity(monkeypatch: Any) -> None:
    """A candidate story whose gates the input cannot pass (its headline names are not found in
    the story) is ruled out before the vectors are weighed: with no other story, the decision is
    ``new`` without a similarity, and its evidence gives the headline-name share the judgement
    would have given. Judging the story anyway gives the same decision."""
    settings = ThreadSettings(
        coverage=coverage.CoverageSettings(given_names=False, min_headline_with_figure=0.8, rescue=None)
    )
    weighed: list[int] = []
    real = coverage_vectors.candidate_vectors

    def counting(*args: Any) -> coverage_vectors.CandidateVectors | coverage_vectors.FewVectors:
        weighed.append(len(args[0]))
        return real(*args)

    monkeypatch.setattr(coverage_vectors, "candidate_vectors", counting)
    index = StoryIndex(settings)
    decide_and_apply(index, PORT_DEAL)
    ruled_out, _ = decide_and_apply(index, PORT_DEAL_FIRST_NAME)
    assert ruled_out.kind == "new" and weighed == [], ruled_out.evidence
    ev = ruled_out.evidence
    assert (ev["coverage_stories"], ev["coverage_stories_gated"]) == (1, 1)
    assert "coverage_similarity" not in ev
    monkeypatch.setattr(coverage, "gated_headline_share", lambda *_: None)  # no story ruled out
    index = StoryIndex(settings)
    decide_and_apply(index, PORT_DEAL)
    judged, _ = decide_and_apply(index, PORT_DEAL_FIRST_NAME)
    assert judged.kind == "new" and weighed, judged.evidence
    nearest = judged.evidence["coverage_nearest_article_id"]
    assert nearest == ev["coverage_nearest_article_id"] == PORT_DEAL.article_id
    assert judged.evidence["headline_names_in_story"] == ev["headline_names_in_story"]
    assert float(ev["headline_names_in_story"]) < settings.coverage.min_headline_in_story


def test_the_rescue_model_joins_a_report_the_rules_turn_down_on_its_headline_names_alone() -> None:
    """Without given names, "Miklos" is a headline name the story never gives: the rules turn
    the report down on that gate alone (every other holds), and the story is ruled out before
    any vector. The rescue model weighs the measures of that story (its headline words in the
    report, its rarest name named, the names and figures shared, the similarity) and joins the
    report, saying so in the evidence; the rules alone keep it apart."""
    plain = coverage.CoverageSettings(given_names=False, min_headline_with_figure=0.8)
    decisions = {}
    for model in (None, coverage.RESCUE_MODEL):
        index = StoryIndex(ThreadSettings(coverage=dataclasses.replace(plain, rescue=model)))
        original, _ = decide_and_apply(index, PORT_DEAL)
        decisions[model is not None] = (original, decide_and_apply(index, PORT_DEAL_FIRST_NAME)[0])
    original, alone = decisions[False]
    assert alone.kind == "new" and "coverage_rescue_probability" not in alone.evidence, alone.evidence
    original, rescued = decisions[True]
    assert (rescued.kind, rescued.update_kind, rescued.story_id) == ("update", "coverage", original.story_id)
    ev = rescued.evidence
    assert coverage.RESCUE_MODEL is not None
    assert ev["coverage_rescue_model"] == coverage.RESCUE_MODEL.name
    assert float(ev["coverage_rescue_probability"]) >= coverage.RESCUE_MODEL.min_probability
    assert float(ev["headline_names_in_story"]) < plain.min_headline_in_story  # the gate it waived
    assert "headline_names_required" not in ev
    assert ev["coverage_method"] == coverage.DECISION_METHOD
    # Under a threshold it does not reach, the rules' decision stands.
    strict = dataclasses.replace(coverage.RESCUE_MODEL, min_probability=1.0)
    index = StoryIndex(ThreadSettings(coverage=dataclasses.replace(plain, rescue=strict)))
    decide_and_apply(index, PORT_DEAL)
    assert decide_and_apply(index, PORT_DEAL_FIRST_NAME)[0].kind == "new"


def test_the_rescue_model_never_waives_a_gate_but_the_headlines() -> None:
    """The rescue model is asked only of a story that passes every gate but the share of the
    input's headline names found in it, of its headline words found in the input and its
    headline's rarest name named in the input (``coverage.headline_waived``; the similarity it
    weighs itself, down to a floor): unrelated
    stories under one notice text that pages print instead of theirs share every word and no
    name, and stay apart even under a model that would take anything (``test_coverage_order``
    holds the same minister's two engagements of a day apart under the shipped one)."""
    at = datetime(2026, 4, 2, 8, tzinfo=UTC)
    always = dataclasses.replace(coverage.RESCUE_MODEL or _ANY_MODEL, base=50.0)  # every probability ~1
    index = StoryIndex(ThreadSettings(coverage=dataclasses.replace(coverage.CoverageSettings(), rescue=always)))
    notice = "Please enable JavaScript in your browser to view this page. Already a subscriber? Log in here."
    decide_and_apply(index, thread_input("https://a.example/1", "Budget passes", notice, at, site="a.example"))
    d, _ = decide_and_apply(
        index,
        thread_input("https://b.example/1", "Flood hits farms", notice, at + timedelta(hours=1), site="b.example"),
    )
    assert d.kind == "new" and "coverage_rescue_probability" not in d.evidence, d.evidence
    rules = coverage.CoverageSettings()
    waived = coverage.headline_waived(rules)
    shares = (waived.min_headline_in_story, waived.min_headline_with_figure, waived.min_story_headline_in_input)
    assert (*shares, waived.rescue) == (0.0, 0.0, 0.0, None)
    # (a word of what happened, from some story headline, is asked instead of the words' share)
    assert waived.min_story_headline_words == 1
    # (and the similarity down to the model's floor: it weighs the similarity itself)
    assert waived.min_similarity == rules.rescue_min_similarity < rules.min_similarity
    # (and the rarest name of a story headline: it weighs whether the input names it, v27)
    assert rules.subject_required and not waived.subject_required
    assert dataclasses.replace(
        waived,
        min_headline_in_story=rules.min_headline_in_story,
        min_headline_with_figure=rules.min_headline_with_figure,
        min_story_headline_in_input=rules.min_story_headline_in_input,
        min_story_headline_words=rules.min_story_headline_words,
        min_similarity=rules.min_similarity,
        subject_required=rules.subject_required,
    ) == dataclasses.replace(rules, rescue=None)
    names_only = coverage.headline_waived(dataclasses.replace(rules, rescue_story_headline=False))
    assert names_only.min_story_headline_in_input == rules.min_story_headline_in_input
    assert coverage.headline_waived(dataclasses.replace(rules, rescue_unnamed_subject=False)).subject_required


def test_the_rescue_model_asks_a_story_in_another_language_what_the_rules_ask() -> None:
    """Two real pages a day apart, each its own event in the publisher-pages set: Euronews's
    analysis of Trump's plans for Venezuela's oil and a German interview on the mood in Caracas
    after Maduro's capture. Compared on names and figures alone (another language), they share
    Trump, Maduro, Delcy Rodríguez and Venezuela at a similarity of 0.143: under the rules'
    0.15, over the rescue model's 0.10, and the model joined them (v22). A story in another
    language is asked the rules' similarity (v23): no word a tabloid leaves out is in that
    similarity. (logit-v2 gives them 0.64, under the 0.7 it is read at: read at 0.6 here, the
    floor alone keeps them apart.)"""
    cases = bench_coverage.publisher_cases(same_day=False)
    oil, caracas = "uk/EuronewsEN_2026_01_06.html.gz", "de/KlasseGegenKlasse_2026_01_07.html.gz"
    shipped = coverage.CoverageSettings()
    assert shipped.rescue is not None
    rules = dataclasses.replace(shipped, rescue=dataclasses.replace(shipped.rescue, min_probability=0.6))
    assert rules.rescue_min_similarity_other_language == rules.min_similarity
    for other in (rules.rescue_min_similarity, rules.rescue_min_similarity_other_language):
        settings = dataclasses.replace(rules, rescue_min_similarity_other_language=other)
        decisions, _ = bench_coverage.run(cases, ThreadSettings(coverage=settings))
        joined = decisions[oil].story_id == decisions[caracas].story_id
        assert joined == (other < rules.min_similarity), decisions[oil].evidence


# a model of one leaf: every story the same probability (its ``base``, through the logistic)
_ANY_MODEL = coverage_model.RescueModel("test", 0.0, (coverage_model.Tree((-2,), (-2.0,), (-1,), (-1,), (0.0,)),))


def test_with_the_roles_swapped_a_members_names_are_looked_for_in_all_the_input() -> None:
    """An explainer on the quake ("Why the Ardmoor fault keeps shaking") repeats few of the
    story's headline words, and joins through mutual headlines: the story's first report,
    taken as the input, must find its headline names in the explainer. The explainer is in
    hand, so all its text is searched, not only the heaviest terms the index would keep."""

    def decide_all(settings: ThreadSettings) -> dict[str, Decision]:
        index = StoryIndex(settings)
        return {r["id"]: decide_and_apply(index, _item(r))[0] for r in _in_time_order(_rows())}

    full = decide_all(ThreadSettings())
    explainer, first = full["CD02-6"], full["CD02-1"]
    assert (explainer.kind, explainer.update_kind, explainer.story_id) == ("update", "coverage", first.story_id)
    # (a common name of its headline found among the story's names would join it either way)
    stored_only = decide_all(
        ThreadSettings(coverage=coverage.CoverageSettings(probe_full_text=False, common_headline_names=False))
    )
    assert stored_only["CD02-6"].kind == "new", stored_only["CD02-6"].evidence


# The same setting, another event: a story of a president's visit about an accord, and a report
# (same day, same names) of a minister's presentation on it, whose protagonist no report of
# the visit names.
VISIT = _mk(
    "visit-1",
    "President Renn arrives in Tarsk to rescue the Kessel accord",
    [
        "TARSK, Sept 14 (Northwire) - President Aldous Renn arrived in Tarsk on Monday for two days of talks with "
        "Chancellor Ilse Marek on saving the Kessel accord, the pact that limits Vollen's enrichment programme.",
        "Renn told reporters at the airport that the accord was flawed but could be mended, and that Tarsk and its "
        "partners would not let Vollen build a bomb.",
        "Marek said she would press Renn to keep the accord alive. Vollen has threatened to restart enrichment if "
        "the pact collapses.",
        "The two leaders will hold a joint news conference in Tarsk on Tuesday, aides to Renn said.",
    ],
    0,
    "northwire.example",
)
VISIT_COVERAGE = _mk(
    "visit-2",
    "Renn and Marek seek common ground on Kessel accord in Tarsk",
    [
        "President Aldous Renn and Chancellor Ilse Marek met in Tarsk on Monday evening, looking for common ground "
        "on the Kessel accord with Vollen, which Renn has called the worst deal ever signed.",
        "Marek said the accord had kept Vollen from a bomb for three years. Renn said a new accord should also "
        "cover Vollen's missiles.",
        "Officials in Tarsk said the talks on the Kessel accord would continue on Tuesday.",
    ],
    3,
    "courier.example",
)
FILES = _mk(
    "files-1",
    "Files seized in Vollen divide Tarsk and Renn over Kessel accord",
    [
        "Defence Minister Odo Brannic of Ostria said on Monday that files seized from Vollen proved it had lied "
        "about its bomb programme, and that the Kessel accord was built on lies.",
        "Brannic showed hundreds of pages and discs in a televised address. Brannic said Vollen had kept its plans "
        "after signing the accord, and Brannic urged Renn to abandon it.",
        "In Tarsk, Chancellor Ilse Marek said Brannic's files showed nothing new and that the Kessel accord was "
        "working. Renn, who is visiting Tarsk, said Brannic's presentation showed the accord was a disaster.",
        "Brannic's office said the files came from a warehouse in Vollen. Analysts said Brannic was trying to sway "
        "Renn before his decision on the accord. Brannic will brief envoys on Tuesday, and Brannic said more files "
        "would follow.",
    ],
    4,
    "globe.example",
)


def test_a_report_whose_protagonist_no_report_of_the_story_names_is_another_event() -> None:
    """The minister's presentation names the visit's who and where (Renn, Marek, Tarsk, the
    accord, Vollen) and its headline names are all in the story, but the one it repeats
    throughout (Brannic) is named by neither report of the visit: another event. Without the
    protagonist gate it would join the visit as coverage."""
    raw = coverage_terms.raw_terms(FILES.title, FILES.text.split("\n\n"), frozenset())
    assert coverage.protagonist(raw, lambda h: 1.0) == coverage_terms._hash_term("branni")

    def decide(settings: coverage.CoverageSettings) -> tuple[Decision, Decision, Decision]:
        index = StoryIndex(ThreadSettings(coverage=settings))
        visit, _ = decide_and_apply(index, VISIT)
        covered, _ = decide_and_apply(index, VISIT_COVERAGE)
        files, _ = decide_and_apply(index, FILES)
        return visit, covered, files

    visit, covered, files = decide(coverage.CoverageSettings())
    assert (covered.kind, covered.update_kind, covered.story_id) == ("update", "coverage", visit.story_id)
    assert files.kind == "new", files.evidence
    assert float(files.evidence["headline_names_in_story"]) == 1.0
    _, _, without = decide(coverage.CoverageSettings(min_protagonist_mentions=0))
    assert (without.kind, without.update_kind, without.story_id) == ("update", "coverage", visit.story_id)


def test_one_report_leaving_out_the_protagonist_is_not_judged() -> None:
    """A single report may leave out a name another outlet repeats (a lawyer quoted throughout
    one report of an inquiry): against a story of one report the gate is not applied, and the
    decision is the one without it."""

    def files_against_the_visit_alone(settings: coverage.CoverageSettings) -> Decision:
        index = StoryIndex(ThreadSettings(coverage=settings))
        decide_and_apply(index, VISIT)
        return decide_and_apply(index, FILES)[0]

    judged = files_against_the_visit_alone(coverage.CoverageSettings())
    unjudged = files_against_the_visit_alone(coverage.CoverageSettings(min_protagonist_mentions=0))
    assert (judged.kind, judged.update_kind, judged.story_id) == (
        unjudged.kind,
        unjudged.update_kind,
        unjudged.story_id,
    )
    assert judged.kind == "update"


@pytest.mark.parametrize("hours_before", [0, 1, 5])
def test_a_report_published_before_the_story_still_needs_its_protagonist_named(hours_before: int) -> None:
    """The minister's presentation published before the visit's two reports (or at the same
    instant: a date without a time), arriving after them, is judged with the roles swapped too,
    as if it had been the story. Swapped, the story is the presentation alone, whose protagonist
    gate is not judged (one report); but the visit's reports leave out the one it repeats
    throughout, whichever was published first: another event (``earlier_protagonist``)."""
    assert VISIT.published is not None
    early = dataclasses.replace(FILES, published=VISIT.published - timedelta(hours=hours_before))

    def decide(settings: coverage.CoverageSettings) -> tuple[Decision, Decision]:
        index = StoryIndex(ThreadSettings(coverage=settings))
        visit, _ = decide_and_apply(index, VISIT)
        decide_and_apply(index, VISIT_COVERAGE)
        return visit, decide_and_apply(index, early)[0]

    visit, files = decide(coverage.CoverageSettings())
    assert files.kind == "new" and files.story_id != visit.story_id, files.evidence
    visit, swapped = decide(coverage.CoverageSettings(earlier_protagonist=False))
    assert (swapped.kind, swapped.update_kind, swapped.story_id) == ("update", "coverage", visit.story_id)
    assert swapped.evidence["coverage_input_is_earlier"] == 1


def _decide_in_two_orders(settings: ThreadSettings | None = None) -> None:
    """The corpus decided on a fresh index in time order, then on another shuffled: what the
    tests spying on the decider's pre-checks watch it do."""
    for rows in (_in_time_order(_rows()), random.Random(5).sample(_rows(), len(_rows()))):
        index = StoryIndex(settings or ThreadSettings())
        for row in rows:
            decide_and_apply(index, _item(row))


# the pre-checks themselves, bound before the test below replaces them in the decider's path
_MAY_PASS, _MAY_PASS_GATES = coverage.may_pass, coverage.may_pass_gates


def _may_pass_of(args: tuple[Any, ...]) -> bool:
    raw, hits, members, c = args[0], args[3], args[4], args[7]
    return _MAY_PASS(hits, members, c, raw)


def _may_pass_gates_of(args: tuple[Any, ...]) -> bool:
    raw, me, hits, members, idf, c = args[0], args[1], args[3], args[4], args[5], args[7]
    return _MAY_PASS_GATES(raw, me, hits, members, idf, c, *args[8:10])  # (telling, min_telling_idf)


@pytest.mark.parametrize("check", [_may_pass_of, _may_pass_gates_of], ids=["may_pass", "may_pass_gates"])
def test_the_decider_s_pre_checks_hold_whenever_a_story_passes(
    monkeypatch: Any, check: Callable[[tuple[Any, ...]], bool]
) -> None:
    """The decider skips judging stories ``may_pass`` rules out (once a nearer one is judged)
    and those ``may_pass_gates`` rules out (after the first): on the corpus, in time order and
    shuffled, every story that passes is one each allows, and each rules some out."""
    judged: list[tuple[bool, bool]] = []
    real = coverage.judge

    def spy(*args: Any) -> coverage.Judgement:
        j = real(*args)  # every argument positional, as the decider passes them
        judged.append((j.passed, check(args)))
        return j

    with monkeypatch.context() as patched:
        patched.setattr(coverage, "judge", spy)
        patched.setattr(coverage, "may_pass", lambda *_: True)  # judge every story here
        patched.setattr(coverage, "gated_headline_share", lambda *_: None)  # (``may_pass_gates``)
        _decide_in_two_orders()
    assert any(passed for passed, _ in judged) and any(not allowed for _, allowed in judged)
    assert all(allowed for passed, allowed in judged if passed)


def test_a_story_ruled_out_gives_the_headline_share_of_its_evidence(monkeypatch: Any) -> None:
    """What the decider asks of each candidate story (``gated_headline_share``) rules it out
    exactly when ``may_pass_gates`` does, and then gives the share ``headline_in_story``
    measures (the evidence of a ``new`` all of whose stories were ruled out): on the corpus, in
    time order and shuffled, with stories ruled out and stories kept."""
    seen: list[bool] = []
    real = coverage.gated_headline_share

    def spy(*args: Any) -> float | None:
        share = real(*args)
        raw, members, idf, c = args[0], args[3], args[4], args[5]
        assert (share is None) == coverage.may_pass_gates(*args)
        if share is not None:
            assert share == coverage.headline_in_story(raw, members, idf, c, args[7])
        seen.append(share is None)
        return share

    monkeypatch.setattr(coverage, "gated_headline_share", spy)
    _decide_in_two_orders()
    assert any(seen) and not all(seen)


@pytest.mark.parametrize("unnamed_subject", [True, False])
def test_the_rescue_pre_check_is_the_gates_it_stands_for(monkeypatch: Any, unnamed_subject: bool) -> None:
    """The stories the rescue model may take (``may_pass_waived``, asked of every candidate
    story of a ``new``) are those whose gates under the waived rules pass or whose names agree,
    or a member of which may have been published after the input: the test asks the story's
    rarest headline name first (when the waived rules ask it) and the whole gates only of the
    stories it leaves, and rules out exactly what the whole gates rule out. On the corpus, in
    time order and shuffled, with stories kept and ruled out."""
    seen: list[bool] = []
    real = coverage.may_pass_waived

    def spy(*args: Any) -> bool:
        got = real(*args)
        raw, me, members, idf, waived, telling, min_telling = args
        if coverage.in_other_language(raw, members, waived):
            raw = coverage.written_alike(raw)
        figures = me.stored.figures if isinstance(me, coverage.TextProbe) else me.cov.figures
        g = coverage._gates(raw, figures, members, idf, waived, telling, min_telling)
        later = waived.swap_roles and any(coverage.may_be_later(m.time, me.time) for m in members)
        assert got == (g.passed or g.names_agree or later)
        seen.append(got)
        return got

    monkeypatch.setattr(coverage, "may_pass_waived", spy)
    rules = dataclasses.replace(coverage.CoverageSettings(), rescue_unnamed_subject=unnamed_subject)
    _decide_in_two_orders(ThreadSettings(coverage=rules))
    assert any(seen) and not all(seen)


def test_a_german_article_stores_its_language_among_its_headline_terms() -> None:
    """The language of a stored article is what tells a story in another language than an
    input's (``in_other_language``) and which members its centroid sums (``in_language``):
    kept as ``LANGUAGE_DE`` among the headline's stored terms, the same whichever path (the
    clean stage's shipped features or the decider's own reading) read the text."""
    rows = {r["id"]: r for r in _rows()}
    index = StoryIndex(ThreadSettings())
    for rid in ("CD02-1", "CD02-3"):
        item = _item(rows[rid])
        decide_and_apply(index, item)
        stored = index._articles[item.article_id].cov
        assert (coverage_terms.LANGUAGE_DE in stored.headline) == (rid == "CD02-3")
        text = "\n".join(rows[rid]["body_paragraphs"])
        shipped = features.assemble(features.analyse(rows[rid]["title"], text), 2000, 1000, 12)
        assert shipped is not None
        assert shipped.raw.german == (rid == "CD02-3")
        assert (
            shipped.raw.nouns
            == coverage_terms.raw_terms(
                rows[rid]["title"], shingles.normalise_paragraphs(text), features.CALENDAR
            ).nouns
        )


def test_a_report_in_german_joins_its_story_on_what_is_written_alike() -> None:
    """CD02-3 reports the Ardmoor quake in German: its words are not the English reports'
    words, and its capitalised nouns ("Erdbeben") are no names the story could hold. Read as a
    story in another language (``in_other_language``), it is judged on its names and figures,
    and joins the story as coverage."""
    decided: dict[str, Decision] = {}
    index = StoryIndex(ThreadSettings())
    for row in _in_time_order(_rows()):
        decided[row["id"]], _ = decide_and_apply(index, _item(row))
    d = decided["CD02-3"]
    assert (d.kind, d.update_kind, d.story_id) == ("update", "coverage", decided["CD02-1"].story_id), d.evidence
    assert {"ardmoor", "ruthwen"} <= set(str(d.evidence["shared_names"]).split(", "))
    assert d.evidence["coverage_other_language"] == 1
    assert "coverage_other_language" not in decided["CD02-2"].evidence


def test_a_german_report_of_another_quake_stays_apart() -> None:
    """A German report of a second quake in the same province (another town, another day's
    figures) reads the story as told in another language too, but the town its headline
    names is written alike in any language, and the story does not name it."""
    index = StoryIndex(ThreadSettings())
    quake = [r for r in _in_time_order(_rows()) if r["id"] in ("CD02-1", "CD02-2")]
    first, _ = decide_and_apply(index, _item(quake[0]))
    decide_and_apply(index, _item(quake[1]))
    published = datetime.fromisoformat(quake[1]["published"].replace("Z", "+00:00")) + timedelta(hours=3)
    other = thread_input(
        "https://tagespost.example/welt/beben-glenmire",
        "Erdbeben in Osterra: Schäden in Glenmire in der Provinz Ardmoor",
        "Ein Erdbeben der Stärke 4,6 hat die Kleinstadt Glenmire im Südwesten der Provinz Ardmoor "
        "erschüttert. Nach Angaben der Behörden in Velmar wurden drei Menschen leicht verletzt.\n\n"
        "Das Beben ereignete sich in neun Kilometern Tiefe, rund 60 Kilometer von Ruthwen entfernt, und "
        "die Bahn zwischen Glenmire und Velmar wurde für zwei Stunden gesperrt.",
        published,
        site="tagespost.example",
    )
    d = index.decide(other)
    assert d.kind == "new" and d.story_id != first.story_id, d.evidence


def test_may_pass_keeps_a_story_an_input_may_read_in_another_language() -> None:
    """``may_pass`` is a necessary condition of a judgement passing: an input with headline
    nouns may be judged on its names (another similarity than the hits'), so it is not ruled
    out by the hits' similarity."""
    c = coverage.CoverageSettings()
    empty = coverage_vectors.CoverageFeatures(array("I"), array("B"), array("I"), array("I"), array("I"))
    member = coverage.Probe("a", T0, empty)
    hits = [(0.01, 0.01, member)]
    german = coverage_terms.raw_terms(
        "Erdbeben in Ardmoor", ["Ein Erdbeben hat Ardmoor und die Stadt Velmar erschüttert."], frozenset()
    )
    english = coverage_terms.raw_terms(
        "Quake in Ardmoor", ["A quake shook Ardmoor and the town of Velmar."], frozenset()
    )
    assert not coverage.may_pass(hits, [member], c)
    assert not coverage.may_pass(hits, [member], c, english)
    assert coverage.may_pass(hits, [member], c, german)


def test_coverage_features_kept_unpacked_between_decisions_never_change_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The index keeps recent candidates' coverage features unpacked between decisions
    (``StoryIndex._probes``): derived state, so with articles revised in other words, expired,
    and their numbers handed out again, every decision equals that of an index that unpacks
    afresh for each one."""
    monkeypatch.setattr(thread_module, "_PENDING_NUMBERS", 2)  # dropped numbers recycled soon
    monkeypatch.setattr(thread_module, "_PROBES", 16)  # and the bound reached
    rows = _in_time_order(_rows())
    rng = random.Random(11)
    items: list[ThreadInput] = []
    for i, row in enumerate(rows):
        items.append(_item(row))
        if i >= 8 and i % 4 == 0:  # an earlier article revised with another one's words
            old, other = _item(rows[rng.randrange(i)]), _item(rows[rng.randrange(i)])
            items.append(
                dataclasses.replace(
                    other, article_id=old.article_id, guid=old.guid, content_hash=other.content_hash + "r"
                )
            )
    settings = ThreadSettings(expiry=timedelta(days=2))
    warm, cold = StoryIndex(settings), StoryIndex(settings)
    kinds: set[str | None] = set()
    dropped = kept = 0
    for item in items:
        cold._probes.clear()
        a, b = warm.decide(item), cold.decide(item)
        assert a == b, item.article_id
        kept = max(kept, len(warm._probes))
        kinds.add(a.update_kind)
        warm.apply(item, a)
        cold.apply(item, b)
        if item.published is not None:
            dropped += len(warm.expire(item.published))
            cold.expire(item.published)
    assert {"coverage", "revision"} <= kinds and dropped  # the cases the cache must survive
    assert kept == 16  # and it was used up to its bound


def test_what_a_story_is_about_is_its_members_headlines_and_heaviest_terms() -> None:
    """The first gate's membership test (``_Prominent``, over a probe's ``about`` set built
    once) answers as the set ``_prominent`` builds, for probes and for any other stored form,
    and the set is the headline and the kept terms, names and figures left out."""

    @dataclasses.dataclass(frozen=True)
    class Plain:  # a stored form that is not a probe
        article_id: str
        time: datetime
        cov: coverage_vectors.CoverageFeatures

    one = coverage_vectors.CoverageFeatures(
        array("I", [5, 9]), array("B", [16, 16]), array("I", [7]), array("I", [3]), array("I")
    )
    two = coverage_vectors.CoverageFeatures(
        array("I", [11]), array("B", [16]), array("I", [12]), array("I", [9, 13]), array("I")
    )
    probe = coverage.Probe("a", T0, one)
    assert probe.about == {3, 5, 9} and probe.about is probe.about  # built once
    assert probe == coverage.Probe("a", T0, one)  # the kept set is no part of its value
    members: list[coverage.Stored] = [probe, Plain("b", T0, two)]
    about = coverage._Prominent(members)
    assert coverage._prominent(members) == {3, 5, 9, 11, 13}
    for h in range(16):
        assert (h in about) == (h in {3, 5, 9, 11, 13}), h
    # the names it holds, found in one intersection a member (the first gate's headline names)
    assert about.among(frozenset(range(16))) == {3, 5, 9, 11, 13}
    assert about.among(frozenset({1, 9, 13, 99})) == {9, 13} and about.among(frozenset()) == set()


@pytest.mark.parametrize("in_numpy", [0, 10**9], ids=["numpy", "dict"])
@pytest.mark.parametrize("window_hours", [6, 72])
def test_candidates_are_the_best_scored_holders_of_the_lookup_terms_within_the_window(
    window_hours: int, in_numpy: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look-up of coverage candidates answers as a plain scan of every live article would:
    each article within the window holding a look-up term, scored by the weights of the terms it
    holds added in look-up order, the best by (score, id), and how many there were; whether it
    scores them in numpy (many postings in the window) or in a dict (a few)."""
    monkeypatch.setattr(thread_module, "_SCORED_IN_NUMPY", in_numpy)
    index = StoryIndex(ThreadSettings())
    for row in coverage_rows():
        decide_and_apply(index, coverage_item(row))
    weight = {h: 1.0 + (h % 997) / 113 for a in index._articles.values() for h in a.cov_terms}
    window = window_hours * 3600 * 10**6
    arts = sorted(index._articles.values(), key=lambda a: a.article_id)
    for probe in arts[::3]:
        lookup = list(probe.cov_terms)[:16]
        when = thread_module._micros(probe.time)
        got, n = index._nearest(lookup, weight.__getitem__, when, window, 5)
        scored = []
        for a in arts:
            held = set(a.cov_terms)
            if not held.intersection(lookup) or abs(thread_module._micros(a.time) - when) > window:
                continue
            score = 0.0
            for h in lookup:
                if h in held:
                    score += weight[h]
            scored.append((-score, a.article_id))
        assert n == len(scored)
        assert got == [aid for _, aid in sorted(scored)[:5]]


_SEPARATE_CASE = [
    "Calvera's Constitutional Court ruled on Thursday that a contested pension reform raising the "
    "retirement age to 66 was constitutional, rejecting a challenge by the trade unions.",
    "The decision came hours after the same court struck down the telecommunications retention "
    "regime in a separate case.",
    "The unions called a day of protest. The retirement age will rise by three months a year from 2030.",
]


def test_terms_set_apart_are_those_a_text_uses_only_where_it_sets_another_matter_apart() -> None:
    """What a paragraph setting another matter apart ("in a separate case") tells of is not
    the report's event: its terms the rest of the text does not use are set apart, the same
    whichever path read the text (the clean stage's shipped features, paragraph by paragraph,
    or the decider's own reading of the whole)."""
    title = "Calvera court upholds pension reform raising retirement age to 66"
    raw = coverage_terms.raw_terms(title, _SEPARATE_CASE, features.CALENDAR)
    h = coverage_terms._hash_term
    assert {h("retent"), h("teleco"), h("struck")} <= raw.set_apart
    # used in the text's own telling too, or only in its headline: not set apart
    assert h("court") not in raw.set_apart and h("retire") not in raw.set_apart
    assert h("pensio") not in raw.set_apart
    shipped = features.assemble(features.analyse(title, "\n".join(_SEPARATE_CASE)), 2000, 1000, 12)
    assert shipped is not None and shipped.raw.set_apart == raw.set_apart
    plain = [p.replace(" in a separate case", "") for p in _SEPARATE_CASE]
    # (the sentence still places the ruling in time against the other: v12 sets that apart too)
    assert {h("retent"), h("teleco"), h("struck")} <= coverage_terms.raw_terms(
        title, plain, features.CALENDAR
    ).set_apart
    plain = [p.replace("The decision came hours after", "Earlier,") for p in plain]
    assert coverage_terms.raw_terms(title, plain, features.CALENDAR).set_apart == frozenset()
    analysis = features.analyse(title, "\n".join(["Subscribe to our newsletter", *_SEPARATE_CASE]))
    assert list(analysis.apart) == [2]
    assert list(analysis.keep([1, 2, 3]).apart) == [1] and list(analysis.keep([1, 3]).apart) == []


_PLACED_IN_TIME = [
    "Calvera's Constitutional Court ruled on Thursday that a contested pension reform raising the "
    "retirement age to 66 was constitutional, rejecting a challenge by the trade unions.",
    "The unions said they would appeal. The ruling came hours after the same court struck down the "
    "telecommunications retention regime.",
    "The retirement age will rise by three months a year from 2030, the court said.",
]


def test_a_paragraph_placing_its_event_in_time_against_another_sets_that_event_apart() -> None:
    """The wire places its event in time against another one with a short subject pointing back
    at its own ("The ruling came hours after ...", "The vote came on the same day ...", "The
    contract follows talks ..."): what that paragraph alone tells of is the other event, as with
    "in a separate case"; the words placing it in time are no term of either. A subject naming
    its event, or "came" in another sense, place nothing; nor do words said ("His warning came a
    day after ..."): a reaction answers the other event; nor does "follows" with a time after it
    ("Our analysis follows later today"), which says what comes next."""
    placing = [
        "The ruling came hours after the same court struck down the data law.",
        "Shares fell. The vote came shortly after the chamber approved a rise in the minimum wage.",
        "The announcement came on the same day the Assembly approved the pension reform.",
        "The launch comes a day after rival Orison disclosed a breach.",
        "It came less than a week after the election.",
        "The contract follows talks in Brennick on Wednesday.",
        "The walkout follows this week's strike at the docks.",
    ]
    not_placing = [
        "The bank's quarter-point rise, to 4.25 per cent, came two days after the election was called.",
        "He came to power after the coup.",
        "Rescuers reached the miners about 30 hours after the collapse.",
        "The storm came ashore overnight.",
        "His warning came a day after the tribunal struck down the law.",
        "The minister's comments came hours after the vote.",
        # a newsroom's note of what comes next (v21: ``coverage_terms._COMES_LATER``)
        "The bill passed by 162 votes to 131. A fuller analysis follows this evening.",
        "Our full analysis follows on Saturday.",
        "Our analysis follows later today.",
        "If the second satellite follows in 2081, the network is complete.",
    ]
    for text in placing:
        assert coverage_terms.sets_apart_words(text, text.lower().split()), text
    for text in not_placing:
        assert not coverage_terms.sets_apart_words(text, text.lower().split()), text
    title = "Calvera court upholds pension reform raising retirement age to 66"
    raw = coverage_terms.raw_terms(title, _PLACED_IN_TIME, features.CALENDAR)
    h = coverage_terms._hash_term
    assert {h("retent"), h("teleco"), h("struck")} <= raw.set_apart
    assert not {h("came"), h("hours"), h("same")} & raw.set_apart
    assert h("court") not in raw.set_apart and h("unions") not in raw.set_apart
    shipped = features.assemble(features.analyse(title, "\n".join(_PLACED_IN_TIME)), 2000, 1000, 12)
    assert shipped is not None and shipped.raw.set_apart == raw.set_apart
    plain = [p.replace("The ruling came hours after", "Earlier,") for p in _PLACED_IN_TIME]
    assert coverage_terms.raw_terms(title, plain, features.CALENDAR).set_apart == frozenset()


def test_told_apart_asks_every_word_said_to_be_set_apart_and_enough_of_them() -> None:
    """Of the other report's headline words, those the text uses beyond its own headline must
    all be set apart, and at least ``least`` of them: a word used in the text's own telling too
    says it tells that event."""
    words = [1, 2, 3, 4]
    own = {1}
    assert coverage.told_apart(words, own, {1, 2, 3}, {2, 3}, 2)
    assert not coverage.told_apart(words, own, {1, 2, 3}, {2, 3}, 3)  # two words said, three asked
    assert not coverage.told_apart(words, own, {1, 2, 3, 4}, {2, 3}, 1)  # "4" used in its own telling
    assert coverage.told_apart(words, own, {1, 2}, {1, 2}, 1)  # its own headline's word does not count
    assert not coverage.told_apart(words, own, {1}, {1}, 1)  # nothing of the other headline said
    assert not coverage.told_apart(
        [coverage_terms.PERCENT, 2], set(), {coverage_terms.PERCENT, 2}, {2}, 2
    )  # no mark is a word
    # a common word (the country) is passed over wherever it stands; then two rare words are asked
    common = {4}.__contains__
    assert coverage.told_apart(words, own, {1, 2, 3, 4}, {2, 3}, 1, common, 2)  # "4" passed over
    assert not coverage.told_apart(words, own, {1, 2, 4}, {2}, 1, common, 2)  # one rare word, "4" passed over
    assert coverage.told_apart(words, own, {1, 2}, {2}, 1, common, 2)  # nothing passed over: one is enough
    assert not coverage.told_apart(words, own, {1, 4}, set(), 1, common, 2)  # the common word alone says nothing


def _stored_and_restored(
    title: str, paragraphs: list[str], old_method: str, field: str
) -> tuple[coverage_vectors.CoverageFeatures, coverage_vectors.CoverageFeatures, coverage_vectors.CoverageFeatures]:
    """An article's stored coverage terms, as its changelog record restores them, and as a record
    of ``old_method`` (without ``field``) restores them."""
    item = thread_input("https://example.com/a", title, "\n\n".join(paragraphs), None, site="example.com")
    index = StoryIndex(ThreadSettings())
    _, entries = decide_and_apply(index, item)
    value = next(v for k, v in entries if k.startswith(ARTICLE_PREFIX))
    assert value is not None
    old = json.loads(value)
    old["cov_method"] = old_method
    del old[field]
    return (
        index._articles[item.article_id].cov,
        _decode_article(value).cov,
        _decode_article(json.dumps(old).encode()).cov,
    )


def test_terms_set_apart_are_stored_and_restored_with_the_article() -> None:
    """A member's words set apart are what the stored side of the rule reads (``sets_apart``):
    kept heaviest first up to ``MAX_APART_TERMS``, carried by the changelog record (only when
    there are any), and restored as written; a record of the v6 method restores with none."""
    title = "Calvera court upholds pension reform raising retirement age to 66"
    stored, decoded, restored = _stored_and_restored(title, _SEPARATE_CASE, "tfidf-names-v6", "cov_apart")
    assert (
        stored.apart
        and set(stored.apart) <= coverage_terms.raw_terms(title, _SEPARATE_CASE, features.CALENDAR).set_apart
    )
    assert list(stored.apart) == sorted(stored.apart) and len(stored.apart) <= coverage_vectors.MAX_APART_TERMS
    assert list(decoded.apart) == list(stored.apart)
    assert restored.terms == stored.terms and not restored.apart
    plain = thread_input("https://example.com/b", title, _SEPARATE_CASE[0], None, site="example.com")
    _, entries = decide_and_apply(StoryIndex(ThreadSettings()), plain)
    value = next(v for k, v in entries if k.startswith(ARTICLE_PREFIX))
    assert value is not None and b"cov_apart" not in value


_SECOND_VISIT = [
    "President Miriam Okafor-Lund and Valmont's Prime Minister Claire Duvall signed a ten-year "
    "gas supply agreement on Tuesday afternoon.",
    "The deal will see Valmont deliver up to four million tonnes of gas a year to the Port Hadley terminal.",
    "Speaking at Halvern House, Duvall said the frigate programme would anchor the two countries together.",
    "Earlier on Tuesday the president hosted Estrania's Jorge Ibarra and signed a water accord.",
    "Defence Minister Rafael Oduya said the first frigates could be laid down by 2035, Oduya added.",
]


def test_terms_mentioned_in_passing_are_those_of_one_paragraph_after_the_lead() -> None:
    """A report tells its event in its lead (``coverage_terms.LEAD_PARAGRAPHS``); a term it uses
    in one paragraph after that and nowhere else, nor in its headline, it mentions in passing.
    The same whichever path read the text (the clean stage's features, or the decider's reading)."""
    title = "President and Valmont's Duvall sign gas supply deal"
    raw = coverage_terms.raw_terms(title, _SECOND_VISIT, features.CALENDAR)
    h = coverage_terms._hash_term
    assert {h("ibarra"), h("estran"), h("accord"), h("hosted")} <= raw.passing
    # in the lead, the headline, or after the lead but in one paragraph twice: told
    assert h("valmon") not in raw.passing and h("hadley") not in raw.passing
    assert h("duvall") not in raw.passing and h("gas") not in raw.passing
    assert h("halver") not in raw.passing  # (once, in the lead's third paragraph)
    assert h("oduya") in raw.passing  # twice, but in one paragraph after the lead
    shipped = features.assemble(features.analyse(title, "\n".join(_SECOND_VISIT)), 2000, 1000, 12)
    assert shipped is not None and shipped.raw.passing == raw.passing
    # the lead is the first paragraphs: three of them mention nothing in passing
    assert coverage_terms.raw_terms(title, _SECOND_VISIT[:3], features.CALENDAR).passing == frozenset()
    # a later paragraph naming the visitor again tells him
    again = [*_SECOND_VISIT, "Ibarra left for Estrania in the evening."]
    told = coverage_terms.raw_terms(title, again, features.CALENDAR).passing
    assert h("ibarra") not in told and h("estran") not in told and h("accord") in told


_BREAKFAST = [
    "Foreign Minister Laurent Pruett began a crowded day of diplomacy in Casmoyne with a working "
    "breakfast alongside his Carondese counterpart, Ines Maralto, focused on the row over catches.",
    "Pharandine trawler crews say Carondese boats landed around 40 per cent more hake than agreed.",
    "Later today Mr Pruett hosts Gulvetia's foreign minister for negotiations on sharing water from the Athey River.",
]


@pytest.mark.parametrize(
    ("paragraph", "tells"),
    [
        ("Later today Mr Pruett hosts Gulvetia's foreign minister for talks on the river.", True),
        ("She receives Pradesca's foreign minister later on Monday for talks on the River Maudre.", True),
        ("Tezzeray was due to meet Interior Minister Milos Eltzbach later in the day.", True),
        ("The talks were Pruett's second bilateral meeting of the day.", True),
        ("The meeting ran long. Earlier he had breakfast with Carondese Foreign Minister Ines Maralto.", True),
        # a plan without a time of the day, the event's own schedule, another sense of "later"
        ("Pompeo made the trip to discuss the planned bilateral meeting with Trump later this year.", False),
        ("The prime minister said she would travel to the stricken valley later today.", False),
        ("Controllers in Casmoyne received the first signals 52 minutes later.", False),
        ("The two ministers met for three hours at the foreign ministry.", False),
    ],
)
def test_a_paragraph_telling_another_engagement_of_the_day(paragraph: str, tells: bool) -> None:
    """``coverage_terms.tells_other_engagement``: "earlier" or "later" with a time of the day and
    a meeting's word in one sentence, "Earlier" opening a sentence with one, or a count of a
    day's meetings."""
    assert coverage_terms.tells_other_engagement(paragraph, shingles.words(paragraph)) is tells


def test_names_told_only_as_another_engagement_are_stored_and_restored() -> None:
    """``RawTerms.engaged``: the names a text uses only in paragraphs telling another engagement
    of the day (the afternoon's visitor and river, not the minister it names throughout); the
    same whichever path read the text; stored with the article's coverage terms
    (``CoverageFeatures.engaged``), carried by its changelog record and restored as written; a
    record of the v18 method restores with none."""
    title = "Pruett and Carondese minister talk fish over breakfast as quota row simmers"
    raw = coverage_terms.raw_terms(title, _BREAKFAST, features.CALENDAR)
    h = coverage_terms._hash_term
    assert {h("gulvet"), h("athey")} <= raw.engaged
    assert h("pruett") not in raw.engaged and h("hosts") not in raw.engaged  # named elsewhere; no name
    shipped = features.assemble(features.analyse(title, "\n".join(_BREAKFAST)), 2000, 1000, 12)
    assert shipped is not None and shipped.raw.engaged == raw.engaged
    stored, decoded, restored = _stored_and_restored(title, _BREAKFAST, "tfidf-names-v18", "cov_engaged")
    assert set(stored.engaged) == raw.engaged and list(stored.engaged) == sorted(stored.engaged)
    assert list(decoded.engaged) == list(stored.engaged)
    assert restored.terms == stored.terms and not restored.engaged
    assert coverage_terms.raw_terms(title, _BREAKFAST[:2], features.CALENDAR).engaged == frozenset()


@pytest.mark.parametrize("method", ["tfidf-names-v19", "tfidf-names-v20", "tfidf-names-v21"])
def test_a_record_of_the_v19_to_v21_method_restores_its_terms_as_stored(method: str) -> None:
    """Stored terms v20 read no word written in capitals of five letters or more as a name
    (``coverage_terms._SHOUTED``), v21 no "follows" with a time after it as placing the event
    after another (``coverage_terms._COMES_LATER``), v22 mark a headline's verdict on a measure
    (``coverage_terms.headline_verdict``); all store the same fields: a changelog record of v19,
    v20 or v21 restores with its terms as written (its shouted words among its names, its note's
    paragraph set apart, no verdict marked, until it expires), where a method the decider cannot
    read restores none (its article still matches copies)."""
    item = thread_input(
        "https://example.com/silent", "SILENT PHONES MINISTER QUITS", "\n\n".join(_BREAKFAST), None, site="example.com"
    )
    _, entries = decide_and_apply(StoryIndex(ThreadSettings()), item)
    value = next(v for k, v in entries if k.startswith(ARTICLE_PREFIX))
    assert value is not None and json.loads(value)["cov_method"] == coverage_terms.METHOD == "tfidf-names-v22"
    old = json.loads(value)
    old["cov_method"] = method
    assert _decode_article(json.dumps(old).encode()).cov == _decode_article(value).cov != thread_module._NO_COVERAGE
    old["cov_method"] = "tfidf-names-v2"
    assert _decode_article(json.dumps(old).encode()).cov == thread_module._NO_COVERAGE


def test_ordinary_names_are_the_names_a_text_also_writes_in_lower_case() -> None:
    """``RawTerms.ordinary``: "Court" written "the court" too is an ordinary word; "Vellmora"
    and "Court" where the text never lowers it are names only. The clean stage's features
    give the same set as the text read whole, and keep it for the paragraphs the thread stage
    keeps (a paragraph dropped as boilerplate takes its lower-case use with it)."""
    title = "Community court rules Vellmora's toll unlawful"
    paragraphs = [
        "The Court of Justice ruled on Thursday that Vellmora's toll breaks the Treaty.",
        "The court said the charge was refunded to Vellmoran lorries through a credit.",
        "Vellmora's Transport Ministry said it would study the ruling of the Court.",
    ]
    h = coverage_terms._hash_term
    raw = coverage_terms.raw_terms(title, paragraphs, features.CALENDAR)
    assert h("court") in raw.ordinary
    assert h("vellmo") in raw.name_hashes and h("vellmo") not in raw.ordinary
    assert h("ruling") not in raw.ordinary  # a word, never a name: not asked of
    analysis = features.analyse(title, "\n".join(paragraphs))
    assembled = features.assemble(analysis, 2000, 200, features.WINNOW_WINDOW)
    assert assembled is not None and assembled.raw.ordinary == raw.ordinary
    kept = features.assemble(analysis.keep([0, 2]), 2000, 200, features.WINNOW_WINDOW)
    assert kept is not None and h("court") not in kept.raw.ordinary
    alone = coverage_terms.raw_terms(title, [paragraphs[0], paragraphs[2]], features.CALENDAR)
    assert kept.raw.ordinary == alone.ordinary


def test_terms_mentioned_in_passing_are_stored_and_restored_with_the_article() -> None:
    """A member's terms mentioned in passing are what the stored side of ``mentioned_in_passing``
    reads: those among its stored terms and names, up to ``MAX_PASSING_TERMS``, carried by the
    changelog record and restored as written; a record of the v10 method restores with none
    (every term it stores told)."""
    title = "President and Valmont's Duvall sign gas supply deal"
    stored, decoded, restored = _stored_and_restored(title, _SECOND_VISIT, "tfidf-names-v10", "cov_passing")
    raw = coverage_terms.raw_terms(title, _SECOND_VISIT, features.CALENDAR)
    assert stored.passing and set(stored.passing) <= raw.passing & {*stored.terms, *stored.names}
    assert coverage_terms._hash_term("ibarra") in stored.passing
    assert list(stored.passing) == sorted(stored.passing) and len(stored.passing) <= coverage_vectors.MAX_PASSING_TERMS
    assert list(decoded.passing) == list(stored.passing)
    assert restored.terms == stored.terms and not restored.passing


def test_a_reaction_placed_in_time_after_the_storys_event_is_coverage_of_it() -> None:
    """A brief reaction tells the story's event only in the sentence placing the reaction in
    time ("His warning came a day after the Constitutional Tribunal struck down the data
    retention law"): the words said answer that event, so the sentence sets nothing apart and the
    brief joins the ruling's story, as without the rule; the same sentence with the ruling's
    look-alike subject ("The ruling came ...") keeps it apart."""
    t0 = datetime(2027, 3, 1, 10, tzinfo=UTC)
    ruling = thread_input(
        "https://wire.test/a",
        "Constitutional Tribunal strikes down data retention law",
        "KORVEN, March 1 - Korvenia's Constitutional Tribunal on Monday struck down the data retention "
        "law, ruling that the blanket storage of phone and internet records for two years breached the "
        "right to privacy.\n\nChief Justice Alma Terev said the law, passed in 2024, was "
        "'disproportionate'. The government has six months to write new rules.\n\nDigital Rights "
        "Korvenia, which brought the case, called the ruling a landmark. Interior Minister Pavel Oder "
        "said he would study the judgment.",
        t0,
        site="wire.test",
    )
    paragraphs = [
        "National police chief Ivo Marek warned on Tuesday that investigators faced a 'blind spot' in "
        "cases of fraud and organised crime, saying officers relied on stored phone records in most "
        "serious investigations.",
        "His warning came a day after the Constitutional Tribunal struck down the data retention law.",
        "Marek said he would ask Interior Minister Pavel Oder for interim powers.",
    ]
    title = "Police chief warns of 'blind spot' as phone records go dark"
    for subject, joins in (("His warning", True), ("The ruling", False)):
        text = "\n\n".join(p.replace("His warning", subject) for p in paragraphs)
        reaction = thread_input("https://paper.test/b", title, text, t0 + timedelta(hours=20), site="paper.test")
        index = StoryIndex(ThreadSettings())
        story = decide_and_apply(index, ruling)[0].story_id
        d, _ = decide_and_apply(index, reaction)
        if joins:
            assert (d.kind, d.update_kind, d.story_id) == ("update", "coverage", story), d.evidence
        else:
            assert d.kind == "new" and d.evidence.get("told_apart") == 1, d.evidence


def test_a_record_of_the_v11_method_restores_with_its_terms_after_the_upgrade() -> None:
    """v12 reads the text differently (a paragraph placing its event in time against another's
    sets that event apart) and stores nothing new: a changelog written before the upgrade
    restores with its terms, as written, instead of a whole window losing its coverage terms;
    a record of a method not read restores with none."""
    title = "Calvera court upholds pension reform raising retirement age to 66"
    item = thread_input("https://example.com/a", title, "\n\n".join(_PLACED_IN_TIME), None, site="example.com")
    index = StoryIndex(ThreadSettings())
    _, entries = decide_and_apply(index, item)
    value = next(v for k, v in entries if k.startswith(ARTICLE_PREFIX))
    assert value is not None
    stored = index._articles[item.article_id].cov
    assert stored.apart  # the v12 reading set the struck-down law apart
    record = json.loads(value)
    assert record["cov_method"] == coverage_terms.METHOD
    for method, readable in (
        ("tfidf-names-v11", True),
        ("tfidf-names-v12", True),
        ("tfidf-names-v13", True),
        ("tfidf-names-v14", True),
        ("tfidf-names-v15", True),
        ("tfidf-names-v16", True),
        ("tfidf-names-v17", True),
        ("tfidf-names-v2", False),
    ):
        record["cov_method"] = method
        restored = _decode_article(json.dumps(record).encode()).cov
        if readable:
            assert (restored.terms, restored.apart) == (stored.terms, stored.apart)
        else:
            assert not restored.terms and not restored.apart


def test_told_share_weighs_the_names_a_text_tells() -> None:
    """In the headline, or used and not only in passing: told; not used, or only in passing:
    not. Weighed by idf; no names: all told."""
    w = {1: 1.0, 2: 3.0, 3: 4.0}.__getitem__
    assert coverage.told_share([1, 2, 3], {1}, {2, 3}, {3}, w) == pytest.approx(0.5)
    assert coverage.told_share([1, 2, 3], set(), {1, 2, 3}, {1, 2, 3}, w) == 0.0
    assert coverage.told_share([3], {3}, set(), {3}, w) == 1.0  # its headline's
    assert coverage.told_share([], set(), set(), set(), w) == 1.0


def test_given_names_are_a_first_name_before_a_surname_used_throughout() -> None:
    raw = coverage_terms.raw_terms(PORT_DEAL_FIRST_NAME.title, PORT_DEAL_FIRST_NAME.text.split("\n\n"), frozenset())
    labels = {(raw.label.get(a), raw.label.get(b)) for a, b in raw.head_pairs}
    assert labels == {("miklos", "varga")}
    # Two places side by side stand alone, a possessive ends a name, and the parts of a place
    # name used together as often as each other ("Corrigan Bay") are no given name.
    assert coverage_terms.title_pairs("Osterra, Keldora agree rail link") == []
    assert coverage_terms.title_pairs("Trump's UK visit") == []
    bay = coverage_terms.raw_terms(
        "Rocket lifts satellite from Corrigan Bay",
        ["The launch at Corrigan Bay went well, officials at Corrigan Bay said."],
        frozenset(),
    )
    assert bay.head_pairs == frozenset()
    # A short report gives the whole name twice and the surname alone once more: a given name.
    short = coverage_terms.raw_terms(
        "Veldoria president Mirela Ostrovan will not run again",
        ["The president of Veldoria, Mirela Ostrovan, has announced she will not stand again. Ms Ostrovan is 66."],
        frozenset(),
    )
    assert {(short.label.get(a), short.label.get(b)) for a, b in short.head_pairs} == {("mirela", "ostrovan")}


def _story_of_one(url: str, title: str, body: str, when: datetime) -> list[coverage.Probe]:
    """The members of a story of one wire report, as the gates read them (stored terms)."""
    index = StoryIndex(ThreadSettings())
    first = thread_input(url, title, body, when, site="wire.example")
    decide_and_apply(index, first)
    a = index._articles[first.article_id]
    return [coverage.Probe(a.article_id, a.time, a.cov)]


def test_a_new_headline_name_is_one_no_headline_of_the_story_gives() -> None:
    """The input's headline names, not its figures, against the names of the story's headlines;
    a given name before a surname they give is found with it (``given_names``)."""
    members = _story_of_one(
        "https://wire.example/deal",
        "Strand signs trade deal with Nimbria",
        "Trade Minister Annika Strand signed a free trade deal with Nimbria on Wednesday.\n\n"
        "Strand said the deal would cut tariffs on 94% of goods. Nimbria's minister agreed.",
        datetime(2039, 10, 12, 11, tzinfo=UTC),
    )

    def new(title: str, body: str, c: coverage.CoverageSettings | None = None) -> bool:
        raw = coverage_terms.raw_terms(title, body.split("\n\n"), frozenset())
        return coverage.new_headline_name(raw, members, c or coverage.CoverageSettings())

    assert not new("Nimbria deal: what it means for farmers", "Farmers in the north welcome the Nimbria deal.")
    assert not new("Nimbria deal cuts tariffs on 94% of goods", "The Nimbria deal cuts tariffs on 94% of goods.")
    assert new("Strand meets Drossland economy minister", "Strand met Drossland's economy minister in the evening.")
    hails = (
        "Nimbria deal a triumph, says Annika Strand",
        "The deal with Nimbria was historic, Annika Strand said. Strand thanked her team. Strand smiled.",
    )
    assert not new(*hails)
    assert new(*hails, dataclasses.replace(coverage.CoverageSettings(), given_names=False))


def test_a_new_headline_figure_is_a_percentage_no_member_of_the_story_prints() -> None:
    """The input's headline figures, when its headline gives a percentage, against every figure
    the story's members store (not only their headlines'): the wire's producer prices against
    its consumer prices; its second report of the inflation figure, or one without a
    percentage, is no new figure."""
    members = _story_of_one(
        "https://wire.example/cpi",
        "Nimbrian inflation rises to 3.4% in September",
        "Annual consumer price inflation rose to 3.4% in September from 3.1% in August, the "
        "statistics office said.\n\nFood prices rose 6.2% and energy 2.8%, the office said.",
        datetime(2039, 10, 12, 7, tzinfo=UTC),
    )

    def new(title: str, body: str) -> bool:
        raw = coverage_terms.raw_terms(title, body.split("\n\n"), frozenset())
        return coverage.new_headline_figure(raw, members)

    producer = "Producer prices rose 5.2% in September, after consumer prices rose 3.4%, the office said."
    assert new("Nimbrian producer prices rise 5.2% in September", producer)
    assert not new("Nimbrian inflation at 3.4% puts pressure on bank", "Inflation was 3.4% in September.")
    assert not new("Food prices drive Nimbrian inflation up 6.2%", "Food prices rose 6.2% in September.")
    assert not new("Nimbrian producer prices rise again", producer)  # no percentage headlined
    assert not new("Nimbrian producer prices rise 5.2 points", producer)


@pytest.mark.parametrize(
    ("headline", "labelled"),
    [
        ("Analysis: Dumaresq's split vote hints the tightening cycle is near", True),
        ("ANALYSIS-Central bank's split vote hints at a pause", True),
        ("Explainer | Why the ground under Tevrenna keeps shaking", True),
        ("Korsa ferry grounding: what we know about the Zorana", True),
        ("What we know so far about the Korsa ferry grounding", True),
        ("Hintergrund: Warum die Zentralbank die Zinsen erhöht", True),
        ("Décryptage : pourquoi la réforme des retraites divise", True),
        ("Análisis: el Banco Central abre la puerta a más subidas", True),
        ("Why does the ground shake in the Grauvald? Saturday's quake explained", True),
        ("Rate cut: what it means for your mortgage, savings and rent", True),
        ("What the new rent cap means for you", True),
        ("Measles in Tarnby: what parents need to know", True),
        ("After the quake: what Catterby homeowners need to know about inspections", True),
        ("What you need to know about this weekend's rail strike", True),
        ("Residents need to know more, says mayor after quake", False),
        ("Warum die Wenne so schnell steigen konnte", True),
        ("Minister asks why talks with the union failed", False),
        ("Whyte named central bank governor", False),
        ("Analysts see central bank pausing after split vote", False),
        ("Comment on the vote expected from the minister on Monday", False),
        ("Timeline of talks slips as ministers disagree", False),
        ("Central bank raises key rate to 4.50% in split vote", False),
    ],
)
def test_a_headline_labelled_as_an_analysis_or_explainer_is_told(headline: str, labelled: bool) -> None:
    """A label before the headline's colon, dash or bar ("what we know", or the question it
    answers, beginning the headline or its clause) marks a piece about an event already reported
    (``labelled_pieces``); the same word elsewhere in a report's headline is no label."""
    raw = coverage_terms.raw_terms(headline, ["The central bank's committee voted on Tuesday."], frozenset())
    assert raw.labelled is labelled


def test_only_a_sites_later_report_is_asked_the_storys_headline_names() -> None:
    """The wire's report of the wildfire's evacuation ("Wildfire forces evacuation of 2,000
    people in Arveth's Thornvale") arriving after its report of the next day ("Firefighters
    hold the line at Kelby as Thornvale wildfire slows"), which began the story: it is the
    site's first report, and joins (its "Arveth" is no headline name of the story). Stamped after
    that report, the same text is the site's later report, headlining a name no headline of
    the story gives, and is kept apart (``own_site_headline_names``)."""
    rows = {r["id"]: r for r in load_corpus(DEV_CORPUS)}
    first, next_day = record_item(rows["D06-1"]), record_item(rows["D06-4"])
    assert first.site == next_day.site and first.published is not None and next_day.published is not None
    assert first.published < next_day.published
    for stamped in (first.published, next_day.published + timedelta(hours=1)):
        index = StoryIndex(ThreadSettings())
        story = decide_and_apply(index, next_day)[0].story_id
        d = decide_and_apply(index, dataclasses.replace(first, published=stamped))[0]
        if stamped < next_day.published:
            assert (d.kind, d.update_kind, d.story_id) == ("update", "coverage", story), d.evidence
        else:
            assert d.kind == "new" and d.evidence.get("own_site_new_headline_name") == 1, d.evidence


@pytest.mark.parametrize(
    ("printed", "english"),
    [
        ("5,8", "5.8"),  # a magnitude
        ("3,50", "3.5"),  # a rate (its ending zero dropped too)
        ("1.200", "1,200"),  # a count, points between thousands
        ("12.500.000", "12,500,000"),
        ("1.200,5", "1,200.5"),
        ("1234,5", "1234.5"),
        ("1,200", "1,200"),  # English thousands, in any text
        ("4.25", "4.25"),
        ("3-1", "3-1"),
        ("4.50", "4.5"),  # a wire's two decimals, as other outlets print the rate
        ("4.00", "4.0"),  # one decimal kept: not the count "4"
        ("0.50", "0.5"),
        ("4.05", "4.05"),
        ("10.0", "10.0"),
        ("1,200.50", "1,200.5"),
        ("100", "100"),
    ],
)
def test_a_figure_printed_the_continental_way_reads_as_english_prints_it(printed: str, english: str) -> None:
    """Read as English prints it, and without the zeros ending a decimal (v16)."""
    assert coverage_terms.english_figure(printed) == english


def test_a_rate_printed_to_two_decimals_is_the_rate_other_outlets_print() -> None:
    """The wire's "raises key rate to 4.50 percent" and a business paper's "lifts rate to 4.5%"
    give one figure (v16): the figures gate no longer reads them as two banks' decisions, and
    the business report joins the wire's story; read as printed (v15) it stayed apart."""
    wire = thread_input(
        "https://wire.example/rate",
        "Kesmarran central bank raises key rate to 4.50 percent",
        "VANTESSOR, Sept 11 (KPS) - Kesmarra's central bank raised its main policy rate by 25 basis points to "
        "4.50 percent on Thursday, citing persistent inflation in services. Governor Leontina Pertzova said the "
        "board voted five to two.\n\nInflation was 3.9 percent in August. Two members voted to hold the rate at "
        "4.25 percent, the bank said.",
        datetime(2064, 9, 11, 12, tzinfo=UTC),
        site="wire.example",
    )
    business = thread_input(
        "https://tally.example/rate",
        "Kesmarran central bank lifts rate to 4.5%, krell firms as board splits",
        "Kesmarra's central bank raised its policy rate a quarter point to 4.5% on Thursday, sending the krell "
        "higher. Governor Leontina Pertzova said inflation of 3.9% in August was too high.\n\nTwo of the seven "
        "board members wanted to keep the rate at 4.25%, the bank said.",
        datetime(2064, 9, 11, 12, 40, tzinfo=UTC),
        site="tally.example",
    )
    assert (
        coverage_terms.raw_terms(wire.title, wire.text.split("\n\n"), frozenset()).headline_terms
        & coverage_terms.raw_terms(business.title, business.text.split("\n\n"), frozenset()).number_hashes
    )
    index = StoryIndex(ThreadSettings())
    first, _ = decide_and_apply(index, wire)
    second, _ = decide_and_apply(index, business)
    assert (second.kind, second.update_kind, second.story_id) == ("update", "coverage", first.story_id)
    assert "4.5" in str(second.evidence["shared_numbers"]).split(", ")


def test_keeping_ones_options_open_is_no_hold_of_a_rate() -> None:
    """A headline's "keeps" is no way a figure went (v17): "Kovald keeps his options open" heads
    an analysis of the governor's rate rise, which v16 read as a hold and so as another bank's
    decision than the rise its story's headlines give. A hold is still read where a headline
    says so ("holds", "unchanged"), with or without its percentage."""

    def move(title: str) -> int | None:
        raw = coverage_terms.raw_terms(title, ["The bank said."], frozenset())
        return coverage_terms.headline_move(raw.headline_terms)

    assert move("One and done? Kovald keeps his options open, and economists are split on the next move") is None
    assert move("Bank keeps key rate at 3.00%") is None
    assert move("Rhunvald's central bank holds key rate at 3.00%") == 0
    assert move("Central bank leaves rates unchanged") == 0
    assert move("Koltavia's central bank raises key rate to 4.50%") == 1


def test_a_headline_says_whether_a_measure_stands_or_falls() -> None:
    """A court's or a chamber's decision as its headline gives it (v22): the measure stands
    (upheld, passed, survives) or falls (struck down, unconstitutional, rejected), marked among
    the stored headline terms. Not read: a challenge or bid rejected (the measure challenged
    stands), what someone means to do ("bid to block", "vows to overturn"), a noun spelled as the
    verb ("cell block"), a headline saying both ways, or none."""

    def verdict(title: str) -> int | None:
        raw = coverage_terms.raw_terms(title, ["The court said."], frozenset())
        marked = [v for v, mark in coverage_terms.VERDICT_MARKS.items() if mark in raw.headline_terms]
        assert len(marked) <= 1 and coverage_terms.marked_verdict(raw.headline_terms) == (marked[0] if marked else None)
        assert coverage_terms.marked_verdict(raw.headline_terms) == coverage_terms.headline_verdict(title)
        return coverage_terms.headline_verdict(title)

    assert verdict("Constitutional Tribunal strikes down data retention law") == -1
    assert verdict("Judges rule phone-data law unconstitutional") == -1
    assert verdict("Brughmoot rejects rent stabilisation bill in blow to minister") == -1
    assert verdict("Verfassungsgericht kippt Gesetz zur Vorratsdatenspeicherung") == -1
    assert verdict("Tribunal upholds party donor disclosure law") == 1
    assert verdict("Heddenmoot approves pension reform raising retirement age to 67") == 1
    assert verdict("Parliament passes budget despite rebellion over arts cuts") == 1
    assert verdict("Pension reform survives court test as unions lose bid to block retirement age rise") == 1
    assert verdict("Court rejects challenge to new election law") is None
    assert verdict("Opposition vows to overturn ruling") is None
    assert verdict("BYPASS BRIBE BOSS: FROM SEAFRONT VILLA TO CELL BLOCK") is None
    assert verdict("Court upholds most of surveillance law, strikes down data rule") is None
    assert verdict("Rail strike halts most trains for 48 hours") is None


def test_a_rate_change_given_in_points_is_the_headline_s_percentage() -> None:
    """A bank's decision headlined in points ("quarter-point hike", "half a percentage point",
    "25 basis points") goes a way as one headlined in percent does (v18): v17 read no percentage
    in it, so no way, and a market report of one bank's hike could join the neighbour's hold. A
    lead in points of a table is no rate."""

    def read(title: str) -> tuple[bool, int | None]:
        raw = coverage_terms.raw_terms(title, ["The bank said."], frozenset())
        return coverage_terms.PERCENT in raw.headline_terms, coverage_terms.headline_move(raw.headline_terms)

    assert read("Dulcat jumps, bonds slide as MAZ surprises with quarter-point hike") == (True, 1)
    assert read("Central bank cuts rates by half a percentage point") == (True, -1)
    assert read("Bank of Ulmakand raises key rate by 25 basis points") == (True, 1)
    assert read("EZB erhöht den Leitzins um 25 Basispunkte") == (True, 1)
    assert read("Rovers open two-point lead at the top as Harbourmen stumble")[0] is False


def test_a_report_in_another_language_shares_its_figures_with_a_story_told_in_english() -> None:
    """An Italian report of the quake prints its magnitude "5,8" and its displaced "1.200"; the
    wire in English "5.8" and "1,200". v13 reads both as English prints them: the figures (in
    the body, the headline, an amount with its unit) are the same terms, and the similarity of a
    report in another language is of its names and figures alone."""
    calendar = frozenset[str]()
    italian = coverage_terms.raw_terms(
        "Terremoto di magnitudo 5,8 a Velsk: 1.200 sfollati",
        ["Una scossa di magnitudo 5,8 ha colpito Velsk nella notte: 1.200 sfollati, danni per 4,3m di corone."],
        calendar,
    )
    english = coverage_terms.raw_terms(
        "Magnitude 5.8 quake strikes Velsk, 1,200 displaced",
        ["A magnitude 5.8 quake struck Velsk overnight, displacing 1,200 people and causing 4.3m crowns of damage."],
        calendar,
    )
    assert italian.language == "it" and english.language in ("en", "")
    assert len(italian.number_hashes) == 3 and italian.number_hashes == english.number_hashes
    assert italian.number_hashes <= italian.headline_terms | set(italian.counts)
    # as printed: the labels the evidence shows
    assert {italian.label[h] for h in italian.number_hashes if h in italian.label} >= {"5,8", "1.200"}


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("zürich", "zurich"),
        ("são", "sao"),
        ("erdoğan", "erdogan"),
        ("crédit", "credit"),
        ("cocaïne", "cocaine"),
        ("øresund", "oresund"),
        ("łódź", "lodz"),
        ("straße", "strasse"),
        ("k\u0131l\u0131\u00e7daro\u011flu", "kilicdaroglu"),
        ("reykjavík", "reykjavik"),
        ("plain", "plain"),
    ],
)
def test_a_term_is_read_without_its_accents(written: str, read: str) -> None:
    assert coverage_terms.unaccented(written) == read


def test_a_name_written_with_and_without_its_accents_is_one_term() -> None:
    """The wire writes "Crédit Marvello" and "Zürich", the broadcaster "Credit Marvello" and
    "Zurich": one name each, in the headline and the body, as a name and where a sentence
    begins; the label (the evidence's) keeps the text's spelling."""
    calendar = frozenset[str]()
    wire = coverage_terms.raw_terms(
        "Crédit Marvello agrees Zürich takeover",
        ["Lender Crédit Marvello has agreed to buy a Zürich bank. Zürich regulators approved it."],
        calendar,
    )
    broadcaster = coverage_terms.raw_terms(
        "Credit Marvello agrees Zurich takeover",
        ["Lender Credit Marvello has agreed to buy a Zurich bank. Zurich regulators approved it."],
        calendar,
    )
    assert wire.name_hashes == broadcaster.name_hashes and len(wire.name_hashes) >= 3
    assert wire.headline == broadcaster.headline and wire.headline_terms == broadcaster.headline_terms
    assert wire.counts == broadcaster.counts
    assert "zürich" in wire.label.values() and "zurich" in broadcaster.label.values()
