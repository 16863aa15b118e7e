"""What the daemon knows about each connector: runs, counters, failures, the run in progress.

One :class:`Tracker` per daemon, shared by the sync jobs (writers) and the HTTP endpoint
(readers); every method takes its lock, and readers get frozen snapshots.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ingestor.intercom import ClientStats, IntercomClient
from ingestor.report import Outcome, PageEvent, SyncReport
from state import Store

__all__ = ["ConnectorSnapshot", "LastRun", "RunProgress", "Tracker"]

#: Final run statuses, always exported (at zero too) so that rate() queries work from the start.
RUN_STATUSES = ("ok", "partial", "failed", "interrupted")
#: Statuses that count as a successful sync for ``last_success``.
SUCCESS_STATUSES = ("ok", "partial")


class RunProgress:
    """The run in progress of one connector: its stop switch and a live view of its pages.

    It is the engine's :class:`~ingestor.report.SyncObserver` for that run.
    """

    def __init__(self, connector: str) -> None:
        self.connector = connector
        self.started_at = time.time()
        #: Set to end the run early (shutdown, or writes paused by an authentication failure).
        self.stop_event = threading.Event()
        self.client: IntercomClient | None = None
        self._lock = threading.Lock()
        self._to_process = 0
        self._processed = 0
        self._outcomes: Counter[str] = Counter()

    def listed(self, connector: str, *, total: int, to_process: int) -> None:
        """The engine listed the source; ``to_process`` pages must be fetched."""
        with self._lock:
            self._to_process = to_process

    def page_done(self, connector: str, event: PageEvent) -> None:
        """One page is done (or one deletion)."""
        with self._lock:
            self._outcomes[event.outcome.value] += 1
            if event.outcome not in (Outcome.DELETED, Outcome.HIDDEN):  # not listed to process
                self._processed += 1

    @property
    def pending(self) -> int:
        """Pages listed for processing that are not done yet."""
        with self._lock:
            return max(0, self._to_process - self._processed)

    def outcomes(self) -> Counter[str]:
        """Page outcomes so far in this run."""
        with self._lock:
            return Counter(self._outcomes)

    def client_stats(self) -> ClientStats | None:
        """The run's Intercom calls so far (None before its client exists)."""
        client = self.client
        return None if client is None else client.stats()


@dataclass(frozen=True, slots=True)
class LastRun:
    """The latest finished run of a connector."""

    run_id: int | None
    status: str
    started_at: float
    finished_at: float
    error: str | None

    @property
    def duration(self) -> float:
        return max(0.0, self.finished_at - self.started_at)


@dataclass
class _ConnectorState:
    schedule: str
    running: RunProgress | None = None
    runs: Counter[str] = field(default_factory=Counter)
    pages: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    last_run: LastRun | None = None
    last_success_at: float | None = None
    consecutive_failures: int = 0
    backoff_seconds: float = 0.0
    backoff_until: float | None = None


@dataclass(frozen=True, slots=True)
class ConnectorSnapshot:
    """One connector as the daemon sees it at one instant (finished runs plus the live one)."""

    name: str
    schedule: str
    running: bool
    running_since: float | None
    pending_pages: int
    runs: Mapping[str, int]
    pages: Mapping[str, int]
    requests: Mapping[str, int]
    rate_limited: int
    skipped: Mapping[str, int]
    last_run: LastRun | None
    last_success_at: float | None
    consecutive_failures: int
    backoff_seconds: float
    backoff_until: float | None

    def to_json(self, next_run_at: float | None) -> dict[str, Any]:
        """The daemon's view of the connector for ``/status``."""
        last = self.last_run
        return {
            "schedule": self.schedule,
            "next_run_at": next_run_at,
            "running": self.running,
            "running_since": self.running_since,
            "pending_pages": self.pending_pages,
            "consecutive_failures": self.consecutive_failures,
            "backoff_seconds": self.backoff_seconds,
            "backoff_until": self.backoff_until,
            "last_success_at": self.last_success_at,
            "last_run": None
            if last is None
            else {
                "id": last.run_id,
                "status": last.status,
                "started_at": last.started_at,
                "finished_at": last.finished_at,
                "duration_seconds": round(last.duration, 3),
                "error": last.error,
            },
            "runs": dict(self.runs),
            "pages": dict(self.pages),
            "intercom_requests": dict(self.requests),
            "rate_limited": self.rate_limited,
            "skipped_runs": dict(self.skipped),
        }


