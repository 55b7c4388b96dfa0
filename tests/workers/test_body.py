"""The article body on the parsed page: ruby readings inline, a story's continuation containers."""

from __future__ import annotations

from trafilatura.utils import load_html

from workers.body import continued_text, inline_ruby

_FIRST = [f"Paragraph {i} of the first part tells the story of the bridge vote in the city council." for i in range(4)]
_SECOND = [f"Paragraph {i} of the second part goes on with what the mayor said after the vote." for i in range(3)]


def _split_story(second_class: str = "body articleBody") -> str:
    """A story in two containers of one class, each in its own layout row, an ad row between
    them and a "read more" teaser nested in the second."""
    return (
        "<html><body><main><div class='col'>"
        '<div class="row"><div class="content"><div class="body articleBody -space">'
        + "".join(f'<p class="para">{p}</p>' for p in _FIRST)
        + "</div></div></div>"
        + '<div class="row"><div class="content"><div class="ad">Advertisement box with an offer</div></div></div>'
        + f'<div class="row"><div class="content"><div class="{second_class}">'
        + "<h2>What comes next</h2>"
        + f'<p class="para">{_SECOND[0]}</p>'
        + "<div class='readmore'><p>Read more: another story about a bridge in another town entirely.</p></div>"
        + "".join(f'<p class="para">{p}</p>' for p in _SECOND[1:])
        + "</div></div></div></div></main></body></html>"
    )


def test_the_story_continues_in_later_containers_of_the_same_kind() -> None:
    tree = load_html(_split_story())
    assert tree is not None
    assert continued_text(tree, "\n".join(_FIRST)) == ["What comes next", *_SECOND]


def test_the_page_s_paragraphs_when_given_are_searched_as_the_page_would_be() -> None:
    tree = load_html(_split_story())
    assert tree is not None
    paragraphs = list(tree.iter("p"))
    assert continued_text(tree, "\n".join(_FIRST), paragraphs) == ["What comes next", *_SECOND]
    # the search reads the paragraphs it is given: without the first part's, no container is found
    assert continued_text(tree, "\n".join(_FIRST), paragraphs[len(_FIRST) :]) == []


def test_no_continuation_without_a_container_of_the_same_kind() -> None:
    assert continued_text(load_html(_split_story(second_class="sidebar")), "\n".join(_FIRST)) == []


def test_no_continuation_when_the_last_line_cannot_be_found_on_the_page() -> None:
    tree = load_html(_split_story())
    assert continued_text(tree, "A closing line the page does not hold anywhere at all, word for word.") == []
    assert continued_text(tree, "Too short to probe") == []  # fewer words than identify a paragraph
    assert continued_text(tree, "") == []


def test_ruby_readings_become_inline_text_after_the_name() -> None:
    tree = load_html(
        "<html><body><p>韓国の<ruby><rb>尹錫悦</rb><rp>（</rp><rt>ユンソンニョル</rt><rp>）</rp></ruby>大統領は"
        "<ruby>東京<rt>とうきょう</rt></ruby>へ。<ruby>漢字</ruby></p></body></html>"
    )
    assert tree is not None
    inline_ruby(tree)
    para = tree.find(".//p")
    assert para is not None
    assert para.text_content() == "韓国の尹錫悦（ユンソンニョル）大統領は東京（とうきょう）へ。漢字"
    assert tree.find(".//ruby") is None
