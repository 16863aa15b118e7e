"""Prebuilt statements and row-to-record conversion for the store (hot paths live here)."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, CursorResult, Row, Table, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.util.typing import TupleAny, Unpack

from ingestor.state._records import (
    EXCLUDED_HASH,
    SKIPPED_HASH,
    PageRecord,
    RunCounts,
    RunRecord,
    SourceRecord,
)
from ingestor.state._tables import (
    from_db_time,
    pages_table,
    reconciles_table,
    runs_table,
    sources_table,
)

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

__all__ = [
    "COUNTER_NAMES",
    "LOCK_LOST_ERROR",
    "PAGE_COLUMNS",
    "PAGE_INDEX_SQL",
    "RECORD_AUDIENCE_SQL",
    "RECORD_UNCHANGED_SQL",
    "SYNC_ENTRY_SQL",
    "SYNC_INDEX_SQL",
    "dialect_insert",
    "died_error",
    "driver_text",
    "epoch",
    "mark_connector_runs_died",
    "mark_died_runs",
    "page_index_from_rows",
    "page_record",
    "record_failure_sql",
    "run_driver_sql",
    "run_record",
    "save_source_sql",
    "source_record",
    "unsent_row",
    "upsert_page_sql",
]

_pages = pages_table
_runs = runs_table
_sources = sources_table
PAGE_COLUMNS = [_pages.c[name] for name in PageRecord.__dataclass_fields__]
COUNTER_NAMES = tuple(RunCounts.__dataclass_fields__)


def dialect_insert(table: Table, dialect: str) -> sqlite.Insert | postgresql.Insert:
    """An INSERT with ``on_conflict_do_update`` from the database's own dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # ~2 MB: only where it is used

        return insert(table)
    return sqlite.insert(table)


@cache
def upsert_page_sql(dialect: str) -> sqlite.Insert | postgresql.Insert:
    """Insert or replace a whole pages row."""
    insert = dialect_insert(_pages, dialect)
    return insert.on_conflict_do_update(
        index_elements=[_pages.c.connector, _pages.c.external_id],
        set_={
            name: insert.excluded[name]
            for name in (
                *PageRecord.__dataclass_fields__,
                *("broken_links", "parent", "audience", "audience_rule", "gate_reason"),
                "hidden_at",  # any write of a whole page (restored, withheld, skipped) unhides it
                "sent_digest",  # a page sent without it, or taken out, loses it
            )
            if name not in ("connector", "external_id")
        },
    )


@cache
def record_failure_sql(dialect: str) -> sqlite.Insert | postgresql.Insert:
    """Count a failure of a page (a row for a page never recorded before)."""
    insert = dialect_insert(_pages, dialect)
    return insert.on_conflict_do_update(
        index_elements=[_pages.c.connector, _pages.c.external_id],
        set_={
            "last_error": insert.excluded.last_error,
            "failed_at": insert.excluded.failed_at,
            "error_count": _pages.c.error_count + 1,
        },
    )


@cache
def save_source_sql(dialect: str) -> sqlite.Insert | postgresql.Insert:
    """Insert or update a connector's Content Import Source."""
    insert = dialect_insert(_sources, dialect)
    return insert.on_conflict_do_update(
        index_elements=[_sources.c.connector],
        set_={"source_id": insert.excluded.source_id, "url": insert.excluded.url},
    )


@cache
def driver_text(sql: str, dialect: str) -> str:
    """One of the raw statements below in the driver's placeholder style (``?`` is
    pysqlite's, ``%s`` psycopg's; none of them holds a literal ``?`` or ``%``)."""
    return sql.replace("?", "%s") if dialect == "postgresql" else sql


def run_driver_sql(conn: Connection, sql: str, params: Any) -> CursorResult[Unpack[TupleAny]]:
    """Run a raw statement below (one parameter tuple, or a list of them for executemany)."""
    return conn.exec_driver_sql(driver_text(sql, conn.dialect.name), params)


# Hot paths run these on the driver directly: no per-row type processing, 5-10x faster.
PAGE_INDEX_SQL = (
    f"SELECT {', '.join(c.name for c in PAGE_COLUMNS)} FROM {_pages.name} WHERE connector = ?"
)
#: What the version gate reads of every page; :data:`SYNC_ENTRY_SQL` reads the rest of one.
SYNC_INDEX_SQL = (
    "SELECT external_id, version, intercom_id IS NOT NULL, "
    f"content_hash IN ('{SKIPPED_HASH}', '{EXCLUDED_HASH}'), parent, hidden_at "
    f"FROM {_pages.name} WHERE connector = ?"
)
SYNC_ENTRY_SQL = (
    f"SELECT version, content_hash, intercom_id, parent, hidden_at FROM {_pages.name} "
    "WHERE connector = ? AND external_id = ?"
)
RECORD_UNCHANGED_SQL = (
    f"UPDATE {_pages.name} SET version = ?, last_synced_at = ?, last_error = NULL, "
    "error_count = 0, failed_at = NULL WHERE connector = ? AND external_id = ?"
)
#: The rule that gave an unchanged page its (unchanged) audience may have been renamed or moved.
RECORD_AUDIENCE_SQL = (
    f"UPDATE {_pages.name} SET audience = ?, audience_rule = ? "
    "WHERE connector = ? AND external_id = ?"
)


