"""The engine with an Incremental connector: cursors, changes, deletions, fallbacks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import text

from ingestor.connectors.base import (
    Changes,
    Connector,
    ConnectorError,
    ConnectorSettings,
    Document,
    Incremental,
    Item,
    ListingProblem,
)
from ingestor.emulator import EmulatorServer
from ingestor.engine.report import SyncReport
from ingestor.engine.sync import PagePolicy, SyncEngine, SyncOptions
from ingestor.intercom import IntercomClient
from ingestor.state import Store
from ingestor.state._engine import StateLocation, create_state_engine
from ingestor.state._tables import to_db_time


class FakeWikiSettings(ConnectorSettings):
    type: Literal["fakewiki"] = "fakewiki"


class FakeWiki(Connector[FakeWikiSettings], Incremental):
    """An in-memory wiki with a revision clock, the way MediaWiki's recentchanges works."""

    kind = "fakewiki"
    Settings = FakeWikiSettings

    def __init__(self) -> None:
        super().__init__(FakeWikiSettings(name="wiki", url="https://wiki.example.com/"))
        self.clock = 0
        self.pages: dict[str, tuple[int, str]] = {}  # id -> (revision, text)
        self.log: list[tuple[int, str, str]] = []  # (time, "edit"|"delete", id)
        self.oldest_change = 0
        self.full_listings = 0
        self.fail_changes = False

    def edit(self, page_id: str, text: str) -> None:
        self.clock += 1
        self.pages[page_id] = (self.clock, text)
        self.log.append((self.clock, "edit", page_id))

    def delete(self, page_id: str) -> None:
        self.clock += 1
        del self.pages[page_id]
        self.log.append((self.clock, "delete", page_id))

    def list(self) -> Iterator[Item | ListingProblem]:
        self.full_listings += 1
        for page_id, (revision, _) in sorted(self.pages.items()):
            yield Item(page_id, str(revision))

    def fetch(self, item: Item) -> Document:
        _revision, text = self.pages[item.external_id]
        if text == "BROKEN":
            raise ConnectorError(f"{item.external_id}: cannot render")
        return Document(item.external_id, f"<h1>{item.external_id}</h1><p>{text}</p>", "html")

    def start_cursor(self) -> str:
        return str(self.clock)

    def list_changes(self, cursor: str) -> Changes | None:
        if self.fail_changes:
            raise ConnectorError("wiki answered 500")
        since = int(cursor)
        if since < self.oldest_change:
            return None
        touched = {pid for t, _, pid in self.log if t > since}
        changed = [
            Item(pid, str(self.pages[pid][0])) for pid in sorted(touched) if pid in self.pages
        ]
        deleted = sorted(pid for pid in touched if pid not in self.pages)
        return Changes(changed=changed, deleted=deleted, cursor=str(self.clock))


@pytest.fixture
def wiki() -> FakeWiki:
    w = FakeWiki()
    for i in range(10):
        w.edit(f"p{i}", f"text {i}")
    return w


#: These tests are about what an incremental listing reports gone: deleted at once shows it
#: in one run (test_hidden_pages_of_an_incremental_source_expire covers deletion: hide).
DELETE = PagePolicy(deletion="delete")


def sync(
    server: EmulatorServer,
    state: Path | str,
    wiki: FakeWiki,
    policy: PagePolicy = DELETE,
    **options: bool,
) -> SyncReport:
    with (
        Store.open(state) as store,
        IntercomClient(server.token, base_url=server.url) as client,
    ):
        return SyncEngine(client, store).sync(wiki, policy, SyncOptions(**options))


def cursor(state: Path | str) -> str | None:
    with Store.open(state, read_only=True) as store:
        return store.get_cursor("wiki")


def test_first_run_lists_in_full_then_only_changes_are_read(
    emulator: EmulatorServer, state_location: Path | str, wiki: FakeWiki
) -> None:
    state = state_location
    report = sync(emulator, state, wiki)
    assert (report.created, report.status, wiki.full_listings) == (10, "ok", 1)
    assert cursor(state) == "10"

    before = emulator.stats()
    report = sync(emulator, state, wiki)
    assert (report.unchanged, wiki.full_listings) == (10, 1)
    assert emulator.stats()["total"] == before["total"] + 1  # the run's check of the source

    wiki.edit("p3", "new text")
    wiki.delete("p7")
    report = sync(emulator, state, wiki)
    assert (report.updated, report.deleted, report.unchanged) == (1, 1, 8)
    assert wiki.full_listings == 1
    assert cursor(state) == "12"
    pages = {p["external_id"]: p for p in emulator.pages()}
    assert "p7" not in pages and "new text" in pages["p3"]["html"]


