"""Watch runs of a share: FilesystemConnector.list_paths() on real folders, and the engine's
targeted runs (SyncOptions.paths) against the emulator with a real state database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ingestor.connectors.base import Changes, Item
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.connectors.fs_targeted import MAX_TARGETED_PATHS
from ingestor.emulator import EmulatorServer
from ingestor.engine.report import SyncReport
from ingestor.engine.sync import PagePolicy, SyncEngine, SyncOptions
from ingestor.intercom import IntercomClient
from ingestor.state import Store


def connector(root: Path, **extra: Any) -> FilesystemConnector:
    settings = FilesystemSettings.model_validate(
        {"name": "kb", "url": "https://wiki.example.com/kb/", "root": root} | extra
    )
    return FilesystemConnector(settings)


def make(root: Path, *paths: str) -> None:
    for rel in paths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {rel}\n\nSome text of {rel}.\n")


def listed(root: Path, *rels: str, **extra: Any) -> list[str] | None:
    changes = connector(root, **extra).list_paths([str(root / rel) for rel in rels])
    if changes is None:
        return None
    assert changes.deleted == ()
    return [item.external_id for item in changes.changed]


def test_changed_files_are_listed_as_the_walk_lists_them(tmp_path: Path) -> None:
    make(tmp_path, "a.md", "sub/b.md", "sub/c.txt", "notes.bin", ".hidden.md", "drafts/d.md")
    full = {i.external_id: i for i in connector(tmp_path).list() if isinstance(i, Item)}
    changes = connector(tmp_path).list_paths([str(tmp_path / "sub/b.md"), str(tmp_path / "a.md")])
    assert isinstance(changes, Changes)
    assert list(changes.changed) == [full["a.md"], full["sub/b.md"]]  # same ids and versions

    # names the walk never lists are ignored: not included, hidden, in an excluded folder
    rels = ("notes.bin", ".hidden.md", "drafts/d.md", "sub/c.txt")
    assert listed(tmp_path, *rels, exclude=["drafts/"]) == ["sub/c.txt"]
    assert listed(tmp_path, "sub/c.txt", formats=["md"]) == []  # a format not enabled


def test_a_temporary_file_renamed_over_a_page_lists_the_page_only(tmp_path: Path) -> None:
    make(tmp_path, "a.md")
    # an editor's atomic save: a.md.tmp written, renamed over a.md; both names reported
    assert listed(tmp_path, "a.md.tmp", "a.md", "a.md~") == ["a.md"]


def test_what_only_a_full_listing_can_tell_asks_for_one(tmp_path: Path) -> None:
    make(tmp_path, "a.md", "sub/b.md")
    assert listed(tmp_path, "sub") is None  # a folder: moved in, its files raise no events
    assert listed(tmp_path, "gone.md") is None  # a page's file is gone: a deletion
    assert listed(tmp_path, "gone.tmp") == []  # a gone file that is no page: nothing to do
    assert listed(tmp_path, "") is None  # the root itself
    os.symlink(tmp_path / "a.md", tmp_path / "link.md")
    assert listed(tmp_path, "link.md") is None  # through a link: the walk's rules decide
    many = [f"p{i}.md" for i in range(MAX_TARGETED_PATHS + 1)]
    assert listed(tmp_path, *many) is None
    assert listed(tmp_path, "/elsewhere/x.md") == []  # outside the share: ignored


# -- the engine --------------------------------------------------------------------------------


def sync(server: EmulatorServer, state: Path, root: Path, **options: Any) -> SyncReport:
    with (
        Store.open(state) as store,
        IntercomClient(server.token, base_url=server.url) as client,
    ):
        return SyncEngine(client, store).sync(connector(root), PagePolicy(), SyncOptions(**options))


def test_a_targeted_run_sends_the_changed_pages_and_never_deletes(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    root, state = tmp_path / "kb", tmp_path / "state.db"
    make(root, "a.md", "b.md", "c.md")
    assert sync(emulator, state, root).created == 3

    (root / "a.md").write_text("# a.md\n\nEdited.\n")
    make(root, "new.md")
    (root / "c.md").unlink()  # not among the paths: a targeted run does not see it
    before = emulator.stats()["total"]
    paths = frozenset({str(root / "a.md"), str(root / "new.md")})
    report = sync(emulator, state, root, paths=paths)
    assert (report.updated, report.created, report.deleted, report.status) == (1, 1, 0, "ok")
    # the source check, one update, one create: nothing listed or read for the other pages
    assert emulator.stats()["total"] - before == 3
    pages = {p["external_id"]: p for p in emulator.pages()}
    assert set(pages) == {"a.md", "b.md", "c.md", "new.md"} and "Edited" in pages["a.md"]["html"]

    report = sync(emulator, state, root)  # the next full run hides it, behind the guard
    assert (report.hidden, report.deleted, report.unchanged) == (1, 0, 3)


def test_a_targeted_run_naming_a_deleted_page_lists_in_full_behind_the_guard(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    root, state = tmp_path / "kb", tmp_path / "state.db"
    make(root, "a.md", "b.md")
    sync(emulator, state, root)
    (root / "a.md").unlink()
    (root / "b.md").unlink()
    report = sync(emulator, state, root, paths=frozenset({str(root / "a.md")}))
    assert report.deleted == 0 and report.deletion_blocked  # every page: the guard holds
    assert report.status == "partial"
    assert {p["external_id"] for p in emulator.pages()} == {"a.md", "b.md"}


@pytest.mark.parametrize("rel", ["a.md", "sub/a.md"])
def test_an_unchanged_file_named_by_an_event_costs_no_upload(
    emulator: EmulatorServer, tmp_path: Path, rel: str
) -> None:
    root, state = tmp_path / "kb", tmp_path / "state.db"
    make(root, rel)
    sync(emulator, state, root)
    os.utime(root / rel)  # touched, same bytes: the hash gate stops it
    report = sync(emulator, state, root, paths=frozenset({str(root / rel)}))
    assert (report.updated, report.unchanged, report.status) == (0, 1, "ok")
