"""Decider at scale: takeover time, memory and decision latency with N articles live.

Run: ``.venv/bin/python bench/bench_decider_scale.py [--live 100000] [--measure 2000]``
(``NEWSWIRE_BENCH_LIVE=1000000`` sets the default of ``--live``; issue 11 asks for 1M).

What a takeover does is replay the compacted changelog into a fresh ``StoryIndex``; so that is
what is timed here ("takeover ready"), from a file of changelog entries (the lower bound: the
Kafka fetch is not included). Steps:

1. Pool: ``--pool`` synthetic wire articles (bench_thread's generator: originals, copies,
   revisions, follow-ups, same-template look-alikes; ~1,000 a simulated day, so 6,000 fill six
   days of the default 7-day window) go through the real ``decide`` + ``apply``; the compacted
   changelog (last value per key) is kept.
2. Fill: the pool's records are cloned, story by story, until N articles are live. A clone is
   the same record with its shingle hashes remapped by a per-clone bijection (so its
   fingerprints are its own, as a different text's would be), its names and figures remapped
   into one of ``NAME_GROUPS`` name vocabularies (a week of news has many more names than one
   pool, but names do recur), its ordinary words kept (a language's vocabulary does not grow
   with volume), and fresh article and story ids of the real lengths. Analysing 1M texts for
   real would take ~25 CPU minutes (``decide`` costs ~1.5 ms of analysis per article); the
   clones cost the index exactly what analysed articles of the same shape cost.
3. Takeover: a fresh process restores every entry and settles the index (the postings merged,
   as the threader's take-over does; timed, wall and CPU), then reads its RSS
   (``/proc/self/status``) against the RSS before the restore.
4. Decisions: the stream continues after the pool (fresh inputs, some copies, revisions and
   follow-ups of pool articles, so some join stories): each ``decide`` + ``apply`` is timed
   (wall and this process's CPU time); p50/p99, decisions/s, GC pauses during the run.
5. Where the memory goes: tracemalloc over a restore of ``--trace`` articles, by source line.
6. Option (b), records on disk: how many distinct stored articles a decision touches (an
   instrumented pass), and what a random get + decode of one record costs from SQLite (and
   rocksdict when installed: ``pip install rocksdict``, bench-only) holding all N records.

The machine is shared: the load average is printed with the figures; CPU time per decision is
the figure that other processes' turns do not inflate.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import hashlib
import os
import pstats
import random
import resource
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
from array import array
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench._build  # first: the decider's modules as the daemon runs them
import workers.thread as thread_mod
from bench.bench_thread import FullCollections, cleaned, synthetic_stream
from newswire.runtime import release_free_memory
from workers import coverage_vectors
from workers.thread import (
    ARTICLE_PREFIX,
    STORY_PREFIX,
    StoryIndex,
    ThreadInput,
    ThreadSettings,
    _Article,
    _decode_article,
    _decode_story,
    _encode_article,
    _encode_story,
    _Story,
    decide_and_apply,
    story_id_for,
)

SEED = 3
NAME_GROUPS = 64
TOUCH = 300
_M32 = 0xFFFFFFFF
_REC = struct.Struct("<II")


def _mix(h: int, salt: int) -> int:
    """A bijection of 32-bit values per salt (xor, then multiply by an odd constant)."""
    return (((h ^ salt) * 0x9E3779B1) & _M32) or 1


def _salt(tag: str) -> int:
    return int.from_bytes(hashlib.blake2b(tag.encode(), digest_size=4).digest(), "little")


def _clone_id(article_id: str, copy: int) -> str:
    return hashlib.blake2b(f"{article_id}/{copy}".encode(), digest_size=10).hexdigest()


def write_entry(out: BinaryIO, key: str, value: bytes) -> None:
    k = key.encode()
    out.write(_REC.pack(len(k), len(value)))
    out.write(k)
    out.write(value)


def read_entries(path: Path) -> Iterator[tuple[str, bytes]]:
    with path.open("rb") as f:
        while head := f.read(_REC.size):
            kl, vl = _REC.unpack(head)
            yield f.read(kl).decode(), f.read(vl)


def _rss() -> int:
    """Resident set size now (bytes), from /proc (ru_maxrss is only the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


# ---------------------------------------------------------------------------------- fill


def stream_items(pool: int, measure: int) -> list[ThreadInput]:
    """The one synthetic stream: the pool, then the measured inputs, then 300 more for the
    instrumented pass (the generator's prefix depends on its length, so it is always this one)."""
    return [lab.item for lab in synthetic_stream(pool + measure + TOUCH, seed=SEED)]


def pool_changelog(items: list[ThreadInput], settings: ThreadSettings) -> dict[str, bytes]:
    """The compacted changelog (last value per key) of ``items`` decided for real."""
    index = StoryIndex(settings)
    log: dict[str, bytes] = {}
    for item in items:
        _, entries = decide_and_apply(index, item)
        for k, v in entries:
            if v is None:
                log.pop(k, None)
            else:
                log[k] = v
    return log


def clone_article(a: _Article, copy: int, id_of: dict[str, str]) -> _Article:
    text_salt = _salt(f"text/{copy}")
    name_salt = _salt(f"names/{copy % NAME_GROUPS}")
    names = set(a.cov.names) | set(a.cov.figures)

    def nm(h: int) -> int:
        return _mix(h, name_salt)

    def term(h: int) -> int:
        return nm(h) if h in names else h

    pairs = sorted(zip((term(h) for h in a.cov.terms), a.cov.tf, strict=True))
    cov = coverage_vectors.CoverageFeatures(
        array("I", (h for h, _ in pairs)),
        array("B", (t for _, t in pairs)),
        array("I", sorted(nm(h) for h in a.cov.names)),
        array("I", sorted(term(h) for h in a.cov.headline)),
        array("I", sorted(nm(h) for h in a.cov.figures)),
    )
    return _Article(
        article_id=id_of[a.article_id],
        story_id=story_id_for(f"{a.story_id}/{copy}"),
        time=a.time,
        content_hash=hashlib.sha256(f"{a.content_hash}/{copy}".encode()).hexdigest(),
        seq=array("I", (_mix(h, text_salt) if h else 0 for h in a.seq)),
        entities=array("I", sorted(nm(h) for h in a.entities)),
        title=array("I", sorted(term(h) for h in a.title)),
        title_names=array("I", sorted(nm(h) for h in a.title_names)),
        posted=a.posted,
        site=a.site,
        cov=cov,
    )


def write_fill(path: Path, pool: dict[str, bytes], live: int) -> tuple[int, int]:
    """Write the changelog of ``live`` articles (pool first, then clones story by story)."""
    stories: dict[str, _Story] = {}
    members: dict[str, list[_Article]] = {}
    for k, v in pool.items():
        if k.startswith(STORY_PREFIX):
            s = _decode_story(v)
            stories[s.story_id] = s
        else:
            a = _decode_article(v)
            members.setdefault(a.story_id, []).append(a)
    order = sorted(members)
    n_articles = n_stories = 0
    settings = ThreadSettings()
    fps_key = StoryIndex(settings)._fps_key

    def record(a: _Article) -> bytes:
        """The article's changelog record as the decider writes it (fingerprints included)."""
        return _encode_article(a, thread_mod.fingerprints(settings, a.seq) if a.posted else None, fps_key)

    with path.open("wb") as out:
        copy = 0
        while n_articles < live:
            for sid in order:
                if n_articles >= live:
                    break
                arts = members[sid]
                story = stories.get(sid)
                if copy == 0:
                    if story is not None:
                        write_entry(out, STORY_PREFIX + sid, _encode_story(story))
                    for a in arts:
                        write_entry(out, ARTICLE_PREFIX + a.article_id, record(a))
                else:
                    id_of = {a.article_id: _clone_id(a.article_id, copy) for a in arts}
                    if story is not None:
                        root = id_of.get(story.root_article_id) or _clone_id(story.root_article_id, copy)
                        s = _Story(
                            story_id_for(f"{sid}/{copy}"), story.version, root, story.first_time, story.last_time
                        )
                        write_entry(out, STORY_PREFIX + s.story_id, _encode_story(s))
                    for a in arts:
                        c = clone_article(a, copy, id_of)
                        write_entry(out, ARTICLE_PREFIX + c.article_id, record(c))
                n_stories += story is not None
                n_articles += len(arts)
            copy += 1
    return n_articles, n_stories


# ---------------------------------------------------------------------------------- takeover


class _Touching(dict[str, _Article]):
    """The index's article map, counting distinct articles read during one decision."""

    touched: set[str]

    def __getitem__(self, key: str) -> _Article:
        self.touched.add(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self.touched.add(key)
        return dict.get(self, key, default)


class _TouchingNumbers(list[_Article | None]):
    """The index's article-number table, counting the articles read through it (same set)."""

    touched: _Touching

    def __getitem__(self, i: Any) -> Any:
        a = list.__getitem__(self, i)
        if isinstance(a, _Article):
            self.touched.touched.add(a.article_id)
        return a


def takeover(args: argparse.Namespace) -> None:
    settings = ThreadSettings()
    items = stream_items(args.pool, args.measure)
    inputs = items[args.pool : args.pool + args.measure]
    extra = items[args.pool + args.measure :]
    if not args.text_only:  # the features the clean stage ships (computed there, untimed here)
        inputs, extra = [cleaned(i) for i in inputs], [cleaned(i) for i in extra]
    del items
    gc.collect()
    rss0 = _rss()
    index = StoryIndex(settings)
    entries = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for k, v in read_entries(args.log):
        index.restore(k, v)
        entries += 1
    index.settle()  # as the threader's take-over does: the postings searchable before the first decision
    release_free_memory()  # as the take-over does: the decoded records' free heap back to the OS
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    gc.collect()
    rss1 = _rss()
    st = index.stats()
    n = st["articles"]
    print(
        f"takeover: {entries} changelog entries ({n} articles, {st['stories']} stories) restored in "
        f"{wall:.1f} s wall, {cpu:.1f} s CPU ({entries / cpu:.0f} entries/s of one core)"
    )
    print(
        f"memory: RSS {rss0 / 2**20:.0f} MiB before, {rss1 / 2**20:.0f} MiB after restore: "
        f"{(rss1 - rss0) / n:.0f} bytes per article; peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB"
    )
    print(
        f"index: {st['fingerprints']} fingerprint keys, {st['postings']} fingerprint postings, "
        f"{st['terms']} coverage-term keys, {st['term_postings']} coverage postings"
    )
    if args.freeze:
        gc.freeze()  # the restored index out of the collector's sight (no decision changes)
    collections = FullCollections(time.perf_counter)
    lat_wall: list[float] = []
    lat_cpu: list[float] = []
    kinds: Counter[str] = Counter()
    profile = cProfile.Profile() if args.profile else None
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    with collections, profile or contextlib.nullcontext():
        for item in inputs:
            w, c = time.perf_counter_ns(), time.process_time_ns()
            d, _ = decide_and_apply(index, item)
            lat_cpu.append((time.process_time_ns() - c) / 1e6)
            lat_wall.append((time.perf_counter_ns() - w) / 1e6)
            kinds[d.kind if d.update_kind is None else f"{d.kind}/{d.update_kind}"] += 1
    t_wall, t_cpu = time.perf_counter() - t_wall, time.process_time() - t_cpu
    if profile is not None:
        pstats.Stats(profile).sort_stats(os.environ.get("NEWSWIRE_PROFILE_SORT", "tottime")).print_stats(40)
    print(
        f"decisions: {len(inputs)} (decide + apply) with {n} live: p50 {_pct(lat_wall, 0.5):.2f} ms, "
        f"p99 {_pct(lat_wall, 0.99):.2f} ms wall; p50 {_pct(lat_cpu, 0.5):.2f} ms, p99 {_pct(lat_cpu, 0.99):.2f} ms "
        f"CPU; {len(inputs) / t_cpu:.0f}/s of one core's CPU time ({len(inputs) / t_wall:.0f}/s wall); "
        f"{'text analysed by the decider' if args.text_only else 'features from the clean stage'}"
    )
    print(f"decision kinds: {dict(sorted(kinds.items()))}")
    print(
        f"full collections during decisions: {len(collections.pauses)}, "
        f"longest {max(collections.pauses, default=0) * 1e3:.0f} ms"
        f"{' (gc.freeze() after restore)' if args.freeze else ''}"
    )

    if bench._build.BUILD.compiled:
        print(
            "per decision: articles looked up and records compared not counted under the compiled build "
            "(counted by spies on the decider's calls, which compiled callers make directly; "
            "NEWSWIRE_PURE_PYTHON=1 counts them)"
        )
    else:
        _count_touched(index, extra)
    del index
    gc.collect()
    if args.trace:
        trace(args.log, args.trace)


def _count_touched(index: StoryIndex, extra: list[ThreadInput]) -> None:
    """Option (b): with records on disk, the story id and time of every article stay in RAM (the
    candidate look-ups read them for thousands of ids); a record's texts and terms are fetched
    for the articles a decision compares: scored pairs, coverage candidates, story members.
    Counted by spies on the decider's calls, so under the sources only."""
    touching = _Touching(index._articles)
    index._articles = touching
    numbers = _TouchingNumbers(index._by_num)
    numbers.touched = touching
    index._by_num = numbers
    needed: set[str] = set()
    # coverage vectors are built from an unpacked copy of an article's terms: known by content
    by_terms = {a.cov.terms.tobytes(): a.article_id for a in touching.values() if a.has_cov}
    real_score, real_weighted, real_members = thread_mod.score_pair, coverage_vectors.weighted, index._story_cov_members
    real_many = coverage_vectors.candidate_vectors

    def score_pair(old: _Article, *rest: Any) -> Any:
        needed.add(old.article_id)
        return real_score(old, *rest)

    def weighted(terms: Any, *rest: Any) -> Any:
        if (aid := by_terms.get(terms.tobytes())) is not None:
            needed.add(aid)
        return real_weighted(terms, *rest)

    def candidate_vectors(articles: Any, *rest: Any) -> Any:
        for terms, *_ in articles:
            if (aid := by_terms.get(terms.tobytes())) is not None:
                needed.add(aid)
        return real_many(articles, *rest)

    def story_members(sid: str) -> list[_Article]:
        out = real_members(sid)
        needed.update(m.article_id for m in out)
        return out

    thread_mod.score_pair = score_pair
    coverage_vectors.weighted = weighted
    coverage_vectors.candidate_vectors = candidate_vectors
    index._story_cov_members = story_members  # type: ignore[method-assign]
    touched: list[float] = []
    fetched: list[float] = []
    for item in extra:
        touching.touched = set()
        needed.clear()
        decide_and_apply(index, item)
        touched.append(float(len(touching.touched)))
        fetched.append(float(len(needed)))
    thread_mod.score_pair, coverage_vectors.weighted, coverage_vectors.candidate_vectors = (
        real_score,
        real_weighted,
        real_many,
    )
    del index._story_cov_members
    print(
        f"per decision ({len(extra)} more inputs): articles looked up (story id, time) p50 {_pct(touched, 0.5):.0f}, "
        f"p99 {_pct(touched, 0.99):.0f}; records compared (what a disk store would fetch) "
        f"p50 {_pct(fetched, 0.5):.0f}, p99 {_pct(fetched, 0.99):.0f}, max {max(fetched):.0f}"
    )
    index._articles = dict(touching)
    index._by_num = list(numbers)


def trace(log: Path, articles: int) -> None:
    """tracemalloc over a restore of the log's first ``articles`` articles: bytes per article and
    where they go (top source lines)."""
    sample: list[tuple[str, bytes]] = []
    count = 0
    for k, v in read_entries(log):
        if k.startswith(ARTICLE_PREFIX):
            if count >= articles:
                break
            count += 1
        sample.append((k, v))
    tracemalloc.start(1)
    before = tracemalloc.take_snapshot()
    idx = StoryIndex(ThreadSettings())
    for k, v in sample:
        idx.restore(k, v)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    n = idx.stats()["articles"]
    stats = after.compare_to(before, "lineno")
    total = sum(s.size_diff for s in stats)
    print(f"tracemalloc over {n} restored articles: {total / n:.0f} bytes per article; by line:")
    for s in stats[:8]:
        frame = s.traceback[0]
        try:
            line = Path(frame.filename).read_text().splitlines()[frame.lineno - 1].strip()[:70]
        except (OSError, IndexError):  # no source line (a compiled module's allocation)
            line = ""
        print(f"  {s.size_diff / n:6.0f} B/article  {Path(frame.filename).name}:{frame.lineno}  {line}")


# ---------------------------------------------------------------------------------- option (b)


def store_probe(log: Path, gets: int) -> None:
    """Random get + decode of one article record from stores holding all of them."""
    keys: list[str] = []
    with tempfile.TemporaryDirectory(prefix="decider-store-") as tmp:
        db = sqlite3.connect(Path(tmp) / "records.db")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE a (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
        t = time.perf_counter()
        rows = ((k, v) for k, v in read_entries(log) if k.startswith(ARTICLE_PREFIX))
        for k, v in rows:
            keys.append(k)
            db.execute("INSERT OR REPLACE INTO a VALUES (?, ?)", (k, v))
        db.commit()
        load = time.perf_counter() - t
        size = (Path(tmp) / "records.db").stat().st_size
        rng = random.Random(7)
        sample = [rng.choice(keys) for _ in range(gets)]
        q = "SELECT v FROM a WHERE k = ?"
        t = time.process_time()
        values = [db.execute(q, (k,)).fetchone()[0] for k in sample]
        get_s = (time.process_time() - t) / gets
        t = time.process_time()
        for v in values:
            _decode_article(v)
        decode_s = (time.process_time() - t) / gets
        print(
            f"sqlite ({len(keys)} records, {size / 2**20:.0f} MiB, loaded in {load:.0f} s): get {get_s * 1e6:.0f} us, "
            f"decode {decode_s * 1e6:.0f} us per record (CPU, page cache warm)"
        )
        db.close()
        try:
            from rocksdict import Rdict  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            print("rocksdict: skipped (pip install rocksdict)")
            return
        rd = Rdict(str(Path(tmp) / "rocks"))
        t = time.perf_counter()
        for k, v in read_entries(log):
            if k.startswith(ARTICLE_PREFIX):
                rd[k.encode()] = v
        rd.flush()
        load = time.perf_counter() - t
        t = time.process_time()
        for k in sample:
            rd[k.encode()]
        get_r = (time.process_time() - t) / gets
        print(f"rocksdict ({len(keys)} records, loaded in {load:.0f} s): get {get_r * 1e6:.0f} us per record (CPU)")
        rd.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--live", type=int, default=int(os.environ.get("NEWSWIRE_BENCH_LIVE", "100000")))
    ap.add_argument("--pool", type=int, default=6000, help="articles decided for real (~1,000 a day)")
    ap.add_argument("--measure", type=int, default=2000, help="fresh decisions timed")
    ap.add_argument("--trace", type=int, default=5000, help="articles restored under tracemalloc")
    ap.add_argument("--gets", type=int, default=20000, help="random record gets in the store probe (0: none)")
    ap.add_argument("--freeze", action="store_true", help="gc.freeze() after the restore")
    ap.add_argument("--text-only", action="store_true", help="inputs without the clean stage's features")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="profile the timed decisions (cProfile, top 40; NEWSWIRE_PROFILE_SORT=cumulative to sort so)",
    )
    ap.add_argument("--log", type=Path, help=argparse.SUPPRESS)  # set for the takeover process
    args = ap.parse_args()
    if args.log is not None:
        takeover(args)
        return
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(bench._build.build_line())
    with tempfile.TemporaryDirectory(prefix="decider-scale-") as tmp:
        log = Path(tmp) / "changelog.bin"
        t = time.process_time()
        pool = pool_changelog(stream_items(args.pool, args.measure)[: args.pool], ThreadSettings())
        pool_s = time.process_time() - t
        t = time.process_time()
        n_art, n_sto = write_fill(log, pool, args.live)
        fill_s = time.process_time() - t
        print(
            f"fill: {args.pool} pool articles decided in {pool_s:.0f} s CPU; changelog of {n_art} articles, "
            f"{n_sto} stories ({log.stat().st_size / 2**20:.0f} MiB) written in {fill_s:.0f} s CPU"
        )
        del pool
        cmd = [sys.executable, __file__, "--log", str(log), "--live", str(args.live)]
        cmd += ["--pool", str(args.pool), "--measure", str(args.measure), "--trace", str(args.trace)]
        cmd += ["--freeze"] if args.freeze else []
        cmd += ["--text-only"] if args.text_only else []
        cmd += ["--profile"] if args.profile else []
        subprocess.run(cmd, check=True)
        if args.gets:
            store_probe(log, args.gets)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
