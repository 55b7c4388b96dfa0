"""The verbs behind the CLI: wiring settings, bus, stages, health server and signals together.

Every daemon follows one shape: parse settings once, install signal handlers that only set a
stop flag, open resources on one ``ExitStack`` (closed in reverse on the way out), serve
``/metrics`` ``/healthz`` ``/readyz``, and run stage loops until the flag is set.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, closing
from pathlib import Path
from typing import IO, Any

from ingest.feedlist import FeedConfig, load_feed_list, to_yaml
from ingest.poller import Poller
from ingest.schedule import FeedState, feed_health
from newswire import metrics
from newswire.bus import Bus, BusError, open_bus
from newswire.health import HealthServer
from newswire.logs import setup_logging
from newswire.runtime import StageLoop, StopFlag, install_signal_handlers, instance_id
from newswire.settings import ConfigError, Settings
from newswire.topics import (
    CLEAN,
    EVENTS_OUT,
    POLL,
    STAGES,
    THREAD,
    Role,
    Stage,
    TopicGraph,
    single_partition_roles,
    topic_graph,
)
from pipeline import compiled
from workers.cleaner import CleanProcessor
from workers.replay import (
    DATE_FIELDS,
    InputError,
    ReplayScore,
    dead_letter_line,
    extract_pool,
    open_input,
    replay,
    score_replay,
)
from workers.scoring import MAX_LOOKALIKE_SHARE, MIN_PRECISION, MIN_RECALL
from workers.threader import ThreadProcessor

log = logging.getLogger("newswire")


def dispatch(args: argparse.Namespace, settings: Settings, build: compiled.Build | None = None) -> int:
    setup_logging(settings.log_level, settings.log_format)
    verb: str = args.verb
    if verb == "replay":
        return cmd_replay(args, settings)
    if verb == "feeds":
        return cmd_feeds(args, settings)
    if verb == "demo":
        return cmd_demo(args, settings)
    # which decider build the daemon runs, and why (pipeline/compiled.py)
    decider = (
        {}
        if build is None
        else {"decider_build": "compiled" if build.compiled else "sources", "decider_build_reason": build.reason}
    )
    log.info("starting", extra={"verb": verb, "backend": settings.backend, **decider, "config": settings.masked()})
    if verb == "status":
        return cmd_status(settings)
    if verb == "dlq":
        return cmd_dlq_export(args, settings)
    return Daemon(settings, args).run()


def _role(role: Role | None) -> Role:
    """A role the wiring relies on a stage having (``STAGES`` declares it)."""
    if role is None:
        raise ValueError("the topic graph lacks a role this wiring needs (see newswire/topics.py)")
    return role


def load_feeds(settings: Settings) -> list[FeedConfig]:
    if settings.poller.feeds_file is None:
        raise ConfigError("poller.feeds_file: no feed list given (use --feeds FILE or set it in the config)")
    return load_feed_list(settings.poller.feeds_file)


def open_topics(settings: Settings, stack: ExitStack) -> tuple[Bus, TopicGraph]:
    bus = open_bus(settings)
    stack.callback(bus.close)
    graph = topic_graph(settings)
    bus.ensure_topics(graph.all())
    check_single_partition(bus, graph)
    if settings.backend == "embedded":
        log.info("using the embedded backend (no broker)", extra={"path": str(settings.embedded.path)})
    else:
        log.info("using Kafka", extra={"bootstrap_servers": settings.kafka.bootstrap_servers})
    return bus, graph


def check_single_partition(bus: Bus, graph: TopicGraph) -> None:
    """Refuse to run on a decision topic someone created with several partitions: threading
    decisions are consistent only because one worker owns the single ``cleaned`` partition and
    its changelog (see newswire/topics.py)."""
    for role in single_partition_roles():
        found = len(bus.end_offsets(graph.name(role)))
        if found != 1:
            raise BusError(
                f"topic {graph.name(role)} has {found} partitions; newswire needs exactly 1 "
                "(one decider keeps story decisions consistent): recreate it or change topics.prefix"
            )


class EventsSink:
    """Appends events to a JSON-lines file (``--events-out``), committing after each write."""

    def __init__(self, bus: Bus, topic: str, group_id: str, out: IO[str]) -> None:
        self.consumer = bus.consumer(group_id, [topic])
        self.out = out

    def step(self) -> int:
        msgs = self.consumer.poll(timeout_s=0.3, max_records=500)
        for msg in sorted(msgs, key=lambda m: (m.timestamp_ms, m.partition, m.offset)):
            if msg.value is not None:
                self.out.write(msg.value.decode("utf-8") + "\n")
        if msgs:
            self.out.flush()
            self.consumer.commit()
        return len(msgs)

    def drain(self) -> None:
        idle = 0
        while idle < 2:
            idle = idle + 1 if self.step() == 0 else 0

    def close(self) -> None:
        self.consumer.close()


class Daemon:
    """``run`` (everything in one process), ``poll`` and ``work``."""

    def __init__(self, settings: Settings, args: argparse.Namespace) -> None:
        self.settings = settings
        self.args = args
        self.verb: str = args.verb
        self.once: bool = bool(getattr(args, "once", False))
        self.stop = StopFlag()
        self.ready_checks: list[Callable[[], bool]] = []
        # Liveness beyond "every task thread runs": a stuck poll stops /healthz ticking.
        self.live_checks: list[Callable[[], bool]] = []
        self.worker_assigned: list[Callable[[], bool]] = []
        self.connected = False
        # Ready only once every part of the daemon is built: between "broker reached" and
        # "poller and stage loops constructed" a probe must still see 503.
        self.started = False
        self.failures: list[BaseException] = []
        self.drained = False  # every task finished within the shutdown budget

    def run(self) -> int:
        code = self._run()
        if self.drained:
            # Only now: _run's ExitStack has closed the stage loops, the poller and the bus.
            log.info("stopped cleanly")
        return code

    def _ready(self) -> bool:
        return all(check() for check in self.ready_checks)

    def _live(self) -> bool:
        try:
            return all(check() for check in self.live_checks)
        except Exception:
            log.exception("liveness check raised; not ticking")
            return False

    def _run(self) -> int:
        s = self.settings
        install_signal_handlers(self.stop)
        with ExitStack() as stack:
            feeds = load_feeds(s) if self.verb in ("run", "poll") else []
            health: HealthServer | None = None
            if s.metrics.enabled:
                # Up before the bus: probes answer (503 not ready) while the broker is reached.
                health = stack.enter_context(
                    HealthServer(
                        s.metrics.host,
                        s.metrics.port,
                        ready=self._ready,
                        liveness_timeout_s=max(60.0, s.shutdown_timeout_s * 2),
                    )
                )
                log.info("health server listening", extra={"port": health.port})
            self.ready_checks.append(lambda: self.started)
            self.ready_checks.append(lambda: self.connected)
            bus, graph = open_topics(s, stack)
            self.connected = True
            tasks: list[tuple[str, Callable[[], None]]] = []
            poller: Poller | None = None
            if self.verb in ("run", "poll"):
                state_topic, raw_topic = graph.name(_role(POLL.changelog)), graph.name(_role(POLL.output))
                poller = Poller(
                    s,
                    bus,
                    feeds,
                    state_topic=state_topic,
                    raw_topic=raw_topic,
                    # the topic's real partition count: it may predate the setting
                    partitions=len(bus.end_offsets(state_topic)),
                    # Named by state partition, not by pod: whoever holds a partition writes
                    # under its id, which fences every earlier holder (see ingest/poller.py).
                    txid_prefix=f"{s.kafka.transactional_id_prefix}-{POLL.name}",
                    group_id=graph.group(POLL.group),
                    stop=self.stop,
                )
                stack.callback(poller.close)
                self.ready_checks.append(poller.ready.is_set)
                self.live_checks.append(poller.alive)
                tasks.append(("poller", lambda p=poller: p.run(once=self.once)))  # type: ignore[misc]
            stage = getattr(self.args, "stage", "all")
            loops: list[StageLoop] = []
            if self.verb == "run" or (self.verb == "work" and stage in ("all", "clean")):
                pool = stack.enter_context(extract_pool(s))
                cleaner = CleanProcessor(pool, graph.name(_role(CLEAN.output)), max_record_bytes=s.max_record_bytes)
                self.worker_assigned.append(lambda c=cleaner: bool(c.assigned))  # type: ignore[misc]
                loops.append(self._loop(bus, graph, cleaner, CLEAN))
            if self.verb == "run" or (self.verb == "work" and stage in ("all", "thread")):
                # The reader outlives the stage loop (closed after it, in reverse order).
                changelog = stack.enter_context(closing(bus.table_reader(graph.name(_role(THREAD.changelog)))))
                threader = ThreadProcessor(
                    s.worker, graph.name(_role(THREAD.output)), changelog.topic, changelog=changelog
                )
                self.ready_checks.append(lambda t=threader: not t.restoring)  # type: ignore[misc]
                # A decider is ready when it holds the partition, or as a standby once it has
                # caught up with the changelog (so a rolling update waits for a warm successor).
                self.worker_assigned.append(lambda t=threader: bool(t.assigned) or t.warm)  # type: ignore[misc]
                loops.append(self._loop(bus, graph, threader, THREAD))
            if self.worker_assigned:  # a worker is ready once it holds partitions of some stage
                self.ready_checks.append(lambda: any(check() for check in self.worker_assigned))
            for loop in loops:
                stack.callback(loop.close)
                loop.open()
                tasks.append((loop.processor.name, lambda lp=loop: lp.run(until_idle=self.once)))  # type: ignore[misc]
            sink: EventsSink | None = None
            events_out: Path | None = getattr(self.args, "events_out", None)
            if events_out is not None:
                fh = stack.enter_context(events_out.open("a", encoding="utf-8"))
                sink = EventsSink(bus, graph.name(_role(EVENTS_OUT.input)), graph.group(EVENTS_OUT.group), fh)
                stack.callback(sink.close)
            self.started = True
            if self.once:
                for name, task in tasks:  # in data-flow order: poll, clean, thread
                    log.info("running once", extra={"stage": name})
                    task()
                    if health is not None:
                        health.tick()
                if sink is not None:
                    sink.drain()
                log.info("done", extra={"verb": self.verb})
                return 0
            if sink is not None:
                tasks.append(("events-out", lambda: self._sink_loop(sink)))
            if bus.name == "embedded":
                tasks.append(("maintenance", lambda: self._maintain(bus)))
            tasks.append(("broker-probe", lambda: self._probe(bus)))
            return self._supervise(tasks, health)
        return 0

    def _txid(self, stage: str) -> str:
        return f"{self.settings.kafka.transactional_id_prefix}-{stage}-{instance_id()}"

    def _loop(self, bus: Bus, graph: TopicGraph, processor: Any, stage: Stage) -> StageLoop:
        """A stage loop as :data:`newswire.topics.STAGES` describes the stage (the loop is
        transactional and dead-letters bad records: only such stages may run in one)."""
        if not (stage.transactional and stage.dead_letters):
            raise ValueError(f"stage {stage.name} is not a transactional stage with dead letters")
        metrics.DEAD_LETTERS_CAP.set(self.settings.topics.dead_letters_max_bytes)
        return StageLoop(
            bus=bus,
            processor=processor,
            group_id=graph.group(stage.group),
            input_topics=[graph.name(_role(stage.input))],
            dead_letter_topic=graph.name(Role.DEAD_LETTERS),
            transactional_id=self._txid(stage.name),
            stop=self.stop,
            batch_size=self.settings.worker.batch_size,
            on_idle=getattr(processor, "tick", None),
            # The decider's index is what a newcomer would have to rebuild: a member joining
            # (a restarted pod, a scale-up) must not take the partition from its warm holder.
            sticky=stage is THREAD,
            # The decider's holder fences its predecessors by the partition's transactional id
            # before it reads the committed offsets (see workers/threader.py, the take-over).
            partition_txid_prefix=f"{self.settings.kafka.transactional_id_prefix}-{stage.name}"
            if stage is THREAD
            else None,
        )

    def _probe(self, bus: Bus, every_s: float = 2.0) -> None:
        """Readiness follows the broker: not ready while it does not answer, ready again once
        it does. The clients reconnect by themselves; nothing here restarts anything."""
        while not self.stop.wait(every_s):
            reachable = bus.reachable()
            if reachable != self.connected:
                if reachable:
                    log.info("broker reachable again: ready")
                else:
                    log.warning("broker unreachable: not ready until it answers")
            self.connected = reachable

    def _maintain(self, bus: Bus, every_s: float = 600.0) -> None:
        """Embedded backend: compact state topics and drop consumed records past retention,
        so a long-running ``make run`` keeps a bounded database."""
        while not self.stop.wait(every_s):
            removed = bus.maintain()
            if removed:
                log.info("embedded store maintained", extra={"records_removed": removed})

    def _sink_loop(self, sink: EventsSink) -> None:
        while not self.stop.is_set():
            sink.step()

    def _supervise(self, tasks: list[tuple[str, Callable[[], None]]], health: HealthServer | None) -> int:
        """Run each task on its own thread; the first failure stops them all (exit 1)."""

        def guard(name: str, task: Callable[[], None]) -> None:
            try:
                task()
            except BaseException as exc:
                log.exception("task failed", extra={"task": name})
                self.failures.append(exc)
                self.stop.set()

        threads = [threading.Thread(target=guard, args=t, name=t[0], daemon=True) for t in tasks]
        for t in threads:
            t.start()
        while not self.stop.wait(1.0):
            if health is not None and all(t.is_alive() for t in threads) and self._live():
                health.tick()
        log.info("stopping: draining in-flight work", extra={"budget_s": self.settings.shutdown_timeout_s})
        deadline = time.monotonic() + self.settings.shutdown_timeout_s
        for t in threads:
            t.join(timeout=max(0.1, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            log.error("drain timed out; uncommitted work will be redone", extra={"tasks": stuck})
            return 1
        self.drained = True
        return 1 if self.failures else 0


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    started = time.monotonic()
    if not args.input.is_file():  # bad usage: say so in one line, and leave --output untouched
        print(f"newswire replay: no such input file: {args.input}", file=sys.stderr)
        return 2

    with ExitStack() as stack:
        try:  # a compressed input is read whole first: a corrupt one leaves the outputs untouched
            source = stack.enter_context(open_input(args.input))
        except InputError as exc:
            print(f"newswire replay: {exc}", file=sys.stderr)
            return 2
        dead_out = stack.enter_context(args.dead_letters.open("w", encoding="utf-8")) if args.dead_letters else None

        def report(dead: dict[str, Any]) -> None:  # as they happen: a crash later loses none of them
            print(
                f"newswire replay: dead letter ({dead['reason']}) at input {dead['offset']}: {dead['error']}",
                file=sys.stderr,
                flush=True,
            )
            if dead_out is not None:
                dead_out.write(dead_letter_line(dead, dead["input"]) + "\n")
                dead_out.flush()

        out = stack.enter_context(args.output.open("w", encoding="utf-8"))
        stats = replay(
            source, out, settings, on_dead=report, from_dead_letters=args.from_dead_letters, order=args.order
        )
    print(
        f"newswire replay: {stats.inputs} inputs -> {stats.events} events, {stats.unchanged} unchanged, "
        f"{len(stats.dead_letters)} dead letters in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    if stats.unreadable_dates:
        print(
            f"newswire replay: {stats.unreadable_dates} inputs gave a published date in no readable form "
            "(ISO 8601, RFC 2822, epoch): their pages' dates stood in (none, for a line given as text)",
            file=sys.stderr,
        )
    if stats.undated_text:
        print(
            f"newswire replay: {stats.undated_text} inputs given as text had no 'published': "
            "threaded undated, at one instant in file order (a date under another name is read as "
            f"'published' from {', '.join(DATE_FIELDS[1:])})",
            file=sys.stderr,
        )
    if stats.inputs and len(stats.dead_letters) == stats.inputs:
        print("newswire replay: every input was a dead letter", file=sys.stderr)
        return 1
    if args.score:
        scored = score_replay(args.input, args.output, args.score)
        if not scored.scores.items:
            print(
                f"newswire replay: no input line carries {args.score!r} and an 'id': nothing to score", file=sys.stderr
            )
            return 2
        print(score_line(scored))
    return 0


def score_line(r: ReplayScore) -> str:
    """What ``replay --score`` prints: the pairwise scores, the look-alike pairs merged, whether
    issue 8's held-out criterion is met, and what could not be scored."""
    s, p = r.scores, r.scores.pairwise
    share = f" ({100 * s.lookalike_merged / s.lookalike_pairs:.1f}%)" if s.lookalike_pairs else ""
    met = "met" if s.meets_criterion() else "not met"
    tail = (
        f"; {r.without_event} labelled inputs with no event, each scored as a story of its own"
        if r.without_event
        else ""
    )
    return (
        f"newswire replay: {s.items} inputs labelled by {r.field!r}: pairwise same-story precision "
        f"{p.precision:.3f}, recall {p.recall:.3f}, F1 {p.f1:.3f}; look-alike pairs merged "
        f"{s.lookalike_merged} of {s.lookalike_pairs}{share}; held-out criterion (P >= {MIN_PRECISION}, "
        f"R >= {MIN_RECALL}, <= {MAX_LOOKALIKE_SHARE:.0%} of look-alike pairs) {met}{tail}"
    )


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    if args.feeds_verb == "discover":
        from pipeline.discovery import cmd_discover

        return cmd_discover(args, settings)
    if args.feeds_verb == "import":
        text = to_yaml(load_feed_list(args.file))
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    rows = feed_status_rows(settings)
    print(format_table(["feed", "health", "last success", "failures", "last error", "next poll in"], rows))
    return 0


