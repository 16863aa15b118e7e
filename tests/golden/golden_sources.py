"""Each connector kind's input pages through the real pipeline, as :class:`GoldenPage` by key.

* filesystem, notion_export and confluence_export: the connector itself, ``list()`` then
  ``fetch()`` on the checked-in folder (Word and PDF go through the real sandboxed converters;
  the Confluence space export is hand-built in Confluence's layout, see
  ``tests/confluence_export/export_layout.py``).
* mediawiki, dokuwiki and confluence: the connector's ``fetch()`` against its API, whose
  answers are recorded: the checked-in bodies (plus ``pages.json``: ids, titles, urls as the
  API gives them) served by :mod:`.golden_fakes`. So the connector's own cleaning and the
  Document it builds are exactly production's.

Then :func:`~ingestor.convert.convert_document`, as the engine does.

A key is the page's input path relative to ``tests/golden/<kind>/input`` (its expected file
is named after it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ingestor.connectors.base import Document, Item
from ingestor.connectors.confluence import ConfluenceConnector, ConfluenceSettings
from ingestor.connectors.confluence_export import (
    ConfluenceExportConnector,
    ConfluenceExportSettings,
)
from ingestor.connectors.dokuwiki import DokuWikiConnector, DokuWikiSettings
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.connectors.mediawiki import MediaWikiConnector, MediaWikiSettings
from ingestor.connectors.notion_export import NotionExportConnector, NotionExportSettings
from ingestor.connectors.wikikit import WikiHttp
from ingestor.convert import convert_document

from .golden_fakes import confluence_transport, dokuwiki_transport, mediawiki_transport
from .golden_files import GoldenPage

__all__ = ["GOLDEN_ROOT", "KINDS", "render_kind"]

GOLDEN_ROOT = Path(__file__).parent
#: The Notion exports under notion_export/input (one "Markdown & CSV", one "HTML").
NOTION_EXPORTS = ("markdown-export", "html-export")
CONFLUENCE_SITE = "https://acme.atlassian.net/wiki"
DOKUWIKI_URL = "https://wiki.example.com/"
MEDIAWIKI_URL = "https://wiki.example.com/"

Pages = dict[str, GoldenPage]


def _convert(doc: Document) -> GoldenPage:
    return GoldenPage.of(convert_document(doc))


def _manifest(input_dir: Path) -> dict[str, dict[str, Any]]:
    """``pages.json``: what the API returns with each body (ids, titles, urls)."""
    data: dict[str, dict[str, Any]] = json.loads(
        (input_dir / "pages.json").read_text(encoding="utf-8")
    )
    bodies = {p.name for p in input_dir.glob("*.html")}
    if bodies != data.keys():
        raise AssertionError(
            f"{input_dir}/pages.json lists {sorted(data)} but the bodies are {sorted(bodies)}"
        )
    return data


def render_filesystem(input_dir: Path) -> Pages:
    """Every file of the share, all five formats enabled, through the connector."""
    settings = FilesystemSettings(
        name="golden-fs",
        url="https://docs.acme.example/",
        root=input_dir,
        formats=["md", "html", "txt", "docx", "pdf"],
        url_template="https://docs.acme.example/{path_no_ext}",
    )
    pages: Pages = {}
    with FilesystemConnector(settings) as connector:
        for item in connector.list():
            assert isinstance(item, Item), f"listing problem in {input_dir}: {item}"
            pages[item.external_id] = _convert(connector.fetch(item))
    return pages


def render_notion_export(input_dir: Path) -> Pages:
    """Both unpacked exports through the connector; keys are ``<export>/<path in it>``."""
    pages: Pages = {}
    for export in NOTION_EXPORTS:
        settings = NotionExportSettings(
            name=f"golden-{export}",
            url="https://www.notion.so/acme-help",
            path=input_dir / export,
            url_template="https://help.acme.example/p/{id}",
            asset_base_url="https://files.acme.example/notion",
        )
        with NotionExportConnector(settings) as connector:
            for item in connector.list():
                assert isinstance(item, Item), f"listing problem in {export}: {item}"
                pages[f"{export}/{item.locator}"] = _convert(connector.fetch(item))
    return pages


def render_mediawiki(input_dir: Path) -> Pages:
    """``MediaWikiConnector.fetch()`` of each page, its ``action=parse`` answer recorded."""
    manifest = _manifest(input_dir)
    recorded = {
        str(page["pageid"]): {**page, "text": (input_dir / name).read_text(encoding="utf-8")}
        for name, page in manifest.items()
    }
    settings = MediaWikiSettings(
        name="golden-mw", url=MEDIAWIKI_URL, api_url=MEDIAWIKI_URL + "w/api.php"
    )
    http = WikiHttp(settings, "golden", transport=mediawiki_transport(recorded))
    pages: Pages = {}
    with MediaWikiConnector(settings, http=http) as connector:
        for name, page in sorted(manifest.items()):
            item = Item(str(page["pageid"]), str(page["revid"]), locator=page["url"])
            pages[name] = _convert(connector.fetch(item))
    return pages


def render_dokuwiki(input_dir: Path) -> Pages:
    """``DokuWikiConnector.fetch()``; ``input/<ns>/<page>.html`` is page ``ns:page``."""
    bodies = {
        path.relative_to(input_dir).with_suffix("").as_posix().replace("/", ":"): path
        for path in sorted(input_dir.rglob("*.html"))
    }
    recorded = {page_id: path.read_text(encoding="utf-8") for page_id, path in bodies.items()}
    settings = DokuWikiSettings(name="golden-dw", url=DOKUWIKI_URL, wiki_url=DOKUWIKI_URL)
    http = WikiHttp(settings, "golden", transport=dokuwiki_transport(recorded))
    pages: Pages = {}
    with DokuWikiConnector(settings, http=http) as connector:
        for page_id, path in bodies.items():
            doc = connector.fetch(Item(page_id, "1763633700:1024"))
            pages[path.relative_to(input_dir).as_posix()] = _convert(doc)
    return pages


def render_confluence(input_dir: Path) -> Pages:
    """``ConfluenceConnector.fetch()`` (Cloud) of each page, its ``export_view`` recorded."""
    manifest = _manifest(input_dir)
    recorded = {
        str(page["id"]): {**page, "html": (input_dir / name).read_text(encoding="utf-8")}
        for name, page in manifest.items()
    }
    settings = ConfluenceSettings(
        name="golden-confluence",
        url=CONFLUENCE_SITE + "/spaces/HELP",
        base_url=CONFLUENCE_SITE,
        deployment="cloud",
        spaces=["HELP"],
        email="bot@acme.example",
        api_token=SecretStr("golden-not-a-token"),
    )
    pages: Pages = {}
    transport = confluence_transport(recorded)
    with ConfluenceConnector(settings, transport=transport) as connector:
        for name, page in sorted(manifest.items()):
            item = Item(str(page["id"]), str(page["version"]), locator="HELP")
            pages[name] = _convert(connector.fetch(item))
    return pages


def render_confluence_export(input_dir: Path) -> Pages:
    """The unpacked HELP space export through the connector; keys are ``HELP/<page file>``."""
    settings = ConfluenceExportSettings(
        name="golden-confluence-export",
        url="https://confluence.acme.example/display/HELP",
        path=input_dir,
        base_url="https://confluence.acme.example",
        asset_base_url="https://files.acme.example/confluence",
    )
    pages: Pages = {}
    with ConfluenceExportConnector(settings) as connector:
        for item in connector.list():
            assert isinstance(item, Item), f"listing problem in {input_dir}: {item}"
            pages[f"HELP/{item.locator}"] = _convert(connector.fetch(item))
    return pages


KINDS: Mapping[str, Callable[[Path], Pages]] = {
    "filesystem": render_filesystem,
    "notion_export": render_notion_export,
    "mediawiki": render_mediawiki,
    "dokuwiki": render_dokuwiki,
    "confluence": render_confluence,
    "confluence_export": render_confluence_export,
}


def render_kind(kind: str) -> Pages:
    """Render every input page of one connector kind."""
    return KINDS[kind](GOLDEN_ROOT / kind / "input")
