"""The pages of one unpacked export: ids, titles, databases and their rows, file versions.

Built once per listing by walking the export folder without following links; immutable
afterwards, so ``fetch`` may read it from several threads. Every file is read contained
(:mod:`connectors.fs_contain`): opened relative to the export's folder, component by
component, never following a link out of it. A page file that is a link leading out, or not a
regular file, is kept as a *refused* page: ``fetch`` skips it with the reason (counted, and an
earlier version taken down), so the listing stays complete.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Literal

from ingestor.connectors.base import ListingProblem
from ingestor.connectors.fs_contain import ContainedRoot, read_bounded
from ingestor.connectors.notion_export._names import is_junk, parse_name
from ingestor.errors import PageSkipped

__all__ = ["ExportIndex", "PageEntry", "build_index", "content_root"]

log = logging.getLogger(__name__)

PageKind = Literal["markdown", "html", "database"]
_PAGE_KINDS: dict[str, PageKind] = {".md": "markdown", ".html": "html", ".htm": "html"}
#: Notion marks a database view in an HTML export with this table class.
HTML_DATABASE_MARKER = b'class="collection-content"'
#: Notion cuts titles in file names near 50 characters; names this long may be cut.
_TITLE_MAY_BE_CUT = 40
_CSV_LINK = re.compile(r"\[(?P<text>[^\]\n]+)\]\([^)\n]*?(?P<id>[0-9a-fA-F]{32})(?:_all)?\.csv\)")


@dataclass(frozen=True, slots=True)
class PageEntry:
    """One page of the export.

    Attributes:
        page_id: The Notion id (the external id).
        kind: How the file is read.
        rel: POSIX path of the file relative to the export root.
        name_title: Title from the file name (may be cut by Notion).
        is_database: A CSV database, or an HTML page holding a database table.
        is_row: The page sits in a database's folder (its properties lead the page).
        database_csv: For a Markdown page that is also a database: the CSV to append.
        digest: sha256 of what the page is built from.
        size: Size of the page file in bytes.
        refused: Why the page is not read (a link leading out of the export...); "" if read.
    """

    page_id: str
    kind: PageKind
    rel: str
    name_title: str
    is_database: bool = False
    is_row: bool = False
    in_database: bool = False
    database_csv: str | None = None
    digest: str = ""
    size: int = 0
    refused: str = ""


@dataclass(slots=True)
class ExportIndex:
    """Every page and file of an export.

    ``root`` is the export's content folder; its files are read through ``files``, rooted at
    the export (``prefix`` leads from there to ``root``)."""

    root: str
    files: ContainedRoot
    prefix: str = ""
    pages: dict[str, PageEntry] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    #: (title in the file name, page id) of row pages, per database folder (POSIX rel path).
    rows_by_folder: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    problems: list[ListingProblem] = field(default_factory=list)

    def exists(self, rel: str) -> bool:
        """Whether ``rel`` (POSIX, relative to the root) is a file of the export."""
        return rel in self.names

    def open(self, rel: str) -> int:
        """A descriptor of the regular file ``rel``, opened without leaving the export.

        Raises:
            PageSkipped: A link leads out of the export (OutsideRoot), or not a regular file.
            ConnectorError: Not a path inside the export.
            OSError: Gone or unreadable.
        """
        return self.files.open_file(self.prefix + rel)

    def read(self, rel: str, limit: int) -> bytes:
        """The bytes of ``rel``, at most ``limit`` (``max_file_bytes``), read contained.

        Raises:
            PageSkipped: See :meth:`open`.
            ConnectorError: Over the limit, gone or unreadable.
        """
        return read_bounded(self.open(rel), rel, limit, "max_file_bytes")


def content_root(folder: str) -> str:
    """Descend through single wrapper folders (``Export-<uuid>/``) to the export's content.

    Args:
        folder: The extraction folder or an unpacked export.

    Returns:
        The first folder holding more than one visible entry or any file.
    """
    current = folder
    for _ in range(4):
        try:
            names = [n for n in os.listdir(current) if not n.startswith(".") and not is_junk(n)]
        except OSError:
            return current
        if len(names) != 1:
            return current
        only = os.path.join(current, names[0])
        if os.path.islink(only) or not os.path.isdir(only):
            return current
        current = only
    return current


def _walk_files(root: str, problems: list[ListingProblem], only: frozenset[str]) -> list[str]:
    found: list[str] = []

    def on_error(exc: OSError) -> None:
        where = os.path.relpath(exc.filename or root, root) if exc.filename else root
        problems.append(ListingProblem(where=where, message=f"cannot list: {exc.strerror}"))

    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
        rel_folder = os.path.relpath(folder, root).replace(os.sep, "/")
        if only and rel_folder == ".":  # several exports side by side: read only the chosen
            dirs[:] = [d for d in dirs if d in only]
            continue
        prefix = "" if rel_folder == "." else rel_folder + "/"
        for name in sorted(files):
            rel = prefix + name
            if name.startswith(".") or is_junk(rel):
                continue
            found.append(rel)
    return found


def _digest(index: ExportIndex, rel: str, limit: int, extra: str) -> tuple[str, int]:
    with os.fdopen(index.open(rel), "rb") as file:
        info = os.fstat(file.fileno())
        hasher = hashlib.sha256(extra.encode("utf-8", "surrogatepass"))
        if info.st_size > limit:
            hasher.update(f"oversize:{info.st_size}:{info.st_mtime_ns}".encode())
            return hasher.hexdigest(), info.st_size
        data = file.read()
    hasher.update(data)
    if data and rel.lower().endswith((".html", ".htm")) and HTML_DATABASE_MARKER in data:
        hasher.update(b"|database")
    return hasher.hexdigest(), info.st_size


def _refused_digest(exc: PageSkipped, extra: str) -> str:
    """The version of a page that is not read: its reason (the link's target) and place."""
    return hashlib.sha256(f"refused|{exc}|{extra}".encode("utf-8", "surrogatepass")).hexdigest()


def build_index(
    root: str,
    *,
    limit: int,
    include_databases: bool,
    export: str | None = None,
    only: frozenset[str] = frozenset(),
) -> ExportIndex:
    """Index the pages of an unpacked export.

    Args:
        root: The export's content folder.
        limit: ``max_file_bytes``: larger page files are listed but refused by ``fetch``.
        include_databases: Keep databases and the pages in their folders.
        export: The export's folder (``root`` or a folder above it): no file is read from
            outside it, even through links. Default: ``root``.
        only: When not empty, the only folders directly in ``root`` that are read (the
            newest of several unpacked exports side by side).

    Returns:
        The index; per-file read problems are in ``problems``.
    """
    top = export if export is not None else root
    prefix = os.path.relpath(root, top).replace(os.sep, "/")
    index = ExportIndex(
        root=root,
        files=ContainedRoot(top, follow_symlinks=True, noun="export"),
        prefix="" if prefix == "." else prefix + "/",
    )
    files = _walk_files(root, index.problems, only)
    index.names = frozenset(files)
    csvs: dict[str, str] = {}  # database id -> preferred CSV rel path
    database_folders: dict[str, str] = {}  # folder rel path -> database id
    candidates: list[tuple[str, str, PageKind, str]] = []
    for rel in files:
        directory, name = posixpath.split(rel)
        named = parse_name(name)
        if named.page_id is None:
            continue
        if named.extension == ".csv":
            if named.all_columns or named.page_id not in csvs:
                csvs[named.page_id] = rel
            database_folders[
                posixpath.join(directory, name[: -len(".csv")].removesuffix("_all"))
            ] = named.page_id
        elif named.extension in _PAGE_KINDS:
            candidates.append((rel, named.page_id, _PAGE_KINDS[named.extension], named.title))
    html_databases = _html_databases(index, candidates)
    for rel in html_databases:
        database_folders[rel.rsplit(".", 1)[0]] = parse_name(posixpath.basename(rel)).page_id or ""
    _add_pages(index, candidates, csvs, database_folders, html_databases, limit)
    if include_databases:
        _add_databases(index, csvs, limit)
    else:
        index.pages = {k: v for k, v in index.pages.items() if not (v.in_database or v.is_database)}
    return index


def _html_databases(
    index: ExportIndex, candidates: list[tuple[str, str, PageKind, str]]
) -> set[str]:
    found: set[str] = set()
    for rel, _page_id, kind, _title in candidates:
        if kind != "html":
            continue
        try:
            with os.fdopen(index.open(rel), "rb") as file:
                if HTML_DATABASE_MARKER in file.read(2_000_000):
                    found.add(rel)
        except PageSkipped:
            continue  # refused as a page, with its reason, when it is indexed
        except OSError as exc:
            index.problems.append(ListingProblem(where=rel, message=f"cannot read: {exc.strerror}"))
    return found


def _add_pages(
    index: ExportIndex,
    candidates: list[tuple[str, str, PageKind, str]],
    csvs: dict[str, str],
    database_folders: dict[str, str],
    html_databases: set[str],
    limit: int,
) -> None:
    for rel, page_id, kind, title in candidates:
        if page_id in index.pages:
            log.warning(
                "notion export: page id %s appears twice; kept %s",
                page_id,
                index.pages[page_id].rel,
            )
            continue
        directory = posixpath.dirname(rel)
        ancestors = [directory]
        while "/" in ancestors[-1]:
            ancestors.append(posixpath.dirname(ancestors[-1]))
        in_database = any(a in database_folders for a in ancestors)
        is_row = directory in database_folders
        if is_row:
            index.rows_by_folder.setdefault(directory, []).append((title, page_id))
        merged_csv = csvs.pop(page_id, None) if kind == "markdown" else None
        extra = f"{kind}|{is_row}|{rel}|{merged_csv or ''}"
        refused = ""
        try:
            digest, size = _digest(index, rel, limit, extra)
            if merged_csv is not None:
                digest += _digest(index, merged_csv, limit, "")[0]
        except PageSkipped as exc:
            refused, digest, size = str(exc), _refused_digest(exc, extra), 0
        except OSError as exc:
            index.problems.append(ListingProblem(where=rel, message=f"cannot read: {exc}"))
            continue
        index.pages[page_id] = PageEntry(
            page_id=page_id,
            kind=kind,
            rel=rel,
            name_title=title,
            is_database=rel in html_databases or merged_csv is not None,
            is_row=is_row,
            in_database=in_database,
            database_csv=merged_csv,
            digest=digest,
            size=size,
            refused=refused,
        )


def _linked_titles(index: ExportIndex, wanted: set[str]) -> dict[str, str]:
    """Full titles of databases whose file names may be cut, from links in Markdown pages."""
    found: dict[str, str] = {}
    for entry in index.pages.values():
        if entry.kind != "markdown" or len(found) == len(wanted):
            continue
        if entry.refused:
            continue
        try:
            with os.fdopen(index.open(entry.rel), "rb") as file:
                text = file.read(2_000_000).decode("utf-8", "replace")
        except (OSError, PageSkipped):
            continue
        for match in _CSV_LINK.finditer(text):
            page_id = match.group("id").lower()
            if page_id in wanted and page_id not in found:
                found[page_id] = " ".join(match.group("text").split())
    return found


def _add_databases(index: ExportIndex, csvs: dict[str, str], limit: int) -> None:
    cut = {
        page_id
        for page_id, rel in csvs.items()
        if len(parse_name(posixpath.basename(rel)).title) >= _TITLE_MAY_BE_CUT
    }
    full_titles = _linked_titles(index, cut) if cut else {}
    for page_id, rel in sorted(csvs.items()):
        named = parse_name(posixpath.basename(rel))
        title = full_titles.get(page_id, named.title)
        if not title.startswith(named.title[:20]):
            title = named.title  # a link text that is not this database's name
        folder = rel[: -len(".csv")].removesuffix("_all")
        rows = index.rows_by_folder.get(folder, [])
        extra = f"database|{title}|{rel}|" + "|".join(f"{t}={i}" for t, i in rows)
        refused = ""
        try:
            digest, size = _digest(index, rel, limit, extra)
        except PageSkipped as exc:
            refused, digest, size = str(exc), _refused_digest(exc, extra), 0
        except OSError as exc:
            index.problems.append(ListingProblem(where=rel, message=f"cannot read: {exc}"))
            continue
        index.pages[page_id] = PageEntry(
            page_id=page_id,
            kind="database",
            rel=rel,
            name_title=title,
            is_database=True,
            digest=digest,
            size=size,
            refused=refused,
        )
