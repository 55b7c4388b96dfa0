"""Coverage quality on a set written apart from the coverage rules
(``tests/data/corpus/coverage-held-out.jsonl.gz``): 84 fictional articles of one small country's
news over ten days, by a separate author who read neither the code nor coverage-dev. Fourteen
events (a vote, a president's announcement, talks, an earthquake, a match, a rate decision,
quarterly results, a verdict, a blast, an election, a drug approval, a strike, a launch, a
merger), each reported first by one outlet and then by two to four others in their own words;
twelve look-alikes (the same president's other announcement the same day, the same minister
with another counterpart the same day, a second quake in the province a week later, the club's
next match, the neighbour's central bank the same morning, a rival's results the same day,
another case against the same defendant, another strike in the capital, ...), some with
coverage of their own; and unrelated items. Its news days are crowded with the same people:
the president appears in three events of one day, and reports mention the other events of
their day.

Written after coverage v7, it found faults fixed in v8: a headline ending in an agency's code
off the agency list ("(NPA)") made the code the story's rarest headline name, so no other
outlet's report could join; mutual headlines joined reports of two announcements of one
president on words of their shared setting (a cosine near 0.2); a short report's "Mirela
Ostrovan" was no given name (the surname not twice as frequent); a story drew in another
event through one member that touched on it; and a local paper's report, which never names its
own country, could not join a story whose headline named only the country. The figures here are
those of v8 (v9 gives the same), pinned in ``tests/quality_baseline.json``; what it still misses
is listed in the README (its figures table)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.data import COVERAGE_HELD_OUT_CORPUS as CORPUS
from tests.support.data import COVERAGE_HELD_OUT_SETS
from tests.support.quality import floor, lookalike_pairs_merged
from tests.support.workers import coverage_item, coverage_rows
from workers import coverage
from workers.scoring import pairwise_scores
from workers.thread import Decision, StoryIndex, ThreadSettings, decide_and_apply

ORDERS = 8


def _rows() -> list[dict[str, Any]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return sorted(rows, key=lambda r: (r["published"], r["id"]))


ROWS = _rows()


ITEMS = {r["id"]: coverage_item(r) for r in ROWS}


def _decide(rows: list[dict[str, Any]], settings: ThreadSettings | None = None) -> dict[str, Decision]:
    index = StoryIndex(settings or ThreadSettings())
    return {r["id"]: decide_and_apply(index, ITEMS[r["id"]])[0] for r in rows}


def test_held_out_coverage_set_is_well_formed() -> None:
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids)) == 84
    roles = {r["role"] for r in ROWS}
    assert roles == {"original", "coverage", "lookalike", "unrelated"}
    threads = {r["thread"] for r in ROWS}
    for r in ROWS:
        if r["role"] == "lookalike":
            assert r["resembles"] in threads and r["resembles"] != r["thread"]
        if r["role"] == "coverage":  # every coverage thread opens with a first report
            assert any(o["thread"] == r["thread"] and o["role"] in ("original", "lookalike") for o in ROWS)


def test_held_out_coverage_in_time_order() -> None:
    """Time order: precision 1.000, recall 0.821 (v7: 0.675 / 0.783, the president's three
    events of one day in one story), no look-alike merged, every report joined as coverage."""
    decisions = _decide(ROWS)
    predicted = {k: d.story_id for k, d in decisions.items()}
    s = pairwise_scores(predicted, {r["id"]: r["thread"] for r in ROWS})
    assert s.precision >= floor("threading.coverage_held_out.precision"), s
    assert s.recall >= floor("threading.coverage_held_out.recall"), s
    assert lookalike_pairs_merged(predicted, ROWS) == 0
    for r in ROWS:
        d = decisions[r["id"]]
        if r["role"] == "coverage" and d.kind == "update":
            assert d.update_kind == "coverage", (r["id"], d.evidence)


def test_held_out_coverage_in_arrival_orders() -> None:
    """Random arrival orders (publication times kept): precision falls to 0.91. A report
    published before a story it matches arrives after it, and the story's reports mention its
    own event (the president's housing plan of the same morning, a rival's results): the
    weakest figure the set gives, pinned so that it does not fall unnoticed."""
    precision = recall = 0.0
    for seed in range(ORDERS):
        rows = list(ROWS)
        random.Random(seed).shuffle(rows)
        predicted = {k: d.story_id for k, d in _decide(rows).items()}
        s = pairwise_scores(predicted, {r["id"]: r["thread"] for r in ROWS})
        precision += s.precision / ORDERS
        recall += s.recall / ORDERS
    assert precision >= floor("threading.coverage_held_out.orders.precision"), precision
    assert recall >= floor("threading.coverage_held_out.orders.recall"), recall


def test_mutual_headlines_need_texts_closer_than_the_bare_threshold() -> None:
    """The president's announcement that she will not run again (H02-1) against the story of
    the pension vote the day before, whose explainer (H01-4, "Retirement at 65: What Veldoria's
    new pension law changes") names the country she heads and the law awaiting her signature:
    each headline's names are found in the other report, so mutual headlines joined them at a
    cosine of 0.20, the words of their shared setting. With the texts required to be as close
    as ``min_mutual_cosine`` (0.22) the announcement is its own story."""
    upto = [r for r in ROWS if r["published"] <= next(o["published"] for o in ROWS if o["id"] == "H02-1")]
    for required in (0.0, coverage.CoverageSettings().min_mutual_cosine):
        settings = ThreadSettings(
            coverage=coverage.CoverageSettings(
                min_mutual_cosine=required,
                own_site_headline_names=bool(required),
                own_site_story_words=bool(required),
                own_site_headline_figures=bool(required),
            )
        )
        decisions = _decide(upto, settings)
        d, vote = decisions["H02-1"], decisions["H01-4"]
        assert float(d.evidence["headline_names_in_story"]) == 1.0, d.evidence
        if required == 0.0:
            _assert_joined(d, vote.story_id)
            assert float(d.evidence["story_headline_names_in_input"]) < settings.coverage.min_story_headline_in_input
            assert float(d.evidence["coverage_cosine"]) < coverage.CoverageSettings().min_mutual_cosine
        else:
            assert d.kind == "new" and d.story_id != vote.story_id, d.evidence


def test_a_story_does_not_draw_in_another_event_through_one_member() -> None:
    """A neighbour's paper reports the president's retirement (H02-5, "Neighbour's president to
    step aside next year") and dwells on the border deal her foreign minister signs the next
    day. The deal's first report (H03-1) matches that member at a cosine of 0.46, but shares
    almost nothing with the story's other reports of the retirement (0.06 with their centroid):
    through one member, a story of several reports drew another event in. With the other
    reports required to share some of it (``min_rest_cosine``), the deal is its own story."""
    upto = [r for r in ROWS if r["published"] <= next(o["published"] for o in ROWS if o["id"] == "H03-1")]
    for required in (0.0, coverage.CoverageSettings().min_rest_cosine):
        decisions = _decide(
            upto,
            ThreadSettings(
                coverage=coverage.CoverageSettings(
                    min_rest_cosine=required,
                    own_site_headline_names=bool(required),
                    own_site_story_words=bool(required),
                    own_site_headline_figures=bool(required),
                )
            ),
        )
        d, bridge = decisions["H03-1"], decisions["H02-5"]
        assert bridge.story_id == decisions["H02-1"].story_id  # the neighbour's report is coverage
        if required == 0.0:
            assert (d.kind, d.story_id, d.matched_article_id) == ("update", bridge.story_id, ITEMS["H02-5"].article_id)
        else:
            assert d.story_id != bridge.story_id, d.evidence


def test_a_local_report_need_not_name_its_own_country() -> None:
    """The wire's report of the plant blast headlines the only name it gives, the country's
    ("Blast at Veldorian fertiliser plant kills five"); the port town's own paper (H09-2,
    "Port district wakes to explosion") never names its country. The story headline's rarest
    name is asked of a report only when it is rare in the window: a country every story of the
    setting names is no slot a look-alike fills differently. (The rule alone: the rescue model,
    which weighs an unnamed slot itself since v27, is not asked of such a story here.)"""
    upto = [r for r in ROWS if r["published"] <= next(o["published"] for o in ROWS if o["id"] == "H09-2")]
    assert "veldori" not in " ".join(ITEMS["H09-2"].text.lower().split()[:2000])
    for rare_only in (False, True):
        rules = coverage.CoverageSettings(rare_subject_only=rare_only, rescue_unnamed_subject=False)
        decisions = _decide(upto, ThreadSettings(coverage=rules))
        d, wire = decisions["H09-2"], decisions["H09-1"]
        if rare_only:
            _assert_joined(d, wire.story_id)
        else:
            assert d.kind == "new" and d.evidence["coverage_nearest_article_id"] == ITEMS["H09-1"].article_id


# Three more sets written apart from the rules, after v8, by authors who read neither the code
# nor coverage-dev nor each other's set: another country's crowded news week (15 events, 14
# look-alikes: the president's minimum-wage address on the day of the pension vote, a rival
# telecom's results the same morning, the neighbour's central bank the next day, ...), German
# and Spanish outlets of two more countries (16 events, 14 look-alikes), and an international
# week of English-language outlets (16 events, 14 look-alikes, some published before the event
# they resemble). They measure
# what the rules do on news they were not written for: precision under the 0.98 the coverage
# relation is asked for (0.96, 0.97, 0.92), where a look-alike's report names the event it
# resembles throughout (the president's other address, another ruling of the same court the
# same day). A fifth, written after v9 the same way (a week of four countries: 15 events, 14
# look-alikes of the kinds above, some published days before the event they resemble), measured
# v9 before it was added here: precision 1.000, recall 0.710, no look-alike merged. A sixth,
# written after v10 (a fortnight of a sea's five countries: 15 events, 14 look-alikes), measured
# v10 before it was added: precision 0.930, recall 0.721, 6 of 59 look-alike pairs merged (the
# same court's other ruling that afternoon, the defendant's other trial set that morning), which
# v11 keeps apart (each report tells of the other "in a separate case"). A seventh, written
# after v11's first rule (a fortnight of another sea's five countries: 19 events, 16
# look-alikes), measured it before it was added: precision 0.959, recall 0.789, 3 of 54
# look-alike pairs merged; the clause of a headline's percentage (v11's second rule) was read
# after it had been seen. An eighth, written after v11 (a fortnight of an island federation and
# its neighbours: 18 events, 16 look-alikes, reports of 60 to 570 words, eleven in German,
# Spanish, French or Italian, look-alikes told apart in varied words and seldom "separate"),
# measured v11 before it was added: precision 0.875, recall 0.583, 5 of 60 look-alike pairs
# merged. A ninth, written after v16 (a fortnight of a federal country's national news by twelve
# outlets, its agenda crowded with the same people: 17 events, 16 look-alikes, two of each kind
# and the same union's other strike, six with reports of their own), measured v16 before it was
# added: precision 0.865, recall 0.697, 6 of 72 look-alike pairs merged (8 pairs with a
# look-alike in another story's event, the count pinned here). The floors pin what the rules do
# now (recall 0.816, 0.714, 0.786, 0.785, 0.721, 0.789, 0.648 on the eighth since v17 read its
# Spanish report of the rate cut as another language, 0.697 on the ninth, 0.646 on the tenth and
# 0.794 on the eleventh, as v19 first met them; 0.883, 0.704, 0.698 and 0.833 on the second, the
# eighth, the tenth and the eleventh since v20 asks the rescue model of the story's headline
# words too; 0.800 on the twelfth, written after v20 and measured first; 0.894 on the thirteenth,
# written after v20 too, where precision is 0.679; 0.745 on the fourteenth, written while v21 was
# made and measured by it first, at precision 0.927; 0.795 and 0.739 on the fifteenth and the
# sixteenth, written after v21, at precision 1.000; 0.879, 0.731, 0.688, 0.804, 0.923 and 0.821 on
# the fifth, eighth, tenth, eleventh, thirteenth and fifteenth since v22 asks the rescue model of
# stories less similar than the rules ask and reads a story in another language's headline
# names as that language translates them, the tenth's 0.677 again since v23 asks a story in
# another language the rules' similarity; 0.897 on the seventeenth, written while v22 was made
# and measured first, where precision was 0.873: the wire's two look-alikes of its verdict joined
# through the quote relation, as three of the thirteenth's did, until a paragraph one site's two
# texts hold in the same place was read as its template; 1.000 on the seventeenth and 0.769 /
# 0.962 on the thirteenth since; 0.919 on the eighteenth, written after that, at precision
# 1.000; 0.604 on the nineteenth and 0.739 on the twentieth (every event with two reports of one
# outlet), written after v23, at precision 1.000 and 0.959; since v24's rescue model, 0.896,
# 0.888, 0.865, 0.892, 0.759, 0.748, 0.688, 0.833, 0.765 and 0.640 on the first, third, fourth,
# sixth, eighth, ninth, tenth, eleventh, sixteenth and nineteenth; 0.838 and 0.761 on the
# twenty-first and twenty-second, written after v24 and measured first, at precision 1.000;
# 0.892 on the eleventh and 0.720 on the twentieth since v25 asks a site's later report for the
# story's headline names; 0.913 on the twenty-third, written while v25 was made and measured
# first, and 0.887 on the twenty-fourth, written after v25 and measured first, both at precision
# 1.000; since v26's trees, 0.934, 0.816, 0.905, 0.937, 0.878, 0.833, 0.790, 0.750, 0.961, 0.820,
# 0.794, 0.866, 0.791, 0.685, 0.764, 0.807 and 0.861 on the first, third, fourth, sixth, seventh,
# eighth, ninth, tenth, eleventh, twelfth, fourteenth, fifteenth, sixteenth, nineteenth,
# twentieth, twenty-second and twenty-fourth; 0.647 and 0.723 on the twenty-fifth and
# twenty-sixth, written after v25 and measured first by it, at precision 1.000 and 0.989, and
# 0.629 and 0.777 under v26; 1.000 and 0.745 on the twenty-seventh and twenty-eighth, written
# after v26 and measured first by it, at precision 1.000 and 0.952; since v27 asks the rescue
# model of stories whose headlines' rarest name a report leaves unnamed, 0.971 (its fifth look-alike
# pair a report joining the story a look-alike had joined before, at precision 0.952), 0.937,
# 0.875, 0.878, 0.916, 0.946, 0.835, 0.945, 0.638 and 0.785 on the second, fourth, fifteenth,
# sixteenth, seventeenth, eighteenth, twenty-second, twenty-third, twenty-fifth and twenty-sixth;
# 0.790, 0.829, 0.847 and 0.627 on the twenty-ninth to thirty-second, written after v26 and
# measured first by it, at precision 1.000, 1.000, 0.971 and 1.000, and 0.823 on the
# twenty-ninth under v27; 0.640 and 0.789 on the thirty-third and thirty-fourth, written after
# v27 and measured first by it, at precision 0.986 and 0.972; 0.774 and 0.842 on the
# thirty-fifth and thirty-sixth, written after v27 and measured first by it, at precision 1.000;
# 0.882 on the fourteenth, at precision 1.000, since v28 asks what happened of a story sharing
# few names; 0.776 and 0.831 on the thirty-seventh and thirty-eighth, written after v29 and
# measured first by it, at precision 1.000; 0.837 and 0.706 on the thirty-ninth and fortieth,
# written after v29 with the closing background and measured first by it, at precision 1.000;
# 0.765 and 0.789 on the forty-first and forty-second, written after v30 and measured first by
# it, at precision 0.957 and 1.000; 0.829 and 0.737 on the forty-third and forty-fourth, written
# after v32 and measured first by it, at precision 1.000; 0.817 and 0.819 on the forty-fifth
# and forty-sixth, written after v36 and measured first by it, at precision 1.000; 0.823 and
# 0.887 on the forty-seventh and forty-eighth, written after v37 and measured first by it, at
# precision 1.000; 0.756 and 0.883 on the forty-ninth and fiftieth, written after v38 and
# measured first by it, at precision 1.000 and 0.898; 0.821 and 0.915 on the fifty-first and
# fifty-second, written after v38 and measured first by it, at precision 0.926 and 1.000; 0.760
# and 0.820 on the fifty-third and fifty-fourth, written after v39 and measured first by it, at
# precision 1.000; 0.798 and 0.861 on the fifty-fifth and fifty-sixth, written after v40 and
# measured first by it, at precision 1.000; 0.598 and 0.678 on the fifty-seventh and
# fifty-eighth, written after v41 from a brief asking each outlet's own angle and measured first
# by it, at precision 0.826 and 1.000; 0.720 and 0.719 on the fifty-ninth and sixtieth, written
# with that brief while v42 and v43 were built and measured first by v43, at precision 1.000 and
# 0.965; 0.580 and 0.649 on the sixty-first and sixty-second, written with that brief after v43
# and measured first by it, at precision 1.000 and 0.947),
# so that it does not fall unnoticed;
# the figures are in the README.
MORE_SETS = {name.replace("-", "_"): path for name, path in COVERAGE_HELD_OUT_SETS.items() if path != CORPUS}


def _set_rows(name: str) -> list[dict[str, Any]]:
    with gzip.open(MORE_SETS[name], "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return sorted(rows, key=lambda r: (r["published"], r["id"]))


def _decided_until(
    name: str, last: str, settings: coverage.CoverageSettings | ThreadSettings, *, dates_only: bool = False
) -> dict[str, Decision]:
    """The set's decisions in time order up to the publication of ``last``, under ``settings``:
    a rule's effect on one report, with the story as it stood when the report came.
    ``dates_only``: every report stamped with its day alone (midnight), as feeds and pages giving
    a date without a time stamp them: a day's reports at one instant, decided in the order of
    their ids (as ``bench_coverage.dates_only`` runs)."""
    rows = _set_rows(name)
    if dates_only:
        rows = sorted(
            ({**r, "published": r["published"][:10] + "T00:00:00Z"} for r in rows),
            key=lambda r: (r["published"], r["id"]),
        )
    until = next(r["published"] for r in rows if r["id"] == last)
    index = StoryIndex(settings if isinstance(settings, ThreadSettings) else ThreadSettings(coverage=settings))
    return {r["id"]: decide_and_apply(index, coverage_item(r))[0] for r in rows if r["published"] <= until}


def _judged(
    name: str,
    report: str,
    event: str,
    settings: coverage.CoverageSettings | ThreadSettings,
    *,
    dates_only: bool = False,
) -> tuple[Decision, str]:
    """``report``'s decision (``_decided_until``) and the story of ``event`` when it came."""
    decisions = _decided_until(name, report, settings, dates_only=dates_only)
    return decisions[report], decisions[event].story_id


def _assert_joined(d: Decision, story: str) -> None:
    """``d`` joined ``story`` as coverage."""
    assert (d.kind, d.update_kind, d.story_id) == ("update", "coverage", story), d.evidence


def _assert_apart(d: Decision, story: str, rule: str | None = None) -> None:
    """``d`` began a story of its own, not ``story``; with ``rule``, its evidence names the rule
    that kept it apart."""
    assert d.kind == "new" and d.story_id != story, d.evidence
    if rule is not None:
        assert d.evidence.get(rule) == 1, d.evidence


# The probability trees-v1 was read at through v45 (0.6 since v46): where a test shows what one
# rule adds to the model's own threshold (the later margin, a label, the stamp of a day) on a
# report whose probability v46's reading passes by itself, it reads the model so.
_V45_READING = 0.7


def _read_at(threshold: float, rules: coverage.CoverageSettings | None = None) -> coverage.CoverageSettings:
    """``rules`` (the defaults) with the rescue model read at ``threshold``."""
    rules = rules or coverage.CoverageSettings()
    assert rules.rescue is not None
    return dataclasses.replace(rules, rescue=dataclasses.replace(rules.rescue, min_probability=threshold))


def _kept_apart_by(
    name: str,
    report: str,
    event: str,
    rule: str,
    evidence: str,
    rules: coverage.CoverageSettings | None = None,
    **off: bool,
) -> None:
    """``report`` joins the story of ``event`` with the rule ``rule`` off (and the rules ``off``
    names, which would keep it apart too, off with it), and with every rule on is kept apart,
    its evidence naming ``evidence``: a rule's effect on one report, with the story as it stood
    when the report came; ``rules``: the settings the flags change (the defaults)."""
    for on in (False, True):
        flags: dict[str, Any] = {} if on else {rule: False, **off}
        d, story = _judged(name, report, event, dataclasses.replace(rules or coverage.CoverageSettings(), **flags))
        if on:
            _assert_apart(d, story, evidence)
        else:
            _assert_joined(d, story)


@pytest.mark.parametrize("name", sorted(MORE_SETS))
def test_more_sets_written_apart_in_time_order(name: str) -> None:
    rows = _set_rows(name)
    assert len({r["id"] for r in rows}) == len(rows) >= 90
    index = StoryIndex(ThreadSettings())
    decisions = {r["id"]: decide_and_apply(index, coverage_item(r))[0] for r in rows}
    predicted = {k: d.story_id for k, d in decisions.items()}
    s = pairwise_scores(predicted, {r["id"]: r["thread"] for r in rows})
    assert s.precision >= floor(f"threading.{name}.precision"), s
    assert s.recall >= floor(f"threading.{name}.recall"), s
    assert lookalike_pairs_merged(predicted, rows) <= floor(f"threading.{name}.max_lookalike_pairs_merged")
    for r in rows:
        d = decisions[r["id"]]
        if r["role"] == "coverage" and d.kind == "update":
            # A report quoting what a report of the story quotes (the customs director's words
            # at the news conference both attended: set 36) is a follow-up, by the quote
            # relation asked before coverage; any other update of a report is coverage.
            quoted = d.update_kind == "followup" and int(d.evidence["shared_passages"]) >= 1
            assert d.update_kind == "coverage" or quoted, (r["id"], d.evidence)


@pytest.mark.parametrize(
    ("name", "lookalike", "event", "nearest"),
    [
        # "Central Bank of Morvania cuts key rate to 3.25%" the day after "National Bank of
        # Aldana raises key rate to 4.75%", whose reports it cites
        ("coverage_held_out_2", "K04-L1", "K04-1", True),
        # "Telvara fourth-quarter profit falls 8%" the morning of "Aldacom fourth-quarter profit
        # rises 12%": each names the other
        ("coverage_held_out_2", "K05-L1", "K05-1", True),
        # "Südmark: Zentralbank hält Leitzins stabil" minutes after "Nationalbank senkt Leitzins
        # auf 2,75 Prozent" (its nearest report of the cut, "ONB senkt Zinsen erstmals seit
        # 2025", stays apart on its headline's acronym under the rules alone; the rescue model
        # joins it to the story, which is then the nearest)
        ("coverage_held_out_3", "G04-L1", "G04-1", True),
    ],
)
def test_a_headline_moving_the_other_way_is_another_event(name: str, lookalike: str, event: str, nearest: bool) -> None:
    """A look-alike of the same template the same day or the next names the story's bank or
    company and figures throughout, and every other gate holds; its headline says its figure
    went another way (cut, not raised; fell, not rose; held, not lowered) than the story's
    percentage headlines. An event's figure moves one way (``opposite_moves``); the evidence of
    the ``new`` says so when that story is the nearest (``headline_moves_apart``)."""
    for apart in (False, True):
        decisions = _decided_until(
            name,
            lookalike,
            coverage.CoverageSettings(
                opposite_moves=apart,
                own_site_headline_names=apart,
                own_site_story_words=apart,
                own_site_headline_figures=apart,
            ),
        )
        d, story = decisions[lookalike], decisions[event].story_id
        if apart:
            _assert_apart(d, story)
            assert d.evidence.get("headline_moves_apart", 0) == int(nearest), d.evidence
        else:
            assert "headline_moves_apart" not in d.evidence
            _assert_joined(d, story)


def test_a_story_headlining_an_amount_with_its_currency_code_joins_reports_without_it() -> None:
    """The story headlined "Former minister Lucan Destry charged with taking VFL 4.3m in bribes": its
    report "Ex-Veluna minister charged in port contract bribery case" names Destry, the port, the court and the
    4.3 million florins, and never the code, which was the story headline's rarest name (the
    slot a report must name). As the amount's unit it is no name, and the report joins."""
    decisions = _decided_until("coverage_held_out_8", "P08-2", coverage.CoverageSettings())
    d, story = decisions["P08-2"], decisions["P08-1"].story_id
    _assert_joined(d, story)
    assert d.evidence["coverage_method"] == coverage.DECISION_METHOD


@pytest.mark.parametrize(
    ("report", "event"),
    [
        # "Kestrian ex-mayor Calloway gets six-year term in tram bribery case" after "Former
        # Dunmere mayor Calloway jailed for six years for bribery", whose report names the country
        # in passing
        ("E12-2", "E12-1"),
        # "Marrowland sends water bombers to help Norvassa fight Gellan blaze": the neighbour
        # the story's reports name once
        ("E08-4", "E08-1"),
    ],
)
def test_a_headline_naming_the_setting_joins_a_story_naming_it_in_passing(report: str, event: str) -> None:
    """A report headlines a common name of the setting (a country, its demonym: held by many
    live articles) that the story's headlines and heaviest terms leave out; the story names it
    somewhere, so it is found (``common_headline_names``), and the share of the headline found
    is whole. Without the rule, the slot it seemed to fill kept the report apart."""
    for common in (False, True):
        decisions = _decided_until(
            "coverage_held_out_5", report, coverage.CoverageSettings(common_headline_names=common, rescue=None)
        )
        d, story = decisions[report], decisions[event].story_id
        if common:
            _assert_joined(d, story)
            assert d.evidence["headline_names_in_story"] == 1.0
        else:
            assert d.kind == "new" and float(d.evidence["headline_names_in_story"]) < 0.8, d.evidence


@pytest.mark.parametrize(
    ("name", "report", "event", "own"),
    [
        # "Calvera court upholds pension reform raising retirement age to 66" hours after
        # "Calvera's top court voids telecoms data law": "...struck down the country's
        # telecommunications data retention law in a separate case"
        ("coverage_held_out_6", "N03-L1", "N03-2", None),
        # "Ex-Port Amelin mayor Quintero-Bassa charged with bribery over harbour contracts" the
        # morning his tax trial was set: "a separate court set a February date for his trial on
        # tax evasion charges"
        ("coverage_held_out_6", "N14-1", "N14-L1", None),
        # "Lusandria's Supreme Court upholds wealth tax in 4-3 ruling" hours after the same court
        # struck down the data retention law, "in a separate case"
        ("coverage_held_out_4", "M03-L1", "M03-1", None),
        # v21, no word of a separate matter: "Kestrava Supreme Court upholds pension age rise":
        # "The ruling came hours after the same court struck down a data retention law."
        ("coverage_held_out_10", "R06-L1", "R06-1", None),
        # v21: "Altavo quarterly profit falls to 310 million dacats": "The results came a day
        # after the company's former chief executive, Leopold Strand, was jailed for bribery over
        # the pipeline contract." (the business paper's report of the results, T11-1, joined the
        # verdict's story before it until v25 kept it apart: it now joins T11-1's story instead)
        ("coverage_held_out_11", "T11-2", "T06-1", "T11-1"),
    ],
)
def test_a_report_telling_of_the_story_only_as_a_separate_matter_is_another_event(
    name: str, report: str, event: str, own: str | None
) -> None:
    """A look-alike of the same setting the same day names the story's event beside its own,
    as another matter ("in a separate case"), or (v21) in the sentence placing its own event in
    time against it, in the wire's way ("The ruling came hours after ...":
    ``coverage_terms.sets_apart_words``), and every other gate holds: the words of the story's
    headline it uses, it uses only there (``set_apart_mentions``). (Since v51 the court's two
    rulings of a morning are kept apart by their headlines' verdicts too, upheld against struck
    down: off here, ``opposite_verdicts``, to show this rule alone.)"""
    for rule in (False, True):
        decisions = _decided_until(
            name,
            report,
            coverage.CoverageSettings(
                set_apart_mentions=rule,
                own_site_headline_names=rule,
                own_site_story_words=rule,
                own_site_headline_figures=rule,
                opposite_verdicts=False,
            ),
        )
        d, story = decisions[report], decisions[event].story_id
        if rule and own is not None:
            assert d.story_id != story
            _assert_joined(d, decisions[own].story_id)
        elif rule:
            _assert_apart(d, story, "told_apart")
        else:
            assert "told_apart" not in d.evidence
            _assert_joined(d, story)


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "Key bridge in Sainte-Lucelle shut for months after crack found in pier", an English
        # report of a story told in French: "Sainte-Lucelle : le pont des Tanneurs fermé après la
        # découverte d'une fissure" (its rarest headline name, "Tanneurs", the English report
        # writes as "the Tanners' Bridge")
        ("coverage_held_out_11", "T16-2", "T16-1"),
        # "Calvessa und Dunmorra legen jahrzehntelangen Streit um den Orvell bei", a German report
        # of "Calvessa and Dunmorra sign Orvell water-sharing treaty" and its local report
        # "Vellmark farmers welcome river deal after 'thirty dry years'" ("farmers": a name of that
        # text, "the Vellmark Farmers' Association")
        ("coverage_held_out_15", "F10-3", "F10-1"),
    ],
)
def test_a_report_of_a_story_in_another_language_names_its_slot_by_any_rare_headline_name(
    name: str, report: str, event: str
) -> None:
    """The rarest name of a story headline is the slot a report of the event names; in another
    language, that name may be a word the report translates. Any rare name of the headline the
    report names stands for it (``foreign_subject_any_name``, v22), and the report joins (here
    through the rescue model, which weighs the slot named among its measures); without the
    rule it stays apart. (The rule alone: the rescue model, which weighs an unnamed slot itself
    since v27, is not asked of such a story here.)"""
    for rule in (False, True):
        rules = coverage.CoverageSettings(foreign_subject_any_name=rule, rescue_unnamed_subject=False)
        d, story = _judged(name, report, event, rules)
        if rule:
            _assert_joined(d, story)
            assert d.evidence["coverage_other_language"] == 1, d.evidence
        else:
            _assert_apart(d, story)


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "Rate rise 'the last thing we needed', say valley businesses still counting flood
        # costs", a reaction to the bank's rise 21 hours on (similarity 0.144)
        ("coverage_held_out_5", "E04-5", "E04-1"),
        # "DOCK CHAOS: 40 ships stuck at sea as strike bites", a tabloid's report of the dock
        # strike (similarity 0.132)
        ("coverage_held_out_8", "P09-4", "P09-1"),
    ],
)
def test_the_rescue_model_weighs_a_report_less_similar_than_the_rules_ask(name: str, report: str, event: str) -> None:
    """A tabloid's or a reaction's report of the event shares fewer of the wire's words than the
    rules ask (``min_similarity``) and fails a headline share; the rescue model, which weighs the
    similarity among its measures, is asked of stories down to ``rescue_min_similarity`` (v22)
    and joins it. Asked only of what the rules ask (v21), it was never asked."""
    rules = coverage.CoverageSettings()
    assert rules.rescue_min_similarity < rules.min_similarity
    for floor_ in (rules.min_similarity, rules.rescue_min_similarity):
        d, story = _judged(name, report, event, dataclasses.replace(rules, rescue_min_similarity=floor_))
        if floor_ < rules.min_similarity:
            _assert_joined(d, story)
            assert rules.rescue_min_similarity <= float(d.evidence["coverage_similarity"]) < rules.min_similarity
            assert rules.rescue is not None
            assert float(d.evidence["coverage_rescue_probability"]) >= rules.rescue.min_probability, d.evidence
        else:
            _assert_apart(d, story)
            assert "coverage_rescue_probability" not in d.evidence


