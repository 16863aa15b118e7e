"""The sync engine: one connector, one run, as docs/architecture.md draws it.

list -> version gate -> fetch -> convert -> gate -> hash gate -> upsert -> record, then delete
what vanished behind the guard (the gate, :mod:`ingestor.gate`, decides each page's audience
and holds pages with secrets). State is written only after Intercom answered 2xx, so a crash at any
point re-sends an idempotent upsert next run and never loses or duplicates a page.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import fields
from functools import partial
from typing import Any

from ingestor.connectors.base import Connector, Item
from ingestor.convert import (
    ConvertedPage,
    broken_targets,
    require_text,
    split_page,
    without_dead_links,
)
from ingestor.engine.breaker import UnreachableBreaker
from ingestor.engine.deletion import VanishedPages, plan_deletions, remove_page
from ingestor.engine.listing import list_source
from ingestor.engine.pacing import UploadSlots
from ingestor.engine.policy import CONVERTER_VERSION, PagePolicy, SyncOptions
from ingestor.engine.publish import PageWriter, UnchangedVersions
from ingestor.engine.report import (
    MAX_BROKEN_LINKS_KEPT,
    NullObserver,
    Outcome,
    PageEvent,
    SyncObserver,
    SyncReport,
)
from ingestor.engine.sources import SourceResolver
from ingestor.engine.workers import ConversionPool, release_memory
from ingestor.errors import (
    ConfigError,
    ConnectorError,
    FatalError,
    PageError,
    PageSkipped,
    RetriableError,
    SyncError,
)
from ingestor.gate import Availability, GateDecision, PageGate
from ingestor.gate.withhold import Withholder
from ingestor.intercom import IntercomClient
from ingestor.logs import RunLogger
from ingestor.state import RunCounts, Store, SyncEntry, SyncIndex

__all__ = ["CONVERTER_VERSION", "PagePolicy", "SyncEngine", "SyncOptions"]

log = logging.getLogger("ingestor.sync")

#: Outcomes that prove a call to Intercom succeeded (for the breaker).
_CALLED_INTERCOM = frozenset({Outcome.CREATED, Outcome.UPDATED, Outcome.DELETED, Outcome.HIDDEN})


class SyncEngine:
    """Syncs connectors into Intercom through one client and one state store.

    ``stop_event`` lets a caller (the daemon on SIGTERM) end a run early: no new page is
    started, pages in flight finish, and the run is recorded as interrupted. ``on_converted``
    hears the seconds each page spent in conversion (the daemon's histogram of them).
    ``breaker`` makes each run's :class:`~ingestor.breaker.UnreachableBreaker` (tests shorten
    its bounds).
    """

    def __init__(
        self,
        client: IntercomClient,
        store: Store,
        *,
        observer: SyncObserver | None = None,
        stop_event: threading.Event | None = None,
        convert_workers: int | None = None,
        on_converted: Callable[[float], None] | None = None,
        breaker: Callable[[], UnreachableBreaker] = UnreachableBreaker,
    ) -> None:
        self.client = client
        self.store = store
        self.observer: SyncObserver = observer or NullObserver()
        self.stop_event = stop_event or threading.Event()
        self.convert_workers = convert_workers
        self.on_converted = on_converted or (lambda seconds: None)
        self.breaker = breaker

    def sync(
        self,
        connector: Connector[Any],
        policy: PagePolicy,
        options: SyncOptions | None = None,
    ) -> SyncReport:
        """Run one sync of ``connector`` and report it.

        Per-page problems are counted in the report, a page whose calls failed after every
        retry included. When Intercom refuses our credentials (FatalError), or looks down for
        every call (:mod:`ingestor.breaker`; or the source itself cannot be checked) the run
        stops early and the report carries that error in ``exception``; nothing raises.
        """
        report = _Run(self, connector, policy, options or SyncOptions()).execute()
        release_memory()  # the run's index and listing are garbage now
        return report


class _Run:
    """State of one run; lives only for the duration of ``SyncEngine.sync``."""

    def __init__(
        self,
        engine: SyncEngine,
        connector: Connector[Any],
        policy: PagePolicy,
        options: SyncOptions,
    ) -> None:
        self.engine = engine
        self.client = engine.client
        self.store = engine.store
        self.connector = connector
        self.name = connector.name
        self.policy = policy
        self.options = options
        self.report = SyncReport(connector=self.name, dry_run=options.dry_run)
        fallback = Availability(policy.ai_agent_availability, policy.ai_copilot_availability)
        self.gate = PageGate(connector.settings, fallback)
        self.version_suffix = "|" + policy.fingerprint(self.gate.fingerprint)
        self.index = SyncIndex.empty()
        self.vanished: list[str] = []
        #: Pages listed this run (a hidden page that came back is one).
        self.reappeared: set[str] = set()
        self.new_cursor: str | None = None
        self.known: set[str] = set()
        #: Sections of split pages, by the page's external_id.
        self.sections: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._abort: SyncError | None = None
        self.breaker = engine.breaker()
        self.log = RunLogger(log, {"connector": self.name})
        sources = SourceResolver(engine.client, engine.store, self.name, connector.settings.url)
        self.writer = PageWriter(
            engine.client, engine.store, sources, policy, version_suffix=self.version_suffix
        )
        self.unchanged = UnchangedVersions(
            engine.store, self.name, version_suffix=self.version_suffix
        )
        self.withholder = Withholder(
            engine.client,
            engine.store,
            self.name,
            self.log,
            dry_run=options.dry_run,
            version_suffix=self.version_suffix,
        )

    # -- the run -------------------------------------------------------------------------------

    def execute(self) -> SyncReport:
        report = self.report
        # A dry run (and so a plan) records no run: it is never the "last run", and it can
        # read a state database opened read-only while a daemon holds it.
        if not self.options.dry_run:
            report.run_id = self.store.begin_run(self.name)
        self.log = RunLogger(log, {"connector": self.name, "run_id": report.run_id})
        self.log.info("sync %s: run %s started", self.name, report.run_id)
        try:
            deleted = self.writer.sources.verify(dry_run=self.options.dry_run)
            report.source_change = self.writer.sources.change
            # a source deleted in Intercom took its pages along: every page is new again
            self.index = SyncIndex.empty() if deleted else self.store.sync_index(self.name)
            for eid, parent in self.index.sections.items():
                self.sections.setdefault(parent, []).append(eid)
            to_process = self._list()
            self.engine.observer.listed(self.name, total=report.listed, to_process=len(to_process))
            if to_process:
                self._process(to_process)
            self._delete_vanished()
            self._save_cursor()
        except (FatalError, RetriableError, ConfigError) as exc:  # ConfigError: see sources.py
            report.error = str(exc)
            report.exception = exc
            self.log.error("sync %s: stopped: %s", self.name, exc)
        except KeyboardInterrupt:  # aborted at once: recorded as interrupted, with its counts
            report.interrupted = True
            raise
        except Exception as exc:  # a bug: the run is recorded as failed, never as "ok"
            report.error = f"the run stopped unexpectedly: {type(exc).__name__}: {exc}"
            # the summary says what happened; the traceback is for --log-level DEBUG
            debug = self.log.isEnabledFor(logging.DEBUG)
            self.log.error("sync %s: %s", self.name, report.error, exc_info=debug)
        finally:
            self._record_run()
        return report

    def _record_run(self) -> None:
        """The run's end, however it ends: its row in state, and one log line with the counts."""
        report = self.report
        if not self.options.dry_run:
            self.unchanged.flush()
        report.finished_at = report.finished_at or time.time()
        if report.run_id is not None:
            self.store.finish_run(
                report.run_id,
                status=report.status,
                counts=report,
                error=report.error or report.deletion_blocked,
                rule_counts=report.rule_counts,
            )
        self.log.info(
            "sync %s: %s in %.1fs: %d created, %d updated, %d unchanged, %d hidden, "
            "%d deleted, %d failed",
            self.name,
            report.status,
            report.duration,
            report.created,
            report.updated,
            report.unchanged,
            report.hidden,
            report.deleted,
            report.failed,
            # the counts as fields for JSON logs, nested: LogRecord has its own `created`
            extra={
                "status": report.status,
                "duration_seconds": round(report.duration, 3),
                "counts": {f.name: getattr(report, f.name) for f in fields(RunCounts)},
            },
        )

    # -- listing and the version gate ----------------------------------------------------------

    def _list(self) -> list[Item]:
        # New settings (audience rules...) must reach every page: a cursor saved under other
        # settings is not used, and the run lists in full.
        settings = self.version_suffix[1:]
        cursor = None if self.options.full else self.store.get_cursor(self.name, settings=settings)
        listing = list_source(
            self.connector,
            self.index,
            version_suffix=self.version_suffix,
            full=self.options.full,
            cursor=cursor,
            stop_event=self.engine.stop_event,
            broken=self._recorded_broken_links(),
            paths=self.options.paths,
        )
        report = self.report
        report.listed, report.unchanged = listing.listed, listing.unchanged
        report.interrupted = report.interrupted or listing.interrupted
        for problem in listing.problems:
            self._listing_problem(problem)
        if listing.interrupted:
            report.listing_complete = False
        self.vanished = listing.vanished
        # listed this run: a hidden page among them is back, and not to be deleted (a full
        # listing's every page; an incremental one's changes)
        self.reappeared = (
            {item.external_id for item in listing.to_process}
            if listing.incremental
            else listing.known
        )
        self.new_cursor = listing.cursor
        self.known = listing.known
        return listing.to_process

    def _listing_problem(self, message: str) -> None:
        self.report.listing_complete = False
        self.report.listing_problems.append(message)
        self.log.warning("sync %s: listing incomplete: %s", self.name, message)

    # -- fetch, convert, hash gate, upsert -----------------------------------------------------

    def _process(self, items: list[Item]) -> None:
        self.writer.open_source(dry_run=self.options.dry_run)
        # Uploads in flight follow the rate limit as its headers arrive (UploadSlots); the
        # threads only need to cover that ceiling plus the pages being fetched and converted.
        upload_slots = UploadSlots(self.client)
        threads = self.client.max_connections + (os.cpu_count() or 1)
        window = threading.BoundedSemaphore(threads * 4)  # bounds queued work, not concurrency
        with (
            ConversionPool(len(items), self.engine.convert_workers) as pool,
            ThreadPoolExecutor(threads, thread_name_prefix=f"sync-{self.name}") as executor,
        ):
            for item in items:
                if self.engine.stop_event.is_set():
                    self.report.interrupted = True
                    break
                if self._abort is not None:
                    break
                window.acquire()
                future = executor.submit(self._process_one, item, pool, upload_slots)
                future.add_done_callback(partial(self._page_finished, window=window, item=item))
        if self._abort is not None:
            raise self._abort

    def _page_finished(
        self, future: Future[PageEvent | None], *, window: threading.Semaphore, item: Item
    ) -> None:
        window.release()
        try:
            event = future.result()
        except RetriableError as exc:  # its retries are spent: the page's failure, not the run's
            event = self._page_failed(item, str(exc))
            self._abort_with(self.breaker.failed(exc))  # unless Intercom is down for everyone
        except SyncError as exc:  # fatal: stop submitting, surface it once
            self._abort_with(exc)
            return
        if event is not None:
            self._count(event)

    def _ending(self) -> bool:
        """The run stops (a signal, or Intercom failing for everyone): start no upload."""
        if self.engine.stop_event.is_set():
            self.report.interrupted = True
            return True
        return self._abort is not None

    def _abort_with(self, error: SyncError | None) -> None:
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
        except SyncError:
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

    def _count(self, event: PageEvent) -> None:
        if not self.options.dry_run and event.outcome in _CALLED_INTERCOM:
            self.breaker.succeeded()
        with self._lock:
            self.report.count(event)
        self.engine.observer.page_done(self.name, event)

    def _save_cursor(self) -> None:
        """Advance an incremental connector's cursor only after a clean run: failed pages,
        held-back deletions or an incomplete listing keep the old one, so they come back."""
        if self.new_cursor is None or self.options.dry_run or self.report.status != "ok":
            return
        self.store.save_cursor(self.name, self.new_cursor, settings=self.version_suffix[1:])

    # -- deletions -----------------------------------------------------------------------------

    def _delete_vanished(self) -> None:
        """Hide or delete what vanished, and delete hidden pages whose time is up."""
        if self.report.interrupted or not self.report.listing_complete:
            self.log.warning("sync %s: listing incomplete; no page deleted this run", self.name)
            return
        plan = plan_deletions(
            self.index, self.vanished, self.reappeared, self.policy, now=time.time()
        )
        if not (plan.fresh or plan.due or plan.unsent):
            return
        deletions = VanishedPages(
            self.client,
            self.store,
            self.name,
            self.log,
            dry_run=self.options.dry_run,
            stop_event=self.engine.stop_event,
        )
        deletions.settle(
            plan,
            self.policy,
            allow_mass=self.options.allow_mass_delete,
            report=self.report,
            count=self._count,
            breaker=self.breaker,
        )
