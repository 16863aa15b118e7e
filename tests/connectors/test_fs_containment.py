"""Containment of the filesystem connector on real folders, links, FIFOs, sockets and hard links.

Every test lays out a share next to an ``outside`` folder holding a marker, and checks both
what the connector says and, through an audit hook, that no file outside the share is opened.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingestor.connectors.base import Item, ListingProblem
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.connectors.fs_contain import ContainedRoot
from ingestor.errors import ConnectorError, OutsideRoot, PageSkipped

SECRET = "TOP-SECRET-OUTSIDE-MARKER"

# -- audit hook: every file the process opens while armed (a real record, no mock) -------------

_OPENED: dict[str, Any] = {"armed": False, "names": []}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _OPENED["armed"] and event == "open" and args and isinstance(args[0], str | bytes):
        _OPENED["names"].append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # hooks cannot be removed; this one is inert unless a test arms it


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Names passed to open() while the test runs (bare names for descriptor-relative opens)."""
    _OPENED.update(armed=True, names=[])
    yield _OPENED["names"]
    _OPENED["armed"] = False


@pytest.fixture
def share(tmp_path: Path) -> Path:
    (tmp_path / "outside" / "folder").mkdir(parents=True)
    (tmp_path / "outside" / "secret.md").write_text(f"# {SECRET}\n")
    (tmp_path / "outside" / "folder" / "inner.md").write_text(f"# {SECRET} inner\n")
    root = tmp_path / "share"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "guide.md").write_text("# Guide\n")
    return root


def connector(root: Path, **extra: Any) -> FilesystemConnector:
    settings = FilesystemSettings.model_validate(
        {"name": "kb", "url": "https://wiki.example.com/kb/", "root": root} | extra
    )
    return FilesystemConnector(settings)


def listing(kb: FilesystemConnector) -> dict[str, Item]:
    results = list(kb.list())
    assert not [r for r in results if isinstance(r, ListingProblem)]
    return {r.external_id: r for r in results if isinstance(r, Item)}


def skip_reason(kb: FilesystemConnector, item: Item) -> str:
    with pytest.raises(PageSkipped) as caught:
        kb.fetch(item)
    return str(caught.value)


def assert_nothing_outside_opened(names: list[str], share: Path) -> None:
    outside = str(share.parent / "outside")
    for name in names:
        assert not name.startswith(outside), name
        assert name not in ("secret.md", "inner.md", "passwd", "status", "zero"), name


# -- links that leave the share ---------------------------------------------------------------


def test_absolute_link_to_etc_passwd_is_listed_and_skipped_naming_the_link(
    share: Path, opened: list[str]
) -> None:
    (share / "users.txt").symlink_to("/etc/passwd")
    kb = connector(share)
    items = listing(kb)
    assert set(items) == {"docs/guide.md", "users.txt"}
    assert items["users.txt"].version.startswith("link:")  # the link's, not the target's
    with pytest.raises(OutsideRoot) as caught:
        kb.fetch(items["users.txt"])
    assert str(caught.value) == "symlink leaves the share: users.txt -> /etc/passwd"
    assert_nothing_outside_opened(opened, share)


def test_relative_links_climbing_out_are_skipped(share: Path, opened: list[str]) -> None:
    (share / "docs" / "up.md").symlink_to("../../outside/secret.md")
    # climbs out and back in: refused too, the kernel would pass through the parent folder
    (share / "docs" / "back.md").symlink_to("../../share/docs/guide.md")
    kb = connector(share)
    items = listing(kb)
    assert skip_reason(kb, items["docs/up.md"]) == (
        "symlink leaves the share: docs/up.md -> ../../outside/secret.md"
    )
    assert "leaves the share" in skip_reason(kb, items["docs/back.md"])
    assert_nothing_outside_opened(opened, share)


