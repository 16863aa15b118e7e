"""Reconcile against the emulator: what Intercom lost or changed behind our back is put right in
the same run, and said (issue 14, point 1)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Site


def _by_eid(site: Site, eid: str) -> dict[str, Any]:
    return site.intercom()[eid]


@pytest.mark.state_backends
def test_nothing_changed_costs_list_calls_and_writes_nothing(site: Site) -> None:
    site.pages(5)
    assert site.sync().created == 5
    writes = site.writes()

    report = site.reconcile()

    assert report.status == "ok"
    assert report.findings.matching == 5
    assert report.sync is not None and report.sync.created + report.sync.updated == 0
    assert site.writes() == writes


def test_source_deleted_out_of_band_is_recreated_and_refilled_in_the_same_run(site: Site) -> None:
    site.pages(30)
    site.sync()
    (source,) = site.server.sources()
    assert site.server.delete_source(source["id"]) == 30

    report = site.reconcile()

    assert report.source_deleted
    assert report.sync is not None and report.sync.created == 30
    sources = site.server.sources()
    assert len(sources) == 1 and sources[0]["id"] != source["id"]
    pages = site.intercom()
    assert len(pages) == 30
    assert {p["source_id"] for p in pages.values()} == {sources[0]["id"]}
    writes = site.writes()
    assert site.sync().status == "ok"
    assert site.writes() == writes


@pytest.mark.state_backends
def test_page_deleted_out_of_band_is_resent(site: Site) -> None:
    site.pages(10)
    site.sync()
    gone = _by_eid(site, "p0003.md")
    site.server.delete_page(gone["id"])
    assert site.sync().created == 0  # a sync alone does not look at Intercom's pages

    report = site.reconcile()

    assert report.findings.missing == ["p0003.md"]
    assert report.sync is not None and report.sync.created == 1
    back = _by_eid(site, "p0003.md")
    assert back["title"] == gone["title"] and back["html"] == gone["html"]
    assert len(site.intercom()) == 10


@pytest.mark.parametrize(
    ("field", "edit"),
    [
        ("title", {"title": "Edited by hand"}),
        ("html", {"html": "<p>edited by hand</p>"}),
        ("url", {"url": "https://elsewhere.example.com/x"}),
        ("availability", {"ai_agent_availability": False}),
    ],
)
@pytest.mark.state_backends
def test_page_edited_out_of_band_is_overwritten_and_listed_as_drift(
    site: Site, field: str, edit: dict[str, Any]
) -> None:
    site.pages(4)
    site.sync()
    before = _by_eid(site, "p0001.md")
    site.server.edit_page(before["id"], **edit)

    report = site.reconcile()

    assert report.findings.drifted == {"p0001.md": [field]}
    assert report.sync is not None and report.sync.updated == 1
    after = _by_eid(site, "p0001.md")
    for key in ("id", "title", "html", "url", "ai_agent_availability", "ai_copilot_availability"):
        assert after[key] == before[key], key


@pytest.mark.state_backends
def test_lost_state_is_adopted_without_a_write(site: Site) -> None:
    site.pages(25)
    site.sync()
    before = site.intercom()
    site.lose_state()
    writes = site.writes()

    report = site.reconcile()

    assert report.source_adopted
    assert len(report.adopted) == 25 and not report.adopted_updated
    assert site.writes() == writes
    assert site.intercom() == before
    writes = site.writes()
    again = site.sync()
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    assert site.writes() == writes


def test_an_unknown_page_that_differs_is_updated_not_duplicated(site: Site) -> None:
    site.pages(3)
    site.sync()
    site.lose_state()
    site.write("p0002.md", "# Page 2\n\nChanged while the state was lost.\n")

    report = site.reconcile()

    assert sorted(report.adopted) == ["p0000.md", "p0001.md"]
    assert report.adopted_updated == ["p0002.md"]
    assert "Changed while the state was lost" in _by_eid(site, "p0002.md")["html"]
    assert len(site.intercom()) == 3


def _restore_backup_with_files_removed(site: Site) -> None:
    """State backed up at 10 pages; 5 more synced; 3 of those removed; the backup restored."""
    site.pages(10)
    site.sync()
    backup = site.back_up_state()
    for n in range(10, 15):
        site.write(f"p{n:04d}.md", f"# Page {n}\n\nAdded after the backup.\n")
    assert site.sync().created == 5
    for n in (12, 13, 14):
        (site.root / f"p{n:04d}.md").unlink()
    site.restore_state(backup)


def test_restored_backup_orphans_are_deleted_and_the_rest_adopted(site: Site) -> None:
    _restore_backup_with_files_removed(site)
    writes = site.writes()

    report = site.reconcile()

    assert [eid for eid, _ in report.findings.orphans] == ["p0012.md", "p0013.md", "p0014.md"]
    assert report.orphans_deleted == 3
    assert sorted(report.adopted) == ["p0010.md", "p0011.md"]
    assert sorted(site.intercom()) == [f"p{n:04d}.md" for n in range(12)]
    assert site.calls("deleteExternalPage") == 3
    assert site.writes() == writes + 3


def test_orphans_stay_behind_the_deletion_guard(site: Site) -> None:
    _restore_backup_with_files_removed(site)
    site.write_config(max_delete_fraction=0.1)

    held = site.reconcile()

    assert held.status == "partial"
    assert held.deletion_blocked is not None and "deletion guard" in held.deletion_blocked
    assert len(site.intercom()) == 15
    forced = site.reconcile(allow_mass_delete=True)
    assert forced.orphans_deleted == 3 and forced.status == "ok"
    assert len(site.intercom()) == 12


def test_dry_run_finds_and_writes_nothing(site: Site) -> None:
    site.pages(6)
    site.sync()
    pages = site.intercom()
    site.server.delete_page(pages["p0000.md"]["id"])
    site.server.edit_page(pages["p0001.md"]["id"], title="Edited")
    state_before = site.snapshot()
    writes = site.writes()

    result = site.cli("reconcile", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "1 missing, 1 drifted" in result.stdout
    assert "p0001.md (title)" in result.stdout
    assert site.writes() == writes
    assert site.snapshot() == state_before
    assert "p0000.md" not in site.intercom()


def test_plan_shows_the_drift_the_last_reconcile_found(site: Site) -> None:
    site.pages(3)
    site.sync()
    pages = site.intercom()
    site.server.edit_page(pages["p0001.md"]["id"], title="Edited", ai_copilot_availability=False)
    site.server.delete_page(pages["p0002.md"]["id"])
    report = site.reconcile()

    result = site.cli("plan")

    assert result.returncode == 0, result.stdout + result.stderr  # repaired: nothing to do
    assert "last reconcile of docs" in result.stdout
    assert "1 missing, 1 drifted, 0 orphans" in result.stdout
    assert "drifted: p0001.md (title, availability)" in result.stdout
    assert "missing: p0002.md" in result.stdout
    assert f"repaired by run {report.sync.run_id if report.sync else None} (ok)" in result.stdout
    status = site.cli("status")
    assert status.returncode == 0, status.stderr
    assert "docs: last reconcile" in status.stdout
    assert "ok (1 missing, 1 drifted, 0 orphans, 0 adopted)" in status.stdout


def _hide_in_state(site: Site, external_id: str) -> None:
    """What ``deletion: hide`` records for a page it took down (its helper owns the rest)."""
    site.sql(
        "UPDATE pages SET hidden_at = '2026-01-01T00:00:00.000000+00:00' WHERE external_id = :e",
        e=external_id,
    )


def test_a_hidden_page_made_visible_in_intercom_is_hidden_again(site: Site) -> None:
    site.pages(3)
    site.sync()
    pages = site.intercom()
    _hide_in_state(site, "p0001.md")
    site.server.edit_page(
        pages["p0001.md"]["id"], ai_agent_availability=False, ai_copilot_availability=False
    )
    assert site.reconcile().findings.matching == 3  # hidden: both flags false is its copy

    site.server.edit_page(pages["p0001.md"]["id"], ai_agent_availability=True)
    report = site.reconcile()

    assert report.findings.drifted == {"p0001.md": ["availability"]}
    assert report.rehidden == 1
    copy = site.intercom()["p0001.md"]
    assert (copy["ai_agent_availability"], copy["ai_copilot_availability"]) == (False, False)
    assert copy["id"] == pages["p0001.md"]["id"]
    # its listed copy was sent back (state keeps only a digest of the HTML): content unchanged
    assert (copy["title"], copy["html"]) == (pages["p0001.md"]["title"], pages["p0001.md"]["html"])
