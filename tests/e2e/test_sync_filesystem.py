"""A file share synced into the emulator: the capability as an admin sees it."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions

from .conftest import Site, calls, total_calls, write_calls


def seed(site: Site, n: int = 6) -> None:
    site.write(
        "guide/intro.md",
        "---\ntitle: Intro from front matter\n---\n\n# Heading\n\nSee [setup](setup.md).\n",
    )
    site.write("guide/setup.md", "# Setting up\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    site.write(
        "faq.html",
        "<html><head><title>FAQ page</title><script>evil()</script></head><body>"
        "<nav>menu</nav><main><h1>FAQ</h1><p onclick='x()'>Answer one.</p>"
        "<a href='javascript:alert(1)'>bad</a><a href='/contact'>contact</a></main>"
        "<footer>chrome</footer></body></html>",
    )
    site.write("notes.txt", "Plain notes\n\nSecond paragraph.\n")
    for i in range(n - 4):
        site.write(f"more/page-{i}.md", f"# Page {i}\n\nBody of page {i}.\n")


def run(site: Site, **options: bool) -> list:  # type: ignore[type-arg]
    return sync_connectors(site.config(), options=SyncOptions(**options))


@pytest.mark.state_backends
def test_first_sync_creates_every_page_with_title_url_html_and_both_flags(site: Site) -> None:
    seed(site)
    [report] = run(site)
    assert (report.created, report.failed, report.status) == (6, 0, "ok")

    pages = site.intercom_pages()
    assert set(pages) == {
        "guide/intro.md",
        "guide/setup.md",
        "faq.html",
        "notes.txt",
        "more/page-0.md",
        "more/page-1.md",
    }
    source_ids = {p["source_id"] for p in pages.values()}
    assert len(source_ids) == 1
    for page in pages.values():
        assert page["ai_agent_availability"] is True
        assert page["ai_copilot_availability"] is True
        assert page["locale"] == "en"
    intro = pages["guide/intro.md"]
    assert intro["title"] == "Intro from front matter"
    assert intro["url"] == "https://docs.example.com/guide/intro.md"
    assert 'href="https://docs.example.com/guide/setup.md"' in intro["html"]
    setup = pages["guide/setup.md"]
    assert setup["title"] == "Setting up"
    assert "<table>" in setup["html"] and "<td>1</td>" in setup["html"]
    faq = pages["faq.html"]
    assert faq["title"] in ("FAQ", "FAQ page")
    assert "Answer one." in faq["html"]
    for bad in ("evil()", "onclick", "javascript:", "menu", "chrome", "<script"):
        assert bad not in faq["html"]
    # /contact would be a page of the share, and the share holds none: sent as its words
    assert "https://docs.example.com/contact" not in faq["html"] and "contact" in faq["html"]
    assert pages["notes.txt"]["title"]


@pytest.mark.state_backends
def test_second_sync_makes_one_read_call_only(site: Site) -> None:
    seed(site)
    run(site)
    before = site.server.stats()
    [report] = run(site)
    after = site.server.stats()
    assert report.unchanged == 6
    assert (report.created, report.updated, report.deleted, report.failed) == (0, 0, 0, 0)
    # one cheap authenticated call even when nothing changed: a revoked token or a source
    # deleted in Intercom is seen at once
    assert total_calls(after) == total_calls(before) + 1
    assert calls(after, "getContentImportSource") - calls(before, "getContentImportSource") == 1


@pytest.mark.state_backends
def test_edit_add_remove_make_exactly_the_matching_calls(site: Site) -> None:
    seed(site)
    run(site)
    base = site.server.stats()

    site.write("guide/setup.md", "# Setting up\n\nNew instructions.\n")
    [report] = run(site)
    edited = site.server.stats()
    assert (report.updated, report.created, report.deleted) == (1, 0, 0)
    assert write_calls(edited) - write_calls(base) == 1
    assert "New instructions." in site.intercom_pages()["guide/setup.md"]["html"]

    site.write("guide/new.md", "# Brand new\n\nFresh content.\n")
    [report] = run(site)
    added = site.server.stats()
    assert (report.updated, report.created, report.deleted) == (0, 1, 0)
    assert write_calls(added) - write_calls(edited) == 1

    (site.root / "notes.txt").unlink()
    [report] = run(site)
    removed = site.server.stats()
    # deletion: hide (the default): one upsert hides it from Fin, nothing is deleted yet
    assert (report.updated, report.created, report.hidden, report.deleted) == (0, 0, 1, 0)
    assert calls(removed, "createExternalPage") - calls(added, "createExternalPage") == 1
    assert write_calls(removed) - write_calls(added) == 1
    notes = site.intercom_pages()["notes.txt"]
    assert (notes["ai_agent_availability"], notes["ai_copilot_availability"]) == (False, False)

    site.write_config(deletion="delete")
    (site.root / "faq.html").unlink()
    [report] = run(site)
    deleted = site.server.stats()
    # deletion: delete: deleted at once, and so is the page hidden before
    assert (report.updated, report.created, report.hidden, report.deleted) == (0, 0, 0, 2)
    assert calls(deleted, "deleteExternalPage") - calls(removed, "deleteExternalPage") == 2
    assert write_calls(deleted) - write_calls(removed) == 2
    assert "faq.html" not in site.intercom_pages() and "notes.txt" not in site.intercom_pages()


def test_whitespace_only_edit_and_touch_cost_no_write(site: Site) -> None:
    seed(site)
    run(site)
    base = write_calls(site.server.stats())
    path = site.root / "faq.html"
    path.write_text(path.read_text().replace("<p ", "\n\n   <p   "), encoding="utf-8")
    os.utime(site.root / "notes.txt", (time.time() + 5, time.time() + 5))
    [report] = run(site)
    assert report.unchanged == 6 and report.updated == 0
    assert write_calls(site.server.stats()) == base
    # the new versions were recorded: a third run does not even read the files
    [report] = run(site)
    assert report.unchanged == 6


@pytest.mark.state_backends
def test_deletion_guard_blocks_mass_delete_and_empty_root(site: Site) -> None:
    seed(site, n=6)
    run(site)
    for rel in ("more/page-0.md", "more/page-1.md", "notes.txt", "faq.html"):
        (site.root / rel).unlink()
    [report] = run(site)
    assert report.deleted == 0 and report.deletion_blocked
    assert report.status == "partial"
    assert len(site.intercom_pages()) == 6

    for path in list(site.root.rglob("*")):
        if path.is_file():
            path.unlink()
    [report] = run(site)
    assert report.deleted == 0 and "all 6 pages" in (report.deletion_blocked or "")
    assert len(site.intercom_pages()) == 6

    [report] = run(site, allow_mass_delete=True)
    assert (report.hidden, report.deleted) == (6, 0)  # deletion: hide, the default
    pages = site.intercom_pages().values()
    assert len(pages) == 6 and not any(p["ai_agent_availability"] for p in pages)


@pytest.mark.state_backends
def test_dry_run_makes_no_write_call_and_lists_changes(site: Site) -> None:
    seed(site)
    [report] = run(site, dry_run=True)
    assert report.created == 6
    assert write_calls(site.server.stats()) == 0
    assert site.intercom_pages() == {}
    run(site)
    site.write("guide/setup.md", "# Changed\n\nNew text.\n")
    before = write_calls(site.server.stats())
    [report] = run(site, dry_run=True)
    assert [(c.external_id, c.outcome.value) for c in report.changes] == [
        ("guide/setup.md", "updated")
    ]
    assert write_calls(site.server.stats()) == before


def test_full_resends_every_page(site: Site) -> None:
    seed(site)
    run(site)
    before = calls(site.server.stats(), "createExternalPage")
    [report] = run(site, full=True)
    assert report.updated == 6
    assert calls(site.server.stats(), "createExternalPage") - before == 6


def test_existing_source_is_adopted_by_url(site: Site) -> None:
    import httpx

    created = httpx.post(
        f"{site.server.url}/ai/content_import_sources",
        json={"sync_behavior": "api", "url": "https://docs.example.com/"},
        headers={"Authorization": f"Bearer {site.server.token}"},
    ).json()
    seed(site)
    run(site)
    assert {p["source_id"] for p in site.intercom_pages().values()} == {created["id"]}
    assert calls(site.server.stats(), "createContentImportSource") == 1  # only ours above


def test_source_deleted_in_intercom_is_recreated(site: Site) -> None:
    import httpx

    seed(site)
    run(site)
    [source_id] = {p["source_id"] for p in site.intercom_pages().values()}
    httpx.delete(
        f"{site.server.url}/ai/content_import_sources/{source_id}",
        headers={"Authorization": f"Bearer {site.server.token}"},
    )
    site.write("guide/setup.md", "# Setting up again\n\nRevised steps.\n")
    [report] = run(site, full=True)
    assert report.failed == 0
    pages = site.intercom_pages()
    assert len(pages) == 6
    assert {p["source_id"] for p in pages.values()} != {source_id}


@pytest.mark.state_backends
def test_rate_limit_storm_and_injected_faults_converge(make_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = EmulatorSettings(
        rate_limit=15, window_seconds=1, fault_5xx_rate=0.15, fault_drop_rate=0.05, seed=7
    )
    with EmulatorServer(settings) as server:
        site = make_site(server)
        seed(site, n=40)
        reports = run(site)
        for _ in range(4):  # a page may exhaust its retries; the next run picks it up
            if reports[0].failed == 0 and reports[0].error is None:
                break
            reports = run(site)
        assert reports[0].failed == 0, reports[0].failures
        assert reports[0].error is None, reports[0].error
        pages = site.intercom_pages()
        assert len(pages) == 40
        stats = server.stats()
        assert stats["rate_limited"] >= 0
        [report] = run(site)
        assert report.unchanged == 40


def test_token_never_appears_in_logs(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seed(site)
    (site.root / "bad.md").write_bytes(b"\x00\x01binary")
    run(site)
    site.write_config(max_attempts=1)
    result = site.cli("sync", "--log-level", "DEBUG")
    everything = caplog.text + result.stdout + result.stderr
    assert site.server.token not in everything
    assert "bad.md" in everything


def test_cli_exit_codes_and_summary(site: Site) -> None:
    seed(site)
    result = site.cli("sync", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout and "docs" in result.stdout
    site.write("broken.md", "")  # empty page: nothing to send
    (site.root / "broken.md").write_bytes(b"\x00" * 64)
    result = site.cli("sync", "--no-progress")
    assert result.returncode == 1
    assert "broken.md" in result.stdout
    result = site.cli("status")
    assert result.returncode == 0 and "docs" in result.stdout and "broken.md" in result.stdout


def test_cli_exit_code_3_on_bad_token(site: Site) -> None:
    seed(site)
    site.env["TEST_INTERCOM_TOKEN"] = "wrong-token-value"
    result = site.cli("sync", "--no-progress")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "wrong-token-value" not in result.stdout + result.stderr


def test_a_refused_token_names_the_connectors_it_left_unrun(site: Site) -> None:
    seed(site)
    with site.config_path.open("a", encoding="utf-8") as config:
        for name in ("handbook", "wiki"):
            config.write(
                f"  - name: {name}\n    type: filesystem\n    url: https://{name}.example.com/\n"
                f"    root: {site.root}\n    url_template: 'https://{name}.example.com/{{path}}'\n"
            )
    site.env["TEST_INTERCOM_TOKEN"] = "wrong-token-value"
    result = site.cli("sync", "--no-progress")
    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    assert "connectors handbook, wiki were not run: docs failed" in output


def test_cli_exit_code_2_on_bad_config(site: Site) -> None:
    site.config_path.write_text("intercom:\n  token: x\n  colour: blue\n", encoding="utf-8")
    result = site.cli("validate")
    assert result.returncode == 2
    assert "colour" in result.stderr and ":3" in result.stderr
