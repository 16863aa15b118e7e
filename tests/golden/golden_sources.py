"""Each connector kind's input pages through the real pipeline, as :class:`GoldenPage` by key.

* filesystem and notion_export: the connector itself, ``list()`` then ``fetch()`` on the
  checked-in folder (Word and PDF go through the real sandboxed converters), then
  :func:`~ingestor.convert.convert_document`.
* mediawiki, dokuwiki and confluence: the body their API returns is checked in; each goes
  through the connector's own pure cleaning function and into a Document built the way the
  connector's ``fetch()`` builds it, then :func:`~ingestor.convert.convert_document`.

A key is the page's input path relative to ``tests/golden/<kind>/input`` (its expected file
is named after it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from connectors.base import Document, Item
from connectors.confluence import clean_confluence_html
from connectors.dokuwiki import DokuWikiConnector, DokuWikiSettings, clean_dokuwiki_html
from connectors.dokuwiki._connector import readable_page_name
from connectors.filesystem import FilesystemConnector, FilesystemSettings
from connectors.mediawiki import clean_mediawiki_html
from connectors.notion_export import NotionExportConnector, NotionExportSettings
from ingestor.convert import convert_document

from .golden_files import GoldenPage

__all__ = ["GOLDEN_ROOT", "KINDS", "render_kind"]

GOLDEN_ROOT = Path(__file__).parent
#: The Notion exports under notion_export/input (one "Markdown & CSV", one "HTML").
NOTION_EXPORTS = ("markdown-export", "html-export")
CONFLUENCE_SITE = "https://acme.atlassian.net/wiki"
DOKUWIKI_URL = "https://wiki.example.com/"

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
    """``parse.text`` bodies as MediaWikiConnector.fetch() turns them into Documents."""
    pages: Pages = {}
    for name, page in sorted(_manifest(input_dir).items()):
        text = (input_dir / name).read_text(encoding="utf-8")
        doc = Document(
            external_id=str(page["pageid"]),
            body=clean_mediawiki_html(text),
            body_format="html",
            title=page["title"] or None,
            url=page["url"],
            metadata={"title": page["title"]},
        )
        pages[name] = _convert(doc)
    return pages


def render_dokuwiki(input_dir: Path) -> Pages:
    """``wiki.getPageHTML`` bodies (``input/<ns>/<page>.html`` is page ``ns:page``)."""
    settings = DokuWikiSettings(name="golden-dw", url=DOKUWIKI_URL, wiki_url=DOKUWIKI_URL)
    pages: Pages = {}
    with DokuWikiConnector(settings) as connector:  # for page_url only: no request is made
        for path in sorted(input_dir.rglob("*.html")):
            key = path.relative_to(input_dir).as_posix()
            page_id = key.removesuffix(".html").replace("/", ":")
            doc = Document(
                external_id=page_id,
                body=clean_dokuwiki_html(path.read_text(encoding="utf-8")),
                body_format="html",
                fallback_title=readable_page_name(page_id),
                url=connector.page_url(page_id),
                metadata={"id": page_id},
            )
            pages[key] = _convert(doc)
    return pages


def render_confluence(input_dir: Path) -> Pages:
    """``export_view`` bodies as ConfluenceConnector.fetch() turns them into Documents."""
    pages: Pages = {}
    for name, page in sorted(_manifest(input_dir).items()):
        text = (input_dir / name).read_text(encoding="utf-8")
        doc = Document(
            external_id=str(page["id"]),
            body=clean_confluence_html(text, CONFLUENCE_SITE),
            body_format="html",
            title=page["title"] or None,
            url=CONFLUENCE_SITE + page["webui"],
            metadata={"space": "HELP"},
        )
        pages[name] = _convert(doc)
    return pages


KINDS: Mapping[str, Callable[[Path], Pages]] = {
    "filesystem": render_filesystem,
    "notion_export": render_notion_export,
    "mediawiki": render_mediawiki,
    "dokuwiki": render_dokuwiki,
    "confluence": render_confluence,
}


def render_kind(kind: str) -> Pages:
    """Render every input page of one connector kind."""
    return KINDS[kind](GOLDEN_ROOT / kind / "input")
