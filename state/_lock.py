"""One process per state database, behind :class:`DatabaseLock`.

SQLite: an exclusive ``flock`` on ``<database>.lock``. The kernel drops an flock when its
holder exits, however it exits (SIGKILL included), so a stale lock file never blocks anyone;
the pid written inside only makes the error message useful.

PostgreSQL (:class:`AdvisoryLock`): a file lock means nothing to a server database used from
several machines, so the lock is a session-level ``pg_try_advisory_lock`` held by a dedicated
connection. The server drops it when that session ends: a clean release, the process's exit
or death (its socket closes), or the server's TCP keepalive noticing a vanished host. Daemons,
which share a PostgreSQL state through per-connector leases (``state._leases``), hold it
*shared*: any number of them at once, while a command that needs the database to itself
(``sync`` without a daemon, ``state copy``, ``prune``...) holds it exclusively.

A session can also end under a live holder: the server restarts or fails over, or an
administrator terminates the backend (``pg_terminate_backend``). The pool's other connections
reconnect, so the holder would go on writing a database it no longer owns while another
process takes the lock. So every write transaction first checks, on its own connection (the
server the write goes to, a promoted standby included), that the lock's session still holds
the lock (:meth:`AdvisoryLock.check`): once it does not, the lock is lost for good and that
write and every later one raise StateError. It is never taken again behind the run's back:
another writer may have changed the state in between, so only a new run (the daemon's next
one, :meth:`AdvisoryLock.retake`) takes a new lock.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from ingestor.errors import StateError, StateLockedError

__all__ = [
    "MIGRATE_KEY",
    "STATE_LOCK_KEY",
    "AdvisoryLock",
    "DatabaseLock",
    "StateLock",
    "advisory_lock_free",
    "lock_path",
    "process_gone",
]

#: How long a refused advisory lock is retried while its holder is known to be gone: the server
#: frees a killed client's lock only once its backend has read the closed socket and exited.
DEAD_HOLDER_GRACE = 5.0

#: The advisory lock key of "the whole state database" (an arbitrary constant; other keys are
#: free for finer-grained locks such as per-connector leases).
STATE_LOCK_KEY = 0x66696E5F73746174  # "fin_stat"
#: The transaction-level advisory lock key that serialises migrations on PostgreSQL.
MIGRATE_KEY = 0x66696E5F6D696772  # "fin_migr"


class DatabaseLock(Protocol):
    """What a store holds while it may write: freed by release or process death; exclusive
    unless ``shared`` (daemons sharing a PostgreSQL state)."""

    shared: bool

    @property
    def held(self) -> bool:
        """True until released (or, PostgreSQL, found lost: see :meth:`check`)."""
        ...

    def release(self) -> None:
        """Free the lock; safe to call twice."""
        ...

    def check(self, conn: Connection) -> None:
        """Raise StateError unless the lock is still held: called in each write transaction
        (``conn``) before it writes."""
        ...


class StateLock:
    """An acquired lock; :meth:`release` (or process exit) frees it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd
        self.shared = False  # an flock here is always exclusive

    @classmethod
    def acquire(cls, path: Path, *, database: Path) -> StateLock:
        """Take the lock at ``path`` without waiting.

        Raises:
            StateLockedError: Another process (or another Store in this one) holds it.
            StateError: The lock file cannot be created.
        """
        try:
            # O_CLOEXEC: programs the daemon starts must not inherit (and keep) the lock.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StateError(f"cannot create lock file {path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise StateLockedError(
                f"state database {database} is in use by {who} (lock file {path}); "
                "run one fin-ingestor per state database"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StateError(f"cannot lock {path}: {exc.strerror or exc}") from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(path, fd)

    @property
    def held(self) -> bool:
        """True until released."""
        return self._fd is not None

    def check(self, conn: Connection) -> None:
        """An flock lasts as long as this process: nothing to check."""

    def release(self) -> None:
        """Free the lock; safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # no stale pid for the next reader
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def lock_path(database: Path) -> Path:
    """The lock file of a state database."""
    return database.with_name(database.name + ".lock")


def process_gone(database: Path, pid: int | None) -> bool:
    """Whether a run recorded 'running' by process ``pid`` can no longer be running: nobody
    holds the database's lock (its file names no live holder: a clean release empties it, a
    dead holder's flock went with it), or ``pid`` itself is gone. Reads only; never locks, so
    it cannot get in the way of a sync starting. Pids are those of this pid namespace: run
    ``status`` where the syncs run (the same host or container)."""
    try:
        with open(lock_path(database), "rb") as file:
            text = file.read(32).decode("ascii", "replace").strip()
    except FileNotFoundError:
        return True
    except OSError:
        return False  # cannot tell: say nothing rather than call a live run dead
    holder = int(text) if text.isdigit() else None
    return holder is None or not _alive(holder) or (pid is not None and not _alive(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    """A zombie (dead, not yet reaped by its parent) answers kill(0) but runs nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # not Linux, or gone just now: kill(0) said alive
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on a connection of its own."""

    def __init__(self, conn: Connection, key: int, *, database: str = "") -> None:
        self._conn: Connection | None = conn
        self.key = key
        #: Held shared (with other daemons), not exclusively.
        self.shared = False
        #: The database as messages show it (password redacted).
        self.database = database
        #: The holding session: its backend pid and the server's start time (a pid means
        #: nothing on another server, a restarted or promoted one).
        self.session: tuple[int, datetime] | None = None
        self._lost = False

    @classmethod
    def acquire(
        cls, engine: Engine, *, database: str, key: int = STATE_LOCK_KEY, shared: bool = False
    ) -> AdvisoryLock:
        """Take the lock without waiting.

        Args:
            engine: The database's engine; one of its connections is kept for the lock.
            database: The database as messages show it (password redacted).
            key: The advisory lock key.
            shared: Take it shared (daemons sharing the state through leases).

        Raises:
            StateLockedError: Another session (process) holds it in a conflicting mode.
        """
        conn = engine.connect()
        try:
            # autocommit: the lock belongs to the session, not to a transaction
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            _take_advisory(conn, key, shared=shared, database=database)
            row = conn.execute(_SESSION_SQL).one()
        except BaseException:
            conn.close()
            raise
        lock = cls(conn, key, database=database)
        lock.shared = shared
        lock.session = (int(row[0]), row[1])
        return lock

    @property
    def held(self) -> bool:
        """True until released, or until a write found the lock lost."""
        return self._conn is not None and not self._lost

    def check(self, conn: Connection) -> None:
        """Raise StateError unless this lock's session still holds it on the server ``conn``
        talks to: one small query in the write transaction, before the write.

        Raises:
            StateError: The session ended (server restart or failover, backend terminated),
                now or before: the lock is lost for good and no write may go on.
        """
        if self._conn is not None and not self._lost and self.session is not None:
            pid, started = self.session
            params = {"key": _as_listed(self.key), "pid": pid, "started": started}
            if conn.execute(_STILL_HELD_SQL, params).scalar():
                return
            self._lost = True
        if self._lost:
            raise StateError(
                f"state database {self.database}: this process lost its lock on the state "
                "database: its PostgreSQL session ended (the server restarted or failed over, "
                "or the session was terminated), and another fin-ingestor may be writing now; "
                "the run stops without writing anything more, and the next run resumes "
                "where it stopped"
            )
        raise StateError(f"state database {self.database}: its lock was released")

    def retake(self, engine: Engine) -> AdvisoryLock | None:
        """A new lock of the same key and mode when this one is lost (checked now on a
        connection of ``engine``), else None. The caller swaps it in for work that starts
        after it; work begun under this lock keeps failing its check.

        Raises:
            StateLockedError: Another process holds the lock now (in a conflicting mode).
            SQLAlchemyError: The database cannot be reached.
        """
        if self.held:
            try:
                with engine.begin() as conn:
                    self.check(conn)
                return None
            except StateError:
                pass  # lost: take a new one
        if self._conn is None and not self._lost:
            return None  # released on purpose: nothing to retake
        self.release()
        key, shared = self.key, self.shared
        return AdvisoryLock.acquire(engine, database=self.database, key=key, shared=shared)

    def release(self) -> None:
        """Free the lock and its connection; safe to call twice."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            function = "pg_advisory_unlock_shared" if self.shared else "pg_advisory_unlock"
            conn.execute(text(f"SELECT {function}(:key)"), {"key": self.key})
        except SQLAlchemyError:
            pass  # the session is gone, and its lock with it
        finally:
            conn.close()


