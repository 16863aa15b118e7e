"""Turning section_bytes on for an installation that already synced: each page over it is
sent again once, as sections (its own id first, the others new), nothing still in the source
is deleted, pages under it are not sent again, and `plan` says why beforehand. Turning it off
sends the page whole again and takes its sections down."""

from __future__ import annotations

import pytest

from ingestor.engine import policy
from ingestor.engine.policy import PagePolicy
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions

from .conftest import Site, calls, write_calls

SECTION_BYTES = 2_000


def guide() -> str:
    text = "# Admin guide\n\nRead this first.\n\n"
    for i in range(4):
        text += f"## Step {i}\n\n" + ("configure " * 120) + "\n\n"
    return text


def set_section_bytes(site: Site, defaults: int, connector: int | None = None) -> None:
    """``defaults.section_bytes``, and the connector's own override when given."""
    site.write_config()
    text = site.config_path.read_text()
    text = text.replace("defaults:\n", f"defaults:\n  section_bytes: {defaults}\n")
    if connector is not None:
        text = text.replace(
            "    type: filesystem\n", f"    type: filesystem\n    section_bytes: {connector}\n"
        )
    site.config_path.write_text(text)


def test_switching_section_bytes_on_resends_long_pages_once_and_deletes_nothing(
    site: Site,
) -> None:
    set_section_bytes(site, 0)
    site.write("admin.md", guide())
    for i in range(3):
        site.write(f"faq-{i}.md", f"# Question {i}\n\nA short answer.\n")
    assert site.cli("sync", "--no-progress").returncode == 0
    assert sorted(site.intercom_pages()) == ["admin.md", "faq-0.md", "faq-1.md", "faq-2.md"]
    before = write_calls(site.server.stats())

    set_section_bytes(site, 0, connector=SECTION_BYTES)  # the connector's override wins
    plan = site.cli("plan")
    assert plan.returncode == 5, plan.stdout + plan.stderr
    assert (
        "update docs: admin.md (content changed; split into 4 sections "
        f"(section_bytes {SECTION_BYTES:,}, sized for answers), 4 to send)" in plan.stdout
    ), plan.stdout
    assert "0 to create, 1 to update, 0 to delete, 3 unchanged" in plan.stdout
    assert write_calls(site.server.stats()) == before  # plan writes nothing

    result = site.cli("sync", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    pages = site.intercom_pages()
    assert sorted(pages) == [  # the short intro and Step 0 fit 2,000 bytes: one section
        "admin.md",
        "admin.md#step-1",
        "admin.md#step-2",
        "admin.md#step-3",
        "faq-0.md",
        "faq-1.md",
        "faq-2.md",
    ]
    assert pages["admin.md#step-1"]["title"] == "Admin guide — Step 1"
    assert pages["admin.md#step-1"]["url"] == "https://docs.example.com/admin.md#step-1"
    assert all(len(pages[e]["html"].encode()) <= SECTION_BYTES for e in pages if "admin" in e)
    assert "Step 0" in pages["admin.md"]["html"]
    assert write_calls(site.server.stats()) == before + 4  # the page and its 3 new sections
    assert calls(site.server.stats(), "deleteExternalPage") == 0

    assert site.cli("sync", "--no-progress").returncode == 0
    assert write_calls(site.server.stats()) == before + 4  # once: the next run sends nothing

    set_section_bytes(site, 0)  # off again: the page is sent whole, its sections taken down
    assert site.cli("sync", "--no-progress").returncode == 0
    assert sorted(site.intercom_pages()) == ["admin.md", "faq-0.md", "faq-1.md", "faq-2.md"]
    assert calls(site.server.stats(), "deleteExternalPage") == 3


def test_section_bytes_default_splits_nothing_shorter() -> None:
    """The default applies to every installation: a page under it is the page as before
    (same hash), so upgrading re-sends no such page."""
    from ingestor.config._models import SECTION_BYTES_DEFAULT
    from ingestor.connectors.base import Document
    from ingestor.convert import convert_document, split_page

    page = convert_document(Document("a.md", guide(), "markdown", url="https://x.example/a"))
    assert len(page.html.encode()) < SECTION_BYTES_DEFAULT
    assert split_page(page, 1_000_000, section_bytes=SECTION_BYTES_DEFAULT) == [page]


def test_a_new_way_of_cutting_re_reads_pages_where_sections_are_on_and_resends_only_changes(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    on, off = PagePolicy(section_bytes=SECTION_BYTES), PagePolicy(section_bytes=0)
    before = (on.fingerprint(), off.fingerprint())
    monkeypatch.setattr(policy, "SECTION_SPLIT_VERSION", policy.SECTION_SPLIT_VERSION + "-next")
    assert on.fingerprint() != before[0] and off.fingerprint() == before[1]
    monkeypatch.undo()

    set_section_bytes(site, SECTION_BYTES)
    site.write("admin.md", guide())
    site.write("faq.md", "# Question\n\nA short answer.\n")
    assert site.cli("sync", "--no-progress").returncode == 0
    sent = write_calls(site.server.stats())
    versions = dict(site.sql("SELECT external_id, version FROM pages"))

    monkeypatch.setattr(policy, "SECTION_SPLIT_VERSION", policy.SECTION_SPLIT_VERSION + "-next")
    [run] = sync_connectors(site.config(), options=SyncOptions())
    # every page read again (the version gate let it through: each is recorded under the new
    # settings), none sent: no cut moved
    assert (run.listed, run.unchanged, run.updated, run.created) == (2, 2, 0, 0), run
    assert write_calls(site.server.stats()) == sent
    now = dict(site.sql("SELECT external_id, version FROM pages"))
    assert now.keys() == versions.keys()
    assert all(now[eid] != versions[eid] for eid in ("admin.md", "faq.md")), now
