"""trafilatura's own reading of a page's metadata: the fields the cleaning step weighs, each read
when it is first asked for.

The cleaning step reads metadata from the page's structured signals itself
(:mod:`workers.metadata`) and takes trafilatura's title, site name, byline and date as further
candidates. ``bare_extraction(with_metadata=True)`` reads all of its metadata up front and
again on every extraction of the page: with the categories, tags and licence the step never
uses, the byline found by a search of a pruned copy of the page (which the step needs only
when the page's own signals and visible byline name no one) and the date htmldate guesses
(needed only when neither the page nor the feed dates the article). Together that was a third
of trafilatura's time on a page. Here the same functions of the library run, in the same order
as its ``extract_metadata`` and with the same final trimming, once per page and only as far as
asked: the values are those ``bare_extraction`` returns (``tests/workers/test_library_meta.py``
holds this on the page corpora), at the cost of the fields used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property
from html import unescape
from typing import Any, TypeVar

from htmldate import find_date
from lxml.etree import LxmlError
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document
from trafilatura.utils import line_processing

log = logging.getLogger(__name__)

#: What the HTML libraries raise when a page defeats them; caught only around library calls.
LIBRARY_PAGE_FAULTS = (ValueError, TypeError, RecursionError, LxmlError)

T = TypeVar("T")

#: htmldate's options for a page's date: the date the page declares, no search of its text
DATE_PARAMS: dict[str, Any] = {"extensive_search": False, "original_date": True}


def _guarded(read: Callable[..., T], *args: Any, default: T) -> T:
    """One of the library's readings, ``default`` when the page's markup defeats it: a field the
    library cannot read is a field it did not find (the page's text is read regardless)."""
    try:
        return read(*args)
    except LIBRARY_PAGE_FAULTS as exc:
        log.debug("trafilatura metadata: %s: %s", type(exc).__name__, exc)
        return default


def _trimmed(value: str | None) -> str | None:
    """A field as trafilatura's ``Document.clean_and_trim`` leaves it."""
    if not isinstance(value, str):
        return value
    if len(value) > 10000:
        value = value[:9999] + "…"
    # (trafilatura returns None for a line of blanks and invisible characters: no "None" title)
    return line_processing(unescape(value)) or None


class LibraryMeta:
    """trafilatura's metadata of one parsed page (which is read, never modified).

    Title, site name and the page's URL are read at once (the meta tags and JSON-LD they
    come from are cheap to read and always weighed); ``author`` and ``date`` when first used.
    """

    def __init__(self, tree: Any, url: str, date_params: dict[str, Any] | None = None) -> None:
        self._tree = tree
        self._date_params = DATE_PARAMS if date_params is None else date_params
        doc = _guarded(examine_meta, tree, default=Document())
        if doc.author and " " not in doc.author:  # as trafilatura: a one-word author is no name
            doc.author = None
        try:
            doc = extract_meta_json(tree, doc)
        except Exception as exc:  # trafilatura's own guard around its JSON-LD reader, kept as it is
            log.debug("trafilatura metadata: JSON-LD: %s", exc)
        if not doc.title:
            doc.title = _guarded(extract_title, tree, default=None)
        if not doc.url:
            doc.url = _guarded(extract_url, tree, url, default=None) or url
        self._doc = doc
        self.url: str | None = doc.url
        self.title: str = _trimmed(doc.title) or ""
        self.sitename: str = _trimmed(self._sitename(doc)) or ""

    def _sitename(self, doc: Any) -> str | None:
        sitename: str | None = doc.sitename or _guarded(extract_sitename, self._tree, default=None)
        if sitename:
            sitename = sitename.lstrip("@")  # a Twitter handle
            if sitename and "." not in sitename and not sitename[0].isupper():
                sitename = sitename.title()
            return sitename
        if doc.url and (match := META_URL.match(doc.url)):
            return str(match[1])
        return None

    @cached_property
    def author(self) -> str:
        """The byline in the page's metas or JSON-LD, else trafilatura's search of the page."""
        author = self._doc.author or _guarded(extract_author, self._tree, default=None)
        return _trimmed(author) or ""

    @cached_property
    def date(self) -> str | None:
        """htmldate's date of the page (YYYY-MM-DD), None when it finds none."""
        params = {**self._date_params, "url": self.url}
        found = _guarded(lambda: find_date(self._tree, **params), default=None)
        return _trimmed(found) or None
