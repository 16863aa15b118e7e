"""`ingestor plan`: what a sync would do, why, with diffs; writes nothing."""

from __future__ import annotations

import socket

from ingestor.commands.plan import IntercomCopies
from ingestor.http import RetryPolicy
from ingestor.intercom import IntercomClient

from .conftest import Site, calls, write_calls


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


def test_plan_diff_reads_intercoms_copy_by_id_for_the_pages_shown_only(site: Site) -> None:
    """State keeps only a digest of the HTML sent: the diff is against Intercom's own copy."""
    seed(site)
    site.cli("sync", "--no-progress")
    site.server.edit_page(site.intercom_pages()["kb/2.md"]["id"], html="<p>Edited by hand.</p>")
    site.write("kb/2.md", "# Article 2\n\nThe refund window is 30 days.\n")
    before = site.server.stats()
    result = site.cli("plan", "--diff")
    after = site.server.stats()
    assert result.returncode == 5, result.stdout + result.stderr
    assert "--- kb/2.md (in Intercom)" in result.stdout
    assert "-Edited by hand." in result.stdout
    assert "+The refund window is 30 days." in result.stdout
    assert calls(after, "getExternalPage") - calls(before, "getExternalPage") == 1
    assert write_calls(after) == write_calls(before)
    # without --diff no page is read
    site.cli("plan")
    assert calls(site.server.stats(), "getExternalPage") == calls(after, "getExternalPage")


def test_plan_diff_says_why_when_intercoms_copy_is_gone(site: Site) -> None:
    seed(site)
    site.cli("sync", "--no-progress")
    page_id = site.intercom_pages()["kb/2.md"]["id"]
    site.server.delete_page(page_id)
    site.write("kb/2.md", "# Article 2\n\nThe refund window is 30 days.\n")
    result = site.cli("plan", "--diff")
    assert result.returncode == 5, result.stdout + result.stderr
    assert "update docs: kb/2.md (content changed)" in result.stdout
    assert f"(Intercom no longer has page {page_id}; no diff)" in result.stdout


def test_intercoms_copies_offline_or_without_a_token_say_so_and_ask_no_more(site: Site) -> None:
    seed(site)
    site.cli("sync", "--no-progress")
    with socket.socket() as probe:  # a port nothing listens on: Intercom unreachable
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    made: list[IntercomClient] = []

    def offline() -> IntercomClient:
        made.append(IntercomClient("t", base_url=dead, policy=RetryPolicy(max_attempts=1)))
        return made[-1]

    copies = IntercomCopies(site.state, offline)
    try:
        first = copies.html("docs", "kb/1.md")
        second = copies.html("docs", "kb/2.md")
        unknown = copies.html("docs", "kb/none.md")
    finally:
        copies.close()
    assert first[0] is None and first[1].startswith("Intercom's copy could not be read: ")
    assert second[0] is None and second[1].startswith("Intercom's copy not read: ")
    assert unknown == (None, "state records no Intercom id for this page; run a sync to start")
    assert len(made) == 1

    copies = IntercomCopies(site.state, lambda: IntercomClient(""))  # no token
    try:
        html, why = copies.html("docs", "kb/1.md")
    finally:
        copies.close()
    assert html is None and "the access token is empty" in why