@pytest.mark.parametrize(
    ("name", "lookalike", "event"),
    [
        # "Former Dorrigan mayor goes on trial again, accused of money laundering", the wire's
        # report after its "Former Dorrigan mayor jailed for six years for taking bribes": both
        # say in their fourth paragraph "Ebbesen, who was expelled from the Labour Alliance in
        # 2032, denied wrongdoing. His lawyer, Cecilia Morland, said ..."
        ("coverage_held_out_17", "J14-L1", "J14-1"),
        # his third sentence, the same paragraph
        ("coverage_held_out_17", "J14-L2", "J14-1"),
        # the foreign minister's second agreement of the day: "Hartwell said at a joint news
        # conference at Halvard Palace, the foreign ministry's headquarters in Kostrel", the third
        # paragraph of both
        ("coverage_held_out_13", "W09-L1", "W09-1"),
        # the same union's airport strike: "The strike, called by the Transport Workers'
        # Federation (TWF) in a dispute over pay, began at ...", the lead of both
        ("coverage_held_out_13", "W07-L1", "W07-1"),
        # the province's second quake, six days on: "Haverdal is Esvaria's most seismically
        # active region. A magnitude 5.9 quake near Vennmo in 2031 killed four people." closes
        # both, the sixth paragraph of the one and the fifth of the other (the last of both)
        ("coverage_held_out_31", "X02-L1", "X02"),
    ],
)
def test_a_wires_template_paragraph_is_no_quote_of_its_story(name: str, lookalike: str, event: str) -> None:
    """A wire repeats a paragraph of its template, in the same place, in its report of the
    subject's next case, agreement, strike or quake: the quote relation took it for a follow-up's
    quote of the story (12 to 16 shingles, names agreeing). A passage one site's two texts hold in
    the same paragraph, or in the last of both, is the template's
    (``ThreadSettings.template_slots``), and the report is judged as coverage, which keeps the
    other event apart."""
    for slots in (False, True):
        d, story = _judged(name, lookalike, event, ThreadSettings(template_slots=slots))
        if slots:
            _assert_apart(d, story)
            assert int(d.evidence["boilerplate_passages"]) >= 1, d.evidence
        else:
            assert (d.kind, d.update_kind, d.story_id) == ("update", "followup", story), d.evidence


