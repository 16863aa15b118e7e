"""The SQLite store: data survives a restart, ids keep growing, foreign files are refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingestor.emulator import EmulatorServer, EmulatorSettings, create_app

ClientFactory = Callable[..., httpx.Client]
StartEmulator = Callable[[EmulatorSettings], EmulatorServer]
PageBody = Callable[..., dict[str, Any]]


def test_sources_and_pages_survive_a_restart(
    tmp_path: Path, client_for: ClientFactory, page_body: PageBody
) -> None:
    settings = EmulatorSettings(db_path=tmp_path / "emulator.db")
    with EmulatorServer(settings) as first:
        api = client_for(first)
        source = api.post(
            "/ai/content_import_sources", json={"sync_behavior": "api", "url": "https://a.example/"}
        ).json()
        flags = {"ai_agent_availability": True}
        page = api.post("/ai/external_pages", json=page_body(source["id"], "kept", **flags)).json()
        gone = api.post("/ai/external_pages", json=page_body(source["id"], "gone")).json()
        api.delete(f"/ai/external_pages/{gone['id']}")

    with EmulatorServer(settings) as second:
        api = client_for(second)
        assert (
            api.get(f"/ai/content_import_sources/{source['id']}").json()
            == api.get("/ai/content_import_sources").json()["data"][0]
        )
        assert api.get(f"/ai/external_pages/{page['id']}").json() == page
        assert api.get("/ai/external_pages").json()["total_count"] == 1
        again = api.post("/ai/external_pages", json=page_body(source["id"], "kept")).json()
        assert again["id"] == page["id"]  # the upsert finds the stored pair
        assert again["ai_agent_availability"] is True
        newer = api.post("/ai/external_pages", json=page_body(source["id"], "new")).json()
        assert int(newer["id"]) > int(gone["id"])  # ids are never reused
        assert second.stats()["pages"] == 2


def test_cascade_delete_and_reset_in_sqlite(
    tmp_path: Path, start_emulator: StartEmulator, client_for: ClientFactory, page_body: PageBody
) -> None:
    server = start_emulator(EmulatorSettings(db_path=tmp_path / "emulator.db"))
    api = client_for(server)
    body = {"sync_behavior": "api", "url": "https://a.example/"}
    doomed, kept = (api.post("/ai/content_import_sources", json=body).json()["id"] for _ in "ab")
    for n in range(3):
        api.post("/ai/external_pages", json=page_body(doomed, f"d{n}"))
    api.post("/ai/external_pages", json=page_body(kept, "k"))

    assert api.delete(f"/ai/content_import_sources/{doomed}").status_code == 204
    assert [page["external_id"] for page in server.pages()] == ["k"]
    assert server.stats()["pages"] == 1

    server.reset()
    assert (server.pages(), server.sources()) == ([], [])
    assert api.get("/ai/external_pages").json()["total_count"] == 0


def test_a_database_of_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY)")
    db.close()

    with pytest.raises(RuntimeError, match=r"state\.db is not an emulator database"):
        create_app(EmulatorSettings(db_path=path))


def test_an_unreadable_database_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite" * 100)

    with pytest.raises(RuntimeError, match=r"garbage\.db"):
        create_app(EmulatorSettings(db_path=path))
