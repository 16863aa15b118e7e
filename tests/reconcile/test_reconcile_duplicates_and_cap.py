"""A second installation's source with our url, and Intercom's deep-paging cap."""

from __future__ import annotations

import time
from pathlib import Path

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.emulator.sqlite_store import SqliteStore
from ingestor.emulator.store import NewPage
from ingestor.intercom import IntercomClient, PageUpsert

from .conftest import Site

URL = "https://docs.example.com/"


def _second_installation(site: Site, external_ids: list[str]) -> int:
    """What another installation with its own state makes: its own source with our url."""
    with IntercomClient(site.server.token, base_url=site.server.url) as client:
        source = client.create_source(URL)
        for eid in external_ids:
            client.upsert_page(
                PageUpsert(
                    source_id=source.id,
                    external_id=eid,
                    title=eid,
                    html=f"<p>{eid}</p>",
                    url=None,
                    ai_agent_availability=True,
                    ai_copilot_availability=True,
                )
            )
    return source.id


def test_a_second_source_with_our_url_is_reported_loudly_and_not_merged(site: Site) -> None:
    site.pages(4)
    site.sync()
    theirs = _second_installation(site, ["p0000.md", "p0001.md", "old.md", "p0009.md"])
    writes = site.writes()

    result = site.cli("reconcile")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "DUPLICATE" in result.stdout and f"Source {theirs} (4 pages)" in result.stdout
    assert site.writes() == writes
    assert len([p for p in site.server.pages() if p["source_id"] == theirs]) == 4


def test_adopt_duplicates_deletes_their_copies_of_our_pages_and_keeps_their_source(
    site: Site,
) -> None:
    site.pages(4)
    site.sync()
    theirs = _second_installation(site, ["p0000.md", "p0001.md", "old.md", "p0009.md"])

    refused = site.cli("reconcile", "--adopt-duplicates", stdin="n\n")
    assert refused.returncode == 1 and "Aborted" in refused.stdout + refused.stderr
    assert len([p for p in site.server.pages() if p["source_id"] == theirs]) == 4

    result = site.cli("reconcile", "--adopt-duplicates", "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    left = [p["external_id"] for p in site.server.pages() if p["source_id"] == theirs]
    # ours holds p0000 and p0001; our connector lists neither old.md nor p0009.md
    assert left == []
    assert theirs in {s["id"] for s in site.server.sources()}  # their source is never deleted
    assert "DELETE /ai/content_import_sources/" in result.stdout
    ours = [p for p in site.server.pages() if p["source_id"] != theirs]
    assert sorted(p["external_id"] for p in ours) == [f"p{n:04d}.md" for n in range(4)]


def test_adopt_duplicates_keeps_their_copy_of_a_page_ours_failed_to_send(site: Site) -> None:
    site.pages(2)
    site.sync()
    site.write("p0005.md", "# Page 5\n\nNew, not synced yet.\n")
    theirs = _second_installation(site, ["p0005.md"])
    site.write("p0005.md", "")  # an empty page is skipped: ours will not hold it

    result = site.cli("reconcile", "--adopt-duplicates", "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    left = [p["external_id"] for p in site.server.pages() if p["source_id"] == theirs]
    assert left == ["p0005.md"]


def _seed_foreign_pages(db: Path, count: int) -> None:
    """Pages of a website source filling the first ``count`` rows of the emulator's list."""
    store = SqliteStore(db)
    now = int(time.time())
    source = store.add_source(
        url="https://www.example.com/", status="active", sync_behavior="automatic", now=now
    )
    for n in range(count):
        store.add_page(
            NewPage(
                source_id=source.id,
                external_id=f"web-{n}",
                title=f"Web {n}",
                html="<p>w</p>",
                url=None,
                ai_agent_availability=True,
                ai_copilot_availability=True,
                ai_sales_agent_availability=False,
                created_at=now,
                updated_at=now,
                last_ingested_at=now,
            )
        )
    store.close()


def test_deep_paging_cap_falls_back_to_reads_by_id(
    tmp_path: Path, state_location: Path | str
) -> None:
    db = tmp_path / "emulator.db"
    _seed_foreign_pages(db, 10_050)  # 150 a page: page 67 is past 10,000 results
    settings = EmulatorSettings(db_path=str(db), deep_paging_cap=True)
    with EmulatorServer(settings) as server:
        site = Site(tmp_path, server, state_location)
        site.pages(12)
        site.sync()
        pages = site.intercom()
        for eid in ("p0002.md", "p0007.md"):
            server.delete_page(pages[eid]["id"])

        report = site.reconcile()

        assert report.listing_capped
        assert report.findings.missing == ["p0002.md", "p0007.md"]
        assert report.sync is not None and report.sync.created == 2
        assert report.summary()["orphans_unsearched"] is True
        assert site.calls("getExternalPage") == 12  # each known page once, none listed
        ours = [p for p in server.pages() if p["external_id"].startswith("p0")]
        assert len(ours) == 12