def test_a_report_naming_its_setting_where_it_tells_another_event_apart_is_still_coverage() -> None:
    """A French report of the second quake on Mireo (P05-L3) tells of the first, days before, as
    a separate matter, and names the island throughout: of the second quake's headline it uses,
    beyond its own headline, the island (a name every report of the week gives, as common as a
    figure too common to tell) and one rare word set apart. The island says nothing of which
    event a paragraph tells, and one rare word is as often a coincidence
    (``set_apart_rare_words``): the report joins its event. v15 (every word counted) set it
    apart."""
    for rare in (0, 2):
        settings = dataclasses.replace(coverage.CoverageSettings(), set_apart_rare_words=rare)
        decisions = _decided_until("coverage_held_out_8", "P05-L3", settings)
        d, story = decisions["P05-L3"], decisions["P05-L2"].story_id
        assert decisions["P05-L2"].story_id != decisions["P05-1"].story_id
        if rare:
            _assert_joined(d, story)
        else:
            assert d.kind == "new" and d.evidence.get("told_apart") == 1, d.evidence


def test_a_story_telling_of_a_report_only_as_a_separate_matter_keeps_it_apart() -> None:
    """The former mayor's bribery charge (N14-1, N14-2, N14-3) arrives before the report of his
    tax trial being set the same morning (N14-L1, published earlier): the charge's first report
    tells of the trial only where it sets it apart ("a separate court set a February date for
    his trial on tax evasion charges"), kept among its stored terms (``CoverageFeatures.apart``);
    the trial's report names the mayor, his city and the harbour contracts, and would join."""
    rows = {r["id"]: r for r in _set_rows("coverage_held_out_6")}
    for rule in (False, True):
        index = StoryIndex(ThreadSettings(coverage=coverage.CoverageSettings(set_apart_mentions=rule)))
        decided = {rid: decide_and_apply(index, coverage_item(rows[rid]))[0] for rid in ("N14-1", "N14-2", "N14-3")}
        story = decided["N14-1"].story_id
        assert {d.story_id for d in decided.values()} == {story}
        d, _ = decide_and_apply(index, coverage_item(rows["N14-L1"]))
        if rule:
            _assert_apart(d, story)
        else:
            _assert_joined(d, story)


