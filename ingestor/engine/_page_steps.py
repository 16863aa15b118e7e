"""One page's way through a run: fetch, convert, require text, gate, hash gate, upsert, record.

:class:`PageSteps` is the page-level half of the engine's run (``ingestor.engine.sync._Run``
inherits it): the run lists, schedules pages on its threads and deletes what vanished; these
methods decide and send each page. Per-page problems end here as a :class:`PageEvent`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Container, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from ingestor.connectors.base import Connector, Item
from ingestor.convert import (
    ConvertedPage,
    broken_targets,
    require_text,
    split_page,
    without_dead_links,
)
from ingestor.engine.deletion import remove_page
from ingestor.engine.pacing import UploadSlots
from ingestor.engine.policy import PagePolicy, SyncOptions
from ingestor.engine.publish import PageWriter, UnchangedVersions
from ingestor.engine.report import MAX_BROKEN_LINKS_KEPT, Outcome, PageEvent, SyncReport
from ingestor.engine.workers import ConversionPool
from ingestor.errors import ConnectorError, PageError, PageSkipped, StateError, SyncError
from ingestor.gate import GateDecision, PageGate
from ingestor.gate.withhold import Withholder
from ingestor.intercom import IntercomClient
from ingestor.logs import RunLogger
from ingestor.state import Store, SyncEntry, SyncIndex

if TYPE_CHECKING:
    from ingestor.engine.sync import SyncEngine

__all__ = ["PageSteps"]


class PageSteps:
    """The per-page steps of a run; the run sets these attributes up."""

    engine: SyncEngine
    client: IntercomClient
    store: Store
    connector: Connector[Any]
    name: str
    policy: PagePolicy
    options: SyncOptions
    report: SyncReport
    gate: PageGate
    writer: PageWriter
    unchanged: UnchangedVersions
    withholder: Withholder
    log: RunLogger
    index: SyncIndex
    version_suffix: str
    #: Pages the source holds after this listing: links to anything else are broken.
    known: Container[str]
    #: Sections of split pages, by the page's external_id.
    sections: dict[str, list[str]]
    _lock: threading.Lock
    #: What stops the run: Intercom failing for everyone, or a state write that failed.
    _abort: SyncError | StateError | None

    def _ending(self) -> bool:
        """The run stops (a signal, or Intercom failing for everyone): start no upload."""
        if self.engine.stop_event.is_set():
            self.report.interrupted = True
            return True
        return self._abort is not None

    def _abort_with(self, error: SyncError | StateError | None) -> None:
        if error is not None:
            with self._lock:
                self._abort = self._abort or error

    def _process_one(
        self, item: Item, pool: ConversionPool, slots: UploadSlots
    ) -> PageEvent | None:
        if self.engine.stop_event.is_set():
            self.report.interrupted = True  # queued but never started: the run is cut short
            return None
        if self._abort is not None:
            return None
        record = self.index.get(item.external_id)
        try:
            document = self.connector.fetch(item)
            converting = time.monotonic()
            page = pool.convert(document)
            self.engine.on_converted(time.monotonic() - converting)
            for warning in page.warnings:  # broken front matter...: shown by preview, and here
                self.log.warning("sync %s: page %s: %s", self.name, item.external_id, warning)
            require_text(page, self.policy.min_text_chars)  # an empty shell is skipped
            decision = self.gate.check(document, page)
            if not decision.send:
                return self.withholder.apply(item, decision, self._stored(item.external_id))
            broken = self._broken_links(page, document.metadata.get("missing_links", ()))
            if broken and self.connector.settings.broken_links == "text":
                page = without_dead_links(page, broken)  # no citation may lead to a 404
            return self._publish(item, record, page, decision, broken, slots)
        except PageSkipped as exc:
            return self._page_skipped(item, record, str(exc))
        except (PageError, ConnectorError) as exc:
            return self._page_failed(item, str(exc))
        except (SyncError, StateError):  # the run's, not the page's: see _page_finished
            raise
        except Exception as exc:  # a bug in one connector/convert path must not stop the run
            self.log.exception(
                "sync %s: page %s failed unexpectedly",
                self.name,
                item.external_id,
                extra={"external_id": item.external_id},
            )
            return self._page_failed(item, f"{type(exc).__name__}: {exc}")

    def _publish(
        self,
        item: Item,
        record: SyncEntry | None,
        page: ConvertedPage,
        decision: GateDecision,
        broken: list[str],
        slots: UploadSlots,
    ) -> PageEvent | None:
        """Hash gate and upsert of a page the gate lets through, with the audience it gave
        (None: the run ended while the page waited for an upload slot; it was never sent)."""
        assert decision.availability is not None
        parts, to_send, stale = self._parts_to_send(item, page, decision)
        event = partial(PageEvent, audience=decision.audience, matched=decision.matched)
        if record is not None and record.hidden_at is not None:  # hidden, and back: restored
            event = partial(event, restored=True)
        if not to_send and not stale:
            if not self.options.dry_run:
                self.unchanged.add(item.external_id, item.version, decision)
            return event(item.external_id, Outcome.UNCHANGED, "content unchanged")
        adopt = self.options.adopt
        is_new = record is None or record.intercom_id is None
        is_new = is_new and not (adopt is not None and item.external_id in adopt)
        outcome = Outcome.CREATED if is_new else Outcome.UPDATED
        reason = self.writer.send_reason(parts[0], record, full=self.options.full)
        if len(parts) > 1:
            limit = self.policy.split_limit(len(page.html.encode("utf-8")))
            reason += f"; split into {len(parts)} sections ({limit}), {len(to_send)} to send"
        if self.options.dry_run:
            if self.options.collect_html:
                with self._lock:
                    self.report.planned_html[item.external_id] = page.html
            return event(item.external_id, outcome, reason)
        with slots:
            if self._ending():
                return None
            sent = self._send_parts(item, parts, to_send, decision, broken)
            for eid in stale:  # the page shrank, or a heading went away
                intercom_id = self.index[eid].intercom_id
                remove_page(self.client, self.store, self.name, eid, intercom_id)
        if not sent and not stale:  # Intercom's copy was what we would send: adopted, no call
            return event(item.external_id, Outcome.UNCHANGED, "adopted from Intercom")
        return event(item.external_id, outcome, reason)

    def _parts_to_send(
        self, item: Item, page: ConvertedPage, decision: GateDecision
    ) -> tuple[list[ConvertedPage], list[ConvertedPage], list[str]]:
        """The page's parts, those Intercom lacks, and sections of it that are gone.

        Over max_page_bytes or section_bytes a page becomes sections at its headings, the
        page's own id first, hash-gated one by one: an edit to one re-sends only that one."""
        assert decision.availability is not None
        parts = split_page(
            page, self.policy.max_page_bytes, section_bytes=self.policy.section_bytes
        )
        new_ids = {part.external_id for part in parts}
        stale = [eid for eid in self.sections.get(item.external_id, ()) if eid not in new_ids]
        to_send = [
            part
            for part in parts
            if self.writer.needs_upload(
                part,
                self.index.get(part.external_id),
                decision.availability,
                full=self.options.full,
            )
        ]
        return parts, to_send, stale

    def _send_parts(
        self,
        item: Item,
        parts: list[ConvertedPage],
        to_send: list[ConvertedPage],
        decision: GateDecision,
        broken: list[str],
    ) -> bool:
        """Upsert the parts that changed, the page's own row last; whether any call was made
        (none when every part was adopted from Intercom's identical copy)."""
        sent = False
        for part in sorted(to_send, key=lambda p: p is parts[0]):
            is_page = part is parts[0]
            sent |= self.writer.upsert(
                part,
                decision,
                version=item.version,
                broken=broken if is_page else [],
                parent=None if is_page else item.external_id,
                adopt=self.options.adopt,
            )
        if parts[0] not in to_send:  # only sections changed: the page's version moves on
            self.store.record_unchanged(
                self.name, [(item.external_id, item.version + self.version_suffix)]
            )
        return sent

    def _stored(self, external_id: str) -> list[tuple[str, str | None]]:
        """``(external_id, intercom_id)`` of a page and its sections, as state knows them."""
        ids = [external_id, *self.sections.get(external_id, ())]
        return [(eid, self.index[eid].intercom_id) for eid in ids if eid in self.index]

    def _recorded_broken_links(self) -> dict[str, set[str]]:
        """Page -> the missing pages it linked to at its last upload (from state)."""
        found: dict[str, set[str]] = {}
        for page, target in self.store.broken_links(self.name):
            found.setdefault(page, set()).add(target)
        return found

    def _broken_links(self, page: ConvertedPage, missing: Iterable[str]) -> list[str]:
        """Pages of this source that ``page`` links to but the source does not hold."""
        broken = broken_targets(page, missing, self.known)
        if broken:
            with self._lock:
                room = MAX_BROKEN_LINKS_KEPT - len(self.report.broken_links)
                self.report.broken_links.extend((page.external_id, eid) for eid in broken[:room])
        return broken

    def _page_skipped(self, item: Item, record: SyncEntry | None, message: str) -> PageEvent:
        """Nothing to publish: remember the version so the file is not read again while it
        stays the same, and take down what an earlier version of it published."""
        self.log.info("sync %s: page %s skipped: %s", self.name, item.external_id, message)
        if not self.options.dry_run:
            if record is not None and record.intercom_id is not None:
                try:
                    remove_page(
                        self.client, self.store, self.name, item.external_id, record.intercom_id
                    )
                except PageError as exc:
                    return self._page_failed(item, f"skipped, but its old page stays: {exc}")
            self.store.record_skipped(
                self.name, item.external_id, version=item.version + self.version_suffix
            )
        return PageEvent(item.external_id, Outcome.SKIPPED, message)

    def _page_failed(self, item: Item, message: str) -> PageEvent:
        self.log.warning(
            "sync %s: page %s failed: %s",
            self.name,
            item.external_id,
            message,
            extra={"external_id": item.external_id},
        )
        if not self.options.dry_run:
            self.store.record_failure(self.name, item.external_id, error=message)
        return PageEvent(item.external_id, Outcome.FAILED, message)
