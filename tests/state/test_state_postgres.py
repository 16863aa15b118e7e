"""What only PostgreSQL state has: URLs (password never shown), who holds the advisory lock,
a database that holds something else."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ingestor.errors import StateError, StateLockedError
from ingestor.state import Store
from ingestor.state._engine import StateLocation, redact_url

REPO = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
from ingestor.state import Store
store = Store.open(sys.argv[1])
store.begin_run("handbook")
print("holding", flush=True)
time.sleep(120)
"""


def eventually(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll ``check`` until true or ``seconds`` pass (a server notices a dead client async)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_urls_name_their_kind_and_never_show_the_password(tmp_path: Path) -> None:
    location = StateLocation.of("postgresql://fin:s3cret@db.example.com:5432/state")
    assert location.is_postgres and location.path is None
    assert str(location) == "postgresql+psycopg://fin:***@db.example.com:5432/state"
    assert str(StateLocation.of("postgres://fin:s3cret@db/state")) == (
        "postgresql+psycopg://fin:***@db/state"
    )
    with pytest.raises(StateError, match=r"use postgresql:// \(the psycopg 3 driver\)"):
        StateLocation.of("postgresql+asyncpg://fin@db/state")
    assert StateLocation.of(f"sqlite:///{tmp_path}/s.db").path == tmp_path / "s.db"
    assert StateLocation.of(tmp_path / "s.db").path == tmp_path / "s.db"
    with pytest.raises(StateError, match=r"mysql://fin:\*\*\*@db/x: the state database is"):
        StateLocation.of("mysql://fin:s3cret@db/x")
    assert "s3cret" not in redact_url("postgresql://fin:s3cret@db/x")


def test_an_unreachable_server_is_a_state_error_without_the_password() -> None:
    # port 1 on localhost: nothing listens, the connection is refused at once
    with pytest.raises(StateError) as caught:
        Store.open("postgresql://fin:s3cret@127.0.0.1:1/state")
    message = str(caught.value)
    assert "cannot open state database postgresql+psycopg://fin:***@127.0.0.1:1/state" in message
    assert "s3cret" not in message


def test_a_database_of_something_else_is_refused(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StateError, match="is a PostgreSQL database but not a fin-ingestor state"):
        Store.open(postgres_url)
    with pytest.raises(StateError, match="no meta table"):
        Store.open(postgres_url, read_only=True)


def test_read_only_on_an_empty_database_says_no_sync_has_run(postgres_url: str) -> None:
    with pytest.raises(StateError, match=r"no state database at .*\(no sync has run yet"):
        Store.open(postgres_url, read_only=True)


@pytest.mark.timeout(60)
def test_a_running_run_is_gone_once_nobody_holds_the_lock(postgres_url: str) -> None:
    Store.open(postgres_url).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres_url], stdout=subprocess.PIPE, cwd=REPO, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        with Store.open(postgres_url, read_only=True) as reader:  # what `ingestor status` does
            [run] = reader.recent_runs()
            assert (run.status, run.pid) == ("running", proc.pid)
            assert not reader.process_gone(run.pid)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            # the server ends the session (and its lock) when it reads the closed socket
            assert eventually(lambda: reader.process_gone(run.pid))
            assert reader.recent_runs()[0].status == "running"  # reading changes nothing
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    with Store.open(postgres_url) as store:
        assert store.recent_runs()[0].status == "died"


def test_daemons_share_the_lock_and_an_exclusive_command_waits_for_them(
    postgres_url: str,
) -> None:
    with Store.open(postgres_url) as alone:
        assert alone.exclusive
        run_id = alone.begin_run("handbook")  # as a daemon's run in progress
        with pytest.raises(StateLockedError, match="daemons may share one"):
            Store.open(postgres_url, shared=True)
    first = Store.open(postgres_url, shared=True)
    try:
        with Store.open(postgres_url, shared=True) as second:
            assert not first.exclusive and not second.exclusive  # leases decide, not the lock
            assert second.died_runs == ()  # another daemon's run may be live: not marked
            with pytest.raises(StateLockedError, match="is in use by fin-ingestor pid"):
                Store.open(postgres_url)  # e.g. `ingestor sync` while daemons run
            assert not first.process_gone(None)
    finally:
        first.close()
    with Store.open(postgres_url) as alone:  # the daemons are gone: their runs died
        assert alone.died_runs == (run_id,)
