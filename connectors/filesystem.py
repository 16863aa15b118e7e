"""The filesystem connector: Markdown, HTML and text files under a folder (a file share, a repo).

``list()`` walks the folder with :func:`os.scandir` and reads no file: an item's id is its
relative POSIX path and its version is ``"<mtime_ns>:<size>"``. ``fetch()`` reads and decodes
one file. Front matter ``title``/``url`` in Markdown are left to conversion, which parses them.

Walk rules: names starting with ``.`` are hidden and skipped (files and folders); ``exclude``
applies to folders too (gitignore-like: an excluded folder is not entered); ``include``
applies to files. Symbolic links are followed when ``follow_symlinks`` is on; folders reached
through links are walked after the real tree and each real folder is entered once, so link
loops end and a folder is listed under its real path, not under a link to it (a linked *file*
is a page of its own). Broken links are skipped. A subfolder or file that cannot be read yields
a :class:`ListingProblem` (so the engine deletes nothing this run) and the walk goes on; a root
that cannot be read raises :class:`ConnectorError`. Entries are visited in sorted name order,
so the listing is deterministic. Only regular files are listed (no FIFOs, sockets, devices).
"""

from __future__ import annotations

import logging
import os
import re
import stat
import string
from collections import deque
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import ClassVar, Literal
from urllib.parse import quote

from pydantic import Field, ValidationInfo, field_validator

from connectors.base import (
    BodyFormat,
    Connector,
    ConnectorSettings,
    Document,
    Item,
    ListingProblem,
)
from connectors.decode import decode_text, looks_binary
from connectors.globs import GlobError, compile_globs
from ingestor.errors import ConnectorError

__all__ = ["DEFAULT_INCLUDE", "FilesystemConnector", "FilesystemSettings", "readable_title"]

log = logging.getLogger(__name__)

DEFAULT_INCLUDE = ("**/*.md", "**/*.markdown", "**/*.html", "**/*.htm", "**/*.txt")
URL_PLACEHOLDERS = ("path", "path_no_ext", "stem", "name")
_FORMATS: dict[str, BodyFormat] = {
    **dict.fromkeys((".md", ".markdown", ".mdown", ".mkd", ".mkdn"), "markdown"),
    **dict.fromkeys((".html", ".htm", ".xhtml"), "html"),
}
_WORD_SEPARATORS = re.compile(r"[\s_-]+")


class FilesystemSettings(ConnectorSettings):
    """Settings of a ``type: filesystem`` connector."""

    type: Literal["filesystem"] = Field(
        default="filesystem", description="Connector kind: 'filesystem'."
    )
    root: Path = Field(
        description=(
            "Folder to sync. Must exist. A relative path is resolved against the folder of the "
            "config file."
        )
    )
    include: list[str] = Field(
        default_factory=lambda: list(DEFAULT_INCLUDE),
        min_length=1,
        description=(
            "Glob patterns of files to sync, relative to root (gitignore-like: '*' stays in one "
            "folder, '**' spans folders, a pattern without '/' matches at any depth). Default: "
            "Markdown, HTML and text files everywhere. .md/.markdown files are read as Markdown, "
            ".html/.htm as HTML, anything else as plain text."
        ),
    )
    exclude: list[str] = Field(
        default_factory=list,
        description=(
            "Glob patterns of files or folders to skip (an excluded folder is not entered), "
            "e.g. 'drafts/', '**/*.tmp.md'. Hidden files and folders are always skipped."
        ),
    )
    url_template: str | None = Field(
        default=None,
        description=(
            "URL Fin cites for a file, e.g. 'https://wiki.example.com/{path_no_ext}'. "
            "Placeholders: {path} (relative path, each segment percent-encoded), {path_no_ext} "
            "(the same without the file extension), {stem} (file name without extension), "
            "{name} (file name). Default: the connector's url joined with {path}."
        ),
    )
    max_file_bytes: int = Field(
        default=5_000_000, gt=0, description="Files larger than this many bytes are refused."
    )
    follow_symlinks: bool = Field(
        default=True,
        description=(
            "Follow symbolic links to files and folders (each folder is entered once, so link "
            "loops are harmless). When false, links are skipped."
        ),
    )

    @field_validator("root", mode="after")
    @classmethod
    def _root_is_a_directory(cls, value: Path, info: ValidationInfo) -> Path:
        path = value.expanduser()
        config_dir = (info.context or {}).get("config_dir")
        if not path.is_absolute() and config_dir is not None:
            path = Path(config_dir) / path
        path = Path(os.path.abspath(path))
        if not path.exists():
            raise ValueError(f"directory does not exist: {path}")
        if not path.is_dir():
            raise ValueError(f"not a directory: {path}")
        return path

    @field_validator("include", "exclude", mode="after")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                compile_globs([pattern])
            except GlobError as exc:
                raise ValueError(str(exc)) from exc
        return value

    @field_validator("url_template", mode="after")
    @classmethod
    def _template_is_known(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"https?://", value, re.I):
            raise ValueError(f"url_template must start with http:// or https://: {value!r}")
        try:
            fields = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise ValueError(
                f"url_template is malformed ({exc}); write a literal brace as {{{{ }}}}"
            ) from exc
        for _literal, field, spec, conversion in fields:
            if field is None:
                continue
            if field not in URL_PLACEHOLDERS or spec or conversion:
                suffix = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                shown = f"{{{field}{suffix}}}"
                known = ", ".join("{" + p + "}" for p in URL_PLACEHOLDERS)
                raise ValueError(f"url_template: unknown placeholder {shown}; known: {known}")
        return value


