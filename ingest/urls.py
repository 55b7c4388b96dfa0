"""URL normalisation, so the same article reached through different links has one key.

courlan (installed with trafilatura) was considered and rejected: its tracker pattern also
drops content-bearing parameters such as ``source``, ``session``, ``uid``, ``keyword`` and
``campaign``, and its strict mode drops every parameter. Dropping a real parameter merges
distinct pages, which is worse than a missed dedupe, so the denylist here is explicit.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

# Exact names; plus every ``utm_*`` (see _TRACKING_PREFIXES).
TRACKING_PARAMS: Final = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "rb_clickid",
        "s_cid",
        "cmpid",
        "ito",
        "ncid",
        "sr_share",
        "smid",
        "at_medium",
        "at_campaign",
        "wt_mc",
        "wt.mc_id",
        "xtor",
        "spm",
        "_ga",
        "_gl",
    }
)
_TRACKING_PREFIXES: Final = ("utm_", "pk_", "mtm_", "matomo_")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_MULTI_SLASH: Final = re.compile(r"/{2,}")


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """Canonical form of ``url`` for dedupe keys.

    Lowercases scheme and host, drops userinfo-free default ports, the fragment and tracking
    parameters; keeps the other parameters byte for byte (``?12345`` stays ``?12345``, ``%20``
    stays ``%20``, ``a=1;b=2`` stays one parameter), sorted so order does not matter. The path
    is left as is apart from an empty path becoming ``/``: path case and percent-encoding can
    be meaningful to the origin server. This is a *key*: pages are fetched at the URL the
    feed gave (see :func:`article_link`), never at this form.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError:
        host = host.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{host}"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = parts.path or ("/" if netloc else "")
    kept = [p for p in parts.query.split("&") if p and not is_tracking_param(unquote_plus(p.split("=", 1)[0]))]
    kept.sort()
    return urlunsplit((scheme, netloc, path, "&".join(kept), ""))


def article_link(link: str | None, base: str) -> str:
    """The feed's link for an entry as an absolute http(s) URL to fetch, or ``""`` if unusable.

    Relative links resolve against the feed's own URL (RSS allows them in practice);
    ``javascript:``, ``data:``, ``file:``, ``vbscript:`` and anything else that is not a web
    page are refused, as is a link without a host. The fragment is dropped (never sent).
    """
    if not link or not link.strip():
        return ""
    link = link.strip()
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in link):
        return ""
    try:
        absolute = urljoin(base, link) if base else link
        parts = urlsplit(absolute)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        return ""
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return ""
    return urlunsplit(parts._replace(fragment=""))
