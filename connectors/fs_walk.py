"""Walking a file share: the sorted, link-aware, loop-safe listing of the filesystem connector.

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
from collections import deque
from collections.abc import Iterator

from connectors.base import Item, ListingProblem
from ingestor.errors import ConnectorError

__all__ = ["walk"]

# The filesystem connector's logger: admins filter on it, whichever module logs.
log = logging.getLogger("connectors.filesystem")


def walk(
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
