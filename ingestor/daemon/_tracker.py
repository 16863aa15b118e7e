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

from ingestor.histogram import CONVERSION_BUCKETS, RUN_BUCKETS, Histogram
from ingestor.intercom import ClientStats, IntercomClient
from ingestor.report import Outcome, PageEvent, SyncReport
from state import Store

__all__ = ["ConnectorSnapshot", "LastRun", "RunProgress", "Tracker"]

#: Final run statuses, always exported (at zero too) so that rate() queries work from the start.
#: ``died``: runs a killed process left behind, counted when this daemon's start found them.
RUN_STATUSES = ("ok", "partial", "failed", "interrupted", "died")
#: Statuses that count as a successful sync for ``last_success``.
SUCCESS_STATUSES = ("ok", "partial")
#: Statuses of a complete run, for ``last_complete``: every page done and the listing whole
#: (a ``partial`` run is neither; a connector partial forever must still page someone).
COMPLETE_STATUSES = ("ok",)


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
        self._conversions = Histogram(CONVERSION_BUCKETS)

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

    def page_converted(self, seconds: float) -> None:
        """One page went through conversion in ``seconds`` (the engine's ``on_converted``)."""
        with self._lock:
            self._conversions.observe(seconds)

    def conversions(self) -> Histogram:
        """Conversion times so far in this run (a copy)."""
        with self._lock:
            return self._conversions.copy()

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
    #: Intercom calls by (operationId, status code or "error").
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    latency: dict[str, Histogram] = field(default_factory=dict)
    conversions: Histogram = field(default_factory=lambda: Histogram(CONVERSION_BUCKETS))
    run_durations: Histogram = field(default_factory=lambda: Histogram(RUN_BUCKETS))
    rate_limited: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    last_run: LastRun | None = None
    last_success_at: float | None = None
    last_complete_at: float | None = None
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
    requests: Mapping[str, int]  # by operationId
    requests_by_status: Mapping[tuple[str, str], int]  # by (operationId, status)
    latency: Mapping[str, Histogram]  # by operationId
    conversions: Histogram
    run_durations: Histogram
    rate_limited: int
    skipped: Mapping[str, int]
    last_run: LastRun | None
    last_success_at: float | None
    last_complete_at: float | None
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
            "last_complete_at": self.last_complete_at,
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
        """Last run, last success and last complete run of each connector from the state
        database (after a restart), and the runs a killed process left behind
        (``store.died_runs``); dry runs changed nothing and do not count."""
        for name in names:
            # a died run (its process killed mid-run) has no finish time, and is the last run
            finished = [
                r
                for r in store.recent_runs(name, limit=50)
                if (r.finished_at is not None or r.status == "died")
                and r.status != "running"
                and not r.dry_run
            ]
            if not finished:
                continue
            last = finished[0]
            success = next((r for r in finished if r.status in SUCCESS_STATUSES), None)
            died = sum(1 for r in finished if r.id in store.died_runs)
            complete = store.last_run(name, COMPLETE_STATUSES)
            with self._lock:
                state = self._states.get(name)
                if state is None or state.last_run is not None:
                    continue
                state.runs["died"] += died
                state.last_run = LastRun(
                    last.id,
                    last.status,
                    last.started_at,
                    last.finished_at or last.started_at,
                    last.error,
                )
                if success is not None:
                    state.last_success_at = success.finished_at
                if complete is not None:
                    state.last_complete_at = complete.finished_at

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
            state.conversions.merge(progress.conversions())
            state.run_durations.observe(now - progress.started_at)
            if stats is not None:
                _add_calls(state, stats)
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
                if status in COMPLETE_STATUSES:
                    state.last_complete_at = now
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


def _add_calls(state: _ConnectorState, stats: ClientStats) -> None:
    """Fold a client's calls (counts by status, latencies, 429s) into ``state``."""
    state.requests.update(stats.calls_by_status)
    state.rate_limited += stats.rate_limited
    for operation, latency in stats.latency_by_operation.items():
        known = state.latency.get(operation)
        if known is None:
            state.latency[operation] = latency.copy()
        else:
            known.merge(latency)


def _copy(state: _ConnectorState) -> _ConnectorState:
    return replace(
        state,
        runs=Counter(state.runs),
        pages=Counter(state.pages),
        requests=Counter(state.requests),
        latency={operation: h.copy() for operation, h in state.latency.items()},
        conversions=state.conversions.copy(),
        run_durations=state.run_durations.copy(),
        skipped=Counter(state.skipped),
    )


def _snapshot(name: str, state: _ConnectorState) -> ConnectorSnapshot:
    """Freeze a private copy; the live run is read outside the tracker's lock (it has its own)."""
    running, pending = state.running, 0
    if running is not None:
        state.pages.update(running.outcomes())
        state.conversions.merge(running.conversions())
        pending = running.pending
        stats = running.client_stats()
        if stats is not None:
            _add_calls(state, stats)
    by_operation: Counter[str] = Counter()
    for (operation, _), count in state.requests.items():
        by_operation[operation] += count
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
        requests=dict(by_operation),
        requests_by_status=dict(state.requests),
        latency=state.latency,
        conversions=state.conversions,
        run_durations=state.run_durations,
        rate_limited=state.rate_limited,
        skipped=dict(state.skipped),
        last_run=state.last_run,
        last_success_at=state.last_success_at,
        last_complete_at=state.last_complete_at,
        consecutive_failures=state.consecutive_failures,
        backoff_seconds=state.backoff_seconds,
        backoff_until=state.backoff_until,
    )
