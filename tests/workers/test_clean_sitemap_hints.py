"""What a news sitemap said about an article (raw ``extra``) fills gaps; the page decides, and
the language detector only guesses where neither says anything."""

from __future__ import annotations

from newswire.records import RawStory
from workers.clean import clean

BODY = "".join(
    f"<p>Paragraph {i} of the statement says the ministers met again on Tuesday to discuss the budget.</p>"
    for i in range(8)
)


def test_sitemap_language_fills_a_page_without_one() -> None:
    bare = f"<html><head><title>Budget talks</title></head><body><article>{BODY}</article></body></html>"
    raw = RawStory(id="1", url="https://wire.example/a/1", html=bare, extra={"source": "sitemap", "language": "fr"})
    assert clean(RawStory(id="0", url=raw.url, html=bare)).language == "en"  # the page says nothing: detected
    assert clean(raw).language == "fr"  # the publisher's word over the guess
    tagged = bare.replace("<html>", '<html lang="de">')
    assert (
        clean(RawStory(id="2", url="https://wire.example/a/2", html=tagged, extra={"language": "fr"})).language == "de"
    )
    junk = RawStory(id="3", url="https://wire.example/a/3", html=bare, extra={"language": "<script>"})
    assert clean(junk).language == "en"  # a hint that is no language tag is ignored
