"""``newswire feeds discover SITE [--add FILE]``: what a site publishes, as a table, and
optionally appended to a YAML feed list (sitemaps as ``type: sitemap``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.discover import Discovered, discover
from ingest.feedlist import FeedConfig, FeedListError, parse_feed_list, read_feed_list, to_yaml
from ingest.fetch import Fetcher
from ingest.poller import fetch_settings
from newswire.settings import Settings


def _table(found: list[Discovered]) -> str:
    rows = [["type", "url", "found via", "what"]] + [[d.kind, d.url, d.via, d.what] for d in found]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def _appended(text: str, existing: list[FeedConfig], new: list[FeedConfig]) -> str | None:
    """``text`` (a YAML feed list) with ``new`` written after its last item, at that item's
    indent, so the owner's comments and layout stay; None when the result would not read as
    ``existing`` then ``new`` (a flow-style list, an item the parser could not end on), and
    the list is then written out whole."""
    items = [line for line in text.splitlines() if line.lstrip().startswith("- ")]
    if not items:
        return None
    indent = items[-1][: len(items[-1]) - len(items[-1].lstrip())]
    block = "".join(f"{indent}{line}\n" if line else "\n" for line in to_yaml(new).splitlines())
    candidate = (text if text.endswith("\n") else text + "\n") + block
    try:
        return candidate if parse_feed_list(candidate) == existing + new else None
    except FeedListError:
        return None


def add_to_feed_list(path: Path, found: list[Discovered]) -> list[FeedConfig]:
    """Append ``found`` to the YAML feed list at ``path`` (created if missing); returns what
    was new. Appended after the list's last item, so its comments stay, when the result reads
    as the list plus the new sources; else the list is written out whole. An OPML list is
    refused: rewriting it as YAML would surprise its owner."""
    existing: list[FeedConfig] = []
    text = ""
    if path.exists():  # (read once, within the feed list's bound)
        data = read_feed_list(path)
        if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise FeedListError(f"{path}: is OPML; convert it first with `newswire feeds import`")
        existing = parse_feed_list(data, source=str(path))
        text = data.decode("utf-8", "replace")
    known = {f.url for f in existing}
    new = [FeedConfig(url=d.url, name=d.title, kind=d.kind) for d in found if d.url not in known]
    if new:
        path.write_text(_appended(text, existing, new) or to_yaml(existing + new), encoding="utf-8")
    return new


def cmd_discover(args: argparse.Namespace, settings: Settings) -> int:
    site: str = args.site
    if "://" not in site:
        site = "https://" + site
    with Fetcher(fetch_settings(settings)) as fetcher:
        found, problems = discover(fetcher, site)
    for problem in problems:
        print(f"newswire feeds discover: {problem}", file=sys.stderr)
    if not found:
        print(f"no feeds or sitemaps found on {site}")
        return 1
    print(_table(found))
    if args.add is not None:
        added = add_to_feed_list(args.add, found)
        print(f"\nadded {len(added)} of {len(found)} to {args.add}")
    return 0
