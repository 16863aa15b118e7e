"""The pages of one unpacked space export: ids, files, versions and the space's page tree.

Built once per listing by walking the export folder without following links (a symbolic link
or anything but a regular file is never read); immutable afterwards, so ``fetch`` may read it
from several threads.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from dataclasses import dataclass, field

from ingestor.connectors.base import ListingProblem
from ingestor.connectors.confluence_export._layout import (
    INDEX_FILE,
    SpaceIndex,
    TreeEntry,
    page_id_of,
    parse_index,
)
from ingestor.connectors.decode import decode_text
from ingestor.connectors.notion_export._names import is_junk
from ingestor.errors import ConnectorError, PageSkipped

__all__ = ["ExportIndex", "PageFile", "build_index", "find_export_root", "read_export_file"]

log = logging.getLogger(__name__)

#: Links to pages: ``href="Title_123.html"``, ``href="123.html"`` and ``pageId=123``.
_PAGE_LINK = re.compile(rb"""href=["'](?:[^"'/:#?]*_)?([0-9]+)\.html|[?&;]pageId=([0-9]+)""")
#: ``index.html`` lists every page of the space: it may be far larger than any page.
INDEX_LIMIT = 64 << 20


@dataclass(frozen=True, slots=True)
class PageFile:
    """One page file of the export.

    Attributes:
        page_id: The Confluence page id (the external id).
        rel: The file's name, relative to the export folder.
        digest: sha256 of the file ("" when it is over the size limit).
        size: Size in bytes.
        links: Ids of the pages the file links to (found by a quick scan of its bytes), so a
            page whose link targets come or go gets a new version.
    """

    page_id: str
    rel: str
    digest: str
    size: int
    links: frozenset[str] = frozenset()


@dataclass(slots=True)
class ExportIndex:
    """Everything ``list()`` learned about an export; read-only once built."""

    root: str
    space: SpaceIndex
    pages: dict[str, PageFile] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    problems: list[ListingProblem] = field(default_factory=list)

    def exists(self, rel: str) -> bool:
        """Whether a POSIX path relative to the export folder is a regular file of it."""
        return rel in self.files

    def children(self, page_id: str) -> tuple[TreeEntry, ...]:
        """The page's children in the space's page tree."""
        return self.space.children.get(page_id, ())


def _is_export_folder(folder: str) -> bool:
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return INDEX_FILE in names or any(page_id_of(name) for name in names)


def find_export_root(folder: str) -> str:
    """The folder holding the export's pages: ``folder`` itself or the one export inside it.

    Confluence's zip holds one folder named after the space key; a folder where several
    unpacked exports sit yields the newest (by its ``index.html``, else the folder's mtime).

    Raises:
        ConnectorError: No folder holds Confluence pages.
    """
    if _is_export_folder(folder):
        return folder
    candidates = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if (
                entry.is_dir(follow_symlinks=False)
                and not is_junk(entry.name)
                and _is_export_folder(entry.path)
            ):
                candidates.append(entry.path)
    if not candidates:
        raise ConnectorError(
            f"{folder}: no Confluence space export found (no index.html or "
            "'<Title>_<id>.html' pages); nothing is deleted"
        )

    def stamp(path: str) -> tuple[float, str]:
        index = os.path.join(path, INDEX_FILE)
        target = index if os.path.isfile(index) else path
        return os.lstat(target).st_mtime, path

    newest = max(candidates, key=stamp)
    if len(candidates) > 1:
        log.info(
            "confluence export: %d exports in %s; the newest is %s", len(candidates), folder, newest
        )
    return newest


def read_export_file(root: str, rel: str, limit: int) -> bytes:
    """A regular file of the export, opened without following a link.

    Raises:
        ConnectorError: It is missing, not a regular file, unreadable or over ``limit`` bytes.
    """
    path = os.path.join(root, *rel.split("/"))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ConnectorError(f"{rel}: cannot read: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConnectorError(f"{rel}: not a regular file")
        if info.st_size > limit:
            raise ConnectorError(
                f"{rel}: file is {info.st_size:,} bytes, over max_file_bytes ({limit:,})"
            )
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ConnectorError(f"{rel}: file grew over max_file_bytes ({limit:,})")
    return data


def _walk_files(root: str, problems: list[ListingProblem]) -> set[str]:
    files: set[str] = set()

    def on_error(exc: OSError) -> None:
        problems.append(ListingProblem(where=str(exc.filename), message=exc.strerror or str(exc)))

    for folder, dirs, names in os.walk(root, onerror=on_error, followlinks=False):
        dirs[:] = [d for d in dirs if not is_junk(d)]
        rel_folder = os.path.relpath(folder, root).replace(os.sep, "/")
        for name in names:
            rel = name if rel_folder == "." else f"{rel_folder}/{name}"
            if is_junk(rel):
                continue
            try:
                mode = os.lstat(os.path.join(folder, name)).st_mode
            except OSError as exc:
                problems.append(ListingProblem(where=rel, message=exc.strerror or str(exc)))
                continue
            if stat.S_ISREG(mode):
                files.add(rel)
            else:
                log.warning("confluence export: %s is not a regular file; ignored", rel)
    return files


def _digest(root: str, rel: str, limit: int) -> PageFile | ListingProblem:
    page_id = page_id_of(rel)
    assert page_id is not None
    try:
        data = read_export_file(root, rel, limit)
    except ConnectorError as exc:
        if "over max_file_bytes" in str(exc):  # listed, so fetch fails it with this reason
            return PageFile(page_id, rel, "", os.lstat(os.path.join(root, rel)).st_size)
        return ListingProblem(where=rel, message=str(exc))
    links = frozenset(a or b for a, b in _PAGE_LINK.findall(data))
    return PageFile(
        page_id,
        rel,
        hashlib.sha256(data).hexdigest(),
        len(data),
        frozenset(map(bytes.decode, links)),
    )


def _decode_index(data: bytes) -> str:
    """``index.html`` as text, in its declared charset (like the pages): its titles name the
    child pages that parent pages list."""
    try:
        return decode_text(data, kind="html")[0]
    except PageSkipped:
        return data.decode("utf-8", "replace")


def _mtime(root: str, rel: str) -> float:
    try:
        return os.lstat(os.path.join(root, rel)).st_mtime
    except OSError:
        return 0.0


def build_index(root: str, *, limit: int) -> ExportIndex:
    """Walk an unpacked export folder and hash every page file.

    Args:
        root: The folder holding ``index.html`` and the pages.
        limit: ``max_file_bytes``.

    Returns:
        The index; unreadable files are in ``problems``.
    """
    problems: list[ListingProblem] = []
    files = _walk_files(root, problems)
    space = SpaceIndex()
    if INDEX_FILE in files:
        try:
            space = parse_index(
                _decode_index(read_export_file(root, INDEX_FILE, max(limit, INDEX_LIMIT)))
            )
        except ConnectorError as exc:
            problems.append(ListingProblem(where=INDEX_FILE, message=str(exc)))
    index = ExportIndex(root=root, space=space, files=files, problems=problems)
    for rel in sorted(files):
        if "/" in rel or page_id_of(rel) is None:
            continue  # pages sit at the top; attachments/, images/ and styles/ are files
        found = _digest(root, rel, limit)
        if isinstance(found, ListingProblem):
            problems.append(found)
            continue
        other = index.pages.get(found.page_id)
        if other is not None:
            # an export unpacked over an older one leaves a renamed page's old file behind:
            # the newer file is the page; the listing stays incomplete until it is cleaned
            kept, stale = sorted((other, found), key=lambda page: _mtime(root, page.rel))[::-1]
            problems.append(
                ListingProblem(
                    where=stale.rel,
                    message=f"page id {found.page_id} is also in the newer {kept.rel}, which is "
                    "synced; remove the older file",
                )
            )
            found = kept
        index.pages[found.page_id] = found
    return index
