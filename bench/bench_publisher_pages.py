"""Benchmark: metadata and body of real publisher pages, ``workers.clean.clean`` vs bare trafilatura.

The publisher-pages set holds real article pages from many countries and scripts, each with
what a reader sees on it: the headline, the people and agencies credited, the publication day
and the body. For each extractor this prints, over all pages:

- headline: share of pages whose headline is exactly the page's (whitespace and Unicode
  composition aside; quotes and dashes as the page prints them);
- date: share of pages whose publication day is the page's;
- authors F1: mean per-page F1 of the credited names (people and agencies together:
  ``authors`` and ``credits`` for newswire), case-insensitive;
- body F1: 4-gram shingle F1 of the body (the extraction benchmark's measure);
- extracted: pages that yielded an article at all (ours: no dead letter);
- ms/page and the cost of what the cleaning step adds to trafilatura, as a share of
  trafilatura's own time: side by side with trafilatura run with the step's options (page by
  page, interleaved, best of ``--repeat``), and, steadier on a shared machine, timed inside
  each ``clean()`` call (trafilatura's parse, extraction and the release of its parse vs the
  cleaning's own work; the threading features the call also computes, for the decider, are
  shown apart). Both run in the state of an extraction worker: the fork server's warm-up
  done and what it built frozen out of the collector's walks (``workers.extract_warmup``).

``--failures`` lists every page a field is wrong on. Run:
``.venv/bin/python -m bench.bench_publisher_pages [--cases PATH] [--failures] [--field F]``;
PATH defaults to the copy in ``tests/data/publisher-pages``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import logging
import statistics
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import trafilatura
from trafilatura.utils import load_html

from bench.bench_extract import f1_score
from newswire.records import RawStory
from workers import clean as clean_module
from workers import features, library_meta
from workers.clean import DEFAULT_SETTINGS, ExtractionError, clean

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "publisher-pages"
FIELDS = ("headline", "date", "authors", "body", "extracted")


@dataclass(frozen=True)
class Extracted:
    """What one extractor made of one page (``ok`` False: no article, e.g. a dead letter)."""

    title: str = ""
    names: tuple[str, ...] = ()
    date: str | None = None
    body: str = ""
    ok: bool = True
    note: str = ""


@dataclass
class Scores:
    headline: float
    date: float
    authors: float
    body: float
    extracted: int
    pages: int
    failures: dict[str, list[str]] = field(default_factory=dict)

    def row(self) -> dict[str, float]:
        return {
            "headline": self.headline,
            "date": self.date,
            "authors": self.authors,
            "body": self.body,
            "extracted": self.extracted / self.pages if self.pages else 0.0,
        }


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    """The cases, one JSON object a line (``id``, ``url``, ``html``, ``expected``): a gzipped
    JSON-lines file, or a folder of them (``cases-*.jsonl.gz``, read in name order)."""
    files = sorted(path.glob("cases*.jsonl.gz")) if path.is_dir() else [path]
    cases: list[dict[str, Any]] = []
    for file in files:
        with gzip.open(file, "rt", encoding="utf-8") as fh:
            cases.extend(json.loads(line) for line in fh if line.strip())
    return cases


# --------------------------------------------------------------------------- measures

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def fold_headline(text: str) -> str:
    """A headline as compared: NFC, invisible characters dropped, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text or "").translate(_INVISIBLE).split())


