"""Malicious and broken export zips: refused with the zip and member named, nothing escapes.

The rules are the Notion connector's (imported through :mod:`connectors.archive_safety`);
these tests check that a Confluence export gets every one of them.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from ingestor.errors import ConnectorError

from .conftest import listing
from .export_layout import SPACE_KEY, export_files, write_export

GOOD = {f"{SPACE_KEY}/{name}": data for name, data in export_files().items()}


def raw_zip(path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return path


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())


@pytest.mark.parametrize(
    "name", ["../evil.html", "HELP/../../evil.html", "/tmp/evil.html", "C:/evil.html"]
)
def test_members_escaping_the_export_are_refused(
    tmp_path: Path, private_tmp: Path, name: str
) -> None:
    export = raw_zip(tmp_path / "export.zip", [*GOOD.items(), (name, b"<p>x</p>")])
    with pytest.raises(ConnectorError, match=r"export\.zip: .*(escapes|absolute)"):
        listing(export)
    assert not (tmp_path / "evil.html").exists()
    assert files_under(private_tmp) == []  # the half-unpacked export is gone too


def test_a_symlink_member_is_refused(tmp_path: Path, private_tmp: Path) -> None:
    link = zipfile.ZipInfo("HELP/Leak_777.html")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    export = raw_zip(tmp_path / "export.zip", [*GOOD.items(), (link, b"/etc/passwd")])
    with pytest.raises(ConnectorError, match=r"'HELP/Leak_777\.html': symbolic link"):
        listing(export)
    assert files_under(private_tmp) == []


def test_a_compression_bomb_is_refused(tmp_path: Path) -> None:
    export = raw_zip(
        tmp_path / "export.zip", [*GOOD.items(), ("HELP/Bomb_9.html", b"0" * 3_000_000)]
    )
    with pytest.raises(ConnectorError, match=r"'HELP/Bomb_9\.html': compression ratio"):
        listing(export)


def test_an_export_over_the_size_budget_is_refused(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export.zip", zipped=True)
    with pytest.raises(ConnectorError, match="would unpack to more than 10,000 bytes"):
        listing(export, max_export_bytes=10_000)


def test_an_export_over_the_file_budget_is_refused(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export.zip", zipped=True)
    with pytest.raises(ConnectorError, match="more than 5 files"):
        listing(export, max_export_files=5)


def test_a_corrupt_zip_is_refused_with_its_name(tmp_path: Path) -> None:
    export = tmp_path / "Confluence-space-export-7.html.zip"
    export.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(ConnectorError, match=r"Confluence-space-export-7\.html\.zip: corrupt"):
        listing(export)


def test_a_truncated_zip_is_refused(tmp_path: Path) -> None:
    whole = write_export(tmp_path / "whole.zip", zipped=True).read_bytes()
    export = tmp_path / "export.zip"
    export.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ConnectorError, match=r"export\.zip: corrupt or truncated"):
        listing(export)


def test_a_refused_newest_export_does_not_fall_back_to_an_older_one(tmp_path: Path) -> None:
    write_export(tmp_path / "a.zip", zipped=True, mtime=1_000_000)
    (tmp_path / "b.zip").write_bytes(b"not a zip at all")
    with pytest.raises(ConnectorError, match=r"b\.zip"):
        listing(tmp_path)  # an error: nothing is deleted, the last good pages stay
