"""The Confluence HTML export connector: list the pages of the newest export, fetch one as HTML.

Each ``list()`` unpacks the export afresh into a private temporary folder (removed by
``close()``), with the Notion connector's zip safety rules (:mod:`connectors.archive_safety`),
and hashes every page file: the version of a page is the hash of its file, its children in
the page tree and the settings that shape it, so an unchanged page in a new export is not even
fetched. Not :class:`Incremental`: an export is a full snapshot. A corrupt, truncated or unsafe
export raises :class:`ConnectorError` from ``list()``, so nothing is deleted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from ingestor.connectors.archive_safety import export_parts, newest_export
from ingestor.connectors.base import Connector, ConnectorSettings, Document, Item, ListingProblem
from ingestor.connectors.confluence_export._index import (
    ExportIndex,
    PageFile,
    build_index,
    find_export_root,
    read_export_file,
)
from ingestor.connectors.confluence_export._layout import (
    INDEX_FILE,
    ExportedPage,
    link_target_id,
    page_title,
    parse_page,
    slug_title,
)
from ingestor.connectors.confluence_export._render import LinkTargets, render_page
from ingestor.connectors.confluence_export._settings import ConfluenceExportSettings
from ingestor.connectors.decode import decode_text
from ingestor.connectors.export_common import UnpackFolder
from ingestor.errors import ConnectorError

__all__ = ["FORMAT_VERSION", "ConfluenceExportConnector"]

log = logging.getLogger(__name__)

#: Bump when rendering changes on purpose: every page version changes once.
FORMAT_VERSION = "2"


class ConfluenceExportConnector(Connector[ConfluenceExportSettings]):
    """Syncs the pages of a Confluence HTML space export."""

    kind: ClassVar[str] = "confluence_export"
    Settings: ClassVar[type[ConnectorSettings]] = ConfluenceExportSettings
    audience_fields: ClassVar[frozenset[str]] = frozenset({"path", "space", "ancestor", "label"})

    def __init__(self, settings: ConfluenceExportSettings) -> None:
        super().__init__(settings)
        self._unpacked = UnpackFolder(prefix=f"fin-confluence-{settings.name}-")
        self._index: ExportIndex | None = None
        self._link_targets: LinkTargets | None = None
        self._source = ""
        self._template = settings.page_url_template()
        self._version_salt = hashlib.sha256(
            f"{FORMAT_VERSION}|{settings.fingerprint()}".encode()
        ).hexdigest()[:12]

    # -- listing -------------------------------------------------------------------------------

    def list(self) -> Iterator[Item | ListingProblem]:
        """Unpack the newest export and yield every page in it.

        Raises:
            ConnectorError: The export is missing, corrupt, truncated, unsafe or holds no page.
        """
        index = self._open_export()
        yield from index.problems
        for page in sorted(index.pages.values(), key=lambda p: p.rel):
            yield Item(
                external_id=page.page_id,
                version=self._version(index, page),
                locator=page.rel,
                size=page.size,
            )

    def _version(self, index: ExportIndex, page: PageFile) -> str:
        children = "|".join(f"{c.page_id}:{c.title}" for c in index.children(page.page_id))
        missing = ",".join(sorted(pid for pid in page.links if pid not in index.pages))
        tree = hashlib.sha256(f"{children}/{missing}".encode()).hexdigest()[:8]
        return f"{self._version_salt}:{page.digest[:32] or f'size{page.size}'}:{tree}"

    def _open_export(self) -> ExportIndex:
        self._cleanup()
        self._index = None
        path = Path(self.settings.path)
        if path.is_dir():
            zips = newest_export(path)
            folder = str(path) if not zips else self._extract(zips)
        elif path.is_file():
            folder = self._extract(export_parts(path))
        else:
            raise ConnectorError(f"{path}: export not found")
        self._source = str(path)
        index = build_index(find_export_root(folder), limit=self.settings.max_file_bytes)
        if not index.pages and not index.problems:
            raise ConnectorError(
                f"{path}: no Confluence page found (no '<Title>_<id>.html' file); "
                "nothing is deleted"
            )
        self._index = index
        self._link_targets = self._targets_for(index)
        log.info(
            "confluence export %s: %d pages of space %r from %s",
            self.name,
            len(index.pages),
            index.space.key or index.space.name,
            path,
        )
        return index

    def _extract(self, zips: Sequence[Path]) -> str:
        return self._unpacked.extract(zips, self.settings.extraction_limits())

    # -- fetching ------------------------------------------------------------------------------

    def fetch(self, item: Item) -> Document:
        """Render one listed page: its main content, links rewritten, facts for audience rules.

        Raises:
            ConnectorError: The page is not in the current listing, unreadable or too large.
        """
        index, targets = self._index, self._link_targets
        page = index.pages.get(item.external_id) if index is not None else None
        if index is None or targets is None or page is None:
            raise ConnectorError(f"{item.external_id}: not in the current export listing")
        data = read_export_file(index.root, page.rel, self.settings.max_file_bytes)
        try:
            exported = parse_page(_decode(data, page.rel))
            rendered = render_page(exported, index.children(page.page_id), targets)
        except ValueError as exc:  # lxml refuses some input (characters XML cannot carry)
            raise ConnectorError(f"{page.rel}: its HTML cannot be parsed: {exc}") from exc
        if rendered.notes:
            log.info("%s: %d file link(s) replaced by a note", page.rel, rendered.notes)
        names = _space_names(index, exported)
        title = page_title(exported.raw_title, names)
        return Document(
            external_id=page.page_id,
            body=rendered.html,
            body_format="html",
            title=title or None,
            fallback_title=slug_title(page.rel) or None,
            url=self.url_for(page.page_id),
            metadata={
                "path": page.rel,
                "space": names[0] if names else "",
                "export": self._source,
                "missing_links": list(rendered.missing),
            },
            facts=_facts(title, names, _ancestors(exported, page.page_id, index), exported),
        )

    def url_for(self, page_id: str) -> str:
        """The url Fin cites for a page id (and the target of links to it)."""
        return self._template.format(id=page_id)

    def _targets_for(self, index: ExportIndex) -> LinkTargets:
        return LinkTargets(
            url_for=self.url_for,
            is_page=index.pages.__contains__,
            exists=index.exists,
            asset_base_url=self.settings.asset_base_url,
            site_url=self.settings.site_url(),
            space_key=index.space.key,
            ids_by_title={title: pid for pid, title in index.space.titles.items()},
        )

    # -- cleanup -------------------------------------------------------------------------------

    def close(self) -> None:
        """Remove the temporary extraction folder."""
        self._index = None
        self._link_targets = None
        self._cleanup()

    def _cleanup(self) -> None:
        self._unpacked.cleanup()


def _space_names(index: ExportIndex, exported: ExportedPage) -> tuple[str, ...]:
    """Key and name of the space (``index.html``, else the page's crumb to the overview)."""
    names = [index.space.key, index.space.name]
    if exported.breadcrumbs and exported.breadcrumbs[0][0] == INDEX_FILE:
        names.append(exported.breadcrumbs[0][1])
    return tuple(dict.fromkeys(n for n in names if n))


def _facts(
    title: str,
    space_names: tuple[str, ...],
    ancestors: list[tuple[str, str]],
    exported: ExportedPage,
) -> dict[str, tuple[str, ...]]:
    """What audience rules match on (see ``audience_fields``)."""
    tree_path = "/".join(t.replace("/", "-") for _id, t in [*ancestors, ("", title)])
    return {
        "path": (tree_path,),
        "space": space_names,
        "ancestor": tuple(dict.fromkeys(v for pair in ancestors for v in pair if v)),
        "label": exported.labels,
    }


def _ancestors(exported: ExportedPage, page_id: str, index: ExportIndex) -> list[tuple[str, str]]:
    """``(id, title)`` of the page's ancestors, from its breadcrumbs (the space crumb left out)."""
    found: list[tuple[str, str]] = []
    for href, text in exported.breadcrumbs:
        ancestor = link_target_id(href)
        if ancestor is not None and ancestor != page_id:
            found.append((ancestor, index.space.titles.get(ancestor) or text))
    return found


def _decode(data: bytes, rel: str) -> str:
    """A page file as text, in the charset its ``<meta>`` declares (Confluence writes the
    site's "Default encoding", UTF-8 unless an admin changed it), a byte order mark's, or
    what the bytes say; a page no decoding is confident about is skipped, never sent garbled.
    """
    text, encoding = decode_text(data, kind="html")
    if encoding not in ("utf-8", "utf_8"):
        log.info("%s: read as %s", rel, encoding)
    return text
