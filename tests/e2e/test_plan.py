"""`ingestor plan`: what a sync would do, why, with diffs; writes nothing."""

from __future__ import annotations

from .conftest import Site, write_calls


def seed(site: Site) -> None:
    for i in range(6):
        site.write(f"kb/{i}.md", f"# Article {i}\n\nThe refund window is {i} days.\n")


def test_plan_lists_changes_with_reasons_and_exit_codes(site: Site) -> None:
    seed(site)
    result = site.cli("plan")
    assert result.returncode == 5, result.stdout + result.stderr
    assert "create docs: kb/0.md (new page)" in result.stdout
    assert "6 to create, 0 to update, 0 to delete, 0 unchanged" in result.stdout
    assert write_calls(site.server.stats()) == 0
    assert not site.intercom_pages()

    assert site.cli("sync", "--no-progress").returncode == 0
    result = site.cli("plan")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 to create, 0 to update, 0 to delete, 6 unchanged" in result.stdout


def test_plan_diff_shows_what_an_update_changes(site: Site) -> None:
    seed(site)
    site.cli("sync", "--no-progress")
    site.write("kb/2.md", "# Article 2\n\nThe refund window is 30 days.\n")
    before = write_calls(site.server.stats())
    result = site.cli("plan", "--diff")
    assert result.returncode == 5
    assert "update docs: kb/2.md (content changed)" in result.stdout
    assert "-The refund window is 2 days." in result.stdout
    assert "+The refund window is 30 days." in result.stdout
    assert write_calls(site.server.stats()) == before


def test_plan_shows_deletions_and_what_the_guard_would_keep(site: Site) -> None:
    seed(site)
    site.cli("sync", "--no-progress")
    (site.root / "kb" / "0.md").unlink()
    result = site.cli("plan")
    # deletion: hide (the default): hidden from Fin now, deleted a week later
    assert "hide docs: kb/0.md (vanished from the source; hidden, deleted after 7d)" in (
        result.stdout
    )
    assert "1 to hide, 0 to delete" in result.stdout
    for i in range(1, 6):
        (site.root / "kb" / f"{i}.md").unlink()
    result = site.cli("plan")
    assert result.returncode == 1  # needs attention: the guard would hold deletions back
    assert "keep docs: kb/3.md (vanished from the source, but the deletion guard" in result.stdout
    assert len(site.intercom_pages()) == 6
