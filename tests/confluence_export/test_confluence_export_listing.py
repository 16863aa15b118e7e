"""Listing real export folders and zips: which files are pages, which export wins, versions."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ingestor.connectors.base import ListingProblem
from ingestor.errors import ConnectorError

from .conftest import connector, listing
from .export_layout import SPACE_KEY, export_files, write_export

ALL_PAGES = ["100", "200", "300", "301", "302"]


def test_a_folder_lists_each_page_by_the_id_in_its_file_name(tmp_path: Path) -> None:
    write_export(tmp_path / "unpacked", zipped=False)
    items = listing(tmp_path / "unpacked")
    assert sorted(item.external_id for item in items) == ALL_PAGES
    by_id = {item.external_id: item for item in items}
    assert by_id["301"].locator == "301.html"  # an older export's id-only file name
    assert by_id["200"].locator == "Getting-started_200.html"
    assert by_id["200"].size == len(export_files()["Getting-started_200.html"])


def test_index_styles_images_and_attachments_are_not_pages(tmp_path: Path) -> None:
    files = export_files()
    files["attachments/100/55.html"] = b"<p>an attached HTML file</p>"
    files["images/icons/12.html"] = b"<p>not a page</p>"
    write_export(tmp_path, files, zipped=False)
    assert sorted(item.external_id for item in listing(tmp_path)) == ALL_PAGES


def test_zipped_and_unpacked_exports_list_the_same_versions(tmp_path: Path) -> None:
    zipped = write_export(tmp_path / "Confluence-space-export-0915.html.zip", zipped=True)
    write_export(tmp_path / "unpacked", zipped=False)
    assert listing(zipped) == listing(tmp_path / "unpacked")


def test_the_newest_zip_in_a_drop_folder_wins(tmp_path: Path) -> None:
    now = time.time()
    old = export_files()
    del old["Refunds-how-long_302.html"]
    write_export(tmp_path / "Confluence-space-export-1.html.zip", old, zipped=True, mtime=now - 60)
    write_export(tmp_path / "Confluence-space-export-2.html.zip", zipped=True, mtime=now)
    assert sorted(item.external_id for item in listing(tmp_path)) == ALL_PAGES
    os.utime(tmp_path / "Confluence-space-export-1.html.zip", (now + 60, now + 60))
    assert "302" not in {item.external_id for item in listing(tmp_path)}


def test_the_newest_of_several_unpacked_exports_wins(tmp_path: Path) -> None:
    now = time.time()
    old = export_files()
    del old["Billing_300.html"]
    write_export(tmp_path / "monday", old, zipped=False, mtime=now - 60)
    write_export(tmp_path / "tuesday", zipped=False, mtime=now)
    drop = tmp_path / "drop"
    drop.mkdir()
    (tmp_path / "monday" / SPACE_KEY).rename(drop / "monday")
    (tmp_path / "tuesday" / SPACE_KEY).rename(drop / "tuesday")
    assert "300" in {item.external_id for item in listing(drop)}
    os.utime(drop / "monday" / "index.html", (now + 60, now + 60))
    assert "300" not in {item.external_id for item in listing(drop)}


def test_versions_follow_the_page_file_and_its_children(tmp_path: Path) -> None:
    write_export(tmp_path / "a", zipped=False)
    before = {item.external_id: item.version for item in listing(tmp_path / "a")}
    assert before == {item.external_id: item.version for item in listing(tmp_path / "a")}
    files = export_files(refunds_main="<p>Refunds take 3 days now.</p>")
    files["index.html"] = files["index.html"].replace(b"Refunds : how long?", b"Refunds")
    write_export(tmp_path / "b", files, zipped=False)
    after = {item.external_id: item.version for item in listing(tmp_path / "b")}
    changed = sorted(pid for pid in before if before[pid] != after[pid])
    assert changed == ["300", "302"]  # the page, and its parent whose child list shows its title


def test_settings_that_shape_pages_change_every_version(tmp_path: Path) -> None:
    write_export(tmp_path, zipped=False)
    plain = {item.external_id: item.version for item in listing(tmp_path)}
    assets = {
        item.external_id: item.version
        for item in listing(tmp_path, asset_base_url="https://files.example.com")
    }
    assert all(plain[pid] != assets[pid] for pid in plain)


def test_an_export_without_pages_fails_the_listing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not an export", encoding="utf-8")
    with pytest.raises(ConnectorError, match="no Confluence space export found"):
        listing(tmp_path / "empty")
    write_export(tmp_path / "bare", {"index.html": b"<html></html>"}, zipped=False)
    with pytest.raises(ConnectorError, match="no Confluence page found"):
        listing(tmp_path / "bare")


def test_an_oversized_page_is_listed_and_fails_alone_at_fetch(tmp_path: Path) -> None:
    write_export(tmp_path, zipped=False)
    with connector(tmp_path, max_file_bytes=2000) as export:
        entries = list(export.list())
        assert not [e for e in entries if isinstance(e, ListingProblem)]
        items = {e.external_id: e for e in entries if not isinstance(e, ListingProblem)}
        assert export.fetch(items["301"]).title == "Rechnungen & Zahlungen"
        with pytest.raises(
            ConnectorError, match=r"Help-Center_100\.html: file is .* over max_file"
        ):
            export.fetch(items["100"])


def test_a_symlinked_page_in_an_unpacked_export_is_never_read(tmp_path: Path) -> None:
    write_export(tmp_path, zipped=False)
    secret = tmp_path / "secret.html"
    secret.write_text("<p>root password</p>", encoding="utf-8")
    (tmp_path / SPACE_KEY / "Leak_777.html").symlink_to(secret)
    assert "777" not in {item.external_id for item in listing(tmp_path)}


def test_close_removes_the_unpacked_zip(tmp_path: Path, private_tmp: Path) -> None:
    zipped = write_export(tmp_path / "export.zip", zipped=True)
    with connector(zipped) as export:
        list(export.list())
        assert any(private_tmp.iterdir())
    assert not any(private_tmp.iterdir())


def test_a_page_renamed_in_an_export_unpacked_over_the_old_one_syncs_its_new_file(
    tmp_path: Path,
) -> None:
    # the old export's "Getting-started_200.html" sorts before the new file of the same page
    files = export_files()
    files["Start-here_200.html"] = files["Getting-started_200.html"].replace(
        b"Getting started", b"Start here"
    )
    write_export(tmp_path, files, zipped=False)
    space = tmp_path / SPACE_KEY
    os.utime(space / "Getting-started_200.html", (time.time() - 86_400,) * 2)
    with connector(tmp_path) as export:
        entries = list(export.list())
        problems = [e for e in entries if isinstance(e, ListingProblem)]
        [page] = [
            e for e in entries if not isinstance(e, ListingProblem) and e.external_id == "200"
        ]
        assert page.locator == "Start-here_200.html"
        assert export.fetch(page).title == "Start here"
    assert [(p.where, p.message) for p in problems] == [
        (
            "Getting-started_200.html",
            "page id 200 is also in the newer Start-here_200.html, which is synced; "
            "remove the older file",
        )
    ]
