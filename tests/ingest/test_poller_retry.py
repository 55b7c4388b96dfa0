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
