"""Unit tests of the threading decision: re-delivery, revisions, copies, changelog/restore,
expiry, bounded lookups and text normalisation."""

from __future__ import annotations

import base64
import dataclasses
import inspect
import itertools
import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from workers import coverage, coverage_terms, coverage_vectors, shingles
from workers import thread as thread_module
from workers.thread import (
    ARTICLE_PREFIX,
    STORY_PREFIX,
    Decision,
    StoryIndex,
    ThreadInput,
    ThreadSettings,
    _IdfMemo,
    _same_slot,
    decide_and_apply,
    story_id_for,
    thread_input,
)

T0 = datetime(2026, 5, 11, 9, 0, tzinfo=UTC)

STORY = (
    "MARAVEL, May 12 (Wire-Y) - Sundara closed Maravel International Airport on Tuesday after an "
    "eruption at Mount Orrin sent a column of ash about 7 km into the sky, forcing the cancellation "
    "of more than 120 flights.\n\n"
    "The Sundaran Geological Survey said the volcano, about 90 km north of the capital, erupted "
    "shortly before 3 a.m. and raised its alert status to the second-highest level.\n\n"
    'Civil aviation authority spokesman Ravi Tennant said the airport would stay closed "at least '
    'until midday" while experts assessed the drift of the ash cloud.\n\n'
    "Authorities told about 3,000 residents of four villages within 6 km of the crater to leave "
    "their homes. Schools in the district were closed.\n\n"
    "Mount Orrin last erupted in 2017, when ash disrupted flights across the region for three days."
)
TITLE = "Sundara shuts Maravel airport as Mount Orrin ash cloud drifts south"


def item(
    url: str,
    text: str = STORY,
    title: str = TITLE,
    *,
    at: datetime = T0,
    site: str = "a.example",
    guid: str = "",
) -> ThreadInput:
    return thread_input(url, title, text, at, site=site, guid=guid)


def test_new_story_id_is_deterministic_and_new_has_version_one() -> None:
    a = item("https://a.example/1")
    d1 = StoryIndex(ThreadSettings()).decide(a)
    d2 = StoryIndex(ThreadSettings()).decide(a)
    assert d1 == d2
    assert d1.kind == "new"
    assert d1.version == 1
    assert d1.story_id == story_id_for(a.article_id)


def test_decide_does_not_mutate() -> None:
    index = StoryIndex(ThreadSettings())
    index.decide(item("https://a.example/1"))
    assert index.stats()["articles"] == 0


def test_redelivery_is_unchanged_and_writes_nothing() -> None:
    index = StoryIndex(ThreadSettings())
    a = item("https://a.example/1")
    first, _ = decide_and_apply(index, a)
    again, entries = decide_and_apply(index, item("https://a.example/1", at=T0 + timedelta(hours=1)))
    assert again.kind == "unchanged"
    assert again.story_id == first.story_id
    assert again.version == 1
    assert entries == []


def test_retitle_with_the_text_unchanged_is_a_revision_restyle_is_not() -> None:
    """A headline corrected or moved on while the text stays is news to a consumer showing the
    headline: a revision. The same headline words re-styled (case, quotes, dashes) are not."""
    index = StoryIndex(ThreadSettings())
    first, _ = decide_and_apply(index, item("https://a.example/1"))
    restyled = "SUNDARA SHUTS MARAVEL AIRPORT, AS MOUNT ORRIN ASH CLOUD DRIFTS SOUTH"
    same, entries = decide_and_apply(index, item("https://a.example/1", title=restyled))
    assert (same.kind, entries) == ("unchanged", [])
    retitled = "Sundara shuts Maravel airport for a second day as Mount Orrin ash cloud drifts south"
    d, entries = decide_and_apply(index, item("https://a.example/1", title=retitled, at=T0 + timedelta(hours=2)))
    assert (d.kind, d.update_kind, d.story_id, d.version) == ("update", "revision", first.story_id, 2)
    assert d.evidence["containment_new_in_old"] == 1.0 and float(d.evidence["title_similarity"]) < 1.0
    assert entries  # the new headline is stored: the same headline again is unchanged
    again, entries = decide_and_apply(index, item("https://a.example/1", title=retitled, at=T0 + timedelta(hours=3)))
    assert (again.kind, again.version, entries) == ("unchanged", 2, [])


