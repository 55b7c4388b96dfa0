"""One small HTTP server per daemon: ``/metrics``, ``/healthz`` and ``/readyz``.

Kubernetes and Prometheus need three different answers from a long-running daemon:

* ``/metrics`` — the Prometheus exposition of a registry (the default one, where
  :mod:`newswire.metrics` registers), negotiated to OpenMetrics when the scraper asks.
* ``/healthz`` — *liveness*: is the main loop still turning? The daemon calls
  :meth:`HealthServer.tick` once per loop iteration; if no tick arrived within
  ``liveness_timeout_s`` the answer is 503 and the kubelet restarts the pod. Serving from
  a separate thread would otherwise answer 200 forever for a process whose loop is
  deadlocked or stuck in a call without a timeout, which is exactly the failure a restart
  cures. The timeout must exceed the longest legitimate iteration (a poll round, a
  consumer ``poll()`` timeout, a rebalance).
* ``/readyz`` — *readiness*: 503 until the daemon says it can do its job (connected to
  the broker, state restored, partitions assigned), via the ``ready`` callable, which is
  called on each request and so must be cheap and thread-safe (read a flag; do no I/O).
  A ``ready`` that raises counts as not ready, so a bug there never crashes the server.

The server runs on daemon threads so it never keeps a finished process alive, and request
logging goes to the ``newswire.health`` logger at DEBUG: probes every few seconds would
otherwise flood the daemon's log.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder

from newswire import metrics

log = logging.getLogger(__name__)


class HealthServerError(RuntimeError):
    """The metrics and health endpoint cannot listen where it was told to (settings ``metrics``)."""


class HealthServer:
    """HTTP endpoints for probes and scraping, served on background daemon threads.

    Use as a context manager (or call :meth:`start` and :meth:`close`)::

        with HealthServer("0.0.0.0", 9108, ready=lambda: consumer_ready, liveness_timeout_s=120) as hs:
            while running:
                hs.tick()
                ...

    ``port=0`` binds an ephemeral port; read the bound one from :attr:`port`.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ready: Callable[[], bool],
        liveness_timeout_s: float,
        registry: CollectorRegistry = REGISTRY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if liveness_timeout_s <= 0:
            raise ValueError("liveness_timeout_s must be positive")
        self._host = host
        self._requested_port = port
        self._ready = ready
        self._timeout = liveness_timeout_s
        self._registry = registry
        self._clock = clock
        # The loop gets one full timeout from construction before its first tick is due,
        # so slow start-up (state restore) is not mistaken for a hang.
        self._last_tick = clock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and start serving; idempotent. Raises :class:`HealthServerError` (one line: the
        address and why) when it cannot listen: the port is taken, the host names no address of
        this machine, the port is privileged."""
        if self._server is not None:
            return self
        server_cls = _IPv6Server if ":" in self._host else _BoundedServer
        try:
            server = server_cls((self._host, self._requested_port), _make_handler(self))
        except OSError as exc:  # (socket.gaierror too: a host that does not resolve)
            where = f"{self._host}:{self._requested_port}"
            raise HealthServerError(f"cannot serve metrics on {where}: {exc.strerror or exc}") from None
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="health-http", daemon=True
        )
        self._thread.start()
        # /readyz as a series too: Prometheus sees readiness without kube-state-metrics.
        metrics.READY.set_function(lambda: 1.0 if self.ready() else 0.0)
        log.info("health server listening on %s:%d", self._host, self.port)
        return self

    def close(self) -> None:
        """Stop serving and release the port; safe to call twice or before :meth:`start`."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        metrics.READY.set_function(lambda: 0.0)
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for)."""
        if self._server is None:
            raise RuntimeError("health server is not started")
        return int(self._server.server_address[1])

    # -- state ---------------------------------------------------------------------------

    def tick(self) -> None:
        """Heartbeat from the main loop. A plain float store: atomic, cheap enough per loop."""
        self._last_tick = self._clock()

    def tick_age(self) -> float:
        """Seconds since the last :meth:`tick` (or since construction)."""
        return self._clock() - self._last_tick

    def alive(self) -> bool:
        return self.tick_age() <= self._timeout

    def ready(self) -> bool:
        try:
            return bool(self._ready())
        except Exception:
            log.exception("readiness check raised; reporting not ready")
            return False

    # -- request handling (called on server threads) ---------------------------------------

    def _respond(self, path: str, accept: str | None) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of ``path``."""
        text = "text/plain; charset=utf-8"
        route = path.split("?", 1)[0]
        if route == "/metrics":
            encoder, content_type = choose_encoder(accept or "")
            return HTTPStatus.OK, content_type, encoder(self._registry)
        if route == "/healthz":
            age = self.tick_age()
            if age <= self._timeout:
                return HTTPStatus.OK, text, b"ok\n"
            body = f"stalled: main loop last ticked {age:.1f}s ago (limit {self._timeout:g}s)\n"
            return HTTPStatus.SERVICE_UNAVAILABLE, text, body.encode()
        if route == "/readyz":
            if self.ready():
                return HTTPStatus.OK, text, b"ready\n"
            return HTTPStatus.SERVICE_UNAVAILABLE, text, b"not ready\n"
        return HTTPStatus.NOT_FOUND, text, b"not found: try /metrics, /healthz, /readyz\n"


