"""Inverted indexes of the story index, laid out without a Python object per posting.

Postings map a 32-bit key (a winnowed fingerprint, a coverage term) to *article numbers*:
dense slots the index assigns to its live articles (derived state, never in the changelog).
CPython spends ~100 bytes on each dict key (the key's int object, the hash-table slot), so the
layout follows the shape of each index:

* :class:`TermPostings` (coverage terms): few keys (a vocabulary), long postings; a key maps to
  its one number or to an ``array("I")`` of numbers (4 bytes a posting).
* :class:`PackedPostings` (fingerprints): one key per posting (most fingerprints belong to one
  article), so the keys themselves are packed: a sorted ``uint64`` numpy array of
  ``key << 32 | number`` (8 bytes a posting, looked up with a vectorised binary search) plus a
  small dict of recent postings merged into it now and then (an LSM in two levels). A dropped
  article's postings are not searched for: its number is dead (the caller's ``alive`` mask)
  and is purged at the next merge, after which the number may be handed out again.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Iterable, Iterator, Sequence, Sized

import numpy as np
import numpy.typing as npt

_LOW = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_CHUNK = 1 << 20  # postings per step of a walk of the table
# Postings at least this long are searched in numpy for a number to remove.
_SCAN = 64


def _live_only(packed: npt.NDArray[np.uint64], alive: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint64]:
    """``packed`` without the postings of dead numbers (itself when none is dead), computed in
    chunks so the scratch arrays stay small."""
    keep = np.empty(len(packed), np.bool_)
    for i in range(0, len(packed), _CHUNK):
        keep[i : i + _CHUNK] = alive[(packed[i : i + _CHUNK] & _LOW).astype(np.intp)]
    return packed if keep.all() else packed[keep]


class TermPostings:
    """Key -> article numbers, for a vocabulary: a key held by one article maps to its number,
    a shared key to an ``array("I")`` (a list would cost 8 bytes a posting and an int object).

    The counts (document frequencies) are also kept in a dict of their own, key -> count, for
    ``counts``: the counts of a whole article's terms are its keys mapped through ``dict.get``
    in C (a probe of the postings dict per term, with the int-or-array test, was most of
    ``coverage_vectors.select``; a sorted numpy table of the counts, brought up to date before each
    look-up, cost a dozen numpy calls a decision). It shares the key objects of the postings
    dict, and most counts are small ints CPython holds once: ~40 bytes a key of the vocabulary
    (~2.6 MB at 100k live articles)."""

    __slots__ = ("_map", "_n")

    def __init__(self) -> None:
        self._map: dict[int, int | array[int]] = {}
        self._n: dict[int, int] = {}  # key -> its number of postings (the keys of ``_map``)

    def __len__(self) -> int:
        return len(self._map)

    def __iter__(self) -> Iterator[int]:
        return iter(self._map)

    def add(self, key: int, number: int) -> None:
        self.add_many((key,), number)

    def add_many(self, keys: Sequence[int], number: int) -> None:
        """``add`` of each of ``keys`` (one article's terms: a restore adds ~40 an article)."""
        m = self._map
        n = self._n
        get = m.get
        for key in keys:
            held = get(key)
            if held is None:
                m[key] = number
                n[key] = 1
            elif held.__class__ is int:
                m[key] = array("I", (held, number))
                n[key] = 2
            else:
                held.append(number)  # type: ignore[union-attr]
                n[key] = len(held)  # type: ignore[arg-type]

    def remove(self, key: int, number: int) -> None:
        held = self._map.get(key)
        if held is None:
            return
        if held.__class__ is int:
            if held == number:
                del self._map[key]
                del self._n[key]
            return
        assert isinstance(held, array)
        if len(held) < _SCAN:
            at = held.index(number) if number in held else -1
        else:  # a common term's postings (~100k numbers at 1M live): scanned in numpy, not as ints
            found = np.flatnonzero(np.frombuffer(held, np.uint32) == number)
            at = int(found[0]) if len(found) else -1
        if at >= 0:
            del held[at]
        if len(held) == 1:
            self._map[key] = held[0]
            self._n[key] = 1
        elif not held:
            del self._map[key]
            del self._n[key]
        else:
            self._n[key] = len(held)

    def count(self, key: int) -> int:
        return self._n.get(key, 0)

    def counts(self, keys: Iterable[int]) -> npt.NDArray[np.int64]:
        """``count`` of each of ``keys``, in order, mapped in C."""
        if isinstance(keys, np.ndarray):
            keys = keys.tolist()
        got = map(self._n.get, keys, itertools.repeat(0))
        return np.fromiter(got, np.int64, len(keys)) if isinstance(keys, Sized) else np.fromiter(got, np.int64)

    def numbers(self, key: int) -> Sequence[int]:
        held = self._map.get(key)
        if held is None:
            return ()
        return (held,) if isinstance(held, int) else held

    def counter(self) -> dict[int, int]:
        """The counts by key (keys no article holds are missing), for hot loops that count many
        keys (``count`` inlined: a ``get`` in C)."""
        return self._n

    def postings(self) -> int:
        return sum(1 if isinstance(v, int) else len(v) for v in self._map.values())


class PackedPostings:
    """Key -> article numbers for keys that are mostly held by one article (fingerprints).

    ``base``: sorted ``key << 32 | number``; ``recent``: postings added since the last merge;
    ``bulk``: postings of a restore, appended packed (8 bytes each, no look-ups until the
    restore is over) and sorted into ``base`` once. Numbers of dropped articles are filtered out
    by the ``alive`` mask at look-up and purged at :meth:`merge`; the caller reuses a number
    only after a merge (see ``StoryIndex``)."""

    __slots__ = ("_base", "_bulk", "_chunks", "_recent", "_recent_n", "merge_at")

    def __init__(self, merge_at: int = 1 << 17) -> None:
        self._base: npt.NDArray[np.uint64] = np.empty(0, np.uint64)
        self._recent: dict[int, list[int]] = {}
        self._recent_n = 0
        self._bulk = array("Q")
        self._chunks: list[npt.NDArray[np.uint64]] = []  # filled bulk, moved out of ``_bulk``
        self.merge_at = merge_at

    def add_bulk(self, keys: Iterable[int], number: int) -> None:
        """Index ``number`` under ``keys`` without making them searchable before a merge."""
        self._bulk.extend([(k << 32) | number for k in keys])
        if len(self._bulk) >= _CHUNK:
            self._chunks.append(np.frombuffer(self._bulk, np.uint64).copy())
            self._bulk = array("Q")

    @property
    def has_bulk(self) -> bool:
        return len(self._bulk) > 0 or len(self._chunks) > 0

    def _take_bulk(self) -> npt.NDArray[np.uint64]:
        """The bulk postings as one numpy array (numpy's allocation: huge pages where the
        system grants them, which a binary search over ~100 MB notices), built chunk by chunk
        so the scratch memory is one chunk."""
        tail = np.frombuffer(self._bulk, np.uint64)
        out = np.empty(sum(len(c) for c in self._chunks) + len(tail), np.uint64)
        pos = 0
        while self._chunks:
            c = self._chunks.pop(0)
            out[pos : pos + len(c)] = c
            pos += len(c)
            del c
        out[pos:] = tail
        del tail
        self._bulk = array("Q")
        return out

    def add(self, keys: Iterable[int], number: int) -> bool:
        """Index ``number`` under ``keys``; True when the recent postings are due a merge."""
        recent = self._recent
        n = 0
        for k in keys:
            held = recent.get(k)
            if held is None:
                recent[k] = [number]
            else:
                held.append(number)
            n += 1
        self._recent_n += n
        return self._recent_n >= self.merge_at

    def lookup(self, keys: Sequence[int], alive: bytearray, limit: int) -> tuple[dict[int, list[int]], set[int]]:
        """The live numbers under each of ``keys`` that any live article holds, and apart the
        keys held by more than ``limit`` live articles (counted, not listed). ``alive``: one
        byte per number. One vectorised search over ``base`` for all the keys; the postings
        found are listed in one pass (most keys are missing or held by one article)."""
        held: dict[int, list[int]] = {}
        crowded: set[int] = set()
        base = self._base
        if len(base) and keys:
            q = np.array(keys, np.uint64) << _SHIFT
            lo = base.searchsorted(q, "left")
            # a key is held where its first posting would go holds it; only those (few: most
            # fingerprints are new) are searched for their end
            hit = np.flatnonzero((base[np.minimum(lo, len(base) - 1)] >> _SHIFT) == (q >> _SHIFT))
            n = np.zeros(len(q), np.intp)
            if len(hit):
                n[hit] = base.searchsorted(q[hit] | _LOW, "right") - lo[hit]
                mask = np.frombuffer(alive, np.bool_)
                n_hit, lo_hit = n[hit], lo[hit]
                big = n_hit > limit
                for i in np.flatnonzero(big).tolist():  # boilerplate: count the live ones only
                    start = int(lo_hit[i])
                    nums = (base[start : start + int(n_hit[i])] & _LOW).astype(np.intp)
                    if int(np.count_nonzero(mask[nums])) > limit:
                        crowded.add(keys[int(hit[i])])
                    else:
                        held[keys[int(hit[i])]] = nums[mask[nums]].tolist()
                small = ~big
                n_s, lo_s = n_hit[small], lo_hit[small]
                if len(n_s):
                    ends = np.cumsum(n_s)
                    idx = np.arange(int(ends[-1])) + np.repeat(lo_s - (ends - n_s), n_s)
                    vals = base[idx]
                    vals = vals[mask[(vals & _LOW).astype(np.intp)]]
                    for v in vals.tolist():
                        k = v >> 32
                        got = held.get(k)
                        if got is None:
                            held[k] = [v & 0xFFFFFFFF]
                        else:
                            got.append(v & 0xFFFFFFFF)
        recent = self._recent
        if recent:
            # only the keys with recent postings (found in C: most keys have none); the order
            # in which keys enter ``held`` carries no meaning
            for k in recent.keys() & keys:
                extra = recent[k]
                if k in crowded:
                    continue
                live = [x for x in extra if alive[x]]
                if live:
                    got = held.get(k)
                    if got is None:
                        held[k] = live
                    else:
                        got.extend(live)
        for k in [k for k, v in held.items() if len(v) > limit]:
            crowded.add(k)
            del held[k]
        return held, crowded

    def merge(self, alive: npt.NDArray[np.bool_]) -> None:
        """Fold the recent (and bulk) postings into ``base``, dropping those of dead numbers.
        Scratch memory is bounded to about one more copy of the table: the dead are found in
        chunks, the new postings are sorted where they are and inserted at their places
        (``searchsorted`` + ``insert``: one pass, no sort of the whole table)."""
        base = _live_only(self._base, alive)
        new = np.empty(0, np.uint64)
        if self._recent:
            keys = np.array([k for k, v in self._recent.items() for _ in v], np.uint64)
            nums = np.array([n for v in self._recent.values() for n in v], np.uint64)
            new = (keys << _SHIFT) | nums
        if self.has_bulk:
            bulk = self._take_bulk()
            bulk.sort()
            bulk = _live_only(bulk, alive)
            new = np.concatenate((new, bulk)) if len(new) else bulk
            del bulk
        if len(new):
            new = _live_only(new, alive)
            new.sort()
            base = np.insert(base, base.searchsorted(new), new) if len(base) else new
        self._base = base
        self._recent = {}
        self._recent_n = 0

    def live(self, alive: npt.NDArray[np.bool_]) -> tuple[int, int]:
        """(distinct keys, postings) of live articles: a walk of the table in chunks (for
        stats; bounded scratch memory, nothing copied whole)."""
        if self.has_bulk:  # a restore in progress: rare, so the simple way
            merged = self._copy()
            merged.merge(alive)
            return merged.live(alive)
        base = self._base
        keys = postings = 0
        last = -1
        for i in range(0, len(base), _CHUNK):
            chunk = base[i : i + _CHUNK]
            k = chunk[alive[(chunk & _LOW).astype(np.intp)]] >> _SHIFT
            if len(k):
                postings += len(k)
                keys += int(np.count_nonzero(np.diff(k))) + (int(k[0]) != last)
                last = int(k[-1])
        for key, nums in self._recent.items():
            n = int(np.count_nonzero(alive[np.array(nums, np.intp)]))
            if n:
                postings += n
                q = np.uint64(key << 32)
                lo = int(base.searchsorted(q))
                hi = int(base.searchsorted(q | _LOW, "right"))
                span = base[lo:hi]
                keys += not np.any(alive[(span & _LOW).astype(np.intp)])
        return keys, postings

    def items(self, alive: npt.NDArray[np.bool_]) -> Iterator[tuple[int, int]]:
        """Every live (key, number) posting, in key order (for tests and audits)."""
        merged = self._copy()
        merged.merge(alive)
        for v in merged._base.tolist():
            yield v >> 32, v & 0xFFFFFFFF

    def _copy(self) -> PackedPostings:
        out = PackedPostings(self.merge_at)
        out._base, out._recent, out._recent_n = self._base, dict(self._recent), self._recent_n
        out._bulk = array("Q", self._bulk)
        out._chunks = [c.copy() for c in self._chunks]
        return out

    def nbytes(self) -> int:
        return int(self._base.nbytes) + 100 * self._recent_n
