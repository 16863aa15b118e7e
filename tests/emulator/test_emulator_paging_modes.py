"""Opt-in paging modes: cursors, newest first, offsets that repeat rows when the list changes,
simulated inserts, and the deep-paging cap."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.emulator.paging import decode_cursor, encode_cursor
from ingestor.emulator.sqlite_store import SqliteStore

ClientFactory = Callable[..., httpx.Client]
StartEmulator = Callable[[EmulatorSettings], EmulatorServer]
PageBody = Callable[..., dict[str, Any]]
PAGES, SOURCES = "/ai/external_pages", "/ai/content_import_sources"


def _fill(api: httpx.Client, page_body: PageBody, count: int) -> list[str]:
    response = api.post(SOURCES, json={"sync_behavior": "api", "url": "https://kb.example.com/"})
    source_id = response.json()["id"]
    return [api.post(PAGES, json=page_body(source_id, f"p{n}")).json()["id"] for n in range(count)]


def _cursor_walk(api: httpx.Client, path: str, per_page: int) -> list[dict[str, Any]]:
    listings = [api.get(path, params={"per_page": per_page}).json()]
    while "next" in listings[-1]["pages"]:
        assert len(listings) < 100, "pagination does not end"
        cursor = listings[-1]["pages"]["next"]["starting_after"]
        listings.append(
            api.get(path, params={"per_page": per_page, "starting_after": cursor}).json()
        )
    return listings


def test_cursor_pagination_gives_next_as_an_object_with_an_opaque_cursor(
    emulator: EmulatorServer, client_for: ClientFactory, page_body: PageBody
) -> None:
    api = client_for(emulator)
    ids = _fill(api, page_body, 7)
    emulator.configure(pagination="cursor")
    raw = httpx.Client(base_url=emulator.url, headers=dict(api.headers), trust_env=False)

    listings = _cursor_walk(raw, PAGES, 3)

    first = listings[0]["pages"]
    assert first["next"] == {"page": 2, "per_page": 3, "starting_after": encode_cursor(int(ids[2]))}
    assert "=" in first["next"]["starting_after"] or not first["next"]["starting_after"].isdigit()
    assert [listing["pages"]["page"] for listing in listings] == [1, 1, 1]  # page was not sent
    assert "next" not in listings[-1]["pages"]  # absent on the last page, as 2.14's examples
    assert [page["id"] for listing in listings for page in listing["data"]] == ids
    assert {listing["total_count"] for listing in listings} == {7}


@pytest.mark.parametrize("cursor", ["12", "not base64!", encode_cursor(0), "W10="])
def test_a_cursor_the_list_did_not_give_is_400(
    emulator: EmulatorServer, client_for: ClientFactory, cursor: str
) -> None:
    emulator.configure(pagination="cursor")

    response = client_for(emulator).get(PAGES, params={"starting_after": cursor})

    assert response.status_code == 400
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [
        ("parameter_invalid", "starting_after")
    ]


def test_cursors_round_trip() -> None:
    assert decode_cursor(encode_cursor(12345)) == 12345
    assert decode_cursor("WzEsMl0=") is None  # [1,2]: not one of ours


@pytest.mark.parametrize("pagination", ["pages", "offset", "cursor"])
def test_newest_first_lists_every_row_once_in_descending_order(
    emulator: EmulatorServer, client_for: ClientFactory, page_body: PageBody, pagination: str
) -> None:
    api = client_for(emulator)
    ids = _fill(api, page_body, 8)
    emulator.configure(list_order="newest_first", pagination=pagination)
    raw = httpx.Client(base_url=emulator.url, headers=dict(api.headers), trust_env=False)

    if pagination == "cursor":
        listings = _cursor_walk(raw, PAGES, 3)
    else:
        listings = [raw.get(PAGES, params={"per_page": 3}).json()]
        while listings[-1]["pages"]["next"]:
            listings.append(raw.get(listings[-1]["pages"]["next"]).json())

    assert [page["id"] for listing in listings for page in listing["data"]] == ids[::-1]
    sources = raw.get(SOURCES).json()["data"]
    assert len(sources) == 1


def test_newest_first_stays_valid_against_the_spec_in_page_mode(
    emulator: EmulatorServer, client_for: ClientFactory, page_body: PageBody
) -> None:
    api = client_for(emulator)  # every answer checked against the OpenAPI subset
    ids = _fill(api, page_body, 5)
    emulator.configure(list_order="newest_first")

    first = api.get(PAGES, params={"per_page": 2}).json()
    second = api.get(first["pages"]["next"]).json()

    assert [page["id"] for page in first["data"] + second["data"]] == ids[::-1][:4]


def test_offset_pages_repeat_a_row_when_one_is_inserted_between_fetches(
    emulator: EmulatorServer, client_for: ClientFactory, page_body: PageBody
) -> None:
    api = client_for(emulator)
    ids = _fill(api, page_body, 6)
    source_id = emulator.sources()[0]["id"]
    emulator.configure(list_order="newest_first", pagination="offset")

    first = api.get(PAGES, params={"per_page": 3}).json()
    new = api.post(PAGES, json=page_body(source_id, "inserted")).json()["id"]
    second = api.get(first["pages"]["next"]).json()

    assert "starting_after" not in first["pages"]["next"]
    assert [page["id"] for page in first["data"]] == ids[::-1][:3]
    assert [page["id"] for page in second["data"]] == ids[::-1][2:5]  # ids[3] shown twice
    assert new not in [page["id"] for page in first["data"] + second["data"]]


def test_simulated_inserts_repeat_the_last_rows_of_every_previous_page(
    start_emulator: StartEmulator, client_for: ClientFactory, page_body: PageBody
) -> None:
    server = start_emulator(EmulatorSettings(pagination="offset", simulate_inserts=1, per_page=4))
    api = client_for(server)
    ids = _fill(api, page_body, 10)

    listings = [api.get(PAGES).json()]
    while listings[-1]["pages"]["next"]:
        assert len(listings) < 10
        listings.append(api.get(listings[-1]["pages"]["next"]).json())
    seen = [page["id"] for listing in listings for page in listing["data"]]

    assert seen == [*ids[0:4], *ids[3:7], *ids[6:10]]
    assert set(seen) == set(ids) and len(seen) - len(set(seen)) == 2


def test_simulated_inserts_need_offset_pagination() -> None:
    with pytest.raises(ValueError, match="simulate_inserts"):
        EmulatorSettings(simulate_inserts=1)


@pytest.mark.parametrize(
    ("page", "per_page", "code"),
    [(5002, 1, "parameter_invalid"), (101, 100, "bad_request"), (67, 150, "bad_request")],
)
def test_the_deep_paging_cap_refuses_pages_beyond_10000_results(
    emulator: EmulatorServer, client_for: ClientFactory, page: int, per_page: int, code: str
) -> None:
    api = client_for(emulator)
    allowed = api.get(PAGES, params={"page": 100, "per_page": 100})
    emulator.configure(deep_paging_cap=True)

    refused = api.get(PAGES, params={"page": page, "per_page": per_page})
    still_allowed = api.get(PAGES, params={"page": 100, "per_page": 100})
    last_small_page = api.get(PAGES, params={"page": 5001, "per_page": 1})

    assert allowed.status_code == still_allowed.status_code == last_small_page.status_code == 200
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["code"] == code
    if code == "bad_request":
        assert error["message"] == "page limit reached, please use scroll API"


def _sqlite_with_pages(path: Path, count: int) -> None:
    """An emulator database holding ``count`` pages, written in one transaction (fast)."""
    store = SqliteStore(path)
    source = store.add_source(
        url="https://kb.example.com/", status="active", sync_behavior="api", now=1
    )
    store.close()
    rows = [
        (source.id, f"p{n}", f"Page {n}", "<p>x</p>", None, 1, 1, 0, 1, 1, 1) for n in range(count)
    ]
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO pages (source_id, external_id, title, html, url, ai_agent_availability,"
            " ai_copilot_availability, ai_sales_agent_availability, created_at, updated_at,"
            " last_ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    db.close()


def test_the_cap_stops_a_walk_along_next_links_past_10000_results(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    _sqlite_with_pages(tmp_path / "intercom.db", 10_050)
    server = start_emulator(
        EmulatorSettings(db_path=tmp_path / "intercom.db", deep_paging_cap=True)
    )
    # Not the spec-checking client: validating 10,000 pages would dominate the test's time.
    api = httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {server.token}"}, trust_env=False
    )

    seen, url, refused = 0, f"{PAGES}?per_page=150", None
    while url is not None:
        response = api.get(url)
        if response.status_code != 200:
            refused = response
            break
        seen += len(response.json()["data"])
        url = response.json()["pages"]["next"]

    assert seen == 66 * 150  # pages 1..66: 9,900 results; page 67 would end at 10,050
    assert refused is not None and refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == "page limit reached, please use scroll API"
    server.configure(deep_paging_cap=False)
    assert api.get(refused.request.url).status_code == 200


def test_newest_first_from_a_sqlite_file(
    start_emulator: StartEmulator, client_for: ClientFactory, page_body: PageBody, tmp_path: Path
) -> None:
    settings = EmulatorSettings(db_path=tmp_path / "intercom.db", list_order="newest_first")
    server = start_emulator(settings)
    api = client_for(server)
    ids = _fill(api, page_body, 5)

    first = api.get(PAGES, params={"per_page": 2}).json()
    rest = api.get(first["pages"]["next"]).json()
    skipped = api.get(PAGES, params={"per_page": 2, "page": 2}).json()

    assert [page["id"] for page in first["data"]] == ids[::-1][:2]
    assert [page["id"] for page in rest["data"]] == ids[::-1][2:4]
    assert [page["id"] for page in skipped["data"]] == ids[::-1][2:4]
    assert [source["id"] for source in api.get(SOURCES).json()["data"]] == [
        server.sources()[0]["id"]
    ]


#: ``cursor_pages`` and ``starting_after_paging`` from Intercom's full 2.14 description.
CURSOR_SCHEMAS = Path(__file__).with_name("cursor_pages-2.14.yaml")


def test_cursor_mode_pages_match_intercoms_cursor_pages_schema(
    emulator: EmulatorServer, client_for: ClientFactory, page_body: PageBody
) -> None:
    components = yaml.safe_load(CURSOR_SCHEMAS.read_text(encoding="utf-8"))["components"]
    validator = OAS30Validator(
        {"$ref": "#/components/schemas/cursor_pages", "components": components}
    )
    api = client_for(emulator)
    _fill(api, page_body, 3)
    emulator.configure(pagination="cursor")
    raw = httpx.Client(base_url=emulator.url, headers=dict(api.headers), trust_env=False)

    listings = _cursor_walk(raw, PAGES, 2)

    for listing in listings:
        problems = [error.message for error in validator.iter_errors(listing["pages"])]
        assert problems == [], listing["pages"]
    assert isinstance(listings[0]["pages"]["next"]["starting_after"], str)
    page_mode = {"type": "pages", "page": 1, "per_page": 2, "next": "https://x.example.com/"}
    assert list(validator.iter_errors(page_mode)), "the schema tells the two models apart"
