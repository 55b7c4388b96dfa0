"""``make soak``: an hour (``SOAK_SECONDS``) of steady flow through a real broker, not in CI.

Loopback wire sites publish a new entry every ``--publish-every`` seconds on average
(``tests/support/chaos.py``'s :class:`Flow`: corpus articles, each copy of the corpus moved
past the threading window, so the story index expires old copies as a real wire's would); one
poller, one cleaner and one decider run as separate daemons. Every ``--sample-every`` seconds
the script records each daemon's resident memory (its whole process group: the cleaner's
extraction child counts, as it does against a pod's memory limit) and the committed-offset lag
of the clean and thread stages, as their daemons report it (``newswire_consumer_lag`` on
``/metrics``: records between the consumer's position and the end of its partitions), beside the
committed-offset lag of their groups (what ``newswire status`` and external lag exporters show;
it rests at one per partition after a transactional input's last record, its commit marker).
When the time is up it stops publishing and waits for the lag to return to zero, audits the
books (one event per entry, none missing, versions gap-free) and draws RSS and lag over time.

Exit status 1 when a bound is broken: a daemon's peak RSS over ``--rss-bound-mib``, lag that
does not return to zero within ``--drain-timeout``, or a bad audit.

    python bench/soak.py --seconds 3600 --png bench/soak-rss-lag.png --json bench/soak-summary.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client.parser import text_string_to_metric_families

from newswire.bus import open_bus
from newswire.settings import Settings
from newswire.topics import CLEAN, THREAD, Role, topic_graph
from tests.support.broker import private_broker
from tests.support.chaos import (
    REF,
    Cluster,
    Member,
    audit,
    cluster_ready,
    count_topic,
    flow_and_cluster,
    kafka_run_settings,
    read_topic,
    wait_until,
)

PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


def group_memory_bytes(pgid: int) -> tuple[int, int]:
    """(PSS, RSS) summed over the process group (the daemon and its children).

    The bound is on PSS: a pod's memory limit charges each page once, but the cleaner's
    extraction children are forked from a forkserver holding trafilatura, so their shared
    copy-on-write pages appear in every process's RSS; a sum of RSS counts them two or three
    times over. PSS splits each shared page among its sharers, so the sum counts it once."""
    pss = rss = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid:  # fields after the command: state, ppid, pgrp, ...
                continue
            rss_pages = int(Path(entry.path, "statm").read_text().split()[1])
            rollup = Path(entry.path, "smaps_rollup").read_text().splitlines()
            pss_kib = next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
        except (OSError, ValueError, IndexError, StopIteration):
            continue  # the process exited meanwhile
        rss += rss_pages * PAGE
        pss += pss_kib * 1024
    return pss, rss


@dataclass
class Samples:
    t: list[float] = field(default_factory=list)
    rss_mib: dict[str, list[float]] = field(default_factory=dict)  # PSS of the process group
    rss_sum_mib: dict[str, list[float]] = field(default_factory=dict)  # plain RSS sum, for the record
    lag: dict[str, list[int]] = field(default_factory=dict)
    entries: list[int] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)


def reported_lag(member: Member) -> int:
    """The daemon's own ``newswire_consumer_lag``, summed over its partitions (0 if it has none)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{member.port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except OSError:
        return 0
    return int(
        sum(
            s.value
            for family in text_string_to_metric_families(text)
            if family.name == "newswire_consumer_lag"
            for s in family.samples
        )
    )


