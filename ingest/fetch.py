"""The project's one HTTP client for feeds, pages and robots.txt.

Everything the pollers download goes through :class:`Fetcher`, so the defences live in one
place: only http/https, an SSRF check on every redirect hop (redirects are followed by hand
for that reason), a wall-clock deadline that a trickling server cannot stretch, a size cap on
the *decoded* body (a gzip bomb is cut after ``max_bytes`` of output, not after its
compressed size), conditional GET, and classified errors whose ``kind`` is a metric label.

Deadline: every socket operation, connect, TLS handshake, status line, each header, each
``1xx`` response, each body chunk and each trailer, gets ``min(configured timeout, time left)``
(see :mod:`ingest.transport`), so no server, however slow it trickles, keeps a fetch past
``total_timeout_s``.

Connection checks: the host is resolved at connect time, every resolved address is checked,
and the connection goes to that checked IP, so there is no DNS-rebinding window between check
and connect. The URL keeps its hostname: connections are pooled per hostname and TLS verifies
the certificate against that name. Because of this the client ignores proxy environment
variables (``trust_env=False``): a proxy would do its own resolution and defeat the check.
Only the first resolved address is tried (no fallback to the next on connect failure).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final, Literal, get_args
from urllib.parse import urljoin, urlsplit

import httpx

from ingest.transport import connections_opened, guarded_transport
from ingest.transport import deadline as socket_deadline

log = logging.getLogger(__name__)

FetchErrorKind = Literal[
    "timeout",
    "too_large",
    "redirect_loop",
    "too_many_redirects",
    "blocked",
    "http_error",
    "throttled",
    "connection",
    "robots",
]
FETCH_ERROR_KINDS: Final[frozenset[str]] = frozenset(get_args(FetchErrorKind))

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_THROTTLE_STATUSES: Final = frozenset({429, 503})
_KEPT_HEADERS: Final = (
    "content-type",
    "content-length",
    "content-encoding",
    "etag",
    "last-modified",
    "cache-control",
    "expires",
    "age",
    "date",
    "retry-after",
    "location",
)
# Decompressed output is produced in slices this big, so a bomb never materialises more than
# this much beyond the cap in memory, whatever its compression ratio.
_DECODE_SLICE: Final = 64 * 1024
# Special-purpose ranges that Python's ``is_global`` lets through but that reach hosts on the
# inside: IETF protocol assignments (192.0.0.0/24), 6to4 and NAT64 (they embed an IPv4 address
# that may be private), Teredo.
_EXTRA_BLOCKED: Final = tuple(
    ipaddress.ip_network(n) for n in ("192.0.0.0/24", "2002::/16", "64:ff9b::/96", "64:ff9b:1::/48", "2001::/32")
)


class FetchError(Exception):
    """A fetch failed in a way the poller handles by ``kind`` (a fixed metric label)."""

    kind: FetchErrorKind

    def __init__(
        self,
        kind: FetchErrorKind,
        message: str,
        *,
        url: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.url = url
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.kind}: {self.args[0]}" + (f" ({self.url})" if self.url else "")


class BlockedError(FetchError):
    """Refused before any byte was sent: bad scheme or a non-public address (SSRF guard)."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__("blocked", message, url=url)


class HTTPStatusError(FetchError):
    """The server answered with an error status; ``status`` tells which (404 vs 500 matters)."""

    def __init__(self, status: int, message: str, *, url: str = "") -> None:
        super().__init__("http_error", message, url=url, status=status)


class ThrottledError(FetchError):
    """429/503: the server asked us to slow down; ``retry_after`` (seconds) if it said how long."""

    def __init__(self, status: int, retry_after: float | None, *, url: str = "") -> None:
        hint = f"retry after {retry_after:.0f}s" if retry_after is not None else "no Retry-After"
        super().__init__("throttled", f"HTTP {status}, {hint}", url=url, status=status, retry_after=retry_after)


