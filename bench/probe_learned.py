"""Probe: does a learned combination of the gates' measures recover the coverage they miss?

Run: ``.venv/bin/python -m bench.probe_learned [--shared ../shared] [--threshold 0.9 0.95]``
(numpy only; NewsWCL50 joins when ``--shared`` holds it, else the fictional sets alone).

The coverage relation is a conjunction of thresholds (``workers/coverage.py``: the input's
headline names found in the story, the story's headline words in the input, a damped
similarity, shared names, figures, the protagonist), each tuned by hand. Miranda et al. 2018,
which issue 8 cites, instead learn how to weigh the similarities of an input and a cluster.
This script asks whether the same measures, weighed by a model, separate the reports the rules
keep out of their event's story from the look-alikes and other events they keep out too:

1. every corpus (coverage-dev and the eight held-out sets of ``tests/data``, in time order and
   with every article on one day; NewsWCL50 with an event a day and on one day) is decided by
   the rules, every candidate story judged (the decider's pruning, a necessary condition of a
   pass, switched off: the decisions do not change), and each judgement that fails, and was
   not kept apart by a word or a move, becomes a row: the measures, and whether the story is
   the input's event (its members' most common label);
2. a logistic regression (L2, Newton's method) is fitted to the rows, leaving one corpus out
   at a time (a set with its one-day variant; NewsWCL50's two together);
3. each corpus is decided again with the rules *or* the model that never saw it (probability
   at least ``--threshold``; the words and moves that set a report apart still veto), in time
   order, on one day and in three arrival orders, beside the rules alone.

Result (2026-12-04, tfidf-names-v14; 5,098 failed judgements, 211 of them the input's event):
the model recovers coverage the rules miss, at the rules' old price. At 0.95, in time order,
recall rises on every held-out set but the first (set 2 0.816 -> 0.971, set 3 0.714 -> 0.827,
set 4 0.786 -> 0.841, set 5 0.785 -> 0.841, set 6 0.721 -> 0.766, set 8 0.611 -> 0.685;
NewsWCL50 with an event a day 0.920 -> 0.960) while precision falls on four (set 1 1.000 ->
0.968, set 2 0.966 -> 0.952, set 6 1.000 -> 0.977, set 7 0.986 -> 0.973; look-alike pairs
merged 14 -> 18 of 456): set 1's minimum-wage rise announced the day the pension law passed,
set 6's court upholding a pension reform the day it struck down the data law, set 8's nurse
recruitment beside the vaccination drive. Those are the look-alikes of the same setting on the
same day, which every measure the rules have already scores as coverage; only rules or models
reading *what* happened would tell them apart. Stories of one report only, or a threshold of
0.98, keep the same wrong joins. Not adopted: the issue asks for precision of at least 0.98,
and the trade is the one every rule relaxed so far has made; it would also judge the stories
the pruning skips today (the decider's speed).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench import bench_coverage as bc
from workers import coverage
from workers.thread import StoryIndex, ThreadSettings

FEATURES = (
    "head_in_story",
    "story_head_in_input",
    "subject_named",
    "shared_idf",
    "numbers_in_story",
    "figures_compared",
    "telling_figure",
    "protagonist_named",
    "damped",
    "cosine",
    "story_cosine",
    "log_gap_hours",
    "log_members",
    "other_language",
    "headline_names",
)
Row = dict[str, Any]
Model = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]  # mean, scale, weights


def measures(
    raw: coverage.RawTerms,
    me: Any,
    my_vec: coverage.Vector,
    members: Sequence[coverage.Stored],
    w: Callable[[int], float],
    vector: Callable[[coverage.Stored], coverage.Vector],
    c: coverage.CoverageSettings,
    telling: Any,
    min_telling: float,
    j: coverage.Judgement,
) -> list[float]:
    """The gates' measures of one judgement, as ``coverage._gates`` computes them, and the
    story's centroid cosine (which the judgement computes only when it decides)."""
    my_figures = me.stored.figures if isinstance(me, coverage.TextProbe) else me.cov.figures
    foreign = coverage.in_other_language(raw, members, c)
    r = coverage.written_alike(raw) if foreign else raw
    prominent = coverage._prominent(members)
    names = coverage._story_names(members, prominent)
    subject = any(coverage._rarest_name_found(m, r.counts, w) for m in members) or (
        c.rare_subject_only
        and math.isfinite(min_telling)
        and all(coverage._rarest_name_idf(m, w) < min_telling for m in members)
    )
    story_figures = {h for m in members for h in m.cov.figures}
    same = members if foreign else (coverage.in_language(raw, members) or members)
    return [
        coverage._head_in_story(r, prominent, w, c, names, min_telling),
        j.story_head_in_input,
        float(subject),
        sum(w(h) for h in r.name_hashes if h in names),
        coverage.weighted_share(my_figures, story_figures, w),
        float(min(len(my_figures), len(story_figures))),
        float(any(h in telling and h in story_figures and w(h) >= min_telling for h in my_figures)),
        float(coverage._protagonist_named(r, names, w, c)),
        j.damped,
        j.cosine,
        coverage.cosine(my_vec, coverage.centroid(vector(m) for m in same)),
        math.log1p(j.gap_hours),
        math.log(len(members)),
        float(foreign),
        float(len(r.headline)),
    ]


