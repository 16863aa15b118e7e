"""External Pages over real HTTP: upsert rules, flag defaults, PUT, GET, DELETE, last_synced_at."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ingestor.emulator import EmulatorServer

PAGES = "/ai/external_pages"
PageBody = Callable[..., dict[str, Any]]


def _wait_for_next_second() -> None:
    """Timestamps are whole seconds: step into the next one so a change of them shows."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.02)


def test_upsert_creates_a_page_with_flags_false_by_default(
    api: httpx.Client, new_source: Callable[..., int], page_body: PageBody
) -> None:
    source_id = new_source()

    response = api.post(PAGES, json=page_body(source_id, "intro", title="Intro"))

    assert response.status_code == 200
    page = response.json()
    assert isinstance(page["id"], str) and page["id"].isdigit()
    assert (page["title"], page["source_id"], page["external_id"]) == ("Intro", source_id, "intro")
    assert page["url"] == "https://kb.example.com/intro"
    assert page["locale"] == "en"
    assert page["ai_agent_availability"] is False
    assert page["ai_copilot_availability"] is False
    assert page["created_at"] == page["updated_at"] == page["last_ingested_at"]


def test_upsert_of_an_existing_pair_updates_the_same_page(
    api: httpx.Client, emulator: EmulatorServer, new_source: Callable[..., int], page_body: PageBody
) -> None:
    source_id = new_source()
    created = api.post(PAGES, json=page_body(source_id, "intro")).json()
    _wait_for_next_second()

    response = api.post(PAGES, json=page_body(source_id, "intro", title="New", html="<p>2</p>"))

    assert response.status_code == 200
    updated = response.json()
    assert updated["id"] == created["id"]
    assert (updated["title"], updated["html"]) == ("New", "<p>2</p>")
    assert updated["created_at"] == created["created_at"]
    assert updated["updated_at"] > created["updated_at"]
    assert updated["last_ingested_at"] == updated["updated_at"]
    assert len(emulator.pages()) == 1


def test_same_external_id_in_two_sources_makes_two_pages(
    api: httpx.Client, new_source: Callable[..., int], page_body: PageBody
) -> None:
    first, second = new_source(), new_source()

    a = api.post(PAGES, json=page_body(first, "same")).json()
    b = api.post(PAGES, json=page_body(second, "same")).json()

    assert a["id"] != b["id"]


def test_flags_stay_unchanged_on_update_when_omitted(
    api: httpx.Client, new_source: Callable[..., int], page_body: PageBody
) -> None:
    source_id = new_source()
    flags = {"ai_agent_availability": True, "ai_copilot_availability": True}
    api.post(PAGES, json=page_body(source_id, "p", **flags))

    updated = api.post(PAGES, json=page_body(source_id, "p", title="again")).json()
    assert (updated["ai_agent_availability"], updated["ai_copilot_availability"]) == (True, True)

    partly = api.post(PAGES, json=page_body(source_id, "p", ai_copilot_availability=False)).json()
    assert (partly["ai_agent_availability"], partly["ai_copilot_availability"]) == (True, False)


def test_url_is_optional_and_kept_on_update_when_omitted(
    api: httpx.Client, new_source: Callable[..., int], page_body: PageBody
) -> None:
    source_id = new_source()
    body = page_body(source_id, "nourl")
    del body["url"]

    created = api.post(PAGES, json=body).json()
    assert "url" not in created

    api.post(PAGES, json=page_body(source_id, "nourl", url="https://kb.example.com/x"))
    kept = api.post(PAGES, json=body).json()
    assert kept["url"] == "https://kb.example.com/x"


def test_get_returns_the_page(
    api: httpx.Client, new_source: Callable[..., int], page_body: PageBody
) -> None:
    created = api.post(PAGES, json=page_body(new_source(), "g")).json()

    response = api.get(f"{PAGES}/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


def test_delete_answers_200_with_the_deleted_page(
    api: httpx.Client, new_source: Callable[..., int], page_body: PageBody
) -> None:
    created = api.post(PAGES, json=page_body(new_source(), "d")).json()

    response = api.delete(f"{PAGES}/{created['id']}")

    assert response.status_code == 200
    assert response.json()["id"] == created["id"]
    assert response.json()["external_id"] == "d"
    assert api.get(f"{PAGES}/{created['id']}").status_code == 404
    assert api.delete(f"{PAGES}/{created['id']}").status_code == 404


def test_put_requires_url_and_applies_fin_availability(
    api: httpx.Client, new_source: Callable[..., int], page_body: PageBody
) -> None:
    source_id = new_source()
    created = api.post(PAGES, json=page_body(source_id, "put")).json()
    body = page_body(source_id, "put", title="Put title", fin_availability=True)
    del body["url"]

    missing_url = api.put(f"{PAGES}/{created['id']}", json=body)
    assert missing_url.status_code == 400
    assert missing_url.json()["errors"] == [
        {"code": "parameter_not_found", "message": "'url' is a required parameter", "field": "url"}
    ]

    body["url"] = "https://kb.example.com/moved"
    response = api.put(f"{PAGES}/{created['id']}", json=body)
    assert response.status_code == 200
    page = response.json()
    assert (page["id"], page["title"], page["url"]) == (
        created["id"], "Put title", "https://kb.example.com/moved",
    )  # fmt: skip
    assert page["fin_availability"] is True
    assert page["ai_agent_availability"] is True
    assert page["ai_copilot_availability"] is False

    body["fin_availability"] = False
    assert api.put(f"{PAGES}/{created['id']}", json=body).json()["ai_agent_availability"] is False


def test_put_cannot_move_a_page_to_another_source_or_external_id(
    api: httpx.Client, new_source: Callable[..., int], page_body: PageBody
) -> None:
    first, second = new_source(), new_source()
    created = api.post(PAGES, json=page_body(first, "fixed")).json()

    moved = api.put(f"{PAGES}/{created['id']}", json=page_body(second, "fixed"))
    renamed = api.put(f"{PAGES}/{created['id']}", json=page_body(first, "other"))

    assert (moved.status_code, moved.json()["errors"][0]["field"]) == (400, "source_id")
    assert (renamed.status_code, renamed.json()["errors"][0]["field"]) == (400, "external_id")


def test_page_changes_move_the_sources_last_synced_at(
    api: httpx.Client, new_source: Callable[..., int], page_body: PageBody
) -> None:
    source_id = new_source()
    created_at = api.get(f"/ai/content_import_sources/{source_id}").json()["last_synced_at"]
    _wait_for_next_second()

    page = api.post(PAGES, json=page_body(source_id, "s")).json()
    after_create = api.get(f"/ai/content_import_sources/{source_id}").json()
    assert after_create["last_synced_at"] == page["updated_at"] > created_at
    assert after_create["updated_at"] == created_at  # page changes do not update the source

    _wait_for_next_second()
    api.delete(f"{PAGES}/{page['id']}")
    after_delete = api.get(f"/ai/content_import_sources/{source_id}").json()
    assert after_delete["last_synced_at"] > after_create["last_synced_at"]