class RobotsDisallowedError(FetchError):
    """robots.txt disallows the URL for our user agent (raised by :mod:`ingest.robots`)."""

    def __init__(self, url: str) -> None:
        super().__init__("robots", "disallowed by robots.txt", url=url)


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits of one fetch. Small values in tests, production defaults here."""

    user_agent: str = "newswire/0.1 (+https://github.com/newswire/newswire)"
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    # Wall-clock budget for the whole fetch, redirects and body included.
    total_timeout_s: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    allow_private_network: bool = False
    # CIDRs allowed even though non-public (an internal feed mirror, a test server), while
    # everything else private stays blocked: narrower than allow_private_network.
    allowed_networks: tuple[str, ...] = ()
    max_connections: int = 32


@dataclass(frozen=True, slots=True)
class Validators:
    """What the last good fetch of a URL left behind, to make the next one conditional.

    ``body_hash`` catches the common case of a server that ignores or rotates validators
    but serves the same bytes.
    """

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One completed fetch. ``not_modified`` is true on 304 or when the body hash is unchanged;
    on 304 ``body`` is empty and the validators are carried over from the request."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    not_modified: bool
    elapsed_s: float
    redirects: tuple[str, ...] = field(default=())

    @property
    def validators(self) -> Validators:
        """The validators to store for the next conditional fetch of this URL."""
        return Validators(etag=self.etag, last_modified=self.last_modified, body_hash=self.body_hash)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from ``now``: either delta-seconds or an HTTP date (RFC 9110).

    Returns None for a missing or unparseable header (a date past the calendar's end among
    them); a date in the past yields 0, and digits past a float's range infinity (the caller
    caps the wait). A server's word, however absurd, is a hint, never an error of the fetch.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        try:
            return float(value)
        except ValueError:  # digits float() does not read ("²" is a digit to isdigit)
            return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):  # (OverflowError: a day past year 9999)
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def blocked_reason(address: str) -> str | None:
    """Why an IP must not be fetched (SSRF), or None if it is a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, hit in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
    ):
        if hit:
            return reason
    if any(ip in net for net in _EXTRA_BLOCKED if net.version == ip.version):
        return "special-purpose"
    if not ip.is_global:  # e.g. 100.64.0.0/10 carrier-grade NAT, documentation ranges
        return "non-global"
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address of ``host`` (getaddrinfo order); FetchError ``connection`` if none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("connection", f"cannot resolve {host!r}: {exc}") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = str(sockaddr[0])
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        raise FetchError("connection", f"no address for {host!r}")
    return addresses


class _BoundedDecoder:
    """Content-Encoding decoder that never emits more than a slice at a time.

    httpx's own decoders inflate a whole network chunk in one call (64 KiB of gzip'd zeros
    becomes ~64 MB), so the body is read raw and decoded here with ``max_length``.
    """

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        self._raw_deflate_fallback = False
        self._obj: zlib._Decompress | None
        if encoding in ("", "identity"):
            self._obj = None
        elif encoding in ("gzip", "x-gzip"):
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._obj = zlib.decompressobj(zlib.MAX_WBITS)
            self._raw_deflate_fallback = True  # some servers send raw deflate without zlib header
        else:
            raise ValueError(encoding)

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._obj is None:
            if data:
                yield data
            return
        pending = data
        while pending:
            try:
                out = self._obj.decompress(pending, _DECODE_SLICE)
            except zlib.error:
                if not self._raw_deflate_fallback:
                    raise
                self._raw_deflate_fallback = False
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_deflate_fallback = False
            if out:
                yield out
            if self._obj.eof:
                # Concatenated gzip members are legal; anything else after the end is junk.
                rest = self._obj.unused_data
                if not rest:
                    return
                self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
                pending = rest
            else:
                pending = self._obj.unconsumed_tail
                if not pending and not out:
                    return


