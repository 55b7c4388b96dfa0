"""Take-over of the decision step through the bus: a warm standby against a cold restore.

Run: ``.venv/bin/python bench/bench_takeover.py [--live 100000] [--tail 5000] [--bootstrap HOST:PORT]``
(``NEWSWIRE_BENCH_LIVE=1000000`` for issue 11's million). Without ``--bootstrap`` a single-node
Kafka broker is started with ``deploy/kafka/kafka_local.py`` and stopped at the end.

The changelog of N live articles is built as ``bench_decider_scale.py`` builds it (6,000
articles decided for real, cloned story by story to N) and produced to a compacted
``thread-index`` topic in transactions, as the decider writes it. Then, each in its own process
(so one index's memory does not weigh on the other's figures):

1. **standby**: a ``ThreadProcessor`` with a table reader on the topic and no partition follows
   the changelog (``tick``, as the idle stage loop calls it) until it is warm; then ``--tail``
   more changelog entries are committed in decider-sized transactions (what a standby lags behind a busy decider; ~300
   decisions/s write ~900 entries/s, and a standby follows every ~0.5-2.5 s), and it is assigned
   the partition: *take-over* = ``on_assign`` until it returns (the catch-up, then deciding).
2. **cold**: a fresh ``ThreadProcessor`` on the same topic is assigned the partition: the
   restore of the whole changelog that a take-over costs without a standby.

Both through the real bus (Kafka fetch included), wall and CPU time of the process (the machine
is shared: CPU is the figure other processes' turns do not inflate).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench._build  # first: the decider's modules as the daemon runs them
from bench.bench_bus import broker
from bench.bench_decider_scale import pool_changelog, read_entries, stream_items, write_fill
from newswire.bus import TopicPartition, open_bus
from newswire.settings import Settings, load_settings
from newswire.topics import Role, topic_graph
from workers.thread import ThreadSettings
from workers.threader import ThreadProcessor, offset_key

TXN_ENTRIES = 192  # a 64-article batch writes ~3 changelog entries per article
CLEANED = TopicPartition("cleaned", 0)
MEASURE = 2000  # bench_decider_scale's default: its stream (and so its changelog) depends on it


def _settings(bootstrap: str, prefix: str) -> Settings:
    return load_settings(backend="kafka", kafka={"bootstrap_servers": bootstrap}, topics={"prefix": prefix})


def produce(settings: Settings, log: Path, start: int, stop: int | None, per_txn: int = TXN_ENTRIES) -> int:
    """Commit changelog entries ``start`` to ``stop`` of the file, ``per_txn`` a transaction,
    each closed by the record of the input offset it commits, as the decider's are (the entry
    number stands for the input offset: the take-over waits for the last one)."""
    bus = open_bus(settings)
    topic = topic_graph(settings).name(Role.THREAD_INDEX)
    producer = bus.producer(transactional_id=f"bench-decider-{uuid.uuid4().hex[:6]}")
    n = 0
    open_txn = False
    for i, (key, value) in enumerate(read_entries(log)):
        if i < start:
            continue
        if stop is not None and i >= stop:
            break
        if not open_txn:
            producer.begin()
            open_txn = True
        producer.send(topic, value, key.encode())
        n += 1
        if n % per_txn == 0:
            producer.send(topic, str(i + 1).encode(), offset_key(CLEANED).encode())
            producer.commit()
            open_txn = False
    if open_txn:
        producer.send(topic, str(start + n).encode(), offset_key(CLEANED).encode())
        producer.commit()
    producer.close()
    bus.close()
    return n


def _processor(settings: Settings) -> tuple[ThreadProcessor, object]:
    bus = open_bus(settings)
    reader = bus.table_reader(topic_graph(settings).name(Role.THREAD_INDEX))
    proc = ThreadProcessor(settings.worker, "events", reader.topic, changelog=reader)
    return proc, bus


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(t: tuple[float, float]) -> str:
    return f"{time.perf_counter() - t[0]:.2f} s wall, {time.process_time() - t[1]:.2f} s CPU"


def phase_standby(args: argparse.Namespace, settings: Settings) -> None:
    proc, _bus = _processor(settings)
    proc.on_assign(frozenset())  # a member without the partition
    t = _clock()
    while not proc.warm:
        proc.tick()
    print(f"standby warm-up (follows the whole changelog, off the critical path): {_since(t)}")
    for _ in range(3):
        proc.tick()
    articles = proc.index.stats()["articles"]
    tail = produce(settings, args.log, args.head, None)
    t = _clock()
    proc.on_assign_at(frozenset({CLEANED}), {CLEANED: args.entries})  # the group's committed offset
    assert proc.applied == {CLEANED: args.entries}, proc.applied
    print(
        f"standby take-over: {tail} tail entries replayed, {articles} articles live, ready in {_since(t)} "
        f"(assignment -> deciding)"
    )


def phase_cold(args: argparse.Namespace, settings: Settings) -> None:
    proc, _bus = _processor(settings)
    t = _clock()
    proc.on_assign_at(frozenset({CLEANED}), {CLEANED: args.entries})
    assert proc.applied == {CLEANED: args.entries}, proc.applied
    stats = proc.index.stats()
    print(
        f"cold take-over: whole changelog ({args.entries} entries, {stats['articles']} articles, "
        f"{stats['stories']} stories) restored, ready in {_since(t)} (assignment -> deciding)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--live", type=int, default=int(os.environ.get("NEWSWIRE_BENCH_LIVE", "100000")))
    ap.add_argument("--tail", type=int, default=5000, help="changelog entries the standby lags at assignment")
    ap.add_argument("--pool", type=int, default=6000, help="articles decided for real (~1,000 a day)")
    ap.add_argument("--bootstrap", help="an already running broker (default: start one)")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold restore (minutes at 1M)")
    ap.add_argument("--phase", choices=("standby", "cold"), help=argparse.SUPPRESS)
    ap.add_argument("--prefix", help=argparse.SUPPRESS)
    ap.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--head", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--entries", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase is not None:
        settings = _settings(args.bootstrap, args.prefix)
        (phase_standby if args.phase == "standby" else phase_cold)(args, settings)
        return
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(bench._build.build_line())
    with tempfile.TemporaryDirectory(prefix="takeover-") as tmp, broker(args.bootstrap) as (bootstrap, _home):
        log = Path(tmp) / "changelog.bin"
        t = time.process_time()
        pool = pool_changelog(stream_items(args.pool, MEASURE)[: args.pool], ThreadSettings())  # its stream
        n_art, n_sto = write_fill(log, pool, args.live)
        del pool
        entries = sum(1 for _ in read_entries(log))
        fill_s = time.process_time() - t
        print(f"fill: changelog of {n_art} articles, {n_sto} stories, {entries} entries ({fill_s:.0f} s CPU)")
        prefix = f"bench{uuid.uuid4().hex[:6]}."
        settings = _settings(bootstrap, prefix)
        bus = open_bus(settings)
        bus.ensure_topics(topic_graph(settings).all())
        bus.close()
        head = max(0, entries - args.tail)
        t = time.perf_counter()
        produce(settings, log, 0, head, per_txn=5000)  # the bulk: bigger transactions, a faster set-up
        print(f"produced {head} entries in {time.perf_counter() - t:.0f} s")
        common = [sys.executable, __file__, "--bootstrap", bootstrap, "--prefix", prefix, "--log", str(log)]
        common += ["--head", str(head), "--entries", str(entries)]
        subprocess.run([*common, "--phase", "standby"], check=True)
        if not args.no_cold:
            subprocess.run([*common, "--phase", "cold"], check=True)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
