"""The poller daemon against a real HTTP server on 127.0.0.1 and the embedded bus: what one
feed can do to the daemon that polls every other feed (nothing), and shutdown bounds."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from ingest.feedlist import FeedConfig
from ingest.poller import Poller, PollResult, decode_html
from ingest.schedule import MAX_WAIT_S, FeedState
from newswire.bus import TopicPartition
from newswire.records import RawStory
from tests.support.daemons import free_port
from tests.support.http import TestServer, send
from tests.support.pollers import open_poller


@pytest.fixture
def make_poller(tmp_path: Path) -> Iterator[Callable[..., Poller]]:
    with ExitStack() as stack:

        def make(feeds: list[FeedConfig], **poller: object) -> Poller:
            return stack.enter_context(open_poller(tmp_path, feeds, **{"total_timeout_s": 3.0, **poller}))

        yield make


def _raws(p: Poller) -> list[RawStory]:
    return [RawStory.decode(m.value) for m in p.bus.read_table(p.raw_topic) if m.value is not None]


def _rss(*items: tuple[str, str]) -> bytes:
    body = "".join(
        f"<item><guid>{g}</guid><title>Story {g}</title><link>{link}</link><description>About {g}.</description></item>"
        for g, link in items
    )
    return f'<rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


def _tick_until(p: Poller, urls: set[str], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not urls <= p.polled_once:
        assert time.monotonic() < deadline, "polls did not complete"
        p.tick(once=True)
        time.sleep(0.02)


def test_hostile_entries_do_not_crash_the_daemon(http_server: TestServer, make_poller: Any) -> None:
    """A broken entry link and a page declaring an exotic charset are one entry's problem."""
    page = b'<html><head><meta charset="idna"><title>x</title></head><body><p>Body text.</p></body></html>'
    good = http_server.static("/a", page, headers={"Content-Type": "text/html"})
    feed = http_server.static(
        "/feed", _rss(("g1", good), ("g2", "http://[broken/x")), headers={"Content-Type": "application/rss+xml"}
    )
    p = make_poller([FeedConfig(url=feed)])
    _tick_until(p, {feed})
    raws = {r.guid: r for r in _raws(p)}
    assert set(raws) == {"g1", "g2"}
    assert "Body text." in raws["g1"].html
    assert raws["g2"].url.startswith("urn:newswire:")  # the feed's own text makes the story