class Fetcher:
    """Thread-safe HTTP client wrapper; share one per process (it pools connections)."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        resolver: Callable[[str, int], list[str]] = resolve,
    ) -> None:
        """``ssl_context`` and ``resolver`` exist for tests (a private CA, names for loopback)."""
        self.settings = settings or FetchSettings()
        s = self.settings
        self._allowed_networks = tuple(ipaddress.ip_network(n, strict=False) for n in s.allowed_networks)
        self._resolver = resolver
        limits = httpx.Limits(max_connections=s.max_connections, max_keepalive_connections=s.max_connections)
        # Requests go straight to the transport: the client, even with follow_redirects off,
        # parses every Location and raises on a malformed one before we can classify it.
        self._transport = guarded_transport(self._checked_address, limits=limits, ssl_context=ssl_context)
        self._client = httpx.Client(
            transport=self._transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(s.read_timeout_s, connect=s.connect_timeout_s),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        accept: str = "*/*",
        max_bytes: int | None = None,
        head_only: bool = False,
    ) -> FetchResult:
        """GET ``url`` following up to ``max_redirects`` checked hops; raise :class:`FetchError`.

        Validators go out only on the first hop: after a redirect they belong to another URL.
        ``max_bytes`` overrides the settings' cap for this call (feeds and pages differ).
        ``head_only``: a body over the cap is cut to it (the rest is never read) instead of
        failing ``too_large``: for files read only as far as a limit, such as robots.txt.
        """
        start = time.monotonic()
        deadline = start + self.settings.total_timeout_s
        try:
            with socket_deadline(deadline):
                return self._follow(url, validators, accept, max_bytes, head_only, deadline, start)
        except FetchError as exc:
            if not exc.url:
                exc.url = url
            raise

    def _follow(
        self,
        url: str,
        validators: Validators | None,
        accept: str,
        max_bytes: int | None,
        head_only: bool,
        deadline: float,
        start: float,
    ) -> FetchResult:
        current = url
        seen = {url}
        hops: list[str] = []
        while True:
            result = self._one_hop(
                current,
                original=url,
                validators=validators if not hops else None,
                accept=accept,
                max_bytes=max_bytes if max_bytes is not None else self.settings.max_bytes,
                head_only=head_only,
                deadline=deadline,
                start=start,
                hops=tuple(hops),
            )
            if isinstance(result, FetchResult):
                return result
            nxt = result
            if nxt in seen:
                raise FetchError("redirect_loop", f"redirect loop back to {nxt}", url=url)
            if len(hops) >= self.settings.max_redirects:
                raise FetchError("too_many_redirects", f"more than {self.settings.max_redirects} redirects", url=url)
            seen.add(nxt)
            hops.append(nxt)
            current = nxt

    # -- one request -------------------------------------------------------------------

    def _check_url(self, url: str) -> httpx.URL:
        """Refuse before any byte is sent: not http(s), no host, bad port, unparseable."""
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # "http://[::1/": an unclosed IPv6 literal
            raise BlockedError(f"malformed URL: {exc}", url=url) from exc
        if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
            raise BlockedError("malformed URL: whitespace or control character", url=url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise BlockedError(f"scheme {scheme or '(none)'!r} not allowed", url=url)
        if not parts.hostname:
            raise BlockedError("URL has no host", url=url)
        try:
            parts.port  # noqa: B018 - urllib validates the port on access
            checked = httpx.URL(url)
        except (ValueError, httpx.InvalidURL) as exc:
            raise BlockedError(f"malformed URL: {exc}", url=url) from exc
        if not checked.host:
            raise BlockedError("URL has no host", url=url)
        return checked

    def _checked_address(self, host: str, port: int) -> str:
        """The address to connect to for ``host`` (called at connect time by the transport):
        every resolved address must pass the SSRF check, and the first one is used."""
        addresses = self._resolver(host, port)
        if not addresses:
            raise FetchError("connection", f"no address for {host!r}")
        if not self.settings.allow_private_network:
            for addr in addresses:
                reason = blocked_reason(addr)
                if reason and not any(ipaddress.ip_address(addr.split("%", 1)[0]) in n for n in self._allowed_networks):
                    raise BlockedError(f"{host} resolves to {reason} address {addr}")
        return addresses[0]

    def _redirect_target(self, url: str, location: str, status: int) -> str:
        """The next hop's absolute URL; a Location no client could follow is this URL's final
        HTTP error (retrying would get the same answer), not a connection problem."""
        location = location.strip()
        if any(ord(c) < 0x21 or ord(c) == 0x7F for c in location):
            raise HTTPStatusError(status, f"HTTP {status} with a malformed Location {location[:100]!r}")
        try:
            nxt = urljoin(url, location)
            self._check_url(nxt)
        except ValueError as exc:
            raise HTTPStatusError(status, f"HTTP {status} with a malformed Location {location[:100]!r}") from exc
        except BlockedError as exc:
            if location.split(":", 1)[0].lower() in ("http", "https") or location.startswith(("/", "?", "#")):
                raise HTTPStatusError(status, f"HTTP {status} with a malformed Location {location[:100]!r}") from exc
            raise
        return nxt

    def _timeout(self, deadline: float) -> httpx.Timeout:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("timeout", f"total deadline of {self.settings.total_timeout_s:g}s exceeded")
        s = self.settings
        return httpx.Timeout(
            connect=min(s.connect_timeout_s, remaining),
            read=min(s.read_timeout_s, remaining),
            write=min(s.read_timeout_s, remaining),
            pool=min(s.connect_timeout_s, remaining),
        )

    def _one_hop(
        self,
        url: str,
        *,
        original: str,
        validators: Validators | None,
        accept: str,
        max_bytes: int,
        head_only: bool,
        deadline: float,
        start: float,
        hops: tuple[str, ...],
    ) -> FetchResult | str:
        target = self._check_url(url)
        headers = {"Accept": accept}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        extensions: dict[str, object] = {"timeout": self._timeout(deadline).as_dict()}
        try:
            request = self._client.build_request("GET", target, headers=headers, extensions=extensions)
            response = self._send(request)
            response.request = request
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", f"{type(exc).__name__} talking to {target.host}") from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            # We could not even form the request (control characters, a bad header value from
            # a validator): retrying cannot help, so it is refused, not a "connection" problem.
            raise BlockedError(f"cannot send request: {exc}", url=url) from exc
        except httpx.TransportError as exc:
            raise FetchError("connection", f"{type(exc).__name__}: {exc}") from exc
        try:
            status = response.status_code
            kept = {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}
            if status in _REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise HTTPStatusError(status, f"HTTP {status} redirect without Location")
                return self._redirect_target(url, location, status)
            if status in _THROTTLE_STATUSES:
                raise ThrottledError(status, parse_retry_after(response.headers.get("retry-after")))
            if status == 304:
                v = validators or Validators()
                return FetchResult(
                    url=original,
                    final_url=url,
                    status=status,
                    headers=kept,
                    body=b"",
                    content_type=response.headers.get("content-type", ""),
                    etag=response.headers.get("etag") or v.etag,
                    last_modified=response.headers.get("last-modified") or v.last_modified,
                    body_hash=v.body_hash,
                    not_modified=True,
                    elapsed_s=time.monotonic() - start,
                    redirects=hops,
                )
            if status >= 400 or status < 200:
                raise HTTPStatusError(status, f"HTTP {status}")
            body = self._read_body(response, deadline, max_bytes, head_only)
        finally:
            response.close()
        digest = hashlib.sha256(body).hexdigest()
        return FetchResult(
            url=original,
            final_url=url,
            status=status,
            headers=kept,
            body=body,
            content_type=response.headers.get("content-type", ""),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            body_hash=digest,
            not_modified=validators is not None and validators.body_hash == digest,
            elapsed_s=time.monotonic() - start,
            redirects=hops,
        )

    def _send(self, request: httpx.Request) -> httpx.Response:
        """The response to ``request``, sent again once on a new connection when it was sent on a
        pooled one that the server closed before any answer (reset, broken pipe, or closed
        without a response): a server may close a connection it holds idle at any moment, and a
        request can cross that close on the wire. HTTP asks clients to recover by sending an
        idempotent request again, once (RFC 9112, 9.3.1); every fetch is a GET. A request that
        failed on a connection it opened itself is the server's answer, not retried."""
        opened = connections_opened()
        try:
            return self._transport.handle_request(request)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            if connections_opened() != opened:
                raise
            log.debug("pooled connection closed by the server; sent again", extra={"error": repr(exc)})
            return self._transport.handle_request(request)

    def _read_body(self, response: httpx.Response, deadline: float, cap: int, head_only: bool = False) -> bytes:
        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "")
        if declared.isdigit() and not encoding and int(declared) > cap and not head_only:
            raise FetchError("too_large", f"Content-Length {declared} over cap of {cap} bytes")
        try:
            decoder = _BoundedDecoder(encoding)
        except ValueError:
            status = response.status_code
            raise HTTPStatusError(status, f"unsupported Content-Encoding {encoding!r}") from None
        chunks: list[bytes] = []
        total = 0
        try:
            for raw in response.iter_raw():
                for piece in decoder.decode(raw):
                    total += len(piece)
                    if total > cap:
                        if not head_only:
                            raise FetchError("too_large", f"body over cap of {cap} bytes (decoded)")
                        chunks.append(piece[: len(piece) - (total - cap)])
                        return b"".join(chunks)
                    chunks.append(piece)
                if time.monotonic() > deadline:
                    raise FetchError(
                        "timeout", f"total deadline of {self.settings.total_timeout_s:g}s exceeded mid-body"
                    )
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", f"{type(exc).__name__} reading body") from exc
        except httpx.TransportError as exc:
            raise FetchError("connection", f"{type(exc).__name__} reading body: {exc}") from exc
        except zlib.error as exc:
            raise FetchError("connection", f"corrupt {encoding} body: {exc}") from exc
        return b"".join(chunks)
