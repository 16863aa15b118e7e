"""CQL dates in the zone the server reads them in: set, Cloud's profile zone, or any zone.

The fake reads ``lastmodified`` in its ``user_timezone`` (the API user's zone, by default the
server's), as Confluence does; before this, a connector writing UTC dates to a server west of
UTC missed every edit of the last hours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ingestor.connectors.confluence import ConfluenceConnector
from ingestor.connectors.confluence._scope import cql_time

from .fake_confluence import FakeConfluence

Connect = Callable[..., ConfluenceConnector]
#: The extremes of the zones in use, and one with daylight saving time.
ZONES = ["Etc/GMT+12", "America/Los_Angeles", "UTC", "Asia/Kolkata", "Pacific/Kiritimati"]


@pytest.fixture
def started() -> Iterator[list[FakeConfluence]]:
    fakes: list[FakeConfluence] = []
    yield fakes
    for fake in fakes:
        fake.stop()


def serve(started: list[FakeConfluence], deployment: str, zone: str) -> FakeConfluence:
    fake = FakeConfluence(deployment, user_timezone=zone).start()
    started.append(fake)
    fake.add_space("ENG")
    return fake


def changed_ids(connector: ConfluenceConnector, cursor: str) -> list[str]:
    changes = connector.list_changes(cursor)
    assert changes is not None
    return [item.external_id for item in changes.changed]


@pytest.mark.parametrize("zone", ZONES)
def test_data_center_in_any_zone_misses_no_edit(
    zone: str, started: list[FakeConfluence], connect: Connect
) -> None:
    fake = serve(started, "datacenter", zone)
    page = fake.add_page("ENG", "Runbook", modified=datetime.now(UTC) - timedelta(days=3))
    connector = connect(fake, overlap="1m")
    cursor = connector.start_cursor()
    fake.edit(page)  # just after the cursor
    assert changed_ids(connector, cursor) == [page]


@pytest.mark.parametrize("zone", ZONES)
def test_the_widened_window_stays_within_26_hours(
    zone: str, started: list[FakeConfluence], connect: Connect
) -> None:
    fake = serve(started, "datacenter", zone)
    connector = connect(fake, overlap="1m")
    cursor = connector.start_cursor()
    since = datetime.fromisoformat(cursor.partition(" full=")[0])
    fake.add_page("ENG", "Old", modified=since - timedelta(hours=26, minutes=3))
    assert changed_ids(connector, cursor) == []


def test_cloud_writes_dates_in_the_profile_zone(
    started: list[FakeConfluence], connect: Connect
) -> None:
    fake = serve(started, "cloud", "America/Los_Angeles")
    page = fake.add_page("ENG", "Runbook", modified=datetime.now(UTC) - timedelta(days=3))
    connector = connect(fake, overlap="1m")
    cursor = connector.start_cursor()
    fake.edit(page)
    assert changed_ids(connector, cursor) == [page]
    since = datetime.fromisoformat(cursor.partition(" full=")[0]) - timedelta(minutes=1)
    [search] = fake.calls("v1.search")
    assert cql_time(since, "America/Los_Angeles").replace("/", "%2F")[:10] in search
    assert len(fake.calls("v1.user_current")) == 1


def test_cloud_with_a_hidden_profile_zone_widens_the_window(
    started: list[FakeConfluence], connect: Connect
) -> None:
    fake = serve(started, "cloud", "America/Los_Angeles")
    fake.profile_timezone = None  # the profile hides it; the server still reads dates in LA
    page = fake.add_page("ENG", "Runbook", modified=datetime.now(UTC) - timedelta(days=3))
    connector = connect(fake, overlap="1m")
    cursor = connector.start_cursor()
    fake.edit(page)
    assert changed_ids(connector, cursor) == [page]


def test_an_explicit_zone_overrides_and_asks_nothing(
    started: list[FakeConfluence], connect: Connect
) -> None:
    fake = serve(started, "cloud", "Europe/Paris")
    page = fake.add_page("ENG", "Runbook", modified=datetime.now(UTC) - timedelta(days=3))
    connector = connect(fake, overlap="1m", cql_timezone="Europe/Paris")
    cursor = connector.start_cursor()
    fake.edit(page)
    assert changed_ids(connector, cursor) == [page]
    assert fake.calls("v1.user_current") == []


def test_dates_for_an_unknown_zone_are_written_at_utc_minus_12() -> None:
    moment = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    assert cql_time(moment, None) == "2026/02/28 22:30"
    assert cql_time(moment, "Asia/Kolkata") == "2026/03/01 16:00"
