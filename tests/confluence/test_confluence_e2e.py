"""End to end: a real YAML config, the fake Confluence and the Intercom emulator over sockets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingestor.config import load_config
from ingestor.emulator import EmulatorServer
from ingestor.report import SyncReport
from ingestor.runner import sync_connectors
from state import Store

from .fake_confluence import FakeConfluence
from .test_confluence_fetch import CODE, EXPAND, WARNING

CONFIG = """\
intercom:
  token: ${{TEST_INTERCOM_TOKEN}}
  base_url: {intercom}
  max_attempts: 3
state:
  path: {state}
defaults:
  max_delete_fraction: 0.5
  # these tests check what each listing reports gone; docs/deletion.md's hide is tested in e2e
  deletion: delete
connectors:
  - name: wiki
    type: confluence
    url: https://wiki.example.com/
    deployment: {deployment}
    base_url: {base_url}
{credentials}
    spaces: [ENG]
    page_size: {page_size}
    timeout_seconds: 0.5
    max_attempts: 2
    max_parallel_fetches: 8
"""
CREDENTIALS = {
    "cloud": "    email: bot@example.com\n    api_token: ${CONFLUENCE_TOKEN}",
    "datacenter": "    personal_access_token: ${CONFLUENCE_TOKEN}",
}
TOKENS = {"cloud": "cloud-api-token", "datacenter": "dc-personal-token"}


class Wiki:
    """A fake Confluence, a config file syncing it, and the emulator it syncs into."""

    def __init__(self, tmp_path: Path, fake: FakeConfluence, emulator: EmulatorServer) -> None:
        self.fake, self.emulator, self.tmp_path = fake, emulator, tmp_path
        self.config_path = tmp_path / "config.yaml"
        self.state_path = tmp_path / "state.db"
        self.write_config()
        self.env = {
            "TEST_INTERCOM_TOKEN": emulator.token,
            "CONFLUENCE_TOKEN": TOKENS[fake.deployment],
        }

    def write_config(self, *, page_size: int = 250) -> None:
        fake, emulator = self.fake, self.emulator
        self.config_path.write_text(
            CONFIG.format(
                intercom=emulator.url,
                state=self.state_path,
                deployment=fake.deployment,
                base_url=fake.url,
                credentials=CREDENTIALS[fake.deployment],
                page_size=page_size,
            ),
            encoding="utf-8",
        )

    def sync(self) -> SyncReport:
        [report] = sync_connectors(load_config(self.config_path, environ=self.env))
        return report

    def age_full_listing(self) -> None:
        """Make the stored cursor say the last full listing was two days ago (> 1d)."""
        with Store.open(self.state_path) as store:
            cursor = store.get_cursor("wiki")
            assert cursor is not None and " full=" in cursor
            old = (datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="seconds")
            store.save_cursor("wiki", cursor.partition(" full=")[0] + " full=" + old)

    def full_listings(self) -> int:
        """Calls that listed a space's current pages (a full listing makes one or more)."""
        return sum("status=current" in call for call in self.fake.calls(self.listing_route))

    def pages(self) -> dict[str, dict[str, Any]]:
        return {p["external_id"]: p for p in self.emulator.pages()}

    def writes(self) -> int:
        per_op = self.emulator.stats()["by_operation"]
        ops = ("createExternalPage", "updateExternalPage", "deleteExternalPage")
        return sum(int(per_op.get(op, 0)) for op in ops)

    def fetches(self) -> int:
        return len(self.fake.calls("v2.page" if self.fake.deployment == "cloud" else "v1.page"))

    @property
    def listing_route(self) -> str:
        return "v2.space_pages" if self.fake.deployment == "cloud" else "v1.scan"


def _fake(deployment: str) -> FakeConfluence:
    return FakeConfluence(deployment, context="/confluence" if deployment != "cloud" else None)


@pytest.fixture(params=["cloud", "datacenter"])
def wiki(
    request: pytest.FixtureRequest, tmp_path: Path, emulator: EmulatorServer
) -> Iterator[Wiki]:
    fake = _fake(request.param).start()
    yield Wiki(tmp_path, fake, emulator)
    fake.stop()


@pytest.fixture
def dc_wiki(tmp_path: Path, emulator: EmulatorServer) -> Iterator[Wiki]:
    fake = _fake("datacenter").start()
    yield Wiki(tmp_path, fake, emulator)
    fake.stop()