class Tracker:
    """Per-connector daemon state; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, _ConnectorState] = {}

    # -- the set of connectors ---------------------------------------------------------------

    def ensure(self, name: str, schedule: str) -> None:
        """Track ``name`` (keeping its counters if already tracked) with this schedule."""
        with self._lock:
            state = self._states.setdefault(name, _ConnectorState(schedule=schedule))
            state.schedule = schedule

    def remove(self, name: str) -> None:
        """Stop tracking a connector that left the config (a run in progress keeps going)."""
        with self._lock:
            self._states.pop(name, None)

    def names(self) -> list[str]:
        with self._lock:
            return list(self._states)

    def seed_from_state(self, store: Store, names: Iterable[str]) -> None:
        """Last run and last success of each connector from the state database (after a restart)."""
        for name in names:
            finished = [
                r
                for r in store.recent_runs(name, limit=50)
                if r.finished_at is not None and r.status != "running"
            ]
            if not finished:
                continue
            last = finished[0]
            success = next((r for r in finished if r.status in SUCCESS_STATUSES), None)
            with self._lock:
                state = self._states.get(name)
                if state is None or state.last_run is not None:
                    continue
                state.last_run = LastRun(
                    last.id, last.status, last.started_at, last.finished_at or 0.0, last.error
                )
                if success is not None:
                    state.last_success_at = success.finished_at

    # -- runs --------------------------------------------------------------------------------

    def start_run(self, name: str) -> RunProgress:
        """Register the run that is starting now."""
        progress = RunProgress(name)
        with self._lock:
            state = self._states.setdefault(name, _ConnectorState(schedule="?"))
            state.running = progress
        return progress

    def finish_run(
        self,
        progress: RunProgress,
        report: SyncReport | None,
        *,
        error: str | None,
        failed: bool,
        stats: ClientStats | None,
    ) -> int:
        """Fold a finished run into the counters; returns the consecutive failures so far."""
        now = time.time()
        status = report.status if report is not None else "failed"
        outcomes = progress.outcomes()
        if report is not None:  # pages the version gate skipped never reach the observer
            outcomes[Outcome.UNCHANGED.value] += max(
                0, report.unchanged - outcomes[Outcome.UNCHANGED.value]
            )
        with self._lock:
            state = self._states.get(progress.connector)
            if state is None:  # removed by a reload while it ran
                return 0
            if state.running is progress:
                state.running = None
            state.runs[status] += 1
            state.pages.update(outcomes)
            if stats is not None:
                state.requests.update(stats.calls_by_operation)
                state.rate_limited += stats.rate_limited
            state.last_run = LastRun(
                report.run_id if report is not None else None,
                status,
                progress.started_at,
                now,
                error,
            )
            if failed:
                state.consecutive_failures += 1
            elif status != "interrupted":
                state.consecutive_failures = 0
                state.backoff_seconds, state.backoff_until = 0.0, None
                if status in SUCCESS_STATUSES:
                    state.last_success_at = now
            return state.consecutive_failures

    def set_backoff(self, name: str, seconds: float, until: float | None) -> None:
        """Record that the connector's next run was pushed back."""
        with self._lock:
            state = self._states.get(name)
            if state is not None:
                state.backoff_seconds, state.backoff_until = seconds, until

    def reset_failures(self, name: str) -> None:
        """Forget a connector's failures (its settings changed: the problem may be fixed)."""
        with self._lock:
            state = self._states.get(name)
            if state is not None:
                state.consecutive_failures = 0
                state.backoff_seconds, state.backoff_until = 0.0, None

    def skipped(self, name: str, reason: str) -> None:
        """Count a scheduled run that did not happen."""
        with self._lock:
            state = self._states.get(name)
            if state is not None:
                state.skipped[reason] += 1

    def running(self) -> list[RunProgress]:
        """Runs in progress."""
        with self._lock:
            return [s.running for s in self._states.values() if s.running is not None]

    # -- reading -------------------------------------------------------------------------------

    def snapshot(self) -> list[ConnectorSnapshot]:
        """Every tracked connector, with its run in progress folded in."""
        with self._lock:
            copies = [(name, _copy(state)) for name, state in self._states.items()]
        return [_snapshot(name, state) for name, state in copies]


def _copy(state: _ConnectorState) -> _ConnectorState:
    return replace(
        state,
        runs=Counter(state.runs),
        pages=Counter(state.pages),
        requests=Counter(state.requests),
        skipped=Counter(state.skipped),
    )


def _snapshot(name: str, state: _ConnectorState) -> ConnectorSnapshot:
    """Freeze a private copy; the live run is read outside the tracker's lock (it has its own)."""
    running, pending, rate_limited = state.running, 0, state.rate_limited
    if running is not None:
        state.pages.update(running.outcomes())
        pending = running.pending
        stats = running.client_stats()
        if stats is not None:
            state.requests.update(stats.calls_by_operation)
            rate_limited += stats.rate_limited
    for status in RUN_STATUSES:
        state.runs.setdefault(status, 0)
    for outcome in Outcome:
        state.pages.setdefault(outcome.value, 0)
    return ConnectorSnapshot(
        name=name,
        schedule=state.schedule,
        running=running is not None,
        running_since=running.started_at if running is not None else None,
        pending_pages=pending,
        runs=dict(state.runs),
        pages=dict(state.pages),
        requests=dict(state.requests),
        rate_limited=rate_limited,
        skipped=dict(state.skipped),
        last_run=state.last_run,
        last_success_at=state.last_success_at,
        consecutive_failures=state.consecutive_failures,
        backoff_seconds=state.backoff_seconds,
        backoff_until=state.backoff_until,
    )
