"""The sync index: what a run loads up front about every known page, and nothing more.

The version gate reads one fact per listed page: the version stored for it, when an unchanged
version means nothing to fetch (the page is in Intercom, or was settled as skipped/excluded).
That is all :class:`SyncIndex` holds per page (a dict of strings, about half the memory of a
tuple of version, hash, id and parent); split pages' sections and the count of pages in
Intercom come along. The hash and Intercom id are read from the database for the pages that
need them (those fetched again, deleted, or taken down), one primary-key lookup each.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from state._records import SyncEntry

__all__ = ["SyncIndex"]

#: Reads one page's full entry from the database (None: no longer there).
EntryReader = Callable[[str], SyncEntry | None]


class SyncIndex(Mapping[str, SyncEntry]):
    """Every known page of one connector. A Mapping of full :class:`SyncEntry` values, but
    ``index[eid]`` reads the database once per page (then keeps it): the hot paths use
    :meth:`gate_version`, :meth:`parent`, :attr:`sections` and :attr:`sent` instead."""

    __slots__ = ("_fetched", "_parents", "_read", "_versions", "sent")

    def __init__(
        self,
        versions: dict[str, str | None],
        parents: dict[str, str],
        sent: int,
        read: EntryReader,
    ) -> None:
        self._versions = versions
        self._parents = parents
        self._read = read
        self._fetched: dict[str, SyncEntry] = {}
        #: Pages with an Intercom id when the index was loaded.
        self.sent = sent

    @classmethod
    def empty(cls) -> SyncIndex:
        """No page known (a new connector, or a source deleted in Intercom)."""
        return cls({}, {}, 0, lambda _eid: None)

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]], read: EntryReader) -> SyncIndex:
        """Rows of ``(external_id, version, has an Intercom id, settled, parent)``."""
        versions: dict[str, str | None] = {}
        parents: dict[str, str] = {}
        sent = 0
        paused = gc.isenabled()
        gc.disable()  # strings only, no cycles: see page_index_from_rows
        try:
            for external_id, version, in_intercom, settled, parent in rows:
                versions[external_id] = version if (in_intercom or settled) else None
                sent += 1 if in_intercom else 0
                if parent is not None:
                    parents[external_id] = parent
        finally:
            if paused:
                gc.enable()
        return cls(versions, parents, sent, read)

    def gate_version(self, external_id: str) -> str | None:
        """The stored version when an unchanged one means nothing to fetch; None for pages
        unknown, never sent, failed before their first upsert, or held (checked every run)."""
        return self._versions.get(external_id)

    def parent(self, external_id: str) -> str | None:
        """The page a section of a split page belongs to (None for a page)."""
        return self._parents.get(external_id)

    @property
    def sections(self) -> Mapping[str, str]:
        """Section external_id -> its page's external_id, for every split page."""
        return self._parents

    def __getitem__(self, external_id: str) -> SyncEntry:
        entry = self._fetched.get(external_id)
        if entry is not None:
            return entry
        if external_id not in self._versions:
            raise KeyError(external_id)
        entry = self._read(external_id)
        if entry is None:  # gone from the database since the index was loaded
            entry = SyncEntry(None, None, None, self._parents.get(external_id))
        self._fetched[external_id] = entry
        return entry

    def __contains__(self, external_id: object) -> bool:
        return external_id in self._versions

    def __iter__(self) -> Iterator[str]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)
