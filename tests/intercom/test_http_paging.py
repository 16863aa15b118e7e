"""ingestor.http pagination rules on scripted pages: complete, or IncompleteListing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingestor.errors import ConnectorError, IncompleteListing
from ingestor.http import Page, by_offset, by_token


def offsets(items: list[int], cap: int, total: int | None = None) -> Callable[[int], Page[int]]:
    """A server that returns at most ``cap`` items from an offset."""
    return lambda start: Page(items[start : start + cap], total=total)


def test_offsets_advance_by_what_arrived_and_end_on_an_empty_page() -> None:
    asked: list[int] = []
    serve = offsets(list(range(23)), cap=5)

    def fetch(start: int) -> Page[int]:
        asked.append(start)
        return serve(start)

    assert list(by_offset(fetch, "items")) == list(range(23))
    assert asked == [0, 5, 10, 15, 20, 23]


def test_a_server_that_ignores_the_offset_is_incomplete() -> None:
    walk = by_offset(lambda _start: Page([1, 2, 3]), "items", key=lambda i: i)
    assert [next(walk), next(walk), next(walk)] == [1, 2, 3]
    with pytest.raises(IncompleteListing, match="repeated only items already listed"):
        next(walk)


def test_fewer_items_than_the_reported_total_is_incomplete() -> None:
    with pytest.raises(IncompleteListing, match="after 10 of the 12 items"):
        list(by_offset(offsets(list(range(10)), cap=4, total=12), "items"))
    assert len(list(by_offset(offsets(list(range(10)), cap=4, total=10), "items"))) == 10


def test_more_pages_than_the_bound_is_incomplete() -> None:
    with pytest.raises(IncompleteListing, match="more than 3 pages"):
        list(by_offset(offsets(list(range(10)), cap=2), "items", max_pages=3))


def test_tokens_follow_to_the_end_and_refuse_loops() -> None:
    pages = {None: Page([1], "a"), "a": Page([2], "b"), "b": Page([3], None)}
    assert list(by_token(pages.__getitem__, "items")) == [1, 2, 3]
    pages["b"] = Page([3], "a")
    with pytest.raises(IncompleteListing, match="pagination loop"):
        list(by_token(pages.__getitem__, "items"))


def test_empty_pages_that_keep_linking_are_incomplete() -> None:
    def fetch(token: str | None) -> Page[int]:
        n = int(token or 0)
        return Page([] if n else [0], str(n + 1))

    with pytest.raises(IncompleteListing, match="3 empty pages in a row"):
        list(by_token(fetch, "items"))


def test_incomplete_listing_is_a_connector_error() -> None:
    assert issubclass(IncompleteListing, ConnectorError)  # the engine then deletes nothing