def test_unexpected_error_in_one_feed_is_backed_off_not_fatal(
    http_server: TestServer, make_poller: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = http_server.static("/bad", b"BUG", headers={"Content-Type": "application/rss+xml"})
    good = http_server.static("/good", _rss(), headers={"Content-Type": "application/rss+xml"})
    p = make_poller([FeedConfig(url=bad), FeedConfig(url=good)])
    real = p.parser.parse

    def parse(body: bytes) -> object:
        if body == b"BUG":
            raise RuntimeError("library bug")
        return real(body)

    monkeypatch.setattr(p.parser, "parse", parse)
    _tick_until(p, {bad, good})
    st = p.states[bad]
    assert st.consecutive_failures == 1 and st.last_error_kind == "internal"
    assert st.next_poll_at > time.time() + 60  # backed off, not retried every tick
    assert p.states[good].consecutive_failures == 0


def test_a_feed_the_parser_library_raises_on_is_a_parse_error_not_a_crash(
    http_server: TestServer, make_poller: Any
) -> None:
    """A feed on which feedparser raises (an out-of-range character reference, served over
    real HTTP and parsed in the parser process) is the feed's parse error, backed off as one;
    not an internal failure with a traceback, which tells operators of a bug of ours."""
    bad = http_server.static(
        "/bad",
        b'<rss version="2.0"><channel><item><title>a &#x110000; b</title></item></channel></rss>',
        headers={"Content-Type": "application/rss+xml"},
    )
    good = http_server.static(
        "/good", _rss(("g1", "https://example.test/a")), headers={"Content-Type": "application/rss+xml"}
    )
    p = make_poller([FeedConfig(url=bad), FeedConfig(url=good)])
    _tick_until(p, {bad, good})
    st = p.states[bad]
    assert st.consecutive_failures == 1 and st.last_error_kind == "parse_error"
    assert p.states[good].consecutive_failures == 0


def test_first_failing_summary_tells_unpolled_feeds_from_healthy_ones(
    http_server: TestServer, make_poller: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The first summary of sick feeds is written while the first round of polls is still
    coming in: a feed whose first poll is in flight counts as healthy, and the summary says it
    has not been polled yet (on an offline machine every feed fails, and none is healthy)."""
    answer = threading.Event()

    def slow(h: Any) -> None:
        answer.wait(10)
        send(h, 200, _rss(), {"Content-Type": "application/rss+xml"})

    pending = http_server.route("/slow", slow)
    refused = f"http://127.0.0.1:{free_port()}/feed"  # nothing listens there
    p = make_poller([FeedConfig(url=refused, name="Refused"), FeedConfig(url=pending, name="Pending")])
    caplog.set_level(logging.WARNING, logger="ingest.poller")
    try:
        _tick_until(p, {refused})
        p.tick(once=True)
        summaries = [r for r in caplog.records if r.getMessage() == "feeds failing"]
        assert summaries, "no summary of the failing feed"
        first = summaries[0].__dict__
        assert (first["healthy"], first["failing"], first["not_yet_polled"]) == (1, 1, 1)
        assert first["by_error"] == {"connection": ["Refused"]}
    finally:
        answer.set()
    _tick_until(p, {pending})
    assert p.states[pending].consecutive_failures == 0


def test_deferred_host_reschedules_instead_of_parking_a_thread(http_server: TestServer, make_poller: Any) -> None:
    feed = http_server.static("/feed", _rss(), headers={"Content-Type": "application/rss+xml"})
    p = make_poller([FeedConfig(url=feed)], total_timeout_s=0.5)
    p.politeness.defer(feed, 3600.0)  # an earlier Retry-After: 3600 on this host
    started = time.monotonic()
    _tick_until(p, {feed}, timeout_s=5.0)
    assert time.monotonic() - started < 3.0
    st = p.states[feed]
    assert st.last_error_kind == "throttled"
    assert st.next_poll_at >= time.time() + 3000  # the host's deferral carries into the schedule
    assert not http_server.hits("/feed")


def test_absurd_retry_after_does_not_crash_or_silence_the_host(http_server: TestServer, make_poller: Any) -> None:
    feed = http_server.static("/feed", b"", status=429, headers={"Retry-After": "99999999999999"})
    p = make_poller([FeedConfig(url=feed)])
    _tick_until(p, {feed})
    assert p.states[feed].last_error_kind == "throttled"
    assert p.politeness.delay(feed) <= p.settings.poller.max_backoff_s


def test_drain_is_bounded_by_one_shutdown_budget(make_poller: Any) -> None:
    p = make_poller([])
    never: list[Future[PollResult]] = [Future() for _ in range(4)]
    for i, fut in enumerate(never):
        p._inflight[f"https://example.com/{i}"] = fut
    started = time.monotonic()
    p._drain()
    assert time.monotonic() - started < 2 * p.settings.shutdown_timeout_s
    assert not p._inflight


def test_stop_abandons_remaining_pages_without_marking_them_seen(http_server: TestServer, make_poller: Any) -> None:
    pages = [http_server.static(f"/p{i}", b"<html><body><p>x</p></body></html>") for i in range(3)]
    feed = http_server.static(
        "/feed", _rss(*[(f"g{i}", u) for i, u in enumerate(pages)]), headers={"Content-Type": "application/rss+xml"}
    )
    p = make_poller([FeedConfig(url=feed)])
    p.stop.set()
    result = p.poll_feed(FeedConfig(url=feed), FeedState())
    assert result.raws == [] and result.state.seen == {}
    assert not any(http_server.hits(f"/p{i}") for i in range(3))


@pytest.mark.parametrize(
    ("ctype", "expected"),
    [
        ("text/html; Charset=ISO-8859-1", "caf\u00e9"),
        ("text/html; charset='latin-1'", "caf\u00e9"),
        ("text/html; charset=idna", "caf\ufffd"),
        ("text/html; charset=punycode", "caf\ufffd"),
    ],
)
def test_decode_html_odd_charsets(ctype: str, expected: str) -> None:
    assert decode_html(b"caf\xe9", ctype) == expected


def test_links_are_fetched_as_the_feed_gave_them(http_server: TestServer, make_poller: Any) -> None:
    """Defects 8, 5, 10: the page is fetched at the feed's URL (not its normalised key),
    relative links resolve against the feed, and non-web links never become the story's URL."""
    page = b"<html><body><p>Body.</p></body></html>"
    for path in ("/rel/article.php", "/b", "/c", "/rel/d"):
        http_server.static(path, page, headers={"Content-Type": "text/html"})
    links = [
        ("g1", "article.php?12345"),
        ("g2", "/b?x=1;utm_source=y"),
        ("g3", "/c?q=a%20b&amp;utm_medium=z"),
        ("g4", "d"),
        ("g5", "javascript:alert(1)"),
        ("g6", "data:text/html,&lt;b&gt;x"),
        ("g7", "file:///etc/passwd"),
        ("g8", "vbscript:msgbox"),
    ]
    feed = http_server.static("/rel/feed", _rss(*links), headers={"Content-Type": "application/rss+xml"})
    p = make_poller([FeedConfig(url=feed)])
    _tick_until(p, {feed})
    fetched = {r.path for r in http_server.requests}
    assert {"/rel/article.php?12345", "/b?x=1;utm_source=y", "/c?q=a%20b&utm_medium=z", "/rel/d"} <= fetched
    raws = {r.guid: r for r in _raws(p)}
    assert raws["g1"].url == http_server.url("/rel/article.php?12345")
    assert raws["g4"].url == http_server.url("/rel/d")
    # the key is the normalised form: tracking parameters do not split one article in two
    assert raws["g3"].article_key != raws["g1"].article_key
    for guid in ("g5", "g6", "g7", "g8"):
        assert raws[guid].url.startswith("urn:newswire:"), raws[guid].url
        assert raws[guid].final_url == ""
        assert raws[guid].status == 0


def test_feed_longer_than_the_seen_map_does_not_re_emit(http_server: TestServer, make_poller: Any) -> None:
    """Defect 7: 5000 entries used to emit 5000, then 3000 on every later poll."""
    polls = {"n": 0}

    def handler(h: Any) -> None:
        polls["n"] += 1
        body = _rss(*((f"g{i}", f"/p{i}") for i in range(2500)))
        body = body.replace(b"<title>t</title>", b"<title>t</title><!-- poll %d -->" % polls["n"])
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    feed = http_server.route("/long", handler)
    p = make_poller([FeedConfig(url=feed)], fetch_pages=False)
    _tick_until(p, {feed})
    first = len(_raws(p))
    assert first == 2000  # the newest 2000 are followed, the rest counted as ignored
    for _ in range(2):
        p.polled_once.clear()
        _tick_until(p, {feed})
    assert polls["n"] == 3
    assert len(_raws(p)) == first  # later polls of the same entries emit nothing


def test_a_poll_without_progress_fails_liveness(make_poller: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect 1: a stuck poll counts against health (the daemon stops ticking /healthz)."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def silent() -> None:
        conns = []
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conns.append(listener.accept()[0])
            except TimeoutError:
                continue
        for c in conns:
            c.close()

    server = threading.Thread(target=silent, daemon=True)
    server.start()
    feed = f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
    p = make_poller([FeedConfig(url=feed)], total_timeout_s=3.0, read_timeout_s=3.0)
    monkeypatch.setattr(p, "stall_limit_s", lambda: 0.5)
    try:
        assert p.alive()
        p.tick(once=True)
        deadline = time.monotonic() + 10
        while not p.ready.is_set() or feed not in p._inflight:
            assert time.monotonic() < deadline
            p.tick(once=True)
        time.sleep(1.0)
        assert p.stuck_polls() == [feed] and not p.alive()
        _tick_until(p, {feed})
        assert p.alive()
        assert p.states[feed].last_error_kind == "timeout"
    finally:
        stop.set()
        server.join(5)  # out of accept() before the socket closes under it
        listener.close()


def test_hostile_state_records_are_ignored_or_held_on_restore(tmp_path: Path) -> None:
    """A state record with a key that is not UTF-8, a 401-digit time, or JSON nested past the
    parser's depth crashed the poller on restore, every restart; one due in 1e300 was never
    polled again. Now the first is no feed's, the second's time unset, the third ignored as
    unreadable, the last held within ``MAX_WAIT_S`` of the clock."""
    feed = "http://127.0.0.1:9/feed"
    with open_poller(tmp_path, [FeedConfig(url=feed)]) as p:
        producer = p.bus.producer(transactional_id="t-hostile-state")
        producer.begin()
        for part in range(p._partitions):
            producer.send(p.state_topic, b'{"v":1}', key=b"\xff\xfe-not-utf8", partition=part)
            producer.send(
                p.state_topic, b'{"v":1,"next_poll_at":' + b"1" * 401 + b"}", key=b"http://x/overflow", partition=part
            )
            producer.send(p.state_topic, b"[" * 100_000 + b"]" * 100_000, key=b"http://x/nested", partition=part)
        producer.send(
            p.state_topic, b'{"v":1,"next_poll_at":1e300}', key=feed.encode(), partition=p._feed_partition[feed]
        )
        producer.commit()
        producer.close()
        p._on_assign(frozenset(TopicPartition(p.state_topic, part) for part in range(p._partitions)))
        assert p.states["http://x/overflow"].next_poll_at == 0.0
        assert "http://x/nested" not in p.states
        assert p.states[feed].next_poll_at <= p.clock() + MAX_WAIT_S
