"""URL normalisation: tracking params go, meaningful params stay, cosmetic differences vanish."""

from __future__ import annotations

import pytest

from ingest.urls import is_tracking_param, normalize_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a/B?utm_source=x&z=1&a=2&fbclid=3#frag", "http://example.com/a/B?a=2&z=1"),
        ("https://ex.com:443", "https://ex.com/"),
        ("https://ex.com:8443/p", "https://ex.com:8443/p"),
        ("https://ex.com/p?gclid=1&mc_cid=2&mc_eid=3&igshid=4&ref_src=5&utm_campaign=6", "https://ex.com/p"),
        ("https://ex.com/p?source=rss&session=2&id=9", "https://ex.com/p?id=9&session=2&source=rss"),
        ("https://ex.com/p?b=2&a=1&a=0", "https://ex.com/p?a=0&a=1&b=2"),
        ("https://ex.com/p?flag=&x=1", "https://ex.com/p?flag=&x=1"),
        ("https://Bücher.de/x", "https://xn--bcher-kva.de/x"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("  https://ex.com/a  ", "https://ex.com/a"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_idempotent() -> None:
    url = "HTTP://Example.COM:80/a?utm_medium=x&b=2&a=1#top"
    assert normalize_url(normalize_url(url)) == normalize_url(url)


def test_tracking_param_names() -> None:
    assert all(is_tracking_param(n) for n in ("utm_source", "UTM_Medium", "fbclid", "gclid", "mc_eid", "igshid"))
    assert not any(is_tracking_param(n) for n in ("id", "page", "q", "source", "ref"))
