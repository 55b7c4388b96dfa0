"""Threading throughput and quality on a synthetic labelled stream, against bare baselines.

Run: ``.venv/bin/python bench/bench_thread.py [--articles 20000] [--brute 2000]``

The stream mimics a wire day: originals (~300 words), syndicated copies on other sites (dateline
and credit added), revisions (same guid, a paragraph added), follow-ups (two quoted paragraphs
inside new reporting) and same-template hard negatives (one template, different names/numbers).
Each system gets the same articles in time order and is scored for decisions/second and pairwise
same-story F1 against the generator's labels.

Baselines (doing the same shingling, no threading logic beyond "nearest above a threshold"):
* ``datasketch`` MinHashLSH (128 permutations, Jaccard threshold 0.5): *bench-only* dependency
  (``pip install datasketch``), never a runtime one.
* brute-force exact Jaccard scan over every earlier article (quadratic: run on a prefix).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench._build  # first: the decider's modules as the daemon runs them
from workers import features, shingles
from workers import thread as thread_module
from workers.scoring import pairwise_scores
from workers.thread import Decision, StoryIndex, ThreadInput, ThreadSettings, decide_and_apply, thread_input

# Live-window measurements (``--live N``): decisions/s with N articles in the index, and the
# index's own memory per article (tracemalloc, on a smaller prefill: tracing slows everything).

T0 = datetime(2026, 5, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Labelled:
    item: ThreadInput
    thread: str


def _pseudo_word(i: int) -> str:
    """A letters-only word per index (digits would make every word look like a number)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = letters[i % 26]
    i //= 26
    while i:
        out += letters[i % 26]
        i //= 26
    return out + "a"


def _words(rng: random.Random, vocab: list[str], n: int) -> str:
    return " ".join(rng.choice(vocab) for _ in range(n))