def test_the_clause_giving_a_headline_percentage_says_which_way_it_went() -> None:
    """The neighbour's hold ("National Bank of Vellmora holds rate at 5.75%, signals cuts later
    in year") the day before "Castemar National Bank raises key rate to 4.25% as inflation
    lingers", whose reports cite it. Its headline says two ways (a hold and a cut) and so none,
    until the clause giving its percentage is read on its own (``percent_clause_moves``): a
    hold, against a rise. (The two also name each other only in passing, and both headlines'
    "bank", which the rise's report writes in lower case too: off here, ``ordinary_shared_names``
    keeps them apart as well; and since v21 the rise's "The decision came a day after the
    National Bank of Vellmora kept its own benchmark rate unchanged" sets the hold apart: off
    here too, ``set_apart_mentions``.)"""
    for clause in (False, True):
        settings = coverage.CoverageSettings(
            percent_clause_moves=clause, ordinary_shared_names=False, set_apart_mentions=False
        )
        decisions = _decided_until("coverage_held_out_7", "P02-1", settings)
        d, story = decisions["P02-1"], decisions["P02-L1"].story_id
        if clause:
            _assert_apart(d, story, "headline_moves_apart")
        else:
            _assert_joined(d, story)


def test_a_report_in_spanish_reads_a_story_told_in_english_as_another_language() -> None:
    """A Spanish wire's report of the Amaru central bank's half-point cut ("El Banco Central
    recorta la tasa medio punto y abre la puerta a más bajas") against the story told in English
    ("Amaru central bank cuts key rate by half point to 7.25%"). Read as English (v16: only
    German was told apart), its Spanish words were compared with English ones it cannot share,
    and it stayed apart; told as Spanish by its own stop words (``coverage_terms.text_language``)
    the story is told in another language, judged on the names and figures both write alike,
    and it joins (``coverage_other_language``). Since v29 it joins read as English too, on the
    figures both print ("7,25" read as English prints it: ``coverage_terms.english_figure``), but
    not as a story told in another language."""
    for reading in (False, True):
        settings = coverage.CoverageSettings(foreign_reading=reading)
        decisions = _decided_until("coverage_held_out_8", "P16-3", settings)
        d, story = decisions["P16-3"], decisions["P16-1"].story_id
        if reading:
            _assert_joined(d, story)
            assert d.evidence["coverage_other_language"] == 1
        else:
            assert "coverage_other_language" not in d.evidence, d.evidence
            assert "7,25" in str(d.evidence["shared_numbers"]), d.evidence  # as printed


@pytest.mark.parametrize(
    ("name", "report", "event", "own"),
    [
        # the president's second visitor of the afternoon: "Earlier on Tuesday she hosted
        # Estrania's Jorge Ibarra", against "The president was scheduled to receive Valmont's
        # Prime Minister Claire Duvall later in the day"
        ("coverage_held_out_9", "Q01-L-1", "Q01-1", None),
        # a company's data breach, the day after the act its reports cite once, whose report
        # names the company once among the firms it covers
        ("coverage_held_out_9", "Q16-1", "Q12-L-1", None),
        # a report of a retailer's quarter, naming once its rival's of the same morning, which
        # names the retailer once: it joins the story of its own results instead (with the rule
        # off too since v49: the dateline of the wire's report of its results, "SANTA BRÍGIDA DEL
        # MAR", whose "BRÍGIDA" was read as a name, no longer draws it to the rival's story)
        ("coverage_held_out_3", "S05-3", "S05-L2", "S05-1"),
    ],
)
def test_two_reports_each_mentioning_the_other_only_in_passing_are_two_events(
    name: str, report: str, event: str, own: str | None
) -> None:
    """A look-alike of the same day names the story's event beside its own, and the story's
    report names the look-alike's: every gate holds (each headline's names are found in the
    other), yet each names the other's headline names only in passing, in one paragraph after
    its lead (``max_told_in_passing``). v17 joined them. (The president's two visitors are two
    engagements of her day, which v48 keeps apart too, ``told_as_other_engagement``: that rule is
    left off here, to show this one.)"""
    for most in (0.0, coverage.CoverageSettings().max_told_in_passing):
        decisions = _decided_until(
            name,
            report,
            coverage.CoverageSettings(
                max_told_in_passing=most,
                own_site_headline_names=bool(most),
                own_site_story_words=bool(most),
                own_site_headline_figures=bool(most),
                other_engagement=False,
            ),
        )
        d, story = decisions[report], decisions[event].story_id
        if own is not None:
            _assert_joined(d, decisions[own].story_id)
        elif most:
            _assert_apart(d, story, "mentioned_in_passing")
        else:
            assert "mentioned_in_passing" not in d.evidence
            _assert_joined(d, story)


