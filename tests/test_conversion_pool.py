"""Conversion workers start only when they pay (issue 16 point 3): real pools, real pages.

Each worker is a Python process of ~40 MB; when the rate limit, not conversion, bounds a run
(a 1 % change of small pages at Intercom's limit) they are not started at all.
"""

from __future__ import annotations

import time

from ingestor.connectors.base import Document
from ingestor.engine.workers import (
    INLINE_SHARE,
    SAMPLE_PAGES,
    SAMPLE_SECONDS,
    ConversionPool,
    workers_pay,
)


def pages(count: int) -> list[Document]:
    return [
        Document(
            external_id=f"p{i}.md", body=f"# Page {i}\n\nSome text {i}.\n", body_format="markdown"
        )
        for i in range(count)
    ]


def test_workers_pay_when_the_process_keeps_most_of_a_core_busy() -> None:
    assert workers_pay(0.1, limited=False)  # no limit known: as fast as can be
    assert workers_pay(0.95, limited=True)  # 20 KB Markdown pages at Intercom's limit
    assert not workers_pay(0.4, limited=True)  # a 1 % change of small pages: mostly waiting
    assert not workers_pay(INLINE_SHARE, limited=True)  # exactly the share is still inline


def test_pages_converted_at_a_slow_pace_under_a_limit_stay_inline() -> None:
    with ConversionPool(expected_pages=200, workers=2, ceiling=lambda: 10.0) as pool:
        converted = []
        for doc in pages(3 * SAMPLE_PAGES):
            converted.append(pool.convert(doc))
            time.sleep(SAMPLE_SECONDS / SAMPLE_PAGES)  # waiting on uploads: an idle process
        assert not pool.parallel
    assert [page.title for page in converted[:2]] == ["Page 0", "Page 1"]


def test_workers_start_after_a_sample_when_no_limit_is_known() -> None:
    with ConversionPool(expected_pages=200, workers=2, ceiling=lambda: None) as pool:
        for doc in pages(SAMPLE_PAGES):
            pool.convert(doc)
        time.sleep(SAMPLE_SECONDS)
        assert not pool.parallel  # still sampling
        pool.convert(pages(1)[0])
        assert pool.parallel
        assert pool.convert(pages(1)[0]).title == "Page 0"  # converted by a worker


def test_without_a_ceiling_workers_start_at_once_and_never_for_few_pages() -> None:
    with ConversionPool(expected_pages=200, workers=2) as pool:
        assert pool.parallel
    with ConversionPool(expected_pages=10, workers=2, ceiling=lambda: None) as pool:
        for doc in pages(2 * SAMPLE_PAGES):
            pool.convert(doc)
        assert not pool.parallel
