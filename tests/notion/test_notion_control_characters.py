"""Control characters in a Notion export (a file named ``scan\\x01.png``, linked as
``scan%01.png``) neither crash ``preview`` nor fail the page with a traceback (issue 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingestor.commands.preview import write_preview

from .conftest import NotionSite, write_zip

PAGE = "ab" * 16
OTHER = "cd" * 16
HTML_PAGE = "ef" * 16

MARKDOWN = (
    '# Scans\n\nSee ![](scan%01.png) and [](scan%01.png) and <a href="scan%01.png"></a>, '
    f"the [other page](Other%01%20{OTHER}.md#part%01) and a raw \x01control.\n"
)
HTML = (
    "<html><head><title>Web\x1b[31m page</title></head><body><article>"
    '<header><h1 class="page-title">Web page</h1></header><div class="page-body">'
    '<p><a href="scan%01.png"></a> and <a href="scan.png#x&#1;y">z</a> &#27;[2J done</p>'
    '<figure class="bookmark"><a href="https://example.com/&#1;b" class="bookmark source">'
    '<div class="bookmark-title">Mark&#1;ed</div></a></figure>'
    "</div></article></body></html>"
)


@pytest.fixture
def export(notion_site: NotionSite) -> NotionSite:
    write_zip(
        notion_site.exports / "Export-1.zip",
        {
            f"Export-x/Scans {PAGE}.md": MARKDOWN.encode(),
            f"Export-x/Other\x01 {OTHER}.md": b"# Other\n\nText.\n",
            f"Export-x/Web page {HTML_PAGE}.html": HTML.encode(),
            "Export-x/scan\x01.png": b"\x89PNG",
        },
    )
    return notion_site


def test_preview_shows_the_pages_with_a_note_instead_of_crashing(
    export: NotionSite, tmp_path: Path
) -> None:
    rows = write_preview(export.config(), tmp_path / "preview")
    by_id = {row.external_id: row for row in rows}
    assert set(by_id) == {PAGE, OTHER, HTML_PAGE}
    assert all(not any("not sent" in w for w in row.warnings) for row in rows)
    scans = json.loads((tmp_path / "preview" / by_id[PAGE].file).with_suffix(".json").read_text())
    html = scans["html"]
    assert html.count("[file not included: scan.png]") == 3
    assert f'href="https://help.example.com/p/{OTHER}#part%01"' in html
    assert "raw control" in html
    web = json.loads(
        (tmp_path / "preview" / by_id[HTML_PAGE].file).with_suffix(".json").read_text()
    )
    assert web["title"] == "Web page"
    assert "\x01" not in web["html"] and "\x1b" not in web["html"]


def test_sync_sends_every_page_without_failures(export: NotionSite) -> None:
    report = export.sync()
    assert (report.created, report.failed, report.status) == (3, 0, "ok")
    for page in export.pages().values():
        assert "\x01" not in page["html"] + page["title"] and "\x1b" not in page["html"]
