"""A daemon on PostgreSQL state whose lock session ends mid-run (``pg_terminate_backend``; a
server restart or failover ends it the same way): the run stops before writing anything more
and counts as failed (the connector backs off); the next run takes the lock again (shared),
records the cut-short run as died and finishes the upload, Intercom holding each page once.

The fault is real: the daemon's lock backend is terminated from another session while it
uploads pages to the emulator (slowed down so that the run is still going)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.state._lock import STATE_LOCK_KEY
from ingestor.state._tables import to_db_time

from .conftest import DaemonProcess, Deployment, wait_for

pytestmark = pytest.mark.timeout(180)

PAGES = 150

LOCK_HOLDERS = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND ((classid::bigint << 32) | objid::bigint) = :key"
)


def scalar(engine: Engine, sql: str, **params: object) -> int:
    """One number from the state database (0 while the daemon has not created its tables)."""
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    except SQLAlchemyError:
        return 0


def test_a_daemon_run_whose_lock_session_ends_stops_and_the_next_run_retakes_it(
    tmp_path: Path,
    postgres_url: str,
    start_emulator: Callable[[EmulatorSettings], EmulatorServer],
    start_daemon: Callable[..., DaemonProcess],
) -> None:
    server = start_emulator(EmulatorSettings(latency_ms=30))
    deployment = Deployment(tmp_path, server, postgres_url)
    for n in range(PAGES):
        deployment.write("kb", f"p{n:03}.md", f"# Page {n}\n\nText of page {n}.\n")
    deployment.write_config(
        [deployment.connector("kb")],
        daemon={
            "schedule": {"every": "3s"},
            "run_on_start": True,
            "backoff_initial": "2s",
            "backoff_max": "4s",
        },
    )
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        daemon = start_daemon(deployment)
        wait_for(lambda: scalar(admin, "SELECT count(*) FROM pages") >= 10, 60, "uploads")
        with admin.connect() as conn:
            [pid] = [row[0] for row in conn.execute(LOCK_HOLDERS, {"key": STATE_LOCK_KEY})]
            terminated = conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            assert terminated.scalar()  # returns once the session has ended
        lost_at = to_db_time(datetime.now(UTC))

        backoff = daemon.wait_event(30, event="backoff", connector="kb")
        assert "lost its lock on the state database" in backoff["message"]
        # the cut-short run wrote nothing after the loss (the next run waits out the backoff)
        after = "SELECT count(*) FROM pages WHERE last_synced_at > :t"
        assert scalar(admin, after, t=lost_at) == 0
        assert scalar(admin, "SELECT count(*) FROM pages") < PAGES
        with admin.connect() as conn:
            [(status, finished)] = conn.execute(text("SELECT status, finished_at FROM runs"))
        assert (status, finished) == ("running", None)  # its end could not be recorded

        retaken = daemon.wait_event(30, event="state_lock_retaken")
        assert "runs 1 recorded as died" in retaken["message"]
        wait_for(lambda: len(deployment.intercom_pages()) == PAGES, 60, "every page synced")
        wait_for(
            lambda: scalar(admin, "SELECT count(*) FROM runs WHERE status = 'ok'") >= 1,
            60,
            "a run to finish",
        )
        assert daemon.stop() == 0
        with admin.connect() as conn:
            statuses = [row[0] for row in conn.execute(text("SELECT status FROM runs ORDER BY id"))]
        assert statuses[0] == "died" and "running" not in statuses
        assert "Traceback" not in daemon.log_text() and "run crashed" not in daemon.log_text()
    finally:
        admin.dispose()
