"""The state store: what was imported where, and every run, in one SQLite file or one
PostgreSQL database (one code path: SQLAlchemy Core, dialect-specific only where the SQL is).

Writes go through one lock (SQLite has a single writer anyway) and each is its own short
transaction, committed only when called: the engine calls ``record_*`` after Intercom confirmed.
Reads use their own pooled connections and, thanks to WAL (SQLite) or MVCC (PostgreSQL), never
wait for a write.
"""

from __future__ import annotations

import copy
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from ingestor.errors import NoStateError, StateError
from ingestor.state._admin import StoreAdmin
from ingestor.state._bookkeeping import MAX_ERROR_CHARS, StoreBookkeeping
from ingestor.state._engine import (
    StateLocation,
    create_state_engine,
    driver_reason,
    open_error,
    scrub_password,
)
from ingestor.state._leases import InstanceInfo, LeaseBook, LeaseInfo
from ingestor.state._lock import (
    MIGRATE_KEY,
    AdvisoryLock,
    DatabaseLock,
    StateLock,
    advisory_lock_free,
    lock_path,
    process_gone,
)
from ingestor.state._migrations import SCHEMA_VERSION, migrate, read_version
from ingestor.state._pages import StorePages
from ingestor.state._private import prepare_private_database
from ingestor.state._reconciles import StoreReconciles
from ingestor.state._reports import StoreQueries
from ingestor.state._statements import LOCK_LOST_ERROR, mark_connector_runs_died, mark_died_runs

__all__ = ["MAX_ERROR_CHARS", "Store"]