def _utc(ts: float | None) -> str:
    if ts is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def feed_status_rows(settings: Settings) -> list[list[str]]:
    with ExitStack() as stack:
        bus, graph = open_topics(settings, stack)
        states: dict[str, FeedState] = {}
        unreadable: set[str] = set()
        for msg in bus.read_table(graph.name(Role.POLLER_STATE)):
            if msg.key is None:
                continue
            url = msg.key.decode(errors="replace")
            unreadable.discard(url)
            if msg.value is None:
                states.pop(url, None)
                continue
            try:
                states[url] = FeedState.from_json(msg.value)
            except ValueError:  # as the poller does: a state it cannot read is no state
                states.pop(url, None)
                unreadable.add(url)
    configured = [f.url for f in load_feeds(settings)] if settings.poller.feeds_file else []
    now = time.time()
    rows = []
    for url in configured + sorted((set(states) | unreadable) - set(configured)):
        st = states.get(url)
        if st is None:
            rows.append([url, "unreadable state" if url in unreadable else "unpolled", "never", "0", "", "due"])
            continue
        rows.append(
            [
                url,
                feed_health(st),
                _utc(st.last_success),
                str(st.consecutive_failures),
                st.last_error_kind or "",
                f"{max(0.0, st.next_poll_at - now):.0f}s",
            ]
        )
    return rows


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def cmd_dlq_export(args: argparse.Namespace, settings: Settings) -> int:
    """``newswire dlq export``: the dead-letter topic as JSON lines (envelope + original
    record), which ``newswire replay --from-dead-letters`` re-drives once the cause is fixed."""
    with ExitStack() as stack:
        bus, graph = open_topics(settings, stack)
        out: IO[str] = stack.enter_context(args.output.open("w", encoding="utf-8")) if args.output else sys.stdout
        exported = 0
        for msg in bus.read_table(graph.name(Role.DEAD_LETTERS)):
            envelope: dict[str, Any] = {}
            for name, value in msg.headers:
                if name == "newswire.dlq":
                    try:
                        found = json.loads(value)
                    except (ValueError, RecursionError):
                        found = None
                    # (not JSON, or a list or a string: no envelope of ours)
                    envelope = found if isinstance(found, dict) else {"error": "unreadable dead-letter envelope"}
            if args.stage and envelope.get("stage") != args.stage:
                continue
            letter = {
                "stage": envelope.get("stage", "unknown"),
                "reason": envelope.get("reason", "unknown"),
                "error": envelope.get("error", ""),
                "source": envelope.get("source", {"topic": msg.topic, "partition": msg.partition}),
                "offset": msg.offset,
            }
            out.write(dead_letter_line(letter, msg.value or b"") + "\n")
            exported += 1
    print(f"newswire dlq: {exported} dead letters exported", file=sys.stderr)
    return 0


