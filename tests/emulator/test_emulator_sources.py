"""Content Import Sources over real HTTP: create, read, list, update, delete with cascade."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ingestor.emulator import EmulatorServer

SOURCES = "/ai/content_import_sources"


def test_create_answers_200_with_an_api_source(api: httpx.Client) -> None:
    response = api.post(SOURCES, json={"sync_behavior": "api", "url": "https://kb.example.com/"})

    assert response.status_code == 200
    source = response.json()
    assert isinstance(source["id"], int)
    assert source["type"] == "content_import_source"
    assert source["sync_behavior"] == "api"
    assert source["status"] == "active"
    assert source["url"] == "https://kb.example.com/"
    assert source["created_at"] == source["updated_at"] == source["last_synced_at"]


def test_create_keeps_a_given_status(api: httpx.Client) -> None:
    body = {"sync_behavior": "api", "url": "https://kb.example.com/", "status": "deactivated"}

    assert api.post(SOURCES, json=body).json()["status"] == "deactivated"


def test_get_and_list_return_created_sources(
    api: httpx.Client, new_source: Callable[..., int]
) -> None:
    first, second = new_source("https://a.example.com/"), new_source("https://b.example.com/")

    assert api.get(f"{SOURCES}/{first}").json()["url"] == "https://a.example.com/"
    listing = api.get(SOURCES).json()
    assert [source["id"] for source in listing["data"]] == [first, second]
    assert listing["total_count"] == 2
    assert listing["pages"] == {
        "type": "pages", "page": 1, "per_page": 50, "total_pages": 1, "next": None,
    }  # fmt: skip


def test_update_changes_url_and_status_and_bumps_updated_at(
    api: httpx.Client, new_source: Callable[..., int]
) -> None:
    source_id = new_source()
    before = api.get(f"{SOURCES}/{source_id}").json()
    body = {"sync_behavior": "api", "url": "https://new.example.com/", "status": "deactivated"}

    response = api.put(f"{SOURCES}/{source_id}", json=body)

    assert response.status_code == 200
    after = response.json()
    assert (after["id"], after["url"], after["status"]) == (
        source_id, "https://new.example.com/", "deactivated",
    )  # fmt: skip
    assert after["updated_at"] >= before["updated_at"]
    assert after["created_at"] == before["created_at"]
    assert api.get(f"{SOURCES}/{source_id}").json() == after


def test_update_must_repeat_sync_behavior_and_url(
    api: httpx.Client, new_source: Callable[..., int]
) -> None:
    source_id = new_source()

    response = api.put(f"{SOURCES}/{source_id}", json={"status": "active"})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {(e["code"], e["field"]) for e in errors} == {
        ("parameter_not_found", "sync_behavior"),
        ("parameter_not_found", "url"),
    }


def test_update_cannot_change_sync_behavior_away_from_api(
    api: httpx.Client, new_source: Callable[..., int]
) -> None:
    source_id = new_source()
    body = {"sync_behavior": "manual", "url": "https://kb.example.com/"}

    response = api.put(f"{SOURCES}/{source_id}", json=body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sync_behavior"
    assert api.get(f"{SOURCES}/{source_id}").json()["sync_behavior"] == "api"


def test_delete_answers_204_and_deletes_every_page_of_the_source(
    api: httpx.Client,
    emulator: EmulatorServer,
    new_source: Callable[..., int],
    page_body: Callable[..., dict[str, Any]],
) -> None:
    doomed, kept = new_source(), new_source()
    doomed_pages = [
        api.post("/ai/external_pages", json=page_body(doomed, f"d{n}")).json()["id"]
        for n in range(3)
    ]
    kept_page = api.post("/ai/external_pages", json=page_body(kept, "k")).json()["id"]

    response = api.delete(f"{SOURCES}/{doomed}")

    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"{SOURCES}/{doomed}").status_code == 404
    for page_id in doomed_pages:
        assert api.get(f"/ai/external_pages/{page_id}").status_code == 404
    assert [page["id"] for page in emulator.pages()] == [kept_page]
    assert api.get("/ai/external_pages").json()["total_count"] == 1
    assert api.delete(f"{SOURCES}/{doomed}").status_code == 404


def test_ids_are_not_reused_after_delete(api: httpx.Client, new_source: Callable[..., int]) -> None:
    first = new_source()
    api.delete(f"{SOURCES}/{first}")

    assert new_source() > first