def fold_name(name: str) -> str:
    """A credited name as compared: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def names_f1(expected: Iterable[str], got: Iterable[str]) -> float:
    """F1 of two sets of names; two empty sets agree (1.0)."""
    want = {fold_name(n) for n in expected if n.strip()}
    have = {fold_name(n) for n in got if n.strip()}
    if not want and not have:
        return 1.0
    hit = len(want & have)
    return 2 * hit / (len(want) + len(have))


def same_day(expected: str | None, got: str | None) -> bool:
    return bool(expected) and bool(got) and str(got)[:10] == str(expected)[:10]


def score(cases: Sequence[Mapping[str, Any]], got: Mapping[str, Extracted]) -> Scores:
    """Per-field figures over ``cases`` and, per field, the ids of the pages it is wrong on."""
    failures: dict[str, list[str]] = {f: [] for f in FIELDS}
    heads: list[float] = []
    dates: list[float] = []
    authors: list[float] = []
    for case in cases:
        exp, out = case["expected"], got[case["id"]]
        ok_head = fold_headline(exp["title"]) == fold_headline(out.title)
        ok_date = same_day(exp["date"], out.date)
        f1 = names_f1(exp["authors"], out.names)
        heads.append(float(ok_head))
        dates.append(float(ok_date))
        authors.append(f1)
        for name, bad in (
            ("headline", not ok_head),
            ("date", not ok_date),
            ("authors", f1 < 1.0),
            ("extracted", not out.ok),
        ):
            if bad:
                failures[name].append(case["id"])
    # some pages are stored decomposed (NFD): compare composed text, as a reader sees no difference
    truth = {c["id"]: unicodedata.normalize("NFC", c["expected"]["body"]) for c in cases}
    bodies = {c["id"]: unicodedata.normalize("NFC", got[c["id"]].body) for c in cases}
    body_f1, _, _ = f1_score(truth, bodies)
    per_page = {k: f1_score({k: truth[k]}, {k: bodies[k]})[0] for k in truth}
    failures["body"] = sorted((k for k, v in per_page.items() if v < 0.8), key=per_page.__getitem__)
    return Scores(
        headline=statistics.mean(heads),
        date=statistics.mean(dates),
        authors=statistics.mean(authors),
        body=body_f1,
        extracted=sum(1 for v in got.values() if v.ok),
        pages=len(cases),
        failures=failures,
    )


# --------------------------------------------------------------------------- extractors


def raw_story(case: Mapping[str, Any]) -> RawStory:
    return RawStory(id=case["id"], url=case["url"], html=case["html"])


def ours(cases: Sequence[Mapping[str, Any]]) -> dict[str, Extracted]:
    """The cleaning step: headline, ``authors`` and ``credits`` together, published day, text."""
    out: dict[str, Extracted] = {}
    for case in cases:
        try:
            rec = clean(raw_story(case))
        except ExtractionError as exc:
            out[case["id"]] = Extracted(ok=False, note=str(exc))
            continue
        credits: tuple[str, ...] = getattr(rec, "credits", ())
        out[case["id"]] = Extracted(rec.title, (*rec.authors, *credits), rec.published, rec.text)
    return out


def _bare_doc(doc: Any) -> Extracted:
    if doc is None:
        return Extracted(ok=False, note="no document")
    author = getattr(doc, "author", None) or ""
    names = tuple(a.strip() for a in author.split(";") if a.strip())
    return Extracted(
        getattr(doc, "title", None) or "", names, getattr(doc, "date", None), getattr(doc, "text", None) or ""
    )


def bare(cases: Sequence[Mapping[str, Any]]) -> dict[str, Extracted]:
    """Bare trafilatura as commonly used: defaults, comments excluded, with metadata."""
    return {
        c["id"]: _bare_doc(
            trafilatura.bare_extraction(c["html"], url=c["url"], include_comments=False, with_metadata=True)
        )
        for c in cases
    }


def bare_as_clean(cases: Sequence[Mapping[str, Any]]) -> dict[str, Extracted]:
    """Bare trafilatura with the options the cleaning step passes it: the cost baseline."""
    s = DEFAULT_SETTINGS
    out: dict[str, Extracted] = {}
    for c in cases:
        tree = load_html(c["html"])
        doc = trafilatura.bare_extraction(
            tree,
            url=c["url"],
            with_metadata=True,
            favor_precision=s.favor_precision,
            include_comments=False,
            include_tables=s.include_tables,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
        out[c["id"]] = _bare_doc(doc)
    return out


def _clean_one(case: Mapping[str, Any]) -> None:
    with contextlib.suppress(ExtractionError):
        clean(raw_story(case))


def _bare_one(case: Mapping[str, Any]) -> None:
    bare_as_clean([case])


def step_cost(cases: Sequence[Mapping[str, Any]], repeat: int) -> tuple[float, float]:
    """(ms/page of the cleaning step, ms/page of trafilatura with the step's options), each the
    sum over pages of the best of ``repeat`` timings, the two interleaved page by page so that
    other load on the machine falls on both alike."""
    best_ours = [float("inf")] * len(cases)
    best_base = [float("inf")] * len(cases)
    for _ in range(max(1, repeat)):
        for i, case in enumerate(cases):
            started = time.perf_counter()
            _clean_one(case)
            middle = time.perf_counter()
            _bare_one(case)
            best_ours[i] = min(best_ours[i], middle - started)
            best_base[i] = min(best_base[i], time.perf_counter() - middle)
    return 1000 * sum(best_ours) / len(cases), 1000 * sum(best_base) / len(cases)


def _show_failures(
    cases: Sequence[Mapping[str, Any]], got: Mapping[str, Extracted], scores: Scores, fields: Iterable[str]
) -> None:
    by_id = {c["id"]: c for c in cases}
    for name in fields:
        ids = scores.failures[name]
        print(f"\n== {name}: {len(ids)} pages wrong")
        for cid in ids:
            exp, out = by_id[cid]["expected"], got[cid]
            if name == "headline":
                print(f"{cid}\n   want {exp['title']!r}\n   got  {out.title!r}")
            elif name == "date":
                print(f"{cid}: want {exp['date']} got {out.date}")
            elif name == "authors":
                print(f"{cid}: want {exp['authors']} got {list(out.names)}")
            elif name == "body":
                f1 = f1_score({cid: unicodedata.normalize("NFC", exp["body"])}, {cid: out.body})[0]
                print(f"{cid}: F1 {f1:.3f} want {len(exp['body'])} chars got {len(out.body)} ({out.note})")
            else:
                print(f"{cid}: {out.note}")


@dataclass(frozen=True)
class Attribution:
    """ms/page within the cleaning step's calls: trafilatura's part and the step's own work, with
    three parts of the latter shown apart (they are in ``own``). Reported (:func:`main`), the
    release counts as trafilatura's, and the features apart from the cleaning's own work: the
    clean stage computes them for the decider (threading), not to clean the page."""

    trafilatura: float
    own: float
    recheck: float  # the default-mode reading of a page precision mode read short (trafilatura's code)
    features: float  # the threading features computed once per article (``features.analyse``)
    # freeing the parsed page when the step returns: the release of trafilatura's parse, which
    # bare trafilatura pays as well, and which costs more after its extraction (the page's
    # nodes have left the caches) than right after the parse
    release: float


def attributed_cost(cases: Sequence[Mapping[str, Any]]) -> Attribution:
    """ms/page of trafilatura inside the cleaning step (the parse, its metadata reading (the
    byline search and htmldate included, when asked for) and its precision-mode extractions)
    and of everything else the step does, timed within the same calls, so that load on a
    shared machine weighs on both sides alike. The step's default-mode recheck counts as its
    own: trafilatura's code, but a reading bare trafilatura with the step's options does not
    make; it is also shown apart, as are the threading features and the release of the parsed
    page (timed as it is freed: the page is held until the call has returned)."""
    spent = {"traf": 0.0, "recheck": 0.0, "features": 0.0, "release": 0.0}
    parsed: list[Any] = []
    targets: list[tuple[Any, str, Callable[[dict[str, Any]], str]]] = [
        # the readings as used bare; the default-mode recheck apart
        (clean_module, "_extract", lambda kw: "traf" if kw.get("favor_precision") else "recheck"),
        (clean_module, "load_html", lambda kw: "traf"),
        (clean_module, "LibraryMeta", lambda kw: "traf"),
        (library_meta, "extract_author", lambda kw: "traf"),
        (library_meta, "find_date", lambda kw: "traf"),
        (features, "analyse", lambda kw: "features"),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in targets]

    def timed(fn: Callable[..., Any], bucket: Callable[[dict[str, Any]], str]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[bucket(kwargs)] += time.perf_counter() - started

        return run

    def held(fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            tree = fn(*args, **kwargs)
            parsed.append(tree)
            return tree

        return run

    for (module, name, bucket), (_, _, fn) in zip(targets, saved, strict=True):
        setattr(module, name, timed(held(fn) if name == "load_html" else fn, bucket))
    try:
        started = time.perf_counter()
        for case in cases:
            _clean_one(case)
            freeing = time.perf_counter()
            parsed.clear()
            spent["release"] += time.perf_counter() - freeing
        total = time.perf_counter() - started
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)
    per_page = 1000 / len(cases)
    return Attribution(
        trafilatura=spent["traf"] * per_page,
        own=(total - spent["traf"]) * per_page,
        recheck=spent["recheck"] * per_page,
        features=spent["features"] * per_page,
        release=spent["release"] * per_page,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--cases",
        type=Path,
        default=CASES,
        help="the publisher-pages set: a cases.jsonl.gz file or a folder of cases-*.jsonl.gz",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per page (best is kept); 0: no timing")
    parser.add_argument("--failures", action="store_true", help="list the pages each field is wrong on")
    parser.add_argument("--field", action="append", choices=FIELDS, help="only these fields' failures")
    parser.add_argument("--only", help="only cases whose id contains this")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare trafilatura rows")
    args = parser.parse_args()
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    if not args.cases.exists():
        print(f"skipped: no publisher-pages cases at {args.cases}")
        return
    cases = load_cases(args.cases)
    if args.only:
        cases = [c for c in cases if args.only in c["id"]]
    # a worker's start-up (its warm-up page cleaned, the state it built frozen) and first-call
    # loads are not per-page cost
    import_module("workers.extract_warmup")
    clean(raw_story(cases[0]))
    runners: list[tuple[str, Callable[[Sequence[Mapping[str, Any]]], dict[str, Extracted]]]] = [
        ("newswire clean()", ours)
    ]
    if not args.no_bare:
        runners += [("trafilatura bare_extraction+meta", bare)]
    print(f"{len(cases)} pages, {sum(len(c['html']) for c in cases) / 1e6:.1f} MB of HTML")
    print(f"{'extractor':34} {'headline':>8} {'date':>6} {'authors':>7} {'body F1':>7} {'events':>7}")
    results: dict[str, tuple[dict[str, Extracted], Scores]] = {}
    for name, fn in runners:
        got = fn(cases)
        s = score(cases, got)
        results[name] = (got, s)
        print(f"{name:34} {s.headline:8.3f} {s.date:6.3f} {s.authors:7.3f} {s.body:7.3f} {s.extracted:>3}/{s.pages:<3}")
    if args.repeat > 0:
        ours_ms, base_ms = step_cost(cases, args.repeat)
        print(
            f"ms/page (best of {args.repeat}, interleaved): newswire clean() {ours_ms:.1f}, "
            f"trafilatura with clean()'s options {base_ms:.1f}; the cleaning step's own cost: "
            f"{100 * (ours_ms - base_ms) / base_ms:.1f}% of trafilatura's time (target <= 15%)"
        )
        cost = attributed_cost(cases)
        # freeing trafilatura's parse is trafilatura's cost: bare trafilatura pays it as well
        traf = cost.trafilatura + cost.release
        cleaning = cost.own - cost.features - cost.release
        print(
            f"within each clean() call: trafilatura {traf:.1f} ms/page (freeing its parsed page"
            f" {cost.release:.1f} among it, as bare trafilatura pays it); the cleaning's own work"
            f" {cleaning:.1f} ms/page = {100 * cleaning / traf:.1f}% of trafilatura's time (target <= 15%),"
            f" the default-mode recheck (trafilatura run again) {cost.recheck:.1f} ms/page among it;"
            f" besides it, the threading features the clean stage computes for the decider"
            f" {cost.features:.1f} ms/page ({100 * cost.features / traf:.1f}%;"
            f" with them {100 * (cleaning + cost.features) / traf:.1f}%)"
        )
    if args.failures:
        got, s = results["newswire clean()"]
        _show_failures(cases, got, s, args.field or FIELDS)


if __name__ == "__main__":
    main()