class Store(StorePages, StoreQueries, StoreAdmin, StoreReconciles, StoreBookkeeping):
    """The state database. Open with :meth:`open`; safe to share between threads."""

    def __init__(
        self,
        location: StateLocation,
        engine: Engine,
        lock: DatabaseLock | None,
        schema_version: int,
        died: list[int],
    ) -> None:
        """Use :meth:`Store.open`."""
        self.location = location
        #: The SQLite file; None for PostgreSQL (``location`` says where, password redacted).
        self.path: Path | None = location.path
        self.schema_version = schema_version
        #: Runs a previous process left 'running', marked 'died' when this store opened.
        self.died_runs: tuple[int, ...] = tuple(died)
        self._engine: Engine | None = engine
        self._lock = lock
        self._write_lock = threading.Lock()
        #: Called before each write of a fenced view (:meth:`fenced`); raises to refuse it.
        self._guard: Callable[[], None] | None = None
        self._file_identity = None if self.path is None else _file_identity(self.path)

    def check_file(self) -> None:
        """SQLite: make sure the database file is still the one opened.

        Raises:
            StateError: It was deleted or replaced (a clean-up, a restore over it): this
                process goes on writing the old file, which is lost when it stops.
        """
        if self.path is None or self._file_identity is None:
            return
        if _file_identity(self.path) != self._file_identity:
            raise StateError(
                f"state database {self.path} was deleted or replaced while this process had "
                "it open: what it records from now on is lost when it stops. Restart it: it "
                "then opens the file at that path (a new one re-adopts each source by url and "
                "re-sends every page once)"
            )

    @property
    def read_only(self) -> bool:
        """True when opened with ``read_only=True`` (no lock held, every write refused)."""
        return self._lock is None

    @classmethod
    def open(
        cls, path: Path | str | StateLocation, *, read_only: bool = False, shared: bool = False
    ) -> Store:
        """Open (creating or migrating) the database at ``path`` and lock it for this process.

        Args:
            path: The SQLite database file (or ``sqlite:///`` URL): missing parent folders are
                created (0700) and the file is private (0600) whatever the umask, see
                :mod:`state._private`. Or a ``postgresql://`` URL of an existing database
                (an empty one is set up), locked with an advisory lock.
            shared: PostgreSQL: hold the lock shared with other daemons (which coordinate
                through leases) rather than exclusively; runs another process left running
                are then not marked died here. SQLite is always exclusive.
            read_only: Read without taking the lock, e.g. ``ingestor status`` while a daemon
                runs: no migration, no recovery, every write raises StateError. The file must
                exist and have this code's schema version.

        Raises:
            StateLockedError: Another process uses this database.
            StateError: The file cannot be created, is not a state database, is newer than this
                code, or a migration failed.
        """
        location = StateLocation.of(path)
        if read_only:
            return cls._open_read_only(location)
        if location.path is not None:
            prepare_private_database(location.path)  # 0700 folders, 0600 file, whatever umask
        lock: DatabaseLock | None = None
        engine: Engine | None = None
        try:
            if location.path is not None:
                lock = StateLock.acquire(lock_path(location.path), database=location.path)
            engine = create_state_engine(location)
            shared = shared and location.is_postgres
            if location.is_postgres:
                lock = AdvisoryLock.acquire(engine, database=str(location), shared=shared)
            with engine.begin() as conn:
                if location.is_postgres:  # daemons starting together migrate one at a time
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_KEY})
                _, version = migrate(conn, where=str(location))
                died = [] if shared else mark_died_runs(conn)
            return cls(location, engine, lock, version, died)
        except BaseException as exc:
            if lock is not None:
                lock.release()
            if engine is not None:
                engine.dispose()
            error = open_error(location, exc)
            if error is exc:
                raise
            raise error from exc

    @classmethod
    def _open_read_only(cls, location: StateLocation) -> Store:
        if location.path is not None and not location.path.is_file():
            raise NoStateError(f"no state database at {location} (no sync has run yet?)")
        engine = create_state_engine(location, read_only=True)
        try:
            with engine.connect() as conn:
                version = read_version(conn, where=str(location))
            if version == 0 and location.is_postgres:
                raise NoStateError(f"no state database at {location} (no sync has run yet?)")
            if version != SCHEMA_VERSION:
                raise StateError(
                    f"state database {location} has schema version {version} and this "
                    f"fin-ingestor reads version {SCHEMA_VERSION}; a sync (not read-only) or "
                    "`ingestor state migrate` migrates it"
                )
            return cls(location, engine, None, version, [])
        except BaseException as exc:
            engine.dispose()
            error = open_error(location, exc)
            if error is exc:
                raise
            raise error from exc

    @property
    def exclusive(self) -> bool:
        """True when this process is the database's only user (it holds the file's flock, or
        PostgreSQL's advisory lock exclusively): leases left by another instance are then
        stale, whatever their expiry says."""
        return self._lock is not None and self._lock.held and not self._lock.shared

    def lease_book(self, instance: str, period: float) -> LeaseBook:
        """The connector leases of daemon instance ``instance`` (see ``state._leases``)."""
        if self._lock is None:
            raise StateError(f"state database {self.path} is open read-only; leases refused")
        return LeaseBook(self._live_engine(), instance, period)

    def read_leases(self) -> tuple[dict[str, LeaseInfo], list[InstanceInfo]]:
        """The live leases by connector and the live instances, for ``ingestor status``."""
        book = LeaseBook(self._live_engine(), "", 1.0)
        with self._translated("reading the leases"):
            return book.live_leases(), book.live_instances()

    def retake_lock(self, connectors: Collection[str] = ()) -> list[int] | None:
        """PostgreSQL: take a new advisory lock if this store's was lost (its session ended,
        see :mod:`state._lock`), for work that starts now; views made earlier (:meth:`fenced`)
        keep the lost one and write nothing more. The runs of ``connectors`` left 'running'
        are then recorded as died (the caller vouches that none of them runs elsewhere: a
        daemon passes the connectors it holds leases of). Returns those runs' ids, or None
        when the lock was still held (nothing done).

        Raises:
            StateLockedError: Another process holds the lock now.
            StateError: The database cannot be reached.
        """
        if not isinstance(self._lock, AdvisoryLock):
            return None  # SQLite's flock lasts as long as the process; read-only holds none
        with self._write_lock, self._translated("taking the lock again"):
            lock = self._lock.retake(self._live_engine())
            if lock is None:
                return None
            self._lock = lock
            with self._live_engine().begin() as conn:
                return [
                    run
                    for name in connectors
                    for run in mark_connector_runs_died(conn, name, LOCK_LOST_ERROR)
                ]

    def fenced(self, guard: Callable[[], None]) -> Store:
        """A view of this store that calls ``guard`` before every write except finishing a
        run's own row, e.g. :meth:`state._leases.Lease.check`: a run whose lease is lost
        stops before it writes again. It shares this store's database; do not close it."""
        view = copy.copy(self)
        view._guard = guard
        return view

    def close(self) -> None:
        """Release the database and its lock; safe to call twice."""
        with self._write_lock:
            engine, self._engine = self._engine, None
            if self._lock is not None:
                self._lock.release()  # first: PostgreSQL's lock lives on a pooled connection
            if engine is not None:
                engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self._engine is not None else "closed"
        return f"<Store {self.location} schema v{self.schema_version} {state}>"

    def process_gone(self, pid: int | None) -> bool:
        """Whether a run recorded 'running' by process ``pid`` can no longer be running:
        SQLite: see :func:`state._lock.process_gone`; PostgreSQL: no session holds the
        database's lock (a live holder's 'running' run is its own: runs a dead process left
        'running' are marked 'died' when the next one takes the lock)."""
        if self.location.path is not None:
            return process_gone(self.location.path, pid)
        with self._reading("reading who holds the lock") as conn:
            return advisory_lock_free(conn)

    # -- plumbing ----------------------------------------------------------------------------

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        try:
            yield
        except (SQLAlchemyError, sqlite3.Error) as exc:
            reason = scrub_password(driver_reason(exc), self.location)
            raise StateError(f"state database {self.location}: {action} failed: {reason}") from exc

    def _live_engine(self) -> Engine:
        if self._engine is None:
            raise StateError(f"state database {self.location} is closed")
        return self._engine

    @contextmanager
    def _reading(self, action: str) -> Iterator[Connection]:
        with self._translated(action), self._live_engine().connect() as conn:
            yield conn

    @contextmanager
    def _writing(self, action: str, *, fenced: bool = True) -> Iterator[Connection]:
        if self._lock is None:
            raise StateError(f"state database {self.location} is open read-only; {action} refused")
        if fenced and self._guard is not None:
            self._guard()
        with self._write_lock, self._translated(action), self._live_engine().begin() as conn:
            self._lock.check(conn)  # PostgreSQL: the advisory lock's session may have ended
            yield conn


def _file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``; None when there is none."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino
