"""An entry whose page failed transiently is fetched again on the next poll, even when the
feed document is byte-for-byte the same (its body hash must not short-cut that poll)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

from ingest.feedlist import FeedConfig
from tests.support.http import TestServer, send
from tests.support.pollers import open_poller, poll_all, raws


def test_transient_page_failure_is_retried_on_an_unchanged_feed(http_server: TestServer, tmp_path: Path) -> None:
    calls = {"n": 0}

    def flaky(h: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            send(h, 500, b"try later", {"Content-Type": "text/plain"})
        else:
            send(h, 200, b"<html><body><p>Finally here.</p></body></html>", {"Content-Type": "text/html"})

    page = http_server.route("/story", flaky)
    rss = f'<rss version="2.0"><channel><title>t</title><item><guid>g1</guid><link>{page}</link></item></channel></rss>'
    feed = http_server.static("/feed", rss.encode(), headers={"Content-Type": "application/rss+xml"})
    with open_poller(tmp_path, [FeedConfig(url=feed)]) as p:
        poll_all(p)
        assert raws(p) == [] and p.states[feed].body_hash is None
        poll_all(p)
        got = raws(p)
    assert len(got) == 1 and "Finally here." in got[0].html and calls["n"] == 2


def test_a_page_that_never_answers_is_tried_max_page_attempts_times_then_given_up(
    http_server: TestServer, tmp_path: Path
) -> None:
    """Retried for ever, such an entry never became a story and cost the feed its conditional
    GET on every poll, with a warning as the only trace. After ``max_page_attempts`` polls in a
    row it goes with the feed's own text, the failure as its ``page_error``; the count is kept
    in the feed's state (a hand-over carries it), and the feed is conditional again."""
    calls = {"n": 0}

    def down(h: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        send(h, 500, b"try later", {"Content-Type": "text/plain"})

    page = http_server.route("/story", down)
    rss = (
        '<rss version="2.0"><channel><title>t</title><item><guid>g1</guid><title>The story</title>'
        f"<link>{page}</link><description>What the feed says of it.</description></item></channel></rss>"
    )
    feed = http_server.static("/feed", rss.encode(), headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'})
    with open_poller(tmp_path, [FeedConfig(url=feed)], max_page_attempts=3) as p:
        for tried in (1, 2):
            poll_all(p)
            assert raws(p) == [] and p.states[feed].page_attempts == {"g1": tried}
        poll_all(p)
        got = raws(p)
        state = p.states[feed]
    assert len(got) == 1 and calls["n"] == 3
    assert got[0].extra["page_error"] == "http_error" and "What the feed says of it." in got[0].html
    assert state.page_attempts == {} and state.etag == '"v1"'
