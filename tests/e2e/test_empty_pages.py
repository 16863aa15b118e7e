"""Nothing empty reaches Fin: a title alone, an empty template or a 0-byte file is skipped with
its reason (never failed: the run stays ok), and a page that becomes empty is taken down."""

from __future__ import annotations

from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions

from .conftest import Site


def test_empty_shells_are_skipped_and_a_page_that_empties_is_taken_down(site: Site) -> None:
    site.write("title-only.md", "# Only a title\n")
    site.write("template.md", "# Meeting notes\n\n- \n- \n\n| Owner | Due |\n|---|---|\n| | |\n")
    site.write("blank.txt", "")
    site.write("answer.md", "# Refunds\n\nRefunds take five days.\n")
    [report] = sync_connectors(site.config(), options=SyncOptions())
    assert (report.created, report.skipped, report.failed, report.status) == (1, 3, 0, "ok")
    reasons = {skip.external_id: skip.reason for skip in report.skips}
    assert "only 0 character(s) of text beyond its title" in reasons["title-only.md"]
    assert "beyond its title" in reasons["template.md"]
    assert "empty file (0 bytes)" in reasons["blank.txt"]
    assert set(site.intercom_pages()) == {"answer.md"}

    site.write("answer.md", "# Refunds\n")
    [report] = sync_connectors(site.config(), options=SyncOptions())
    assert report.skipped == 1 and site.intercom_pages() == {}

    with site.config_path.open("a", encoding="utf-8") as config:
        config.write("    min_text_chars: 0\n")
    [report] = sync_connectors(site.config(), options=SyncOptions())
    assert {"title-only.md", "answer.md"} <= set(site.intercom_pages())
