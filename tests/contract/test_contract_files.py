"""The contract over the connectors that read files: filesystem, notion_export and
confluence_export, each on a copy of its checked-in fixture that the test may edit and
finally remove."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ingestor.connectors.base import Connector, Item
from ingestor.connectors.confluence_export import (
    ConfluenceExportConnector,
    ConfluenceExportSettings,
)
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.connectors.notion_export import NotionExportConnector, NotionExportSettings
from ingestor.connectors.testkit import ConnectorContract, ContractSource

from ..confluence_export.export_layout import write_export
from ..notion.conftest import MARKDOWN_EXPORT, fixture_members, write_nested_zip
from .edits import edit_page_bytes

GOLDEN = Path(__file__).parents[1] / "golden"


class ShareSource(ContractSource):
    """A copy of tests/golden/filesystem/input (Markdown, HTML and text) as a file share."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "share"
        shutil.copytree(GOLDEN / "filesystem" / "input", self.root)

    def connect(self) -> Connector[Any]:
        settings = FilesystemSettings(
            name="share",
            url="https://docs.example.com/",
            root=self.root,
            url_template="https://docs.example.com/{path_no_ext}",
        )
        return FilesystemConnector(settings)

    def mutate(self, item: Item) -> None:
        path = self.root / item.external_id
        path.write_bytes(edit_page_bytes(path.name, path.read_bytes()))

    def break_source(self) -> None:
        shutil.rmtree(self.root)  # the share unmounted: its folder is gone


def rewrite_member(archive: Path, suffix: str) -> None:
    """Rewrite the zip ``archive`` with its member ending in ``suffix`` edited."""
    with zipfile.ZipFile(archive) as old:
        members = {info.filename: old.read(info) for info in old.infolist() if not info.is_dir()}
    [name] = [n for n in members if n.endswith("/" + suffix) or n == suffix]
    members[name] = edit_page_bytes(name, members[name])
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as new:
        for member, data in members.items():
            new.writestr(member, data)


class NotionSource(ContractSource):
    """The genuine Markdown & CSV export of tests/notion/fixtures, as a zip-in-zip download."""

    INNER = "Export-contract-Part-1.zip"

    def __init__(self, tmp_path: Path) -> None:
        self.members = fixture_members(MARKDOWN_EXPORT)
        self.archive = write_nested_zip(tmp_path / "notion.zip", self.INNER, self.members)

    def connect(self) -> Connector[Any]:
        settings = NotionExportSettings(
            name="notion",
            url="https://www.notion.so/acme",
            path=self.archive,
            url_template="https://help.example.com/p/{id}",
        )
        return NotionExportConnector(settings)

    def pick(self, items: Any) -> Item:
        return next(item for item in items if item.locator.endswith(".md"))

    def mutate(self, item: Item) -> None:
        [name] = [n for n in self.members if n.endswith(item.locator)]
        self.members[name] = edit_page_bytes(name, self.members[name])
        write_nested_zip(self.archive, self.INNER, self.members)

    def break_source(self) -> None:
        self.archive.unlink()


class ConfluenceExportSource(ContractSource):
    """The hand-built HELP space export of tests/confluence_export, as a zip in a drop folder."""

    def __init__(self, tmp_path: Path) -> None:
        self.drop = tmp_path / "exports"
        self.archive = write_export(self.drop / "Confluence-space-export-1.html.zip", zipped=True)

    def connect(self) -> Connector[Any]:
        settings = ConfluenceExportSettings(
            name="help-export",
            url="https://confluence.example.com/display/HELP",
            path=self.drop,
            base_url="https://confluence.example.com",
        )
        return ConfluenceExportConnector(settings)

    def mutate(self, item: Item) -> None:
        rewrite_member(self.archive, item.locator)

    def break_source(self) -> None:
        shutil.rmtree(self.drop)


class TestFilesystemContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, tmp_path: Path) -> ContractSource:
        return ShareSource(tmp_path)


class TestNotionExportContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, tmp_path: Path) -> ContractSource:
        return NotionSource(tmp_path)


class TestConfluenceExportContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, tmp_path: Path) -> ContractSource:
        return ConfluenceExportSource(tmp_path)
