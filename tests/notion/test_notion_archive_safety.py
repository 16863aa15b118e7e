"""Malicious and broken zips: clear errors naming the file, nothing written outside the folder."""

# ruff: noqa: RUF001  # Cyrillic test data is meant to look like Latin letters

from __future__ import annotations

import io
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestor.connectors.base import Item
from ingestor.connectors.notion_export import NotionExportConnector, NotionExportSettings
from ingestor.errors import ConnectorError

from .conftest import write_nested_zip, write_zip

PAGE = "Export-x/Page 0123456789abcdef0123456789abcdef.md"
GOOD = {PAGE: b"# Page\n\nHello.\n"}


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the connector's temporary folders go, so the test can see every byte written."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def connector(path: Path, **settings: object) -> NotionExportConnector:
    return NotionExportConnector(
        NotionExportSettings(name="n", url="https://n.example.com/", path=path, **settings)  # type: ignore[arg-type]
    )


def listing(path: Path, **settings: object) -> list[Item]:
    with connector(path, **settings) as notion:
        return [entry for entry in notion.list() if isinstance(entry, Item)]


def raw_zip(path: Path, members: list[tuple[zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return path


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())


@pytest.mark.parametrize(
    "name",
    ["../evil.md", "Export-x/../../evil.md", "/tmp/evil.md", "C:/evil.md", "..\\evil.md"],
)
def test_paths_escaping_the_export_are_refused(
    tmp_path: Path, private_tmp: Path, name: str
) -> None:
    bad = raw_zip(
        tmp_path / "bad.zip", [(zipfile.ZipInfo(PAGE), b"# ok"), (zipfile.ZipInfo(name), b"x")]
    )
    with pytest.raises(ConnectorError, match=r"bad\.zip.*(escapes|absolute)"):
        listing(bad)
    assert not (tmp_path / "evil.md").exists() and not Path("/tmp/evil.md").exists()
    assert files_under(private_tmp) == []  # the extraction folder is gone too


def test_symbolic_links_in_the_zip_are_refused(tmp_path: Path, private_tmp: Path) -> None:
    link = zipfile.ZipInfo("Export-x/link 0123456789abcdef0123456789abcdee.md")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    bad = raw_zip(tmp_path / "links.zip", [(link, b"/etc/passwd")])
    with pytest.raises(ConnectorError, match=r"links\.zip.*symbolic link"):
        listing(bad)
    assert files_under(private_tmp) == []


def test_a_zip_bomb_is_refused_by_ratio(tmp_path: Path, private_tmp: Path) -> None:
    bomb = write_zip(tmp_path / "bomb.zip", {**GOOD, "Export-x/zeros.bin": bytes(8 << 20)})
    with pytest.raises(ConnectorError) as raised:
        listing(bomb)
    assert re.fullmatch(
        r"bomb\.zip: 'Export-x/zeros\.bin': compression ratio [0-9,]+:1 is over 200:1 "
        r"\(zip bomb\? if the file is genuine, raise max_compression_ratio\)",
        str(raised.value),
    )
    assert files_under(private_tmp) == []


def test_a_zip_bomb_inside_a_wrapper_zip_is_refused(tmp_path: Path, private_tmp: Path) -> None:
    bomb = write_nested_zip(
        tmp_path / "outer.zip", "inner.zip", {**GOOD, "Export-x/zeros.bin": bytes(8 << 20)}
    )
    with pytest.raises(ConnectorError, match=r"outer\.zip > inner\.zip.*compression ratio"):
        listing(bomb)
    assert files_under(private_tmp) == []


def test_total_size_and_file_count_budgets(tmp_path: Path, private_tmp: Path) -> None:
    big = write_zip(tmp_path / "big.zip", {**GOOD, "Export-x/a.bin": b"a" * 5000})
    with pytest.raises(ConnectorError, match=r"more than 1,000 bytes .*raise max_export_bytes"):
        listing(big, max_export_bytes=1000)
    many = write_zip(tmp_path / "many.zip", {f"Export-x/f{n}.txt": b"x" for n in range(10)})
    with pytest.raises(ConnectorError, match=r"more than 5 files \(max_export_files\)"):
        listing(many, max_export_files=5)
    assert files_under(private_tmp) == []


def test_corrupt_and_truncated_zips_name_the_file(tmp_path: Path, private_tmp: Path) -> None:
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04 this is not a zip at all" * 10)
    with pytest.raises(ConnectorError, match=r"garbage\.zip: corrupt or truncated zip"):
        listing(garbage)
    whole = write_zip(tmp_path / "whole.zip", GOOD).read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(whole[: len(whole) - 30])
    with pytest.raises(ConnectorError, match=r"truncated\.zip: corrupt or truncated zip"):
        listing(truncated)
    assert files_under(private_tmp) == []


def test_a_damaged_member_fails_its_crc_check(tmp_path: Path, private_tmp: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(PAGE, b"# Page\n\n" + b"content " * 50)
    data = bytearray(buffer.getvalue())
    data[data.index(b"content") + 3] ^= 0xFF
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    with pytest.raises(ConnectorError, match=r"damaged\.zip.*(CRC|corrupt)"):
        listing(damaged)


def test_junk_is_ignored_and_close_removes_the_extraction(
    tmp_path: Path, private_tmp: Path
) -> None:
    export = write_zip(
        tmp_path / "export.zip",
        {
            **GOOD,
            "__MACOSX/Export-x/._Page 0123456789abcdef0123456789abcdef.md": b"\x00\x05",
            "Export-x/.DS_Store": b"\x00",
            "Export-x/Thumbs.db": b"\x00",
        },
    )
    notion = connector(export)
    items = [entry for entry in notion.list() if isinstance(entry, Item)]
    assert [item.external_id for item in items] == ["0123456789abcdef0123456789abcdef"]
    extracted = files_under(private_tmp)
    assert [p.name for p in extracted] == ["Page 0123456789abcdef0123456789abcdef.md"]
    assert stat.S_IMODE(extracted[0].parent.parent.stat().st_mode) == 0o700
    notion.close()
    assert list(private_tmp.iterdir()) == []


def test_names_without_the_utf8_flag_are_read_as_utf8(tmp_path: Path, private_tmp: Path) -> None:
    name = "Export-x/Привет 0123456789abcdef0123456789abcdef.md".encode()
    placeholder = b"Q" * len(name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # ASCII name: no UTF-8 flag is set
        archive.writestr(placeholder.decode(), "# Привет\n\nмир".encode())
    export = tmp_path / "cyrillic.zip"  # then the raw UTF-8 bytes, as old zip tools write
    export.write_bytes(buffer.getvalue().replace(placeholder, name))
    with connector(export) as notion:
        [item] = [e for e in notion.list() if isinstance(e, Item)]
        document = notion.fetch(item)
    assert item.locator.endswith("Привет 0123456789abcdef0123456789abcdef.md")
    assert document.title == "Привет"


def test_an_empty_export_is_an_error_not_a_mass_delete(tmp_path: Path, private_tmp: Path) -> None:
    empty = write_zip(tmp_path / "empty.zip", {"Export-x/index.html": b"<html></html>"})
    with pytest.raises(ConnectorError, match="no Notion page found"):
        listing(empty)


def test_an_encrypted_member_is_refused_with_a_plain_message(
    tmp_path: Path, private_tmp: Path
) -> None:
    # a zip re-packed with a password: bit 0 of the member's flags, in both of its headers
    data = bytearray(write_zip(tmp_path / "locked.zip", GOOD).read_bytes())
    data[data.index(b"PK\x03\x04") + 6] |= 0x1
    data[data.index(b"PK\x01\x02") + 8] |= 0x1
    locked = tmp_path / "locked.zip"
    locked.write_bytes(bytes(data))
    with pytest.raises(ConnectorError) as raised:
        listing(locked)
    assert str(raised.value) == (
        f"locked.zip: {PAGE!r}: encrypted (password-protected) member; export refused. "
        "Use the zip Notion or Confluence wrote, or re-pack it without a password"
    )
    assert files_under(private_tmp) == []


def test_zips_nested_too_deep_are_named_as_such(tmp_path: Path, private_tmp: Path) -> None:
    inner = write_zip(tmp_path / "level.zip", GOOD).read_bytes()
    for level in range(4):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"level-{level}.zip", inner)
        inner = buffer.getvalue()
    deep = tmp_path / "deep.zip"
    deep.write_bytes(inner)
    with pytest.raises(ConnectorError, match=r"zips nested more than 3 deep"):
        listing(deep)
    assert files_under(private_tmp) == []


def test_names_too_long_for_linux_are_shortened_and_pages_kept(
    tmp_path: Path, private_tmp: Path
) -> None:
    # 130 Cyrillic letters: a valid name on macOS and Windows, 260+ bytes on Linux
    long_title = "Инструкция " * 12
    page_id = "fedcba9876543210fedcba9876543210"
    export = write_zip(
        tmp_path / "export.zip",
        {
            **GOOD,
            f"Export-x/{long_title}{page_id}.md": "# Инструкция\n\nТекст.\n".encode(),
            f"Export-x/Page 0123456789abcdef0123456789abcdef/{long_title}.png": b"\x89PNG",
        },
    )
    with connector(export) as notion:
        items = {item.external_id: item for item in notion.list() if isinstance(item, Item)}
        assert set(items) == {"0123456789abcdef0123456789abcdef", page_id}
        assert notion.fetch(items[page_id]).title == "Инструкция"
        unpacked = [p.name for p in private_tmp.rglob("*.png")]
        assert len(unpacked) == 1 and len(unpacked[0].encode()) <= 255


def test_a_member_that_cannot_be_written_is_named(tmp_path: Path, private_tmp: Path) -> None:
    clash = write_zip(tmp_path / "clash.zip", {**GOOD, f"{PAGE}/child.md": b"# Child\n"})
    with pytest.raises(ConnectorError) as raised:
        listing(clash)
    assert str(raised.value) == f"clash.zip: {PAGE + '/child.md'!r}: cannot extract: File exists"
    assert files_under(private_tmp) == []
