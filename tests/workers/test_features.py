"""Text features computed by the clean stage and composed by the decider (workers/features.py):
whichever path computed them, the decider sees the same features and decides the same."""

from __future__ import annotations

import json
import random
from dataclasses import fields, replace
from typing import Any

import pytest

from newswire.bus import Message
from newswire.records import CleanedRecord, RecordError
from newswire.settings import WorkerSettings
from pipeline.samples import load_corpus
from tests.support.data import COVERAGE_CORPUS, DEV_CORPUS
from tests.support.workers import cleaned_body
from workers import features
from workers.thread import StoryIndex, ThreadInput, ThreadSettings, _Prepared, decide_and_apply, thread_input
from workers.threader import ThreadProcessor


def _rows() -> list[dict[str, Any]]:
    rows = [*load_corpus(DEV_CORPUS), *load_corpus(COVERAGE_CORPUS)]
    return sorted(rows, key=lambda r: (r["published"], r["id"]))


def _text(row: dict[str, Any], sep: str = "\n") -> str:
    return sep.join(row["body_paragraphs"])


# The terms' fields read only to compose the features from a text (``StoryIndex._prepare``: the
# entities and the paragraphs' words); shipped features carry what they compose instead (the
# features' entities and the fingerprints, compared).
_TEXT_ONLY = frozenset({"entities", "words"})


def _seen(p: _Prepared, index: StoryIndex) -> tuple[Any, ...]:
    """Everything the decision reads of the input's analysis: every field of its terms (read
    from the dataclass, so a field added later is compared too: v34-v36's label was once
    missing from the shipped features) but the two that only compose the features from a text
    (``_TEXT_ONLY``), and the features and fingerprints composed."""
    f, r = p.features, p.raw
    return (
        list(f.seq),
        f.entities,
        list(f.title),
        list(f.title_names),
        p.fingerprints,
        *(getattr(r, field.name) for field in fields(r) if field.name not in _TEXT_ONLY),
        index._cov(p),
        list(p.seq16),
    )


def _seen_of(index: StoryIndex, item: ThreadInput) -> tuple[Any, ...]:
    return _seen(index._prepare(item), index)


def _shipped(item: ThreadInput) -> ThreadInput:
    """The item as the thread stage gets it from a cleaned record (through the wire form)."""
    return replace(item, analysis=features.from_wire(features.analyse(item.title, item.text).to_wire()))


@pytest.mark.parametrize(
    "settings",
    [ThreadSettings(), ThreadSettings(max_shingles_per_article=40, max_fingerprints_per_article=5)],
    ids=["default", "capped"],
)
def test_shipped_features_compose_what_the_text_gives(settings: ThreadSettings) -> None:
    rng = random.Random(7)
    index = StoryIndex(settings)
    rows = _rows()
    for row in rows[::2]:  # the frequencies select() reads are live: fill half the corpus
        decide_and_apply(index, thread_input(row["url"], row["title"], _text(row), None, site=row["site"]))
    for row in rows[1::2]:
        text = _text(row, rng.choice(["\n", "\n\n", "\n \n"]))
        item = thread_input(row["url"], row["title"], text, None, site=row["site"])
        assert _seen_of(index, _shipped(item)) == _seen_of(index, item), row["id"]


def test_features_of_the_lines_kept_are_those_of_the_filtered_text() -> None:
    rng = random.Random(11)
    index = StoryIndex(ThreadSettings())
    for row in _rows():
        lines = ["Follow us on Wirebook", *row["body_paragraphs"], "", "All news"]
        text = "\n".join(lines)
        analysis = features.analyse(row["title"], text)
        keep = sorted(rng.sample(range(len(lines)), rng.randint(1, len(lines))))
        filtered = thread_input(row["url"], row["title"], "\n".join(lines[i] for i in keep), None, site=row["site"])
        shipped = replace(filtered, analysis=analysis.keep(keep))
        assert _seen_of(index, shipped) == _seen_of(index, filtered), row["id"]


def test_decisions_and_changelog_are_the_same_with_shipped_features() -> None:
    from_text, shipped = StoryIndex(ThreadSettings()), StoryIndex(ThreadSettings())
    kinds = set()
    for row in _rows():
        item = thread_input(row["url"], row["title"], _text(row), None, site=row["site"])
        a, log_a = decide_and_apply(from_text, item)
        b, log_b = decide_and_apply(shipped, _shipped(item))
        assert (a, log_a) == (b, log_b), row["id"]
        kinds.add((a.kind, a.update_kind))
    assert {("new", None), ("duplicate", None), ("update", "followup"), ("update", "coverage")} <= kinds