def test_revision_with_same_guid_is_an_update_with_next_version() -> None:
    index = StoryIndex(ThreadSettings())
    first, _ = decide_and_apply(index, item("https://a.example/1?v=1", guid="wire-y-88197"))
    revised_text = STORY.replace("120 flights", "180 flights") + (
        "\n\nThe civil aviation authority said later that the airport would remain closed until Wednesday."
    )
    rev = item("https://a.example/1?v=2", revised_text, at=T0 + timedelta(hours=3), guid="wire-y-88197")
    d, entries = decide_and_apply(index, rev)
    assert d.kind == "update"
    assert d.update_kind == "revision"
    assert d.story_id == first.story_id
    assert d.version == 2
    assert d.matched_article_id == rev.article_id
    assert {k for k, _ in entries} == {ARTICLE_PREFIX + rev.article_id, STORY_PREFIX + first.story_id}
    # a second revision goes on counting
    d3, _ = decide_and_apply(
        index,
        item(
            "https://a.example/1?v=3",
            revised_text + "\n\nMore.",
            at=T0 + timedelta(hours=5),
            guid="wire-y-88197",
        ),
    )
    assert (d3.kind, d3.version) == ("update", 3)
    assert index.stats()["articles"] == 1


def test_copy_on_another_site_with_dateline_curly_quotes_and_credit_is_duplicate() -> None:
    index = StoryIndex(ThreadSettings())
    original = item("https://a.example/1")
    first, _ = decide_and_apply(index, original)
    copy_text = (
        STORY.replace("MARAVEL, May 12 (Wire-Y) - ", "")
        .replace('"at least', "\u201cat least")
        .replace('midday"', "midday\u201d")
        + "\n\nThis article was originally published by Wire-Y."
    )
    d, _ = decide_and_apply(
        index, item("https://b.example/x", copy_text, site="b.example", at=T0 + timedelta(minutes=30))
    )
    assert d.kind == "duplicate"
    assert d.duplicate_of == original.article_id
    assert d.story_id == first.story_id
    assert d.version == 1
    assert float(d.evidence["containment_new_in_old"]) >= 0.85


def test_shortened_syndicated_copy_is_duplicate() -> None:
    index = StoryIndex(ThreadSettings())
    original = item("https://a.example/1")
    decide_and_apply(index, original)
    short = "\n\n".join(STORY.split("\n\n")[:2])
    d, _ = decide_and_apply(index, item("https://c.example/short", short, site="c.example"))
    assert d.kind == "duplicate"
    assert d.duplicate_of == original.article_id
    assert float(d.evidence["containment_old_in_new"]) < 0.6  # shortened: much of the old is missing


def test_duplicates_are_not_posted_so_wide_syndication_does_not_turn_a_story_into_boilerplate() -> None:
    settings = ThreadSettings(max_postings=5)
    index = StoryIndex(settings)
    first, _ = decide_and_apply(index, item("https://a.example/1"))
    for i in range(20):
        d, _ = decide_and_apply(index, item(f"https://mirror{i}.example/x", site=f"m{i}.example"))
        assert d.kind == "duplicate"
    followup = (
        "Flights resumed at Maravel International Airport on Wednesday after winds pushed the ash "
        "cloud out to sea.\n\nSundara closed Maravel International Airport on Tuesday after an eruption "
        "at Mount Orrin sent a column of ash about 7 km into the sky, forcing the cancellation of more "
        "than 120 flights."
    )
    d, _ = decide_and_apply(
        index, item("https://b.example/2", followup, "First flights leave Maravel", at=T0 + timedelta(days=1))
    )
    assert d.kind == "update"
    assert d.story_id == first.story_id


