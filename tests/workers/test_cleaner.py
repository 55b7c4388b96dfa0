"""The clean stage's processor: what reaches it from the raw topic cannot stop it, and a bug of
ours is reported as a bug, never filed as a bad page."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import pytest
from prometheus_client import REGISTRY

import workers.clean
from newswire.bus import Message
from newswire.records import CleanedRecord, RawStory
from newswire.runtime import Outcome
from newswire.settings import load_settings
from workers.cleaner import CleanProcessor
from workers.extract_pool import ExtractPool
from workers.replay import clean_settings

BODY = "<p>" + "The council approved the plan after a long debate on Tuesday evening. " * 3 + "</p>"


def _process(values: list[bytes], max_record_bytes: int | None = None) -> list[Outcome]:
    settings = load_settings(worker={"extract_processes": 0}, metrics={"enabled": False})
    limit = max_record_bytes if max_record_bytes is not None else settings.max_record_bytes
    with ExtractPool(workers=0, timeout_s=10.0, max_tasks_per_child=10, settings=clean_settings(settings)) as pool:
        return CleanProcessor(pool, "cleaned", max_record_bytes=limit).process(
            [Message("raw", 0, i, b"k", value, 0) for i, value in enumerate(values)]
        )


def _page(i: int, head: str = "", body: str = BODY) -> bytes:
    html = f"<html><head>{head}</head><body><article>{body}</article></body></html>"
    return RawStory(id=f"r{i}", url=f"https://x.example/{i}", html=html).encode()


def _failures(reason: str) -> float:
    return REGISTRY.get_sample_value("newswire_extraction_failures_total", {"reason": reason}) or 0.0


def test_raw_record_with_wrongly_typed_fields_is_dead_lettered() -> None:
    bad = json.dumps({"url": "https://x.example/1", "html": "<p>x</p>", "authors": 5}).encode()
    broken_url = json.dumps({"url": "http://[oops/1", "html": "<p>x</p>"}).encode()
    lone = json.dumps({"url": "https://x.example/2", "html": "<p>a\ud800b</p>"}).encode()  # escaped alone
    outcomes = _process([bad, broken_url, lone])
    assert [o.dead.reason if o.dead else None for o in outcomes] == ["decode_error"] * 3
    assert "authors" in str(outcomes[0].dead) and "invalid url" in str(outcomes[1].dead)
    assert "surrogate" in str(outcomes[2].dead)
    assert not any(o.outputs for o in outcomes)


def test_a_bug_in_extraction_is_logged_counted_and_dead_lettered_as_internal(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def choose_language(meta: Any, traf_language: str | None, text: str = "", hint: str | None = None) -> str | None:
        return meta.html_lang.primary_subtag  # type: ignore[no-any-return]  # the injected bug

    monkeypatch.setattr(workers.clean, "choose_language", choose_language)
    internal_before, not_html_before = _failures("internal"), _failures("not_html")
    with caplog.at_level(logging.ERROR, logger="workers.cleaner"):
        bug, fault = _process([_page(0), _unparseable(1)])
    assert bug.dead is not None and bug.dead.reason == "internal" and not bug.outputs
    assert "AttributeError" in str(bug.dead) and "primary_subtag" in str(bug.dead)
    assert fault.dead is not None and fault.dead.reason == "extract_not_html"  # the page's fault
    assert _failures("internal") == internal_before + 1
    assert _failures("not_html") == not_html_before + 1
    [record] = [r for r in caplog.records if r.name == "workers.cleaner"]
    assert record.levelno == logging.ERROR and "bug" in record.getMessage()
    assert "meta.html_lang.primary_subtag" in record.traceback  # type: ignore[attr-defined]
    assert record.url == "https://x.example/0"  # type: ignore[attr-defined]


def _unparseable(i: int) -> bytes:
    return RawStory(id=f"r{i}", url=f"https://x.example/{i}", html="<!-- -->").encode()


def test_a_broken_canonical_link_costs_the_canonical_not_the_article() -> None:
    # Was filed as a bad page (not_html) while it was our urljoin raising on the page's link.
    [outcome] = _process([_page(0, head='<link rel="canonical" href="http://[oops/a">')])
    assert outcome.dead is None
    [out] = outcome.outputs
    record = CleanedRecord.decode(out.value)
    assert record.canonical_url == record.url == "https://x.example/0" and record.text


def test_a_cleaned_record_over_the_record_limit_goes_without_features_or_is_a_dead_letter() -> None:
    """Features can outgrow the page: 150,000 short lines in a 5.9 MB page made a 33 MB cleaned
    record, 27 MB of it features; the broker refused it and the batch failed on every restart.
    Over the limit, the record goes without its features (the thread stage computes them from
    the text); a text over the limit alone is ``extract_too_large``."""
    lines = "".join(f"<p>Line {i} of the council's long list of items.</p>" for i in range(300))
    page = _page(0, body=lines)
    whole = CleanedRecord.decode(_process([page])[0].outputs[0].value)
    assert whole.features is not None
    text_only = len(dataclasses.replace(whole, features=None).encode())
    assert len(whole.encode()) > text_only + 1000
    before = _failures("too_large")
    fits, over = _process([page], max_record_bytes=text_only + 100), _process([page], max_record_bytes=text_only - 1)
    sent = CleanedRecord.decode(fits[0].outputs[0].value)
    assert sent.features is None and sent.text == whole.text
    assert over[0].dead is not None and over[0].dead.reason == "extract_too_large" and not over[0].outputs
    assert _failures("too_large") - before == 1
