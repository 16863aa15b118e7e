"""Lists: shape, page/per_page, walking ``pages.next``, and staying exact while rows change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ingestor.emulator import EmulatorServer

PAGES = "/ai/external_pages"


def _walk(api: httpx.Client, first: str) -> list[dict[str, Any]]:
    """Follow ``pages.next`` from ``first``; return every listing seen."""
    listings = [api.get(first).json()]
    while (next_url := listings[-1]["pages"]["next"]) is not None:
        assert len(listings) < 100, "pagination does not end"
        listings.append(api.get(next_url).json())
    return listings


@pytest.fixture
def source_with_120_pages(
    api: httpx.Client, new_source: Callable[..., int], page_body: Callable[..., dict[str, Any]]
) -> tuple[int, list[str]]:
    source_id = new_source()
    ids = [api.post(PAGES, json=page_body(source_id, f"p{n:03}")).json()["id"] for n in range(120)]
    return source_id, ids


def test_walking_next_returns_120_pages_once_in_id_order(
    api: httpx.Client, emulator: EmulatorServer, source_with_120_pages: tuple[int, list[str]]
) -> None:
    _, ids = source_with_120_pages

    listings = _walk(api, PAGES)

    assert [len(listing["data"]) for listing in listings] == [50, 50, 20]
    assert [page["id"] for listing in listings for page in listing["data"]] == ids
    assert [listing["pages"]["page"] for listing in listings] == [1, 2, 3]
    assert {listing["total_count"] for listing in listings} == {120}
    assert {listing["pages"]["total_pages"] for listing in listings} == {3}
    for listing in listings[:-1]:
        assert listing["pages"]["next"].startswith(emulator.url + PAGES + "?")


def test_per_page_and_page_parameters(
    api: httpx.Client, source_with_120_pages: tuple[int, list[str]]
) -> None:
    _, ids = source_with_120_pages

    second = api.get(PAGES, params={"page": 2, "per_page": 30}).json()
    beyond = api.get(PAGES, params={"page": 9, "per_page": 30}).json()
    walked = _walk(api, f"{PAGES}?per_page=7")

    assert [page["id"] for page in second["data"]] == ids[30:60]
    assert second["pages"] == {
        "type": "pages",
        "page": 2,
        "per_page": 30,
        "total_pages": 4,
        "next": second["pages"]["next"],
    }
    assert beyond["data"] == [] and beyond["pages"]["next"] is None
    assert len(walked) == 18
    assert [page["id"] for listing in walked for page in listing["data"]] == ids


def test_walk_stays_exact_while_pages_are_created_and_deleted(
    api: httpx.Client,
    source_with_120_pages: tuple[int, list[str]],
    page_body: Callable[..., dict[str, Any]],
) -> None:
    source_id, ids = source_with_120_pages
    seen: list[str] = []
    listing = api.get(PAGES).json()
    deleted: set[str] = set()
    while True:
        seen.extend(page["id"] for page in listing["data"])
        if listing["pages"]["next"] is None:
            break
        # Between calls: delete two pages already seen and one not yet seen, add one.
        for page_id in (seen[0], seen[1], ids[len(seen) + 10]):
            if page_id not in deleted:
                assert api.delete(f"{PAGES}/{page_id}").status_code == 200
                deleted.add(page_id)
        api.post(PAGES, json=page_body(source_id, f"new-{len(seen)}"))
        listing = api.get(listing["pages"]["next"]).json()

    survivors = [page_id for page_id in ids if page_id not in deleted or page_id in seen]
    assert len(seen) == len(set(seen)), "a page was listed twice"
    assert [page_id for page_id in seen if page_id in ids] == survivors
    assert len(seen) > len(survivors), "pages created during the walk are listed at its end"


def test_source_lists_paginate_too(api: httpx.Client, new_source: Callable[..., int]) -> None:
    ids = [new_source(f"https://kb{n}.example.com/") for n in range(5)]

    listings = _walk(api, "/ai/content_import_sources?per_page=2")

    assert [source["id"] for listing in listings for source in listing["data"]] == ids


def test_an_empty_list(api: httpx.Client) -> None:
    listing = api.get(PAGES).json()

    assert listing == {
        "type": "list",
        "data": [],
        "total_count": 0,
        "pages": {"type": "pages", "page": 1, "per_page": 50, "total_pages": 0, "next": None},
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page", "0"),
        ("page", "x"),
        ("per_page", "0"),
        ("per_page", "151"),
        ("starting_after", "-3"),
    ],
)
def test_bad_paging_parameters_are_400(api: httpx.Client, name: str, value: str) -> None:
    response = api.get(PAGES, params={name: value})

    assert response.status_code == 400
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [
        ("parameter_invalid", name)
    ]
