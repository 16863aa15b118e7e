"""The Notion export connector: list the pages of the newest export, fetch one as HTML.

Each ``list()`` unpacks the export afresh into a private temporary folder (removed by
``close()``) and hashes every page file: the version of a page is the hash of what it is
built from, so an unchanged page in a new export is not even fetched, and the engine's
content-hash gate catches the rest. The connector is not :class:`Incremental`: an export is
a full snapshot. A corrupt, truncated or unsafe export raises :class:`ConnectorError` from
``list()``, so the engine treats the listing as incomplete and deletes nothing.

No byte from outside the export is read (:mod:`connectors.fs_contain`): the files of an
unpacked export are opened relative to its folder without following links out of it, and
zips picked from a folder must be regular files in it (links are skipped with a warning).
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from ingestor.connectors.base import Connector, ConnectorSettings, Document, Item, ListingProblem
from ingestor.connectors.export_common import UnpackFolder
from ingestor.connectors.notion_export._archive import (
    export_parts,
    newest_export,
    newest_unpacked_export,
)
from ingestor.connectors.notion_export._database import render_database
from ingestor.connectors.notion_export._index import (
    ExportIndex,
    PageEntry,
    build_index,
    content_root,
)
from ingestor.connectors.notion_export._links import LinkContext
from ingestor.connectors.notion_export._names import format_uuid
from ingestor.connectors.notion_export._render import (
    RenderedPage,
    render_html_page,
    render_markdown_page,
)
from ingestor.connectors.notion_export._settings import NotionExportSettings
from ingestor.errors import ConnectorError, PageSkipped

__all__ = ["FORMAT_VERSION", "NotionExportConnector"]

log = logging.getLogger(__name__)

#: Bump when rendering changes on purpose: every page version changes once.
FORMAT_VERSION = "2"


class NotionExportConnector(Connector[NotionExportSettings]):
    """Syncs the pages and databases of a Notion workspace export."""

    kind: ClassVar[str] = "notion_export"
    Settings: ClassVar[type[ConnectorSettings]] = NotionExportSettings
    #: ``path``: the page's file inside the export; ``property.<Name>``: a database row's
    #: properties (a multi-select gives the whole value and each of its options).
    audience_fields: ClassVar[frozenset[str]] = frozenset({"path", "property.*"})

    def __init__(self, settings: NotionExportSettings) -> None:
        super().__init__(settings)
        self._unpacked = UnpackFolder(prefix=f"fin-notion-{settings.name}-")
        self._index: ExportIndex | None = None
        self._source = ""
        self._version_salt = hashlib.sha256(
            f"{FORMAT_VERSION}|{settings.fingerprint()}".encode()
        ).hexdigest()[:12]

    # -- listing -------------------------------------------------------------------------------

    def list(self) -> Iterator[Item | ListingProblem]:
        """Unpack the newest export and yield every page, database and row page in it.

        Raises:
            ConnectorError: The export is missing, corrupt, truncated, unsafe or holds no page.
        """
        index = self._open_export()
        yield from index.problems
        for entry in sorted(index.pages.values(), key=lambda e: e.rel):
            yield Item(
                external_id=entry.page_id,
                version=f"{self._version_salt}:{entry.digest[:32]}",
                locator=entry.rel,
                size=entry.size,
            )

    def _open_export(self) -> ExportIndex:
        self._cleanup()
        self._index = None
        path = Path(self.settings.path)
        only: list[str] = []
        if path.is_dir():
            zips = newest_export(path)
            if zips:
                root = self._extract(zips)
            else:
                root, only = str(path), newest_unpacked_export(path)
        elif path.is_file():
            # the configured zip may be a link (the admin's choice); its parts lie beside
            # where it really is, and each part is then opened without following links
            root = self._extract(export_parts(Path(os.path.realpath(path))))
        else:
            raise ConnectorError(f"{path}: export not found")
        self._source = str(path)
        index = build_index(
            root if len(only) > 1 else content_root(os.path.join(root, *only)),
            limit=self.settings.max_file_bytes,
            include_databases=self.settings.include_databases,
            export=root,
            only=frozenset(only) if len(only) > 1 else frozenset(),
        )
        if not index.pages and not index.problems:
            raise ConnectorError(
                f"{path}: no Notion page found (no '<title> <32-hex id>.md/.html/.csv' file); "
                "nothing is deleted"
            )
        self._index = index
        log.info("notion export %s: %d pages from %s", self.name, len(index.pages), path)
        return index

    def _extract(self, zips: Sequence[Path]) -> str:
        return self._unpacked.extract(zips, self.settings.extraction_limits())

    # -- fetching ------------------------------------------------------------------------------

    def fetch(self, item: Item) -> Document:
        """Render one listed page as HTML with rewritten links.

        Raises:
            ConnectorError: The page is not in the current listing, unreadable or too large.
        """
        index = self._index
        entry = index.pages.get(item.external_id) if index is not None else None
        if index is None or entry is None:
            raise ConnectorError(f"{item.external_id}: not in the current export listing")
        if entry.refused:  # a link out of the export, a FIFO...: nothing of it was read
            raise PageSkipped(entry.refused)
        ctx = LinkContext(
            page_dir=posixpath.dirname(entry.rel),
            url_for=self.url_for,
            exists=index.exists,
            asset_base_url=self.settings.asset_base_url,
            has_page=index.pages.__contains__,
            keep_broken=self.settings.broken_links == "keep",
        )
        try:
            rendered = self._render(index, entry, ctx)
        except ValueError as exc:  # lxml refused a value the export holds: this page only
            raise ConnectorError(f"{entry.rel}: cannot render the page: {exc}") from exc
        missing = [pid for pid in dict.fromkeys(ctx.linked) if pid not in index.pages]
        if rendered.notes:
            log.info("%s: %d file link(s) replaced by a note", entry.rel, rendered.notes)
        return Document(
            external_id=entry.page_id,
            body=rendered.html,
            body_format="html",
            title=rendered.title,
            fallback_title=entry.name_title or None,
            url=self.url_for(entry.page_id),
            facts=_facts(entry.rel, rendered.properties),
            metadata={
                "path": entry.rel,
                "kind": entry.kind,
                "export": self._source,
                "missing_links": missing,
            },
        )

    def url_for(self, page_id: str) -> str:
        """The url Fin cites for a page id (and the target of links to it).

        Args:
            page_id: 32 hex digits.

        Returns:
            ``url_template`` filled in.
        """
        return self.settings.url_template.format(id=page_id, uuid=format_uuid(page_id))

    def _render(self, index: ExportIndex, entry: PageEntry, ctx: LinkContext) -> RenderedPage:
        if entry.kind == "database":
            data = self._read(index, entry.rel)
            folder = entry.rel[: -len(".csv")].removesuffix("_all")
            rows = index.rows_by_folder.get(folder, [])
            return render_database(data, entry.name_title, entry.rel, rows, ctx)
        text = self._decode(self._read(index, entry.rel), entry.rel)
        if entry.kind == "html":
            return render_html_page(text, ctx)
        page = render_markdown_page(text, ctx, properties=entry.is_row)
        if entry.database_csv is None:
            return page
        folder = posixpath.splitext(entry.rel)[0]
        table = render_database(
            self._read(index, entry.database_csv),
            page.title or entry.name_title,
            entry.database_csv,
            index.rows_by_folder.get(folder, []),
            ctx,
        )
        body = table.html.split("</h1>", 1)[-1]  # the page already has its heading
        return RenderedPage(
            html=page.html + body,
            title=page.title,
            notes=page.notes + table.notes,
            properties=page.properties,
        )

    def _read(self, index: ExportIndex, rel: str) -> bytes:
        try:
            return index.read(rel, self.settings.max_file_bytes)
        except OSError as exc:
            raise ConnectorError(f"{rel}: cannot read: {exc.strerror or exc}") from exc

    @staticmethod
    def _decode(data: bytes, rel: str) -> str:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            log.warning("%s: not UTF-8; read as Windows-1252", rel)
            return data.decode("cp1252", errors="replace")

    # -- cleanup -------------------------------------------------------------------------------

    def close(self) -> None:
        """Remove the temporary extraction folder."""
        self._index = None
        self._cleanup()

    def _cleanup(self) -> None:
        self._unpacked.cleanup()


def _facts(rel: str, properties: Sequence[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Audience-rule facts: the path, and each property's value and comma-separated options."""
    # composed, as admins type rules: a zip re-packed on macOS stores decomposed names
    facts: dict[str, tuple[str, ...]] = {"path": (unicodedata.normalize("NFC", rel),)}
    for name, value in properties:
        options = [part.strip() for part in value.split(",")] if "," in value else []
        values = tuple(dict.fromkeys(v for v in (value.strip(), *options) if v))
        if values:
            facts[f"property.{name}"] = values
    return facts
