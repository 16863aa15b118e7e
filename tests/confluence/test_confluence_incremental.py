"""``Incremental``: CQL ``lastmodified`` with overlap and time zone, deletions, bad cursors.

Tested on ``list_changes`` directly while the engine does not call it yet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from ingestor.connectors.base import Changes, Incremental
from ingestor.connectors.confluence import ConfluenceConnector
from ingestor.errors import ConnectorError

from .fake_confluence import FakeConfluence

Connect = Callable[..., ConfluenceConnector]
#: Before the cursor and outside even the widest window (CQL dates for an unknown zone).
LONG_AGO = datetime.now(UTC) - timedelta(days=3)


def since_of(cursor: str) -> datetime:
    return datetime.fromisoformat(cursor.partition(" full=")[0])


def changes(connector: ConfluenceConnector, cursor: str) -> Changes:
    result = connector.list_changes(cursor)
    assert result is not None
    return result


def test_edits_new_pages_and_deletions_since_the_cursor(
    fake: FakeConfluence, connect: Connect
) -> None:
    edited = fake.add_page("ENG", "Edited", modified=LONG_AGO)
    trashed = fake.add_page("ENG", "Trashed", modified=LONG_AGO)
    archived = fake.add_page("ENG", "Archived", modified=LONG_AGO)
    fake.add_page("ENG", "Untouched", modified=LONG_AGO)
    fake.add_page("OTHER", "Elsewhere")
    connector = connect(fake)
    assert isinstance(connector, Incremental)
    cursor = connector.start_cursor()

    fake.edit(edited, body="<p>new</p>")
    fake.set_status(trashed, "trashed")
    fake.set_status(archived, "archived")
    new = fake.add_page("ENG", "New")
    result = changes(connector, cursor)
    assert {(i.external_id, i.version) for i in result.changed} == {(edited, "2"), (new, "1")}
    assert set(result.deleted) == {trashed, archived}
    assert result.problems == ()
    assert since_of(result.cursor) >= since_of(cursor)
    assert result.cursor.endswith(cursor.partition(" full=")[2])  # the full listing's time stays
    # Data Center pages by offset and stops only on an empty page: one call more.
    searches = fake.calls("v1.search")
    assert len(searches) == (1 if fake.deployment == "cloud" else 2)
    assert "lastmodified" in searches[0] and "ENG" in searches[0]


def test_the_overlap_window_rereads_recent_edits(
    fake_cloud: FakeConfluence, connect: Connect
) -> None:
    fake_cloud.add_space("ENG")  # the cursor is dated by the space lookup
    connector = connect(fake_cloud, overlap="10m")
    cursor = connector.start_cursor()
    at = since_of(cursor)
    recent = fake_cloud.add_page("ENG", "Just before", modified=at - timedelta(minutes=5))
    fake_cloud.add_page("ENG", "Long before", modified=at - timedelta(minutes=30))
    assert [i.external_id for i in changes(connector, cursor).changed] == [recent]


@pytest.mark.parametrize(("cql_timezone", "found"), [("America/Los_Angeles", True), ("UTC", False)])
def test_cql_dates_are_written_in_the_users_time_zone(
    cql_timezone: str, found: bool, connect: Connect
) -> None:
    # Confluence reads CQL dates in the API user's profile zone: written in UTC for a user in
    # Los Angeles, "since 12:00" means 20:00 UTC and the edit made at 12:05 UTC is missed.
    fake = FakeConfluence("cloud", user_timezone="America/Los_Angeles").start()
    try:
        old = fake.add_page("ENG", "Old", modified=LONG_AGO - timedelta(hours=2))
        connector = connect(fake, cql_timezone=cql_timezone, overlap="1m")
        cursor = connector.start_cursor()
        fake.edit(old, body="<p>edited</p>")
        ids = [i.external_id for i in changes(connector, cursor).changed]
        assert ids == ([old] if found else [])
    finally:
        fake.stop()


def test_pages_leaving_the_scope_are_reported_deleted(
    fake: FakeConfluence, connect: Connect
) -> None:
    home = fake.add_page("ENG", "Home", modified=LONG_AGO)
    hidden = fake.add_page("ENG", "Hidden", modified=LONG_AGO)
    moved = fake.add_page("ENG", "Moved", parent=home, modified=LONG_AGO)
    relabelled = fake.add_page("ENG", "Relabelled", labels=("faq",), modified=LONG_AGO)
    kept = fake.add_page("ENG", "Kept", labels=("faq",), modified=LONG_AGO)
    connector = connect(fake, exclude_page_ids=[hidden], exclude_labels=["internal"])
    cursor = connector.start_cursor()
    fake.pages[moved].parent_id = hidden
    fake.edit(moved)
    fake.edit(relabelled, labels=("faq", "internal"))
    fake.edit(kept, body="<p>new</p>")
    result = changes(connector, cursor)
    assert [i.external_id for i in result.changed] == [kept]
    assert set(result.deleted) == {moved, relabelled}


def test_hundreds_of_changes_are_paginated_to_the_end(
    fake: FakeConfluence, connect: Connect
) -> None:
    ids = [fake.add_page("ENG", f"Page {n}", modified=LONG_AGO) for n in range(450)]
    connector = connect(fake, page_size=250)
    cursor = connector.start_cursor()
    for page_id in ids:
        fake.edit(page_id)
    result = changes(connector, cursor)
    assert sorted(i.external_id for i in result.changed) == sorted(ids)
    # Expanded CQL results are capped at 200 per call whatever is asked: 3 calls, not 2 (and
    # on Data Center, whose next links cannot be trusted, a 4th that comes back empty).
    searches = fake.calls("v1.search")
    assert len(searches) == (3 if fake.deployment == "cloud" else 4)
    if fake.deployment != "cloud":  # the limit asked is clamped to the cap; start advances by it
        assert all("limit=200" in call for call in searches)
        assert [call.rsplit("start=", 1)[1] for call in searches] == ["0", "200", "400", "450"]


def test_stale_or_foreign_cursors_ask_for_a_full_listing(
    fake_cloud: FakeConfluence, connect: Connect
) -> None:
    fake_cloud.add_space("ENG")  # the space lookup dates the run
    connector = connect(fake_cloud, full_listing_every="1d")
    now = datetime.now(UTC)
    recent, old = now - timedelta(minutes=30), now - timedelta(days=2)
    assert connector.list_changes(f"{recent.isoformat()} full={old.isoformat()}") is None
    assert connector.list_changes("rev:12345") is None
    assert connector.list_changes("2026-01-01T00:00:00 full=2026-01-01T00:00:00") is None
    assert fake_cloud.calls("v1.search") == []
    # Incremental runs keep the last full listing's time, so they hand over in time.
    full = (now - timedelta(hours=2)).astimezone(UTC).isoformat(timespec="seconds")
    assert changes(connector, f"{recent.isoformat()} full={full}").cursor.endswith(full)


def test_servers_without_archiving_still_report_trashed_pages(connect: Connect) -> None:
    fake = FakeConfluence("datacenter").start()
    fake.archiving = False  # Confluence before 7.10 answers 400 to status=archived
    try:
        page_id = fake.add_page("ENG", "Soon trashed", modified=LONG_AGO)
        connector = connect(fake)
        cursor = connector.start_cursor()
        fake.set_status(page_id, "trashed")
        assert list(changes(connector, cursor).deleted) == [page_id]
    finally:
        fake.stop()


def test_a_failing_search_raises(fake: FakeConfluence, connect: Connect) -> None:
    fake.add_space("ENG")
    connector = connect(fake)
    cursor = connector.start_cursor()
    fake.inject("v1.search", 500, times=100)
    with pytest.raises(ConnectorError, match="500"):
        connector.list_changes(cursor)