_SESSION_SQL = text("SELECT pg_backend_pid(), pg_postmaster_start_time()")

#: The granted advisory lock ``:key`` on this database, as a condition on ``pg_locks l``.
_GRANTED_KEY = (
    "l.locktype = 'advisory' AND l.granted AND l.database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
)
#: Whether the lock's session still holds it, asked of the server a write goes to. pg_locks
#: shows a session-level advisory lock of a bigint key as classid (high half), objid (low
#: half), objsubid 1.
_STILL_HELD_SQL = text(
    "SELECT pg_postmaster_start_time() = :started AND EXISTS (SELECT 1 FROM pg_locks l "
    f"WHERE {_GRANTED_KEY} AND l.pid = :pid AND l.objsubid = 1)"
)
_HOLDER_SQL = text(
    "SELECT a.application_name, a.client_addr FROM pg_locks l "
    f"JOIN pg_stat_activity a ON a.pid = l.pid WHERE {_GRANTED_KEY}"
)


def _as_listed(key: int) -> int:
    """``key`` as pg_locks rebuilds it from classid and objid: unsigned 64 bits."""
    return key & 0xFFFFFFFFFFFFFFFF


def _take_advisory(conn: Connection, key: int, *, shared: bool, database: str) -> None:
    """Take ``key`` on ``conn``, waiting only while the holder is a process known to be gone."""
    function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    deadline = time.monotonic() + DEAD_HOLDER_GRACE
    while True:
        if conn.execute(text(f"SELECT {function}(:key)"), {"key": key}).scalar():
            return
        holder = conn.execute(_HOLDER_SQL, {"key": _as_listed(key)}).first()
        gone = holder is None or _holder_gone_here(holder[0])
        if not gone or time.monotonic() >= deadline:
            raise StateLockedError(
                f"state database {database} is in use by {_describe_holder(holder)}; "
                "run one fin-ingestor per state database (daemons may share one)"
            )
        time.sleep(0.05)


_APPLICATION_NAME = re.compile(r"fin-ingestor pid (\d+) on (.+)")


def _holder_gone_here(application_name: str | None) -> bool:
    """Whether the holder is a fin-ingestor of this host whose process has ended."""
    match = _APPLICATION_NAME.fullmatch(application_name or "")
    if match is None or match[2] != socket.gethostname()[: len(match[2])]:
        return False
    return not _alive(int(match[1]))


def _describe_holder(row: Sequence[Any] | None) -> str:
    if row is None:
        return "another process"
    name, address = row
    return f"{name or 'another process'}" + (f" at {address}" if address else "")


def advisory_lock_free(conn: Connection, key: int = STATE_LOCK_KEY) -> bool:
    """Whether no session holds the advisory lock ``key`` (reads ``pg_locks``; never locks)."""
    return conn.execute(_HOLDER_SQL, {"key": _as_listed(key)}).first() is None