def cmd_status(settings: Settings) -> int:
    with ExitStack() as stack:
        bus, graph = open_topics(settings, stack)
        rows = []
        for spec in graph.all():
            ends = bus.end_offsets(spec.name)
            rows.append(
                [spec.name, str(spec.partitions), "compact" if spec.compacted else "delete", str(sum(ends.values()))]
            )
        print(format_table(["topic", "partitions", "cleanup", "end offset (sum)"], rows))
        print()
        lag_rows = []
        for stage in STAGES:
            if stage.input is None:  # the pollers read the web: no lag to show
                continue
            lag = bus.group_lag(graph.group(stage.group), graph.name(stage.input))
            for tp, n in sorted(lag.items()):
                lag_rows.append([graph.group(stage.group), tp.topic, str(tp.partition), str(n)])
        print(format_table(["group", "topic", "partition", "lag"], lag_rows))
    print()
    summary: dict[str, int] = {}
    if settings.poller.feeds_file is not None:
        for row in feed_status_rows(settings):
            summary[row[1]] = summary.get(row[1], 0) + 1
    print(
        format_table(
            ["feed health", "feeds"],
            [[k, str(v)] for k, v in sorted(summary.items())] or [["(no feed list configured)", "-"]],
        )
    )
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the January 24/25 case on three loopback wire sites and run the main job once."""
    from pipeline.demo import SampleWeb
    from pipeline.samples import seed_records

    records = seed_records()
    sites = sorted({r["site"] for r in records})
    # One wire publishes through a Google News sitemap only (no feed), as many wires do.
    kinds = ["rss", "sitemap", "json"]
    with (
        tempfile.TemporaryDirectory(prefix="newswire-demo-") as tmp,
        SampleWeb([(site, kinds[i % 3]) for i, site in enumerate(sites)]) as web,
    ):
        web.publish(records)
        opml = Path(tmp) / "wires.opml"
        opml.write_text(web.opml(), encoding="utf-8")
        events = Path(args.events_out) if args.events_out else Path(tmp) / "events.jsonl"
        demo_settings = settings.model_copy(
            update={
                "backend": "embedded",
                "embedded": settings.embedded.model_copy(update={"path": Path(tmp) / "demo.db"}),
                "poller": settings.poller.model_copy(
                    update={"feeds_file": opml, "allow_private_network": True, "per_host_min_interval_s": 0.0}
                ),
                "metrics": settings.metrics.model_copy(update={"enabled": False}),
                "worker": settings.worker.model_copy(update={"extract_processes": 0}),
            }
        )
        ns = argparse.Namespace(verb="run", once=True, events_out=events)
        code = Daemon(demo_settings, ns).run()
        names = {s.host: s.name for s in web.sites.values()}
        print("\nSample sites:\n")
        for sample in web.sites.values():
            how = "news sitemap only" if sample.kind == "sitemap" else f"{sample.kind} feed"
            print(f"  {sample.name:<20} {how}")
        print("\nStory events (newswire demo):\n")
        for line in events.read_text(encoding="utf-8").splitlines():
            ev = json.loads(line)
            extra = ev.get("update_kind") or (f"of {ev['duplicate_of'][:8]}" if ev.get("duplicate_of") else "")
            site = names.get(ev["site"], ev["site"])
            print(
                f"  {ev['type']:<16} story {ev['story_id'][:8]} v{ev['version']}  {extra:<12} "
                f"{site:<20} {ev['title'][:64]}"
            )
        return code
