"""The sync engine: one connector, one run, as docs/architecture.md draws it.

list -> version gate -> fetch -> convert -> gate -> hash gate -> upsert -> record, then delete
what vanished behind the guard (the gate, :mod:`ingestor.gate`, decides each page's audience
and holds pages with secrets). State is written only after Intercom answered 2xx, so a crash at any
point re-sends an idempotent upsert next run and never loses or duplicates a page.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Container
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import fields
from functools import partial
from typing import Any

from ingestor.connectors.base import Connector, Item
from ingestor.engine._page_steps import PageSteps
from ingestor.engine.breaker import UnreachableBreaker
from ingestor.engine.cores import usable_cores
from ingestor.engine.deletion import VanishedPages, plan_deletions
from ingestor.engine.listing import ListingRequest, list_source
from ingestor.engine.pacing import UploadSlots
from ingestor.engine.policy import CONVERTER_VERSION, PagePolicy, SyncOptions
from ingestor.engine.publish import PageWriter, UnchangedVersions
from ingestor.engine.report import (
    NullObserver,
    Outcome,
    PageEvent,
    SyncObserver,
    SyncReport,
)
from ingestor.engine.sources import SourceResolver
from ingestor.engine.spool import ItemSpool
from ingestor.engine.workers import ConversionPool, release_memory
from ingestor.errors import (
    ConfigError,
    FatalError,
    LeaseLostError,
    RetriableError,
    StateError,
    SyncError,
)
from ingestor.gate import Availability, PageGate
from ingestor.gate.withhold import Withholder
from ingestor.intercom import IntercomClient
from ingestor.logs import RunLogger
from ingestor.state import RunCounts, Store, SyncIndex

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


class _Run(PageSteps):
    """State of one run; lives only for the duration of ``SyncEngine.sync``. What happens to
    each page (fetch, convert, gate, hash gate, upsert) is :class:`PageSteps`."""

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
        self.reappeared: Container[str] = set()
        self.new_cursor: str | None = None
        self.known: Container[str] = set()
        #: Sections of split pages, by the page's external_id.
        self.sections: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._abort: SyncError | StateError | None = None
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
            with self._list() as to_process:
                self.engine.observer.listed(
                    self.name, total=report.listed, to_process=len(to_process)
                )
                if to_process:
                    self._process(to_process)
            self._delete_vanished()
            self._save_cursor()
        # ConfigError: see sources.py; StateError: a page's record could not be written (a
        # full disk...): sending more pages that state cannot remember would only repeat them
        except (FatalError, RetriableError, ConfigError, StateError) as exc:
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
            try:
                self.unchanged.flush()
            except LeaseLostError as exc:  # another daemon owns the connector now: no write
                report.error = report.error or str(exc)
            except StateError as exc:
                self._state_failed(exc)
        report.finished_at = report.finished_at or time.time()
        if report.run_id is not None:
            try:
                self.store.finish_run(
                    report.run_id,
                    status=report.status,
                    counts=report,
                    error=report.error or report.deletion_blocked,
                    rule_counts=report.rule_counts,
                )
            except StateError as exc:
                self._state_failed(exc)
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

    def _list(self) -> ItemSpool:
        # New settings (audience rules...) must reach every page: a cursor saved under other
        # settings is not used, and the run lists in full.
        settings = self.version_suffix[1:]
        cursor = None if self.options.full else self.store.get_cursor(self.name, settings=settings)
        request = ListingRequest(
            version_suffix=self.version_suffix,
            full=self.options.full,
            cursor=cursor,
            broken=self._recorded_broken_links(),
            paths=self.options.paths,
        )
        listing = list_source(self.connector, self.index, request, self.engine.stop_event)
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

    def _state_failed(self, exc: StateError) -> None:
        """The run's own records cannot be written either (the disk is still full): said once."""
        report = self.report
        if report.exception is None:
            report.error, report.exception = str(exc), exc
            self.log.error("sync %s: %s", self.name, exc)

    def _listing_problem(self, message: str) -> None:
        self.report.listing_complete = False
        self.report.listing_problems.append(message)
        self.log.warning("sync %s: listing incomplete: %s", self.name, message)

    # -- fetch, convert, hash gate, upsert -----------------------------------------------------

    def _process(self, items: ItemSpool) -> None:
        self.writer.open_source(dry_run=self.options.dry_run)
        # Uploads in flight follow the rate limit as its headers arrive (UploadSlots); the
        # threads only need to cover that ceiling plus the pages being fetched and converted.
        upload_slots = UploadSlots(self.client)
        threads = self.client.max_connections + usable_cores()
        window = threading.BoundedSemaphore(threads * 4)  # bounds queued work, not concurrency
        with (
            ConversionPool(
                len(items), self.engine.convert_workers, ceiling=self._page_ceiling
            ) as pool,
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

    def _page_ceiling(self) -> float | None:
        """Pages per second Intercom's rate limit lets through at most (a call each); None
        until a ``X-RateLimit-*`` header told the limit."""
        budget = self.client.budget
        limit = budget.limit_per_window
        return None if limit is None else limit / budget.window_seconds

    def _page_finished(
        self, future: Future[PageEvent | None], *, window: threading.Semaphore, item: Item
    ) -> None:
        window.release()
        try:
            event = future.result()
        except RetriableError as exc:  # its retries are spent: the page's failure, not the run's
            event = self._page_failed(item, str(exc))
            self._abort_with(self.breaker.failed(exc))  # unless Intercom is down for everyone
        except (SyncError, StateError) as exc:  # fatal: stop submitting, surface it once
            self._abort_with(exc)
            return
        if event is not None:
            self._count(event)

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
