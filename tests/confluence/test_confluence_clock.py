"""The server's clock comes from the ``Date`` of the space lookup every run makes anyway."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from ingestor.connectors.confluence import ConfluenceConnector
from ingestor.connectors.confluence._clock import ServerClock, parse_http_date

from .fake_confluence import FakeConfluence

Connect = Callable[..., ConfluenceConnector]


def test_the_cursor_is_dated_by_the_servers_clock_without_an_extra_call(
    fake: FakeConfluence, connect: Connect
) -> None:
    fake.add_page("ENG", "Home")
    fake.clock_skew = -timedelta(hours=2)  # the server runs two hours behind us
    connector = connect(fake)
    cursor = connector.start_cursor()
    since = datetime.fromisoformat(cursor.partition(" full=")[0])
    assert since < datetime.now(UTC) - timedelta(hours=1, minutes=55)
    assert len(list(connector.list())) == 1
    lookups = [name for name, _ in fake.requests if name in ("v2.spaces", "v1.space")]
    # one space lookup dated the cursor and served the listing; no dedicated clock call
    # (Data Center's offset listing ends on an empty page: a second call of the same lookup)
    assert lookups == (["v2.spaces"] if fake.deployment == "cloud" else ["v1.space"] * 2)


def test_an_incremental_run_reads_the_clock_from_its_space_lookup(
    fake_cloud: FakeConfluence, connect: Connect
) -> None:
    fake_cloud.add_space("ENG")
    connector = connect(fake_cloud)
    cursor = connector.start_cursor()
    fake_cloud.clock_skew = timedelta(hours=3)
    changes = connector.list_changes(cursor)
    assert changes is not None
    assert datetime.fromisoformat(changes.cursor.partition(" full=")[0]) > datetime.now(
        UTC
    ) + timedelta(hours=2, minutes=55)
    assert fake_cloud.calls("v1.space") == []  # gone from Cloud's v1 reference


def test_no_date_header_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = ServerClock("wiki")
    with caplog.at_level(logging.DEBUG, logger="ingestor.connectors.confluence._clock"):
        clock.now(None)
        clock.now("not a date")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "no usable Date header" in warnings[0].getMessage()
    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == datetime(
        1994, 11, 6, 8, 49, 37, tzinfo=UTC
    )
