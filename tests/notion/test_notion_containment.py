"""Nothing from outside a Notion export reaches Intercom: links, FIFOs, swaps, zips in a folder.

Real unpacked export folders and zips, synced by the real engine into the emulator.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from ingestor.engine.report import PageEvent
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions

from .conftest import NotionSite, write_zip

SECRET = "OUTSIDE-THE-EXPORT-MARKER"
HOME = "11" * 16
GUIDE = "22" * 16
LEAK = "33" * 16
PASSWD = "44" * 16
PIPE = "55" * 16
ALIAS = "66" * 16
TABLE = "77" * 16


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    (folder / "private").mkdir(parents=True)
    (folder / "secret.md").write_text(f"# Secret\n\n{SECRET}\n")
    (folder / "table.csv").write_text(f"Name,Value\n{SECRET},1\n")
    (folder / "private" / f"Private {'88' * 16}.md").write_text(f"# P\n\n{SECRET}\n")
    return folder


def unpacked_export(tmp_path: Path, outside: Path) -> Path:
    """An unpacked export whose folder also holds links out of it, a FIFO and an inside link."""
    root = tmp_path / "unpacked" / "Export-abc"
    root.mkdir(parents=True)
    (root / f"Home {HOME}.md").write_text(f"# Home\n\nSee [Guide](Guide%20{GUIDE}.md).\n")
    (root / f"Guide {GUIDE}.md").write_text("# Guide\n\nHow to start.\n")
    (root / f"Leak {LEAK}.md").symlink_to(outside / "secret.md")
    (root / f"Passwd {PASSWD}.html").symlink_to("/etc/passwd")
    (root / f"Table {TABLE}.csv").symlink_to("../../outside/table.csv")
    (root / f"Alias {ALIAS}.md").symlink_to(f"Guide {GUIDE}.md")
    (root / "Private").symlink_to(outside / "private", target_is_directory=True)
    os.mkfifo(root / f"Pipe {PIPE}.md")
    return root.parent


def skipped(events: list[PageEvent]) -> dict[str, str]:
    return {event.external_id: event.reason for event in events}


def assert_no_secret(site: NotionSite) -> None:
    for page in site.pages().values():
        assert SECRET not in page["html"] and "root:x:0:0" not in page["html"]


def test_unpacked_export_links_out_are_skipped_and_counted(
    notion_site: NotionSite, tmp_path: Path, outside: Path
) -> None:
    notion_site.configure(unpacked_export(tmp_path, outside))
    report = notion_site.sync()
    assert (report.status, report.listing_complete, report.failed) == ("ok", True, 0)
    assert set(notion_site.pages()) == {HOME, GUIDE, ALIAS}  # the inside link still works
    assert notion_site.pages()[ALIAS]["html"] == notion_site.pages()[GUIDE]["html"]
    reasons = skipped(report.skips)
    assert reasons[LEAK] == (
        f"symlink leaves the export: Export-abc/Leak {LEAK}.md -> {outside / 'secret.md'}"
    )
    assert reasons[PASSWD].endswith(f"Passwd {PASSWD}.html -> /etc/passwd")
    assert reasons[TABLE].endswith(f"Table {TABLE}.csv -> ../../outside/table.csv")
    assert (
        reasons[PIPE] == f"Export-abc/Pipe {PIPE}.md: not a regular file (a FIFO); nothing is read"
    )
    assert report.skipped == 4
    assert_no_secret(notion_site)
    again = notion_site.sync()  # skipped versions are remembered: not partial, not re-read
    assert (again.status, again.skipped, again.unchanged) == ("ok", 0, 7)


def test_page_swapped_for_an_outside_link_after_listing_is_taken_down(
    notion_site: NotionSite, tmp_path: Path, outside: Path
) -> None:
    folder = unpacked_export(tmp_path, outside)
    notion_site.configure(folder)
    notion_site.sync()
    guide = folder / "Export-abc" / f"Guide {GUIDE}.md"
    guide.write_text("# Guide\n\nHow to start, edited.\n")  # so the next run fetches it

    class SwapAfterListing:
        """Swaps the page for a link between the engine's listing and its fetches."""

        def listed(self, connector: str, *, total: int, to_process: int) -> None:
            swapped = guide.with_name("swap")
            swapped.symlink_to(outside / "secret.md")
            swapped.replace(guide)

        def page_done(self, connector: str, event: PageEvent) -> None:
            return None

    [report] = sync_connectors(
        notion_site.config(), options=SyncOptions(), observer=SwapAfterListing()
    )
    assert report.status == "ok"
    reasons = skipped(report.skips)
    assert reasons[GUIDE].startswith("symlink leaves the export: Export-abc/Guide")
    # the alias reads the guide through its link: the swapped-in link is met there too
    assert reasons[ALIAS] == (
        f"Export-abc/Alias {ALIAS}.md: symlink leaves the export: "
        f"Export-abc/Guide {GUIDE}.md -> {outside / 'secret.md'}"
    )
    assert set(notion_site.pages()) == {HOME}  # the earlier versions were taken down
    assert_no_secret(notion_site)


def test_zips_linked_into_the_exports_folder_are_not_read(
    notion_site: NotionSite, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_zip(
        notion_site.exports / "Export-old.zip",
        {f"Home {HOME}.md": b"# Home\n\nWelcome.\n"},
        mtime=1e9,
    )
    foreign = write_zip(
        tmp_path / "elsewhere" / "Export-new.zip", {f"Leak {LEAK}.md": SECRET.encode()}, mtime=2e9
    )
    (notion_site.exports / "Export-new.zip").symlink_to(foreign)
    with caplog.at_level(logging.WARNING, logger="ingestor.connectors.notion_export"):
        report = notion_site.sync()
    assert report.status == "ok"
    assert set(notion_site.pages()) == {HOME}
    assert "Export-new.zip: a symbolic link; export zips must be files in the folder" in caplog.text
    assert_no_secret(notion_site)


def test_an_export_path_under_proc_is_a_config_error(notion_site: NotionSite) -> None:
    notion_site.configure(Path("/proc/self"))
    with pytest.raises(Exception, match=r"under /proc"):
        notion_site.config()
