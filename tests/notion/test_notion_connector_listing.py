"""The connector over real zips: parts beside a configured part, cut database titles, versions."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestor.connectors.base import Item
from ingestor.connectors.notion_export import NotionExportConnector, NotionExportSettings

from .conftest import write_zip

DB = "0123456789abcdef0123456789abcdef"
ROW = "fedcba9876543210fedcba9876543210"
HOME = "00112233445566778899aabbccddeeff"
LONG = "Customer onboarding checklist for enterprise accounts in EMEA"


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def connector(path: Path, **settings: object) -> NotionExportConnector:
    return NotionExportConnector(
        NotionExportSettings(name="n", url="https://n.example.com/", path=path, **settings)  # type: ignore[arg-type]
    )


def export_files() -> dict[str, bytes]:
    cut = LONG[:50]
    return {
        f"Home {HOME}.md": f"# Home\n\n[{LONG}]({cut.replace(' ', '%20')}%20{DB}.csv)\n".encode(),
        f"{cut} {DB}.csv": "\ufeffName,Done\nFirst step,Yes\n".encode(),
        f"{cut} {DB}/First step {ROW}.md": b"# First step\n\nDone: Yes\n\nCall the customer.\n",
    }


def test_a_configured_part_brings_its_sibling_parts(tmp_path: Path) -> None:
    files = export_files()
    names = sorted(files)
    write_zip(tmp_path / "Export-x-Part-1.zip", {n: files[n] for n in names[:1]})
    write_zip(tmp_path / "Export-x-Part-2.zip", {n: files[n] for n in names[1:]})
    with connector(tmp_path / "Export-x-Part-1.zip") as notion:
        ids = {e.external_id for e in notion.list() if isinstance(e, Item)}
    assert ids == {DB, ROW, HOME}


def test_a_database_named_with_a_cut_title_gets_its_full_title(tmp_path: Path) -> None:
    export = write_zip(tmp_path / "export.zip", export_files())
    with connector(export, url_template="https://kb.example.com/{uuid}") as notion:
        items = {e.external_id: e for e in notion.list() if isinstance(e, Item)}
        database = notion.fetch(items[DB])
        row = notion.fetch(items[ROW])
    assert database.title == LONG
    assert database.url == "https://kb.example.com/01234567-89ab-cdef-0123-456789abcdef"
    assert 'href="https://kb.example.com/fedcba98-7654-3210-fedc-ba9876543210"' in database.body
    assert "<th>Done</th><td>Yes</td>" in row.body


def test_versions_follow_content_and_settings_not_zip_or_path(tmp_path: Path) -> None:
    first = write_zip(tmp_path / "a" / "export.zip", export_files())
    files = export_files()
    moved = {f"Export-y/{name}": data for name, data in files.items()}  # new wrapper folder
    second = write_zip(tmp_path / "b" / "export.zip", moved)

    def versions(path: Path, **settings: object) -> dict[str, str]:
        with connector(path, **settings) as notion:
            return {e.external_id: e.version for e in notion.list() if isinstance(e, Item)}

    assert versions(first) == versions(second)
    assert versions(first) != versions(first, url_template="https://other.example.com/{id}")


def html_database_export() -> dict[str, bytes]:
    table = (
        f'<html><body><article><header><h1 class="page-title">Tasks</h1></header>'
        f'<div class="page-body"><table class="collection-content"><thead><tr><th>Name</th>'
        f'</tr></thead><tbody><tr><td><a href="Tasks%20{DB}/First%20step%20{ROW}.html">'
        f"First step</a></td></tr></tbody></table></div></article></body></html>"
    )
    row = (
        '<html><body><article><header><h1 class="page-title">First step</h1></header>'
        '<div class="page-body"><p>Call.</p></div></article></body></html>'
    )
    home = (
        '<html><body><article><header><h1 class="page-title">Home</h1></header>'
        f'<div class="page-body"><p><a href="Tasks%20{DB}.html">Tasks</a></p></div>'
        "</article></body></html>"
    )
    return {
        f"Export-z/Home {HOME}.html": home.encode(),
        f"Export-z/Tasks {DB}.html": table.encode(),
        f"Export-z/Tasks {DB}/First step {ROW}.html": row.encode(),
        "Export-z/index.html": b"<html><body>index</body></html>",
    }


@pytest.mark.parametrize(("include", "expected"), [(True, {HOME, DB, ROW}), (False, {HOME})])
def test_html_databases_and_rows_follow_include_databases(
    tmp_path: Path, include: bool, expected: set[str]
) -> None:
    export = write_zip(tmp_path / "export.zip", html_database_export())
    with connector(export, include_databases=include) as notion:
        items = {e.external_id: e for e in notion.list() if isinstance(e, Item)}
        assert set(items) == expected
        if include:
            table = notion.fetch(items[DB])
            assert table.title == "Tasks"
            assert f'href="https://www.notion.so/{ROW}"' in table.body


OLD_EXPORT = "Export-0f0f0f0f-0000-4000-8000-000000000001"
NEW_EXPORT = "Export-ffffffff-0000-4000-8000-000000000002"


def _unpack(folder: Path, files: dict[str, bytes], mtime: float) -> None:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (mtime, mtime))
    os.utime(folder, (mtime, mtime))


def test_of_unpacked_exports_side_by_side_only_the_newest_is_read(tmp_path: Path) -> None:
    # the old export sorts after the new one: reading both kept its stale copy of the page
    drop = tmp_path / "drop"
    _unpack(
        drop / NEW_EXPORT.replace("ffffffff", "00000000"),
        {f"Refunds {HOME}.md": b"# Refunds\n\nWithin 14 days.\n"},
        mtime=2_000_000_000,
    )
    _unpack(
        drop / OLD_EXPORT.replace("0f0f0f0f", "ffffffff"),
        {
            f"Refunds {HOME}.md": b"# Refunds\n\nWithin 30 days.\n",
            f"Retired {ROW}.md": b"# Retired\n\nA product no longer sold.\n",
        },
        mtime=1_900_000_000,
    )
    with connector(drop) as notion:
        items = {e.external_id: e for e in notion.list() if isinstance(e, Item)}
        assert set(items) == {HOME}
        assert "14 days" in notion.fetch(items[HOME]).body


def test_an_export_unpacked_part_by_part_keeps_all_its_parts(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    _unpack(drop / OLD_EXPORT, {f"Old {DB}.md": b"# Old\n\nx\n"}, mtime=1_900_000_000)
    for part, (page_id, title) in enumerate([(HOME, "Home"), (ROW, "Row")], start=1):
        _unpack(
            drop / f"{NEW_EXPORT}-Part-{part}" / NEW_EXPORT,
            {f"{title} {page_id}.md": f"# {title}\n\nbody\n".encode()},
            mtime=2_000_000_000,
        )
    with connector(drop) as notion:
        ids = {e.external_id for e in notion.list() if isinstance(e, Item)}
    assert ids == {HOME, ROW}


def test_audience_paths_are_composed_when_the_zip_stores_decomposed_names(
    tmp_path: Path,
) -> None:
    # a rule written as "Équipe interne */**" must match a folder a Mac stored as NFD
    name = f"Équipe interne {DB}/Congés {ROW}.md"
    export = write_zip(
        tmp_path / "export.zip",
        {
            unicodedata.normalize("NFD", name): "# Congés\n\nx\n".encode(),
            f"Home {HOME}.md": b"# Home\n\nx\n",
        },
    )
    with connector(export) as notion:
        items = {e.external_id: e for e in notion.list() if isinstance(e, Item)}
        assert notion.fetch(items[ROW]).facts["path"] == (name,)