class FilesystemConnector(Connector[FilesystemSettings]):
    """Syncs the text files of one folder tree."""

    kind: ClassVar[str] = "filesystem"
    Settings: ClassVar[type[ConnectorSettings]] = FilesystemSettings

    def __init__(self, settings: FilesystemSettings) -> None:
        super().__init__(settings)
        self._include = compile_globs(settings.include)
        self._exclude = compile_globs(settings.exclude)
        self._root = str(settings.root)

    def list(self) -> Iterator[Item | ListingProblem]:
        """Yield every matching file under root, sorted, reading none of them."""
        return _walk(self._root, self._include, self._exclude, self.settings.follow_symlinks)

    def fetch(self, item: Item) -> Document:
        """Read and decode one listed file.

        Raises:
            ConnectorError: The file is gone, unreadable, over ``max_file_bytes`` or binary.
        """
        rel = item.external_id
        path = item.locator or self._path_of(rel)
        limit = self.settings.max_file_bytes
        data = _read_regular_file(path, rel, limit)
        if looks_binary(data):
            raise ConnectorError(
                f"{rel}: binary content (NUL or control bytes), not a Markdown, HTML or text page"
            )
        body_format = _FORMATS.get(PurePosixPath(rel).suffix.lower(), "text")
        text, encoding = decode_text(data, kind=body_format)
        return Document(
            external_id=rel,
            body=text,
            body_format=body_format,
            fallback_title=readable_title(PurePosixPath(rel).stem),
            url=self.url_for(rel),
            metadata={"path": rel, "encoding": encoding},
        )

    def url_for(self, rel: str) -> str:
        """The url Fin cites for a file, from ``url_template`` or the connector's url.

        Args:
            rel: Relative POSIX path of the file.

        Returns:
            An absolute url with each path segment percent-encoded.
        """
        segments = [quote(segment, safe="") for segment in rel.split("/")]
        path = "/".join(segments)
        template = self.settings.url_template
        if template is None:
            return self.settings.url.rstrip("/") + "/" + path
        name = PurePosixPath(rel).name
        stem = PurePosixPath(rel).stem
        path_no_ext = "/".join([*segments[:-1], quote(stem, safe="")])
        return template.format(
            path=path, path_no_ext=path_no_ext, stem=quote(stem, safe=""), name=quote(name, safe="")
        )

    def _path_of(self, rel: str) -> str:
        parts = PurePosixPath(rel).parts
        if not parts or rel.startswith("/") or ".." in parts:
            raise ConnectorError(f"{rel!r}: not a path inside {self._root}")
        return os.path.join(self._root, *parts)


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