def test_unrelated_story_is_new() -> None:
    index = StoryIndex(ThreadSettings())
    decide_and_apply(index, item("https://a.example/1"))
    other = (
        "Sundair flew a record 1.21 million passengers in April, up 9% from a year earlier, as new "
        "routes to Mirelle and Tessary filled up faster than expected, the national carrier said."
    )
    d, _ = decide_and_apply(index, item("https://b.example/2", other, "Sundair carries record passengers"))
    assert d.kind == "new"


def _replay(entries: list[tuple[str, bytes | None]]) -> StoryIndex:
    compacted: dict[str, bytes | None] = {}
    for key, value in entries:
        compacted[key] = value
    restored = StoryIndex(ThreadSettings())
    for key in reversed(list(compacted)):  # compaction may reorder keys: order must not matter
        restored.restore(key, compacted[key])
    return restored


def test_restore_from_changelog_rebuilds_an_index_that_decides_identically() -> None:
    index = StoryIndex(ThreadSettings())
    log: list[tuple[str, bytes | None]] = []
    texts = STORY.split("\n\n")
    inputs = [
        item("https://a.example/1"),
        item("https://b.example/copy", STORY.replace("MARAVEL, May 12 (Wire-Y) - ", ""), site="b.example"),
        item(
            "https://a.example/1",
            STORY + "\n\nUpdated with new details from the survey.",
            at=T0 + timedelta(hours=2),
        ),
        item(
            "https://c.example/f",
            "\n\n".join(["Residents were told on Wednesday they could go home.", texts[1], texts[3]]),
            "Residents return near Mount Orrin",
            at=T0 + timedelta(days=1),
        ),
    ]
    for inp in inputs:
        _, entries = decide_and_apply(index, inp)
        log.extend(entries)
    log.extend(index.expire(T0 + timedelta(days=3)))  # nothing old enough yet
    restored = _replay(log)
    assert restored.stats() == index.stats()
    probes = [
        *inputs,
        item("https://d.example/q", texts[0] + "\n\n" + texts[2], "Airport shut", at=T0 + timedelta(days=2)),
    ]
    for probe in probes:
        assert restored.decide(probe) == index.decide(probe)


def test_expiry_removes_old_items_and_tombstones_them() -> None:
    settings = ThreadSettings(expiry=timedelta(days=8))
    index = StoryIndex(settings)
    old = item("https://a.example/old")
    old_decision, log = decide_and_apply(index, old)
    _, entries = decide_and_apply(index, item("https://b.example/copy", site="b.example"))
    log += entries
    fresh_text = "A completely different report about a harbour festival in Port Hesketh drawing crowds."
    fresh = item("https://a.example/fresh", fresh_text, "Harbour festival", at=T0 + timedelta(days=7))
    _, entries = decide_and_apply(index, fresh)
    log += entries
    assert index.expire(T0 + timedelta(days=7)) == []
    tombstones = index.expire(T0 + timedelta(days=9))
    assert sorted(tombstones, key=lambda e: e[0]) == sorted(
        [
            (ARTICLE_PREFIX + old.article_id, None),
            (ARTICLE_PREFIX + item("https://b.example/copy").article_id, None),
            (STORY_PREFIX + old_decision.story_id, None),
        ],
        key=lambda e: e[0],
    )
    stats = index.stats()
    assert (stats["articles"], stats["stories"]) == (1, 1)
    # the expired story is gone: the same text now starts a story again
    again = index.decide(item("https://z.example/new", at=T0 + timedelta(days=9)))
    assert again.kind == "new"
    # and a replica replaying the changelog plus tombstones agrees
    restored = _replay(log + tombstones)
    assert restored.stats() == stats


