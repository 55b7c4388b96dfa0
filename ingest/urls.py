"""URL normalisation, so the same article reached through different links has one key.

courlan (installed with trafilatura) was considered and rejected: its tracker pattern also
drops content-bearing parameters such as ``source``, ``session``, ``uid``, ``keyword`` and
``campaign``, and its strict mode drops every parameter. Dropping a real parameter merges
distinct pages, which is worse than a missed dedupe, so the denylist here is explicit.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
    parameters; keeps the other parameters (blank values too), sorted so order does not
    matter. The path is left as is apart from an empty path becoming ``/``: path case and
    percent-encoding can be meaningful to the origin server.
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
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))
