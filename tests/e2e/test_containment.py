"""A file share with links out of it, special files and swaps, synced by the real engine and CLI
into the emulator: nothing from outside the share ever becomes a page."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingestor.engine.report import PageEvent, SyncObserver, SyncReport
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions

from .conftest import Site, total_calls

SECRET = "OUTSIDE-THE-SHARE-MARKER"
GOOD = {"guide/intro.md", "guide/setup.md", "notes.txt", "alias.md"}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    (folder / "folder").mkdir(parents=True)
    (folder / "secret.md").write_text(f"# Secret\n\n{SECRET}\n")
    (folder / "folder" / "inner.md").write_text(f"# Inner\n\n{SECRET}\n")
    return folder


@pytest.fixture
def hostile_share(site: Site, outside: Path) -> Iterator[Site]:
    """Good pages, an inside link, and every way out of the share we know of."""
    site.write("guide/intro.md", "# Intro\n\nWelcome.\n")
    site.write("guide/setup.md", "# Setup\n\nSteps.\n")
    site.write("notes.txt", "Plain notes\n\nWith a second line.\n")
    root = site.root
    (root / "alias.md").symlink_to("guide/intro.md")
    (root / "users.txt").symlink_to("/etc/passwd")
    (root / "guide" / "relative.md").symlink_to("../../outside/secret.md")
    (root / "status.txt").symlink_to("/proc/self/status")
    (root / "zero.md").symlink_to("/dev/zero")
    (root / "linked-folder").symlink_to(outside / "folder", target_is_directory=True)
    os.mkfifo(root / "pipe.md")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "socket.md"))
    yield site
    server.close()


def run(site: Site, observer: SyncObserver | None = None) -> SyncReport:
    [report] = sync_connectors(site.config(), options=SyncOptions(), observer=observer)
    return report


def assert_nothing_from_outside(site: Site) -> None:
    for page in site.intercom_pages().values():
        assert SECRET not in page["html"], page["external_id"]
        assert "root:x:0:0" not in page["html"] and "VmRSS" not in page["html"]


def test_links_out_of_the_share_are_skipped_counted_and_never_uploaded(
    hostile_share: Site,
) -> None:
    report = run(hostile_share)
    assert (report.status, report.listing_complete, report.failed) == ("ok", True, 0)
    assert set(hostile_share.intercom_pages()) == GOOD
    reasons = {event.external_id: event.reason for event in report.skips}
    assert reasons == {
        "users.txt": "symlink leaves the share: users.txt -> /etc/passwd",
        "guide/relative.md": (
            "symlink leaves the share: guide/relative.md -> ../../outside/secret.md"
        ),
        "status.txt": "symlink leaves the share: status.txt -> /proc/self/status",
        "zero.md": "symlink leaves the share: zero.md -> /dev/zero",
    }
    assert report.skipped == 4
    assert_nothing_from_outside(hostile_share)
    before = hostile_share.server.stats()
    again = run(hostile_share)  # never partial, and the skipped links are not even re-read
    assert (again.status, again.skipped, again.unchanged) == ("ok", 0, 8)
    # one read: the run's check of the token and the source, nothing else
    assert total_calls(hostile_share.server.stats()) == total_calls(before) + 1


def test_the_cli_names_each_skipped_link(hostile_share: Site) -> None:
    result = hostile_share.cli("sync")
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "symlink leaves the share: users.txt -> /etc/passwd" in output
    assert "linked-folder: symlink leaves the share: linked-folder ->" in output


def test_a_published_page_replaced_by_a_link_out_is_taken_down(site: Site, outside: Path) -> None:
    site.write("guide/intro.md", "# Intro\n\nWelcome.\n")
    site.write("faq.md", "# FAQ\n\nAnswers.\n")
    run(site)
    assert set(site.intercom_pages()) == {"guide/intro.md", "faq.md"}
    (site.root / "faq.md").unlink()
    (site.root / "faq.md").symlink_to(outside / "secret.md")
    report = run(site)
    assert report.status == "ok" and report.skipped == 1
    assert set(site.intercom_pages()) == {"guide/intro.md"}


class SwapAfterListing:
    """Observer whose ``listed`` runs between the engine's listing and its fetches."""

    def __init__(self, swap: Callable[[], None]) -> None:
        self.swap = swap

    def listed(self, connector: str, *, total: int, to_process: int) -> None:
        self.swap()

    def page_done(self, connector: str, event: PageEvent) -> None:
        return None


def swap_for_link(path: Path, target: Path) -> None:
    temporary = path.with_name(path.name + ".swap")
    temporary.symlink_to(target, target_is_directory=target.is_dir())
    temporary.replace(path)


@pytest.mark.parametrize("follow", [True, False])
def test_file_swapped_for_a_link_between_listing_and_fetch_is_taken_down(
    site: Site, outside: Path, follow: bool
) -> None:
    if not follow:
        with site.config_path.open("a") as config:
            config.write("    follow_symlinks: false\n")
    site.write("faq.md", "# FAQ\n\nAnswers.\n")
    site.write("keep.md", "# Keep\n\nKept.\n")
    run(site)
    site.write("faq.md", "# FAQ, edited\n\nAnswers.\n")  # so that the next run fetches it
    report = run(
        site, SwapAfterListing(lambda: swap_for_link(site.root / "faq.md", outside / "secret.md"))
    )
    assert report.status == "ok"
    reason = {event.external_id: event.reason for event in report.skips}["faq.md"]
    if follow:
        assert reason == f"symlink leaves the share: faq.md -> {outside / 'secret.md'}"
    else:
        assert reason == "faq.md: faq.md is a symbolic link and follow_symlinks is false"
    assert set(site.intercom_pages()) == {"keep.md"}
    assert_nothing_from_outside(site)


def test_folder_swapped_for_a_link_between_listing_and_fetch_is_taken_down(
    site: Site, outside: Path
) -> None:
    site.write("guide/inner.md", "# Inner, the share's\n\nInside.\n")
    site.write("keep.md", "# Keep\n\nKept.\n")
    run(site)
    site.write("guide/inner.md", "# Inner, edited\n\nInside.\n")

    def swap() -> None:
        (site.root / "guide").rename(site.root / "guide-moved")
        (site.root / "guide").symlink_to(outside / "folder", target_is_directory=True)

    report = run(site, SwapAfterListing(swap))
    assert report.status == "ok"
    reason = {event.external_id: event.reason for event in report.skips}["guide/inner.md"]
    assert reason == f"guide/inner.md: symlink leaves the share: guide -> {outside / 'folder'}"
    assert set(site.intercom_pages()) == {"keep.md"}
    assert_nothing_from_outside(site)
