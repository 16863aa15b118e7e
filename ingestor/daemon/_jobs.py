"""One scheduled sync of one connector, as the scheduler's executor threads run it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ingestor.config import Config
from ingestor.connectors.base import ConnectorSettings
from ingestor.daemon._gate import WriteGate
from ingestor.daemon._leasing import Leasing
from ingestor.daemon._schedule import backoff_delay
from ingestor.daemon._tracker import RunProgress, Tracker
from ingestor.engine.report import PageEvent, SyncObserver, SyncReport
from ingestor.engine.runner import adopt_renamed, build_client, build_connector, page_policy
from ingestor.engine.sync import SyncEngine, SyncOptions
from ingestor.errors import AuthenticationError, LeaseLostError, StateError
from ingestor.http import RateBudget
from ingestor.intercom import ClientStats, IntercomClient
from ingestor.state import Store

__all__ = ["RequestedRun", "RunVerdict", "SyncJobs", "judge_run"]

log = logging.getLogger("ingestor.daemon")


@dataclass(frozen=True, slots=True)
class RunVerdict:
    """How the daemon reads a finished run."""

    #: The connector failed (source unreachable, Intercom down, a crash): back off.
    failed: bool
    #: Intercom refused the token: pause every write (not the connector's own fault).
    auth_failure: AuthenticationError | None
    #: What went wrong, for logs and /status.
    error: str | None


def judge_run(report: SyncReport | None, crash: BaseException | None) -> RunVerdict:
    """Classify a run: success, a failure to back off from, or an authentication failure.

    A run fails when it crashed, when Intercom failed it (unreachable, fatal answer), or when
    the source could not be listed at all (nothing listed and the listing is incomplete: an
    unmounted share, a wiki that is down). Failed pages or a partial listing are not failures:
    the next scheduled run retries them anyway.
    """
    lost = crash if crash is not None else (report.exception if report else None)
    if isinstance(lost, LeaseLostError):  # another instance runs it now: not a failure here
        return RunVerdict(False, None, str(lost))
    if crash is not None or report is None:
        return RunVerdict(True, None, f"{type(crash).__name__}: {crash}")
    if isinstance(report.exception, AuthenticationError):
        return RunVerdict(False, report.exception, report.error)
    if report.exception is not None:
        return RunVerdict(True, None, report.error)
    if report.listed == 0 and not report.listing_complete:
        problems = "; ".join(report.listing_problems[:3]) or "listing failed"
        return RunVerdict(True, None, f"source unreachable: {problems}")
    return RunVerdict(False, None, report.error or report.deletion_blocked)


@dataclass
class RequestedRun:
    """How to run one sync: the options, who else watches it, and who must learn its stop switch.

    Scheduled runs use the defaults; runs requested over the control socket bring their options
    (``--full``, ``--allow-mass-delete``, ``--dry-run``) and stream progress to the client.
    """

    options: SyncOptions = field(default_factory=SyncOptions)
    observer: SyncObserver | None = None
    #: Called with the run's progress as it starts (its ``stop_event`` ends it early).
    started: Callable[[RunProgress], None] = lambda progress: None


class _Both:
    """Feeds the daemon's tracker and a control client from one engine observer slot."""

    def __init__(self, first: SyncObserver, second: SyncObserver) -> None:
        self._first, self._second = first, second

    def listed(self, connector: str, *, total: int, to_process: int) -> None:
        self._first.listed(connector, total=total, to_process=to_process)
        self._second.listed(connector, total=total, to_process=to_process)

    def page_done(self, connector: str, event: PageEvent) -> None:
        self._first.page_done(connector, event)
        self._second.page_done(connector, event)


