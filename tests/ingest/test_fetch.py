"""Fetcher against a real HTTP server on 127.0.0.1, including servers that misbehave on purpose."""

from __future__ import annotations

import gzip
import math
import socket
import threading
import time
import zlib
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import pytest

from ingest.fetch import (
    FETCH_ERROR_KINDS,
    Fetcher,
    FetchError,
    FetchSettings,
    blocked_reason,
    parse_retry_after,
)
from tests.support.hostile import RawServer, Script, read_request
from tests.support.http import TestServer, send, write_chunk

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


def fetch_error(fetcher: Fetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert info.value.kind in FETCH_ERROR_KINDS
    return info.value


def _keeps_one_answer(connections: list[int]) -> Script:
    """A server that answers the first request of each connection and keeps it open, then
    closes it without answering when the next request arrives: the idle close a request can
    cross on the wire."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        connections.append(1)
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n" % len(FEED))
        conn.sendall(FEED)
        read_request(conn)
        conn.close()

    return script


def test_a_pooled_connection_the_server_closed_is_retried_once_on_a_new_one() -> None:
    """The second fetch goes out on the pooled connection, which the server closes without an
    answer (as it would an idle one): it was a ``connection`` failure; a GET is sent again on a
    new connection (RFC 9112, 9.3.1) and is answered."""
    connections: list[int] = []
    settings = FetchSettings(allow_private_network=True, connect_timeout_s=2.0, read_timeout_s=2.0, total_timeout_s=4.0)
    with RawServer(_keeps_one_answer(connections)) as srv, Fetcher(settings) as fetcher:
        for _ in range(3):
            assert fetcher.fetch(srv.url("/feed")).body == FEED
    assert len(connections) == 3


def test_a_new_connection_closed_without_an_answer_is_not_retried() -> None:
    """The server's own answer on a connection opened for the request: one attempt, a
    ``connection`` failure."""
    connections: list[int] = []

    def script(conn: socket.socket, stop: threading.Event) -> None:
        connections.append(1)
        read_request(conn)
        conn.close()

    settings = FetchSettings(allow_private_network=True, connect_timeout_s=2.0, read_timeout_s=2.0, total_timeout_s=4.0)
    with RawServer(script) as srv, Fetcher(settings) as fetcher:
        assert fetch_error(fetcher, srv.url("/feed")).kind == "connection"
    assert len(connections) == 1


# -- pure helpers ---------------------------------------------------------------------------


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 01 May 2024 12:02:00 GMT", now) == 120.0
    assert parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_head_only_cuts_a_body_at_the_cap_instead_of_failing(http_server: TestServer, local_fetcher: Fetcher) -> None:
    """For a file read only to a limit (robots.txt): the first ``max_bytes`` decoded bytes,
    declared length or not, compressed or not; without ``head_only`` the same body is
    ``too_large``."""
    body = bytes(range(256)) * 4096  # 1 MiB
    plain = http_server.static("/plain", body)
    packed = http_server.static("/packed", gzip.compress(body), headers={"Content-Encoding": "gzip"})
    for url in (plain, packed):
        assert local_fetcher.fetch(url, max_bytes=1000, head_only=True).body == body[:1000]
        with pytest.raises(FetchError) as info:
            local_fetcher.fetch(url, max_bytes=1000)
        assert info.value.kind == "too_large"
    assert local_fetcher.fetch(plain, max_bytes=len(body), head_only=True).body == body  # not over: whole


def test_a_hostile_retry_after_is_no_hint_rather_than_an_error() -> None:
    """A digit float() does not read ("²" passes isdigit) and a day past year 9999 escaped as
    ValueError/OverflowError: the page, feed or robots.txt was filed as one of our bugs."""
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("\u00b2", now) is None
    assert parse_retry_after("Mon, 99999999999999999999 Jan 2020 00:00:00 GMT", now) is None
    assert parse_retry_after("\u0661\u0662\u0663", now) == 123.0  # Arabic-Indic digits are digits
    assert parse_retry_after("9" * 400, now) == math.inf  # capped by the caller


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-global"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_blocked_reason(address: str, reason: str | None) -> None:
    got = blocked_reason(address)
    if reason is None:
        assert got is None
    else:
        assert got is not None  # ipaddress flags overlap (127/8 is also "private"); any is a block


# -- ordinary fetches -------------------------------------------------------------------------


def test_fetch_ok_sends_user_agent_and_accept(http_server: TestServer) -> None:
    url = http_server.static(
        "/feed",
        FEED,
        headers={"Content-Type": "application/rss+xml", "ETag": '"v1"', "Cache-Control": "max-age=60"},
    )
    with Fetcher(FetchSettings(allow_private_network=True, user_agent="newswire-test/1")) as f:
        r = f.fetch(url, accept="application/rss+xml")
    assert (r.status, r.body, r.content_type, r.etag) == (200, FEED, "application/rss+xml", '"v1"')
    assert r.headers["cache-control"] == "max-age=60"
    assert r.final_url == url and r.redirects == () and not r.not_modified
    assert r.body_hash is not None and len(r.body_hash) == 64
    seen = http_server.hits("/feed")[0].headers
    assert seen["user-agent"] == "newswire-test/1"
    assert seen["accept"] == "application/rss+xml"
    assert seen["host"] == url.split("/")[2]


def test_gzip_and_deflate_bodies_are_decoded(http_server: TestServer, local_fetcher: Fetcher) -> None:
    body = FEED * 50
    g = http_server.static("/g", gzip.compress(body), headers={"Content-Encoding": "gzip"})
    d = http_server.static("/d", zlib.compress(body), headers={"Content-Encoding": "deflate"})
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    r = http_server.static("/r", raw.compress(body) + raw.flush(), headers={"Content-Encoding": "deflate"})
    for url in (g, d, r):
        assert local_fetcher.fetch(url).body == body


def test_conditional_get_sends_validators_and_gets_304(http_server: TestServer, local_fetcher: Fetcher) -> None:
    lm = "Wed, 01 May 2024 12:00:00 GMT"

    def feed(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            send(h, 304, b"", {"ETag": '"v1"'})
        else:
            send(h, 200, FEED, {"ETag": '"v1"', "Last-Modified": lm})

    url = http_server.route("/feed", feed)
    first = local_fetcher.fetch(url)
    second = local_fetcher.fetch(url, validators=first.validators)
    sent = http_server.hits("/feed")[1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == lm
    assert second.status == 304 and second.not_modified and second.body == b""
    assert second.body_hash == first.body_hash and second.last_modified == lm  # carried over


def test_same_body_without_validator_support_is_not_modified_by_hash(
    http_server: TestServer, local_fetcher: Fetcher
) -> None:
    url = http_server.static("/feed", FEED, headers={"ETag": '"rotates"'})
    first = local_fetcher.fetch(url)
    second = local_fetcher.fetch(url, validators=first.validators)
    assert second.status == 200 and second.not_modified
    http_server.static("/feed", FEED + b" ")
    assert not local_fetcher.fetch(url, validators=first.validators).not_modified


def test_http_errors_are_classified(http_server: TestServer, local_fetcher: Fetcher) -> None:
    e = fetch_error(local_fetcher, http_server.url("/missing"))
    assert (e.kind, e.status) == ("http_error", 404)
    http_server.static("/boom", b"x", status=500)
    assert fetch_error(local_fetcher, http_server.url("/boom")).status == 500


def test_throttled_carries_retry_after(http_server: TestServer, local_fetcher: Fetcher) -> None:
    http_server.static("/429", b"", status=429, headers={"Retry-After": "120"})
    e = fetch_error(local_fetcher, http_server.url("/429"))
    assert (e.kind, e.status, e.retry_after) == ("throttled", 429, 120.0)
    when = "Wed, 01 Jan 2200 00:00:00 GMT"
    http_server.static("/503", b"", status=503, headers={"Retry-After": when})
    e = fetch_error(local_fetcher, http_server.url("/503"))
    assert e.kind == "throttled" and e.retry_after is not None and e.retry_after > 1e9
    assert "throttled" in str(e) and "\n" not in str(e)


def test_redirects_followed_and_recorded(http_server: TestServer, local_fetcher: Fetcher) -> None:
    http_server.static("/old", b"", status=301, headers={"Location": "/mid"})
    http_server.static("/mid", b"", status=302, headers={"Location": http_server.url("/new")})
    http_server.static("/new", FEED)
    r = local_fetcher.fetch(http_server.url("/old"))
    assert r.body == FEED and r.final_url == http_server.url("/new")
    assert r.redirects == (http_server.url("/mid"), http_server.url("/new"))
    assert r.url == http_server.url("/old")


# -- hostile servers --------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_redirect_loop(http_server: TestServer, local_fetcher: Fetcher) -> None:
    http_server.static("/a", b"", status=302, headers={"Location": "/b"})
    http_server.static("/b", b"", status=302, headers={"Location": "/a"})
    assert fetch_error(local_fetcher, http_server.url("/a")).kind == "redirect_loop"


@pytest.mark.timeout(20)
def test_too_many_redirects(http_server: TestServer, local_fetcher: Fetcher) -> None:
    for i in range(10):
        http_server.static(f"/r{i}", b"", status=307, headers={"Location": f"/r{i + 1}"})
    assert fetch_error(local_fetcher, http_server.url("/r0")).kind == "too_many_redirects"
    assert len(http_server.requests) == local_fetcher.settings.max_redirects + 1


def _gzip_bomb(h: BaseHTTPRequestHandler) -> None:
    """1 GB of zeros, gzip-compressed on the fly (about 1 MB on the wire if read to the end)."""
    h.send_response(200)
    h.send_header("Content-Encoding", "gzip")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    for _ in range(1024):
        out = comp.compress(zeros)
        if out:
            write_chunk(h, out)
    write_chunk(h, comp.flush())
    h.wfile.write(b"0\r\n\r\n")


@pytest.mark.timeout(30)
def test_gzip_bomb_is_cut_by_decoded_size(http_server: TestServer, local_fetcher: Fetcher) -> None:
    http_server.route("/bomb", _gzip_bomb)
    t0 = time.monotonic()
    e = fetch_error(local_fetcher, http_server.url("/bomb"))
    assert e.kind == "too_large"
    assert time.monotonic() - t0 < 5


@pytest.mark.timeout(30)
def test_declared_content_length_over_cap(http_server: TestServer, local_fetcher: Fetcher) -> None:
    http_server.static("/big", bytes(local_fetcher.settings.max_bytes + 1))
    assert fetch_error(local_fetcher, http_server.url("/big")).kind == "too_large"
    http_server.static("/small", bytes(2000))
    with pytest.raises(FetchError) as info:
        local_fetcher.fetch(http_server.url("/small"), max_bytes=1000)  # per-call cap
    assert info.value.kind == "too_large"
    assert len(local_fetcher.fetch(http_server.url("/small")).body) == 2000


def _endless(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    block = b"<item>" * 10_000
    while True:
        write_chunk(h, block)


@pytest.mark.timeout(30)
def test_endless_body(http_server: TestServer, local_fetcher: Fetcher) -> None:
    http_server.route("/endless", _endless)
    t0 = time.monotonic()
    assert fetch_error(local_fetcher, http_server.url("/endless")).kind in ("too_large", "timeout")
    assert time.monotonic() - t0 < 6


def _stall_before_headers(h: BaseHTTPRequestHandler) -> None:
    time.sleep(10)
    send(h, 200, FEED)


def _stall_mid_body(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.write(b"<rss>")
    h.wfile.flush()
    time.sleep(10)


def _trickle(h: BaseHTTPRequestHandler) -> None:
    """One byte every 0.3 s: each read succeeds within the read timeout, forever."""
    h.send_response(200)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    for _ in range(100):
        write_chunk(h, b"x")
        time.sleep(0.3)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("route", [_stall_before_headers, _stall_mid_body, _trickle])
def test_stalls_and_trickles_time_out(http_server: TestServer, route: object) -> None:
    http_server.route("/slow", route)  # type: ignore[arg-type]
    settings = FetchSettings(allow_private_network=True, read_timeout_s=1.0, total_timeout_s=2.0)
    with Fetcher(settings) as fetcher:
        t0 = time.monotonic()
        assert fetch_error(fetcher, http_server.url("/slow")).kind == "timeout"
        elapsed = time.monotonic() - t0
    assert elapsed < settings.total_timeout_s + settings.read_timeout_s + 1.0


# -- SSRF and schemes -------------------------------------------------------------------------


def test_private_address_blocked_by_default(http_server: TestServer) -> None:
    http_server.static("/feed", FEED)
    with Fetcher() as fetcher:
        e = fetch_error(fetcher, http_server.url("/feed"))
    assert e.kind == "blocked" and "loopback" in str(e)
    assert http_server.requests == []  # refused before connecting


def test_localhost_name_blocked(http_server: TestServer) -> None:
    port = http_server.base_url.rsplit(":", 1)[1]
    with Fetcher() as fetcher:
        assert fetch_error(fetcher, f"http://localhost:{port}/").kind == "blocked"


def test_redirect_to_cloud_metadata_blocked(http_server: TestServer) -> None:
    http_server.static("/go", b"", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    # Only the test server's address is allowed: every other non-public address stays blocked.
    with Fetcher(FetchSettings(allowed_networks=("127.0.0.1/32",), connect_timeout_s=1.0)) as fetcher:
        e = fetch_error(fetcher, http_server.url("/go"))
    assert e.kind == "blocked" and "169.254.169.254" in str(e)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed.xml", "gopher://x/", "/relative"])
def test_non_http_schemes_blocked(url: str) -> None:
    with Fetcher() as fetcher:
        assert fetch_error(fetcher, url).kind == "blocked"


def test_redirect_to_file_scheme_blocked(http_server: TestServer, local_fetcher: Fetcher) -> None:
    http_server.static("/go", b"", status=302, headers={"Location": "file:///etc/passwd"})
    assert fetch_error(local_fetcher, http_server.url("/go")).kind == "blocked"


def test_connection_refused_is_connection_error(local_fetcher: Fetcher) -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago and has no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert fetch_error(local_fetcher, f"http://127.0.0.1:{port}/").kind == "connection"
