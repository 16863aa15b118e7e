"""Walking a file share: the sorted, contained, loop-safe listing of the filesystem connector.

Walk rules: names starting with ``.`` are hidden and skipped (files and folders); ``exclude``
applies to folders too (gitignore-like: an excluded folder is not entered); ``include``
applies to files. The walk never leaves the root (:mod:`connectors.fs_contain`): each folder
is opened relative to its parent without following links, and a symbolic link is followed only
when ``follow_symlinks`` is on and its target lies inside the root. Folders reached through
links are walked after the real tree and each real folder is entered once, so link loops end
and a folder is listed under its real path, not under a link to it (a linked *file* is a page
of its own).

A link that leads out of the root is never followed, not even to learn whether it names a
file or a folder: when its name matches ``include`` it is listed (versioned by the link
itself) and its fetch skips it with "symlink leaves the share: ..." so the engine counts it and
takes down anything published from it before; otherwise a warning names it. Broken links and
link loops are skipped with a debug log. A subfolder or file that cannot be read yields a
:class:`ListingProblem` (so the engine deletes nothing this run) and the walk goes on; a root
that cannot be read raises :class:`ConnectorError`. Entries are visited in sorted name order,
so the listing is deterministic. Only regular files are listed (no FIFOs, sockets, devices).
An item's ``locator`` is ``"<device>:<inode>"`` of the file listed, which ``fetch`` checks.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from ingestor.connectors.base import Item, ListingProblem
from ingestor.connectors.fs_contain import ContainedRoot
from ingestor.errors import ConnectorError, OutsideRoot

__all__ = ["listed_item", "walk"]

# The filesystem connector's logger: admins filter on it, whichever module logs.
log = logging.getLogger("ingestor.connectors.filesystem")


@dataclass(slots=True)
class _Walk:
    """What one listing shares between its folders."""

    root: ContainedRoot
    include: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    seen_dirs: set[tuple[int, int]]
    #: (name as listed, real components under the root) of folders reached through links
    linked: deque[tuple[str, tuple[str, ...]]]

    def excluded(self, rel: str) -> bool:
        return self.exclude is not None and self.exclude.fullmatch(rel) is not None

    def wanted(self, rel: str) -> bool:
        return self.include is not None and bool(self.include.fullmatch(rel))


def walk(
    root: ContainedRoot, include: re.Pattern[str] | None, exclude: re.Pattern[str] | None
) -> Iterator[Item | ListingProblem]:
    """Depth-first, sorted walk of the real tree, then of the folders reached through links.

    Linked folders wait until the real tree is done, so a folder listed under its real path
    is never listed again (nor first) under a link's name; each (device, inode) is entered once.
    """
    try:
        root_fd = root.open_root()
    except OSError as exc:
        raise ConnectorError(f"cannot list {root.root}: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(root_fd)
        state = _Walk(root, include, exclude, {(info.st_dev, info.st_ino)}, deque())
        entries = _scan(root_fd)
    except OSError as exc:
        os.close(root_fd)
        raise ConnectorError(f"cannot list {root.root}: {exc.strerror or exc}") from exc
    yield from _walk_tree(state, "", (), root_fd, entries)
    while state.linked:
        rel, parts = state.linked.popleft()
        opened = _open_linked(state, rel, parts)
        if isinstance(opened, ListingProblem):
            yield opened
        elif opened is not None:
            yield from _walk_tree(state, rel + "/", parts, *opened)


def _walk_tree(
    state: _Walk, prefix: str, parts: tuple[str, ...], fd: int, entries: list[os.DirEntry[str]]
) -> Iterator[Item | ListingProblem]:
    # a stack of (prefix, real parts, open folder, remaining sorted entries) keeps depth-first
    # sorted order; each folder's descriptor stays open while its entries are looked at
    stack = [(prefix, parts, fd, iter(entries))]
    include, exclude = state.include, state.exclude  # looked up once: this loop is per file
    try:
        while stack:
            prefix, parts, fd, entries_left = stack[-1]
            for entry in entries_left:
                name = entry.name
                rel = prefix + name
                if name.startswith("."):
                    continue
                if not name.isascii() and not _is_utf8(name):
                    log.warning("skipped %r: its name is not valid UTF-8", rel)
                    continue
                if entry.is_symlink():
                    if state.root.follow_symlinks:
                        yield from _linked_entry(state, rel, (*parts, name))
                    continue
                if entry.is_dir(follow_symlinks=False):
                    child = _open_child(state, fd, name, rel)
                    if isinstance(child, ListingProblem):
                        yield child
                    elif child is not None:
                        child_fd, child_entries = child
                        stack.append((rel + "/", (*parts, name), child_fd, iter(child_entries)))
                        break  # into the subfolder; this folder's iterator keeps its place
                    continue
                if include is None or not include.fullmatch(rel):
                    continue
                if exclude is None or exclude.fullmatch(rel) is None:
                    listed = _file_item(entry, rel)
                    if listed is not None:
                        yield listed
            else:  # every entry of this folder seen
                os.close(fd)
                stack.pop()
    finally:
        for _prefix, _parts, fd, _entries in stack:
            os.close(fd)


def _file_item(entry: os.DirEntry[str], rel: str) -> Item | ListingProblem | None:
    """A regular file's item (None: gone, or not a regular file); a function, not a
    generator: it runs for every file of the share."""
    try:
        info = entry.stat(follow_symlinks=False)
    except FileNotFoundError:
        log.debug("skipped %s: file gone", rel)
        return None
    except OSError as exc:
        return ListingProblem(where=rel, message=f"cannot stat file: {exc.strerror or exc}")
    return listed_item(rel, info) if stat.S_ISREG(info.st_mode) else None


def listed_item(rel: str, info: os.stat_result) -> Item:
    """The item the walk lists for the regular file ``rel`` (its version: mtime and size)."""
    return Item(
        external_id=rel,
        version=f"{info.st_mtime_ns}:{info.st_size}",
        locator=f"{info.st_dev}:{info.st_ino}",
        size=info.st_size,
    )


def _linked_entry(state: _Walk, rel: str, parts: tuple[str, ...]) -> Iterator[Item]:
    """A symbolic link met by the walk: followed inside the root, listed or named otherwise."""
    try:
        found = state.root.lookup(parts)
    except OutsideRoot as exc:
        if state.wanted(rel) and not state.excluded(rel):
            yield _outside_item(state, rel, parts)  # its fetch skips it, counted
        else:
            log.warning("skipped %s: %s", rel, exc)
        return
    except OSError as exc:
        log.debug("skipped %s: broken symbolic link or link loop (%s)", rel, exc.strerror or exc)
        return
    except ConnectorError as exc:  # a link while links are not followed: cannot happen here
        log.warning("skipped %s: %s", rel, exc)
        return
    if stat.S_ISDIR(found.info.st_mode):
        if not state.excluded(rel):
            state.linked.append((rel, found.parts))
    elif stat.S_ISREG(found.info.st_mode) and state.wanted(rel) and not state.excluded(rel):
        yield listed_item(rel, found.info)


def _outside_item(state: _Walk, rel: str, parts: tuple[str, ...]) -> Item:
    """An item for a link that leaves the root, versioned by the link (its target unread)."""
    try:
        parent = state.root.open_dir(parts[:-1])
        try:
            info = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
            target = os.readlink(parts[-1], dir_fd=parent)
        finally:
            os.close(parent)
        digest = hashlib.sha256(os.fsencode(target)).hexdigest()[:16]
        version = f"link:{info.st_mtime_ns}:{digest}"
    except (OSError, ConnectorError):
        version = "link:unreadable"
    return Item(external_id=rel, version=version, locator="")


def _open_child(
    state: _Walk, parent: int, name: str, rel: str
) -> tuple[int, list[os.DirEntry[str]]] | ListingProblem | None:
    """Open a real subfolder relative to its parent; None when excluded or already listed."""
    if state.excluded(rel):
        return None
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as exc:
        return ListingProblem(where=rel + "/", message=f"cannot list folder: {exc.strerror or exc}")
    return _enter(state, fd, rel)


def _open_linked(
    state: _Walk, rel: str, parts: tuple[str, ...]
) -> tuple[int, list[os.DirEntry[str]]] | ListingProblem | None:
    try:
        fd = state.root.open_dir(parts)
    except OutsideRoot as exc:  # the link changed since it was met
        log.warning("skipped %s/: %s", rel, exc)
        return None
    except (OSError, ConnectorError) as exc:
        message = exc.strerror if isinstance(exc, OSError) else str(exc)
        return ListingProblem(where=rel + "/", message=f"cannot list folder: {message or exc}")
    return _enter(state, fd, rel)


def _enter(
    state: _Walk, fd: int, rel: str
) -> tuple[int, list[os.DirEntry[str]]] | ListingProblem | None:
    """The sorted entries of an open folder; None when already visited (a loop)."""
    try:
        info = os.fstat(fd)
        key = (info.st_dev, info.st_ino)
        if key in state.seen_dirs:
            log.debug("skipped %s: folder already listed (symbolic link loop or duplicate)", rel)
            os.close(fd)
            return None
        state.seen_dirs.add(key)
        return fd, _scan(fd)
    except OSError as exc:
        os.close(fd)
        return ListingProblem(where=rel + "/", message=f"cannot list folder: {exc.strerror or exc}")


def _scan(fd: int) -> list[os.DirEntry[str]]:
    """The entries of an open folder, sorted by name (``scandir`` reads a duplicate of ``fd``)."""
    with os.scandir(fd) as entries:
        return sorted(entries, key=_entry_name)


_DIR_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes arrive as lone surrogates
        return False
    return True