def sample(samples: Samples, t: float, cluster: Cluster, settings: Settings, entries: int, phase: str) -> None:
    graph = topic_graph(settings)
    bus = open_bus(settings)
    try:
        lags = {
            "clean": sum(reported_lag(m) for m in cluster.by_role("clean")),
            "thread": sum(reported_lag(m) for m in cluster.by_role("thread")),
            "clean group (committed)": sum(bus.group_lag(graph.group(CLEAN.group), graph.name(Role.RAW)).values()),
            "thread group (committed)": sum(
                bus.group_lag(graph.group(THREAD.group), graph.name(Role.CLEANED)).values()
            ),
        }
    finally:
        bus.close()
    samples.t.append(t)
    samples.entries.append(entries)
    samples.phase.append(phase)
    for member in cluster.members:
        pid = member.daemon.proc.pid if member.daemon is not None else 0
        pss, rss = group_memory_bytes(pid) if pid else (0, 0)
        samples.rss_mib.setdefault(member.name, []).append(pss / MIB)
        samples.rss_sum_mib.setdefault(member.name, []).append(rss / MIB)
    for name, n in lags.items():
        samples.lag.setdefault(name, []).append(n)


def draw(samples: Samples, png: Path, title: str, bounds: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [t / 60 for t in samples.t]
    fig, (ax_rss, ax_lag) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, dpi=90)
    for name, values in samples.rss_mib.items():
        ax_rss.plot(minutes, values, label=name)
    for role, bound in bounds.items():
        ax_rss.axhline(bound, linestyle=":", linewidth=1, color="grey")
        ax_rss.annotate(f"{role} bound", (minutes[0], bound), fontsize=7, color="grey", va="bottom")
    ax_rss.set_ylabel("memory (PSS), MiB, process group")
    ax_rss.set_ylim(bottom=0)
    ax_rss.legend(loc="lower right", fontsize=8)
    ax_rss.set_title(title, fontsize=10)
    for name, lag_values in samples.lag.items():
        committed = "committed" in name
        ax_lag.plot(minutes, lag_values, label=f"{name} lag", linestyle=":" if committed else "-")
    drain = next((m for m, p in zip(minutes, samples.phase, strict=True) if p == "drain"), None)
    if drain is not None:
        for ax in (ax_rss, ax_lag):
            ax.axvline(drain, linestyle="--", linewidth=1, color="black")
        ax_lag.annotate("publishing stops", (drain, 0), fontsize=7, rotation=90, va="bottom")
    ax_lag.set_ylabel("lag, records")
    ax_lag.set_xlabel("minutes")
    ax_lag.set_ylim(bottom=0)
    ax_lag.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS") or 3600))
    ap.add_argument("--publish-every", type=float, default=1.0, help="mean seconds between new feed entries")
    ap.add_argument("--sample-every", type=float, default=10.0)
    ap.add_argument("--drain-timeout", type=float, default=300.0, help="seconds for the lag to return to zero")
    ap.add_argument(
        "--rss-bound-mib",
        default="poller=250,clean=400,thread=300",
        help="peak RSS bound per role, MiB (role=MiB,...)",
    )
    ap.add_argument("--png", type=Path, default=Path("bench/soak-rss-lag.png"))
    ap.add_argument("--json", type=Path, default=Path("bench/soak-summary.json"))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED") or random.randrange(1_000_000)))
    args = ap.parse_args(argv)
    # SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so the daemons and the broker are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bounds = {k: float(v) for k, v in (kv.split("=") for kv in args.rss_bound_mib.split(","))}
    print(f"soak: {args.seconds:.0f}s, an entry every {args.publish_every}s on average, seed {args.seed}")
    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="newswire-soak-") as tmp, private_broker(Path(tmp) / "kafka") as broker:
        settings = kafka_run_settings(broker.bootstrap, f"soak{uuid.uuid4().hex[:6]}.")
        workdir = Path(tmp) / "run"
        workdir.mkdir()
        with flow_and_cluster(settings, workdir, pollers=1, cleaners=1, threaders=1) as (flow, cluster):
            cluster.start_all()
            if not wait_until(lambda: cluster_ready(cluster), 180, 1.0):
                print(f"soak: cluster not ready\n{cluster.tail()}", file=sys.stderr)
                return 1
            roles = {m.name: m.role for m in cluster.members}
            t0 = time.monotonic()
            flow.start(args.publish_every, random.Random(args.seed))
            next_sample = 0.0
            while (now := time.monotonic() - t0) < args.seconds:
                if now >= next_sample:
                    sample(samples, now, cluster, settings, len(flow.entries), "flow")
                    next_sample += args.sample_every
                    if cluster.dead():
                        print(f"soak: daemons died\n{cluster.tail()}", file=sys.stderr)
                        return 1
                time.sleep(0.5)
            flow.halt()
            drain_start = time.monotonic() - t0
            superseded = frozenset(flow.superseded)
            wanted = {e.ref for e in flow.entries} - superseded

            def drained() -> bool:
                sample(samples, time.monotonic() - t0, cluster, settings, len(flow.entries), "drain")
                if samples.lag["clean"][-1] or samples.lag["thread"][-1]:
                    return False
                refs = {f"ref-{n}" for e in read_topic(settings, Role.EVENTS) for n in REF.findall(str(e["text"]))}
                return wanted <= refs

            lag_zero = wait_until(drained, args.drain_timeout, args.sample_every / 2)
            drain_s = time.monotonic() - t0 - drain_start
            result = audit(
                flow.entries, read_topic(settings, Role.EVENTS), count_topic(settings, Role.DEAD_LETTERS), superseded
            )
            codes = cluster.stop_all()
    peaks = {name: max(values) for name, values in samples.rss_mib.items()}
    flow_idx = [i for i, p in enumerate(samples.phase) if p == "flow"]
    half = flow_idx[len(flow_idx) // 2 :] or flow_idx
    # Growth over the second half of the flow (after warm-up), per hour: a leak shows here.
    growth = {
        name: _slope([samples.t[i] for i in half], [values[i] for i in half]) * 3600
        for name, values in samples.rss_mib.items()
    }
    broken = [
        f"{name} peak RSS {peak:.0f} MiB > bound {bounds[roles[name]]:.0f} MiB"
        for name, peak in peaks.items()
        if roles[name] in bounds and peak > bounds[roles[name]]
    ]
    if not lag_zero:
        broken.append(f"lag did not return to zero within {args.drain_timeout:.0f}s")
    broken += result.problems
    if any(codes.values()):
        broken.append(f"daemons did not stop cleanly: {codes}")
    summary: dict[str, Any] = {
        "seconds": args.seconds,
        "publish_every_s": args.publish_every,
        "seed": args.seed,
        "entries": result.entries,
        "events": result.events,
        "events_by_type": result.by_type,
        "missing": len(result.missing),
        "doubled_event_ids": len(result.doubled_event_ids),
        "doubled_by_content": len(result.doubled_refs),
        "version_gaps": len(result.version_gaps),
        "dead_letters": result.dead_letters,
        "peak_rss_mib": {k: round(v, 1) for k, v in peaks.items()},
        "memory_measure": "PSS summed over the process group (shared pages once)",
        "peak_rss_sum_mib": {k: round(max(v), 1) for k, v in samples.rss_sum_mib.items()},
        "final_rss_mib": {k: round(v[samples.phase.index("drain") - 1], 1) for k, v in samples.rss_mib.items()},
        "rss_growth_mib_per_hour_second_half": {k: round(v, 1) for k, v in growth.items()},
        "rss_bound_mib": bounds,
        "max_lag": {k: max(v) for k, v in samples.lag.items()},
        "final_lag": {k: v[-1] for k, v in samples.lag.items()},
        "lag_zero_after_s": round(drain_s, 1) if lag_zero else None,
        "problems": broken,
    }
    title = (
        f"newswire soak: {args.seconds / 60:.0f} min, {result.entries} entries, {result.events} events; "
        f"lag 0 {drain_s:.0f}s after publishing stopped"
    )
    draw(samples, args.png, title, {k: v for k, v in bounds.items()})
    args.json.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"soak: curve in {args.png}, figures in {args.json}")
    if broken:
        print("soak FAILED: " + "; ".join(broken), file=sys.stderr)
        return 1
    return 0


def _slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs (0 for fewer than two points)."""
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


if __name__ == "__main__":
    sys.exit(main())
