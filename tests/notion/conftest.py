"""Helpers for Notion export tests: real zips built from the fixtures, a config, the emulator.

The fixtures (``fixtures/*.zip``, see ``fixtures/ORIGIN.md``) are genuine Notion exports; tests
read their members and write new zips (plain, nested, multi-part, malicious) in ``tmp_path``.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ingestor.config import Config, load_config
from ingestor.emulator import EmulatorServer
from ingestor.report import SyncReport
from ingestor.runner import sync_connectors
from ingestor.sync import SyncOptions

FIXTURES = Path(__file__).parent / "fixtures"
MARKDOWN_EXPORT = FIXTURES / "markdown-export.zip"
HTML_EXPORT = FIXTURES / "html-export.zip"

CONFIG_TEMPLATE = """\
intercom:
  token: ${{TEST_INTERCOM_TOKEN}}
  base_url: {base_url}
state:
  path: {state}
defaults:
  max_delete_fraction: 0.9
  section_bytes: 0  # one page per Notion page: these tests are about the export, not sections
connectors:
  - name: notion
    type: notion_export
    url: https://notion.example.com/
    path: {path}
    url_template: "https://help.example.com/p/{{id}}"
{extra}"""


def fixture_members(export: Path) -> dict[str, bytes]:
    """The files inside a genuine (zip-in-zip) export, by their path inside the inner zip."""
    with zipfile.ZipFile(export) as outer:
        [inner_name] = outer.namelist()
        with zipfile.ZipFile(io.BytesIO(outer.read(inner_name))) as inner:
            return {
                info.filename: inner.read(info) for info in inner.infolist() if not info.is_dir()
            }


def write_zip(path: Path, files: dict[str, bytes], *, mtime: float | None = None) -> Path:
    """Write a deflated zip holding ``files`` (UTF-8 names)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def write_nested_zip(path: Path, inner_name: str, files: dict[str, bytes]) -> Path:
    """A zip holding one zip, the way Notion wraps large exports."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as inner:
        for name, data in files.items():
            inner.writestr(name, data)
    return write_zip(path, {inner_name: buffer.getvalue()})


def calls(stats: dict[str, Any], op: str) -> int:
    """How many calls of one operation the emulator answered."""
    return int(stats["by_operation"].get(op, 0))


class NotionSite:
    """An export location plus the YAML config that syncs it into the emulator."""

    def __init__(self, tmp_path: Path, server: EmulatorServer) -> None:
        self.tmp_path = tmp_path
        self.exports = tmp_path / "exports"
        self.exports.mkdir()
        self.state = tmp_path / "state" / "state.db"
        self.config_path = tmp_path / "config.yaml"
        self.server = server
        self.env = {"TEST_INTERCOM_TOKEN": server.token}
        self.configure(self.exports)

    def configure(self, path: Path, **extra: str) -> None:
        lines = "".join(f"    {key}: {value}\n" for key, value in extra.items())
        self.config_path.write_text(
            CONFIG_TEMPLATE.format(
                base_url=self.server.url, state=self.state, path=path, extra=lines
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
def notion_site(tmp_path: Path, emulator: EmulatorServer) -> NotionSite:
    return NotionSite(tmp_path, emulator)
