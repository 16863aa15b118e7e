"""Every sync makes one cheap authenticated call even when nothing changed: a revoked token
fails the run (exit 3) at once, a Content Import Source deleted in Intercom is re-created and
refilled in the same run, and a changed connector url reaches the source."""

from __future__ import annotations

import httpx

from .conftest import Site, calls, write_calls

PAGES = {f"kb/p{i}.md": f"# Page {i}\n\nText {i}.\n" for i in range(5)}


def seeded(site: Site) -> None:
    for rel, text in PAGES.items():
        site.write(rel, text)
    done = site.cli("sync", "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_revoked_token_fails_a_run_that_has_nothing_to_send(site: Site) -> None:
    seeded(site)
    site.env = {**site.env, "TEST_INTERCOM_TOKEN": "revoked"}
    done = site.cli("sync", "--no-progress")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "revoked" not in done.stdout + done.stderr


def test_a_source_deleted_in_intercom_is_recreated_and_refilled_at_once(site: Site) -> None:
    seeded(site)
    [old] = site.server.sources()
    httpx.delete(
        f"{site.server.url}/ai/content_import_sources/{old['id']}",
        headers={"Authorization": f"Bearer {site.server.token}"},
    )
    assert site.intercom_pages() == {}
    plan = site.cli("plan")
    assert plan.returncode == 5 and "kb/p0.md" in plan.stdout  # every page would be sent again
    done = site.cli("sync", "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(site.intercom_pages()) == set(PAGES)  # nothing changed in the share
    [new] = site.server.sources()
    assert new["id"] != old["id"]


def test_a_changed_url_reaches_the_source_without_resending_pages(site: Site) -> None:
    seeded(site)
    before = site.server.stats()
    text = site.config_path.read_text(encoding="utf-8")
    site.config_path.write_text(
        text.replace("url: https://docs.example.com/", "url: https://help.example.com/", 1),
        encoding="utf-8",
    )
    plan = site.cli("plan")
    assert plan.returncode == 5, plan.stdout + plan.stderr  # the source would change
    assert "https://docs.example.com/ -> https://help.example.com/" in plan.stdout
    assert site.cli("sync", "--no-progress").returncode == 0
    after = site.server.stats()
    assert (
        calls(after, "updateContentImportSource") - calls(before, "updateContentImportSource") == 1
    )
    assert write_calls(after) - write_calls(before) == 1
    [source] = site.server.sources()
    assert source["url"] == "https://help.example.com/"