def test_features_of_other_settings_are_not_used() -> None:
    row = _rows()[0]
    item = thread_input(row["url"], row["title"], _text(row), None, site=row["site"])
    other = replace(item, analysis=features.analyse(item.title, item.text, shingle_size=4))
    index = StoryIndex(ThreadSettings())
    assert _seen_of(index, other) == _seen_of(index, item)
    assert _seen_of(index, other) != _seen_of(StoryIndex(ThreadSettings(shingle_size=4)), other)


def test_wire_form_round_trips_and_malformed_features_are_refused() -> None:
    row = _rows()[0]
    analysis = features.analyse(row["title"], _text(row))
    wire = json.loads(json.dumps(analysis.to_wire()))
    assert features.from_wire(wire) == analysis
    assert features.from_wire(None) is None
    broken: list[object] = [
        [],
        {**wire, "v": 99},
        {**wire, "seq": "not base64!"},
        {**wire, "seq": "AAA="},  # not whole 32-bit words
        {**wire, "seq_off": wire["fps_off"][:-8] or "AAAAAA=="},
        {**wire, "labels": ["x"]},
        {**wire, "lines": 0},
        {k: v for k, v in wire.items() if k != "terms"},
        {**wire, "apart": "5wMAAA=="},  # paragraph 999 set apart, of a few
        {**wire, "labelled": 1},
        {k: v for k, v in wire.items() if k != "labelled"},
    ]
    for obj in broken:
        with pytest.raises(ValueError, match="features"):
            features.from_wire(obj)


def test_cleaned_record_carries_features_and_reads_records_without_them() -> None:
    row = _rows()[0]
    text = _text(row)
    body = cleaned_body(row, 1, text)
    old = CleanedRecord.decode(json.dumps(body).encode())
    assert old.features is None and "features" not in json.loads(old.encode())
    wire = features.analyse(row["title"], text).to_wire()
    new = CleanedRecord.decode(replace(old, features=wire).encode())
    assert new.features == wire
    with pytest.raises(RecordError, match="features"):
        CleanedRecord.decode(json.dumps({**body, "features": "x"}).encode())


def _record(i: int, row: dict[str, Any], lines: list[str], with_features: bool, **over: Any) -> bytes:
    body = cleaned_body(row, i, "\n".join(lines), with_features=with_features, site="wire.example", **over)
    return json.dumps(body).encode()


def _run(records: list[bytes]) -> tuple[list[Any], ThreadProcessor]:
    proc = ThreadProcessor(WorkerSettings(), "events", "index")
    out: list[Any] = []
    for i, value in enumerate(records):
        (outcome,) = proc.process([Message("cleaned", 0, i, None, value, 0)])
        out.append([(o.topic, o.key, json.loads(o.value) if o.value else None) for o in outcome.outputs])
    return out, proc


def test_thread_stage_uses_shipped_features_through_its_boilerplate_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows()
    # Every page of the site carries the same chrome lines: the stage learns and removes them.
    pages = [["Follow us on Wirebook", *r["body_paragraphs"], "All news"] for r in rows]
    from_text, _ = _run([_record(i, r, p, False) for i, (r, p) in enumerate(zip(rows, pages, strict=True))])
    used: list[int] = []
    real = features.assemble

    def counting(*args: Any) -> features.Assembled | None:
        used.append(1)
        return real(*args)

    monkeypatch.setattr(features, "assemble", counting)
    shipped, proc = _run([_record(i, r, p, True) for i, (r, p) in enumerate(zip(rows, pages, strict=True))])
    assert shipped == from_text
    assert len(used) == len(rows)  # every decision composed shipped features, none analysed text
    assert proc.boilerplate["wire.example"].is_boilerplate("All news")  # and lines were filtered


def test_features_of_another_text_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows()[:6]
    records = [_record(i, r, r["body_paragraphs"], False) for i, r in enumerate(rows)]
    wrong = features.analyse("Other", "Some other text entirely, not this article's.").to_wire()
    stale = [_record(i, r, r["body_paragraphs"], False, features=wrong) for i, r in enumerate(rows)]
    unreadable = [_record(i, r, r["body_paragraphs"], False, features={"v": 1}) for i, r in enumerate(rows)]
    assert _run(stale)[0] == _run(records)[0] == _run(unreadable)[0]