#: Seconds a probe connection may last in all: an idle or trickling client would otherwise
#: hold one server thread each, for ever.
REQUEST_TIMEOUT_S = 5.0
#: Connections served at once; more are closed at once (probes retry, scrapes are single).
MAX_CONNECTIONS = 32


class _BoundedServer(ThreadingHTTPServer):
    """A thread per connection, but at most ``MAX_CONNECTIONS`` of them, each for at most
    ``REQUEST_TIMEOUT_S`` (a watchdog shuts the socket, whatever the client trickles).

    When every slot is taken, the connection that has waited longest without sending its
    request is cut to make room: a probe sends its request at once and is answered in
    milliseconds, while a client trickling bytes (or silent) only holds a slot until newer
    connections need it. Refusing the newcomer instead let one client holding 32 slow
    connections fail two probes in three, and three failed probes restart the pod."""

    daemon_threads = True
    # the listen backlog: socketserver's 5 dropped a probe's connection attempt (retried by the
    # kernel a second later, past the kubelet's timeout) while a client's flood filled it
    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._lock = threading.Lock()
        self._waiting: dict[Any, None] = {}  # connections yet to send their request, oldest first
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with self._lock:
                oldest = next(iter(self._waiting), None)
            if oldest is not None:
                _cut(oldest)
            # the cut connection's thread ends as its read fails and gives its slot back
            if not self._slots.acquire(timeout=_EVICTION_WAIT_S):
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        watchdog = threading.Timer(REQUEST_TIMEOUT_S, _cut, args=(request,))
        watchdog.daemon = True
        with self._lock:
            self._waiting[request] = None
        watchdog.start()
        try:
            super().process_request_thread(request, client_address)
        finally:
            watchdog.cancel()
            self.answering(request)
            self._slots.release()

    def answering(self, request: Any) -> None:
        """``request`` has sent its request: it is being answered, no longer waiting."""
        with self._lock:
            self._waiting.pop(request, None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that resets or closes early (or is cut) is its own problem: one DEBUG line,
        # not the stdlib's traceback on stderr, which broke the JSON log stream
        log.debug("health client %s gave up: %s", client_address, sys.exc_info()[1])


#: how long a connection arriving at full slots waits for the one cut to make room
_EVICTION_WAIT_S = 1.0


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing to cut
        sock.shutdown(socket.SHUT_RDWR)


class _IPv6Server(_BoundedServer):
    """For ``::`` / ``::1`` (the stdlib server is IPv4-only); ``::`` also accepts IPv4."""

    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        if self.server_address[0] == "::":
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def _make_handler(health: HealthServer) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to one :class:`HealthServer` (the stdlib server takes a class)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "newswire-health"
        # Probes and scrapes are one request per connection; keep-alive would only pin threads.
        protocol_version = "HTTP/1.0"
        timeout = REQUEST_TIMEOUT_S

        def _send(self, *, with_body: bool) -> None:
            server = self.server
            if isinstance(server, _BoundedServer):
                server.answering(self.request)
            status, content_type, body = health._respond(self.path, self.headers.get("Accept"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._send(with_body=True)

        def do_HEAD(self) -> None:
            self._send(with_body=False)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

    return Handler
