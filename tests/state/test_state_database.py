"""The database itself: schema and migrations, locking across processes, damage, size (the
tests marked state_backends run on SQLite and on PostgreSQL)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect, text

from ingestor.errors import StateError, StateLockedError
from ingestor.state import MIGRATIONS, SCHEMA_VERSION, Store, process_gone
from ingestor.state._engine import StateLocation, create_state_engine
from ingestor.state._lock import _holder_gone_here
from ingestor.state._migrations import Migration, migrate
from ingestor.state._tables import StateModel

REPO = Path(__file__).resolve().parents[2]

# Opens the store in a child process, optionally starts a run, says so, then waits to be killed.
HOLDER = """
import sys, time
from pathlib import Path
from ingestor.state import Store
store = Store.open(sys.argv[1])
run = store.begin_run("handbook") if sys.argv[2] == "run" else 0
print(f"holding {run}", flush=True)
time.sleep(120)
"""
# Tries to open the store in a child process and prints what happened.
OPENER = """
import sys
from pathlib import Path
from ingestor.errors import StateLockedError
from ingestor.state import Store
try:
    Store.open(sys.argv[1]).close()
    print("opened")
except StateLockedError as exc:
    print(f"locked: {exc}")
"""


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


@pytest.fixture
def holder(state_location: Path | str) -> Iterator[subprocess.Popen[str]]:
    """A child process that holds the store at ``state_location`` with a run in progress."""
    proc = subprocess.Popen(
        python(HOLDER, str(state_location), "run"),
        stdout=subprocess.PIPE,
        cwd=REPO,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("holding "), f"holder failed to start: {line!r}"
        yield proc
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def db_tables(location: Path | str) -> dict[str, list[tuple[str, int, int]]]:
    """{table: [(column, notnull, pk position)]} as the database (SQLite or PostgreSQL) has it."""
    engine = create_state_engine(StateLocation.of(location))
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            tables = {}
            for name in sorted(inspector.get_table_names()):
                keys = inspector.get_pk_constraint(name)["constrained_columns"]
                tables[name] = [
                    (c["name"], int(not c["nullable"]), keys.index(c["name"]) + 1
                     if c["name"] in keys else 0)
                    for c in inspector.get_columns(name)
                ]  # fmt: skip
            return tables
    finally:
        engine.dispose()


def sqlite_tables(path: Path) -> dict[str, list[tuple[str, int, int]]]:
    """{table: [(column, notnull, pk position)]} as SQLite sees the file."""
    with sqlite3.connect(path) as conn:
        names = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY 1")
        ]
        return {
            name: [(c[1], c[3], c[5]) for c in conn.execute(f"PRAGMA table_info({name})")]
            for name in names
        }


def stored_version(location: Path | str) -> int:
    """The schema version the database records, read without the store."""
    engine = create_state_engine(StateLocation.of(location))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT schema_version FROM meta")).scalar_one())
    finally:
        engine.dispose()


class TestLock:
    @pytest.mark.timeout(60)
    @pytest.mark.state_backends
    def test_second_process_is_refused_and_kill_frees_the_lock(
        self, state_location: Path | str, holder: subprocess.Popen[str]
    ) -> None:
        path = state_location
        who = rf"(state\.db is in use by process|is in use by fin-ingestor pid) {holder.pid}\b"
        with pytest.raises(StateLockedError, match=who):
            Store.open(path)

        holder.send_signal(signal.SIGKILL)
        holder.wait()

        with Store.open(path) as store:  # the kernel (server) dropped the lock with the process
            [run] = store.recent_runs()
            assert store.died_runs == (run.id,)
            assert (run.status, run.finished_at, run.pid) == ("died", None, holder.pid)
            assert run.error is not None and f"process {holder.pid} ended" in run.error
        with Store.open(path) as store:
            assert store.died_runs == ()  # marked once only

    def test_a_dead_local_holder_is_waited_for_a_live_or_remote_one_is_not(self) -> None:
        # The server frees a killed client's advisory lock only once its backend has read the
        # closed socket: a refusal naming a fin-ingestor of this host that is gone is retried.
        with subprocess.Popen(python("pass")) as ended:
            pass
        here = socket.gethostname()
        assert _holder_gone_here(f"fin-ingestor pid {ended.pid} on {here}")
        assert not _holder_gone_here(f"fin-ingestor pid {os.getpid()} on {here}")
        assert not _holder_gone_here(f"fin-ingestor pid {ended.pid} on elsewhere-{here}")
        assert not _holder_gone_here("psql") and not _holder_gone_here(None)

    @pytest.mark.timeout(60)
    def test_a_run_is_gone_once_its_process_is(
        self, state_location: Path, holder: subprocess.Popen[str]
    ) -> None:
        path = state_location
        with Store.open(path, read_only=True) as reader:  # what `ingestor status` does
            [run] = reader.recent_runs()
            assert (run.status, run.pid) == ("running", holder.pid)
            assert not process_gone(reader.path, run.pid)  # holder alive, lock held
            # a run whose own process is gone, while another process holds the lock
            with subprocess.Popen(python("pass")) as short:
                pass
            assert process_gone(reader.path, short.pid)
            holder.send_signal(signal.SIGKILL)
            holder.wait()
            assert process_gone(reader.path, holder.pid)  # the lock file names a dead holder
            assert process_gone(reader.path, None)  # a run from before pids were kept
            assert reader.recent_runs()[0].status == "running"  # reading changes nothing

    @pytest.mark.timeout(60)
    def test_child_process_is_refused_while_we_hold_it(self, tmp_path: Path) -> None:
        path = tmp_path / "state.db"
        with Store.open(path):
            result = subprocess.run(
                python(OPENER, str(path)), capture_output=True, text=True, cwd=REPO, check=True
            )
            assert result.stdout.startswith(f"locked: state database {path} is in use by process ")
            assert f"process {os.getpid()} " in result.stdout
        result = subprocess.run(
            python(OPENER, str(path)), capture_output=True, text=True, cwd=REPO, check=True
        )
        assert result.stdout.strip() == "opened"

    @pytest.mark.state_backends
    def test_same_process_second_open_is_refused(self, state_location: Path | str) -> None:
        path = state_location
        with (
            Store.open(path),
            pytest.raises(
                StateLockedError, match=rf"in use by (process|fin-ingestor pid) {os.getpid()}\b"
            ),
        ):
            Store.open(path)
        Store.open(path).close()  # closing released it

    @pytest.mark.state_backends
    def test_read_only_open_ignores_the_lock(
        self, state_location: Path | str, holder: subprocess.Popen[str]
    ) -> None:
        with Store.open(state_location, read_only=True) as reader:
            assert reader.recent_runs()[0].status == "running"


class TestSchema:
    def test_new_database_settings(self, tmp_path: Path) -> None:
        path = tmp_path / "state.db"
        with Store.open(path) as store:
            store.begin_run("handbook")
            engine = store._live_engine()
            with engine.connect() as conn:
                pragmas = {
                    name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("journal_mode", "synchronous", "busy_timeout")
                }
        assert pragmas == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 10000}
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT id, schema_version FROM meta").fetchall() == [
                (1, SCHEMA_VERSION)
            ]

    @pytest.mark.state_backends
    def test_migrated_schema_matches_the_sqlmodel_tables(self, state_location: Path | str) -> None:
        path = state_location
        Store.open(path).close()
        on_disk = db_tables(path)
        declared = {
            table.name: [
                (c.name, int(not c.nullable), list(table.primary_key.columns).index(c) + 1
                 if c.primary_key else 0)
                for c in table.columns
            ]
            for table in StateModel.metadata.sorted_tables
        }  # fmt: skip
        assert on_disk == dict(sorted(declared.items()))

    def test_empty_file_is_version_zero_and_gets_the_baseline(self, tmp_path: Path) -> None:
        path = tmp_path / "state.db"
        path.touch()  # what an interrupted first start or `touch state.db` leaves
        with Store.open(path) as store:
            assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS) == 9
            store.save_source("handbook", 1, "https://h")

    def test_v1_file_from_an_older_process_is_migrated_and_keeps_its_pages(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "state.db"
        with sqlite3.connect(path) as conn:  # a v1 database, written without our code
            conn.executescript(
                """
                CREATE TABLE meta (id INTEGER PRIMARY KEY, schema_version INTEGER NOT NULL);
                INSERT INTO meta VALUES (1, 1);
                CREATE TABLE sources (connector VARCHAR PRIMARY KEY, source_id INTEGER NOT NULL,
                    url VARCHAR NOT NULL, created_at VARCHAR NOT NULL);
                CREATE TABLE pages (connector VARCHAR NOT NULL, external_id VARCHAR NOT NULL,
                    version VARCHAR, content_hash VARCHAR, intercom_id VARCHAR, title VARCHAR,
                    url VARCHAR, last_synced_at VARCHAR, last_error VARCHAR,
                    error_count INTEGER NOT NULL DEFAULT 0, failed_at VARCHAR,
                    PRIMARY KEY (connector, external_id));
                CREATE TABLE runs (id INTEGER PRIMARY KEY, connector VARCHAR NOT NULL,
                    started_at VARCHAR NOT NULL, finished_at VARCHAR, status VARCHAR NOT NULL,
                    dry_run BOOLEAN NOT NULL DEFAULT 0, created INTEGER NOT NULL DEFAULT 0,
                    updated INTEGER NOT NULL DEFAULT 0, unchanged INTEGER NOT NULL DEFAULT 0,
                    deleted INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
                    skipped INTEGER NOT NULL DEFAULT 0, error VARCHAR);
                INSERT INTO pages (connector, external_id, version, content_hash, intercom_id,
                    last_synced_at) VALUES ('handbook', 'a.md', '1', 'h', '77',
                    '2024-05-01T12:00:00');
                """
            )
        with Store.open(path) as store:
            page = store.page_index("handbook")["a.md"]
            assert store.schema_version == SCHEMA_VERSION  # migrated: cursors, sent digest
            assert store.get_cursor("handbook") is None
        assert page.intercom_id == "77"
        # Naive text from another writer is read as UTC.
        assert page.last_synced_at == datetime(2024, 5, 1, 12, tzinfo=UTC).timestamp()

    def test_newer_database_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "state.db"
        Store.open(path).close()
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE meta SET schema_version = 99")
        with pytest.raises(StateError, match=r"schema version 99, newer than this fin-ingestor "
                           r"understands \(version 9\); upgrade fin-ingestor"):  # fmt: skip
            Store.open(path)
        with pytest.raises(StateError, match="has schema version 99"):
            Store.open(path, read_only=True)
        Store.open(path.with_name("other.db")).close()  # the failed open left no lock behind
        with sqlite3.connect(path) as conn:  # nor changed the file
            assert conn.execute("SELECT schema_version FROM meta").fetchone() == (99,)

    def test_foreign_sqlite_database_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "state.db"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE photos (id INTEGER)")
        with pytest.raises(StateError, match=r"not a fin-ingestor state database .*photos"):
            Store.open(path)


class TestMigrationFramework:
    """migrate() with extra steps, on a real file, as a future v2 would run."""

    @staticmethod
    def add_column(conn: Connection) -> None:
        conn.exec_driver_sql("ALTER TABLE pages ADD COLUMN language VARCHAR")

    @staticmethod
    def broken(conn: Connection) -> None:
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("disk on fire")

    def run(self, path: Path | str, migrations: list[Migration]) -> tuple[int, int]:
        engine = create_state_engine(StateLocation.of(path))  # the store's: transactional DDL
        try:
            with engine.begin() as conn:
                return migrate(conn, where=str(path), migrations=migrations)
        finally:
            engine.dispose()

    @pytest.mark.state_backends
    def test_steps_run_in_order_from_the_stored_version(self, state_location: Path | str) -> None:
        path = state_location
        Store.open(path).close()  # the current version
        assert self.run(path, [*MIGRATIONS, self.add_column]) == (
            SCHEMA_VERSION,
            SCHEMA_VERSION + 1,
        )
        assert "language" in [c[0] for c in db_tables(path)["pages"]]
        newest = SCHEMA_VERSION + 1
        assert self.run(path, [*MIGRATIONS, self.add_column]) == (newest, newest)  # all done
        with pytest.raises(StateError, match="newer than this fin-ingestor"):
            Store.open(path)  # this code only knows SCHEMA_VERSION

    @pytest.mark.state_backends
    def test_from_zero_runs_every_step(self, state_location: Path | str) -> None:
        path = state_location
        if isinstance(path, Path):
            path.parent.mkdir()
        assert self.run(path, [*MIGRATIONS, self.add_column]) == (0, SCHEMA_VERSION + 1)
        assert stored_version(path) == SCHEMA_VERSION + 1

    @pytest.mark.state_backends
    def test_a_failed_step_rolls_everything_back(self, state_location: Path | str) -> None:
        path = state_location
        Store.open(path).close()
        with pytest.raises(
            StateError,
            match=f"from version {SCHEMA_VERSION + 1} to {SCHEMA_VERSION + 2} failed: disk on fire",
        ):
            self.run(path, [*MIGRATIONS, self.add_column, self.broken])
        tables = db_tables(path)
        assert "half_done" not in tables  # DDL rolled back too
        assert "language" not in [c[0] for c in tables["pages"]]  # so was the good v6 step
        assert stored_version(path) == SCHEMA_VERSION


class TestDamage:
    def test_garbage_file(self, tmp_path: Path) -> None:
        path = tmp_path / "state.db"
        path.write_bytes(os.urandom(8192))
        with pytest.raises(StateError) as caught:
            Store.open(path)
        message = str(caught.value)
        assert message.startswith(f"cannot open state database {path}: file is not a database")
        assert "move it aside" in message
        Store.open(tmp_path / "fresh.db").close()
        with pytest.raises(StateError, match="file is not a database"):
            Store.open(path, read_only=True)
        # The failed open released its lock: fixing the file is enough to go on.
        path.unlink()
        Store.open(path).close()

    def test_truncated_database(self, tmp_path: Path) -> None:
        path = tmp_path / "state.db"
        with Store.open(path) as store:
            store.record_unchanged("h", [])
            for i in range(300):
                store.record_failure("handbook", f"p{i}", error="x" * 500)
        path.write_bytes(path.read_bytes()[:6000])
        with (
            pytest.raises(StateError, match=f"state database {path}"),
            Store.open(path) as store,
        ):
            store.page_index("handbook")

    def test_path_is_a_directory(self, tmp_path: Path) -> None:
        with pytest.raises(StateError, match="is a directory"):
            Store.open(tmp_path)

    def test_unwritable_folder(self, tmp_path: Path) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        with pytest.raises(StateError, match="cannot create the folder of state database"):
            Store.open(blocker / "sub" / "state.db")


def test_page_index_of_100k_pages(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store.open(path).close()
    with sqlite3.connect(path) as conn:  # bulk-loaded directly: the store writes page by page
        conn.executemany(
            "INSERT INTO pages (connector, external_id, version, content_hash, intercom_id, "
            "title, url, last_synced_at, error_count) VALUES ('big', ?, ?, ?, ?, ?, ?, ?, 0)",
            (
                (f"docs/{i:06d}.md", f"{i}:1", f"{i:064x}", str(i), f"Page {i}", f"https://h/{i}",
                 "2024-05-01T12:00:00.000000+00:00")
                for i in range(100_000)
            ),
        )  # fmt: skip
    with Store.open(path) as store:
        index = store.page_index("big")
        assert len(index) == 100_000
        assert index["docs/099999.md"].intercom_id == "99999"
        assert store.record_unchanged("big", ((k, "new") for k in index)) == 100_000
        assert store.page_index("big")["docs/000000.md"].version == "new"
        assert store.summary()[0].pages == 100_000


@pytest.mark.state_backends
def test_every_step_carries_the_rows_of_the_versions_before(state_location: Path | str) -> None:
    """The historic chain on a database of each kind: a page written at version 1 (no later
    column yet) and its HTML written at version 3 come through v7's rebuild of ``pages``."""
    if isinstance(state_location, Path):
        state_location.parent.mkdir()
    engine = create_state_engine(StateLocation.of(state_location))
    try:
        with engine.begin() as conn:
            assert migrate(conn, where="test", migrations=MIGRATIONS[:1]) == (0, 1)
            conn.execute(
                text(
                    "INSERT INTO pages (connector, external_id, version, content_hash, "
                    "intercom_id, title, error_count) VALUES ('docs', 'a.md', '1', 'h', '9', "
                    "'A', 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO runs (connector, started_at, status) "
                    "VALUES ('docs', '2026-01-01T00:00:00+00:00', 'ok')"
                )
            )
        with engine.begin() as conn:
            assert migrate(conn, where="test", migrations=MIGRATIONS[:3]) == (1, 3)
            conn.execute(
                text("UPDATE pages SET sent_html = :html WHERE external_id = 'a.md'"),
                {"html": b"compressed"},
            )
        with engine.begin() as conn:
            assert migrate(conn, where="test") == (3, SCHEMA_VERSION)
    finally:
        engine.dispose()
    with Store.open(state_location) as store:
        [page] = store.page_index("docs").values()
        assert (page.version, page.content_hash, page.intercom_id) == ("1", "h", "9")
        [run] = store.recent_runs("docs")
        assert run.dry_run is False and run.counts.created == 0  # the defaults of later steps
        run_id = store.begin_run("docs")  # numbering goes on after the migrated rows
        assert run_id == run.id + 1
