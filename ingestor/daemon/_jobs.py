"""One scheduled sync of one connector, as the scheduler's executor threads run it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ingestor.config import Config
from ingestor.daemon._gate import WriteGate
from ingestor.daemon._schedule import backoff_delay
from ingestor.daemon._tracker import RunProgress, Tracker
from ingestor.errors import AuthenticationError
from ingestor.http import RateBudget
from ingestor.intercom import ClientStats, IntercomClient
from ingestor.report import SyncReport
from ingestor.runner import adopt_renamed, build_client, build_connector, page_policy
from ingestor.sync import SyncEngine
from state import Store

__all__ = ["RunVerdict", "SyncJobs", "judge_run"]

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
        delay_next_run: Callable[[str, float], float | None],
    ) -> None:
        self._config = config
        self._store = store
        self._budget = budget
        self._tracker = tracker
        self._gate = gate
        self._stopping = stopping
        self._delay_next_run = delay_next_run

    def run(self, name: str) -> None:
        """The scheduled job of connector ``name``: one sync, then bookkeeping."""
        if self._stopping.is_set():
            return  # queued before the shutdown began
        config = self._config()
        settings = next((c for c in config.connectors if c.name == name and c.enabled), None)
        if settings is None:
            return  # removed or disabled by a reload after this run was queued
        context = {"connector": name}
        if not self._gate.probe(lambda: self._client(config), name):
            self._tracker.skipped(name, "writes_paused")
            return
        progress = self._tracker.start_run(name)
        if self._stopping.is_set() or self._gate.paused:
            progress.stop_event.set()  # the shutdown or a pause began as we registered
        report: SyncReport | None = None
        crash: BaseException | None = None
        stats: ClientStats | None = None
        try:
            with self._client(config) as client:
                progress.client = client
                try:
                    adopt_renamed(self._store, settings)
                    with build_connector(settings) as connector:
                        engine = SyncEngine(
                            client,
                            self._store,
                            observer=progress,
                            stop_event=progress.stop_event,
                        )
                        report = engine.sync(connector, page_policy(config, settings))
                finally:
                    stats = client.stats()
        except Exception as exc:  # a crashed run must not kill the scheduler thread
            crash = exc
            log.exception("connector %s: run crashed", name, extra=context)
        self._finish(name, progress, report, crash, stats, config)

    def _client(self, config: Config) -> IntercomClient:
        return build_client(config, budget=self._budget)

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