def test_links_to_folders_outside_are_not_entered(
    share: Path, opened: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    outside = share.parent / "outside" / "folder"
    (share / "absolute").symlink_to(outside, target_is_directory=True)
    (share / "docs" / "relative").symlink_to("../../outside/folder", target_is_directory=True)
    (share / "looks-like-a-page.md").symlink_to(outside, target_is_directory=True)
    with caplog.at_level("WARNING", logger="ingestor.connectors.filesystem"):
        items = listing(connector(share))
    assert set(items) == {"docs/guide.md", "looks-like-a-page.md"}  # the last one is skipped
    assert f"skipped absolute: symlink leaves the share: absolute -> {outside}" in caplog.text
    assert "docs/relative -> ../../outside/folder" in caplog.text
    assert_nothing_outside_opened(opened, share)
    assert "folder" not in opened  # the outside folder is not opened by name either


def test_a_link_inside_the_share_to_a_link_that_leaves_it_is_skipped(share: Path) -> None:
    (share / "docs" / "hop").symlink_to("/etc", target_is_directory=True)
    (share / "passwd.txt").symlink_to("docs/hop/passwd")
    kb = connector(share)
    assert skip_reason(kb, listing(kb)["passwd.txt"]) == (
        "passwd.txt: symlink leaves the share: docs/hop -> /etc"
    )


@pytest.mark.parametrize("target", ["/proc/self/status", "/dev/zero", "/sys/kernel/uevent_seqnum"])
def test_links_to_kernel_and_device_files_are_skipped(
    share: Path, target: str, opened: list[str]
) -> None:
    (share / "status.txt").symlink_to(target)
    kb = connector(share)
    assert skip_reason(kb, listing(kb)["status.txt"]) == (
        f"symlink leaves the share: status.txt -> {target}"
    )
    assert_nothing_outside_opened(opened, share)


def test_files_of_kernel_file_systems_are_refused_even_inside_a_root() -> None:
    # as if /proc were mounted inside a share: the device check refuses it, not the path
    contained = ContainedRoot("/proc/self", follow_symlinks=False)
    with pytest.raises(OutsideRoot, match=r"^status: a kernel or device file"):
        contained.open_file("status")


@pytest.mark.parametrize("root", ["/proc/self", "/sys", "/dev/shm", "/"])
def test_roots_under_proc_sys_dev_are_config_errors(root: str) -> None:
    with pytest.raises(ValueError, match=r"under /|whole file system"):
        FilesystemSettings.model_validate({"name": "kb", "url": "https://x.example/", "root": root})


# -- special files -----------------------------------------------------------------------------


def test_fifos_and_sockets_are_never_listed_nor_opened(share: Path, opened: list[str]) -> None:
    os.mkfifo(share / "pipe.md")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(share / "socket.md"))
        kb = connector(share)
        assert set(listing(kb)) == {"docs/guide.md"}
        for name, kind in (("pipe.md", "a FIFO"), ("socket.md", "a socket")):
            reason = skip_reason(kb, Item(external_id=name, version="1:1"))
            assert reason == f"{name}: not a regular file ({kind}); nothing is read"
    finally:
        server.close()
    assert "pipe.md" not in opened and "socket.md" not in opened


# -- swaps between listing and fetch -----------------------------------------------------------


def test_file_swapped_for_an_outside_link_after_listing_is_skipped(
    share: Path, opened: list[str]
) -> None:
    kb = connector(share)
    item = listing(kb)["docs/guide.md"]
    swap_for_link(share / "docs" / "guide.md", share.parent / "outside" / "secret.md")
    assert skip_reason(kb, item) == (
        f"symlink leaves the share: docs/guide.md -> {share.parent / 'outside' / 'secret.md'}"
    )
    assert_nothing_outside_opened(opened, share)


def test_swap_after_listing_is_refused_when_links_are_not_followed(share: Path) -> None:
    kb = connector(share, follow_symlinks=False)
    item = listing(kb)["docs/guide.md"]
    (share / "docs" / "other.md").write_text("# Other\n")
    swap_for_link(share / "docs" / "guide.md", Path("other.md"))  # even one staying inside
    assert skip_reason(kb, item) == (
        "docs/guide.md: docs/guide.md is a symbolic link and follow_symlinks is false"
    )


def test_file_replaced_by_another_after_listing_is_not_read_as_the_listed_one(
    share: Path,
) -> None:
    kb = connector(share)
    item = listing(kb)["docs/guide.md"]
    (share / "docs" / "other.md").write_text("# Other\n")
    swap_for_link(share / "docs" / "guide.md", Path("other.md"))  # inside: followed, but...
    with pytest.raises(ConnectorError, match="another file took its place after the listing"):
        kb.fetch(item)
    assert connector(share).fetch(listing(connector(share))["docs/guide.md"]).body == "# Other\n"


def test_folder_swapped_for_an_outside_link_after_listing_is_skipped(
    share: Path, opened: list[str]
) -> None:
    outside = share.parent / "outside" / "folder"
    (share / "docs" / "guide.md").rename(share / "docs" / "inner.md")
    for follow in (True, False):
        kb = connector(share, follow_symlinks=follow)
        item = listing(kb)["docs/inner.md"]
        (share / "docs").rename(share / "docs.real")
        (share / "docs").symlink_to(outside, target_is_directory=True)
        try:
            reason = skip_reason(kb, item)
        finally:
            (share / "docs").unlink()
            (share / "docs.real").rename(share / "docs")
        if follow:
            assert reason == f"docs/inner.md: symlink leaves the share: docs -> {outside}"
        else:
            assert reason == "docs/inner.md: docs is a symbolic link and follow_symlinks is false"
    assert_nothing_outside_opened(opened, share)


