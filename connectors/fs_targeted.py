"""Listing only the files a file-system watcher named, with the walk's own rules.

The daemon's watcher (:mod:`ingestor.daemon._watch`) hands over the paths that changed; a
watch run then lists just those. Each path is judged by what is there *now* (events are
debounced: a file written through a temporary file and a rename shows up as both names, and
only the one that still exists and matches ``include`` counts). The rules are the walk's
(:mod:`connectors.fs_walk`): hidden names and excluded folders are never listed, ``include``
and ``exclude`` apply to files. Whatever only a full listing can judge returns None: a folder
(created, moved in or out: its files raise no events of their own), a page's file that is gone
(deletions need a complete listing and the deletion guard), a path through a symbolic link, too
many paths at once.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Collection, Iterator
from typing import Final, Literal

from ingestor.connectors.base import Item
from ingestor.connectors.fs_contain import ContainedRoot
from ingestor.connectors.fs_walk import listed_item
from ingestor.errors import ConnectorError, OutsideRoot

__all__ = ["MAX_TARGETED_PATHS", "targeted_items"]

#: Past this many changed paths one run lists in full: as cheap, and it sees everything.
MAX_TARGETED_PATHS = 1000


#: What :func:`_item_at` answers when only a full listing can tell what a path means.
_FULL: Final = "full"


def targeted_items(
    root: ContainedRoot,
    include: re.Pattern[str] | None,
    exclude: re.Pattern[str] | None,
    paths: Collection[str],
) -> list[Item] | None:
    """The items at ``paths`` (absolute, under ``root``), sorted; None: list in full."""
    if len(paths) > MAX_TARGETED_PATHS:
        return None
    prefixes = tuple(dict.fromkeys((root.root, os.path.realpath(root.root))))
    items: dict[str, Item] = {}
    for rel in _relative_paths(prefixes, paths):
        item = _FULL if rel is None else _item_at(root, include, exclude, rel)
        if item == _FULL:
            return None
        if isinstance(item, Item):
            items[item.external_id] = item
    return [items[rel] for rel in sorted(items)]


def _relative_paths(prefixes: tuple[str, ...], paths: Collection[str]) -> Iterator[str | None]:
    """Each path under the root relative to it; None for the root itself (moved, replaced)."""
    for path in paths:
        absolute = os.path.abspath(path)
        for prefix in prefixes:
            if absolute == prefix:
                yield None
                break
            if absolute.startswith(prefix.rstrip("/") + "/"):
                yield absolute[len(prefix.rstrip("/")) + 1 :]
                break


def _item_at(
    root: ContainedRoot, include: re.Pattern[str] | None, exclude: re.Pattern[str] | None, rel: str
) -> Item | Literal["full"] | None:
    parts = rel.split("/")
    if any(part.startswith(".") for part in parts) or not _is_utf8(rel):
        return None  # never listed by the walk
    if exclude is not None and any(
        exclude.fullmatch("/".join(parts[:depth])) for depth in range(1, len(parts))
    ):
        return None  # inside an excluded folder, which the walk does not enter
    wanted = include is not None and bool(include.fullmatch(rel))
    wanted = wanted and not (exclude is not None and exclude.fullmatch(rel))
    try:
        found = root.lookup(parts)
    except FileNotFoundError:
        return _FULL if wanted else None  # a page's file is gone: a deletion
    except (OSError, OutsideRoot, ConnectorError):
        return _FULL  # a link, a loop, unreadable: the walk's rules decide
    if found.parts != tuple(parts) or stat.S_ISDIR(found.info.st_mode):
        return _FULL  # reached through a link, or a folder: its files raise no events
    if not wanted or not stat.S_ISREG(found.info.st_mode):
        return None
    return listed_item(rel, found.info)


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
