"""Render corpus records as a site's Google News sitemap and home page, for the sample sites.

Kept beside :mod:`pipeline.samples` (pages and feeds) so the demo can show a wire that
publishes through a news sitemap only, and so ``newswire feeds discover`` has a home page with
``<link rel=alternate>`` to find.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from newswire.records import parse_time

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def _x(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_news_sitemap(records: Iterable[Mapping[str, Any]], publication: str) -> bytes:
    """A Google News sitemap (``<urlset xmlns:news=...>``) listing ``records``' pages, with
    ``news:publication_date``, ``news:title``, ``news:language`` and ``lastmod``."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">',
    ]
    for r in records:
        pub = parse_time(r.get("published"))
        stamp = pub.isoformat().replace("+00:00", "Z") if pub else ""
        out.append("  <url>")
        out.append(f"    <loc>{_x(r.get('url', ''))}</loc>")
        if stamp:
            out.append(f"    <lastmod>{stamp}</lastmod>")
        out.append("    <news:news>")
        out.append("      <news:publication>")
        out.append(f"        <news:name>{_x(publication)}</news:name>")
        out.append(f"        <news:language>{_x(r.get('language', 'en'))}</news:language>")
        out.append("      </news:publication>")
        if stamp:
            out.append(f"      <news:publication_date>{stamp}</news:publication_date>")
        out.append(f"      <news:title>{_x(r.get('title', ''))}</news:title>")
        keywords = r.get("keywords")
        if isinstance(keywords, (list, tuple)) and keywords:
            out.append(f"      <news:keywords>{_x(', '.join(str(k) for k in keywords))}</news:keywords>")
        out.append("    </news:news>")
        out.append("  </url>")
    out += ["</urlset>", ""]
    return "\n".join(out).encode("utf-8")


def render_home(name: str, feeds: Iterable[tuple[str, str]]) -> bytes:
    """A site's home page announcing its feeds as ``<link rel="alternate" type=... href=...>``."""
    links = "\n".join(
        f'  <link rel="alternate" type="{_x(ctype)}" title="{_x(name)}" href="{_x(href)}">' for href, ctype in feeds
    )
    return (
        f'<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n  <title>{_x(name)}</title>\n'
        f"{links}\n</head>\n<body><h1>{_x(name)}</h1></body>\n</html>\n"
    ).encode()