def unsent_row(
    connector: str, external_id: str, version: str | None, content_hash: str
) -> dict[str, Any]:
    """A pages row for a page read but not in Intercom (skipped, excluded or held)."""
    return {
        "connector": connector,
        "external_id": external_id,
        "version": version,
        "content_hash": content_hash,
        "intercom_id": None,
        "title": None,
        "url": None,
        "last_synced_at": datetime.now(UTC),
        "last_error": None,
        "error_count": 0,
        "failed_at": None,
        "broken_links": None,
        "parent": None,
        "audience": None,
        "audience_rule": None,
        "gate_reason": None,
        "sent_digest": None,
    }


def epoch(value: datetime | str | None) -> float | None:
    """A stored time (datetime from Core, ISO text from the driver) as Unix seconds."""
    if value is None:
        return None
    if isinstance(value, str):
        value = from_db_time(value)
    return value.timestamp()


def source_record(row: Sequence[Any]) -> SourceRecord:
    """A full sources row as a record."""
    connector, source_id, url, created_at = row
    created = epoch(created_at)
    assert created is not None  # NOT NULL column
    return SourceRecord(connector, source_id, url, created)


def page_record(row: Sequence[Any]) -> PageRecord:
    """A pages row (selected as PAGE_COLUMNS) as a record."""
    (connector, external_id, version, content_hash, intercom_id, title, url) = row[:7]
    last_synced_at, last_error, error_count, failed_at = row[7:]
    return PageRecord(
        connector,
        external_id,
        version,
        content_hash,
        intercom_id,
        title,
        url,
        epoch(last_synced_at),
        last_error,
        error_count,
        epoch(failed_at),
    )


def run_record(row: Row[Any]) -> RunRecord:
    """A full runs row as a record."""
    values = row._mapping
    return RunRecord(
        id=values["id"],
        connector=values["connector"],
        started_at=epoch(values["started_at"]) or 0.0,
        finished_at=epoch(values["finished_at"]),
        status=values["status"],
        dry_run=values["dry_run"],
        counts=RunCounts(**{name: values[name] for name in COUNTER_NAMES}),
        error=values["error"],
        rule_counts=json.loads(values["rule_counts"]) if values["rule_counts"] else {},
        pid=values["pid"],
    )


def page_index_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, PageRecord]:
    """Raw driver rows of :data:`PAGE_INDEX_SQL` as records by external id."""
    # 100,000 new objects would trigger many cyclic-GC passes over the whole heap, for nothing:
    # records hold no cycles. Pausing the collector halves the time.
    paused = gc.isenabled()
    gc.disable()
    try:
        index: dict[str, PageRecord] = {}
        for row in rows:
            connector, external_id, version, content_hash, intercom_id, title, url = row[:7]
            synced_at, last_error, error_count, failed_at = row[7:]
            index[external_id] = PageRecord(
                connector,
                external_id,
                version,
                content_hash,
                intercom_id,
                title,
                url,
                epoch(synced_at),
                last_error,
                error_count,
                epoch(failed_at),
            )
        return index
    finally:
        if paused:
            gc.enable()


def died_error(pid: int | None) -> str:
    """The error recorded on a run whose process ended without finishing it."""
    who = "the process" if pid is None else f"process {pid}"
    return f"{who} ended before this run finished (killed?); the next sync converges"


#: The error recorded on a run cut short by a lost PostgreSQL lock, in a process still alive.
LOCK_LOST_ERROR = (
    "stopped when this process lost its lock on the state database (its PostgreSQL session "
    "ended); the next sync converges"
)


def mark_connector_runs_died(
    conn: Connection, connector: str, error: str | None = None
) -> list[int]:
    """Mark ``connector``'s runs (and reconciles) still 'running' as 'died'; call only in the
    transaction that took its lease over from an instance whose lease ran out (only the owner
    runs a connector, so those rows are the dead owner's), or that took a lost lock again
    (``error`` then says so). Returns the runs' ids."""
    return _mark_died(conn, connector, error)


def mark_died_runs(conn: Connection) -> list[int]:
    """Mark runs (and reconciles) still 'running' as 'died'; call only while holding the
    store's lock, which makes a 'running' row a dead process's. Returns the runs' ids."""
    return _mark_died(conn, None)


def _mark_died(conn: Connection, connector: str | None, error: str | None = None) -> list[int]:
    """Runs and reconciles still 'running' (of ``connector``, or all) recorded as 'died', with
    ``error`` (default: their process ended) unless they hold one."""
    reconciles = reconciles_table.c.status == "running"
    runs = _runs.c.status == "running"
    if connector is not None:
        reconciles = reconciles & (reconciles_table.c.connector == connector)
        runs = runs & (_runs.c.connector == connector)
    conn.execute(reconciles_table.update().where(reconciles).values(status="died"))
    rows = list(conn.execute(select(_runs.c.id, _runs.c.pid).where(runs)))
    for run_id, pid in rows:
        conn.execute(
            _runs.update()
            .where(_runs.c.id == run_id)
            .values(status="died", error=func.coalesce(_runs.c.error, error or died_error(pid)))
        )
    return [run_id for run_id, _ in rows]
