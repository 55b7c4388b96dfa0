"""The packed postings against a plain dict of sets: whatever the mix of recent, bulk (restore)
and merged postings and of dropped numbers, a look-up, a walk and the counts give what the
live articles hold."""

from __future__ import annotations

import random
from array import array

import numpy as np
import pytest

from workers import postings
from workers.postings import PackedPostings, TermPostings


@pytest.mark.parametrize("seed", range(40))
def test_packed_postings_hold_what_live_articles_hold(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings, "_CHUNK", 7)  # walks cross chunk boundaries
    rng = random.Random(seed)
    table = PackedPostings(merge_at=rng.randint(1, 50))
    alive = bytearray()
    held: dict[int, list[int]] = {}
    for num in range(300):
        alive.append(1)
        keys = sorted({rng.randint(0, 40) for _ in range(rng.randint(0, 5))})
        held[num] = keys
        if rng.random() < 0.3:
            table.add_bulk(keys, num)
        elif table.add(keys, num):
            table.merge(np.frombuffer(alive, np.bool_))
        if rng.random() < 0.3:
            alive[rng.randrange(num + 1)] = 0
    mask = np.frombuffer(alive, np.bool_)
    expected: dict[int, list[int]] = {}
    for num, keys in held.items():
        for k in keys if alive[num] else ():
            expected.setdefault(k, []).append(num)
    assert table.live(mask) == (len(expected), sum(map(len, expected.values())))
    assert sorted(table.items(mask)) == sorted((k, n) for k, ns in expected.items() for n in ns)
    table.merge(mask)  # the index merges a restore's bulk postings before its first look-up
    found, crowded = table.lookup(list(range(45)), alive, 3)
    for k in range(45):
        want = expected.get(k, [])
        if len(want) > 3:
            assert k in crowded and k not in found
        elif want:
            assert sorted(found[k]) == want
        else:
            assert k not in found and k not in crowded


def test_term_postings_count_and_list_numbers() -> None:
    t = TermPostings()
    for n in (5, 9, 5000):
        t.add(7, n)
    t.add(8, 1)
    assert t.count(7) == 3 and sorted(t.numbers(7)) == [5, 9, 5000]
    t.remove(7, 9)
    t.remove(7, 5000)
    assert t.count(7) == 1 and list(t.numbers(7)) == [5]
    t.remove(7, 5)
    t.remove(8, 1)
    assert t.count(7) == 0 and len(t) == 0 and t.postings() == 0


@pytest.mark.parametrize("seed", range(20))
def test_term_counts_table_follows_every_add_and_remove(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counts of many keys at once (a dict of counts kept beside the postings, mapped in C)
    equal ``count`` and the postings held after any mix of changes, for keys given as a list,
    a dict's keys or a numpy array."""
    rng = random.Random(seed)
    monkeypatch.setattr(postings, "_SCAN", rng.choice((2, 64)))  # 2: removals searched in numpy
    t = TermPostings()
    held: dict[int, set[int]] = {}
    for step in range(600):
        key = rng.choice((0, 1, 2**32 - 1, *range(100, 160)))
        if rng.random() < 0.6:
            num = rng.randrange(50)
            if num not in held.setdefault(key, set()):
                held[key].add(num)
                t.add(key, num)
        elif held.get(key):
            num = rng.choice(sorted(held[key]))
            held[key].discard(num)
            t.remove(key, num)
        else:
            t.remove(key, rng.randrange(50))  # nothing to remove: no change
        if step % rng.randint(1, 40) == 0:
            probe = [rng.choice((0, 1, 2**32 - 1, 7, *range(95, 165))) for _ in range(rng.randint(0, 30))]
            want = [len(held.get(k, ())) for k in probe]
            assert t.counts(probe).tolist() == [t.count(k) for k in probe] == want
            assert t.counts(np.array(probe, np.uint32)).tolist() == want
            assert t.counts(dict.fromkeys(probe)).tolist() == [len(held.get(k, ())) for k in dict.fromkeys(probe)]
            assert t.counter() == {k: len(v) for k, v in held.items() if v}
            assert all(sorted(t.numbers(k)) == sorted(held.get(k, ())) for k in probe)


@pytest.mark.parametrize("seed", range(10))
def test_add_many_is_add_of_each(seed: int) -> None:
    """One article's terms added at once hold the same postings and counts as one by one."""
    rng = random.Random(seed)
    one, many = TermPostings(), TermPostings()
    for number in range(200):
        keys = rng.sample(range(60), rng.randint(0, 40))
        for k in keys:
            one.add(k, number)
        many.add_many(array("I", keys), number)
    probe = list(range(70))
    assert many.counts(probe).tolist() == one.counts(probe).tolist()
    assert all(list(many.numbers(k)) == list(one.numbers(k)) for k in probe)
