"""``deletion: hide`` over a real share, the real state file and the emulator over sockets.

A page that vanished is hidden from Fin by reading Intercom's copy by id and upserting it back
with both availabilities false (two calls: state keeps only a digest of the HTML sent), kept with
its Intercom id for ``hide_for``, restored in place with one call if it comes back, and deleted
by the first complete sync after ``hide_for``. Time moves by rewriting ``pages.hidden_at`` in
the state database, never by sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from ingestor.commands.status import status_data
from ingestor.engine.report import SyncReport
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions
from ingestor.state._engine import StateLocation, create_state_engine
from ingestor.state._tables import to_db_time

from .conftest import Site, calls, total_calls, write_calls

AWS_KEY = "AKIAQ3EGRZ5XJ7LMN2PB"  # made up, shaped like an access key id


def seed(site: Site, n: int = 10) -> None:
    for i in range(n):
        site.write(f"kb/{i}.md", f"# Article {i}\n\nThe refund window is {i} days.\n")


def run(site: Site, **options: bool) -> SyncReport:
    [report] = sync_connectors(site.config(), options=SyncOptions(**options))
    return report


def flags(page: dict[str, Any]) -> tuple[bool, bool]:
    return page["ai_agent_availability"], page["ai_copilot_availability"]


def state_row(site: Site, external_id: str) -> dict[str, Any] | None:
    engine = create_state_engine(StateLocation.of(site.state))
    try:
        with engine.connect() as conn:
            query = text("SELECT * FROM pages WHERE external_id = :e")
            row = conn.execute(query, {"e": external_id}).mappings().first()
    finally:
        engine.dispose()
    return None if row is None else dict(row)


def backdate(site: Site, days: float) -> datetime:
    """Pretend every hidden page was hidden ``days`` ago (the stored time is all that counts)."""
    when = datetime.now(UTC) - timedelta(days=days)
    site.sql("UPDATE pages SET hidden_at = :t WHERE hidden_at IS NOT NULL", t=to_db_time(when))
    return when


def hide_one(site: Site, rel: str = "kb/3.md") -> str:
    """Seed, sync, remove ``rel`` and sync again; the page's Intercom id."""
    seed(site)
    assert run(site).created == 10
    intercom_id = str(site.intercom_pages()[rel]["id"])
    (site.root / rel).unlink()
    assert run(site).hidden == 1
    return intercom_id


def test_a_vanished_page_is_hidden_by_a_read_and_one_upsert_and_keeps_its_id(site: Site) -> None:
    seed(site)
    run(site)
    before_page = site.intercom_pages()["kb/3.md"]
    (site.root / "kb" / "3.md").unlink()
    before = site.server.stats()

    report = run(site)
    after = site.server.stats()
    assert (report.hidden, report.deleted, report.failed, report.status) == (1, 0, 0, "ok")
    # schema v8 costs one read more than v7's single upsert: state no longer keeps the HTML
    assert write_calls(after) - write_calls(before) == 1
    assert calls(after, "createExternalPage") - calls(before, "createExternalPage") == 1
    assert calls(after, "getExternalPage") - calls(before, "getExternalPage") == 1
    page = site.intercom_pages()["kb/3.md"]
    assert flags(page) == (False, False)
    assert (page["id"], page["title"], page["html"], page["url"]) == (
        before_page["id"],
        before_page["title"],
        before_page["html"],
        before_page["url"],
    )
    row = state_row(site, "kb/3.md")
    assert row is not None and row["hidden_at"] is not None
    # the gates will send it again should it come back; the id stays for that and for deleting
    assert (row["version"], row["content_hash"], row["intercom_id"]) == (None, None, page["id"])
    assert site.sql("SELECT hidden FROM runs ORDER BY id DESC")[0] == (1,)

    # within hide_for: nothing to do, and no call but the run's check of the source
    report = run(site)
    assert (report.hidden, report.deleted, report.unchanged) == (0, 0, 9)
    assert total_calls(site.server.stats()) == total_calls(after) + 1


def test_a_hidden_page_that_comes_back_is_restored_in_place_with_one_call(site: Site) -> None:
    intercom_id = hide_one(site)
    site.write("kb/3.md", "# Article 3\n\nThe refund window is 3 days.\n")
    before = site.server.stats()

    report = run(site)
    assert (report.updated, report.restored, report.created, report.hidden) == (1, 1, 0, 0)
    assert write_calls(site.server.stats()) - write_calls(before) == 1
    page = site.intercom_pages()["kb/3.md"]
    assert (str(page["id"]), flags(page)) == (intercom_id, (True, True))
    row = state_row(site, "kb/3.md")
    assert row is not None and row["hidden_at"] is None and row["content_hash"] is not None

    settled = write_calls(site.server.stats())
    assert run(site).unchanged == 10
    assert write_calls(site.server.stats()) == settled


