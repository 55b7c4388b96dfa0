"""The coverage vectors of a decision's candidates, weighted in one numpy pass (or as dicts,
for a few), and their cosines with the input's vector are ``coverage_vectors.weighted``'s and
``coverage_vectors.cosine``'s, float for float and in key order."""

from __future__ import annotations

import random
from array import array

import numpy as np
import numpy.typing as npt
import pytest

from workers import coverage_vectors
from workers.coverage_vectors import CandidateVectors, FewVectors, candidate_vectors, cosine, weighted


def _article(rng: random.Random, vocab: int) -> tuple[array[int], array[int], array[int]]:
    terms = array("I", sorted(rng.sample(range(vocab), rng.randint(0, 40))))
    if terms and rng.random() < 0.15:
        terms.append(terms[0])  # listed twice: weighted keeps the last
    elif len(terms) > 1 and rng.random() < 0.1:
        terms.reverse()  # not ascending
    tf = array("B", (rng.randint(16, 255) for _ in terms))
    names = array("I", sorted(h for h in set(terms) if rng.random() < 0.3))
    return terms, tf, names


@pytest.mark.parametrize("seed", range(30))
def test_candidate_vectors_are_weighted_and_cosine_of_each(seed: int) -> None:
    """The batched vectors are ``weighted``'s and the batched cosines ``cosine``'s, float for
    float (a term listed twice, terms out of order and an empty input vector included)."""
    rng = random.Random(seed)
    # ascending term numbers: small ones, or full-width hashes (the order kept)
    hashes = list(range(300)) if seed % 2 else sorted(rng.sample(range(2**32), 300))
    idf_of = {h: 1.0 + rng.random() * 9 for h in hashes}
    articles = []
    for _ in range(rng.randint(0, 12)):
        terms, tf, names = _article(rng, 300)
        articles.append((array("I", (hashes[t] for t in terms)), tf, array("I", sorted(hashes[n] for n in names))))
    mine_terms = _article(rng, 300)[0]
    mine_terms = array("I", sorted({hashes[t] for t in mine_terms}))
    mine = weighted(mine_terms, array("B", (rng.randint(16, 255) for _ in mine_terms)), set(), idf_of.__getitem__)

    def idf_array(terms: npt.NDArray[np.uint32]) -> npt.NDArray[np.float64]:
        return np.array([idf_of[h] for h in terms.tolist()], np.float64)

    want = [weighted(t, f, frozenset(n), idf_of.__getitem__) for t, f, n in articles]
    numpy_pass = CandidateVectors(articles, idf_array, idf_of.__getitem__)
    chosen = candidate_vectors(articles, idf_array, idf_of.__getitem__)
    for batch in (numpy_pass, FewVectors(articles, idf_of.__getitem__), chosen):
        got = [batch.vector(i) for i in range(len(articles))]
        assert got == want
        assert all(list(a.items()) == list(b.items()) for a, b in zip(got, want, strict=True))
        assert batch.cosines(mine) == [cosine(mine, v) for v in want]
        assert batch.cosines({}) == [cosine({}, v) for v in want]
    # ascending articles took the numpy way (the others ``weighted``'s own)
    ascending = [len(set(t)) == len(t) and list(t) == sorted(t) for t, _, _ in articles]
    assert numpy_pass._ok.tolist() == ascending
    # a few candidates are weighed as dicts, more in the numpy pass
    assert isinstance(chosen, FewVectors if len(articles) <= coverage_vectors._FEW_CANDIDATES else CandidateVectors)


def test_candidate_cosines_fall_back_where_sums_are_compensated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``sum`` compensates (3.12 on), the cosines are ``cosine``'s of ``weighted``'s."""
    monkeypatch.setattr(coverage_vectors, "_SEQUENTIAL_SUM", False)
    idf_of = {h: 1.0 + h / 7 for h in range(50)}
    articles = [(array("I", [1, 5, 9]), array("B", [16, 40, 90]), array("I", [5]))]
    mine = weighted(array("I", [5, 9, 30]), array("B", [20, 20, 20]), {9}, idf_of.__getitem__)
    batch = CandidateVectors(articles, lambda t: np.array([idf_of[h] for h in t.tolist()]), idf_of.__getitem__)
    vec = weighted(*articles[0][:2], frozenset(articles[0][2]), idf_of.__getitem__)
    assert batch.vector(0) == vec
    assert batch.cosines(mine) == [cosine(mine, vec)]
