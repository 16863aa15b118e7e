"""Intercom's side of a reconcile: every source and every External Page, listed once.

The list endpoints take no filter, so one walk of each serves every connector; it pages at the
largest ``per_page`` (150), so it costs ``ceil(pages / 150) + 1`` calls (plus one per 150
sources). Newer API versions cap deep paging at 10,000 results: on
:class:`~ingestor.errors.DeepPagingCapped` the walk keeps what it listed, and pages state knows
but the walk did not reach are read one by one (``GET /ai/external_pages/{id}``, paced by the
client's rate budget). A page state knows that the walk did not show is read by id too before
it counts as missing, since a list shifts while it is walked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ingestor.engine.sources import normalize_source_url
from ingestor.errors import DeepPagingCapped, PageError
from ingestor.intercom import ContentImportSource, ExternalPage, IntercomClient

__all__ = ["LIST_PER_PAGE", "RemoteView", "normalize_url"]

log = logging.getLogger("ingestor.reconcile")

#: The largest page size Intercom's list endpoints accept.
LIST_PER_PAGE = 150


def normalize_url(url: str) -> str:
    """Source urls compare as :class:`ingestor.engine.sources.SourceResolver` compares them."""
    return normalize_source_url(url)


@dataclass
class RemoteView:
    """What Intercom holds, as one walk of each list (and reads by id) found it."""

    sources: dict[int, ContentImportSource]
    #: Every page seen, by Intercom id.
    pages: dict[str, ExternalPage]
    #: The page list stopped at the deep-paging cap: pages past it were not listed.
    capped: bool = False
    #: Ids read one by one and found gone (404).
    gone: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, client: IntercomClient, *, per_page: int = LIST_PER_PAGE) -> RemoteView:
        """List every source and every page once.

        Raises:
            SyncError: A list failed (other than at the deep-paging cap).
        """
        sources = {s.id: s for s in client.list_sources(per_page=per_page)}
        pages: dict[str, ExternalPage] = {}
        capped = False
        try:
            for page in client.list_pages(per_page=per_page):
                pages[page.id] = page
        except DeepPagingCapped as exc:
            capped = True
            log.warning(
                "reconcile: the page list stopped at Intercom's deep-paging cap after %d pages "
                "(%s); known pages are read one by one, and orphans past the cap cannot be "
                "looked for",
                len(pages),
                exc,
            )
        return cls(sources, pages, capped)

    def confirm(self, client: IntercomClient, intercom_ids: Iterable[str]) -> int:
        """Read by id the pages state knows but the walk did not show; returns calls made.

        Found pages join :attr:`pages`; 404s join :attr:`gone`. Reads run in parallel, as many
        as the client has connections: the client's rate budget paces them to the window (past
        the deep-paging cap there may be tens of thousands, at 50 ms each one by one).
        """
        wanted = [
            i for i in dict.fromkeys(intercom_ids) if i not in self.pages and i not in self.gone
        ]
        if not wanted:
            return 0
        with ThreadPoolExecutor(max(1, client.max_connections), "reconcile-read") as pool:
            for intercom_id, page in zip(
                wanted, pool.map(lambda i: _read(client, i), wanted), strict=True
            ):
                if page is None:
                    self.gone.add(intercom_id)
                else:
                    self.pages[intercom_id] = page
        return len(wanted)

    def pages_of(self, source_id: int) -> dict[str, ExternalPage]:
        """The pages of one source, by external id (the newest copy if one repeats)."""
        found: dict[str, ExternalPage] = {}
        for page in self.pages.values():
            if page.source_id == source_id:
                known = found.get(page.external_id)
                if known is None or (page.updated_at or 0) >= (known.updated_at or 0):
                    found[page.external_id] = page
        return found

    def api_sources_at(self, url: str) -> list[ContentImportSource]:
        """The ``sync_behavior: api`` sources with this url, oldest first."""
        wanted = normalize_url(url)
        return sorted(
            (
                s
                for s in self.sources.values()
                if s.sync_behavior == "api" and normalize_url(s.url) == wanted
            ),
            key=lambda s: s.id,
        )

    def page_count(self, source_id: int) -> int:
        return sum(1 for page in self.pages.values() if page.source_id == source_id)


def _read(client: IntercomClient, intercom_id: str) -> ExternalPage | None:
    """One page by id; None when Intercom no longer has it."""
    try:
        return client.get_page(intercom_id)
    except PageError as exc:
        if exc.status_code != 404:
            raise
        return None