def test_a_too_old_cursor_falls_back_to_a_full_listing(
    emulator: EmulatorServer, state_location: Path | str, wiki: FakeWiki
) -> None:
    state = state_location
    sync(emulator, state, wiki)
    wiki.delete("p0")
    wiki.oldest_change = 11  # the wiki forgot its older changes
    wiki.edit("p1", "edited")
    report = sync(emulator, state, wiki)
    assert wiki.full_listings == 2
    assert (report.updated, report.deleted) == (1, 1)


def test_a_failing_change_listing_deletes_nothing_and_keeps_the_cursor(
    emulator: EmulatorServer, state_location: Path | str, wiki: FakeWiki
) -> None:
    state = state_location
    sync(emulator, state, wiki)
    wiki.delete("p2")
    wiki.fail_changes = True
    report = sync(emulator, state, wiki)
    assert (report.deleted, report.listing_complete) == (0, False)
    assert cursor(state) == "10"
    wiki.fail_changes = False
    report = sync(emulator, state, wiki)
    assert report.deleted == 1 and cursor(state) == "11"


def test_a_failed_page_keeps_the_cursor_until_it_syncs(
    emulator: EmulatorServer, state_location: Path | str, wiki: FakeWiki
) -> None:
    state = state_location
    sync(emulator, state, wiki)
    wiki.edit("p4", "BROKEN")
    wiki.edit("p5", "fine")
    report = sync(emulator, state, wiki)
    assert (report.failed, report.updated) == (1, 1)
    assert cursor(state) == "10"  # not advanced: p4 must come back
    wiki.edit("p4", "repaired")
    report = sync(emulator, state, wiki)
    assert (report.failed, report.updated) == (0, 1)  # p5 is version-gated, p4 re-sent
    assert cursor(state) == "13"


def test_full_ignores_the_cursor(
    emulator: EmulatorServer, state_location: Path | str, wiki: FakeWiki
) -> None:
    state = state_location
    sync(emulator, state, wiki)
    report = sync(emulator, state, wiki, full=True)
    assert (wiki.full_listings, report.updated) == (2, 10)


def test_hidden_pages_of_an_incremental_source_expire_and_come_back(
    emulator: EmulatorServer, state_location: Path | str, wiki: FakeWiki
) -> None:
    """A change listing reports a page gone once: the hidden page must expire all the same."""
    state = state_location
    hide = PagePolicy(deletion="hide", hide_for=timedelta(days=1))
    sync(emulator, state, wiki, hide)
    ids = {p["external_id"]: p["id"] for p in emulator.pages()}
    wiki.delete("p7")
    wiki.delete("p8")
    report = sync(emulator, state, wiki, hide)
    assert (report.hidden, report.deleted, cursor(state)) == (2, 0, "12")
    pages = {p["external_id"]: p for p in emulator.pages()}
    assert not pages["p7"]["ai_agent_availability"] and not pages["p8"]["ai_copilot_availability"]

    report = sync(emulator, state, wiki, hide)  # no change listed, both within hide_for
    assert (report.hidden, report.deleted) == (0, 0)

    wiki.edit("p8", "back again")
    engine = create_state_engine(StateLocation.of(state))
    with engine.begin() as conn:  # hidden two days ago, as far as state knows
        conn.execute(
            text("UPDATE pages SET hidden_at = :t WHERE hidden_at IS NOT NULL"),
            {"t": to_db_time(datetime.now(UTC) - timedelta(days=2))},
        )
    engine.dispose()
    report = sync(emulator, state, wiki, hide)
    assert (report.deleted, report.restored, report.updated) == (1, 1, 1)
    pages = {p["external_id"]: p for p in emulator.pages()}
    assert "p7" not in pages
    assert pages["p8"]["id"] == ids["p8"] and pages["p8"]["ai_agent_availability"]
    assert wiki.full_listings == 1
