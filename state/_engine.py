"""SQLAlchemy engine for the state file: WAL, synchronous=NORMAL, busy timeout, real BEGINs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

from ingestor.errors import StateError

__all__ = ["BUSY_TIMEOUT_SECONDS", "create_state_engine", "driver_reason"]

BUSY_TIMEOUT_SECONDS = 10.0


def create_state_engine(path: Path, *, read_only: bool = False) -> Engine:
    """An engine whose connections are set up for the state database at ``path``.

    Args:
        path: Absolute path of the database file.
        read_only: Open with SQLite's ``mode=ro``: any write fails, and a missing file is an
            error instead of being created.
    """
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


def driver_reason(exc: BaseException) -> str:
    """The driver's message for a database error (SQLAlchemy's repeats SQL and parameters)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig)
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
