"""The write side of one run: upserts into Intercom, recorded in state only after a 2xx, the
content hash that gates them, and the batched version updates of pages that did not change."""

from __future__ import annotations

import hashlib
import threading

from ingestor.convert import ConvertedPage
from ingestor.engine.adoption import AdoptionCandidates, same_copy
from ingestor.engine.policy import PagePolicy
from ingestor.engine.sources import SourceResolver
from ingestor.errors import PageError
from ingestor.gate import Availability, GateDecision, audience_name
from ingestor.intercom import ExternalPage, IntercomClient, PageUpsert
from ingestor.state import Store, SyncEntry, UpsertedPage

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
        self.source_id: int | None = None

    def open_source(self, *, dry_run: bool) -> None:
        """Find the source (a dry run creates nothing), else adopt or create it."""
        self.source_id = self.sources.find() if dry_run else self.sources.ensure()

    def page_hash(self, page: ConvertedPage, availability: Availability) -> str:
        """The hash state keeps: the content's, salted with what the page is sent with (its
        audience included: a change of audience is a change, and costs one update)."""
        salt = self.policy.hash_salt(availability.ai_agent, availability.ai_copilot)
        return hashlib.sha256(f"{page.content_hash}||{salt}".encode()).hexdigest()

    def needs_upload(
        self,
        page: ConvertedPage,
        entry: SyncEntry | None,
        availability: Availability,
        *,
        full: bool,
    ) -> bool:
        """Whether Intercom lacks this exact page (``full`` re-sends everything)."""
        return (
            full
            or entry is None
            or entry.intercom_id is None
            or entry.content_hash != self.page_hash(page, availability)
        )

    def send_reason(self, page: ConvertedPage, entry: SyncEntry | None, *, full: bool) -> str:
        """Why a page is sent: new, --full, its audience alone changed, or its content."""
        if entry is None or entry.intercom_id is None:
            return "new page"
        if entry.hidden_at is not None:
            return "restored: back in the source while hidden, updated in place"
        if full:
            return "--full"
        for agent, copilot in ((True, True), (False, True), (True, False), (False, False)):
            if entry.content_hash == self.page_hash(page, Availability(agent, copilot)):
                return f"audience changed (was {audience_name(agent, copilot)})"
        return "content changed"

    def upsert(
        self,
        page: ConvertedPage,
        decision: GateDecision,
        *,
        version: str,
        broken: list[str],
        parent: str | None,
        adopt: AdoptionCandidates | None = None,
    ) -> bool:
        """Upsert ``page``, then record it; a source deleted in Intercom is re-created once.

        With ``adopt``: a page whose Intercom copy under our source equals what would be sent
        is recorded with that copy's id, without a call.

        Returns:
            False when the page was adopted (no call), True when it was sent.

        Raises:
            PageError: Intercom refused the page.
        """
        source_id = self.source_id
        assert source_id is not None, "open_source() comes first"
        availability = decision.availability
        assert availability is not None, "the gate withholds pages it does not send"
        remote = adopt.get(page.external_id) if adopt is not None else None
        if remote is not None and remote.source_id == source_id:
            same = same_copy(
                remote, title=page.title, html=page.html, url=page.url, availability=availability
            )
            assert adopt is not None
            adopt.note(page.external_id, adopted=same)
            if same:
                self._record(page, decision, remote, version, broken, parent)
                return False
        try:
            result = self._send(page, source_id, availability)
        except PageError as exc:
            if exc.status_code not in (404, 422):
                raise
            new_id = self.sources.recreate_if_deleted(source_id)
            if new_id is None:
                raise
            self.source_id = new_id
            result = self._send(page, new_id, availability)
        self._record(page, decision, result, version, broken, parent)
        return True

    def _record(
        self,
        page: ConvertedPage,
        decision: GateDecision,
        stored: ExternalPage,
        version: str,
        broken: list[str],
        parent: str | None,
    ) -> None:
        """Record the page with Intercom's copy as its answer showed it: the title, url and
        HTML Intercom keeps (it may trim or re-serialise them) are what a reconcile later finds
        there, so they are what drift is measured against. An answer that leaves one out
        (empty) falls back to what was sent. The content hash stays ours: it gates re-sends."""
        availability = decision.availability
        assert availability is not None
        self.store.record_upsert(
            UpsertedPage(
                self.connector,
                page.external_id,
                version=version + self.version_suffix,
                content_hash=self.page_hash(page, availability),
                intercom_id=stored.id,
                title=stored.title or page.title,
                url=page.url if stored.url is None else stored.url,
                sent_html=stored.html or page.html,
                broken_links=tuple(broken),
                parent=parent,
                audience=(decision.audience, decision.matched),
            )
        )

    def _send(
        self, page: ConvertedPage, source_id: int, availability: Availability
    ) -> ExternalPage:
        return self.client.upsert_page(
            PageUpsert(
                source_id=source_id,
                external_id=page.external_id,
                title=page.title,
                html=page.html,
                url=page.url,
                ai_agent_availability=availability.ai_agent,
                ai_copilot_availability=availability.ai_copilot,
                locale=self.policy.locale,
            )
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
        self._audiences: list[tuple[str, str, str]] = []

    def add(self, external_id: str, version: str, decision: GateDecision) -> None:
        with self._lock:
            self._pending.append((external_id, version + self.version_suffix))
            self._audiences.append((external_id, decision.audience, decision.matched))
        self.flush(force=False)

    def flush(self, *, force: bool = True) -> None:
        with self._lock:
            if not self._pending or (not force and len(self._pending) < UNCHANGED_BATCH):
                return
            batch, self._pending = self._pending, []
            audiences, self._audiences = self._audiences, []
        self.store.record_unchanged(self.connector, batch, audiences)
