"""A real HTTP server on 127.0.0.1 for tests: routes are set per test.

A route is a function that writes the whole response through the request handler, so
tests can misbehave on purpose (stall, trickle, bomb) exactly like a hostile server would.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]


@dataclass
class TestServer:
    """Handle to the running server: add routes, read what it was sent."""

    __test__ = False  # not a pytest test class

    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[SeenRequest] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, handler: Route) -> str:
        self.routes[path] = handler
        return self.url(path)

    def static(self, path: str, body: bytes, *, status: int = 200, headers: Mapping[str, str] | None = None) -> str:
        def handler(h: BaseHTTPRequestHandler) -> None:
            send(h, status, body, headers)

        return self.route(path, handler)

    def hits(self, path: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path == path]


def send(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
    """Write a complete response with Content-Length."""
    h.send_response(status)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def write_chunk(h: BaseHTTPRequestHandler, data: bytes) -> None:
    """One HTTP/1.1 chunk (the caller sent Transfer-Encoding: chunked)."""
    h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    h.wfile.flush()


def _make_handler(server: TestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            server.requests.append(SeenRequest(self.path, {k.lower(): v for k, v in self.headers.items()}))
            handler = server.routes.get(self.path) or server.routes.get(self.path.split("?", 1)[0])
            try:
                if handler is None:
                    send(self, 404, b"not found", {"Content-Type": "text/plain"})
                else:
                    handler(self)
            except (ConnectionError, TimeoutError):
                self.close_connection = True  # the client gave up on us, as it should

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        """A client that drops a kept-alive connection (a fetch cancelled at its deadline, a
        pool closed) resets it while the server waits for the next request line, outside any
        route: what a real client does, not a failure of the test. Anything else is reported."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


@contextmanager
def serve() -> Iterator[TestServer]:
    """Run a server on a free 127.0.0.1 port for the duration of the block."""
    handle = TestServer(base_url="")
    httpd = _Server(("127.0.0.1", 0), _make_handler(handle))
    httpd.daemon_threads = True
    handle.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield handle
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