def _read_regular_file(path: str, rel: str, limit: int) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO put in place of a file must not hang the sync
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as exc:
        raise ConnectorError(f"{rel}: file no longer exists: {path}") from exc
    except OSError as exc:
        raise ConnectorError(f"{rel}: cannot open {path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as file:
        try:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ConnectorError(f"{rel}: not a regular file: {path}")
            if info.st_size > limit:
                raise ConnectorError(
                    f"{rel}: file is {info.st_size:,} bytes, over max_file_bytes ({limit:,})"
                )
            data = file.read(limit + 1)
        except OSError as exc:
            raise ConnectorError(f"{rel}: cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > limit:  # it grew between fstat and read
        raise ConnectorError(f"{rel}: file is over max_file_bytes ({limit:,})")
    return data


def _walk(
    root: str,
    include: re.Pattern[str] | None,
    exclude: re.Pattern[str] | None,
    follow_symlinks: bool,
) -> Iterator[Item | ListingProblem]:
    """Depth-first, sorted walk of the real tree, then of the folders reached through links.

    Linked folders wait until the real tree is done, so a folder listed under its real path
    is never listed again (nor first) under a link's name; each (device, inode) is entered once.
    """
    try:
        root_stat = os.stat(root)
        if not stat.S_ISDIR(root_stat.st_mode):
            raise ConnectorError(f"cannot list {root}: not a directory")
        with os.scandir(root) as entries:
            top = sorted(entries, key=_entry_name)
    except OSError as exc:
        raise ConnectorError(f"cannot list {root}: {exc.strerror or exc}") from exc
    seen_dirs = {(root_stat.st_dev, root_stat.st_ino)}
    linked: deque[tuple[str, os.DirEntry[str]]] = deque()
    yield from _walk_tree("", top, include, exclude, follow_symlinks, seen_dirs, linked)
    while linked:
        rel, entry = linked.popleft()
        child = _open_dir(entry, rel, seen_dirs)
        if isinstance(child, ListingProblem):
            yield child
        elif child is not None:
            prefix = rel + "/"
            yield from _walk_tree(
                prefix, child, include, exclude, follow_symlinks, seen_dirs, linked
            )


def _walk_tree(
    prefix: str,
    top: list[os.DirEntry[str]],
    include: re.Pattern[str] | None,
    exclude: re.Pattern[str] | None,
    follow_symlinks: bool,
    seen_dirs: set[tuple[int, int]],
    linked: deque[tuple[str, os.DirEntry[str]]],
) -> Iterator[Item | ListingProblem]:
    # a stack of (relative prefix, remaining sorted entries) keeps depth-first sorted order
    stack: list[tuple[str, Iterator[os.DirEntry[str]]]] = [(prefix, iter(top))]
    while stack:
        prefix, entries_left = stack[-1]
        entry = next(entries_left, None)
        if entry is None:
            stack.pop()
            continue
        name = entry.name
        if name.startswith("."):
            continue
        rel = prefix + name
        if not name.isascii() and not _is_utf8(name):
            log.warning("skipped %r: its name is not valid UTF-8", rel)
            continue
        is_link = entry.is_symlink()
        if is_link and not follow_symlinks:
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if exclude is not None and exclude.fullmatch(rel):
                continue
            if is_link:
                linked.append((rel, entry))
                continue
            child = _open_dir(entry, rel, seen_dirs)
            if isinstance(child, ListingProblem):
                yield child
            elif child is not None:
                stack.append((rel + "/", iter(child)))
            continue
        if include is None or not include.fullmatch(rel):
            continue
        if exclude is not None and exclude.fullmatch(rel):
            continue
        try:
            info = entry.stat()
        except FileNotFoundError:
            log.debug("skipped %s: broken symbolic link or file gone", entry.path)
            continue
        except OSError as exc:
            yield ListingProblem(where=rel, message=f"cannot stat file: {exc.strerror or exc}")
            continue
        if stat.S_ISREG(info.st_mode):
            yield Item(
                external_id=rel,
                version=f"{info.st_mtime_ns}:{info.st_size}",
                locator=entry.path,
                size=info.st_size,
            )


def _open_dir(
    entry: os.DirEntry[str], rel: str, seen_dirs: set[tuple[int, int]]
) -> list[os.DirEntry[str]] | ListingProblem | None:
    """The sorted entries of a subfolder; None when already visited (a loop); or the problem."""
    try:
        info = entry.stat()
        key = (info.st_dev, info.st_ino)
        if key in seen_dirs:
            log.debug("skipped %s: folder already listed (symbolic link loop or duplicate)", rel)
            return None
        seen_dirs.add(key)
        with os.scandir(entry.path) as entries:
            return sorted(entries, key=_entry_name)
    except OSError as exc:
        return ListingProblem(where=rel + "/", message=f"cannot list folder: {exc.strerror or exc}")


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes arrive as lone surrogates
        return False
    return True