def test_a_late_article_is_held_as_long_as_a_fresh_one_and_a_restore_holds_it_too() -> None:
    # A page decided long after its time (a sitemap's old URL, a slow feed's old entry) would
    # be expired by the next sweep, and its next sighting (a feed and a sitemap of other
    # replicas; an entry polled again) would start a second story: held from the clock, it is
    # answered as unchanged for as long as a fresh article would be.
    settings = ThreadSettings(expiry=timedelta(days=8), late_after=timedelta(days=1))
    index = StoryIndex(settings)
    fresh_text = "A report about a harbour festival in Port Hesketh drawing crowds of about 40,000 people."
    _, log = decide_and_apply(index, item("https://b.example/fresh", fresh_text, "Harbour festival", site="b.example"))
    late = item("https://a.example/archive/1", at=T0 - timedelta(days=30))
    decision, entries = decide_and_apply(index, late)
    log += entries
    assert decision.kind == "new"
    assert index.expire(T0 + timedelta(days=7)) == []  # 37 days past its time, held from T0
    assert index.decide(late).kind == "unchanged"  # its next sighting: no second story
    restored = _replay(log)
    assert restored.stats() == index.stats()
    assert restored.decide(late) == index.decide(late)
    # a day late is no hold: it expires with its time, as it always did
    slightly = item("https://c.example/1", STORY.replace("Mount Orrin", "Mount Kessel"), at=T0 - timedelta(hours=20))
    log += decide_and_apply(index, slightly)[1]
    assert b'"held"' not in (dict(log)[ARTICLE_PREFIX + slightly.article_id] or b"")
    expired = [key for key, _ in index.expire(T0 + timedelta(days=7, hours=6)) if key.startswith(ARTICLE_PREFIX)]
    assert expired == [ARTICLE_PREFIX + slightly.article_id]
    gone = index.expire(T0 + timedelta(days=9))  # the hold ends as a fresh article's time would
    assert (ARTICLE_PREFIX + late.article_id, None) in gone
    assert sorted(gone) == sorted(restored.expire(T0 + timedelta(days=9)))
    assert index.decide(late).kind == "new"


