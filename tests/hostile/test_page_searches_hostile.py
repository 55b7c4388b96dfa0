"""The cleaning step's own searches of a page, on pages built to make a search slow: each
stays linear in the page. (The extraction process's time limit bounds a page; these bounds
catch a search of ours that is quadratic long before it would reach that limit.)"""

from __future__ import annotations

import time

from lxml import html as lh

from tests.support.hostile import bounded
from workers.clean import DEFAULT_SETTINGS, _thin
from workers.metadata import byline_texts


class _Doc:
    def __init__(self, body: object) -> None:
        self.body = body
        self.text = "x" * (DEFAULT_SETTINGS.recheck_below_chars + 1)


def test_the_byline_search_of_80000_byline_elements_is_linear() -> None:
    """A union of four searches whose parent step ran over every match: 10 s for 80,000
    elements (40 s with two kinds of byline markup), of which 32 are read."""
    markup = '<span class="author">Jane Roe</span><a rel="author" href="/author/x">Max Doe</a>'
    tree = lh.fromstring("<html><body>" + markup * 80_000 + "</body></html>")
    out = bounded(lambda: byline_texts(tree))
    assert out.error is None and out.value[:2] == ("Jane Roe", "Max Doe")
    assert out.elapsed_s < 3.0, f"{out.elapsed_s:.1f}s"


def test_the_thin_reading_test_of_80000_paragraphs_is_linear() -> None:
    """'Any paragraph text?' built every text node of every paragraph first: 19.5 s at 80,000
    paragraphs, 31 s at 100,000."""
    body = lh.fromstring("<div>" + "".join(f"<p>para {i}</p>" for i in range(80_000)) + "</div>")
    started = time.monotonic()
    assert not _thin(_Doc(body), DEFAULT_SETTINGS)
    assert time.monotonic() - started < 2.0
    assert _thin(_Doc(lh.fromstring("<div><p></p><span>text</span></div>")), DEFAULT_SETTINGS)
