"""Confluence space exports synced into the emulator through the real engine and a YAML config."""

from __future__ import annotations

import time

from .conftest import FILES, ExportSite, page_url
from .export_layout import export_files, write_export


def test_an_export_zip_syncs_every_page_clean(export_site: ExportSite) -> None:
    write_export(export_site.exports / "Confluence-space-export-1.html.zip", zipped=True)
    report = export_site.sync()
    assert (report.created, report.failed, report.listing_complete) == (5, 0, True)
    pages = export_site.pages()
    assert sorted(pages) == ["100", "200", "300", "301", "302"]
    assert {pid: page["title"] for pid, page in pages.items()}["302"] == "Refunds : how long?"
    assert pages["200"]["url"] == page_url("200")
    assert f'<a href="{page_url("301")}">' in pages["300"]["html"]  # children-only page
    for page in pages.values():
        for chrome in ("Created by", "Document generated", "Help Center : ", ".html"):
            assert chrome not in page["html"]
    assert [tuple(link) for link in report.broken_links] == [("100", "999")]


def test_a_new_export_updates_changed_pages_and_removes_deleted_ones(
    export_site: ExportSite,
) -> None:
    now = time.time()
    write_export(export_site.exports / "export-1.zip", zipped=True, mtime=now - 3600)
    assert export_site.sync().created == 5
    files = export_files(refunds_main="<p>Refunds take 3 days now.</p>")
    del files["Getting-started_200.html"]
    write_export(export_site.exports / "export-2.zip", files, zipped=True, mtime=now)
    report = export_site.sync()
    # 302 changed; 100 did not, but a page it links to left the export, so it is re-sent
    # deletion: hide (the default): the page that left the export is hidden from Fin, not gone
    assert (report.created, report.updated, report.hidden, report.deleted) == (0, 2, 1, 0)
    assert report.failed == 0
    pages = export_site.pages()
    hidden = pages["200"]
    assert (hidden["ai_agent_availability"], hidden["ai_copilot_availability"]) == (False, False)
    assert "3 days" in pages["302"]["html"]
    # the home page's link to the removed page is now dead: text only, and reported
    assert ("100", "200") in [tuple(link) for link in report.broken_links]
    assert f'href="{page_url("200")}"' not in pages["100"]["html"]
    again = export_site.sync()
    assert (again.created, again.updated, again.hidden, again.deleted) == (0, 0, 0, 0)


def test_a_broken_newest_export_deletes_nothing(export_site: ExportSite) -> None:
    now = time.time()
    write_export(export_site.exports / "export-1.zip", zipped=True, mtime=now - 3600)
    assert export_site.sync().created == 5
    (export_site.exports / "export-2.zip").write_bytes(b"PK\x03\x04 cut short")
    report = export_site.sync()
    assert (report.deleted, report.listing_complete) == (0, False)
    assert len(export_site.pages()) == 5


def test_asset_base_url_from_the_yaml_links_files(export_site: ExportSite) -> None:
    write_export(export_site.exports, zipped=False)
    export_site.configure(asset_base_url=FILES)
    report = export_site.sync()
    assert (report.created, report.failed) == (5, 0)
    home = export_site.pages()["100"]["html"]
    assert f'src="{FILES}/attachments/100/101.png"' in home
    assert f'href="{FILES}/attachments/100/103.pdf"' in home