def _index_view(index: StoryIndex) -> tuple[Any, ...]:
    """The derived state a restore rebuilds: postings, term frequencies, members, fingerprints."""
    members = {sid: sorted(ids) for sid, ids in index._members.items()}
    return index.stats(), *index.postings_view(), members


def test_changelog_fingerprints_restore_the_index_their_shingles_give() -> None:
    """Article records carry their fingerprints (no winnowing on restore); records without
    them, or written under other fingerprint settings, are winnowed: the same index either way."""
    index = StoryIndex(ThreadSettings())
    log: dict[str, bytes | None] = {}
    for row in _rows():
        _, entries = decide_and_apply(index, thread_input(row["url"], row["title"], _text(row), None, site=row["site"]))
        log.update(entries)
    carried = [k for k, v in log.items() if v is not None and b'"fps_key"' in v]
    assert carried  # indexed articles' records carry them

    def restored(transform: Any) -> StoryIndex:
        out = StoryIndex(ThreadSettings())
        for k in sorted(log, reverse=True):  # compaction may reorder keys
            v = log[k]
            out.restore(k, None if v is None else transform(v))
        return out

    def without(v: bytes) -> bytes:
        o = json.loads(v)
        o.pop("fps", None)
        o.pop("fps_key", None)
        return json.dumps(o).encode()

    def other_key(v: bytes) -> bytes:
        o = json.loads(v)
        if "fps" in o:
            o["fps"], o["fps_key"] = "", "99/1"  # another winnowing window: never trusted
        return json.dumps(o).encode()

    expected = _index_view(index)
    for transform in (lambda v: v, without, other_key):
        assert _index_view(restored(transform)) == expected


def test_a_long_text_ships_a_bounded_number_of_shingles() -> None:
    rows = _rows()
    paras = [p for r in rows for p in r["body_paragraphs"]] * 3  # ~10k words in paragraphs
    text, title = "\n".join(paras), rows[0]["title"]
    analysis = features.analyse(title, text)
    assert len(analysis.seq) <= features.SHINGLE_BUDGET < sum(len(p.split()) for p in paras)
    item = thread_input("https://x.example/long", title, text, None, site="x.example")
    index = StoryIndex(ThreadSettings())
    assert features.assemble(analysis, 2000, 128, 12) is not None  # the default cap is within
    assert _seen_of(index, replace(item, analysis=analysis)) == _seen_of(index, item)
    # A decider capping beyond what was shipped analyses the text itself, and agrees with it.
    wide = StoryIndex(ThreadSettings(max_shingles_per_article=6000))
    assert features.assemble(analysis, 6000, 128, 12) is None
    assert _seen_of(wide, replace(item, analysis=analysis)) == _seen_of(wide, item)
    # Lines removed before the cut leave room filled from shipped shingles, or fall back.
    keep = list(range(40, analysis.lines))
    filtered = thread_input("https://x.example/long", title, "\n".join(text.split("\n")[40:]), None, site="x")
    assert _seen_of(index, replace(filtered, analysis=analysis.keep(keep))) == _seen_of(index, filtered)


@pytest.mark.parametrize(
    ("title", "labelled"),
    [
        ("Analysis: Dumaresq's split vote hints the tightening cycle is near", True),
        ("Central bank raises rates", False),
    ],
)
def test_shipped_features_tell_a_labelled_headline(title: str, labelled: bool) -> None:
    """The decider reads whether the input is a labelled analysis or explainer from the features
    the clean stage ships (``coverage.CoverageSettings.labelled_pieces``), as from the text."""
    text = "The central bank raised its key rate on Tuesday.\nGovernor Dumaresq was outvoted."
    shipped = features.from_wire(json.loads(json.dumps(features.analyse(title, text).to_wire())))
    assert shipped is not None and shipped.labelled is labelled
    composed = features.assemble(shipped.keep([1]), 2000, 128, features.WINNOW_WINDOW)
    assert composed is not None and composed.raw.labelled is labelled
    item = thread_input("https://x.example/a", title, text, None, site="x.example")
    assert StoryIndex(ThreadSettings())._prepare(item).raw.labelled is labelled
