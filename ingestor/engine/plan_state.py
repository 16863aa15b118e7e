"""The state a plan reads: never written, never locked, so a plan runs beside a daemon."""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ingestor.errors import StateError
from ingestor.state import SCHEMA_VERSION, StateLocation, Store

__all__ = ["reading_store"]


@contextlib.contextmanager
def reading_store(path: Path | str) -> Iterator[Store]:
    """The state database at ``path`` for reading only (no lock: a daemon may hold it).

    Before the first sync there is no database: the plan reads an empty one made in a
    temporary folder. A database of an older schema (just after an upgrade) is copied to a
    temporary folder and the copy migrated, so that planning never changes the real state;
    on PostgreSQL, ``ingestor state migrate`` has to run first.

    Raises:
        StateError: The database cannot be read, or is newer than this code.
    """
    location = StateLocation.of(path)
    if location.path is None:
        with _server_store(location) as store:
            yield store
        return
    path = location.path
    if not path.exists():
        with _temporary_store(None) as empty:
            yield empty
        return
    try:
        store = Store.open(path, read_only=True)
    except StateError:
        if not _older_schema(path):
            raise
        with _temporary_store(path) as migrated:
            yield migrated
        return
    with store:
        yield store


@contextlib.contextmanager
def _server_store(location: StateLocation) -> Iterator[Store]:
    try:
        store = Store.open(location, read_only=True)
    except StateError as exc:
        if "no sync has run yet" not in str(exc):
            raise
        with _temporary_store(None) as empty:
            yield empty
        return
    with store:
        yield store


@contextlib.contextmanager
def _temporary_store(copy_of: Path | None) -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="fin-ingestor-plan-") as folder:
        target = Path(folder) / "state.db"
        if copy_of is not None:
            with _reader(copy_of) as source, contextlib.closing(sqlite3.connect(target)) as dest:
                source.backup(dest)
        with Store.open(target) as store:
            yield store


def _reader(path: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True))


def _older_schema(path: Path) -> bool:
    """True when ``path`` is a state database of an older schema version than this code's."""
    try:
        with _reader(path) as conn:
            row = conn.execute("SELECT schema_version FROM meta WHERE id = 1").fetchone()
    except sqlite3.Error:
        return False
    return row is not None and int(row[0]) < SCHEMA_VERSION
