"""Hostile loopback servers and the bounds every hostile case is held to.

:class:`RawServer` speaks raw TCP: each connection runs a *script* that writes whatever bytes
it likes at whatever pace (endless ``100 Continue``, headers at a trickle, garbage), which a
well-behaved ``http.server`` cannot do. :func:`bounded` runs one case and reports its wall
time and peak Python allocation, so every case in the table can assert both bounds.
:func:`mutated` makes a real input hostile at random, for the mutation tests.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Script = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """``with RawServer(script) as srv: fetch(srv.url("/x"))``; ``script(conn, stop)`` per connection."""

    def __init__(self, script: Script, *, wrap: Callable[[socket.socket], socket.socket] | None = None) -> None:
        self._script = script
        self._wrap = wrap
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = int(self._sock.getsockname()[1])
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="hostile-server", daemon=True)

    def url(self, path: str = "/", *, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self._wrap is not None:
                conn = self._wrap(conn)
                self._conns.append(conn)
            self._script(conn, self._stop)


def read_request(conn: socket.socket, limit: int = 65536) -> bytes:
    """Read up to the end of the request head (the client sends GETs without bodies)."""
    data = b""
    conn.settimeout(5)
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def trickle(conn: socket.socket, stop: threading.Event, data: bytes, every_s: float = 0.25) -> None:
    """Send ``data`` one byte at a time, one byte per ``every_s``, until done or stopped."""
    for i in range(len(data)):
        if stop.wait(every_s):
            return
        conn.sendall(data[i : i + 1])


def forever(conn: socket.socket, stop: threading.Event, data: bytes, every_s: float = 0.25) -> None:
    """Send ``data`` again and again until the client hangs up or the server stops."""
    while not stop.wait(every_s):
        conn.sendall(data)


@dataclass(frozen=True)
class Bounded:
    """What one case did: its result or exception, wall time and peak traced allocation."""

    value: Any
    error: BaseException | None
    elapsed_s: float
    peak_mb: float


def bounded(fn: Callable[[], Any]) -> Bounded:
    """Run ``fn`` once, catching everything, measuring wall time and peak allocation."""
    tracemalloc.start()
    t0 = time.monotonic()
    value: Any = None
    error: BaseException | None = None
    try:
        value = fn()
    except BaseException as exc:  # the case table classifies whatever came out
        error = exc
    elapsed = time.monotonic() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Bounded(value, error, elapsed, peak / 1e6)


def mutated(rng: random.Random, data: bytes, snippets: Sequence[bytes], most: int = 6) -> bytes:
    """``data`` with one to ``most`` random edits, as a mutation fuzzer makes them: a snippet
    inserted (a character reference past Unicode, a stray tag, a DOCTYPE, an odd date), a span
    deleted, the rest cut off, a byte flipped, or a span of the input copied elsewhere."""
    out = bytearray(data)
    for _ in range(rng.randint(1, most)):
        r = rng.random()
        at = rng.randint(0, max(0, len(out) - 1))
        if r < 0.4:
            out[at:at] = rng.choice(snippets)
        elif r < 0.55:
            del out[at : at + rng.randint(1, 500)]
        elif r < 0.6:
            del out[at:]
        elif r < 0.8 and out:
            out[at] = rng.randrange(256)
        else:
            start = rng.randint(0, max(0, len(out) - 1))
            out[at:at] = out[start : start + rng.randint(1, 500)]
    return bytes(out)
