"""Pagination and rate limits as real Confluence servers behave (fake_confluence_paging).

Each quirk of the fake is on by default for Data Center; every test here fails on the
connector that followed ``_links.next`` verbatim and slept through any ``Retry-After``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingestor.connectors.base import Item, ListingProblem
from ingestor.connectors.confluence import ConfluenceConnector
from ingestor.emulator import EmulatorServer
from ingestor.errors import ConnectorError
from ingestor.http import RetryPolicy

from .fake_confluence import FakeConfluence
from .fake_confluence_paging import DC_ZERO_ALLOWANCE, PagingQuirks
from .test_confluence_e2e import Wiki, seed

Connect = Callable[..., ConfluenceConnector]
HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
def dc() -> Iterator[FakeConfluence]:
    """A Data Center before 7.18 (no content/scan): every listing pages by start/limit."""
    fake = FakeConfluence("datacenter", context="/confluence")
    fake.quirks.scan = False
    yield fake.start()
    fake.stop()


def entries(connector: ConfluenceConnector) -> tuple[list[str], list[ListingProblem]]:
    listed = list(connector.list())
    ids = [e.external_id for e in listed if isinstance(e, Item)]
    assert len(ids) == len(set(ids))
    return ids, [e for e in listed if isinstance(e, ListingProblem)]


@pytest.mark.parametrize("page_size", [150, 250, 100, 7])
@pytest.mark.parametrize("scan", [False, True], ids=["offsets", "scan"])
def test_data_center_lists_every_page_whatever_the_page_size(
    dc: FakeConfluence, connect: Connect, page_size: int, scan: bool
) -> None:
    # With next computed from the limit asked, following it listed 200 of 260 at 150 and
    # 110 of 260 at 250: the engine then deleted the rest.
    dc.quirks.scan = scan
    pages = {dc.add_page("ENG", f"Page {n}") for n in range(260)}
    ids, problems = entries(connect(dc, page_size=page_size))
    assert set(ids) == pages and problems == []
    route = "v1.scan" if scan else "v1.content"
    calls = dc.calls(route)
    assert all(f"limit={min(page_size, 100)}&" in call for call in calls)  # clamped to the cap
    per_call = min(page_size, 100)
    assert len(calls) == -(-260 // per_call) + (0 if scan else 1)  # offsets end on an empty page


def test_a_next_link_past_the_end_is_not_followed(dc: FakeConfluence, connect: Connect) -> None:
    pages = {dc.add_page("ENG", f"Page {n}") for n in range(30)}
    ids, problems = entries(connect(dc, page_size=10))
    assert set(ids) == pages and problems == []
    starts = [call.rsplit("start=", 1)[1] for call in dc.calls("v1.content")]
    assert starts == ["0", "10", "20", "30"]  # the empty page at 30 ends it, whatever next says
    assert dc.quirks.served_past_end >= 1  # the fake did link past the end


def test_the_ideal_server_lists_the_same(connect: Connect) -> None:
    fake = FakeConfluence("datacenter", quirks=PagingQuirks.ideal()).start()
    fake.quirks.scan = False
    try:
        pages = {fake.add_page("ENG", f"Page {n}") for n in range(260)}
        ids, problems = entries(connect(fake, page_size=250))
        assert set(ids) == pages and problems == []
    finally:
        fake.stop()


def test_incremental_cql_reports_every_change(dc: FakeConfluence, connect: Connect) -> None:
    # Expanded CQL results are capped at 200: following next at 250 reported 400 of 450.
    ids = [dc.add_page("ENG", f"Page {n}", modified=HOUR_AGO) for n in range(450)]
    connector = connect(dc, page_size=250)
    cursor = connector.start_cursor()
    for page_id in ids:
        dc.edit(page_id)
    result = connector.list_changes(cursor)
    assert result is not None and result.problems == ()
    assert sorted(i.external_id for i in result.changed) == sorted(ids)


def test_content_scan_is_used_where_the_server_has_it(connect: Connect) -> None:
    fake = FakeConfluence("datacenter").start()  # scan on: Confluence 7.18 and later
    try:
        pages = {fake.add_page("ENG", f"Page {n}") for n in range(120)}
        connector = connect(fake, page_size=50)
        assert set(entries(connector)[0]) == pages
        assert len(fake.calls("v1.scan")) == 3 and fake.calls("v1.content") == []
        assert "cursor=content%3Afalse%3A" in fake.calls("v1.scan")[1]
        fake.quirks.scan = False  # an older server: 404, then start/limit for good
        other = connect(fake, page_size=50)
        assert set(entries(other)[0]) == pages
        assert len(fake.calls("unknown")) == 1 and len(fake.calls("v1.content")) == 4
        assert set(entries(other)[0]) == pages
        assert len(fake.calls("unknown")) == 1  # not asked again
    finally:
        fake.stop()


def test_cloud_next_links_in_the_link_header_only_are_followed(
    fake_cloud: FakeConfluence, connect: Connect
) -> None:
    fake_cloud.quirks.link_header_only = True
    pages = {fake_cloud.add_page("ENG", f"Page {n}") for n in range(30)}
    ids, problems = entries(connect(fake_cloud, page_size=10))
    assert set(ids) == pages and problems == []
    assert len(fake_cloud.calls("v2.space_pages")) == 3


@pytest.mark.parametrize("status", [429, 503])
def test_an_endless_retry_after_fails_at_once_as_rate_limited(
    dc: FakeConfluence, connect: Connect, status: int
) -> None:
    dc.add_page("ENG", "Page")
    dc.inject(
        "v1.content",
        status,
        times=100,
        retry_after=DC_ZERO_ALLOWANCE,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-FillRate": "0"},
    )
    with pytest.raises(ConnectorError, match="rate limited") as caught:
        list(connect(dc).list())
    assert DC_ZERO_ALLOWANCE in str(caught.value)
    assert len(dc.calls("v1.content")) == 1  # no wait, no retry: the server said "never"


def test_cloud_waits_for_an_iso_8601_rate_limit_reset(
    fake_cloud: FakeConfluence, connect: Connect
) -> None:
    # No Retry-After, only X-RateLimit-Reset as an ISO-8601 time: wait until then.
    page = fake_cloud.add_page("ENG", "Page")
    fake_cloud.rate_limit("v2.space_pages", 1.5)
    reset = time.time() + 1.5
    connector = connect(fake_cloud, max_attempts=3)
    connector._http._policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=5.0)
    assert entries(connector)[0] == [page]
    calls = fake_cloud.calls("v2.space_pages")
    assert len(calls) == 2  # one 429, then the answer after the reset
    assert time.time() >= reset


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_a_next_loop_deletes_nothing_end_to_end(
    deployment: str, tmp_path: Path, emulator: EmulatorServer
) -> None:
    fake = FakeConfluence(deployment).start()  # Data Center: content/scan, a cursor to loop on
    try:
        wiki = Wiki(tmp_path, fake, emulator)
        wiki.write_config(page_size=10)
        ids = seed(fake, n=30)
        assert wiki.sync().created == 30
        wiki.age_full_listing()  # the next run lists in full
        fake.set_status(ids[-1], "trashed")
        fake.quirks.loop = True
        report = wiki.sync()
        assert report.listing_complete is False and report.status == "partial"
        assert any("pagination loop" in p for p in report.listing_problems)
        assert report.deleted == 0 and len(wiki.pages()) == 30
        # Once the server paginates again, the trashed page goes.
        fake.quirks.loop = False
        report = wiki.sync()
        assert (report.deleted, report.status) == (1, "ok")
        assert set(wiki.pages()) == set(ids[:-1])
    finally:
        fake.stop()
