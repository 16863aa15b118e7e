"""The write side of one run: upserts into Intercom, recorded in state only after a 2xx, the
content hash that gates them, and the batched version updates of pages that did not change."""

from __future__ import annotations

import hashlib
import threading

from ingestor.convert import ConvertedPage
from ingestor.errors import PageError
from ingestor.intercom import ExternalPage, IntercomClient
from ingestor.policy import PagePolicy
from ingestor.sources import SourceResolver
from state import Store, SyncEntry

__all__ = ["UNCHANGED_BATCH", "PageWriter", "UnchangedVersions"]

#: How many unchanged-page version updates to write per transaction.
UNCHANGED_BATCH = 1000


class PageWriter:
    """Sends converted pages of one connector to its Content Import Source and records them."""

    def __init__(
        self,
        client: IntercomClient,
        store: Store,
        sources: SourceResolver,
        policy: PagePolicy,
        *,
        version_suffix: str,
    ) -> None:
        self.client = client
        self.store = store
        self.sources = sources
        self.connector = sources.connector
        self.policy = policy
        self.version_suffix = version_suffix
        self.hash_salt = "|" + policy.hash_salt()
        self.source_id: int | None = None

    def open_source(self, *, dry_run: bool) -> None:
        """Find the source (a dry run creates nothing), else adopt or create it."""
        self.source_id = self.sources.find() if dry_run else self.sources.ensure()

    def page_hash(self, page: ConvertedPage) -> str:
        """The hash state keeps: the content's, salted with what the policy sends along."""
        return hashlib.sha256(f"{page.content_hash}|{self.hash_salt}".encode()).hexdigest()

    def needs_upload(self, page: ConvertedPage, entry: SyncEntry | None, *, full: bool) -> bool:
        """Whether Intercom lacks this exact page (``full`` re-sends everything)."""
        return (
            full
            or entry is None
            or entry.intercom_id is None
            or entry.content_hash != self.page_hash(page)
        )

    def upsert(
        self, page: ConvertedPage, *, version: str, broken: list[str], parent: str | None
    ) -> None:
        """Upsert ``page``, then record it; a source deleted in Intercom is re-created once.

        Raises:
            PageError: Intercom refused the page.
        """
        source_id = self.source_id
        assert source_id is not None, "open_source() comes first"
        try:
            result = self._send(page, source_id)
        except PageError as exc:
            if exc.status_code not in (404, 422):
                raise
            new_id = self.sources.recreate_if_deleted(source_id)
            if new_id is None:
                raise
            self.source_id = new_id
            result = self._send(page, new_id)
        self.store.record_upsert(
            self.connector,
            page.external_id,
            version=version + self.version_suffix,
            content_hash=self.page_hash(page),
            intercom_id=result.id,
            title=page.title,
            url=page.url,
            sent_html=page.html,
            broken_links=broken,
            parent=parent,
        )

    def _send(self, page: ConvertedPage, source_id: int) -> ExternalPage:
        return self.client.upsert_page(
            source_id=source_id,
            external_id=page.external_id,
            title=page.title,
            html=page.html,
            url=page.url,
            ai_agent_availability=self.policy.ai_agent_availability,
            ai_copilot_availability=self.policy.ai_copilot_availability,
            locale=self.policy.locale,
        )


class UnchangedVersions:
    """New versions of pages whose content did not change, written a batch per transaction
    (a no-op run over 100k pages must not cost 100k commits)."""

    def __init__(self, store: Store, connector: str, *, version_suffix: str) -> None:
        self.store = store
        self.connector = connector
        self.version_suffix = version_suffix
        self._lock = threading.Lock()
        self._pending: list[tuple[str, str]] = []

    def add(self, external_id: str, version: str) -> None:
        with self._lock:
            self._pending.append((external_id, version + self.version_suffix))
        self.flush(force=False)

    def flush(self, *, force: bool = True) -> None:
        with self._lock:
            if not self._pending or (not force and len(self._pending) < UNCHANGED_BATCH):
                return
            batch, self._pending = self._pending, []
        self.store.record_unchanged(self.connector, batch)