@contextmanager
def patched(on_failed: Callable[..., bool]) -> Iterator[None]:
    """The decider with every candidate story judged, and ``on_failed`` asked of each failed
    judgement not set apart (its measures, the members' article ids): True passes it."""
    judge, gated, may_pass = coverage.judge, coverage.gated_headline_share, coverage.may_pass

    def judged(raw: Any, me: Any, my_vec: Any, hits: Any, members: Any, w: Any, vector: Any, c: Any, *rest: Any) -> Any:
        j = judge(raw, me, my_vec, hits, members, w, vector, c, *rest)
        if j.passed or j.set_apart or j.moves_apart:
            return j
        telling, min_telling = rest if rest else (frozenset(), math.inf)
        x = measures(raw, me, my_vec, members, w, vector, c, telling, min_telling, j)
        if on_failed(x, [m.article_id for m in members]):
            return dataclasses.replace(j, passed=True)
        return j

    setattr(coverage, "judge", judged)  # noqa: B010 (a probe's patch: the signature is the original's)
    setattr(coverage, "gated_headline_share", lambda *a, **k: None)  # noqa: B010
    setattr(coverage, "may_pass", lambda *a, **k: True)  # noqa: B010
    try:
        yield
    finally:
        setattr(coverage, "judge", judge)  # noqa: B010
        setattr(coverage, "gated_headline_share", gated)  # noqa: B010
        setattr(coverage, "may_pass", may_pass)  # noqa: B010


def rows_of(cases: list[bc.Case]) -> list[Row]:
    """The failed judgements of a time-ordered run under the rules, labelled."""
    by_article = {c.item.article_id: c for c in cases}
    out: list[Row] = []
    current: list[bc.Case] = []

    def record(x: list[float], members: list[str]) -> bool:
        labels = [by_article[a].truth for a in members]
        story = max(sorted(set(labels)), key=labels.count)
        out.append({"x": x, "label": int(story == current[0].truth), "role": current[0].role})
        return False

    index = StoryIndex(ThreadSettings())
    with patched(record):
        for c in sorted(cases, key=lambda c: (c.item.published or bc.D0, c.id)):
            current[:] = [c]
            index.apply(c.item, index.decide(c.item))
    return out


def fit(rows: Sequence[Row], l2: float = 1.0, steps: int = 50) -> Model:
    """L2-regularised logistic regression on standardised measures, by Newton's method."""
    x = np.array([r["x"] for r in rows], np.float64)
    y = np.array([r["label"] for r in rows], np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # no penalty on the intercept
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ beta))
        grad = z.T @ (p - y) + penalty * beta
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    return mean, scale, beta


def probability(model: Model, x: Sequence[float]) -> float:
    mean, scale, beta = model
    z = float(np.append((np.asarray(x) - mean) / scale, 1.0) @ beta)
    return 1 / (1 + math.exp(-z))


def decide(cases: list[bc.Case], model: Model | None, threshold: float, seed: int | None = None) -> bc.Score:
    def rescue(x: list[float], members: list[str]) -> bool:
        return model is not None and probability(model, x) >= threshold

    with patched(rescue):
        decisions = bc.run(cases, seed=seed)[0]
    return bc.score(cases, decisions, 1.0)


def corpora(shared: Path | None) -> dict[str, list[tuple[str, list[bc.Case]]]]:
    """Each corpus left out as a whole: its variants (time order as given, one day)."""
    out: dict[str, list[tuple[str, list[bc.Case]]]] = {}
    for name, path in (("coverage-dev", bc.COVERAGE_DEV), *bc.HELD_OUT_SETS):
        cases = bc.dev_cases(path)
        out[name] = [("", cases), ("one day", bc.on_one_day(cases))]
    wcl = shared / "corpus" / "newswcl50-coverage.jsonl" if shared else None
    if wcl is not None and wcl.exists():
        out["newswcl50"] = [
            ("event a day", bc.wcl_cases(wcl, same_day=False)),
            ("one day", bc.wcl_cases(wcl, same_day=True)),
        ]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--threshold", type=float, nargs="+", default=[0.9, 0.95])
    ap.add_argument("--orders", type=int, default=3)
    args = ap.parse_args(argv)
    sets = corpora(args.shared)
    rows = {name: [r for _, cases in variants for r in rows_of(cases)] for name, variants in sets.items()}
    total = sum(len(r) for r in rows.values())
    same = sum(r["label"] for rs in rows.values() for r in rs)
    print(f"{total} failed judgements, {same} of them the input's event")
    print(f"{'corpus':34} {'rules':>24} " + " ".join(f"{'model >= ' + str(t):>24}" for t in args.threshold))

    def cell(s: bc.Score) -> str:
        return f"P {s.precision:.3f} R {s.recall:.3f} {s.lookalike_merged:>2}/{s.lookalike_pairs:<3}"

    for name, variants in sets.items():
        model = fit([r for other, rs in rows.items() if other != name for r in rs])
        for label, cases in variants:
            for seed in (None, *range(args.orders)) if not label else (None,):
                tag = f"{name} {label or ('time order' if seed is None else f'order {seed}')}"
                scores = [decide(cases, None, 1.0, seed)] + [decide(cases, model, t, seed) for t in args.threshold]
                print(f"{tag:34} " + " ".join(f"{cell(s):>24}" for s in scores), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
