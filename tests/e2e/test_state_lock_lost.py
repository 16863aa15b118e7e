"""`ingestor sync` on PostgreSQL state whose lock session ends mid-run (a DBA's
``pg_terminate_backend``; a server restart or failover ends it the same way): the run stops with
exit code 4 and one clear message naming the database (password redacted), writes no state after
the loss although the pool's other connections still work, and the next sync completes with
Intercom holding each page once.

The fault is real: the lock's backend is terminated from another session while the run uploads
pages to the emulator (slowed down so that the run is still going)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.state._lock import STATE_LOCK_KEY
from ingestor.state._statements import LOCK_LOST_ERROR
from ingestor.state._tables import to_db_time

from .conftest import Site, calls

PAGES = 200
PASSWORD = "s3cret-pw"  # trust authentication: the server ignores it, the output must not show it

LOCK_HOLDERS = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND ((classid::bigint << 32) | objid::bigint) = :key"
)


def recorded_pages(engine: Engine) -> int:
    """Pages in the state database so far (0 while the sync has not created its tables)."""
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM pages")).scalar_one())
    except SQLAlchemyError:
        return 0


def wait_for_pages(engine: Engine, at_least: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while recorded_pages(engine) < at_least:
        assert proc.poll() is None, "the sync ended before the fault"
        assert time.monotonic() < deadline, "the sync recorded no page within a minute"
        time.sleep(0.02)


def test_a_sync_whose_lock_session_ends_stops_and_the_next_one_completes(
    tmp_path: Path,
    postgres_url: str,
    start_emulator: Callable[[EmulatorSettings], EmulatorServer],
) -> None:
    server = start_emulator(EmulatorSettings(latency_ms=40))
    url = postgres_url.replace("ingestor@", f"ingestor:{PASSWORD}@", 1)
    site = Site(tmp_path, server, url)
    for n in range(PAGES):
        site.write(f"p{n:03}.md", f"# Page {n}\n\nWords about the product, page {n}.\n")
    env = {**os.environ, **site.env, "COLUMNS": "200", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [
        sys.executable,
        "-m",
        "ingestor",
        "sync",
        "--no-progress",
        "-c",
        str(site.config_path),
    ]
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )
    try:
        wait_for_pages(admin, 10, proc)
        with admin.connect() as conn:
            [pid] = [row[0] for row in conn.execute(LOCK_HOLDERS, {"key": STATE_LOCK_KEY})]
            terminated = conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            assert terminated.scalar()  # returns once the session has ended
        lost_at = to_db_time(datetime.now(UTC))
        output, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
        proc.wait()
        admin.dispose()

    assert proc.returncode == 4, output  # the state database is unusable
    assert "Traceback" not in output
    assert "lost its lock on the state database" in output
    assert "ingestor:***@127.0.0.1" in output and PASSWORD not in output
    assert "the next run resumes" in output
    # nothing written after the loss: each record's time is taken before its write's check
    assert site.sql("SELECT count(*) FROM pages WHERE last_synced_at > :t", t=lost_at) == [(0,)]
    # the lock free again, the process took it back just to record why its run stopped
    [(status, error)] = site.sql("SELECT status, error FROM runs")
    assert (status, error) == ("died", LOCK_LOST_ERROR)
    assert calls(server.stats(), "createExternalPage") < PAGES  # it stopped taking pages

    again = site.cli("sync", "--no-progress")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "recorded as died" not in again.stdout + again.stderr  # nothing left running
    assert sorted(site.intercom_pages()) == [f"p{n:03}.md" for n in range(PAGES)]
    assert site.sql("SELECT status FROM runs ORDER BY id") == [("died",), ("ok",)]