def seed(fake: FakeConfluence, n: int = 6) -> list[str]:
    home = fake.add_page("ENG", "Home", "<h1>Welcome</h1><p>Start here.</p>")
    guide = fake.add_page(
        "ENG", "Install Guide", "<h2>Steps</h2>" + CODE + WARNING + EXPAND, parent=home
    )
    rest = [
        fake.add_page("ENG", f"Article {i}", f"<p>Answer {i}.</p>", parent=home)
        for i in range(n - 2)
    ]
    fake.add_page("ENG", "Draft", "<p>not yet</p>", status="draft")
    fake.add_page("OTHER", "Elsewhere", "<p>other space</p>")
    return [home, guide, *rest]


def test_initial_sync_then_an_edit_costs_exactly_one_update(wiki: Wiki) -> None:
    ids = seed(wiki.fake)
    report = wiki.sync()
    assert (report.created, report.failed, report.status) == (6, 0, "ok")
    pages = wiki.pages()
    assert set(pages) == set(ids)
    guide = pages[ids[1]]
    assert guide["title"] == "Install Guide"
    assert guide["url"].startswith(wiki.fake.url) and "Install" in guide["url"]
    assert "<pre><code>pip install fin" in guide["html"]
    assert "<blockquote><p><strong>Warning: Read first</strong></p>" in guide["html"]
    assert "At most 20 seats." in guide["html"]

    writes, fetches, listings = wiki.writes(), wiki.fetches(), wiki.full_listings()
    report = wiki.sync()
    assert (report.unchanged, report.created, report.updated) == (6, 0, 0)
    assert (wiki.writes(), wiki.fetches()) == (writes, fetches)  # the version gate: no fetch

    wiki.fake.edit(ids[3], body="<p>A better answer.</p>")
    report = wiki.sync()
    assert (report.updated, report.created, report.deleted, report.unchanged) == (1, 0, 0, 5)
    assert wiki.writes() == writes + 1 and wiki.fetches() == fetches + 1
    assert "A better answer." in wiki.pages()[ids[3]]["html"]
    # Both later runs were incremental: CQL searches, no new full listing (the full listing's
    # own search reads restrictions, see test_confluence_restrictions). Data Center's offset
    # searches end on an empty page: two calls per run.
    changed_searches = [c for c in wiki.fake.calls("v1.search") if "lastmodified" in c]
    searches = 2 if wiki.fake.deployment == "cloud" else 4
    assert wiki.full_listings() == listings and len(changed_searches) == searches


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_a_deleted_page_is_deleted_in_intercom(wiki: Wiki, full: bool) -> None:
    ids = seed(wiki.fake)
    wiki.sync()
    if full:
        wiki.age_full_listing()
    listings = wiki.full_listings()
    wiki.fake.set_status(ids[2], "trashed")
    report = wiki.sync()
    assert wiki.full_listings() == listings + (1 if full else 0)
    assert (report.deleted, report.created, report.updated, report.status) == (1, 0, 0, "ok")
    assert set(wiki.pages()) == set(ids) - {ids[2]}


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_a_failure_mid_listing_deletes_nothing(wiki: Wiki, fault: str, full: bool) -> None:
    fake = wiki.fake
    wiki.write_config(page_size=10)
    ids = seed(fake, n=30)  # three listing calls of 10; as many CQL calls (all were just made)
    assert wiki.sync().created == 30
    if full:
        wiki.age_full_listing()
    fake.set_status(ids[-1], "trashed")
    fake.edit(ids[0], body="<p>edited meanwhile</p>")
    route = wiki.listing_route if full else "v1.search"
    if fault == "500":
        fake.inject(route, 500, after=1, times=100)
    else:
        fake.inject(route, after=1, times=100, hang=1.0)
    report = wiki.sync()
    assert len(fake.calls(route)) >= 2 + (3 if full else 0)  # it failed past the first call
    assert report.listing_complete is False and report.status == "partial"
    assert report.deleted == 0
    assert len(wiki.pages()) == 30
    # Once Confluence answers again, the next run catches up (the cursor did not advance).
    fake.faults.clear()
    report = wiki.sync()
    assert (report.deleted, report.status) == (1, "ok") and report.updated >= 1
    assert "edited meanwhile" in wiki.pages()[ids[0]]["html"]


@pytest.mark.slow
def test_more_than_1000_pages_are_synced(dc_wiki: Wiki) -> None:
    # Data Center answers at most 100 per call whatever is asked: 11 scan calls. (Cloud's
    # cursor over 1203 pages is covered by the listing tests; one 1000+ upload run suffices.)
    wiki, fake = dc_wiki, dc_wiki.fake
    for n in range(1030):
        fake.add_page("ENG", f"Page {n}", f"<p>Body {n}</p>")
    report = wiki.sync()
    assert (report.listed, report.created, report.failed) == (1030, 1030, 0)
    assert len(wiki.pages()) == 1030
    assert len(fake.calls("v1.scan")) == 11
