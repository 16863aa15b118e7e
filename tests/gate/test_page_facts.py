"""The facts audience rules match on, as the two local connectors and conversion produce them."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestor.connectors.base import Document, Item
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.connectors.notion_export import NotionExportConnector, NotionExportSettings
from ingestor.convert import convert_document

from ..notion.conftest import write_zip

DB = "0123456789abcdef0123456789abcdef"
ROW = "fedcba9876543210fedcba9876543210"


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def test_front_matter_keys_become_facts_in_conversion_lists_as_several_values() -> None:
    page = convert_document(
        Document(
            "a.md",
            "---\ntitle: A\naudience: team\ntags: [hr, Internal]\ndraft: true\nn: 3\n"
            "nested: {x: 1}\n---\n# A\n\nbody\n",
            "markdown",
        )
    )
    assert page.facts == {
        "front_matter.title": ("A",),
        "front_matter.audience": ("team",),
        "front_matter.tags": ("hr", "Internal"),
        "front_matter.draft": ("true",),
        "front_matter.n": ("3",),
    }
    html = convert_document(Document("b.html", "<h1>B</h1><p>x</p>", "html"))
    assert html.facts == {}


def test_the_share_puts_the_relative_path_on_each_page(tmp_path: Path) -> None:
    root = tmp_path / "share"
    (root / "hr").mkdir(parents=True)
    (root / "hr" / "leave.md").write_text("# Leave\n", encoding="utf-8")
    settings = FilesystemSettings(name="s", url="https://s.example.com/", root=root)
    with FilesystemConnector(settings) as share:
        [item] = [e for e in share.list() if isinstance(e, Item)]
        assert share.fetch(item).facts == {"path": ("hr/leave.md",)}
    assert FilesystemConnector.audience_fields == frozenset({"path", "front_matter.*"})


def test_a_notion_database_row_carries_its_properties(tmp_path: Path) -> None:
    export = write_zip(
        tmp_path / "export.zip",
        {
            f"Tasks {DB}.csv": b'Name,Audience,Tags\nFix login,Team,"hr, internal"\n',
            f"Tasks {DB}/Fix login {ROW}.md": (
                b"# Fix login\n\nAudience: Team\nTags: hr, internal\n\nSteps.\n"
            ),
        },
    )
    settings = NotionExportSettings(name="n", url="https://n.example.com/", path=export)
    with NotionExportConnector(settings) as notion:
        items = {e.external_id: e for e in notion.list() if isinstance(e, Item)}
        row = notion.fetch(items[ROW])
        database = notion.fetch(items[DB])
    assert row.facts == {
        "path": (f"Tasks {DB}/Fix login {ROW}.md",),
        "property.Audience": ("Team",),
        "property.Tags": ("hr, internal", "hr", "internal"),
    }
    assert database.facts == {"path": (f"Tasks {DB}.csv",)}