class SyncJobs:
    """Runs scheduled syncs against the daemon's shared store, rate budget and write gate.

    Args:
        config: Returns the config in force (it changes on reload).
        store: The daemon's state store (held for its whole life).
        budget: One rate budget for every connector's client, so parallel syncs share the
            workspace's rate-limit window instead of each spending all of it.
        tracker: Where runs are recorded.
        gate: Paused writes after an authentication failure.
        stopping: Set when the daemon shuts down.
        leasing: This instance's connector leases: a run needs its connector's.
        delay_next_run: Pushes a connector's next run at least this many seconds away and
            returns when it will run (Unix time), or None if it is no longer scheduled.
    """

    def __init__(
        self,
        *,
        config: Callable[[], Config],
        store: Store,
        budget: RateBudget,
        tracker: Tracker,
        gate: WriteGate,
        stopping: threading.Event,
        leasing: Leasing,
        delay_next_run: Callable[[str, float], float | None],
    ) -> None:
        self._config = config
        self._store = store
        self._budget = budget
        self._tracker = tracker
        self._gate = gate
        self._stopping = stopping
        self._leasing = leasing
        self._delay_next_run = delay_next_run
        self._claims: dict[str, threading.Lock] = {}
        self._claims_lock = threading.Lock()
        self._state_file_gone_said = False

    def run(self, name: str) -> None:
        """The scheduled job of connector ``name``: one sync, then bookkeeping.

        A run of ``name`` requested over the control socket may hold the connector: this
        scheduled run is then skipped (counted as ``still_running``), as APScheduler skips a
        run while the previous scheduled one goes on.
        """
        if self._stopping.is_set():
            return  # queued before the shutdown began
        config = self._config()
        settings = next((c for c in config.connectors if c.name == name and c.enabled), None)
        if settings is None:
            return  # removed or disabled by a reload after this run was queued
        claim = self.claim(name)
        if not claim.acquire(blocking=False):
            self._tracker.skipped(name, "still_running")
            return
        try:
            if self.owner_elsewhere(name) is not None:
                self._tracker.skipped(name, "owned_elsewhere")
                return
            if not self.writes_allowed(config, name):
                self._tracker.skipped(name, "writes_paused")
                return
            self.run_claimed(config, settings, RequestedRun())
        finally:
            claim.release()

    def claim(self, name: str) -> threading.Lock:
        """The lock a run of ``name`` holds: one run per connector at a time."""
        with self._claims_lock:
            return self._claims.setdefault(name, threading.Lock())

    def owner_elsewhere(self, name: str) -> str | None:
        """The instance that owns ``name`` when it is not this one (which then runs nothing
        of it); None once this instance holds (or just took) the connector's lease."""
        if self._leasing.own(name) is not None:
            return None
        owner = self._leasing.book.live_leases().get(name)
        return "another instance (fair share reached here)" if owner is None else owner.owner

    def writes_allowed(self, config: Config, name: str) -> bool:
        """False while Intercom refuses the token (the write gate's probe says so)."""
        return self._gate.probe(lambda: self._client(config), name)

    def run_claimed(
        self, config: Config, settings: ConnectorSettings, request: RequestedRun
    ) -> SyncReport | None:
        """One sync of ``settings`` with the connector's claim held; returns its report (None
        when it crashed). Dry runs are not folded into the daemon's run history."""
        name = settings.name
        context = {"connector": name}
        dry_run = request.options.dry_run
        # A dry run writes nothing: it stays out of the daemon's runs, counters and /status.
        progress = RunProgress(name) if dry_run else self._tracker.start_run(name)
        request.started(progress)
        if self._stopping.is_set() or (self._gate.paused and not dry_run):
            progress.stop_event.set()  # the shutdown or a pause began as we registered
        report: SyncReport | None = None
        crash: BaseException | None = None
        stats: ClientStats | None = None
        observer = progress if request.observer is None else _Both(progress, request.observer)
        # A dry run writes nothing and needs no lease; any other run stops before its next
        # write once the lease is lost (fencing: the client and the store both check it).
        lease = None if dry_run else self._leasing.own(name)
        guard = None if lease is None else lease.check
        store = self._store
        if not dry_run:
            self._say_if_state_file_gone()
        try:
            if guard is not None:
                guard()  # none: another instance owns it (raises), as a lost lease would
                self._retake_lock()  # before the view: it keeps the lock it is made with
                store = self._store.fenced(guard)
            elif not dry_run:
                raise LeaseLostError(f"connector {name} is owned by another daemon instance")
            with self._client(config, guard) as client:
                progress.client = client
                try:
                    if not dry_run:  # a dry run writes nothing, as a local one
                        adopt_renamed(store, settings)
                    with build_connector(settings) as connector:
                        engine = SyncEngine(
                            client,
                            store,
                            observer=observer,
                            stop_event=progress.stop_event,
                            on_converted=progress.page_converted,
                        )
                        report = engine.sync(
                            connector, page_policy(config, settings), request.options
                        )
                finally:
                    stats = client.stats()
        except (LeaseLostError, StateError) as exc:  # StateError: the state lock is taken
            crash = exc
            log.warning("connector %s: %s", name, exc, extra=context)
        except Exception as exc:  # a crashed run must not kill the scheduler thread
            crash = exc
            log.exception("connector %s: run crashed", name, extra=context)
        if not dry_run:
            self._finish(name, progress, report, crash, stats, config)
        return report

    def _say_if_state_file_gone(self) -> None:
        """Say once that the state file was deleted or replaced under the daemon. Runs go on
        (pages still reach Fin), but what they record is lost when the daemon stops; /readyz
        fails until it restarts."""
        try:
            self._store.check_file()
        except StateError as exc:
            if not self._state_file_gone_said:
                self._state_file_gone_said = True
                log.error("%s", exc, extra={"event": "state_file_gone"})

    def _retake_lock(self) -> None:
        """PostgreSQL: the state lock lost since an earlier run (its session ended) is taken
        again for this one; the runs the loss cut short are recorded as died (they cannot
        record their end: their views keep the lost lock)."""
        died = self._store.retake_lock(self._leasing.owned())
        if died is not None:
            log.warning(
                "took the state database's lock again after losing it%s",
                f"; runs {', '.join(map(str, died))} recorded as died" if died else "",
                extra={"event": "state_lock_retaken"},
            )

    def _client(self, config: Config, guard: Callable[[], None] | None = None) -> IntercomClient:
        return build_client(config, budget=self._budget, before_write=guard)

    def _finish(
        self,
        name: str,
        progress: RunProgress,
        report: SyncReport | None,
        crash: BaseException | None,
        stats: ClientStats | None,
        config: Config,
    ) -> None:
        verdict = judge_run(report, crash)
        failures = self._tracker.finish_run(
            progress, report, error=verdict.error, failed=verdict.failed, stats=stats
        )
        context = {"connector": name, "run_id": report.run_id if report else None}
        if verdict.auth_failure is not None:
            if self._gate.close(verdict.auth_failure, name):
                for other in self._tracker.running():  # they would be refused too
                    other.stop_event.set()
            return
        if not verdict.failed:
            return
        daemon = config.daemon
        delay = backoff_delay(
            failures, daemon.backoff_initial.total_seconds(), daemon.backoff_max.total_seconds()
        )
        until = self._delay_next_run(name, delay)
        self._tracker.set_backoff(name, delay, until)
        log.warning(
            "connector %s: run failed (%d in a row): %s; backing off %.0fs",
            name,
            failures,
            verdict.error,
            delay,
            extra={**context, "event": "backoff", "failures": failures, "backoff": delay},
        )
