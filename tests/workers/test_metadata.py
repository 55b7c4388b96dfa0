"""Page metadata choices: site names stripped from titles, person names from bylines."""

from __future__ import annotations

import pytest

from workers.metadata import PageMeta, choose_canonical, site_aliases, split_authors, strip_site_name


@pytest.mark.parametrize(
    ("title", "host", "names", "expected"),
    [
        ("Quake hits coast | AP News", "apnews.com", [], "Quake hits coast"),
        ("Quake hits coast - Reuters", "reuters.com", [], "Quake hits coast"),
        ("World | Quake hits coast | The Guardian", "theguardian.com", ["The Guardian"], "Quake hits coast"),
        ("BBC News - Quake hits coast", "bbc.co.uk", ["BBC News"], "Quake hits coast"),
        (
            "Star Wars review - shoots for the moon",
            "vg247.com",
            ["VG247"],
            "Star Wars review - shoots for the moon",
        ),
    ],
)
def test_strip_site_name(title: str, host: str, names: list[str], expected: str) -> None:
    assert strip_site_name(title, site_aliases(host, names)) == expected


def test_split_authors_drops_orgs_emails_and_roles() -> None:
    assert split_authors(["By Jane Doe and John Smith"]) == ("Jane Doe", "John Smith")
    assert split_authors(["Bruce Y. Lee"]) == ("Bruce Y. Lee",)
    assert split_authors(["Tom Krisher, AP Auto Writer"]) == ("Tom Krisher",)
    assert split_authors(["Associated Press", "jane@news.example", "https://x.example/a"]) == ()
    assert split_authors(["LISA MASCARO; Tom Gillespie News reporter"]) == ("Lisa Mascaro", "Tom Gillespie")


@pytest.mark.parametrize(
    ("canonical", "og_url", "expected"),
    [
        ("/a/1", "", "https://x.example/a/1"),
        ("", "https://x.example/og", "https://x.example/og"),
        ("javascript:void(0)", "", "https://x.example/a/1?utm=2"),
        ("", "", "https://x.example/a/1?utm=2"),
    ],
)
def test_choose_canonical(canonical: str, og_url: str, expected: str) -> None:
    meta = PageMeta({"og:url": og_url} if og_url else {}, canonical, "", "", (), ())
    assert choose_canonical(meta, "https://x.example/a/1?utm=2") == expected
