"""The connection layer under :class:`ingest.fetch.Fetcher`: resolve, check, connect, and a
deadline that no server can stretch.

httpx gives every socket operation a timeout, but a timeout is per operation: a server that
sends a header byte every half second, endless ``100 Continue`` responses or trailers at a
trickle never lets one operation time out, and keeps a "3 s" fetch alive for minutes. The
stream here clamps every read and write to the time left before the fetch's absolute deadline
(held per thread while :func:`deadline` is active), so a fetch ends at its deadline whatever
phase of the exchange it is in. TLS handshakes are driven non-blocking for the same reason.

Resolution and the SSRF check also happen here, at connect time, on the very addresses that
are connected to (no DNS-rebinding window between check and connect), while the URL keeps its
hostname: connections are pooled per hostname, and TLS checks the certificate against the
name that was asked for, never against a connection opened for another name on the same IP.
Each thread counts the connections it opens (:func:`connections_opened`): a request that failed
without opening one was sent on a pooled connection, which the server may have closed as idle
while the request was on its way (see ``Fetcher``).
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import certifi
import httpcore
import httpx

_state = threading.local()

#: ``(host, port) -> address to connect to``; raises to refuse (resolution failure, SSRF).
AddressCheck = Callable[[str, int], str]


@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Every socket operation of this thread inside the block ends by ``at`` (monotonic)."""
    previous = getattr(_state, "deadline", None)
    _state.deadline = at
    try:
        yield
    finally:
        _state.deadline = previous


def connections_opened() -> int:
    """How many connections this thread has opened (:class:`GuardedBackend`)."""
    opened: int = getattr(_state, "opened", 0)
    return opened


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    at: float | None = getattr(_state, "deadline", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("fetch deadline reached")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every operation is bounded by the thread's fetch deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            self._sock.settimeout(_clamp(timeout, httpcore.ReadTimeout))
            return self._sock.recv(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            while buffer:
                self._sock.settimeout(_clamp(timeout, httpcore.WriteTimeout))
                sent = self._sock.send(buffer)
                buffer = buffer[sent:]
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    def close(self) -> None:
        self._sock.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        """Handshake step by step, so a server that trickles it is cut at the deadline."""
        ends = time.monotonic() + (timeout if timeout is not None else 3600.0)
        try:
            tls = ssl_context.wrap_socket(self._sock, server_hostname=server_hostname, do_handshake_on_connect=False)
            tls.setblocking(False)
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    want_read = True
                except ssl.SSLWantWriteError:
                    want_read = False
                left = _clamp(ends - time.monotonic(), httpcore.ConnectTimeout)
                if left is None or left <= 0:
                    raise httpcore.ConnectTimeout("TLS handshake timed out")
                ready = select.select([tls] if want_read else [], [] if want_read else [tls], [], left)
                if not any(ready):
                    raise httpcore.ConnectTimeout("TLS handshake timed out")
        except httpcore.ConnectTimeout:
            self._sock.close()
            raise
        except (ssl.SSLError, OSError) as exc:
            self._sock.close()
            raise httpcore.ConnectError(f"TLS: {exc}") from exc
        tls.setblocking(True)
        return DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object" and isinstance(self._sock, ssl.SSLSocket):
            return self._sock._sslobj  # type: ignore[attr-defined]  # what httpcore's own stream returns
        if info == "client_addr":
            return self._sock.getsockname()
        if info == "server_addr":
            return self._sock.getpeername()
        if info == "socket":
            return self._sock
        if info == "is_readable":
            try:
                readable, _, _ = select.select([self._sock], [], [], 0)
            except (OSError, ValueError):
                return True  # closed: "readable" makes httpcore drop the connection
            return bool(readable)
        return None


class GuardedBackend(httpcore.NetworkBackend):
    """Connects only to an address ``check`` returns for the URL's host, within the deadline."""

    def __init__(self, check: AddressCheck) -> None:
        self._check = check

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = self._check(host, port)
        try:
            sock = socket.create_connection(
                (address, port),
                _clamp(timeout, httpcore.ConnectTimeout),
                source_address=None if local_address is None else (local_address, 0),
            )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _state.opened = connections_opened() + 1
        return DeadlineStream(sock)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def guarded_transport(
    check: AddressCheck, *, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None
) -> httpx.HTTPTransport:
    """An httpx transport whose connections go through :class:`GuardedBackend`.

    httpx does not take a network backend, so its pool is replaced by an httpcore pool built
    with the same limits and ours (httpx keeps the request/response mapping around it).
    """
    context = ssl_context or ssl.create_default_context(cafile=certifi.where())
    transport = httpx.HTTPTransport(verify=context, limits=limits, trust_env=False)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(check),
    )
    return transport
