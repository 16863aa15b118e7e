"""Helpers for Confluence export tests: the connector over real folders and zips, the emulator."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingestor.config import Config, load_config
from ingestor.connectors.base import Document, Item
from ingestor.connectors.confluence_export import (
    ConfluenceExportConnector,
    ConfluenceExportSettings,
)
from ingestor.emulator import EmulatorServer
from ingestor.engine.report import SyncReport
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions

SITE = "https://confluence.example.com"
FILES = "https://files.example.com/help"


def page_url(page_id: str) -> str:
    return f"{SITE}/pages/viewpage.action?pageId={page_id}"


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the connector's temporary folders go, so a test can see every byte written."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def connector(path: Path, **settings: Any) -> ConfluenceExportConnector:
    values: dict[str, Any] = {"base_url": SITE} | settings
    return ConfluenceExportConnector(
        ConfluenceExportSettings(name="cx", url=SITE + "/display/HELP", path=path, **values)
    )


def listing(path: Path, **settings: Any) -> list[Item]:
    with connector(path, **settings) as export:
        return [entry for entry in export.list() if isinstance(entry, Item)]


def documents(path: Path, **settings: Any) -> dict[str, Document]:
    """Every page of the export, fetched, by external id."""
    with connector(path, **settings) as export:
        items = [entry for entry in export.list() if isinstance(entry, Item)]
        return {item.external_id: export.fetch(item) for item in items}


CONFIG_TEMPLATE = """\
intercom:
  token: ${{TEST_INTERCOM_TOKEN}}
  base_url: {base_url}
state:
  path: {state}
defaults:
  max_delete_fraction: 0.9
connectors:
  - name: help-export
    type: confluence_export
    url: https://confluence.example.com/display/HELP
    path: {path}
    base_url: https://confluence.example.com
{extra}"""


class ExportSite:
    """A drop folder for exports plus the YAML config that syncs it into the emulator."""

    def __init__(self, tmp_path: Path, server: EmulatorServer) -> None:
        self.exports = tmp_path / "exports"
        self.exports.mkdir()
        self.state = tmp_path / "state" / "state.db"
        self.config_path = tmp_path / "config.yaml"
        self.server = server
        self.env = {"TEST_INTERCOM_TOKEN": server.token}
        self.configure()

    def configure(self, **extra: str) -> None:
        lines = "".join(f"    {key}: {value}\n" for key, value in extra.items())
        self.config_path.write_text(
            CONFIG_TEMPLATE.format(
                base_url=self.server.url, state=self.state, path=self.exports, extra=lines
            ),
            encoding="utf-8",
        )

    def config(self) -> Config:
        return load_config(self.config_path, environ=self.env)

    def sync(self, **options: bool) -> SyncReport:
        [report] = sync_connectors(self.config(), options=SyncOptions(**options))
        return report

    def pages(self) -> dict[str, dict[str, Any]]:
        pages = self.server.pages()
        by_id = {page["external_id"]: page for page in pages}
        assert len(by_id) == len(pages), "duplicate external_id in Intercom"
        return by_id


@pytest.fixture
def export_site(tmp_path: Path, emulator: EmulatorServer) -> ExportSite:
    return ExportSite(tmp_path, emulator)
