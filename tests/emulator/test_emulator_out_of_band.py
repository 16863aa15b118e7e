"""Changes made in Intercom behind the client's back, through the admin API: a source deleted
(with its pages, as Intercom does), pages deleted or edited by a person, and sources made in
Intercom's UI (website sync, deactivated) that the API must not write to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ingestor.emulator import EmulatorServer

NewSource = Callable[..., int]
PageBody = Callable[..., dict[str, Any]]
PAGES, SOURCES = "/ai/external_pages", "/ai/content_import_sources"


def _pages(api: httpx.Client, source_id: int, page_body: PageBody, count: int) -> list[str]:
    return [api.post(PAGES, json=page_body(source_id, f"p{n}")).json()["id"] for n in range(count)]


def test_deleting_a_source_out_of_band_deletes_its_pages_and_counts_no_call(
    api: httpx.Client, emulator: EmulatorServer, new_source: NewSource, page_body: PageBody
) -> None:
    doomed, kept = new_source(), new_source("https://other.example.com/")
    _pages(api, doomed, page_body, 3)
    (survivor,) = _pages(api, kept, page_body, 1)
    calls = emulator.stats()["total"]

    deleted_pages = emulator.delete_source(doomed)

    assert deleted_pages == 3
    assert api.get(f"{SOURCES}/{doomed}").status_code == 404
    assert [page["id"] for page in api.get(PAGES).json()["data"]] == [survivor]
    assert api.post(PAGES, json=page_body(doomed, "p0")).status_code == 404
    assert emulator.stats()["total"] == calls + 3  # the admin call itself is not counted
    with pytest.raises(LookupError):
        emulator.delete_source(doomed)


def test_deleting_pages_out_of_band(
    api: httpx.Client, emulator: EmulatorServer, new_source: NewSource, page_body: PageBody
) -> None:
    source_id = new_source()
    ids = _pages(api, source_id, page_body, 3)

    removed = emulator.delete_page(ids[1])

    assert removed["id"] == ids[1] and removed["external_id"] == "p1"
    assert api.get(f"{PAGES}/{ids[1]}").status_code == 404
    assert [page["id"] for page in api.get(PAGES).json()["data"]] == [ids[0], ids[2]]
    with pytest.raises(LookupError):
        emulator.delete_page(ids[1])
    recreated = api.post(PAGES, json=page_body(source_id, "p1")).json()
    assert recreated["id"] not in ids  # a fresh page, not the deleted one


def test_editing_a_page_as_a_person_would(
    api: httpx.Client, emulator: EmulatorServer, new_source: NewSource, page_body: PageBody
) -> None:
    source_id = new_source()
    flags = {"ai_agent_availability": True, "ai_copilot_availability": True}
    page = api.post(PAGES, json=page_body(source_id, "a", **flags)).json()

    edited = emulator.edit_page(
        page["id"], title="Edited by hand", html="<p>typed in the UI</p>", url=None,
        ai_agent_availability=False,
    )  # fmt: skip
    seen = api.get(f"{PAGES}/{page['id']}").json()

    assert seen == edited
    assert (seen["title"], seen["html"], "url" in seen) == (
        "Edited by hand", "<p>typed in the UI</p>", False,
    )  # fmt: skip
    assert (seen["ai_agent_availability"], seen["ai_copilot_availability"]) == (False, True)
    assert seen["fin_availability"] is False
    assert seen["last_ingested_at"] == page["last_ingested_at"]
    assert seen["updated_at"] >= page["updated_at"]
    assert api.get(f"{SOURCES}/{source_id}").json()["last_synced_at"] >= page["created_at"]

    emulator.edit_page(page["id"], url="https://kb.example.com/moved")
    assert api.get(f"{PAGES}/{page['id']}").json()["url"] == "https://kb.example.com/moved"
    restored = api.post(PAGES, json=page_body(source_id, "a", **flags)).json()
    assert (restored["id"], restored["title"], restored["ai_agent_availability"]) == (
        page["id"], "Page a", True,
    )  # fmt: skip


@pytest.mark.parametrize(
    "fields",
    [
        {"external_id": "b"},
        {"source_id": 9},
        {"title": 3},
        {"url": 5},
        {"ai_agent_availability": 1},
    ],
)
def test_page_edits_are_limited_to_what_a_person_can_change(
    api: httpx.Client,
    emulator: EmulatorServer,
    new_source: NewSource,
    page_body: PageBody,
    fields: dict[str, Any],
) -> None:
    page = api.post(PAGES, json=page_body(new_source(), "a")).json()

    with pytest.raises(ValueError, match=next(iter(fields))):
        emulator.edit_page(page["id"], **fields)

    assert api.get(f"{PAGES}/{page['id']}").json() == page
    with pytest.raises(LookupError):
        emulator.edit_page("999999", title="x")


@pytest.mark.parametrize(
    ("sync_behavior", "status"),
    [("automatic", "active"), ("manual", "active"), ("api", "deactivated")],
)
def test_sources_made_in_the_ui_are_listed_with_their_kind_and_status(
    api: httpx.Client, emulator: EmulatorServer, sync_behavior: str, status: str
) -> None:
    made = emulator.add_source(
        "https://help.example.com/", sync_behavior=sync_behavior, status=status
    )

    listed = api.get(SOURCES).json()["data"]  # checked against the spec's schema

    assert listed == [made]
    assert (made["sync_behavior"], made["status"]) == (sync_behavior, status)
    assert api.get(f"{SOURCES}/{made['id']}").json() == made


@pytest.mark.parametrize("sync_behavior", ["automatic", "manual"])
def test_the_api_cannot_write_to_a_website_sync_source(
    api: httpx.Client, emulator: EmulatorServer, page_body: PageBody, sync_behavior: str
) -> None:
    website = emulator.add_source("https://help.example.com/", sync_behavior=sync_behavior)
    source_id = website["id"]

    upsert = api.post(PAGES, json=page_body(source_id, "a"))
    put = api.put(
        f"{SOURCES}/{source_id}", json={"sync_behavior": "api", "url": "https://x.example.com/"}
    )

    for response in (upsert, put):
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "parameter_invalid"
    assert upsert.json()["errors"][0]["field"] == "source_id"
    assert emulator.pages() == [] and emulator.sources() == [website]


def test_bad_ui_sources_are_refused(emulator: EmulatorServer) -> None:
    for kwargs in (
        {"url": "ftp://x.example.com/"},
        {"url": "https://x.example.com/", "sync_behavior": "automated"},
        {"url": "https://x.example.com/", "status": "paused"},
    ):
        with pytest.raises(ValueError):
            emulator.add_source(**kwargs)
    assert emulator.sources() == []