@pytest.mark.parametrize(
    ("name", "report", "event", "rule"),
    [
        # The Community court's second ruling of the morning ("AirAurenne must compensate
        # passengers for strike cancellations, court rules") against the story of its first
        # ("Community court rules Vellmora's truck toll discriminates against foreign
        # hauliers"): "court", in both headlines and told throughout by the first, made half the
        # story's headline told; the ruling's report writes "the court" in lower case too
        # (``RawTerms.ordinary``), the institution's word, which its rulings share.
        ("coverage_held_out_7", "P08-L1", "P08-1", "ordinary_shared_names"),
        # Serenne Athletic's record signing of Dario Kessel that night against its sale of Jonas
        # Arvik that afternoon: the club and its city ("Serenne", as common in the window as the
        # setting is) made 0.44 of the signing's headline told by the sale's report; with the
        # setting's names passed over, the club's name is a third.
        ("coverage_held_out_4", "M12-1", "M12-L1", "in_passing_rare_names"),
    ],
)
def test_names_both_headlines_share_as_background_do_not_tell_one_event(
    name: str, report: str, event: str, rule: str
) -> None:
    """Two acts of one institution the same day, each report naming the other's only once,
    after its lead: the names both headlines give (the institution's word, the setting) are left
    out of the in-passing test (v19), and the two are two events. v18 joined them. Shown with
    the stories as they stood under v45's reading of the rescue model: under v46's, set 7's
    story holds a second report of its event by then, which keeps the look-alike apart without
    the rule too."""
    _kept_apart_by(
        name, report, event, rule, "mentioned_in_passing", _read_at(_V45_READING), own_site_headline_names=False
    )


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "MORTGAGE MISERY: Bank bosses hike rates AGAIN" finds 0.32 of "Kestravan central bank
        # raises key rate to 4.25%" (its "hike" and "rates" are not the story's "raises" and
        # "rate"), under the 0.4 the rules ask.
        ("coverage_held_out_10", "R03-4", "R03-1"),
        # "Karvonia lawmakers narrowly back higher retirement age" finds 0.34 of "Assembly passes
        # pension reform by four votes as thousands protest outside".
        ("coverage_held_out_8", "P02-2", "P02-1"),
    ],
)
def test_the_rescue_model_weighs_a_story_whose_headline_words_a_report_tells_otherwise(
    name: str, report: str, event: str
) -> None:
    """A report telling the event in other words than the story's headline fails the share of
    those words found in it, every other gate holding: the rescue model weighs that share with
    the rest (v20, ``rescue_story_headline``) and joins it; asked only of the input's headline
    names (v19), it stayed apart."""
    for on in (False, True):
        settings = coverage.CoverageSettings(rescue_story_headline=on)
        d, story = _judged(name, report, event, settings)
        if on:
            _assert_joined(d, story)
            assert "coverage_rescue_probability" in d.evidence, d.evidence
            assert float(d.evidence["story_headline_names_in_input"]) < settings.min_story_headline_in_input
        else:
            assert d.kind == "new", d.evidence


def test_a_report_naming_the_storys_subject_in_passing_joins_a_story_telling_its_own() -> None:
    """ "Deadly storm slams Tessaly coast; governor calls out Guard" names the storm (Imogen) the
    story headlines only in its fourth paragraph, but the story's report tells the state and the
    Guard of the report's headline where it tells the storm: one way is not both, and it joins."""
    decisions = _decided_until("coverage_held_out_9", "Q03-2", coverage.CoverageSettings())
    d = decisions["Q03-2"]
    _assert_joined(d, decisions["Q03-1"].story_id)


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "RENT-ASTIC! Tenants cheer as greedy hikes capped", a tabloid's report of "Rent cap law
        # passed by National Assembly": its text never names the Assembly
        ("coverage_held_out_16", "G15-2", "G15-1"),
        # "Labour Alliance takes Lethmoor", the broadcaster's report of "Opposition wins Lethmoor
        # provincial election, ending 16 years of NRP rule": it never names the defeated NRP
        ("coverage_held_out_16", "G01-2", "G01-1"),
    ],
)
def test_the_rescue_model_weighs_a_story_whose_headlines_rarest_name_a_report_leaves_out(
    name: str, report: str, event: str
) -> None:
    """A report in other words names the event's setting, not always the slot the story's
    headline fills with its rarest name (the body that passed the law, the defeated party):
    the rules ask that name of every report, the rescue model weighs whether it is named
    (``rescue_unnamed_subject``, v27) and joins these. Asked it (v26), the model was never
    asked of the story."""
    rules = coverage.CoverageSettings()
    assert rules.rescue is not None and rules.rescue_unnamed_subject
    d, story = _judged(name, report, event, rules)
    _assert_joined(d, story)
    assert float(d.evidence["coverage_rescue_probability"]) >= rules.rescue.min_probability, d.evidence
    assert float(d.evidence["coverage_rescue_probability"]) >= rules.rescue_unnamed_subject_probability
    d, story = _judged(name, report, event, dataclasses.replace(rules, rescue_unnamed_subject=False))
    _assert_apart(d, story)
    assert "coverage_rescue_probability" not in d.evidence


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "Explainer: why does Zelmor keep shaking, and could Thursday's quake happen again?",
        # the day after the quake, sharing few of the wire's words
        ("coverage_held_out_32", "Y01-4", "Y01"),
        # "Analysis: Prask's hawkish turn leaves government with a budget headache", the
        # business paper's analysis the morning after the rate rise
        ("coverage_held_out_37", "QC03-4", "QC03"),
    ],
)
def test_the_rescue_model_asks_less_of_a_labelled_analysis_or_explainer(name: str, report: str, event: str) -> None:
    """A piece labelled an analysis or an explainer is about an event already reported: the
    rescue model joins it to a story passing every gate but the headline shares at
    ``rescue_labelled_probability`` (v35), under the probability it asks of any other input
    (shown under v45's reading, 0.7: v46's 0.6 passes the explainer by itself)."""
    d, story = _judged(name, report, event, coverage.CoverageSettings())
    _assert_joined(d, story)
    rules = _read_at(_V45_READING)
    assert rules.rescue is not None and rules.rescue_labelled_probability is not None
    d, story = _judged(name, report, event, rules)
    _assert_joined(d, story)
    p = float(d.evidence["coverage_rescue_probability"])
    assert rules.rescue_labelled_probability <= p < rules.rescue.min_probability, d.evidence
    d, story = _judged(name, report, event, dataclasses.replace(rules, rescue_labelled_probability=None))
    _assert_apart(d, story)


def test_the_rescue_model_asks_more_of_a_story_whose_slot_a_report_leaves_unnamed() -> None:
    """A story whose headlines' rarest name the input leaves unnamed is more often another event
    in the same setting than one whose slot it names: the rescue model is asked
    ``rescue_unnamed_subject_probability`` of it (0.8 since v38; at the model's own 0.7, more
    look-alikes in shuffled arrival orders and on one day). Asked of every input, as through
    v46, it costs some reports of the event: "Hundreds spend night in school gym after train
    derails near ...", the regional paper's report of the derailment, given 0.75, joins at 0.7
    only (the threshold of a report published before or after the story alike:
    ``rescue_later_margin`` left off here; since v47 a report published after the story is not
    asked it, ``rescue_unnamed_subject_before_only``, for which it joins)."""
    rules = dataclasses.replace(
        coverage.CoverageSettings(), rescue_later_margin=0.0, rescue_unnamed_subject_before_only=False
    )
    assert rules.rescue is not None and rules.rescue.min_probability < rules.rescue_unnamed_subject_probability
    lower = dataclasses.replace(rules, rescue_unnamed_subject_probability=rules.rescue.min_probability)
    d, story = _judged("coverage_held_out_31", "X09-1", "X09", lower)
    _assert_joined(d, story)
    p = float(d.evidence["coverage_rescue_probability"])
    assert rules.rescue.min_probability <= p < rules.rescue_unnamed_subject_probability, d.evidence
    d, story = _judged("coverage_held_out_31", "X09-1", "X09", rules)
    _assert_apart(d, story)


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "River Skelde bursts banks in Teluna town of Brackmoor, 320 evacuated", the wire's
        # report of a flood the regional paper headlined with the flooded quarter ("... as 320
        # are moved from the Lowfields"), which the wire never names: given 0.89
        ("coverage_held_out_46", "QL09-1", "QL09"),
        # "Exporters brace for stoppage as metal industry wage talks fail", the business
        # paper's report of the talks' collapse: given 0.86
        ("coverage_held_out_26", "S14-2", "S14"),
    ],
)
def test_a_story_whose_slot_a_report_leaves_unnamed_is_asked_less_than_v37_asked(
    name: str, report: str, event: str
) -> None:
    """v27 asked 0.9 of such a story; over 48 sets (20 written after that choice) 0.8 lost no
    precision in time order, with an hour's polling lag or with dates alone, and joins these
    (v38; ``rescue_later_margin``, which lowers both, left off, and the threshold asked of every
    input, as through v46: ``rescue_unnamed_subject_before_only``)."""
    rules = dataclasses.replace(
        coverage.CoverageSettings(), rescue_later_margin=0.0, rescue_unnamed_subject_before_only=False
    )
    assert rules.rescue_unnamed_subject_probability == 0.8
    d, story = _judged(name, report, event, rules)
    _assert_joined(d, story)
    assert 0.8 <= float(d.evidence["coverage_rescue_probability"]) < 0.9, d.evidence
    d, story = _judged(name, report, event, dataclasses.replace(rules, rescue_unnamed_subject_probability=0.9))
    _assert_apart(d, story)


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "Velmora and Uruguay sign pact to protect investments, ease customs checks": the wire's
        # report of the trade minister's other pact that afternoon, against the story of its
        # report of the Brazil pact (logit-v2's probability 0.82; trees-v1's 0.40)
        ("coverage_held_out_19", "K13-L1", "K13"),
    ],
)
def test_the_rescue_model_asks_more_of_a_story_holding_a_report_of_the_inputs_site(
    name: str, report: str, event: str
) -> None:
    """A site's report of another event in the formula of its first report shares the names and
    the words of the story that report began, and the rescue model, which waives the headline
    shares, may take it; a site's second report of one event names what its first did, and the
    rules join it, or the model at a probability near certainty (the wire's next report of the
    election). A story holding a report of the input's site is asked a probability of
    ``rescue_same_site_probability`` (v24). logit-v2 took this report at 0.82, which the
    threshold alone turned down; trees-v1 gives it 0.40, under the 0.7 it is read at: the
    threshold is shown here under a model read at 0.3. (Since v25 the report's headline names,
    its other pact partner among them, are asked of such a story's headlines too: left out here,
    to show the threshold alone.)"""
    rules = coverage.CoverageSettings(own_site_headline_names=False)
    assert rules.rescue is not None and rules.rescue.min_probability < rules.rescue_same_site_probability
    d, story = _judged(name, report, event, dataclasses.replace(rules, rescue_same_site_probability=0.0))
    _assert_apart(d, story)  # the shipped model's own reading
    keen = dataclasses.replace(rules, rescue=dataclasses.replace(rules.rescue, min_probability=0.3))
    for asked in (0.0, rules.rescue_same_site_probability):
        d, story = _judged(name, report, event, dataclasses.replace(keen, rescue_same_site_probability=asked))
        if asked:
            _assert_apart(d, story)
        else:
            _assert_joined(d, story)
            p = float(d.evidence["coverage_rescue_probability"])
            assert 0.3 <= p < rules.rescue_same_site_probability, d.evidence


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "Pellandra, Drossland agree to study hydrogen pipeline, ease steel dispute": the wire's
        # report of the trade minister's other agreement that afternoon, against the story of its
        # report of the free-trade deal with Nimbria (every other gate passed, similarity 0.37)
        ("coverage_held_out_20", "B13-L1", "B13"),
        # "Altavo Energy profit drops 41% on weaker gas prices and pipeline write-down": the
        # business paper's report of the company's results, the morning after its report of the
        # former chief's bribery verdict
        ("coverage_held_out_11", "T11-1", "T06-1"),
    ],
)
def test_a_story_holding_a_report_of_the_inputs_site_gives_its_headline_names(
    name: str, report: str, event: str
) -> None:
    """A site's report of another event in the formula of its first report names, in its
    headline, the slot the first does not (the other country, the results): a story holding a
    report of the input's site must give every name of the input's headline in its headlines
    (``own_site_headline_names``, v25)."""
    _kept_apart_by(name, report, event, "own_site_headline_names", "own_site_new_headline_name")


