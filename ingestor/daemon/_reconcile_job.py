"""The daemon's scheduled reconcile (``daemon.reconcile_schedule``, daily by default).

Intercom's lists are walked once for every connector; each connector is then reconciled while
it holds the same claim as its syncs (:meth:`SyncJobs.claim`), so a reconcile and a sync of one
connector never overlap: the reconcile waits for a running sync, and a sync due meanwhile is
skipped as ``still_running``, as a sync due during another sync is.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler

from ingestor.config import Config
from ingestor.daemon._jobs import SyncJobs
from ingestor.daemon._schedule import build_trigger
from ingestor.engine.runner import build_client, build_connector, page_policy
from ingestor.engine.sync import SyncEngine
from ingestor.errors import SyncError
from ingestor.http import RateBudget
from ingestor.reconcile import ReconcileOptions, ReconcileReport, RemoteView, reconcile_connector
from ingestor.state import Store

__all__ = ["RECONCILE_JOB_ID", "ReconcileJob", "schedule_reconcile"]

log = logging.getLogger("ingestor.daemon")

#: The scheduler job's id (connector names cannot hold a colon, so it never clashes).
RECONCILE_JOB_ID = ":reconcile"
#: How often a reconcile waiting for a connector's sync checks for a shutdown.
_WAIT_STEP = 1.0


class ReconcileJob:
    """Reconciles every enabled connector, each under its sync claim."""

    def __init__(
        self,
        *,
        config: Callable[[], Config],
        store: Store,
        budget: RateBudget,
        jobs: SyncJobs,
        stopping: threading.Event,
    ) -> None:
        self._config = config
        self._store = store
        self._budget = budget
        self._jobs = jobs
        self._stopping = stopping

    def run(self) -> list[ReconcileReport]:
        """One scheduled reconcile; never raises (a scheduler thread must not die)."""
        config = self._config()
        try:
            return self._run(config)
        except Exception:
            log.exception("reconcile: crashed", extra={"event": "reconcile"})
            return []

    def _run(self, config: Config) -> list[ReconcileReport]:
        enabled = [c for c in config.connectors if c.enabled]
        if not enabled or self._stopping.is_set():
            return []
        if not self._jobs.writes_allowed(config, enabled[0].name):
            log.warning("reconcile: skipped, writes are paused", extra={"event": "reconcile"})
            return []
        reports: list[ReconcileReport] = []
        with build_client(config, budget=self._budget) as client:
            engine = SyncEngine(client, self._store, stop_event=self._stopping)
            try:
                remote = RemoteView.load(client)
            except SyncError as exc:
                log.error("reconcile: Intercom's lists: %s", exc, extra={"event": "reconcile"})
                return []
            for settings in enabled:
                claim = self._jobs.claim(settings.name)
                while not claim.acquire(timeout=_WAIT_STEP):  # a sync of it runs: wait
                    if self._stopping.is_set():
                        return reports
                try:
                    with build_connector(settings) as connector:
                        policy = page_policy(config, settings)
                        report = reconcile_connector(
                            engine, connector, policy, remote, ReconcileOptions()
                        )
                finally:
                    claim.release()
                reports.append(report)
                if report.exception is not None or self._stopping.is_set():
                    break
        return reports


def schedule_reconcile(scheduler: BaseScheduler, config: Config, job: ReconcileJob) -> None:
    """Add, move or remove the reconcile job as ``daemon.reconcile_schedule`` says."""
    schedule = config.daemon.reconcile_schedule
    if schedule is None:
        with contextlib.suppress(JobLookupError):  # not scheduled: nothing to remove
            scheduler.remove_job(RECONCILE_JOB_ID)
        return
    scheduler.add_job(
        job.run,
        build_trigger(schedule),
        id=RECONCILE_JOB_ID,
        name="reconcile",
        replace_existing=True,
    )
    log.info("reconcile scheduled: %s", schedule.describe(), extra={"event": "reconcile"})
