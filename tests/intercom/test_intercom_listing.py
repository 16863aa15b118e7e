"""IntercomClient lists: follow pages.next to the end, refuse loops and foreign hosts."""

from __future__ import annotations

import httpx
import pytest

from ingestor.errors import DeepPagingCapped, FatalError
from ingestor.intercom import IntercomClient

from .intercom_fakes import FakeIntercom, filler_page


def page_json(n: int, source_id: int = 1) -> dict[str, object]:
    return {
        "id": str(n),
        "type": "external_page",
        "title": f"T{n}",
        "html": "<p/>",
        "url": None,
        "ai_agent_availability": True,
        "ai_copilot_availability": True,
        "locale": "en",
        "source_id": source_id,
        "external_id": f"e{n}",
        "created_at": 1,
        "updated_at": 1,
        "last_ingested_at": 1,
    }


def listing(items: list[dict[str, object]], next_link: object) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "type": "list",
            "data": items,
            "total_count": 99,
            "pages": {
                "type": "pages",
                "page": 1,
                "per_page": 2,
                "total_pages": 9,
                "next": next_link,
            },
        },
    )


def test_follows_next_to_the_end(client: IntercomClient, fake: FakeIntercom) -> None:
    source = client.create_source("https://x.example/")
    for n in range(7):
        client.upsert_page(filler_page(source.id, f"e{n}"))
    before = len(fake.requests)
    pages = list(client.list_pages(per_page=2))
    assert sorted(p.external_id for p in pages) == [f"e{n}" for n in range(7)]
    assert len(fake.requests) - before == 4  # per_page 2: 2+2+2+1
    assert [r.url.params.get("page") for r in fake.requests[before:]] == [None, "2", "3", "4"]


def test_list_pages_asks_for_150_a_page_by_default(
    client: IntercomClient, fake: FakeIntercom
) -> None:
    list(client.list_pages())
    assert fake.requests[-1].url.params["per_page"] == "150"


def test_per_page_is_sent_when_asked(client: IntercomClient, fake: FakeIntercom) -> None:
    for n in range(3):
        client.create_source(f"https://x.example/{n}")
    assert len(list(client.list_sources(per_page=150))) == 3
    assert fake.requests[-1].url.params["per_page"] == "150"


def test_lists_are_lazy(client: IntercomClient, fake: FakeIntercom) -> None:
    iterator = client.list_sources()
    assert fake.requests == []
    assert list(iterator) == []


def test_a_next_link_back_to_a_listed_page_is_a_loop(
    client: IntercomClient, fake: FakeIntercom
) -> None:
    fake.faults.append(listing([page_json(1)], "https://intercom.test/ai/external_pages?page=2"))
    fake.faults.append(listing([page_json(2)], "https://intercom.test/ai/external_pages?page=2"))
    seen = []
    with pytest.raises(FatalError, match="pagination loop") as info:
        for page in client.list_pages():
            seen.append(page.id)
    assert info.value.code == "pagination_loop"
    assert seen == ["1", "2"]
    assert len(fake.requests) == 2


def test_pages_repeating_only_known_items_are_a_loop_after_a_bound(
    client: IntercomClient, fake: FakeIntercom, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A page of only known items may be the list changing under the walk: a few in a row are
    # accepted, more mean the server ignores the page number.
    monkeypatch.setattr("ingestor.intercom._listing.MAX_STALE_PAGES", 2)
    fake.faults.append(listing([page_json(1), page_json(2)], "/ai/external_pages?page=2"))
    for n in range(3, 6):
        fake.faults.append(listing([page_json(1), page_json(2)], f"/ai/external_pages?page={n}"))
    with pytest.raises(FatalError, match="already listed, 3 pages in a row") as info:
        list(client.list_pages())
    assert info.value.code == "pagination_loop"
    assert len(fake.requests) == 4


def test_a_few_pages_of_only_known_items_are_tolerated(
    client: IntercomClient, fake: FakeIntercom, caplog: pytest.LogCaptureFixture
) -> None:
    fake.faults.append(listing([page_json(1), page_json(2)], "/ai/external_pages?page=2"))
    fake.faults.append(listing([page_json(2), page_json(1)], "/ai/external_pages?page=3"))
    fake.faults.append(listing([page_json(1), page_json(3)], None))
    assert [p.id for p in client.list_pages()] == ["1", "2", "3"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "list external pages: 3 items appeared on more than one page (the list changed while "
        "it was walked); each of the 3 items was used once"
    ]


def test_endless_empty_pages_are_a_loop(client: IntercomClient, fake: FakeIntercom) -> None:
    for n in range(2, 6):
        fake.faults.append(listing([], f"/ai/external_pages?page={n}"))
    with pytest.raises(FatalError, match="empty pages"):
        list(client.list_pages())
    assert len(fake.requests) == 3


def test_duplicates_across_pages_are_yielded_once(
    client: IntercomClient, fake: FakeIntercom
) -> None:
    fake.faults.append(listing([page_json(1), page_json(2)], "/ai/external_pages?page=2"))
    fake.faults.append(listing([page_json(2), page_json(3)], None))
    assert [p.id for p in client.list_pages()] == ["1", "2", "3"]


def test_relative_and_cursor_next_links(client: IntercomClient, fake: FakeIntercom) -> None:
    fake.faults.append(listing([page_json(1)], "/ai/external_pages?page=2"))
    fake.faults.append(listing([page_json(2)], {"type": "pages", "starting_after": "abc=="}))
    fake.faults.append(listing([page_json(3)], None))
    assert [p.id for p in client.list_pages()] == ["1", "2", "3"]
    assert str(fake.requests[1].url) == "https://intercom.test/ai/external_pages?page=2"
    assert fake.requests[2].url.params["starting_after"] == "abc=="


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.test/ai/external_pages?page=2",
        "http://intercom.test/ai/external_pages?page=2",
        "https://intercom.test:8443/ai/external_pages?page=2",
    ],
)
def test_a_next_link_to_another_host_is_refused(
    client: IntercomClient, fake: FakeIntercom, link: str
) -> None:
    fake.faults.append(listing([page_json(1)], link))
    with pytest.raises(FatalError, match="outside") as info:
        list(client.list_pages())
    assert info.value.code == "pagination_foreign_host"
    assert len(fake.requests) == 1  # the token never went there


@pytest.mark.parametrize("bad", [{"type": "list"}, {"data": "nope"}, ["x"]])
def test_a_list_without_data_is_an_error(
    client: IntercomClient, fake: FakeIntercom, bad: object
) -> None:
    fake.faults.append(httpx.Response(200, json=bad))
    with pytest.raises(FatalError, match="'data'") as info:
        list(client.list_sources())
    assert info.value.code == "invalid_response"


def test_a_list_that_never_ends_is_cut_at_the_page_bound(
    client: IntercomClient, fake: FakeIntercom, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every page brings a new item and links on: no loop to see, so only the bound stops it.
    monkeypatch.setattr("ingestor.intercom._listing.MAX_PAGES", 3)
    for n in range(1, 6):
        fake.faults.append(listing([page_json(n)], f"/ai/external_pages?page={n + 1}"))
    seen: list[str] = []
    with pytest.raises(FatalError, match="more than 3 pages") as info:
        for page in client.list_pages():
            seen.append(page.id)
    assert info.value.code == "pagination_loop"
    assert seen == ["1", "2", "3"] and len(fake.requests) == 4


def refusal(code: str, message: str, field: str | None = None) -> httpx.Response:
    error: dict[str, str] = {"code": code, "message": message}
    if field:
        error["field"] = field
    body = {"type": "error.list", "request_id": "r1", "errors": [error]}
    return httpx.Response(400, json=body)


def test_a_page_number_over_the_cap_is_deep_paging_capped(
    client: IntercomClient, fake: FakeIntercom
) -> None:
    # The Preview reference's other answer: page above 5,001 is parameter_invalid on 'page'.
    fake.faults.append(listing([page_json(1), page_json(2)], "/ai/external_pages?page=5002"))
    fake.faults.append(refusal("parameter_invalid", "'page' must be at most 5001", "page"))
    with pytest.raises(DeepPagingCapped) as info:
        list(client.list_pages())
    assert info.value.listed == 2 and info.value.request_id == "r1"


def test_a_refused_first_page_is_not_the_cap(client: IntercomClient, fake: FakeIntercom) -> None:
    fake.faults.append(refusal("parameter_invalid", "'per_page' is too large", "per_page"))
    with pytest.raises(FatalError) as info:
        list(client.list_pages())
    assert not isinstance(info.value, DeepPagingCapped)


def test_another_400_on_a_later_page_is_not_the_cap(
    client: IntercomClient, fake: FakeIntercom
) -> None:
    fake.faults.append(listing([page_json(1)], "/ai/external_pages?page=2"))
    refused = refusal("parameter_invalid", "'starting_after' is not valid", "starting_after")
    fake.faults.append(refused)
    with pytest.raises(FatalError) as info:
        list(client.list_pages())
    assert not isinstance(info.value, DeepPagingCapped)
