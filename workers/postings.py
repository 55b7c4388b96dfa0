"""Inverted-index postings kept small: a key held by one article maps to its id, a shared key
to a list of ids. Most fingerprints and rare terms belong to one article, and a bare string
costs nothing beyond the dict entry, where a list would add ~64 bytes per key."""

from __future__ import annotations

Postings = dict[int, str | list[str]]


def add(postings: Postings, key: int, article_id: str) -> None:
    held = postings.get(key)
    if held is None:
        postings[key] = article_id
    elif isinstance(held, str):
        postings[key] = [held, article_id]
    else:
        held.append(article_id)


def remove(postings: Postings, key: int, article_id: str) -> None:
    held = postings.get(key)
    if held is None:
        return
    if isinstance(held, str):
        if held == article_id:
            del postings[key]
        return
    if article_id in held:
        held.remove(article_id)
    if len(held) == 1:
        postings[key] = held[0]
    elif not held:
        del postings[key]


def ids(postings: Postings, key: int) -> list[str]:
    held = postings.get(key)
    if held is None:
        return []
    return [held] if isinstance(held, str) else held


def count(postings: Postings, key: int) -> int:
    held = postings.get(key)
    if held is None:
        return 0
    return 1 if isinstance(held, str) else len(held)
