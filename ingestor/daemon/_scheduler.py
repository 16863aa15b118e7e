"""The daemon's live scheduler: one APScheduler job per enabled connector, plus the reconcile.

What to schedule and when is decided in ``_schedule`` (pure); this module keeps the running
APScheduler in step with it: at start-up, on a reload, when a failing connector backs off and
when a connector taken over from a dead instance should run at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from ingestor.config import Config
from ingestor.connectors.base import ConnectorSettings
from ingestor.daemon._jobs import SyncJobs
from ingestor.daemon._reconcile_job import ReconcileJob, schedule_reconcile
from ingestor.daemon._schedule import build_trigger, effective_schedule, runs_on_start
from ingestor.daemon._tracker import Tracker
from ingestor.state import Store

__all__ = ["ConnectorScheduler", "Rescheduled"]

log = logging.getLogger("ingestor.daemon")

#: Connector names a reload added, removed and changed (each sorted).
Rescheduled = tuple[list[str], list[str], list[str]]


class ConnectorScheduler:
    """Schedules the connectors' syncs and the reconcile on one APScheduler.

    Until :meth:`start` builds the APScheduler, the calls that move runs (:meth:`run_now`,
    :meth:`delay_next_run`) do nothing: leasing and the sync jobs hold them from the start.

    Args:
        tracker: Learns each connector's schedule and the runs skipped while one still runs.
        stopping: Set when the daemon shuts down; no run is moved after that.
    """

    def __init__(self, tracker: Tracker, stopping: threading.Event) -> None:
        self._tracker = tracker
        self._stopping = stopping
        self._scheduler: BackgroundScheduler | None = None
        self._jobs: SyncJobs | None = None
        self._reconcile: ReconcileJob | None = None

    def start(self, config: Config, store: Store, jobs: SyncJobs, reconcile: ReconcileJob) -> None:
        """Schedule every enabled connector of ``config`` and the reconcile, then start."""
        daemon = config.daemon
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(daemon.max_parallel)},
            # One run per connector at a time; missed runs collapse into one, however late.
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            timezone=UTC,
        )
        scheduler.add_listener(self._on_skipped_run, EVENT_JOB_MAX_INSTANCES)
        self._scheduler = scheduler
        self._jobs = jobs
        enabled = [c for c in config.connectors if c.enabled]
        for settings in enabled:
            self.schedule(settings, config)
        self._reconcile = reconcile
        schedule_reconcile(scheduler, config, reconcile)
        self._tracker.seed_from_state(store, [c.name for c in enabled])
        scheduler.start()
        log.info(
            "daemon started (pid %d): %d connector(s) scheduled: %s",
            os.getpid(),
            len(enabled),
            "; ".join(f"{c.name} {effective_schedule(config, c).describe()}" for c in enabled)
            or "none",
            extra={"event": "started"},
        )

    @property
    def running(self) -> bool:
        """Whether the APScheduler is started and not shut down."""
        return self._scheduler is not None and self._scheduler.running

    def alive(self) -> bool:
        """Running, with its thread alive (a hung or dead scheduler fails the systemd watchdog)."""
        scheduler = self._scheduler
        thread = getattr(scheduler, "_thread", None)  # APScheduler 3's BackgroundScheduler
        return (
            scheduler is not None
            and scheduler.running
            and (thread is None or bool(thread.is_alive()))
        )

    def stop(self) -> None:
        """Start no more runs; the runs going on are left to finish (or to be stopped)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)

    def job(self, job_id: str) -> Job | None:
        """The scheduled job ``job_id`` (a connector's name), if there is one."""
        scheduler = self._scheduler
        return scheduler.get_job(job_id) if scheduler is not None else None

    def next_run_at(self, name: str) -> float | None:
        """When the connector's next run is due (Unix time), if it is scheduled."""
        job = self.job(name)
        when = getattr(job, "next_run_time", None) if job is not None else None
        return when.timestamp() if isinstance(when, datetime) else None

    def schedule(self, settings: ConnectorSettings, config: Config) -> None:
        """Add (or replace) the connector's sync job on its effective schedule."""
        assert self._scheduler is not None and self._jobs is not None
        schedule = effective_schedule(config, settings)
        extra: dict[str, Any] = {}
        if runs_on_start(config, settings):
            extra["next_run_time"] = datetime.now(UTC)
        self._scheduler.add_job(
            self._jobs.run,
            build_trigger(schedule),
            args=[settings.name],
            id=settings.name,
            name=f"sync {settings.name}",
            replace_existing=True,
            **extra,
        )
        self._tracker.ensure(settings.name, schedule.describe())

    def reschedule(self, old: Config, new: Config) -> Rescheduled:
        """Follow a reload from ``old`` to ``new``: the connectors added, removed and changed."""
        assert self._scheduler is not None
        before = {c.name: c for c in old.connectors if c.enabled}
        after = {c.name: c for c in new.connectors if c.enabled}
        removed = sorted(before.keys() - after.keys())
        added = sorted(after.keys() - before.keys())
        changed = sorted(
            name
            for name in before.keys() & after.keys()
            if before[name] != after[name]
            or effective_schedule(old, before[name]) != effective_schedule(new, after[name])
        )
        for name in removed:
            with contextlib.suppress(JobLookupError):  # not scheduled: nothing to remove
                self._scheduler.remove_job(name)
            self._tracker.remove(name)
        for name in added:
            self.schedule(after[name], new)
        for name in changed:  # a new trigger also ends any backoff: the cause may be fixed
            schedule = effective_schedule(new, after[name])
            self._scheduler.reschedule_job(name, trigger=build_trigger(schedule))
            self._tracker.ensure(name, schedule.describe())
            self._tracker.reset_failures(name)
        return added, removed, changed

    def reschedule_reconcile(self, config: Config) -> None:
        """Follow a changed ``daemon.reconcile_schedule``."""
        assert self._scheduler is not None and self._reconcile is not None
        schedule_reconcile(self._scheduler, config, self._reconcile)

    def run_now(self, name: str) -> None:
        """Run ``name`` as soon as possible (taken over from an instance that died)."""
        scheduler = self._scheduler
        if scheduler is None or self._stopping.is_set():
            return
        with contextlib.suppress(JobLookupError):
            scheduler.modify_job(name, next_run_time=datetime.now(UTC))

    def delay_next_run(self, name: str, delay: float) -> float | None:
        """Push ``name``'s next run at least ``delay`` seconds away (the backoff)."""
        scheduler = self._scheduler
        if scheduler is None or self._stopping.is_set():
            return None
        earliest = datetime.now(UTC) + timedelta(seconds=delay)
        try:
            job = scheduler.get_job(name)
            if job is None or job.next_run_time is None:
                return None
            if job.next_run_time < earliest:
                scheduler.modify_job(name, next_run_time=earliest)
                return earliest.timestamp()
            return float(job.next_run_time.timestamp())
        except JobLookupError:  # removed by a reload meanwhile
            return None

    def _on_skipped_run(self, event: JobSubmissionEvent) -> None:
        self._tracker.skipped(event.job_id, "still_running")