def test_a_page_hidden_longer_than_hide_for_is_deleted_by_the_next_sync(site: Site) -> None:
    intercom_id = hide_one(site)
    backdate(site, days=6)
    before = site.server.stats()
    assert (run(site).deleted, write_calls(site.server.stats())) == (0, write_calls(before))

    hidden_at = backdate(site, days=7.1)
    plan = site.cli("plan")
    since = hidden_at.strftime("%Y-%m-%d %H:%M UTC")
    assert f"delete docs: kb/3.md (hidden since {since}; hide_for 7d passed)" in plan.stdout
    assert write_calls(site.server.stats()) == write_calls(before)

    report = run(site)
    after = site.server.stats()
    assert (report.deleted, report.hidden, report.status) == (1, 0, "ok")
    assert calls(after, "deleteExternalPage") - calls(before, "deleteExternalPage") == 1
    assert write_calls(after) - write_calls(before) == 1
    assert "kb/3.md" not in site.intercom_pages()
    assert intercom_id not in {str(p["id"]) for p in site.intercom_pages().values()}
    assert state_row(site, "kb/3.md") is None


def test_the_guard_keeps_an_emptied_mount_visible(site: Site) -> None:
    seed(site)
    run(site)
    for path in (site.root / "kb").iterdir():
        path.unlink()
    before = write_calls(site.server.stats())

    report = run(site)
    assert (report.hidden, report.deleted, report.status) == (0, 0, "partial")
    assert "all 10 pages vanished" in (report.deletion_blocked or "")
    assert "nothing hidden" in (report.deletion_blocked or "")
    assert write_calls(site.server.stats()) == before
    assert all(flags(p) == (True, True) for p in site.intercom_pages().values())

    for i in range(4):  # 6 of 10 gone is over max_delete_fraction 0.5 as well
        site.write(f"kb/{i}.md", f"# Article {i}\n\nThe refund window is {i} days.\n")
    assert run(site).deletion_blocked
    assert write_calls(site.server.stats()) == before

    report = run(site, allow_mass_delete=True)
    assert (report.hidden, report.deleted) == (6, 0)
    hidden = [eid for eid, p in site.intercom_pages().items() if flags(p) == (False, False)]
    assert sorted(hidden) == [f"kb/{i}.md" for i in range(4, 10)]


def test_plan_and_dry_run_show_what_would_be_hidden_and_restored(site: Site) -> None:
    seed(site)
    run(site)
    (site.root / "kb" / "3.md").unlink()
    before = write_calls(site.server.stats())
    result = site.cli("plan")
    assert result.returncode == 5, result.stdout + result.stderr  # changes pending
    assert "hide docs: kb/3.md (vanished from the source; hidden, deleted after 7d)" in (
        result.stdout
    )
    assert "1 to hide, 0 to delete, 9 unchanged" in result.stdout
    report = run(site, dry_run=True)
    assert (report.hidden, report.deleted) == (1, 0)
    assert write_calls(site.server.stats()) == before
    row = state_row(site, "kb/3.md")
    assert row is not None and row["hidden_at"] is None  # a dry run writes nothing

    assert run(site).hidden == 1
    site.write("kb/3.md", "# Article 3\n\nThe refund window is 30 days now.\n")
    result = site.cli("plan")
    assert "update docs: kb/3.md (restored: back in the source while hidden" in result.stdout


def test_a_split_page_hides_and_restores_every_section_with_its_id(site: Site) -> None:
    text = site.config_path.read_text().replace(
        "max_delete_fraction: 0.5", "max_delete_fraction: 0.9\n  max_page_bytes: 3000"
    )
    site.config_path.write_text(text)
    guide = "# Admin guide\n\nRead this first.\n\n" + "".join(
        f"## Step {i}\n\n" + "configure " * 180 + "\n\n" for i in range(4)
    )
    site.write("admin.md", guide)
    seed(site, n=3)
    run(site)
    ids = {eid: p["id"] for eid, p in site.intercom_pages().items() if eid.startswith("admin")}
    assert len(ids) == 5
    (site.root / "admin.md").unlink()
    before = write_calls(site.server.stats())

    report = run(site)
    assert (report.hidden, report.deleted) == (5, 0)  # the page and its four sections
    assert write_calls(site.server.stats()) == before + 5
    pages = site.intercom_pages()
    assert all(flags(pages[eid]) == (False, False) for eid in ids)

    site.write("admin.md", guide)
    report = run(site)
    assert (report.updated, report.restored, report.created) == (1, 1, 0)
    assert write_calls(site.server.stats()) == before + 10
    pages = site.intercom_pages()
    assert {eid: pages[eid]["id"] for eid in ids} == ids
    assert all(flags(pages[eid]) == (True, True) for eid in ids)


