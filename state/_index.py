"""The sync index: what a run loads up front about every known page, and nothing more.

The version gate reads one fact per listed page: the version stored for it, when an unchanged
version means nothing to fetch (the page is in Intercom, or was settled as skipped/excluded).
That is all :class:`SyncIndex` holds per page, and only as the version's 64-bit hash
(:meth:`SyncIndex.version_key`: an int of 32 bytes where the version string took about 80,
50 MB less at a million pages; a changed version goes unnoticed only if its hash equals the old
one's, a chance of 2**-64 per change); split pages' sections, hidden pages and the count of
pages visible in Intercom come along. The hash and Intercom id are read from
the database for the pages that need them (those fetched again, deleted, hidden or taken
down), one primary-key lookup each.

A full listing marks in the index each known page it meets (:meth:`SyncIndex.take`)
rather than keeping a set of every listed id beside it: the page's version is read once by the
version gate and then dropped, so the index shrinks as the listing streams, and the pages left
unmarked are the ones that vanished.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import Enum
from typing import Any, Final

from ingestor.state._records import EXCLUDED_HASH, SKIPPED_HASH, SyncEntry
from ingestor.state._tables import from_db_time

__all__ = ["Mark", "SyncIndex"]

#: Reads one page's full entry from the database (None: no longer there).
EntryReader = Callable[[str], SyncEntry | None]


class Mark(Enum):
    """What :meth:`SyncIndex.take` answers besides a version key."""

    #: The page is not in the index (new to state).
    UNKNOWN = "unknown"
    #: The listing already took this page (it was listed twice).
    LISTED = "listed"


#: Stands in for the version of a page this run's listing took (its version was read).
_LISTED: Final = Mark.LISTED
_UNKNOWN: Final = Mark.UNKNOWN


class SyncIndex(Mapping[str, SyncEntry]):
    """Every known page of one connector. A Mapping of full :class:`SyncEntry` values, but
    ``index[eid]`` reads the database once per page (then keeps it): the hot paths use
    :meth:`take`, :meth:`parent`, :attr:`sections`, :attr:`hidden`, :attr:`visible`."""

    __slots__ = ("_fetched", "_hidden", "_listed", "_parents", "_read", "_versions", "visible")

    def __init__(self, read: EntryReader) -> None:
        self._versions: dict[str, int | Mark | None] = {}
        self._listed = 0
        self._parents: dict[str, str] = {}
        self._hidden: dict[str, float] = {}
        self._read = read
        self._fetched: dict[str, SyncEntry] = {}
        #: Pages in Intercom and not hidden when the index was loaded.
        self.visible = 0

    @classmethod
    def empty(cls) -> SyncIndex:
        """No page known (a new connector, or a source deleted in Intercom)."""
        return cls(lambda _eid: None)

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]], read: EntryReader) -> SyncIndex:
        """Rows of ``(external_id, version, has an Intercom id, settled, parent, hidden_at)``
        (hidden_at as stored: ISO text)."""
        index = cls(read)
        paused = gc.isenabled()
        gc.disable()  # strings only, no cycles: see page_index_from_rows
        try:
            versions, parents = index._versions, index._parents  # _add, inlined: per page
            for external_id, version, in_intercom, settled, parent, hidden_at in rows:
                keep = version is not None and (in_intercom or settled)
                versions[external_id] = hash(version) if keep else None
                if parent is not None:
                    parents[external_id] = parent
                if hidden_at is not None:
                    index._hidden[external_id] = from_db_time(hidden_at).timestamp()
                elif in_intercom:
                    index.visible += 1
        finally:
            if paused:
                gc.enable()
        return index

    @classmethod
    def of(cls, entries: Mapping[str, SyncEntry]) -> SyncIndex:
        """An index over entries already in memory (tests, tools)."""
        index = cls(entries.get)
        for eid, entry in entries.items():
            settled = entry.content_hash in (SKIPPED_HASH, EXCLUDED_HASH)
            index._add(eid, entry.version, entry.intercom_id is not None, settled, entry.parent)
            if entry.hidden_at is not None:
                index._hidden[eid] = entry.hidden_at
            elif entry.intercom_id is not None:
                index.visible += 1
        return index

    def _add(
        self, eid: str, version: str | None, in_intercom: bool, settled: bool, parent: str | None
    ) -> None:
        keep = version is not None and (in_intercom or settled)
        self._versions[eid] = hash(version) if keep else None
        if parent is not None:
            self._parents[eid] = parent

    @property
    def hidden(self) -> Mapping[str, float]:
        """Pages hidden from Fin after they vanished (``deletion: hide``), with when."""
        return self._hidden

    @staticmethod
    def version_key(version: str) -> int:
        """What the index keeps of a version, to compare a listed version with (its hash)."""
        return hash(version)

    def gate_version(self, external_id: str) -> int | None:
        """The stored version's key when an unchanged one means nothing to fetch; None for
        pages unknown, never sent, failed before their first upsert, or held (checked every
        run), and for a page the listing already took (:meth:`take` drops the version)."""
        key = self._versions.get(external_id)
        return None if isinstance(key, Mark) else key

    def take(self, external_id: str) -> int | Mark | None:
        """A listing met ``external_id``: mark it listed, and return its :meth:`gate_version`;
        :attr:`Mark.UNKNOWN` for a page not in the index, :attr:`Mark.LISTED` when it was taken
        before. One lookup: this runs for every listed page."""
        key = self._versions.get(external_id, _UNKNOWN)
        if key is _UNKNOWN or key is _LISTED:
            return key
        self._versions[external_id] = _LISTED
        self._listed += 1
        return key

    def is_listed(self, external_id: str) -> bool:
        """Whether :meth:`take` met this page."""
        return self._versions.get(external_id) is _LISTED

    @property
    def listed_count(self) -> int:
        """How many known pages :meth:`take` met."""
        return self._listed

    def listed(self) -> Iterator[str]:
        """The known pages :meth:`take` met."""
        return (eid for eid, version in self._versions.items() if version is _LISTED)

    def unlisted(self) -> Iterator[str]:
        """The known pages (sections included) :meth:`take` did not meet."""
        return (eid for eid, version in self._versions.items() if version is not _LISTED)

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
