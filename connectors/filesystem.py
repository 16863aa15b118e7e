"""The filesystem connector: Markdown, HTML, text, Word and PDF files under a folder (a share).

``list()`` walks the folder (:mod:`connectors.fs_walk`) and reads no file: an item's id is its
relative POSIX path and its version is ``"<mtime_ns>:<size>"``. ``fetch()`` reads one file.
Markdown, HTML and text are decoded and left to conversion (which parses Markdown front
matter). Word (.docx) and PDF files, when their format is enabled in ``formats``, are
converted to HTML here, each in a child process bounded by ``office_timeout`` and
``office_memory_mb`` (:mod:`connectors.office`), at most one per CPU at a time; their
Document is HTML with the title set (document properties, else first heading or line, else
the file name). A file without text (a scanned PDF) raises
:class:`~ingestor.errors.PageSkipped`; encrypted, corrupted or runaway files raise
:class:`~ingestor.errors.ConnectorError`; either way the message names the file. The settings
and their checks live in :mod:`connectors.fs_settings` (re-exported here).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Collection, Iterator
from dataclasses import replace
from pathlib import PurePosixPath
from typing import ClassVar

from ingestor.connectors.base import (
    BodyFormat,
    Changes,
    Connector,
    ConnectorSettings,
    Document,
    Item,
    ListingProblem,
    Targeted,
)
from ingestor.connectors.decode import decode_text, looks_binary
from ingestor.connectors.fs_contain import ContainedRoot, read_bounded
from ingestor.connectors.fs_links import FileLinks, FileUrls, link_base_for
from ingestor.connectors.fs_settings import (
    DEFAULT_FORMATS,
    DEFAULT_INCLUDE,
    FileFormat,
    FilesystemSettings,
)
from ingestor.connectors.fs_targeted import targeted_items
from ingestor.connectors.fs_walk import walk
from ingestor.connectors.globs import compile_globs
from ingestor.connectors.html_head import canonical_url
from ingestor.connectors.html_unhide import unhidden_html
from ingestor.connectors.office import ConversionLimits, OfficeFormat, convert_office
from ingestor.errors import ConnectorError, PageSkipped

__all__ = [
    "DEFAULT_FORMATS",
    "DEFAULT_INCLUDE",
    "FileFormat",
    "FilesystemConnector",
    "FilesystemSettings",
    "file_format",
    "readable_title",
]

log = logging.getLogger(__name__)

#: Added to the default include when docx/pdf are enabled; any letter case (SCAN.PDF).
OFFICE_INCLUDE: dict[OfficeFormat, str] = {
    "docx": "**/*.[dD][oO][cC][xX]",
    "pdf": "**/*.[pP][dD][fF]",
}
_EXTENSION_FORMATS: dict[str, FileFormat] = {
    **dict.fromkeys((".md", ".markdown", ".mdown", ".mkd", ".mkdn"), "md"),
    **dict.fromkeys((".html", ".htm", ".xhtml"), "html"),
    ".docx": "docx",
    ".pdf": "pdf",
}
_BODY_FORMATS: dict[FileFormat, BodyFormat] = {"md": "markdown", "html": "html", "txt": "text"}
_WORD_SEPARATORS = re.compile(r"[\s_-]+")


class FilesystemConnector(Connector[FilesystemSettings], Targeted):
    """Syncs the pages of one folder tree: Markdown, HTML, text, and opt-in Word and PDF."""

    kind: ClassVar[str] = "filesystem"
    Settings: ClassVar[type[ConnectorSettings]] = FilesystemSettings
    #: ``path``: the relative POSIX path; ``front_matter.<key>``: a Markdown file's front
    #: matter (conversion reads it; lists give several values).
    audience_fields: ClassVar[frozenset[str]] = frozenset({"path", "front_matter.*"})

    def __init__(self, settings: FilesystemSettings) -> None:
        super().__init__(settings)
        self._formats = frozenset(settings.formats)
        include = list(settings.include)
        if "include" not in settings.model_fields_set:
            include += [glob for kind, glob in OFFICE_INCLUDE.items() if kind in self._formats]
        self._include = compile_globs(include)
        self._exclude = compile_globs(settings.exclude)
        self._root = ContainedRoot(
            str(settings.root),
            follow_symlinks=settings.follow_symlinks,
            hard_links=settings.hard_links,
        )
        self._urls = FileUrls(settings.url, settings.url_template)
        self._links = FileLinks(self._urls)
        self._limits = ConversionLimits(
            timeout=settings.office_timeout.total_seconds(),
            memory_bytes=settings.office_memory_mb * 2**20,
        )
        # the engine fetches from many threads; office conversions are CPU-bound processes
        self._office_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
        # settings that change what a file gives; empty with the defaults (versions unchanged)
        salt = f":{settings.encoding}" if settings.encoding else ""
        salt += ":template-urls" if settings.url_from == "template" else ""
        self._version_salt = salt + (":show-hidden" if settings.hidden_html == "show" else "")

    def list(self) -> Iterator[Item | ListingProblem]:
        """Yield every matching file of an enabled format under root, sorted, reading none."""
        for entry in walk(self._root, self._include, self._exclude):
            if isinstance(entry, ListingProblem):
                yield entry
            elif (page := self._page(entry)) is not None:
                yield page

    def list_paths(self, paths: Collection[str]) -> Changes | None:
        """The pages at the paths a watcher named (:mod:`connectors.fs_targeted`)."""
        items = targeted_items(self._root, self._include, self._exclude, paths)
        if items is None:
            return None
        pages = [page for item in items if (page := self._page(item)) is not None]
        return Changes(changed=pages, deleted=(), cursor="")

    def _page(self, entry: Item) -> Item | None:
        """A listed file as a page; None when its format is not enabled."""
        kind = file_format(entry.external_id)
        if kind not in self._formats:
            return None
        if kind == "docx" and PurePosixPath(entry.external_id).name.startswith("~$"):
            return None  # Word's lock file next to an open document, not a document
        if self._version_salt:  # a changed setting re-reads every file once
            return replace(entry, version=f"{entry.version}{self._version_salt}")
        return entry

    def fetch(self, item: Item) -> Document:
        """Read and decode one listed file.

        Only a regular file inside root is read, opened without following links the kernel
        would meet (:mod:`connectors.fs_contain`), and only the file the listing saw there.

        Raises:
            OutsideRoot: A symbolic link on its path leads out of root (a skip).
            PageSkipped: Not a regular file, a link while ``follow_symlinks`` is false, a
                file with several hard links while ``hard_links`` is ``skip``.
            ConnectorError: The file is gone, replaced since the listing, unreadable, over
                ``max_file_bytes`` or binary.
        """
        rel = item.external_id
        kind = file_format(rel)
        if kind == "docx" or kind == "pdf":
            return self._fetch_office(rel, item, kind)
        data = self._read(rel, item, self.settings.max_file_bytes, "max_file_bytes")
        if looks_binary(data):
            raise ConnectorError(
                f"{rel}: binary content (NUL or control bytes), not a Markdown, HTML or text page"
            )
        body_format = _BODY_FORMATS[kind]
        text, encoding = decode_text(data, kind=body_format, encoding=self.settings.encoding)
        if body_format == "html" and self.settings.hidden_html == "show":
            text = unhidden_html(text)
        # A saved web page is cited where it lives, and its links resolve against that url.
        use_canonical = body_format == "html" and self.settings.url_from == "canonical"
        canonical = canonical_url(text) if use_canonical else None
        return Document(
            external_id=rel,
            body=text,
            body_format=body_format,
            fallback_title=readable_title(PurePosixPath(rel).stem),
            url=canonical or self.url_for(rel),
            metadata={"path": rel, "encoding": encoding},
            facts={"path": (rel,)},
            link_base=canonical or link_base_for(rel),
            links=self._links,
        )

    def _fetch_office(self, rel: str, item: Item, kind: OfficeFormat) -> Document:
        # the converter child gets bytes, never a path: it reads nothing itself
        data = self._read(rel, item, self.settings.office_max_file_bytes, "office_max_file_bytes")
        with self._office_slots:
            try:
                result = convert_office(kind, data, self._limits)
            except ConnectorError as exc:  # same class (PageSkipped stays a skip), named file
                raise type(exc)(f"{rel}: {exc}") from exc
        for warning in result.warnings:
            log.warning("%s: %s", rel, warning)
        fallback = readable_title(PurePosixPath(rel).stem)
        return Document(
            external_id=rel,
            body=result.html,
            body_format="html",
            title=result.title or fallback,
            fallback_title=fallback,
            url=self.url_for(rel),
            link_base=link_base_for(rel),
            links=self._links,
            facts={"path": (rel,)},
            metadata={
                "path": rel,
                "format": kind,
                "warnings": list(result.warnings),
                "images_dropped": result.images_dropped,
            },
        )

    def url_for(self, rel: str) -> str:
        """The url Fin cites for a file (``url_template``, else the connector's url + path)."""
        return self._urls.url_for(rel)

    def _read(self, rel: str, item: Item, limit: int, setting: str) -> bytes:
        """The bytes of a listed file, opened contained; at most ``limit`` of them."""
        try:
            fd = self._root.open_file(rel, listed=_listed_identity(item))
        except FileNotFoundError as exc:
            raise ConnectorError(f"{rel}: file no longer exists ({exc.strerror})") from exc
        except OSError as exc:
            raise ConnectorError(f"{rel}: cannot open: {exc.strerror or exc}") from exc
        data = read_bounded(fd, rel, limit, setting)
        if not data:  # reported as skipped: an empty file must not make every run partial
            raise PageSkipped(f"{rel}: empty file (0 bytes)")
        return data


def file_format(rel: str) -> FileFormat:
    """The format a file is read as, from its extension (any letter case); txt otherwise.

    The extension as ``PurePosixPath(rel).suffix`` finds it, without making a path object:
    this runs for every listed file (a fifth of a no-op resync's time with one)."""
    name = rel[rel.rfind("/") + 1 :]
    dot = name.rfind(".")
    if dot <= 0 or dot == len(name) - 1:  # ".profile", "notes.": no suffix
        return "txt"
    return _EXTENSION_FORMATS.get(name[dot:].lower(), "txt")


def readable_title(stem: str) -> str:
    """A title from a file name: separators become spaces; all-lowercase gets a capital.

    Args:
        stem: File name without extension, e.g. ``getting-started_guide``.

    Returns:
        E.g. ``Getting started guide``; the stem itself when nothing readable is left.
    """
    words = _WORD_SEPARATORS.sub(" ", stem).strip()
    if not words:
        return stem
    return words[0].upper() + words[1:] if words.islower() else words


def _listed_identity(item: Item) -> tuple[int, int] | None:
    """(device, inode) the listing saw, from the locator ``"<dev>:<ino>"`` (None if absent)."""
    device, _, inode = item.locator.partition(":")
    if device.isdigit() and inode.isdigit():
        return int(device), int(inode)
    return None
