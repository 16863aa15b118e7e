"""Conversion workers start only when they pay (issue 16 point 3): real pools, real pages.

Each worker is a Python process of ~31 MB; when the rate limit, not conversion, bounds a run
(a 1 % change of small pages at Intercom's limit) they are not started at all.
"""

from __future__ import annotations

from ingestor.connectors.base import Document
from ingestor.engine.workers import (
    INLINE_SHARE,
    SAMPLE_PAGES,
    WORKER_SHARE,
    ConversionPool,
    workers_needed,
    workers_pay,
)


def pages(count: int) -> list[Document]:
    return [
        Document(
            external_id=f"p{i}.md", body=f"# Page {i}\n\nSome text {i}.\n", body_format="markdown"
        )
        for i in range(count)
    ]


def test_workers_pay_when_conversion_at_the_ceiling_takes_over_the_share() -> None:
    assert workers_pay(0.010, None)  # no limit known: as fast as can be
    assert workers_pay(0.0016, 166.6)  # 20 KB Markdown pages at Intercom's limit: 0.26 core
    assert not workers_pay(0.0005, 166.6)  # 3 KB pages: 0.08 core
    assert not workers_pay(INLINE_SHARE / 100, 100)  # exactly the share is still inline


def test_small_pages_at_a_low_ceiling_convert_inline_without_workers() -> None:
    with ConversionPool(expected_pages=200, workers=2, ceiling=lambda: 10.0) as pool:
        converted = [pool.convert(doc) for doc in pages(3 * SAMPLE_PAGES)]
        assert not pool.parallel
    assert [page.title for page in converted[:2]] == ["Page 0", "Page 1"]


def test_workers_start_after_a_sample_when_no_limit_is_known() -> None:
    with ConversionPool(expected_pages=200, workers=2, ceiling=lambda: None) as pool:
        for doc in pages(SAMPLE_PAGES - 1):
            pool.convert(doc)
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


def test_only_as_many_workers_start_as_the_ceiling_needs() -> None:
    assert workers_needed(0.0016, 166.6, cores=2) == 1  # 20 KB pages at Intercom's limit
    assert workers_needed(0.006, 166.6, cores=2) == 2  # heavy pages: a core is not enough
    assert workers_needed(0.006, 166.6, cores=8) == 2
    assert workers_needed(WORKER_SHARE / 100, 100, cores=4) == 1  # exactly one worker's share
    assert workers_needed(1.0, 166.6, cores=4) == 4  # never more than the cores
    assert workers_needed(0.0016, None, cores=3) == 3  # no limit known: every core
    with ConversionPool(expected_pages=200, workers=2, ceiling=lambda: 1e9) as pool:
        for doc in pages(SAMPLE_PAGES):
            pool.convert(doc)
        assert pool.parallel and pool.workers == 2  # a ceiling no conversion reaches
