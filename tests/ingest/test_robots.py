"""robots.txt through the Fetcher against a real server: rules, cache, missing and broken files."""

from __future__ import annotations

import pytest

from ingest.fetch import Fetcher, FetchError
from ingest.robots import RobotsCache, RobotsSettings, robots_url
from tests.support.http import TestServer

ROBOTS = b"""User-agent: *
Disallow: /private/
Crawl-delay: 2

User-agent: badbot
Disallow: /
"""


def test_robots_url() -> None:
    assert robots_url("HTTPS://Ex.com:8443/a/b?c") == "https://ex.com:8443/robots.txt"


def test_disallowed_path_refused_and_cached(http_server: TestServer, local_fetcher: Fetcher) -> None:
    http_server.static("/robots.txt", ROBOTS, headers={"Content-Type": "text/plain"})
    robots = RobotsCache(local_fetcher)
    assert robots.allowed(http_server.url("/news/1.html"), "newswire")
    assert not robots.allowed(http_server.url("/private/x.html"), "newswire")
    assert not robots.allowed(http_server.url("/news/1.html"), "badbot")
    assert robots.crawl_delay(http_server.url("/"), "newswire") == 2.0
    with pytest.raises(FetchError) as info:
        robots.check(http_server.url("/private/x.html"), "newswire")
    assert info.value.kind == "robots"
    assert len(http_server.hits("/robots.txt")) == 1  # cache hit for every later call


def test_cache_expires_after_ttl(http_server: TestServer, local_fetcher: Fetcher) -> None:
    http_server.static("/robots.txt", ROBOTS)
    now = [0.0]
    robots = RobotsCache(local_fetcher, RobotsSettings(ttl_s=100), clock=lambda: now[0])
    robots.allowed(http_server.url("/a"), "newswire")
    now[0] = 99.0
    robots.allowed(http_server.url("/a"), "newswire")
    now[0] = 101.0
    robots.allowed(http_server.url("/a"), "newswire")
    assert len(http_server.hits("/robots.txt")) == 2


def test_missing_robots_allows_all(http_server: TestServer, local_fetcher: Fetcher) -> None:
    robots = RobotsCache(local_fetcher)  # the server answers 404 for /robots.txt
    assert robots.allowed(http_server.url("/private/x"), "newswire")


@pytest.mark.parametrize("allow_on_error", [True, False])
def test_server_error_follows_policy(http_server: TestServer, local_fetcher: Fetcher, allow_on_error: bool) -> None:
    http_server.static("/robots.txt", b"oops", status=500)
    robots = RobotsCache(local_fetcher, RobotsSettings(allow_on_error=allow_on_error))
    assert robots.allowed(http_server.url("/x"), "newswire") is allow_on_error
    robots.allowed(http_server.url("/y"), "newswire")
    assert len(http_server.hits("/robots.txt")) == 1  # errors are cached too (shorter TTL)


@pytest.mark.parametrize("status", [500, 503])
def test_outage_keeps_the_cached_rules(http_server: TestServer, local_fetcher: Fetcher, status: int) -> None:
    """Defect 9: a 5xx after good rules used to mean allow-all for error_ttl_s (RFC 9309: keep
    the cached copy)."""
    http_server.static("/robots.txt", ROBOTS)
    now = [0.0]
    robots = RobotsCache(local_fetcher, RobotsSettings(ttl_s=100, error_ttl_s=10), clock=lambda: now[0])
    assert not robots.allowed(http_server.url("/private/x"), "newswire")
    http_server.static("/robots.txt", b"down", status=status, headers={"Retry-After": "1"})
    now[0] = 101.0  # expired: re-read, which fails
    assert not robots.allowed(http_server.url("/private/x"), "newswire")
    assert robots.allowed(http_server.url("/news/1"), "newswire")
    now[0] = 105.0  # still within the error TTL: no new fetch
    assert not robots.allowed(http_server.url("/private/y"), "newswire")
    assert len(http_server.hits("/robots.txt")) == 2
    http_server.static("/robots.txt", b"User-agent: *\nDisallow: /news/\n")
    now[0] = 112.0  # recovered: the new rules apply
    assert robots.allowed(http_server.url("/private/x"), "newswire")
    assert not robots.allowed(http_server.url("/news/1"), "newswire")


def test_a_huge_robots_txt_is_read_to_its_first_500_kib(http_server: TestServer, local_fetcher: Fetcher) -> None:
    """RFC 9309 2.5 lets a crawler stop parsing at 500 KiB. Before, a 10 MiB file of rules was
    read whole (the fetcher's 10 MiB cap) and parsed: 7-10 s and ~530 MB kept an origin, for
    24 h. Now the rules up to the cap's last whole line apply, and those past it do not."""
    head = b"User-agent: *\nDisallow: /private/\n"
    filler = b"".join(b"Disallow: /p%d/*a*b*c*$\n" % i for i in range(400_000))  # ~10 MiB of rules
    http_server.static("/robots.txt", head + filler + b"Disallow: /news/\n", headers={"Content-Type": "text/plain"})
    robots = RobotsCache(local_fetcher)
    assert not robots.allowed(http_server.url("/private/x.html"), "newswire")  # within the first 500 KiB
    assert robots.allowed(http_server.url("/news/1.html"), "newswire")  # beyond it: never read
    assert not robots.allowed(http_server.url("/p10/xaybzc"), "newswire")  # a rule near the start
    assert robots.allowed(http_server.url("/p399999/xaybzc"), "newswire")  # one far past the cap
