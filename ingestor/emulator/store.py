"""Where the emulator keeps sources and pages: the store contract and its in-memory version.

Stores are synchronous and called from the event loop only, so each API operation runs as one
uninterrupted step (no ``await`` between its reads and writes): no locks needed. Ids are
integers that only grow, never reused, not even after ``clear()``; list order is id order.
"""

from __future__ import annotations

import bisect
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, fields

__all__ = ["MemoryStore", "NewPage", "PageRecord", "SourceRecord", "Store"]


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One Content Import Source."""

    id: int
    url: str
    status: str
    sync_behavior: str
    created_at: int
    updated_at: int
    last_synced_at: int


@dataclass(frozen=True, slots=True)
class NewPage:
    """The fields of a page the store has not given an id yet."""

    source_id: int
    external_id: str
    title: str
    html: str
    url: str | None
    ai_agent_availability: bool
    ai_copilot_availability: bool
    ai_sales_agent_availability: bool
    created_at: int
    updated_at: int
    last_ingested_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRecord(NewPage):
    """One External Page: a :class:`NewPage` with the id the store gave it."""

    id: int

    @classmethod
    def stored(cls, page: NewPage, page_id: int) -> PageRecord:
        """``page`` under the id the store gave it."""
        return cls(id=page_id, **{name: getattr(page, name) for name in _NEW_PAGE_FIELDS})


_NEW_PAGE_FIELDS = tuple(field.name for field in fields(NewPage))


class Store(ABC):
    """Storage of sources and pages. ``after_id``/``offset``/``limit`` select in id order, or in
    descending id order with ``descending`` (then ``after_id`` bounds from above; 0: no bound).
    """

    @abstractmethod
    def add_source(self, *, url: str, status: str, sync_behavior: str, now: int) -> SourceRecord:
        """Create a source with a fresh id."""

    @abstractmethod
    def source(self, source_id: int) -> SourceRecord | None:
        """Return the source with this id, if any."""

    @abstractmethod
    def save_source(self, source: SourceRecord) -> None:
        """Overwrite an existing source."""

    @abstractmethod
    def remove_source(self, source_id: int) -> int:
        """Delete a source and every page of it; return the number of pages deleted."""

    @abstractmethod
    def list_sources(
        self, *, after_id: int, offset: int, limit: int, descending: bool = False
    ) -> list[SourceRecord]:
        """Return up to ``limit`` sources after ``after_id``, skipping ``offset`` of them."""

    @abstractmethod
    def source_count(self) -> int:
        """Return the number of sources."""

    @abstractmethod
    def add_page(self, page: NewPage) -> PageRecord:
        """Create a page with a fresh id; its ``(source_id, external_id)`` must be new."""

    @abstractmethod
    def page(self, page_id: int) -> PageRecord | None:
        """Return the page with this id, if any."""

    @abstractmethod
    def page_by_external_id(self, source_id: int, external_id: str) -> PageRecord | None:
        """Return the page of this source with this external id, if any."""

    @abstractmethod
    def save_page(self, page: PageRecord) -> None:
        """Overwrite an existing page (its source and external id stay)."""

    @abstractmethod
    def remove_page(self, page_id: int) -> PageRecord | None:
        """Delete a page; return it, or ``None`` when it did not exist."""

    @abstractmethod
    def list_pages(
        self, *, after_id: int, offset: int, limit: int, descending: bool = False
    ) -> list[PageRecord]:
        """Return up to ``limit`` pages after ``after_id``, skipping ``offset`` of them."""

    @abstractmethod
    def page_count(self) -> int:
        """Return the number of pages."""

    def all_pages(self) -> Iterator[PageRecord]:
        """Yield every page in id order."""
        after_id = 0
        while batch := self.list_pages(after_id=after_id, offset=0, limit=1000):
            yield from batch
            after_id = batch[-1].id

    @abstractmethod
    def clear(self) -> None:
        """Delete every source and page (ids keep growing)."""

    def close(self) -> None:  # noqa: B027 - optional hook; only stores holding resources need it
        """Release resources held by the store."""


class MemoryStore(Store):
    """Dicts plus a sorted id list (ids only grow, so appending keeps it sorted)."""

    def __init__(self) -> None:
        self._sources: dict[int, SourceRecord] = {}
        self._pages: dict[int, PageRecord] = {}
        self._page_ids: list[int] = []
        self._by_external_id: dict[tuple[int, str], int] = {}
        self._pages_of_source: dict[int, set[int]] = {}
        self._last_source_id = 0
        self._last_page_id = 0

    def add_source(self, *, url: str, status: str, sync_behavior: str, now: int) -> SourceRecord:
        self._last_source_id += 1
        source = SourceRecord(self._last_source_id, url, status, sync_behavior, now, now, now)
        self._sources[source.id] = source
        self._pages_of_source[source.id] = set()
        return source

    def source(self, source_id: int) -> SourceRecord | None:
        return self._sources.get(source_id)

    def save_source(self, source: SourceRecord) -> None:
        self._sources[source.id] = source

    def remove_source(self, source_id: int) -> int:
        if self._sources.pop(source_id, None) is None:
            return 0
        doomed = self._pages_of_source.pop(source_id, set())
        for page_id in doomed:
            page = self._pages.pop(page_id)
            del self._by_external_id[(page.source_id, page.external_id)]
        if doomed:
            self._page_ids = [page_id for page_id in self._page_ids if page_id not in doomed]
        return len(doomed)

    def list_sources(
        self, *, after_id: int, offset: int, limit: int, descending: bool = False
    ) -> list[SourceRecord]:
        if descending:
            ids = [sid for sid in reversed(self._sources) if not after_id or sid < after_id]
        else:
            ids = [sid for sid in self._sources if sid > after_id]
        return [self._sources[source_id] for source_id in ids[offset : offset + limit]]

    def source_count(self) -> int:
        return len(self._sources)

    def add_page(self, page: NewPage) -> PageRecord:
        self._last_page_id += 1
        record = PageRecord.stored(page, self._last_page_id)
        self._pages[record.id] = record
        self._page_ids.append(record.id)
        self._by_external_id[(record.source_id, record.external_id)] = record.id
        self._pages_of_source[record.source_id].add(record.id)
        return record

    def page(self, page_id: int) -> PageRecord | None:
        return self._pages.get(page_id)

    def page_by_external_id(self, source_id: int, external_id: str) -> PageRecord | None:
        page_id = self._by_external_id.get((source_id, external_id))
        return None if page_id is None else self._pages[page_id]

    def save_page(self, page: PageRecord) -> None:
        self._pages[page.id] = page

    def remove_page(self, page_id: int) -> PageRecord | None:
        page = self._pages.pop(page_id, None)
        if page is None:
            return None
        del self._page_ids[bisect.bisect_left(self._page_ids, page_id)]
        del self._by_external_id[(page.source_id, page.external_id)]
        self._pages_of_source[page.source_id].discard(page_id)
        return page

    def list_pages(
        self, *, after_id: int, offset: int, limit: int, descending: bool = False
    ) -> list[PageRecord]:
        if descending:
            end = bisect.bisect_left(self._page_ids, after_id) if after_id else len(self._page_ids)
            end -= offset
            ids = self._page_ids[max(0, end - limit) : max(0, end)][::-1]
        else:
            start = bisect.bisect_right(self._page_ids, after_id) + offset
            ids = self._page_ids[start : start + limit]
        return [self._pages[page_id] for page_id in ids]

    def page_count(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        self._sources.clear()
        self._pages.clear()
        self._page_ids.clear()
        self._by_external_id.clear()
        self._pages_of_source.clear()
