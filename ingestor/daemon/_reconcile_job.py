"""The daemon's scheduled reconcile (``daemon.reconcile_schedule``, daily by default).

Intercom's lists are walked once for every connector; each connector is then reconciled while
it holds the same claim as its syncs (:meth:`SyncJobs.claim`) and, when several daemons share
the state database, only by the instance owning its lease; so a reconcile and a sync of one
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
from ingestor.connectors.base import ConnectorSettings
from ingestor.daemon._jobs import SyncJobs
from ingestor.daemon._leasing import Leasing
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
        leasing: Leasing,
        stopping: threading.Event,
    ) -> None:
        self._config = config
        self._store = store
        self._budget = budget
        self._jobs = jobs
        self._leasing = leasing
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
        owned = set(self._leasing.owned())  # others are reconciled by their owners
        enabled = [c for c in config.connectors if c.enabled and c.name in owned]
        if not enabled or self._stopping.is_set():
            return []
        if not self._jobs.writes_allowed(config, enabled[0].name):
            log.warning("reconcile: skipped, writes are paused", extra={"event": "reconcile"})
            return []
        reports: list[ReconcileReport] = []
        with build_client(config, budget=self._budget) as client:
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
                    report = self._reconcile_owned(config, settings, remote)
                finally:
                    claim.release()
                if report is None:
                    continue  # another daemon instance owns it and reconciles it
                reports.append(report)
                if report.exception is not None or self._stopping.is_set():
                    break
        return reports

    def _reconcile_owned(
        self, config: Config, settings: ConnectorSettings, remote: RemoteView
    ) -> ReconcileReport | None:
        """Reconcile one connector this instance owns, fenced by its lease (None otherwise)."""
        lease = self._leasing.own(settings.name)
        if lease is None:
            return None
        with build_client(config, budget=self._budget, before_write=lease.check) as client:
            store = self._store.fenced(lease.check)
            engine = SyncEngine(client, store, stop_event=self._stopping)
            with build_connector(settings) as connector:
                policy = page_policy(config, settings)
                return reconcile_connector(engine, connector, policy, remote, ReconcileOptions())


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
