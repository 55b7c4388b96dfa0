"""Coverage does not depend on arrival order, nor on the time gap alone.

Feeds are polled in another order than they publish, so an original often arrives after its
coverage; and on a busy news day the look-alikes (another bank's decision, another case against
the same defendant) come within hours, so the time decay cannot keep them apart. The
coverage-dev corpus is decided here in seeded random arrival orders (publication times kept)
and with every article moved onto one day; floors live in ``tests/quality_baseline.json``."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.quality import floor, lookalike_pairs_merged
from tests.support.workers import coverage_item, coverage_rows
from workers import coverage, coverage_terms
from workers.scoring import pairwise_scores
from workers.thread import Decision, StoryIndex, ThreadInput, ThreadSettings, decide_and_apply, thread_input

ORDERS = 8
DAY = datetime(2026, 3, 9, tzinfo=UTC)


_rows, _item = coverage_rows, coverage_item


def _on_one_day(item: ThreadInput, row_id: str) -> ThreadInput:
    """The article moved to a fixed id-derived minute of one 12-hour news day."""
    minutes = int.from_bytes(hashlib.blake2b(row_id.encode(), digest_size=8).digest(), "big") % (12 * 60)
    return replace(item, published=DAY + timedelta(minutes=minutes))


def _decide(rows: list[dict[str, Any]], items: dict[str, ThreadInput], settings: ThreadSettings) -> dict[str, str]:
    index = StoryIndex(settings)
    return {row["id"]: decide_and_apply(index, items[row["id"]])[0].story_id for row in rows}


def _lookalike_pairs(rows: list[dict[str, Any]]) -> int:
    """Pairs of a look-alike and an article of the event it imitates (as the merged count)."""
    n = 0
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            same_group = a["thread"].split("-")[0] == b["thread"].split("-")[0]
            if same_group and a["thread"] != b["thread"] and "lookalike" in (a["role"], b["role"]):
                n += 1
    return n


def _in_random_orders(
    rows: list[dict[str, Any]], items: dict[str, ThreadInput], base: Callable[[dict[str, Any]], Any]
) -> tuple[float, float, float]:
    """Mean precision and recall over ``ORDERS`` seeded random arrival orders (shuffles of the
    rows sorted by ``base``), and the share of look-alike pairs kept apart over all of them."""
    truth = {r["id"]: r["thread"] for r in rows}
    precision = recall = 0.0
    merged = 0
    for seed in range(ORDERS):
        order = sorted(rows, key=base)
        random.Random(seed).shuffle(order)
        predicted = _decide(order, items, ThreadSettings())
        s = pairwise_scores(predicted, truth)
        precision += s.precision / ORDERS
        recall += s.recall / ORDERS
        merged += lookalike_pairs_merged(predicted, rows)
    return precision, recall, 1 - merged / (ORDERS * _lookalike_pairs(rows))


def test_coverage_dev_in_random_arrival_orders() -> None:
    rows = _rows()
    items = {r["id"]: _item(r) for r in rows}
    precision, recall, apart = _in_random_orders(rows, items, lambda r: (r["published"], r["id"]))
    print(f"coverage-dev, {ORDERS} orders: P={precision:.3f} R={recall:.3f} look-alike pairs apart={apart:.3f}")
    assert precision >= floor("threading.coverage_dev.orders.precision")
    assert recall >= floor("threading.coverage_dev.orders.recall")
    assert apart >= floor("threading.coverage_dev.orders.lookalikes_apart")


def test_coverage_dev_all_on_one_day() -> None:
    """Second quake, next quarter, other bank, next match: all within the same 12 hours."""
    rows = sorted(_rows(), key=lambda r: r["id"])
    items = {r["id"]: _on_one_day(_item(r), r["id"]) for r in rows}
    order = sorted(rows, key=lambda r: (items[r["id"]].published, r["id"]))
    predicted = _decide(order, items, ThreadSettings())
    s = pairwise_scores(predicted, {r["id"]: r["thread"] for r in rows})
    merged = lookalike_pairs_merged(predicted, rows)
    print(f"coverage-dev on one day: P={s.precision:.3f} R={s.recall:.3f} look-alikes merged={merged}")
    assert s.precision >= floor("threading.coverage_dev.one_day.precision")
    assert s.recall >= floor("threading.coverage_dev.one_day.recall")
    assert merged == 0


def _dated(item: ThreadInput) -> ThreadInput:
    """The article stamped with its day alone (midnight), as a feed or page that gives a date
    without a time stamps it."""
    assert item.published is not None
    return replace(item, published=item.published.replace(hour=0, minute=0, second=0, microsecond=0))


def test_coverage_dev_stamped_with_dates_only_in_random_arrival_orders() -> None:
    """Every article of a day at one instant: publication times no longer say which report came
    first, so arrival order alone would decide which is judged against which."""
    rows = _rows()
    items = {r["id"]: _dated(_item(r)) for r in rows}
    precision, recall, apart = _in_random_orders(rows, items, lambda r: r["id"])
    print(f"coverage-dev, dates only, {ORDERS} orders: P={precision:.3f} R={recall:.3f} look-alikes apart={apart:.3f}")
    assert precision >= floor("threading.coverage_dev.dates_only.precision")
    assert recall >= floor("threading.coverage_dev.dates_only.recall")
    assert apart >= floor("threading.coverage_dev.dates_only.lookalikes_apart")


def test_coverage_stamped_with_the_same_date_is_judged_both_ways() -> None:
    """The carmaker's results and the share report, both stamped with their day alone and the
    share report polled first: the two may have been published in either order, so the results
    are judged with the roles swapped too and join. Stamped a minute after the share report,
    the results are the later report, and the swap does not apply."""
    rows = {r["id"]: r for r in _rows()}
    original, reaction = _dated(_item(rows["CD05-1"])), _dated(_item(rows["CD05-4"]))
    day = original.published
    assert day is not None and day == reaction.published
    # mutual headlines also join these two: off, the swap is what is tested
    settings = ThreadSettings(coverage=coverage.CoverageSettings(mutual_headlines=False))
    index = StoryIndex(settings)
    first, _ = decide_and_apply(index, reaction)
    tied, _ = decide_and_apply(index, original)
    assert (tied.kind, tied.update_kind, tied.story_id) == ("update", "coverage", first.story_id), tied.evidence
    assert tied.evidence["coverage_input_is_earlier"] == 1
    later = StoryIndex(settings)
    decide_and_apply(later, reaction)
    alone, _ = decide_and_apply(later, replace(original, published=day + timedelta(minutes=1)))
    assert alone.kind == "new", alone.evidence


def test_an_original_arriving_after_its_coverage_joins_with_the_roles_swapped() -> None:
    """The carmaker's results (published first) polled after a report on the share price
    reaction: judged as the share report would have been against it, it joins that story."""
    rows = {r["id"]: r for r in _rows()}
    original, reaction = _item(rows["CD05-1"]), _item(rows["CD05-4"])
    assert original.published is not None and reaction.published is not None
    assert original.published < reaction.published
    index = StoryIndex(ThreadSettings())
    first, _ = decide_and_apply(index, reaction)
    late, _ = decide_and_apply(index, original)
    assert (late.kind, late.update_kind, late.story_id) == ("update", "coverage", first.story_id), late.evidence
    assert late.evidence["coverage_input_is_earlier"] == 1
    # Without the swap (nor mutual headlines, which also join these two) the forward gates
    # alone turn it away: the swap is what joins it.
    plain = StoryIndex(ThreadSettings(coverage=coverage.CoverageSettings(swap_roles=False, mutual_headlines=False)))
    decide_and_apply(plain, reaction)
    alone, _ = decide_and_apply(plain, original)
    assert alone.kind == "new"
    assert "coverage_input_is_earlier" not in alone.evidence


def test_two_reports_naming_each_others_headline_join_by_mutual_headlines() -> None:
    """Two reactions to the consulate deal ("Neighbours Osterra, Calvesse patch up ties ..."
    and "Students could cross to Calvesse without visas ...") share few headline *words*, so
    neither passes the story's-headline-words gate, but each headline's names are found in the
    other report and every other gate holds both ways: one event, told from two sides."""
    rows = {r["id"]: r for r in _rows()}
    first_item, second_item = _item(rows["CD01-4"]), _item(rows["CD01-5"])
    for mutual in (True, False):
        index = StoryIndex(ThreadSettings(coverage=coverage.CoverageSettings(mutual_headlines=mutual)))
        first, _ = decide_and_apply(index, first_item)
        d, _ = decide_and_apply(index, second_item)
        story_words = float(d.evidence["story_headline_names_in_input"])
        assert story_words < ThreadSettings().coverage.min_story_headline_in_input, d.evidence
        if mutual:
            assert (d.kind, d.update_kind, d.story_id) == ("update", "coverage", first.story_id), d.evidence
        else:
            assert d.kind == "new", d.evidence


_BUDGET = (
    "Marlowe signs the harbour budget into law",
    "The finance minister, Edda Marlowe, signed the harbour budget on Thursday in Tessby. Marlowe said "
    "the budget for the Grenholt harbour would fund new cranes and dredging. The opposition leader Piet "
    "Vandross called the plan late. Marlowe has led the ministry since 2023.\n\nThe budget passed the "
    "Tessby assembly last week after a long debate over the Grenholt quays.",
)
_FARMS = (
    "Marlowe visits flooded farms and promises relief",
    "Edda Marlowe toured flooded farms near Grenholt on Thursday afternoon. Marlowe said relief payments "
    "would reach farmers within a month. Piet Vandross, the opposition leader, said the relief came too "
    "slowly. Farmers in Tessby province asked for dikes.\n\nThe river burst its banks near Grenholt after "
    "days of rain, flooding fields and barns.",
)


def _the_ministers_visit(settings: coverage.CoverageSettings) -> Decision:
    """The minister's flood visit decided after her budget signing three hours before, in a
    window of a few other articles (so that names weigh more than common words)."""
    at = datetime(2026, 4, 2, 8, tzinfo=UTC)
    index = StoryIndex(ThreadSettings(coverage=settings))
    for i in range(6):
        text = f"Rain fell across the country on day {i}. Forecasters expect more showers and wind in the north."
        weather = thread_input(
            f"https://x.example/{i}", f"Weather report {i}", text, at - timedelta(hours=10 - i), site="x.example"
        )
        decide_and_apply(index, weather)
    decide_and_apply(index, thread_input("https://a.example/1", *_BUDGET, at, site="a.example"))
    d, _ = decide_and_apply(
        index, thread_input("https://b.example/1", *_FARMS, at + timedelta(hours=3), site="b.example")
    )
    return d


def test_one_shared_headline_name_is_not_a_mutual_headline() -> None:
    """The same minister in two stories on one day (she signs a budget, she visits flooded
    farms): each headline's one name is found in the other report and both name the same
    places, but one name between the two headlines is a person, not an event."""
    for required in (1, 2):
        d = _the_ministers_visit(coverage.CoverageSettings(min_mutual_headline_names=required))
        assert float(d.evidence["headline_names_in_story"]) == 1.0, d.evidence
        # One name between the headlines joins them (what the floor of two names is for).
        assert (d.kind, d.update_kind) == (("update", "coverage") if required == 1 else ("new", None)), d.evidence


def test_the_rescue_asks_a_word_of_what_happened_from_a_story_headline() -> None:
    """The visit's report finds the budget story's headline name (Marlowe) and none of its words
    ("signs", "budget", "law"): a quarter of the headline, under the rules' 0.4. Where the rescue
    model weighs that share instead (v20), every name shared and the texts alike give a
    probability of 0.99; one word of what happened, asked of some story headline, keeps the two
    engagements apart (the rules' own ask of a word where few names are shared,
    ``weak_shared_name_idf``, left off here: it keeps them apart too)."""
    for words in (0, 1):
        d = _the_ministers_visit(coverage.CoverageSettings(rescue_story_headline_words=words, weak_shared_name_idf=0.0))
        assert (
            float(d.evidence["story_headline_names_in_input"]) < coverage.CoverageSettings().min_story_headline_in_input
        )
        if words:
            assert d.kind == "new" and "coverage_rescue_probability" not in d.evidence, d.evidence
        else:
            assert (d.kind, d.update_kind) == ("update", "coverage"), d.evidence
            assert "coverage_rescue_probability" in d.evidence, d.evidence


def test_another_central_bank_the_same_morning_stays_apart_by_its_headline_rate() -> None:
    """Another bank's decision in the same template, an hour apart: the names pass (each text
    names the other bank), the rates in the headlines (4.25% against 2.75%) do not."""
    rows = {r["id"]: r for r in _rows()}
    other = _item(rows["CD04-3"])
    assert other.published is not None
    bank = replace(_item(rows["CD04-1"]), published=other.published + timedelta(hours=1))
    settings = ThreadSettings()
    index = StoryIndex(settings)
    first, _ = decide_and_apply(index, other)
    d, _ = decide_and_apply(index, bank)
    assert d.kind == "new" and d.story_id != first.story_id, d.evidence
    # The nearest story was this one and its names passed: the figures kept them apart.
    assert d.evidence["coverage_nearest_article_id"] == other.article_id
    assert float(d.evidence["headline_names_in_story"]) >= settings.coverage.min_headline_in_story
    assert float(d.evidence["coverage_similarity"]) >= settings.coverage.min_similarity


def test_abbreviations_and_name_tails_fold_onto_one_term() -> None:
    def names(text: str) -> frozenset[int]:
        return coverage_terms.raw_terms("Headline", [text], frozenset()).name_hashes

    assert names("The director of the C.I.A. met him.") == names("The director of the CIA met him.")
    assert names("Leader Kim Jong-un met him.") == names("Leader Kim Jong Un met him.")
    # A compound of names stays one term: "Trump-Russia" is not "Trump".
    assert names("The Trump-Russia inquiry went on.").isdisjoint(names("The inquiry into Trump went on."))