def test_a_refused_hide_fails_that_page_and_is_retried_next_run(site: Site) -> None:
    seed(site)
    run(site)
    (site.root / "kb" / "3.md").unlink()
    site.server.configure(max_html_bytes=20)  # Intercom refuses the upsert that would hide it
    report = run(site)
    assert (report.hidden, report.failed, report.status) == (0, 1, "partial")
    assert "hide:" in report.failures[0].reason
    assert flags(site.intercom_pages()["kb/3.md"]) == (True, True)  # still visible: retried
    row = state_row(site, "kb/3.md")
    assert row is not None and row["hidden_at"] is None and row["last_error"]

    site.server.configure(max_html_bytes=None)
    report = run(site)
    assert (report.hidden, report.failed, report.status) == (1, 0, "ok")
    assert flags(site.intercom_pages()["kb/3.md"]) == (False, False)
    row = state_row(site, "kb/3.md")
    assert row is not None and row["hidden_at"] is not None and row["last_error"] is None


def test_a_vanished_page_already_gone_from_intercom_is_forgotten(site: Site) -> None:
    seed(site)
    run(site)
    site.server.delete_page(site.intercom_pages()["kb/3.md"]["id"])  # deleted by hand
    (site.root / "kb" / "3.md").unlink()
    before = site.server.stats()
    report = run(site)
    after = site.server.stats()
    assert (report.hidden, report.deleted, report.failed) == (0, 1, 0)
    assert write_calls(after) == write_calls(before)  # the read's 404 was all: not re-made
    assert "kb/3.md" not in site.intercom_pages() and state_row(site, "kb/3.md") is None


def test_a_page_edited_in_intercom_is_hidden_with_the_edit_kept(site: Site) -> None:
    """Hiding sends back Intercom's own copy: only the two flags change."""
    seed(site)
    run(site)
    page_id = site.intercom_pages()["kb/3.md"]["id"]
    site.server.edit_page(page_id, title="Edited", html="<p>edited by hand</p>", url=None)
    (site.root / "kb" / "3.md").unlink()
    assert run(site).hidden == 1
    page = site.intercom_pages()["kb/3.md"]
    assert (page["id"], page["title"], page["html"], page.get("url")) == (
        page_id,
        "Edited",
        "<p>edited by hand</p>",
        None,
    )
    assert flags(page) == (False, False)


def test_a_hidden_page_that_comes_back_with_a_secret_is_deleted_at_once(site: Site) -> None:
    hide_one(site)
    site.write("kb/3.md", f"# Article 3\n\nOur key: aws_access_key_id = {AWS_KEY}\n")
    report = run(site)
    assert (report.held, report.restored, report.deleted) == (1, 0, 0)
    assert report.taken_down == 1
    assert "kb/3.md" not in site.intercom_pages()  # a secret never stays, even hidden
    row = state_row(site, "kb/3.md")
    assert row is not None and (row["hidden_at"], row["intercom_id"]) == (None, None)


def test_status_shows_hidden_pages_and_when_each_will_be_deleted(site: Site) -> None:
    hide_one(site)
    data = status_data(site.config())
    [docs] = data["connectors"]
    assert (docs["deletion"], docs["hide_for_seconds"], docs["hidden"]) == ("hide", 604800, 1)
    [page] = docs["hidden_pages"]
    assert page["external_id"] == "kb/3.md"
    assert page["delete_after"] == pytest.approx(page["hidden_at"] + 7 * 86400)
    assert docs["last_run"]["hidden"] == 1

    result = site.cli("status")
    assert result.returncode == 0, result.stdout + result.stderr
    after = datetime.fromtimestamp(page["delete_after"], UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert "docs: hidden kb/3.md" in result.stdout
    assert f"deleted by the first complete sync after {after} unless it comes back" in (
        result.stdout
    )
