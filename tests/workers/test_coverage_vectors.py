"""The coverage vectors of a decision's candidates, weighted in one numpy pass, are
``coverage.weighted``'s float for float and in key order."""

from __future__ import annotations

import random
from array import array

import pytest

from workers.coverage import weighted, weighted_many


@pytest.mark.parametrize("seed", range(20))
def test_weighted_many_is_weighted_of_each(seed: int) -> None:
    """The batched vectors are ``weighted``'s, float for float (a term listed twice included),
    with the idf asked term by term or given as one list."""
    rng = random.Random(seed)
    idf_of = {h: 1.0 + rng.random() * 9 for h in range(300)}
    articles = []
    for _ in range(rng.randint(0, 12)):
        terms = array("I", sorted(rng.sample(range(300), rng.randint(0, 40))))
        if terms and rng.random() < 0.2:
            terms.append(terms[0])  # listed twice: weighted keeps the last
        tf = array("B", (rng.randint(16, 255) for _ in terms))
        names = frozenset(h for h in terms if rng.random() < 0.3)
        articles.append((terms, tf, names))
    want = [weighted(t, f, n, idf_of.__getitem__) for t, f, n in articles]
    assert weighted_many(articles, idf_of.__getitem__) == want
    given = [idf_of[h] for t, _, _ in articles for h in t]
    assert weighted_many(articles, idf_of.__getitem__, given) == want
    assert all(list(a) == list(b) for a, b in zip(weighted_many(articles, idf_of.__getitem__), want, strict=True))
