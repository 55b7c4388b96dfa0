"""Hostile servers against the real Fetcher: every case ends classified, within its deadline.

Each row is one hostile server (a raw-TCP script on 127.0.0.1) or hostile URL, the fetch
error kind it must produce and the wall-time bound it must end in. The fetcher's budget is
``TOTAL_S``; the bound is that plus scheduling slack, never a speed measurement.
"""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from ingest.fetch import FETCH_ERROR_KINDS, Fetcher, FetchError, FetchSettings
from tests.support.hostile import RawServer, bounded, forever, read_request, trickle

TOTAL_S = 2.0
BOUND_S = TOTAL_S + 2.0  # slack for a loaded 2-core machine; the cases stall for 20 s+ unbounded
MEM_MB = 64.0

OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"


def _settings(**kw: object) -> FetchSettings:
    base: dict[str, object] = {
        "allowed_networks": ("127.0.0.1/32",),
        "connect_timeout_s": 1.0,
        "read_timeout_s": 1.0,
        "total_timeout_s": TOTAL_S,
        "max_bytes": 256 * 1024,
        "max_redirects": 3,
    }
    base.update(kw)
    return FetchSettings(**base)  # type: ignore[arg-type]


# -- scripts: what the server does with one connection --------------------------------------


def endless_continue(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    forever(conn, stop, b"HTTP/1.1 100 Continue\r\n\r\n", 0.2)


def endless_102(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    forever(conn, stop, b"HTTP/1.1 102 Processing\r\n\r\n", 0.2)


def slow_status_line(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    trickle(conn, stop, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0.25)


def slow_headers(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    conn.sendall(OK_HEAD)
    trickle(conn, stop, b"X-Slow: " + b"a" * 200 + b"\r\nContent-Length: 2\r\n\r\nok", 0.25)


def endless_headers(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    conn.sendall(OK_HEAD)
    forever(conn, stop, b"X-More: yes\r\n", 0.2)


def slow_trailers(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    conn.sendall(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n")
    trickle(conn, stop, b"X-Trailer: " + b"t" * 200 + b"\r\n\r\n", 0.25)


def endless_trailers(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    conn.sendall(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n")
    forever(conn, stop, b"X-T: 1\r\n", 0.2)


def slow_body(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    conn.sendall(OK_HEAD + b"Content-Length: 1000\r\n\r\n")
    trickle(conn, stop, b"x" * 1000, 0.1)


def slow_chunks(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    conn.sendall(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    forever(conn, stop, b"1\r\nx\r\n", 0.2)


def silent(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    stop.wait(30)


def silent_before_request(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(30)


def hang_up(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    conn.close()


def reset(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()


def respond(raw: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def script(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(raw)
        stop.wait(0.5)
        conn.close()

    return script


def redirect(location: bytes, status: int = 302) -> Callable[[socket.socket, threading.Event], None]:
    return respond(b"HTTP/1.1 %d Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % (status, location))


def self_redirect(conn: socket.socket, stop: threading.Event) -> None:
    request = read_request(conn)
    path = request.split(b" ", 2)[1]
    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % path)
    conn.close()


def hop_forever(conn: socket.socket, stop: threading.Event) -> None:
    request = read_request(conn)
    path = request.split(b" ", 2)[1]
    nxt = path + b"x"
    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % nxt)
    conn.close()


GZIP_BOMB = gzip.compress(b"\0" * (8 * 1024 * 1024))


@dataclass(frozen=True)
class ServerCase:
    name: str
    script: Callable[[socket.socket, threading.Event], None]
    kind: str  # the FetchError kind expected, or "ok"


SERVER_CASES = [
    # defect 1: the deadline holds in every phase of the exchange
    ServerCase("endless 100 Continue", endless_continue, "timeout"),
    ServerCase("endless 102 Processing", endless_102, "timeout"),
    ServerCase("status line at a trickle", slow_status_line, "timeout"),
    ServerCase("headers at a trickle", slow_headers, "timeout"),
    ServerCase("endless headers", endless_headers, "timeout"),
    ServerCase("trailers at a trickle", slow_trailers, "timeout"),
    ServerCase("endless trailers", endless_trailers, "timeout"),
    ServerCase("body at a trickle", slow_body, "timeout"),
    ServerCase("endless 1-byte chunks", slow_chunks, "timeout"),
    ServerCase("silent after request", silent, "timeout"),
    ServerCase("silent before reading", silent_before_request, "timeout"),
    # broken protocol
    ServerCase("hang up without response", hang_up, "connection"),
    ServerCase("connection reset", reset, "connection"),
    ServerCase("garbage status line", respond(b"HELLO THERE\r\n\r\n"), "connection"),
    ServerCase("HTTP/0.9 bare body", respond(b"<rss></rss>"), "connection"),
    ServerCase("header line of 200 kB", respond(OK_HEAD + b"X-Big: " + b"a" * 200_000 + b"\r\n\r\n"), "connection"),
    ServerCase(
        "body shorter than Content-Length", respond(OK_HEAD + b"Content-Length: 100\r\n\r\nshort"), "connection"
    ),
    ServerCase("bad chunk size", respond(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n"), "connection"),
    ServerCase("negative Content-Length", respond(OK_HEAD + b"Content-Length: -5\r\n\r\nabc"), "connection"),
    ServerCase(
        "corrupt gzip body",
        respond(OK_HEAD + b"Content-Encoding: gzip\r\nContent-Length: 10\r\n\r\n\x1f\x8bnotgzip!"),
        "connection",
    ),
    ServerCase("status 999", respond(b"HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n"), "http_error"),
    ServerCase("status 101 without upgrade", respond(b"HTTP/1.1 101 Switching\r\n\r\n"), "connection"),
    # size caps
    ServerCase(
        "Content-Length over cap", respond(OK_HEAD + b"Content-Length: 999999999\r\n\r\n" + b"x" * 1000), "too_large"
    ),
    ServerCase(
        "gzip bomb",
        respond(OK_HEAD + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(GZIP_BOMB) + GZIP_BOMB),
        "too_large",
    ),
    ServerCase(
        "unknown Content-Encoding",
        respond(OK_HEAD + b"Content-Encoding: br2\r\nContent-Length: 2\r\n\r\nok"),
        "http_error",
    ),
    # status handling
    ServerCase(
        "429 with a year of Retry-After", respond(b"HTTP/1.1 429 No\r\nRetry-After: 31536000\r\n\r\n"), "throttled"
    ),
    ServerCase("503 with a garbage Retry-After", respond(b"HTTP/1.1 503 No\r\nRetry-After: soon\r\n\r\n"), "throttled"),
    ServerCase("500", respond(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"), "http_error"),
    ServerCase("redirect without Location", respond(b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"), "http_error"),
    # defect 10: malformed Locations are final HTTP errors, not exceptions or "connection"
    ServerCase("Location https:x", redirect(b"https:x"), "http_error"),
    ServerCase("Location http://", redirect(b"http://"), "redirect_loop"),  # urljoin: same URL
    ServerCase("Location with an unclosed IPv6 host", redirect(b"http://[::1/x"), "http_error"),
    ServerCase("Location with a bad port", redirect(b"http://127.0.0.1:99999/"), "http_error"),
    ServerCase("Location with a control character", redirect(b"/a\x01b"), "http_error"),
    ServerCase("Location with a space", redirect(b"http://exa mple.com/"), "http_error"),
    # SSRF through redirects
    ServerCase("redirect to javascript:", redirect(b"javascript:alert(1)"), "blocked"),
    ServerCase("redirect to file:", redirect(b"file:///etc/passwd"), "blocked"),
    ServerCase("redirect to cloud metadata", redirect(b"http://169.254.169.254/latest/meta-data/"), "blocked"),
    ServerCase("redirect to a private address", redirect(b"http://10.0.0.1/"), "blocked"),
    ServerCase("redirect to IPv4-mapped private", redirect(b"http://[::ffff:10.0.0.1]/"), "blocked"),
    ServerCase("redirect to 192.0.0.8", redirect(b"http://192.0.0.8/"), "blocked"),
    ServerCase("redirect to 6to4 of loopback", redirect(b"http://[2002:7f00:1::1]/"), "blocked"),
    ServerCase("redirect loop", self_redirect, "redirect_loop"),
    ServerCase("endless new redirects", hop_forever, "too_many_redirects"),
]


@pytest.mark.parametrize("case", SERVER_CASES, ids=[c.name for c in SERVER_CASES])
def test_hostile_server(case: ServerCase) -> None:
    with RawServer(case.script) as srv, Fetcher(_settings()) as fetcher:
        out = bounded(lambda: fetcher.fetch(srv.url("/feed")))
    assert out.elapsed_s < BOUND_S, f"{case.name}: took {out.elapsed_s:.1f}s"
    assert out.peak_mb < MEM_MB, f"{case.name}: {out.peak_mb:.0f} MB"
    if case.kind == "ok":
        assert out.error is None, out.error
        return
    assert isinstance(out.error, FetchError), f"{case.name}: {out.error!r}"
    assert out.error.kind in FETCH_ERROR_KINDS
    assert out.error.kind == case.kind, f"{case.name}: {out.error}"


URL_CASES = [
    ("javascript:alert(1)", "blocked"),
    ("data:text/html,<h1>x</h1>", "blocked"),
    ("file:///etc/passwd", "blocked"),
    ("vbscript:msgbox", "blocked"),
    ("gopher://127.0.0.1/", "blocked"),
    ("//127.0.0.1/feed", "blocked"),
    ("http:///nohost", "blocked"),
    ("http://127.0.0.1:99999/", "blocked"),
    ("http://[::1/", "blocked"),
    ("https:x", "blocked"),
    ("http://exa mple.com/", "blocked"),
    ("http://a\x00b.example/", "blocked"),
]


@pytest.mark.parametrize(("url", "kind"), URL_CASES)
def test_hostile_url(url: str, kind: str) -> None:
    with Fetcher(_settings()) as fetcher:
        out = bounded(lambda: fetcher.fetch(url))
    assert isinstance(out.error, FetchError), repr(out.error)
    assert out.error.kind == kind
    assert out.elapsed_s < BOUND_S


RESOLVED_CASES = [
    "192.0.0.8",  # IETF protocol assignments (defect 10)
    "192.0.0.170",
    "2002:7f00:1::1",  # 6to4 embedding 127.0.0.1 (defect 10)
    "2002:a00:1::1",  # 6to4 embedding 10.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "::ffff:169.254.169.254",
    "fd00::1",
    "100.64.0.1",
]


@pytest.mark.parametrize("address", RESOLVED_CASES)
def test_name_resolving_to_internal_address_is_blocked(address: str) -> None:
    fetcher = Fetcher(_settings(allowed_networks=()), resolver=lambda host, port: [address])
    with fetcher:
        out = bounded(lambda: fetcher.fetch("http://innocent.example/feed"))
    assert isinstance(out.error, FetchError) and out.error.kind == "blocked", repr(out.error)


def test_a_rebinding_name_is_refused_if_any_address_is_internal() -> None:
    fetcher = Fetcher(_settings(allowed_networks=()), resolver=lambda host, port: ["93.184.216.34", "127.0.0.1"])
    with fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("http://rebind.example/")
    assert info.value.kind == "blocked"


# -- TLS: certificates are checked per hostname, never borrowed from a pooled connection -----


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[int]:
    """An HTTPS server on 127.0.0.1 whose certificate names only ``a.test``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = b"hello"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("a.test").configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


def _tls_fetcher(ca: trustme.CA) -> Fetcher:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return Fetcher(_settings(), ssl_context=context, resolver=lambda host, port: ["127.0.0.1"])


def test_second_hostname_on_the_same_ip_gets_its_own_certificate_check(ca: trustme.CA, tls_server: int) -> None:
    """Defect 3: after a.test, b.test on the same IP must not ride a.test's connection."""
    with _tls_fetcher(ca) as fetcher:
        assert fetcher.fetch(f"https://a.test:{tls_server}/").body == b"hello"
        with pytest.raises(FetchError) as info:
            fetcher.fetch(f"https://b.test:{tls_server}/")
        assert info.value.kind == "connection"
        assert "certificate" in str(info.value).lower() or "hostname" in str(info.value).lower()
        # and the good name still works (its connection is pooled under its own name)
        assert fetcher.fetch(f"https://a.test:{tls_server}/again").body == b"hello"


def test_tls_handshake_at_a_trickle_is_cut_at_the_deadline(ca: trustme.CA) -> None:
    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(4096)  # the ClientHello
        trickle(conn, stop, b"\x16\x03\x03\x40\x00" + b"\x02" * 200, 0.25)

    with RawServer(script) as srv, _tls_fetcher(ca) as fetcher:
        out = bounded(lambda: fetcher.fetch(f"https://a.test:{srv.port}/"))
    assert isinstance(out.error, FetchError) and out.error.kind == "timeout", repr(out.error)
    assert out.elapsed_s < BOUND_S