def _synthetic(rng: random.Random, vocab: list[str], n_words: int) -> str:
    paras = []
    for _ in range(4):
        paras.append(" ".join(rng.choice(vocab) for _ in range(n_words // 4)) + ".")
    paras.append("This report was produced by the Newsroom desk and is subject to our terms of use.")
    return "\n\n".join(paras)


def test_lookups_touch_only_candidates_as_the_index_grows() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(20000)]
    settings = ThreadSettings(candidate_window=timedelta(days=365), expiry=timedelta(days=365))
    index = StoryIndex(settings)
    considered: list[int] = []
    for i in range(5000):
        d, _ = decide_and_apply(
            index,
            item(
                f"https://s.example/{i}",
                _synthetic(rng, vocab, 120),
                f"Story {i}",
                at=T0 + timedelta(seconds=i),
            ),
        )
        assert d.kind == "new"
        considered.append(int(d.evidence["candidates_considered"]))
    # The shared sign-off is boilerplate: once it is in more than max_postings articles it is
    # ignored, so it does not make every article a candidate of every other.
    assert max(considered[1000:]) <= 3
    stats = index.stats()
    assert stats["articles"] == 5000
    assert stats["approx_bytes"] / stats["articles"] < 4096
    # a copy of article 4321 is found among 5,000 with a handful of comparisons
    target = item("https://s.example/4321", "x")
    base = index.decide(target)
    assert base.kind == "update"  # same URL, different text: a revision
    copy_text = _synthetic(random.Random(0), vocab, 120)
    d, _ = decide_and_apply(index, item("https://other.example/1", copy_text, at=T0 + timedelta(hours=3)))
    d2 = index.decide(item("https://other.example/2", copy_text, at=T0 + timedelta(hours=4)))
    assert d.kind == "new"
    assert d2.kind == "duplicate"
    assert int(d2.evidence["candidates_considered"]) <= 3


def test_dateline_and_navigation_are_normalised_away() -> None:
    a = "QUELLPORT, May 11 (Wire-X) - Foreign Minister Nadia Vorsell received the minister in Quellport."
    b = "MOSCOW, January 25. /TASS/. Foreign Minister Nadia Vorsell received the minister in Quellport."
    c = "Foreign Minister Nadia Vorsell received the minister in Quellport."
    assert shingles.shingle_hashes(a, 5, 100) == shingles.shingle_hashes(c, 5, 100)
    assert shingles.shingle_hashes(b, 5, 100) == shingles.shingle_hashes(c, 5, 100)
    nav = "All news\n\n" + c
    assert shingles.shingle_hashes(nav, 5, 100) == shingles.shingle_hashes(c, 5, 100)
    assert shingles.hash_text("x") == shingles.hash_text("x")


def test_entities_are_names_and_numbers_not_sentence_starts() -> None:
    ents = shingles.entities("The agency approved Veltrazine from Corbel's lab. Trials had 1,840 patients.")
    assert {"veltrazine", "corbel", "1,840"} <= ents
    assert "the" not in ents
    assert "trials" not in ents


def test_winnowing_guarantees_a_shared_fingerprint_for_a_long_shared_passage() -> None:
    rng = random.Random(3)
    vocab = [f"v{i}" for i in range(5000)]
    passage = " ".join(rng.choice(vocab) for _ in range(16))  # 12 shingles of 5 words
    for _ in range(50):
        left = " ".join(rng.choice(vocab) for _ in range(60))
        right = " ".join(rng.choice(vocab) for _ in range(60))
        fa = shingles.winnow(shingles.shingle_hashes(f"{left} {passage} {right}", 5, 1000), 12)
        fb = shingles.winnow(shingles.shingle_hashes(f"{right} {passage} {left}", 5, 1000), 12)
        assert fa & fb


def test_changelog_records_are_what_json_dumps_writes() -> None:
    """The records are written field by field (the generic encoder cost ~5% of a decision):
    byte for byte ``json.dumps`` of the same dict, odd strings included."""
    import json
    from array import array

    from workers.thread import RECORD_VERSION, _Article, _encode_article, _encode_story, _iso, _Story

    plain = coverage_vectors.CoverageFeatures(
        array("I", [3, 9]), array("B", [16, 38]), array("I", [9]), array("I", [9]), array("I")
    )
    # terms set apart are written only when there are any
    apart = dataclasses.replace(plain, apart=array("I", [7, 11]))
    when = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    for odd, cov in itertools.product(
        ("plain", 'quote"back\\slash', "é 日本 \u2028", "\x00\x1f", "\ud800"), (plain, apart)
    ):
        a = _Article(
            "a" + odd,
            "s" + odd,
            when,
            "ab" * 16,
            array("I", [1, 0, 2**32 - 1]),
            array("I", [5]),
            array("I", [6, 7]),
            array("I"),
            True,
            odd,
            cov,
        )
        for (fps, key), held in itertools.product(((None, ""), ({4, 2}, "12/128"), ({4}, "")), (None, when)):
            a.held = held
            obj: dict[str, object] = {
                "v": RECORD_VERSION,
                "article_id": a.article_id,
                "story_id": a.story_id,
                "time": _iso(when),
                "content_hash": a.content_hash,
                "seq": _b64([1, 0, 2**32 - 1]),
                "entities": _b64([5]),
                "title": _b64([6, 7]),
                "title_names": _b64([]),
                "posted": True,
                "site": odd,
                "cov_method": coverage_terms.METHOD,
                "cov_terms": _b64([3, 9]),
                "cov_tf": base64.b64encode(bytes([16, 38])).decode(),
                "cov_names": _b64([9]),
                "cov_headline": _b64([9]),
                "cov_figures": _b64([]),
            }
            if cov.apart:
                obj["cov_apart"] = _b64([7, 11])
            if held is not None:
                obj["held"] = _iso(held)
            if fps is not None and key:
                obj["fps"], obj["fps_key"] = _b64(sorted(fps)), key
            assert _encode_article(a, fps, key) == json.dumps(obj, separators=(",", ":")).encode()
        s = _Story("s" + odd, 3, "a" + odd, when, when)
        story = {
            "v": RECORD_VERSION,
            "story_id": s.story_id,
            "version": 3,
            "root": s.root_article_id,
            "first": _iso(when),
            "last": _iso(when),
        }
        assert _encode_story(s) == json.dumps(story, separators=(",", ":")).encode()


def _b64(values: list[int]) -> str:
    return base64.b64encode(b"".join(v.to_bytes(4, "little") for v in values)).decode()


def test_narrowed_shingles_are_the_low_halves_and_never_a_break() -> None:
    """The 16-bit form keeps each shingle's low 16 bits, 0 (a break) stays 0, and a shingle whose
    low half is 0 becomes 1 (it must not read as a break)."""
    from array import array

    from workers.thread import _narrow

    rng = random.Random(5)
    seq = array("I", [0, 0x10000, 0xFFFF0001, 5, 0, 0x20000, 0xFFFFFFFF, *(rng.randrange(2**32) for _ in range(500))])
    want = [((h & 0xFFFF) or 1) if h else 0 for h in seq]
    assert _narrow(seq).tolist() == want and _narrow(seq).typecode == "H"


def test_idf_of_an_array_of_terms_is_the_memo_s_idf_of_each() -> None:
    """``_IdfMemo.idf_array`` (the candidates' terms weighed at once) gives each term the idf
    the memo gives it, float for float: terms held by one article, by several, by none, listed
    twice, and frequencies met first in the array; ``fill`` memoises the same values."""
    rng = random.Random(3)
    df = coverage_vectors.DocFrequencies()
    for number in range(300):
        df.add(number, sorted(rng.sample(range(1, 120), rng.randint(1, 30))))
    for number in range(0, 300, 7):  # some drops: frequencies that went down
        df.remove(number, list(range(1, 120)))
    terms = [rng.randrange(200) for _ in range(500)]
    memo = _IdfMemo(df)
    got = memo.idf_array(np.array(terms, np.uint32)).tolist()
    fresh = _IdfMemo(df)
    want = [fresh[h] for h in terms]
    assert got == want == [math.log((df.docs + 1) / (df.count(h) + 1)) + 1.0 for h in terms]
    filled = _IdfMemo(df)
    filled.fill(terms)
    assert [filled[h] for h in terms] == want and all(filled.count(h) == df.count(h) for h in terms)


WALL = (
    "Please enable JavaScript in your browser to view this page. "
    "This site requires JavaScript to work properly.\n\n"
    "Already a subscriber? Log in here."
)


def test_a_short_notice_above_unrelated_headlines_relates_no_stories() -> None:
    """Pages that show a consent, paywall or "enable JavaScript" notice instead of their story
    all yield its text: five unrelated stories from five sites were one story, four copies of
    (then follow-ups to) the first. Under headlines sharing nothing, so short a text relates
    nothing; a short brief copied under a headline sharing its words is still a copy."""
    index = StoryIndex(ThreadSettings())
    titles = [
        "Earthquake of magnitude 6.1 strikes off the northern coast",
        "Central bank raises interest rates by half a point",
        "Football club sacks manager after five straight defeats",
        "Parliament passes new data protection law",
        "Wildfire forces evacuation of three villages",
    ]
    decisions = [
        decide_and_apply(
            index,
            thread_input(f"https://site{i}.example/n/{i}", t, WALL, T0 + timedelta(hours=i), site=f"site{i}.example"),
        )[0]
        for i, t in enumerate(titles)
    ]
    assert [d.kind for d in decisions] == ["new"] * 5
    brief = (
        "VELMAR, May 12 (Wire-Y) - A magnitude 6.1 earthquake struck off Osterra's northern coast "
        "on Tuesday, the seismic service said."
    )
    first, _ = decide_and_apply(
        index,
        thread_input(
            "https://wire.example/q", "Quake of magnitude 6.1 strikes off Osterra coast", brief, T0, site="wire.example"
        ),
    )
    copy, _ = decide_and_apply(
        index,
        thread_input(
            "https://relay.example/q",
            "Magnitude 6.1 quake strikes Osterra coast",
            brief,
            T0 + timedelta(hours=1),
            site="relay.example",
        ),
    )
    assert copy.kind == "duplicate" and copy.story_id == first.story_id


# The decision step's classes whose ``__init__`` is written out for mypyc (``coverage_vectors.CoverageFeatures``).
_WRITTEN_OUT = [
    thread_module.Decision,
    thread_module._Story,
    thread_module._Prepared,
    thread_module._PairScores,
    thread_module.TextFeatures,
    coverage_vectors.CoverageFeatures,
    coverage_terms.RawTerms,
    coverage.Probe,
    coverage._Gates,
    coverage.Judgement,
]


@pytest.mark.parametrize("cls", _WRITTEN_OUT, ids=lambda c: c.__name__)
def test_a_written_out_init_takes_the_dataclass_fields_in_order_with_their_defaults(cls: type) -> None:
    """A field added to the class and not to its ``__init__`` (or a default changed in one of
    the two) would build values ``replace`` and equality read otherwise."""
    params = list(inspect.signature(cls).parameters.values())
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        if f.default is not dataclasses.MISSING:
            assert p.default == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert p.default is None, f.name  # the factory's value is made by ``__init__``
        else:
            assert p.default is inspect.Parameter.empty, f.name


def test_written_out_inits_keep_the_values_frozen_equal_and_replaceable() -> None:
    a = thread_module._PairScores(0.5, 0.25, 0.1, 2, 30, 0.4, 0.3, 1.0, 7)
    assert a == thread_module._PairScores(0.5, 0.25, 0.1, 2, 30, 0.4, 0.3, 1.0, 7, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.jaccard = 0.9  # type: ignore[misc]
    b = dataclasses.replace(a, jaccard=0.9)
    assert (b.jaccard, b.longest_passage) == (0.9, 30) and b != a
    d = Decision("new", "s-1", 1, None, None, None)
    assert d.evidence == {} and d.evidence is not Decision("new", "s-1", 1, None, None, None).evidence
    assert repr(d) == (
        "Decision(kind='new', story_id='s-1', version=1, update_kind=None, duplicate_of=None, "
        "matched_article_id=None, evidence={})"
    )


def test_a_passage_is_in_the_same_slot_when_it_sits_in_the_paragraph_of_that_number() -> None:
    """``_same_slot`` (``ThreadSettings.template_slots``): the paragraph of the old text where the
    passage's first two shingles follow each other, against the paragraph of the new one where
    it begins (0: a paragraph break), or the last paragraph of both."""
    old = [7, 3, 0, 7, 8, 9, 0, 10]
    assert _same_slot(old, [1, 0, 7, 8, 9], 2)  # the second paragraph of both
    assert not _same_slot(old, [7, 8, 9, 0, 1], 0)  # the first of the new, the second of the old
    assert not _same_slot(old, [0, 0, 7, 8], 2)  # the third (and last) of the new
    assert not _same_slot(old, [4, 0, 11, 12], 2)  # nowhere in the old
    # a template's closing background: the last paragraph of both, however many come before
    assert _same_slot([1, 0, 2, 0, 5, 6], [9, 0, 8, 0, 7, 0, 5, 6], 6)
    assert not _same_slot([1, 0, 2, 0, 5, 6, 0, 4], [9, 0, 8, 0, 7, 0, 5, 6], 6)
    # the site's recap of its first report: the old's first paragraph, the new's last or one
    # after its lead (three paragraphs), not one within it (a development recalling its event)
    assert _same_slot([5, 6, 0, 2, 0, 4], [9, 0, 8, 0, 5, 6], 4, lead_recap=True)  # its closing
    assert _same_slot([5, 6, 0, 2], [9, 0, 8, 0, 7, 0, 5, 6, 0, 3], 6, lead_recap=True)  # background
    assert not _same_slot([5, 6, 0, 2, 0, 4], [9, 0, 5, 6, 0, 8], 2, lead_recap=True)  # in its lead
    assert not _same_slot([5, 6, 0, 2, 0, 4], [9, 0, 8, 0, 5, 6], 4)
    assert not _same_slot([5, 6, 0, 2], [9, 0, 8, 0, 7, 0, 5, 6, 0, 3], 6)
    assert not _same_slot([1, 0, 5, 6, 0, 4], [9, 0, 8, 0, 5, 6], 4, lead_recap=True)  # not the old's first
    assert not _same_slot([1, 0, 5, 6, 0, 4], [9, 0, 8, 0, 5, 6, 0, 7], 4, lead_recap=True)