def _sentence(rng: random.Random, vocab: list[str], names: list[str], n: int) -> str:
    toks = [rng.choice(vocab) for _ in range(n)]
    for _ in range(max(1, n // 8)):
        toks[rng.randrange(1, n)] = rng.choice(names)
    return toks[0].capitalize() + " " + " ".join(toks[1:]) + "."


def _paragraph(rng: random.Random, vocab: list[str], names: list[str]) -> str:
    return " ".join(_sentence(rng, vocab, names, rng.randint(14, 24)) for _ in range(2))


def _mk(key: str, title: str, text: str, at: datetime, *, site: str, guid: str = "") -> ThreadInput:
    return thread_input(key, title, text, at, site=site, guid=guid)


def synthetic_stream(n: int, seed: int = 1) -> list[Labelled]:
    """About ``n`` labelled articles in time order (roughly 1,000 per simulated day)."""
    rng = random.Random(seed)
    vocab = [_pseudo_word(i) for i in range(30000)]
    names = [_pseudo_word(i).capitalize() + "son" for i in range(20000)]
    templates = [[_words(rng, vocab, 12) for _ in range(6)] for _ in range(40)]
    out: list[Labelled] = []
    pending: list[tuple[float, Labelled]] = []
    t = 0.0
    story = 0
    while len(out) + len(pending) < n:
        t += 86400 / 600
        story += 1
        sid = f"T{story}"
        people = [rng.choice(names) for _ in range(6)]
        at = T0 + timedelta(seconds=t)
        if rng.random() < 0.15:  # same-template text with its own names and numbers
            tpl = rng.choice(templates)
            paras = [
                f"{people[i % 6]} {line} {rng.randint(10, 999)} {people[(i + 1) % 6]} {tail}."
                for i, line in enumerate(tpl)
                for tail in (_words(rng, vocab, 4),)
            ]
        else:
            paras = [_paragraph(rng, vocab, people) for _ in range(6)]
        title = f"{people[0]} {_words(rng, vocab, 5)}"
        text = "\n\n".join(paras)
        url = f"https://wire.example/{story}"
        out.append(Labelled(_mk(url, title, "CITY, May 1 (Wire) - " + text, at, site="wire.example"), sid))
        for c in range(rng.choice((0, 0, 1, 2))):  # syndicated copies
            copy = text + "\n\nThis article was originally published by Wire."
            dt = rng.uniform(600, 7200)
            item = _mk(f"https://site{c}.example/{story}", title, copy, at + timedelta(seconds=dt), site=f"s{c}")
            pending.append((t + dt, Labelled(item, sid)))
        if rng.random() < 0.2:  # revision: same guid, a paragraph added
            dt = rng.uniform(3600, 14400)
            rev = text + "\n\n" + _paragraph(rng, vocab, people)
            pending.append(
                (t + dt, Labelled(_mk(url, title, rev, at + timedelta(seconds=dt), site="wire.example"), sid))
            )
        if rng.random() < 0.3:  # follow-up: two quoted paragraphs inside new reporting
            dt = rng.uniform(20000, 200000)
            quoted = rng.sample(paras, 2)
            body = [_paragraph(rng, vocab, people[:3]), quoted[0], _paragraph(rng, vocab, people), quoted[1]]
            fu = _mk(
                f"https://wire.example/{story}-f",
                f"{people[0]} {_words(rng, vocab, 5)}",
                "\n\n".join(body),
                at + timedelta(seconds=dt),
                site="wire.example",
            )
            pending.append((t + dt, Labelled(fu, sid)))
        ready = sorted((p for p in pending if p[0] <= t), key=lambda p: p[0])
        pending = [p for p in pending if p[0] > t]
        out.extend(lab for _, lab in ready)
    out.extend(lab for _, lab in sorted(pending, key=lambda p: p[0]))
    return out[:n]


def pairwise_f1(pred: list[str], truth: list[str]) -> float:
    """Pairwise same-story F1 of the stream's stories against its threads (``workers.scoring``,
    as ``newswire replay --score`` counts it)."""
    return pairwise_scores(dict(enumerate(pred)), dict(enumerate(truth))).f1


def shingle_set(item: ThreadInput) -> set[int]:
    return {h for h in shingles.shingle_hashes(item.text, 5, 2000) if h}


def run_ours(stream: list[Labelled]) -> tuple[float, list[str], dict[str, int]]:
    index = StoryIndex(ThreadSettings())
    pred: list[str] = []
    last_expire = T0
    start = time.perf_counter()
    for lab in stream:
        decision, _ = decide_and_apply(index, lab.item)
        pred.append(decision.story_id)
        now = lab.item.published or T0
        if now - last_expire > timedelta(hours=1):
            index.expire(now)
            last_expire = now
    return time.perf_counter() - start, pred, index.stats()


def run_minhash_lsh(stream: list[Labelled]) -> tuple[float, list[str]]:
    # Bench-only dependency, imported here so the bench runs (without this row) when it is absent.
    from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    story_of: dict[str, str] = {}
    pred: list[str] = []
    start = time.perf_counter()
    for i, lab in enumerate(stream):
        m = MinHash(num_perm=128)
        m.update_batch([h.to_bytes(8, "big") for h in shingle_set(lab.item)])
        aid = lab.item.article_id
        if aid in story_of:
            pred.append(story_of[aid])
            continue
        hits = sorted(lsh.query(m))
        story = story_of[hits[0]] if hits else f"L{i}"
        story_of[aid] = story
        lsh.insert(aid, m)
        pred.append(story)
    return time.perf_counter() - start, pred


def run_brute(stream: list[Labelled]) -> tuple[float, list[str]]:
    seen: list[tuple[str, set[int]]] = []
    story_of: dict[str, str] = {}
    pred: list[str] = []
    start = time.perf_counter()
    for i, lab in enumerate(stream):
        s = shingle_set(lab.item)
        aid = lab.item.article_id
        if aid in story_of:
            pred.append(story_of[aid])
            continue
        best, best_j = None, 0.5
        for other, o in seen:
            j = len(s & o) / len(s | o) if s or o else 0.0
            if j >= best_j:
                best, best_j = other, j
        story = story_of[best] if best else f"B{i}"
        story_of[aid] = story
        seen.append((aid, s))
        pred.append(story)
    return time.perf_counter() - start, pred


def cleaned(item: ThreadInput) -> ThreadInput:
    """The input as the thread stage receives it: with the text features the clean stage
    computed (in its parallel processes, so outside the decider's time)."""
    return replace(item, analysis=features.analyse(item.title, item.text))


def _digest(decisions: list[Decision]) -> str:
    """A short hash of the decisions with their evidence: equal digests, same decisions."""
    h = hashlib.sha256()
    for d in decisions:
        h.update(repr((d.kind, d.story_id, d.version, d.update_kind, d.matched_article_id)).encode())
        h.update(repr(sorted(d.evidence.items())).encode())
    return h.hexdigest()[:16]


class FullCollections:
    """Python's full collections during the timed decisions, and their share of a steady run.

    CPython collects its oldest generation once the objects that survived into it since the
    last full collection are a quarter of those it holds; so a run of a few thousand
    decisions has none, or one that costs as much as hundreds of decisions. The run starts
    right after a collection and counts those it meets; :meth:`steady_share` then times one full
    collection with the index held and spreads it over the decisions between two of them
    (from the objects the decisions left behind): the steady share of a long run."""

    def __init__(self, clock: Callable[[], float] = time.process_time) -> None:
        self.pauses: list[float] = []  # seconds of ``clock`` each full collection took
        self._clock = clock
        self._started = 0.0
        gc.collect()
        self.tracked_before = len(gc.get_objects())

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = self._clock()
        else:
            self.pauses.append(self._clock() - self._started)

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._on_gc)

    def steady_share(self, decisions: int) -> tuple[float, float, int, int]:
        """(seconds per decision, one full collection's seconds, decisions between two, objects
        it walked), on the clock the pauses are timed by (CPU by default), once the caller has
        let go of what it kept of the decisions."""
        started = self._clock()
        gc.collect()
        full = self._clock() - started
        held = len(gc.get_objects())
        grown = max(1, held - self.tracked_before) / decisions
        between = round(held / 4 / grown)
        return full / between, full, between, held


# Passes of the timed decisions on an index restored from the fill's changelog (``run_live``).
RESTORED_PASSES = 2


def run_live(live: int, measure: int, memory_sample: int, text_only: bool = False) -> None:
    """Decisions/s (decide + apply, coverage on) with ``live`` articles in the window, and the
    index's bytes per article measured with tracemalloc over ``memory_sample`` articles. The
    inputs carry the clean stage's features unless ``text_only`` (records without them)."""
    import tracemalloc

    # Copies are not indexed (a duplicate joins its story as a decision only), so the stream is
    # longer than the window: the fill stops when exactly ``live`` articles are live.
    stream: list[Labelled | None] = list(synthetic_stream(live + live // 4 + measure, seed=3))
    prepare = (lambda item: item) if text_only else cleaned
    # Everything inside one candidate window, so all ``live`` articles are candidates by time.
    settings = ThreadSettings(candidate_window=timedelta(days=365), expiry=timedelta(days=400))
    index = StoryIndex(settings)
    # Each input is let go once decided, as the threader lets a record go: inputs held for the
    # whole run (~30 objects each with their features) would be the bulk of what Python's
    # collector walks, and a full collection landing among the timed decisions cost them a
    # third of their time at 60k live, for objects the threader never holds.
    filled = 0
    # The compacted changelog of the fill (the last value of each key, in the order of the last
    # writes, as compaction keeps them): what a takeover restores, for the passes below.
    changelog: dict[str, bytes | None] = {}
    while len(index._articles) < live:
        lab = stream[filled]
        assert lab is not None
        for key, value in decide_and_apply(index, prepare(lab.item))[1]:
            changelog.pop(key, None)
            changelog[key] = value
        stream[filled] = None
        filled += 1
    inputs = [prepare(lab.item) for lab in stream[filled : filled + measure] if lab is not None]
    assert len(inputs) == measure, "the stream ran out before the timed decisions"
    del stream
    # The candidates' unpacked features the index keeps between decisions are a bounded cache
    # (``_PROBES`` entries whatever the window), cleared whole when full: emptied before both
    # counts of tracked objects, so the steady share below follows the index's own growth (and
    # the timed decisions start with it cold).
    index._probes.clear()
    collections = FullCollections()
    decisions = []
    wall, cpu = time.perf_counter(), time.process_time()
    with collections:
        for item in inputs:
            decisions.append(decide_and_apply(index, item)[0])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    kinds = Counter(d.kind if d.update_kind is None else f"{d.kind}/{d.update_kind}" for d in decisions)
    digest = _digest(decisions)
    del decisions
    index._probes.clear()
    share, full, between, held = collections.steady_share(measure)
    steady = measure / (cpu - sum(collections.pauses) + share * measure)
    # CPU time of this process (one core) is the figure: wall time on a shared machine also
    # counts other processes' turns.
    print(
        f"live window: {live} articles ({index.stats()['articles']} after); {measure} decisions: "
        f"{measure / cpu:.0f}/s of one core's CPU time ({measure / wall:.0f}/s wall); "
        f"{'text analysed by the decider' if text_only else 'features from the clean stage'}"
    )
    print(f"decision kinds: {dict(sorted(kinds.items()))}; digest {digest}")
    print(
        f"full collections among them: {len(collections.pauses)} ({sum(collections.pauses):.2f} s CPU); "
        f"one now: {full * 1e3:.0f} ms CPU over {held} tracked objects, every ~{between} decisions "
        f"in a steady run: {share * 1e6:.0f} us per decision, {steady:.0f}/s with that share instead of the ones met"
    )

    # The same decisions again on the index a takeover builds (the changelog restored into a
    # fresh one), twice: one pass of a second is at the mercy of a shared host's slow moments, and
    # the median of the three says more of the code. The same digest, or it is no such pass.
    del index
    rates = [measure / cpu]
    for _ in range(RESTORED_PASSES):
        again = StoryIndex(settings)
        for key, value in changelog.items():
            again.restore(key, value)
        again.settle()
        gc.collect()
        cpu = time.process_time()
        repeated = [decide_and_apply(again, item)[0] for item in inputs]
        rates.append(measure / (time.process_time() - cpu))
        assert _digest(repeated) == digest, "a restored index decided otherwise"
        del again, repeated
    del changelog
    print(
        f"the same {measure} decisions on the index restored from the fill's changelog, "
        f"{RESTORED_PASSES} passes: {', '.join(f'{r:.0f}/s' for r in rates[1:])} (same digest); "
        f"median of the three passes {statistics.median(rates):.0f}/s"
    )

    sample = synthetic_stream(memory_sample, seed=4)
    items = [lab.item for lab in sample]
    # Warm the process-wide term-hash cache (bounded, the same size however many articles are
    # live) outside the measurement: what is left is the index's own memory.
    warm = StoryIndex(settings)
    for item in items:
        warm.decide(item)
    del warm
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    mem_index = StoryIndex(settings)
    for item in items:
        d = mem_index.decide(item)
        mem_index.apply(item, d)
        del d
    cached = len(mem_index._probes)
    with_cache = tracemalloc.get_traced_memory()[0]
    mem_index._probes.clear()  # bounded, the same at any window: shown apart
    after = tracemalloc.get_traced_memory()[0]
    # Recent fingerprint postings sit in a dict until the packed table takes them in (every
    # 131k postings, ~9k articles): at a few thousand articles that is all of them.
    mem_index._merge()
    merged = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    n = mem_index.stats()["articles"]
    print(
        f"index memory (tracemalloc): {(after - before) / n:.0f} bytes per article over {n} articles; "
        f"{(merged - before) / n:.0f} once the recent fingerprint postings are merged into the packed table; "
        f"apart, the cache of unpacked candidates: {(with_cache - after) / 2**20:.1f} MiB for {cached} entries "
        f"(at most {thread_module._PROBES} whatever the window)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=20000)
    ap.add_argument("--brute", type=int, default=2000, help="prefix size for the quadratic scan")
    ap.add_argument("--live", type=int, default=0, help="also time decisions with this many articles live")
    ap.add_argument("--measure", type=int, default=2000, help="decisions timed at --live")
    ap.add_argument("--memory-sample", type=int, default=3000, help="articles traced for bytes/article")
    ap.add_argument("--text-only", action="store_true", help="--live inputs without the clean stage's features")
    args = ap.parse_args()
    print(bench._build.build_line())
    if args.live:
        run_live(args.live, args.measure, args.memory_sample, args.text_only)
    if not args.articles:
        return
    stream = synthetic_stream(args.articles)
    truth = [lab.thread for lab in stream]
    rows: list[tuple[str, int, float, float]] = []

    secs, pred, stats = run_ours(stream)
    rows.append(("newswire StoryIndex", len(stream), secs, pairwise_f1(pred, truth)))
    runners: list[tuple[str, Callable[[list[Labelled]], tuple[float, list[str]]], int]] = [
        ("datasketch MinHashLSH J>=0.5", run_minhash_lsh, len(stream)),
        ("brute-force Jaccard J>=0.5", run_brute, args.brute),
    ]
    for name, fn, n in runners:
        try:
            s, p = fn(stream[:n])
        except ImportError:
            print(f"{name}: skipped (pip install datasketch)")
            continue
        rows.append((name, n, s, pairwise_f1(p, truth[:n])))
    if args.brute:
        s, p, _ = run_ours(stream[: args.brute])
        rows.append(("newswire StoryIndex (prefix)", args.brute, s, pairwise_f1(p, truth[: args.brute])))

    print(f"{'system':32} {'articles':>8} {'seconds':>8} {'decisions/s':>12} {'pair F1':>8}")
    for name, n, s, f1 in rows:
        print(f"{name:32} {n:8d} {s:8.2f} {n / s:12.0f} {f1:8.3f}")
    per = stats["approx_bytes"] / max(1, stats["articles"])
    print(f"index after run: {stats} (~{per / 1024:.1f} KB per indexed article)")


if __name__ == "__main__":
    main()
