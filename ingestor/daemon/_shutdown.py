"""The end of a graceful stop: running syncs get the grace period, then are recorded and left.

State is written only after Intercom confirmed, so a run left mid-upload stays consistent: its
run row says ``interrupted`` and the next sync converges.
"""

from __future__ import annotations

import logging
import time

from ingestor.daemon._tracker import RunProgress, Tracker
from ingestor.errors import StateError
from ingestor.state import RunCounts, Store

__all__ = ["abandon_runs", "stop_runs"]

log = logging.getLogger("ingestor.daemon")


def stop_runs(tracker: Tracker, grace: float) -> list[RunProgress]:
    """Tell every running sync to stop and wait up to ``grace`` seconds for them to end.

    Returns:
        The runs still going when the grace period ended (empty after a clean stop).
    """
    deadline = time.monotonic() + grace
    while True:
        running = tracker.running()
        for progress in running:  # again each time: a queued run may just have registered
            progress.stop_event.set()
        if not running or time.monotonic() >= deadline:
            return running
        time.sleep(0.05)  # short: a second signal must be handled at once


def abandon_runs(store: Store | None, running: list[RunProgress]) -> None:
    """Record the runs the daemon exits without as interrupted, and say so."""
    if store is not None:
        for progress in running:
            _record_interrupted(store, progress)
    log.warning(
        "grace period over: exiting while %s still sync(s); their runs are recorded "
        "as interrupted and the next sync converges",
        ", ".join(p.connector for p in running),
        extra={"event": "stopped"},
    )


def _record_interrupted(store: Store, progress: RunProgress) -> None:
    """Finish the connector's latest run as interrupted, with the pages done so far."""
    try:
        latest = store.recent_runs(progress.connector, limit=1)
        if not latest or latest[0].status != "running":
            return
        outcomes = progress.outcomes()
        counts = RunCounts(
            **{name: outcomes.get(name, 0) for name in RunCounts.__dataclass_fields__}
        )
        store.finish_run(
            latest[0].id,
            status="interrupted",
            counts=counts,
            error="the daemon stopped before this run finished (grace period over)",
        )
    except StateError as exc:
        log.warning("could not record the run of %s: %s", progress.connector, exc)