@pytest.mark.parametrize(
    ("name", "report", "event", "own"),
    [
        # "Un séisme de magnitude 5,4 frappe la Lusvénie, secousses ressenties jusqu'à
        # Montcalvel": the Kaldorian paper's French report of the quake, the morning after its
        # French report of the rail deal ("Montcalvel-Tazelny : la Kaldorie et la Lusvénie
        # s'engagent à rouvrir la ligne ferroviaire"): the same border towns, the visiting
        # minister's condolences in its fourth paragraph, every headline name found, and no word
        # of the deal
        ("coverage_held_out_41", "QG02-3", "QG01", "QG02"),
    ],
)
def test_a_story_holding_a_report_of_the_inputs_site_is_told_in_its_words(
    name: str, report: str, event: str, own: str
) -> None:
    """A site's report of another event in the setting of its first report shares the first's
    names (its headline's too) and none of the words its story's headlines say happened: a
    story holding a report of the input's site must find one of them in the input
    (``own_site_story_words``, v32). Kept from the other event, the report joins its own."""
    rules = coverage.CoverageSettings()
    d, story = _judged(name, report, event, dataclasses.replace(rules, own_site_story_words=False))
    _assert_joined(d, story)
    decisions = _decided_until(name, report, rules)
    _assert_joined(decisions[report], decisions[own].story_id)
    assert decisions[own].story_id != story


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "Sabrenian producer prices rise 5.2% in September", the wire's next release two days
        # after its "Sabrenian inflation rises to 3.4% in September": the country, the
        # statistics office, the bank and the month shared, the consumer prices' figures
        # printed in passing, and 5.2 printed by no report of the inflation story
        ("coverage_held_out_34", "Z12-L1", "Z12"),
    ],
)
def test_a_story_holding_a_report_of_the_inputs_site_prints_its_headline_percentage(
    name: str, report: str, event: str
) -> None:
    """A site's report of its next release in the formula of its first report headlines that
    release's percentage, which no report of the first's story prints: a story holding a report
    of the input's site must print a figure of the input's percentage headline
    (``own_site_headline_figures``, v33)."""
    _kept_apart_by(name, report, event, "own_site_headline_figures", "own_site_new_headline_figure")


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "Analysis: Dumaresq's split vote hints the tightening cycle is near", the business
        # paper's analysis after its report of the rate rise: the governor is named throughout
        # the story's reports and in none of their headlines
        ("coverage_held_out_24", "M03-2", "M03"),
        # "Analysis: Szelak wins the pension vote, but the argument is ...", the broadsheet's
        # analysis after its report of the vote, headlining the prime minister
        ("coverage_held_out_43", "QI09-4", "QI09"),
    ],
)
def test_a_sites_labelled_analysis_joins_under_a_name_the_storys_headlines_do_not_give(
    name: str, report: str, event: str
) -> None:
    """A site's analysis of an event it reported headlines whom it turns on, a name the story's
    headlines do not give: as a labelled piece (``RawTerms.labelled``) it is not asked
    ``own_site_headline_names`` (``labelled_pieces``, v34), which keeps it apart otherwise (the
    rescue model's lower probabilities left out, v35's for a labelled piece, v38's for a story
    whose slot the input leaves unnamed and v47's for such a story published before the input:
    any would join it too)."""
    for labelled in (False, True):
        settings = dataclasses.replace(
            coverage.CoverageSettings(),
            labelled_pieces=labelled,
            rescue_labelled_probability=None,
            rescue_unnamed_subject_probability=0.9,
            rescue_unnamed_subject_before_only=False,
        )
        d, story = _judged(name, report, event, settings)
        if labelled:
            _assert_joined(d, story)
            assert d.evidence.get("own_site_labelled_piece") == 1, d.evidence
        else:
            _assert_apart(d, story, "own_site_new_headline_name")


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "Kwikride ruling: what it means for drivers, riders and fares", the paper's explainer
        # after its report "Supreme Court hands gig workers landmark win over Kwikride"
        ("coverage_held_out_20", "B03-2", "B03"),
        # "Analysis: The Bank of Halmaren has opened the door. How far will it walk through?",
        # after the same paper's "Aasgaard delivers first cut in two years; stell slips"
        ("coverage_held_out_21", "D04-2", "D04"),
    ],
)
def test_a_sites_second_report_under_the_storys_headline_names_joins_it(name: str, report: str, event: str) -> None:
    """The same site's explainer or analysis of the event headlines names the story's headlines
    give (or none): ``own_site_headline_names`` leaves it to the other gates, which join it."""
    rows = {r["id"]: r for r in _set_rows(name)}
    decisions = _decided_until(name, report, coverage.CoverageSettings())
    story = decisions[event].story_id
    own = [i for i, d in decisions.items() if d.story_id == story and rows[i]["site"] == rows[report]["site"]]
    assert len(own) >= 2, own  # the story held a report of the site when it came
    _assert_joined(decisions[report], story)


def test_a_story_sharing_few_names_with_a_report_asks_what_happened_too() -> None:
    """ "Passenger train collides with freight train near Brennick" shares the town, the country
    and the club's name with the story of the club's home defeat at Brennick, and nothing its
    headlines say happened: on few shared names the rules ask a word of the story's headlines
    too (``weak_shared_name_idf``, v28), and the collision begins its own story. "Police hunt
    gang after armed cash van robbery on the A4" shares as few names with the wire's report of
    the robbery, and its words: it joins."""
    rules = coverage.CoverageSettings()
    assert rules.weak_shared_name_idf > rules.min_shared_name_idf
    unasked = dataclasses.replace(rules, weak_shared_name_idf=0.0)
    d, story = _judged("coverage_held_out_14", "E05-1", "E08-1", unasked)
    _assert_joined(d, story)
    assert float(d.evidence["shared_names_idf"]) < rules.weak_shared_name_idf
    d, story = _judged("coverage_held_out_14", "E05-1", "E08-1", rules)
    _assert_apart(d, story)
    d, story = _judged("coverage_held_out_34", "Z15-2", "Z15", rules)
    _assert_joined(d, story)
    assert float(d.evidence["shared_names_idf"]) < rules.weak_shared_name_idf
    assert "coverage_rescue_probability" not in d.evidence


def test_a_report_spelling_its_event_without_accents_joins_the_story_spelt_with_them() -> None:
    """Set 38's Dutch report of the record cocaine haul at Lenmouth ("Recordvangst van cocaïne in
    haven van Lenmouth") shares its figures, the port and the drug with the wire's English
    reports; read with its diaeresis, "cocaïne" was no term of theirs, and the rules turned the
    story down. Stored terms v14 read every term without its accents: it joins."""
    d, story = _judged("coverage_held_out_38", "QD13-3", "QD13", ThreadSettings())
    _assert_joined(d, story)


def test_the_wires_recap_of_its_first_report_closing_its_next_is_no_quote() -> None:
    """The wire's report of the former mayor's tax trial, a week after its report of his bribery
    sentence, closes on the sentence in the words its first report opened with ("... sentenced
    ... to four and a half years in prison for taking bribes in exchange for harbour dredging
    contracts"): read as a quote, it joined the sentence's story as a follow-up, and the trial's
    other reports with it. Read as the site's template (``template_lead_recap``), the trial is
    judged as coverage, which keeps another case against the same defendant apart."""
    d, story = _judged("coverage_held_out_50", "QP06-L1", "QP06", ThreadSettings())
    _assert_apart(d, story)
    d, story = _judged("coverage_held_out_50", "QP06-L1", "QP06", ThreadSettings(template_lead_recap=False))
    assert (d.kind, d.update_kind, d.story_id) == ("update", "followup", story), d.evidence


