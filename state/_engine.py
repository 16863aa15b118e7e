"""SQLAlchemy engines for the state database: an SQLite file (WAL, synchronous=NORMAL, busy
timeout, real BEGINs) or a PostgreSQL database (psycopg 3), chosen by :class:`StateLocation`."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from ingestor.errors import StateError

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "StateLocation",
    "create_state_engine",
    "driver_reason",
    "open_error",
    "redact_url",
    "scrub_password",
]

BUSY_TIMEOUT_SECONDS = 10.0
_POSTGRES_SCHEMES = ("postgresql", "postgres")


def redact_url(url: str | URL) -> str:
    """``url`` with its password (if any) replaced by ``***``: what messages may show."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return "<a database URL that does not parse>"
    return parsed.render_as_string(hide_password=True)


@dataclass(frozen=True)
class StateLocation:
    """Where a state database lives: an SQLite file (``path``) or a PostgreSQL URL (``url``)."""

    path: Path | None = None
    url: URL | None = None

    @classmethod
    def of(cls, where: Path | str | StateLocation) -> StateLocation:
        """A location from a file path, ``sqlite:///<path>``, or ``postgresql://...``.

        Raises:
            StateError: A URL of another kind, or one that does not parse (password redacted).
        """
        if isinstance(where, StateLocation):
            return where
        if isinstance(where, Path):
            return cls(path=where.expanduser().absolute())
        if "://" not in where:
            return cls(path=Path(where).expanduser().absolute())
        try:
            url = make_url(where)
        except (ArgumentError, ValueError):  # the reason may quote the URL: not shown
            raise StateError(
                "the state URL is not a database URL "
                "(postgresql://user:password@host:5432/database)"
            ) from None
        scheme, _, driver = url.drivername.partition("+")
        if scheme == "sqlite":
            if not url.database:
                raise StateError("an sqlite:/// state URL needs a file path (sqlite:///state.db)")
            return cls(path=Path(url.database).expanduser().absolute())
        if scheme in _POSTGRES_SCHEMES:
            if driver not in ("", "psycopg", "psycopg2"):  # psycopg 3 is the one installed
                raise StateError(f"{redact_url(url)}: use postgresql:// (the psycopg 3 driver)")
            return cls(url=url.set(drivername="postgresql+psycopg"))
        raise StateError(
            f"{redact_url(url)}: the state database is an SQLite file (sqlite:///path) or "
            "PostgreSQL (postgresql://user:password@host:5432/database)"
        )

    @property
    def is_postgres(self) -> bool:
        """True for a PostgreSQL database."""
        return self.url is not None

    def __str__(self) -> str:
        """For messages: the file, or the URL without its password."""
        return str(self.path) if self.url is None else redact_url(self.url)


def create_state_engine(location: Path | StateLocation, *, read_only: bool = False) -> Engine:
    """An engine whose connections are set up for the state database at ``location``.

    Args:
        location: The SQLite file (absolute path) or a PostgreSQL location.
        read_only: SQLite: open with ``mode=ro`` (any write fails, and a missing file is an
            error instead of being created). PostgreSQL: read-only transactions.
    """
    location = StateLocation.of(location)
    if location.url is not None:
        return _postgres_engine(location.url, read_only=read_only)
    assert location.path is not None
    path = location.path
    if read_only:
        url = URL.create("sqlite", database=path.as_uri(), query={"mode": "ro", "uri": "true"})
    else:
        url = URL.create("sqlite", database=str(path))
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
    )
    if read_only:
        event.listen(engine, "connect", _on_connect_read_only)
    else:
        event.listen(engine, "connect", lambda conn, record: _on_connect(conn, path))
    event.listen(engine, "begin", _on_begin)
    return engine


def _postgres_engine(url: URL, *, read_only: bool) -> Engine:
    # pool_pre_ping: a server restart or a proxy's idle timeout leaves dead pooled
    # connections; the ping replaces them instead of failing the next write.
    options = "-c default_transaction_read_only=on" if read_only else ""
    connect_args: dict[str, Any] = {
        "connect_timeout": int(BUSY_TIMEOUT_SECONDS),
        # who holds the state lock, as pg_stat_activity shows it (see state._lock)
        "application_name": f"fin-ingestor pid {os.getpid()} on {socket.gethostname()}"[:63],
    }
    if options:
        connect_args["options"] = options
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=4,
        max_overflow=8,
        connect_args=connect_args,
        hide_parameters=True,
    )


def driver_reason(exc: BaseException) -> str:
    """The driver's message for a database error (SQLAlchemy's repeats SQL and parameters)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig).strip()
    return str(exc)


def _on_connect(dbapi_connection: Any, path: Path) -> None:
    # Autocommit at the driver; SQLAlchemy's "begin" event issues BEGIN, so that DDL
    # (migrations) is transactional too, which pysqlite's implicit transactions are not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()
        if not mode or str(mode[0]).lower() != "wal":
            # e.g. some network filesystems: WAL needs shared memory on the same host
            raise StateError(f"state database {path}: cannot switch to WAL mode (got {mode!r})")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _on_connect_read_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")


def _on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def open_error(location: StateLocation, exc: BaseException) -> BaseException:
    """What :meth:`Store.open` raises for ``exc``: database errors become StateError."""
    if isinstance(exc, SQLAlchemyError | sqlite3.Error):
        if location.is_postgres:
            reason = scrub_password(driver_reason(exc), location)
            return StateError(f"cannot open state database {location}: {reason}")
        assert location.path is not None
        reason = driver_reason(exc)
        advice = _sqlite_advice(location.path, reason)
        return StateError(f"cannot open state database {location}: {reason}{advice}")
    return exc


#: Words of SQLite's messages for a file that is not (or no longer) a sound database.
_DAMAGE_WORDS = ("not a database", "malformed", "corrupt")


def _sqlite_advice(path: Path, reason: str) -> str:
    """What to do about an SQLite open error. Moving the file aside costs a full re-send of
    every page, so it is advised only for a damaged file, never for a lock or a permission."""
    lowered = reason.lower()
    if "locked" in lowered or "busy" in lowered:
        return (
            ". Another program holds a lock inside the file (an sqlite3 shell, a backup or "
            "copy tool); close it, then run this again"
        )
    unwritable = _unwritable_part(path)
    if unwritable is not None:
        return f". {unwritable}; the user running fin-ingestor must be able to write it"
    if any(word in lowered for word in _DAMAGE_WORDS):
        return ". If the file is damaged, move it aside: the next sync re-sends every page once."
    return ""


def _unwritable_part(path: Path) -> str | None:
    """The first of the database's folder, file, ``-wal`` and ``-shm`` that this process may
    not write (SQLite needs all of them), described with its mode and owner; None if none."""
    for part in (path.parent, path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
        try:
            info = part.stat()
        except OSError:
            continue  # missing: SQLite creates it when the folder is writable
        if os.access(part, os.W_OK | (os.X_OK if part.is_dir() else 0)):
            continue
        kind = "folder" if part.is_dir() else "file"
        read_only_fs = bool(os.statvfs(part).f_flag & os.ST_RDONLY)
        why = (
            "its file system is mounted read-only"
            if read_only_fs
            else f"mode {stat.S_IMODE(info.st_mode):04o}, owner uid {info.st_uid}"
        )
        return f"The {kind} {part} is not writable by this user (uid {os.geteuid()}; {why})"
    return None


def scrub_password(message: str, location: StateLocation) -> str:
    """A driver's message with the URL's password blotted out, should it quote it."""
    password = location.url.password if location.url is not None else None
    return message.replace(str(password), "***") if password else message