def swap_for_link(path: Path, target: Path) -> None:
    """Replace a file by a link in one rename, as an attacker racing the sync would."""
    temporary = path.with_name(path.name + ".swap")
    temporary.symlink_to(target)
    temporary.replace(path)


# -- links that stay inside ----------------------------------------------------------------------


def test_links_inside_the_share_keep_working(share: Path) -> None:
    (share / "alias.md").symlink_to("docs/guide.md")
    (share / "docs" / "sibling.md").symlink_to("../docs/./guide.md")
    (share / "absolute.md").symlink_to(share / "docs" / "guide.md")
    (share / "chain.md").symlink_to("alias.md")
    (share / "more").mkdir()
    (share / "more" / ".hidden").mkdir()
    (share / "more" / ".hidden" / "deep.md").write_text("# Deep\n")
    (share / "linked").symlink_to("more/.hidden", target_is_directory=True)
    kb = connector(share)
    items = listing(kb)
    assert list(items) == [
        "absolute.md",
        "alias.md",
        "chain.md",
        "docs/guide.md",
        "docs/sibling.md",
        "linked/deep.md",
    ]
    for rel in ("absolute.md", "alias.md", "chain.md", "docs/sibling.md"):
        assert kb.fetch(items[rel]).body == "# Guide\n", rel
    assert kb.fetch(items["linked/deep.md"]).body == "# Deep\n"


def test_a_root_given_through_a_link_accepts_absolute_links_through_either_path(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real-share"
    real.mkdir()
    (real / "page.md").write_text("# Page\n")
    (tmp_path / "share").symlink_to(real, target_is_directory=True)
    (real / "via-link.md").symlink_to(tmp_path / "share" / "page.md")
    (real / "via-real.md").symlink_to(real / "page.md")
    kb = connector(tmp_path / "share")
    items = listing(kb)
    assert kb.fetch(items["via-link.md"]).body == kb.fetch(items["via-real.md"]).body == "# Page\n"


def test_link_loops_end_without_a_listing_problem(share: Path) -> None:
    (share / "a.md").symlink_to("b.md")
    (share / "b.md").symlink_to("a.md")
    (share / "self").symlink_to(".", target_is_directory=True)
    assert set(listing(connector(share))) == {"docs/guide.md"}
    with pytest.raises(ConnectorError, match="cannot open: too many levels of symbolic links"):
        connector(share).fetch(Item(external_id="a.md", version=""))


# -- hard links ----------------------------------------------------------------------------------


def test_hard_links_are_read_by_default_and_skipped_on_request(tmp_path: Path) -> None:
    root = tmp_path / "share"
    root.mkdir()
    (tmp_path / "elsewhere.md").write_text("# Same file system\n")
    os.link(tmp_path / "elsewhere.md", root / "linked.md")
    (root / "single.md").write_text("# Single\n")
    allow = connector(root)
    assert allow.fetch(listing(allow)["linked.md"]).body == "# Same file system\n"
    skip = connector(root, hard_links="skip")
    items = listing(skip)
    assert skip_reason(skip, items["linked.md"]) == (
        "linked.md: has 2 hard links and hard_links is 'skip'; not read"
    )
    assert skip.fetch(items["single.md"]).body == "# Single\n"


def test_a_root_that_is_a_link_to_proc_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "share").symlink_to("/proc/self", target_is_directory=True)
    with pytest.raises(ValueError, match=r"under /proc"):
        FilesystemSettings.model_validate(
            {"name": "kb", "url": "https://x.example/", "root": tmp_path / "share"}
        )


def test_no_descriptor_is_left_open_whatever_the_outcome(share: Path) -> None:
    (share / "users.txt").symlink_to("/etc/passwd")
    (share / "alias.md").symlink_to("docs/guide.md")
    (share / "loop.md").symlink_to("loop.md")
    (share / "linked").symlink_to("docs", target_is_directory=True)
    (share / "outside").symlink_to(share.parent / "outside", target_is_directory=True)
    os.mkfifo(share / "pipe.md")
    kb = connector(share)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        for item in listing(kb).values():
            with contextlib.suppress(ConnectorError):
                kb.fetch(item)
        for rel in ("pipe.md", "loop.md", "gone.md", "docs/guide.md/x"):
            with pytest.raises(ConnectorError):
                kb.fetch(Item(external_id=rel, version=""))
    assert len(os.listdir("/proc/self/fd")) == before