def test_a_market_report_of_a_quarter_point_hike_is_not_of_the_neighbour_s_hold() -> None:
    """Set 63: the business daily's "Dulcat jumps, bonds slide as MAZ surprises with quarter-point
    hike" came while the only story naming the currency and the authority was the neighbour's
    hold of that morning ("Bank of Ulmakand leaves rates on hold at 3.25%"), which expects the
    authority's decision in its last paragraph. v44 read no percentage in "quarter-point", so no
    way its rate went, and joined the report to the hold; v45 reads the points as the headline's
    percentage, and the hike moves apart from the hold."""
    d, story = _judged("coverage_held_out_63", "RPeqndb", "RP7prrb", ThreadSettings())
    _assert_apart(d, story, "headline_moves_apart")


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # set 60: the data-retention ruling's first report, 35 minutes after the same court upheld
        # the referendum threshold ("Constitutional court upholds 50,000-signature threshold")
        ("coverage_held_out_60", "QZCE2C3J", "QZKBWAY3"),
        # set 85: the fishing-licence ruling, the same court's other decision of the morning after
        # "Supreme Court upholds ex-minister Yarrowmont's bribery conviction, cuts sentence"
        ("coverage_held_out_85", "SS3uertr", "SSjkn2xq"),
    ],
)
def test_the_same_court_s_other_ruling_of_the_morning_is_another_event(name: str, report: str, event: str) -> None:
    """One court rules on two laws in a morning. Its second ruling's report names the same court,
    the same judges and, in its background, the first ruling; the rulings' words are the same
    template ("the court ruled", "the law", "unconstitutional"), so every names gate held and
    v50 joined it to the first. v51 reads each headline's verdict on its measure (stored terms
    v22: ``coverage_terms.headline_verdict``): one struck down against a story whose headlines
    only uphold is another event (``opposite_verdicts``)."""
    for verdicts in (False, True):
        d, story = _judged(name, report, event, coverage.CoverageSettings(opposite_verdicts=verdicts))
        if verdicts:
            _assert_apart(d, story)
        else:
            _assert_joined(d, story)


def test_an_analysis_keeping_the_governors_options_open_is_of_his_rate_rise() -> None:
    """The business paper's analysis the morning after the rate rise ("One and done? Kovald keeps
    his options open, and economists are split on the next move") was read by v38 as headlining
    a hold, so not of the story whose headlines give the rise in percent, and the rescue model
    joined it to the neighbour's hold, which mentions the rise in its last paragraph. v39 reads
    no "keep" as a hold: it joins the rise's story."""
    d, story = _judged("coverage_held_out_51", "QQ03-3", "QQ03", ThreadSettings())
    _assert_joined(d, story)


def test_what_homeowners_need_to_know_is_an_explainer_of_the_quake() -> None:
    """The regional paper's "After the quake: what Catterby homeowners need to know about
    inspections, shelter and compensation" is an explainer of the quake its story reports, not
    a report of a new event; v40 reads "what ... need to know" as its label, and the rescue model
    asks it what it asks of an analysis (``rescue_labelled_probability``). Asked what it asks of
    any other report, it stays apart (v42 joins it by the rules as well, its text as close to the
    wire's as ``close_text_cosine``: left off here, the rescue is what this shows)."""
    rules = dataclasses.replace(coverage.CoverageSettings(), close_text_cosine=0.0)
    d, story = _judged("coverage_held_out_52", "QR02-4", "QR02", rules)
    _assert_joined(d, story)
    assert "coverage_rescue_probability" in d.evidence, d.evidence
    unlabelled = dataclasses.replace(rules, rescue_labelled_probability=None)
    d, story = _judged("coverage_held_out_52", "QR02-4", "QR02", unlabelled)
    _assert_apart(d, story)
    d, story = _judged("coverage_held_out_52", "QR02-4", "QR02", ThreadSettings())
    _assert_joined(d, story)


def test_a_name_never_used_is_not_mentioned_in_passing() -> None:
    """The business paper's report of the port strike ("Brazhvik strike snarls exports as fruit
    traders and parts makers count the cost") says "dockers" where the wire's headline says
    "Dockworkers", and the wire never names the fruit cooperative the business headline names:
    v40 read each name left out as one told only in passing, so each report as mentioning the
    other's event in passing, and kept the business report apart. A name a report never uses is
    not mentioned in passing (``in_passing_mentioned``: neither names any of the other's in
    passing), and the rescue model, whose judgement the rule turned down, joins it to the wire's
    story."""
    d, story = _judged("coverage_held_out_53", "QS06-2", "QS06", ThreadSettings())
    _assert_joined(d, story)
    v40 = dataclasses.replace(coverage.CoverageSettings(), in_passing_mentioned=False)
    d, story = _judged("coverage_held_out_53", "QS06-2", "QS06", v40)
    _assert_apart(d, story)  # (the rescue model's judgement, which the rule turned down)


def test_a_report_told_from_its_own_angle_needs_no_headline_word_of_the_story() -> None:
    """The tabloid's "CASH IN THE BOAT! Ex-mayor caged over harbour bribes" reports the wire's
    "Bravenna court convicts former Kolby mayor Antell of bribery, jails him for 4-1/2 years" in
    none of its headline's words: v41 asked the report for 0.4 of the story's headline names and
    words (it holds 0.39) and kept it apart. Its names agree with the story's (every look-alike
    gate holds) and its text is as close to the wire's as a cosine of 0.56: told in its own
    words, it need not repeat the story's headline (``close_text_cosine``)."""
    d, story = _judged("coverage_held_out_33", "O06-1", "O06", ThreadSettings())
    _assert_joined(d, story)
    assert d.evidence["coverage_close_text"] == 1, d.evidence
    assert float(d.evidence["story_headline_names_in_input"]) < coverage.CoverageSettings().min_story_headline_in_input
    v41 = dataclasses.replace(coverage.CoverageSettings(), close_text_cosine=0.0)
    d, story = _judged("coverage_held_out_33", "O06-1", "O06", v41)
    _assert_apart(d, story)


def test_a_report_stamped_with_its_story_s_instant_may_follow_it() -> None:
    """A feed or page that gives a date without a time stamps a day's reports at one instant,
    which says nothing of which came first: the report is read as published after the story's
    nearest member where the rules ask it (``may_follow``, v44), as ``may_be_later`` reads the
    member as possibly later. With their dates alone, set 25's report of the event joins the
    story by its close text (``close_text_cosine``), and set 7's is rescued at the model's
    threshold less ``rescue_later_margin`` (read at v45's 0.7 here: v46's 0.6 passes it by
    itself); v43, which asked a later stamp, kept both apart."""
    t = datetime(2071, 3, 5, tzinfo=UTC)
    assert coverage.may_follow(t, t) and coverage.may_follow(t, t + timedelta(minutes=1))
    assert not coverage.may_follow(t + timedelta(minutes=1), t)
    d, story = _judged("coverage_held_out_25", "N04-1", "N04", ThreadSettings(), dates_only=True)
    _assert_joined(d, story)
    assert d.evidence["coverage_close_text"] == 1, d.evidence
    v45 = _read_at(_V45_READING)
    d, story = _judged("coverage_held_out_7", "P09-2", "P09-1", v45, dates_only=True)
    _assert_joined(d, story)
    assert float(d.evidence["coverage_rescue_probability"]) < _V45_READING


@pytest.mark.parametrize("name", ["coverage_held_out_10", "coverage_held_out_30", "coverage_held_out_33"])
def test_a_close_text_joins_a_story_of_its_own_event(name: str) -> None:
    """Every report v42 joins by its close text (``coverage_close_text``) joins a story that
    already holds a report of its own event, in the sets whose recall it raised; and the same
    foreign minister's second meeting (set 58: the herring-quota talks the day after the river
    pact), which shares the pact's names and setting, stays apart."""
    rows = _set_rows(name)
    index = StoryIndex(ThreadSettings())
    by_id = {r["id"]: r for r in rows}
    decisions: dict[str, Decision] = {}
    joined = 0
    for r in rows:
        d = decide_and_apply(index, coverage_item(r))[0]
        if d.evidence.get("coverage_close_text") == 1:
            joined += 1
            before = [o for o, e in decisions.items() if e.story_id == d.story_id]
            assert any(by_id[o]["thread"] == r["thread"] for o in before), (r["id"], before)
        decisions[r["id"]] = d
    assert joined >= 1
    d, story = _judged("coverage_held_out_58", "QXn58jx", "QX7nmyf", ThreadSettings())
    _assert_apart(d, story)


def test_a_report_after_its_story_is_rescued_at_a_lower_probability() -> None:
    """The tabloid's "WORK TILL YOU DROP: MPs vote to make millions toil two extra years" names
    none of the pension vote's headline names; the rescue model gives the vote's story 0.65, under
    the 0.7 it was read at through v45, and v42 kept it apart. Published after the wire's report
    it is judged against, it is asked the model's threshold less ``rescue_later_margin`` (0.65)
    instead: a report follows its event's first report, and one published before the report it
    is judged against may be the earlier event that report recalls. (Shown at v45's reading:
    v46's 0.6 passes it by itself.)"""
    d, story = _judged("coverage_held_out_43", "QI09-3", "QI09", ThreadSettings())
    _assert_joined(d, story)
    v45 = _read_at(_V45_READING)
    d, story = _judged("coverage_held_out_43", "QI09-3", "QI09", v45)
    _assert_joined(d, story)
    p = float(d.evidence["coverage_rescue_probability"])
    margin = v45.rescue_later_margin
    assert _V45_READING - margin <= p < _V45_READING, d.evidence
    v42 = dataclasses.replace(v45, rescue_later_margin=0.0)
    d, story = _judged("coverage_held_out_43", "QI09-3", "QI09", v42)
    _assert_apart(d, story)


