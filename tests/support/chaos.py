"""Chaos on the real broker: a steady flow of feed entries, daemons killed at random, a broker
that crashes and comes back, and the books checked afterwards.

Three parts, used by ``tests/pipeline/test_chaos.py`` (a short run in ``make test``),
``bench/chaos.py`` (``make chaos``: hundreds of kills) and ``bench/soak.py`` (``make soak``):

- :class:`Flow` - loopback wire sites (``pipeline.demo.SampleWeb``) that publish new entries
  over time. Every entry is a corpus article with its own URL, guid and a sentence carrying a
  unique reference (``ref-000042``), so an event can be traced back to its entry by content as
  well as by id. Copies of the corpus are shifted in time beyond the threading window, and all
  dated in the past, so the index expires old copies as a long run goes on (as it would on a
  real wire). The corpus's revisions replace their original under the same URL and guid, as a
  wire's corrections do: an original replaced before any poll saw it can have no event (it was
  never in a fetched feed), so the audit requires at most one event for it, and exactly one for
  every other entry.
- :class:`Cluster` - ``newswire poll`` / ``newswire work --stage clean|thread`` as separate
  processes, each with its own health port, killed with SIGKILL (whole process group) and
  started again under the same instance id, as a StatefulSet pod would be.
- :func:`audit` - every entry yielded exactly one event (by ``event_id``, by ``raw_id`` and by
  its reference in the text), none is missing, nothing was dead-lettered, and every story's
  versions run 1..n without a gap or a repeat.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from newswire.bus import open_bus
from newswire.settings import Settings
from newswire.topics import Role, topic_graph
from pipeline.demo import SampleWeb
from pipeline.samples import load_corpus
from tests.support.daemons import Daemon, write_config
from tests.support.data import DEV_CORPUS

REF = re.compile(r"\bref-(\d{6})\b")
FEED_KINDS = ("rss", "atom", "json")
ROLES = ("poller", "clean", "thread")


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Entry:
    """One published feed entry and how to recognise its event."""

    number: int
    url: str
    ref: str


class Flow:
    """Wire sites on loopback publishing corpus articles one by one (see the module docstring).

    Each feed lists only its newest ``window`` entries, as real feeds do; the publishing rate
    must leave the pollers time to see every entry before it slides out (the audit would
    report a slid-out entry as missing, so a too-fast rate fails loudly rather than silently).
    """

    def __init__(self, window: int = 60) -> None:
        self.base = sorted(load_corpus(DEV_CORPUS), key=lambda r: str(r["published"]))
        times = [_parse(str(r["published"])) for r in self.base]
        # Copies never meet in the threading window (7 days): each copy tells the corpus's stories anew.
        self.shift = (max(times) - min(times)) + timedelta(days=30)
        # ... and every copy lies in the past: a page dated after its fetch is read as undated
        # (its event time the fetch's), so copies dated ahead of the clock would all meet in one
        # window and thread as duplicates of each other. The first copy is that many shifts back.
        self.copies_back = 400
        sites = sorted({str(r["site"]) for r in self.base})
        self.web = SampleWeb([(s, FEED_KINDS[i % len(FEED_KINDS)]) for i, s in enumerate(sites)])
        self.window = window
        self.entries: list[Entry] = []
        self.superseded: set[str] = set()  # refs of entries a revision replaced in the feed
        self._by_url: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, number: int) -> dict[str, Any]:
        """Entry ``number``: corpus article ``number % len(corpus)`` in copy ``number // len``."""
        base = self.base[number % len(self.base)]
        copy = number // len(self.base)
        ref = f"ref-{number:06d}"
        parts = urlsplit(str(base["url"]))
        published = _parse(str(base["published"])) + (copy - self.copies_back) * self.shift
        return {
            **base,
            "id": f"{base['id']}#{copy}",
            "url": f"{parts.scheme}://{parts.netloc}/c{copy}{parts.path}",
            "guid": f"{base['guid']}#{copy}",
            "published": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "body_paragraphs": [
                *base["body_paragraphs"],
                f"This dispatch is filed under reference {ref} in the wire archive.",
            ],
        }

    def publish_next(self) -> Entry:
        with self._lock:
            number = len(self.entries)
            rec = self.record(number)
            site = self.web.sites[str(rec["site"])]
            local = site.publish(rec)
            self.superseded |= {e.ref for e in self.entries if e.url == local["url"]}
            if len(site.records) > self.window:  # the feed shows its newest entries only
                site.records = site.records[-self.window :]
            entry = Entry(number, str(local["url"]), f"ref-{number:06d}")
            self.entries.append(entry)
            return entry

    def start(self, interval_s: float, rng: random.Random) -> None:
        """Publish an entry every ``interval_s`` on average (exponential gaps) until :meth:`halt`."""

        def run() -> None:
            while not self._stop.wait(rng.expovariate(1.0 / interval_s)):
                self.publish_next()

        self._thread = threading.Thread(target=run, name="flow", daemon=True)
        self._thread.start()

    def halt(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def feeds_file(self, path: Path) -> Path:
        path.write_text("feeds:\n" + "".join(f"  - url: {s.feed_url}\n" for s in self.web.sites.values()))
        return path

    def close(self) -> None:
        self.halt()
        self.web.close()


@dataclass
class Member:
    """One daemon of the cluster: its role, instance id, health port and current process."""

    role: str
    name: str
    port: int
    log: Path
    daemon: Daemon | None = None
    starts: int = 0

    def readiness(self, timeout_s: float = 2.0) -> bool | None:
        """True/False for 200/503 on ``/readyz``; None when nothing answers (process down)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=timeout_s) as resp:
                return bool(resp.status == 200)
        except urllib.error.HTTPError as exc:
            return False if exc.code == 503 else None
        except (OSError, TimeoutError):
            return None

    def alive(self) -> bool:
        return self.daemon is not None and self.daemon.alive()


@dataclass
class Cluster:
    """Pollers, cleaners and deciders as separate ``newswire`` processes on one config."""

    config: Path
    logs: Path
    pollers: int = 2
    cleaners: int = 2
    threaders: int = 2
    members: list[Member] = field(default_factory=list)
    kills: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for role, count in (("poller", self.pollers), ("clean", self.cleaners), ("thread", self.threaders)):
            for i in range(count):
                name = f"{role[0]}{i}"
                self.members.append(Member(role, name, free_port(), self.logs / f"{name}.log"))

    def start(self, member: Member) -> None:
        args = ["poll"] if member.role == "poller" else ["work", "--stage", member.role]
        env = {"NEWSWIRE_INSTANCE_ID": member.name, "NEWSWIRE_METRICS__PORT": str(member.port)}
        member.daemon = Daemon(self.config, *args, log=member.log, env=env)
        member.starts += 1

    def start_all(self) -> None:
        for member in self.members:
            self.start(member)

    def kill(self, member: Member, restart: bool = True) -> None:
        """SIGKILL the member's process group (its extraction pool too) and start it again."""
        assert member.daemon is not None
        if member.daemon.alive():
            member.daemon.kill9()
            self.kills[member.role] += 1
        if restart:
            self.start(member)

    def by_role(self, role: str) -> list[Member]:
        return [m for m in self.members if m.role == role]

    def dead(self) -> list[Member]:
        """Members whose process exited on its own (a crash the chaos did not cause)."""
        return [m for m in self.members if m.daemon is not None and not m.daemon.alive()]

    def readiness(self) -> dict[str, bool | None]:
        return {m.name: m.readiness() for m in self.members}

    def stop_all(self) -> dict[str, int]:
        codes = {}
        for member in self.members:
            if member.daemon is not None and member.daemon.alive():
                codes[member.name] = member.daemon.terminate(timeout_s=30)
        return codes

    def tail(self, lines: int = 15) -> str:
        out = []
        for member in self.members:
            text = member.log.read_text(errors="replace").splitlines() if member.log.exists() else []
            out.append(f"--- {member.name} ({member.role}, started {member.starts}x)\n" + "\n".join(text[-lines:]))
        return "\n".join(out)


def cluster_config(path: Path, settings: Settings, feeds: Path, *, extract_processes: int = 1) -> Path:
    """One config for every daemon: fast polling of loopback feeds, health on 127.0.0.1."""
    return write_config(
        path,
        settings,
        poller={
            "feeds_file": str(feeds),
            "allow_private_network": True,
            "per_host_min_interval_s": 0.0,
            "min_interval_s": 1.0,
            "max_interval_s": 2.0,
            # A feed that failed while the broker was down is retried within seconds, not after the
            # production backoff (hours): the audit waits a bounded drain, and a delayed entry is not
            # what this test is about (loss and doubling are).
            "max_backoff_s": 5.0,
            "connect_timeout_s": 2.0,
            "read_timeout_s": 5.0,
            "total_timeout_s": 8.0,
        },
        worker={"extract_processes": extract_processes, "batch_size": 8},
        metrics={"enabled": True, "host": "127.0.0.1"},
        shutdown_timeout_s=10,
    )


def read_topic(settings: Settings, role: Role) -> list[dict[str, Any]]:
    bus = open_bus(settings)
    try:
        return [json.loads(m.value) for m in bus.read_table(topic_graph(settings).name(role)) if m.value is not None]
    finally:
        bus.close()


def count_topic(settings: Settings, role: Role) -> int:
    bus = open_bus(settings)
    try:
        return sum(1 for _ in bus.read_table(topic_graph(settings).name(role)))
    finally:
        bus.close()


@dataclass
class Audit:
    """The books after a run; ``problems`` is empty when nothing was lost or doubled."""

    entries: int
    superseded_without_event: int
    events: int
    stories: int
    dead_letters: int
    by_type: dict[str, int]
    missing: list[str]
    doubled_event_ids: list[str]
    doubled_raw_ids: list[str]
    doubled_refs: list[str]
    unknown_refs: list[str]
    version_gaps: dict[str, list[int]]
    carriers: dict[str, list[str]] = field(default_factory=dict)  # doubled ref -> its events, told

    @property
    def problems(self) -> list[str]:
        out = []
        if self.missing:
            out.append(f"{len(self.missing)} entries without an event: {self.missing[:10]}")
        for name in ("doubled_event_ids", "doubled_raw_ids", "doubled_refs", "unknown_refs"):
            found = getattr(self, name)
            if found:
                out.append(f"{name}: {len(found)}: {found[:10]}")
        for ref, told in list(self.carriers.items())[:5]:
            out.append(f"{ref} in: {told}")
        if self.version_gaps:
            out.append(f"stories with version gaps/repeats: {dict(list(self.version_gaps.items())[:5])}")
        if self.dead_letters:
            out.append(f"{self.dead_letters} dead letters")
        return out


def audit(
    entries: Sequence[Entry],
    events: Sequence[dict[str, Any]],
    dead_letters: int,
    superseded: frozenset[str] = frozenset(),
) -> Audit:
    """Exactly one event per entry (by id and by content), none missing, versions gap-free.
    ``superseded`` entries (replaced in their feed by a revision) may have no event."""
    ids = Counter(str(e["event_id"]) for e in events)
    raws = Counter(str(e["raw_id"]) for e in events)
    told = [{f"ref-{n}" for n in REF.findall(str(e.get("text") or ""))} for e in events]  # refs per event
    refs: Counter[str] = Counter()
    for event_refs in told:
        refs.update(event_refs)
    wanted = {e.ref for e in entries}
    # Versions: created/updated events number a story 1..n, once each; duplicates carry the
    # story's current version and add none.
    versions: dict[str, list[int]] = defaultdict(list)
    for e in events:
        if e["type"] in ("story.created", "story.updated"):
            versions[str(e["story_id"])].append(int(e["version"]))
    gaps = {sid: sorted(v) for sid, v in versions.items() if sorted(v) != list(range(1, len(v) + 1))}
    doubled = {k for k, n in refs.items() if n > 1}
    carriers: dict[str, list[str]] = defaultdict(list)
    for e, event_refs in zip(events, told, strict=True):  # a doubled reference's events, so a failure tells its story
        for ref in doubled & event_refs:
            carriers[ref].append(
                " ".join(
                    f"{k}={e.get(k)!s:.40}"
                    for k in (
                        "type",
                        "update_kind",
                        "story_id",
                        "version",
                        "raw_id",
                        "article_id",
                        "url",
                        "title",
                        "published",
                        "duplicate_of",
                        "feed_url",
                        "fetched_at",
                    )
                )
            )
    return Audit(
        entries=len(entries),
        superseded_without_event=len(superseded - set(refs)),
        events=len(events),
        stories=len(versions),
        dead_letters=dead_letters,
        by_type=dict(Counter(str(e["type"]) for e in events)),
        missing=sorted(wanted - set(refs) - superseded),
        doubled_event_ids=sorted(k for k, n in ids.items() if n > 1),
        doubled_raw_ids=sorted(k for k, n in raws.items() if n > 1),
        doubled_refs=sorted(doubled),
        unknown_refs=sorted(set(refs) - wanted),
        version_gaps=gaps,
        carriers=dict(carriers),
    )


def wait_until(predicate: Any, timeout_s: float, interval_s: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return bool(predicate())


@contextlib.contextmanager
def flow_and_cluster(
    settings: Settings, workdir: Path, *, pollers: int = 2, cleaners: int = 2, threaders: int = 2, window: int = 60
) -> Iterator[tuple[Flow, Cluster]]:
    """A flow, and a cluster on it (not started); everything stopped on the way out."""
    flow = Flow(window=window)
    try:
        feeds = flow.feeds_file(workdir / "feeds.yaml")
        config = cluster_config(workdir / "cluster.yaml", settings, feeds)
        cluster = Cluster(config, workdir / "logs", pollers=pollers, cleaners=cleaners, threaders=threaders)
        try:
            yield flow, cluster
        finally:
            for member in cluster.members:
                if member.daemon is not None and member.daemon.alive():
                    member.daemon.kill9()
    finally:
        flow.close()


class BrokerControl(Protocol):
    """What the chaos needs of the broker: crash it, and start it on its data dir and port."""

    def kill(self) -> None: ...

    def start(self) -> None: ...


@dataclass
class ChaosReport:
    seed: int
    kills: Counter[str]
    broker_restarts: int
    audit: Audit
    readiness_drop_s: list[float]
    readiness_recovery_s: list[float]
    seconds: float
    exit_codes: dict[str, int]

    def summary(self) -> str:
        a = self.audit
        return (
            f"chaos seed={self.seed}: {sum(self.kills.values())} SIGKILLs {dict(self.kills)}, "
            f"{self.broker_restarts} broker kill+restart(s); {a.entries} entries "
            f"({a.superseded_without_event} replaced by a revision before any poll), {a.events} events "
            f"{a.by_type}, {a.stories} stories; missing {len(a.missing)}, doubled event_ids "
            f"{len(a.doubled_event_ids)}, doubled by content {len(a.doubled_refs)}, version gaps "
            f"{len(a.version_gaps)}, dead letters {a.dead_letters}; readiness dropped in "
            f"{_fmt(self.readiness_drop_s)} s, recovered in {_fmt(self.readiness_recovery_s)} s after the "
            f"broker was back; {self.seconds:.0f} s"
        )


def _fmt(values: Sequence[float]) -> str:
    return "/".join(f"{v:.1f}" for v in values) or "-"


class ChaosFailure(AssertionError):
    """The chaos found a problem; the message says which, with the daemons' log tails."""


def cluster_ready(cluster: Cluster) -> bool:
    """Every daemon ready: pollers and cleaners, the decider and its warm standby (a standby is
    ready once it has caught up with the changelog). A daemon still starting when the broker is
    crashed would otherwise give up connecting, which is not what the outage tests."""
    state = cluster.readiness()
    return all(state[m.name] for m in cluster.members)


def run_chaos(
    settings: Settings,
    workdir: Path,
    *,
    seed: int,
    kills: int,
    broker: BrokerControl | None,
    broker_restarts: int = 1,
    publish_every_s: float = 0.5,
    kill_gap_s: tuple[float, float] = (1.0, 4.0),
    drain_timeout_s: float = 180.0,
    say: Any = print,
) -> ChaosReport:
    """Flow + cluster; ``kills`` SIGKILLs at random gaps of pollers, cleaners and deciders (in
    shuffled rounds, so every role gets its share), with ``broker_restarts`` broker crashes
    spread among them; then drain and :func:`audit`. Raises :class:`ChaosFailure` on a daemon
    that died on its own, readiness that does not drop or recover, or a bad audit."""
    rng = random.Random(seed)
    say(f"chaos: seed {seed} (rerun with this seed to replay the same kill schedule)")
    started = time.monotonic()
    drops: list[float] = []
    recoveries: list[float] = []
    with flow_and_cluster(settings, workdir) as (flow, cluster):

        def fail(what: str) -> ChaosFailure:
            return ChaosFailure(f"{what} (seed {seed})\n{cluster.tail()}")

        def check_no_crash() -> None:
            if cluster.dead():
                raise fail(f"daemons exited on their own: {[m.name for m in cluster.dead()]}")

        cluster.start_all()
        if not wait_until(lambda: cluster_ready(cluster), 180, 1.0):
            raise fail(f"cluster not ready: {cluster.readiness()}")
        flow.start(publish_every_s, random.Random(seed + 1))
        restart_at = (
            {round(kills * (i + 1) / (broker_restarts + 1)) for i in range(broker_restarts)} if broker else set()
        )
        roles: list[str] = []
        for n in range(1, kills + 1):
            time.sleep(rng.uniform(*kill_gap_s))
            check_no_crash()
            if not roles:
                roles = rng.sample(ROLES, len(ROLES))
            victim = rng.choice(cluster.by_role(roles.pop()))
            cluster.kill(victim)
            say(f"chaos: kill {n}/{kills}: {victim.name} ({victim.role}) at {time.monotonic() - started:.1f}s")
            if n in restart_at and broker is not None:
                drop, recovery = _broker_outage(cluster, broker, fail, say)
                drops.append(drop)
                recoveries.append(recovery)
        flow.halt()
        say(f"chaos: {len(flow.entries)} entries published; draining")
        superseded = frozenset(flow.superseded)

        def drained() -> bool:
            refs: set[str] = set()
            for e in read_topic(settings, Role.EVENTS):
                refs.update(f"ref-{n}" for n in REF.findall(str(e.get("text") or "")))
            return {e.ref for e in flow.entries} - superseded <= refs

        wait_until(drained, drain_timeout_s, 2.0)
        time.sleep(3.0)  # anything doubled late would show up now
        check_no_crash()
        result = audit(
            flow.entries, read_topic(settings, Role.EVENTS), count_topic(settings, Role.DEAD_LETTERS), superseded
        )
        codes = cluster.stop_all()
        report = ChaosReport(
            seed, cluster.kills, len(drops), result, drops, recoveries, time.monotonic() - started, codes
        )
        say(report.summary())
        if result.problems:
            raise fail("; ".join(result.problems))
        if any(codes.values()):
            raise fail(f"daemons did not stop cleanly on SIGTERM: {codes}")
        return report


def _broker_outage(cluster: Cluster, broker: BrokerControl, fail: Any, say: Any) -> tuple[float, float]:
    """Crash the broker under the running cluster: every daemon must turn not-ready (503, still
    answering: it is alive), then ready again once the broker is back, with no restart."""
    if not wait_until(lambda: cluster_ready(cluster), 120, 0.5):
        raise fail(f"cluster not ready before the broker outage: {cluster.readiness()}")
    starts = {m.name: m.starts for m in cluster.members}
    t0 = time.monotonic()
    broker.kill()
    say("chaos: broker killed")
    if not wait_until(lambda: all(v is False for v in cluster.readiness().values()), 60, 0.5):
        raise fail(f"readiness did not drop while the broker was down: {cluster.readiness()}")
    drop = time.monotonic() - t0
    broker.start()
    t1 = time.monotonic()
    say(f"chaos: broker back after {t1 - t0:.1f}s; readiness dropped within {drop:.1f}s")
    if not wait_until(lambda: cluster_ready(cluster), 180, 0.5):
        raise fail(f"readiness did not recover after the broker came back: {cluster.readiness()}")
    recovery = time.monotonic() - t1
    if cluster.dead() or {m.name: m.starts for m in cluster.members} != starts:
        raise fail("a daemon had to be restarted to survive the broker restart")
    say(f"chaos: every daemon ready again {recovery:.1f}s after the broker was back, none restarted")
    return drop, recovery


def kafka_run_settings(bootstrap: str, prefix: str) -> Settings:
    """Settings for a chaos or soak run on its own broker (topics under ``prefix``)."""
    from newswire.settings import load_settings

    return load_settings(
        backend="kafka",
        kafka={"bootstrap_servers": bootstrap, "connect_timeout_s": 30},
        topics={"prefix": prefix, "raw_partitions": 3, "events_partitions": 3, "feed_partitions": 4},
        metrics={"enabled": False},
    )
