"""Byline reading: labels, initials, roles, scripts, agencies (pure functions, no pages)."""

from __future__ import annotations

import pytest

from workers.agencies import agencies_in, agency_of, credit_line_agencies
from workers.bylines import Byline, read_byline


@pytest.mark.parametrize(
    ("raw", "authors", "credits"),
    [
        ("Von Felix Schröder und Jörg Soldwisch, dpa", ("Felix Schröder", "Jörg Soldwisch"), ("dpa",)),
        ("Autor Monika Bolliger und Anna Trechsel", ("Monika Bolliger", "Anna Trechsel"), ()),
        ("Elena Oberholzer (obe)", ("Elena Oberholzer",), ()),
        ("Capital Von Jemima Kelly", ("Jemima Kelly",), ()),
        ("Text: Anna Lind", ("Anna Lind",), ()),
        ("牛镛", ("牛镛",), ()),
        ("By Takeo Maeda and Tatsuya Tanoue", ("Takeo Maeda", "Tatsuya Tanoue"), ()),
        ("Associated Press", (), ("Associated Press",)),
        ("BR24 Redaktion", (), ("BR24 Redaktion",)),
        ("Redaktion hessenschau.de", (), ("Redaktion hessenschau.de",)),
        ("Per-Erik Ofstad", ("Per-Erik Ofstad",), ()),
        ("https://www.facebook.com/stern", (), ()),
        ("Seb Dumitru, Lille", ("Seb Dumitru",), ()),
        # RSS 2.0's <author> as a feed gives it (a replay line, RSS-in-JSON): "address (Name)"
        ("jane.doe@example.com (Jane Doe)", ("Jane Doe",), ()),
        ("newsdesk@example.com (Reuters)", (), ("Reuters",)),
        ("jane.doe@example.com", (), ()),
    ],
)
def test_read_byline(raw: str, authors: tuple[str, ...], credits: tuple[str, ...]) -> None:
    assert read_byline([raw]) == Byline(authors, credits)


def test_organisation_typed_names_are_credits_and_the_site_is_known() -> None:
    assert read_byline(["kicker"], typed_org=True, split=False) == Byline((), ("kicker",))
    assert read_byline(["Euronews"], site=frozenset({"euronews"})) == Byline((), ("Euronews",))


def test_agency_aliases_and_word_boundaries() -> None:
    assert agency_of("The Associated Press") == "ap" == agency_of("AP")
    assert agency_of("Agence France-Presse") == "afp"
    assert agencies_in("Le Figaro et AFP") == ["afp"]
    assert agencies_in("Japan APAC news") == []  # "AP" is not inside words
    assert agencies_in("a PA system") == []  # ambiguous short codes only as the whole credit


def test_credit_lines() -> None:
    assert credit_line_agencies("INDIANAPOLIS (AP) - A messy state budget deal...") == ["AP"]
    assert credit_line_agencies("MOSCOW, January 25. /TASS/. The talks...") == ["TASS"]
    assert sorted(credit_line_agencies("Text.\nMore text.\n(Quelle: APA/sda/dpa)")) == ["APA", "dpa", "sda"]
    assert credit_line_agencies("He said (AFP reported earlier) that it was so.") == []