def test_the_rescue_model_is_read_at_0_6() -> None:
    """v46 reads the rescue model at 0.6 (0.55 for a report published after the story's
    nearest member), not 0.7: over the 68 held-out sets, in time order and with dates alone,
    recall rose on 22 and 31 sets and precision fell on none, the look-alike pairs merged the
    same. The tabloid's "HORROR ON THE FENNICK LINE: Survivors tell of terror as carriages
    flipped", the morning after the wire's "Intercity train derails near Fennick, three dead",
    shares few of its words (survivors' accounts) and is given 0.59: joined now, apart at 0.7."""
    assert coverage.RESCUE_MODEL is not None and coverage.RESCUE_MODEL.min_probability == 0.6
    d, story = _judged("coverage_held_out_21", "D09-2", "D09", ThreadSettings())
    _assert_joined(d, story)
    p = float(d.evidence["coverage_rescue_probability"])
    margin = coverage.CoverageSettings().rescue_later_margin
    assert 0.6 - margin <= p < _V45_READING - margin, d.evidence
    d, story = _judged("coverage_held_out_21", "D09-2", "D09", _read_at(_V45_READING))
    _assert_apart(d, story)


def test_a_report_after_its_story_leaving_its_slot_unnamed_is_asked_what_any_report_is() -> None:
    """The regional paper's "Hundreds spend night in school gym after train derails near Kessmo"
    does not name the rarest name of the wire's headline. Published after the wire's report, it
    is asked what any report is (v47: ``rescue_unnamed_subject_before_only``), and joins at 0.75;
    v43-v46 asked it the unnamed subject's ``rescue_unnamed_subject_probability`` less
    ``rescue_later_margin`` (0.75), where it joined too, and the unnamed subject's 0.8 alone
    keeps it apart."""
    d, story = _judged("coverage_held_out_31", "X09-1", "X09", ThreadSettings())
    _assert_joined(d, story)
    c = coverage.CoverageSettings()
    assert c.rescue_unnamed_subject_before_only
    p = float(d.evidence["coverage_rescue_probability"])
    assert c.rescue_unnamed_subject_probability - c.rescue_later_margin <= p < c.rescue_unnamed_subject_probability
    v46 = dataclasses.replace(c, rescue_unnamed_subject_before_only=False)
    d, story = _judged("coverage_held_out_31", "X09-1", "X09", v46)
    _assert_joined(d, story)
    d, story = _judged("coverage_held_out_31", "X09-1", "X09", dataclasses.replace(v46, rescue_later_margin=0.0))
    _assert_apart(d, story)


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "Sibrany earthquake: two dead, dozens injured as residents spend night outdoors", the
        # local paper's report of the quake the wire headlined with its province ("Magnitude 5.6
        # earthquake strikes Vornask province, two dead"): given 0.69
        ("coverage_held_out_37", "QC02-1", "QC02"),
        # "Strong quake shakes Valdane, at least two killed", against the wire's "Magnitude 5.8
        # quake strikes near Kellerton; ...": given 0.69
        ("coverage_held_out_9", "Q04-2", "Q04-1"),
        # "Cranes fall silent at Brazhvik as dockers walk out", against "Dockworkers at
        # Teruvia's Brazhvik port begin 48-hour strike over pay": given 0.60
        ("coverage_held_out_53", "QS06-1", "QS06"),
    ],
)
def test_a_report_after_its_story_leaving_its_slot_unnamed_joins_under_the_unnamed_subjects_threshold(
    name: str, report: str, event: str
) -> None:
    """v47: a report published after the story's nearest member is asked what any report is,
    whether it names the story's slot or not (``rescue_unnamed_subject_before_only``). Reports of
    an event from where it happened headline the town, not the province or the port the wire
    headlines; v46 asked them 0.75 and kept these apart."""
    c = coverage.CoverageSettings()
    d, story = _judged(name, report, event, c)
    _assert_joined(d, story)
    p = float(d.evidence["coverage_rescue_probability"])
    assert p < c.rescue_unnamed_subject_probability - c.rescue_later_margin, d.evidence
    d, story = _judged(name, report, event, dataclasses.replace(c, rescue_unnamed_subject_before_only=False))
    _assert_apart(d, story)


def test_a_report_before_its_story_leaving_its_slot_unnamed_is_still_asked_more() -> None:
    """A report published before the story's nearest member, arriving after it, may be the
    earlier event that member's setting recalls: coverage-dev's "Soral keeps the blue jersey as
    Telzin turns out for the Tour in the rain" (stage four of a cycling tour, not naming the
    stage's winner), polled after the next day's stage ("Brezik conquers Hadrany climb to seize
    Tour of Keldora lead") and before its own stage's reports, is given 0.79 against the next
    stage's story. Asked the unnamed subject's ``rescue_unnamed_subject_probability`` it stays
    apart; asked only the model's own threshold, as v47 asks a later report (less the later
    margin), it joins the next stage."""
    rows = sorted(coverage_rows(), key=lambda r: (r["published"], r["id"]))
    late = {"CD10-1", "CD10-2", "CD10-3"}  # stage four's reports, polled late
    order = [r for r in rows if r["id"] not in late] + [r for r in rows if r["id"] == "CD10-2"]
    c = coverage.CoverageSettings()
    assert c.rescue is not None

    def decided(rules: coverage.CoverageSettings) -> tuple[Decision, str]:
        index = StoryIndex(ThreadSettings(coverage=rules))
        out = {r["id"]: decide_and_apply(index, coverage_item(r))[0] for r in order}
        return out["CD10-2"], out["CD10-4"].story_id

    d, story = decided(c)
    _assert_apart(d, story)
    everyone = dataclasses.replace(c, rescue_unnamed_subject_probability=c.rescue.min_probability)
    d, story = decided(everyone)
    assert (d.kind, d.story_id) == ("update", story), d.evidence
    p = float(d.evidence["coverage_rescue_probability"])
    assert c.rescue.min_probability <= p < c.rescue_unnamed_subject_probability, d.evidence


def test_the_wires_first_report_as_background_of_its_next_is_no_quote() -> None:
    """The wire's report of February's industrial output recalls the rate rise in the words its
    report of the rise opened with ("The National Bank of Koltavia raised its key interest rate
    by 25 basis points to 4.50 percent on Thursday"), in its fourth paragraph of five: read as a
    quote, the figures joined the rate rise's story as a follow-up. Read as the site's template
    (``template_lead_recap``: the old text's first paragraph after the new's lead), they are
    judged as coverage, which keeps another release of the same country's figures apart."""
    d, story = _judged("coverage_held_out_51", "QQ16-L1", "QQ03", ThreadSettings())
    _assert_apart(d, story)
    d, story = _judged("coverage_held_out_51", "QQ16-L1", "QQ03", ThreadSettings(template_lead_recap=False))
    assert (d.kind, d.update_kind, d.story_id) == ("update", "followup", story), d.evidence


@pytest.mark.parametrize(
    ("name", "report", "story", "rule"),
    [
        # "Pharandy and Gulvetia agree to share Athey River water under ten-year accord" after
        # "Pruett and Carondese minister talk fish over breakfast as quota row simmers", whose
        # report ends "Later today Mr Pruett hosts Gulvetia's foreign minister ..." (joined it
        # through the close text, cosine 0.53)
        ("coverage_held_out_62", "RMey6gey", "RMc5dhqa", "told_as_other_engagement"),
        # "Calimbre and Pradesca agree to revive talks on Maudre water-sharing treaty" after the
        # minister's visa breakfast ("She receives Pradesca's foreign minister later on
        # Monday ...": rescued at 0.67); the rules turn it down on the headline shares, so the
        # rescue model's judgement, which the rule now turns down, is not the evidence of its
        # ``new``
        ("coverage_held_out_73", "SECCC1A", "SEEF2C9", None),
    ],
)
def test_the_same_ministers_other_meeting_of_the_day_is_another_event(
    name: str, report: str, story: str, rule: str | None
) -> None:
    """v48: a story telling a rare name of the input's headline only as another engagement of its
    day (``told_as_other_engagement``) is another event: the accord the breakfast's report gave as
    the afternoon's schedule begins its own story. v47 joined each to the breakfast's story, and
    the accord's own coverage after it."""
    d, breakfast = _judged(name, report, story, ThreadSettings())
    _assert_apart(d, breakfast, rule)
    v47 = dataclasses.replace(coverage.CoverageSettings(), other_engagement=False)
    d, breakfast = _judged(name, report, story, v47)
    _assert_joined(d, breakfast)


def test_a_brief_announcing_its_analysis_joins_the_story_it_briefs() -> None:
    """v50 (stored terms v21): "Pension age bill clears Assembly 162-131", a broadsheet's brief of
    the wire's "Assembly passes pension bill raising retirement age to 65", closes on "A fuller
    analysis follows this evening". v49 read that "follows" as the wire's "The contract follows
    talks on Wednesday", placing the event after another, and set the paragraph apart: the
    minister's figures and the story's words in it were the other matter's, and the brief began
    a story of its own."""
    d, story = _judged("coverage_held_out_81", "SNed1ea8e", "SN8a36b27", ThreadSettings())
    _assert_joined(d, story)


@pytest.mark.parametrize(
    ("name", "report", "event"),
    [
        # "SILENT PHONES MINISTER QUITS": "the emergency alert system that stayed SILENT during
        # the Skellicott earthquake"; the wire's "Pellumbran interior minister resigns over
        # emergency alert failures" never names a silence
        ("coverage_held_out_78", "SKJCP95", "SKF7LSA"),
        # "DRONE CHAOS: Thousands stranded as mystery gadgets shut capital's airport", whose body
        # writes "MYSTERY DRONES"
        ("coverage_held_out_54", "QT11-2", "QT11"),
        # "BETRAYED! 81 MPs vote to make us work till 68", whose body writes "TWICE" and "PAGES"
        ("coverage_held_out_41", "QG08-3", "QG08"),
    ],
)
def test_a_tabloids_words_in_capitals_are_no_names_its_story_must_give(name: str, report: str, event: str) -> None:
    """v49 (stored terms v20): a word written in capitals for emphasis, five letters or more, is
    no name (``coverage_terms._SHOUTED``). Read as one under v48, it stood among the tabloid's
    headline names, which the story's reports never give, and each report began a story of its
    own."""
    d, story = _judged(name, report, event, ThreadSettings())
    _assert_joined(d, story)
