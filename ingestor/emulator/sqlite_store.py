"""The store on a SQLite file, so an emulator keeps its sources and pages across restarts."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ingestor.emulator.store import NewPage, PageRecord, SourceRecord, Store

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    sync_behavior TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_synced_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id INTEGER NOT NULL,
    external_id TEXT NOT NULL,
    title TEXT NOT NULL,
    html TEXT NOT NULL,
    url TEXT,
    ai_agent_availability INTEGER NOT NULL,
    ai_copilot_availability INTEGER NOT NULL,
    ai_sales_agent_availability INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_ingested_at INTEGER NOT NULL,
    UNIQUE (source_id, external_id)
);
"""

_SOURCE_COLUMNS = "id, url, status, sync_behavior, created_at, updated_at, last_synced_at"
_PAGE_COLUMNS = (
    "id, source_id, external_id, title, html, url, ai_agent_availability,"
    " ai_copilot_availability, ai_sales_agent_availability, created_at, updated_at,"
    " last_ingested_at"
)


def _source(row: tuple[Any, ...]) -> SourceRecord:
    return SourceRecord(*row)


def _page(row: tuple[Any, ...]) -> PageRecord:
    (page_id, source_id, external_id, title, html, url, agent, copilot, sales, *times) = row
    created_at, updated_at, last_ingested_at = times
    return PageRecord(
        id=page_id, source_id=source_id, external_id=external_id, title=title, html=html,
        url=url, ai_agent_availability=bool(agent), ai_copilot_availability=bool(copilot),
        ai_sales_agent_availability=bool(sales), created_at=created_at, updated_at=updated_at,
        last_ingested_at=last_ingested_at,
    )  # fmt: skip


def _walk(after_id: int, descending: bool) -> tuple[str, str, int]:
    """The WHERE, ORDER BY and bound of a listing (ids stay below 2**63, SQLite's maximum)."""
    if descending:
        return "id < ?", "id DESC", after_id or 2**63 - 1
    return "id > ?", "id", after_id


class SqliteStore(Store):
    """Sources and pages in a SQLite file (WAL; one connection owned by the event loop).

    Counts are kept in memory because this process is the database's only writer; that keeps
    ``COUNT(*)`` over 100,000 rows out of every list call.
    """

    def __init__(self, path: Path) -> None:
        """Open or create the database at ``path``.

        Raises:
            RuntimeError: The file cannot be opened or is not an emulator database.
        """
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The app is built in one thread and served from the event loop's thread.
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise RuntimeError(f"cannot open emulator database {path}: {exc}") from exc
        try:
            self._check_schema()
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._page_count = self._scalar("SELECT COUNT(*) FROM pages")
            self._source_count = self._scalar("SELECT COUNT(*) FROM sources")
        except sqlite3.Error as exc:
            self._db.close()
            raise RuntimeError(f"cannot open emulator database {path}: {exc}") from exc
        except RuntimeError:
            self._db.close()
            raise

    def _check_schema(self) -> None:
        version = self._scalar("PRAGMA user_version")
        tables = {
            name
            for (name,) in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if version == SCHEMA_VERSION or (version == 0 and not tables):
            return
        raise RuntimeError(
            f"{self.path} is not an emulator database (schema version {version},"
            f" tables {sorted(tables)}); point db_path at a new file"
        )

    def _scalar(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        row = self._db.execute(sql, params).fetchone()
        return int(row[0])

    def add_source(self, *, url: str, status: str, sync_behavior: str, now: int) -> SourceRecord:
        cursor = self._db.execute(
            "INSERT INTO sources (url, status, sync_behavior, created_at, updated_at,"
            " last_synced_at) VALUES (?, ?, ?, ?, ?, ?)",
            (url, status, sync_behavior, now, now, now),
        )
        self._source_count += 1
        assert cursor.lastrowid is not None
        return SourceRecord(cursor.lastrowid, url, status, sync_behavior, now, now, now)

    def source(self, source_id: int) -> SourceRecord | None:
        row = self._db.execute(
            f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE id = ?", (source_id,)
        ).fetchone()
        return None if row is None else _source(row)

    def save_source(self, source: SourceRecord) -> None:
        self._db.execute(
            "UPDATE sources SET url = ?, status = ?, sync_behavior = ?, created_at = ?,"
            " updated_at = ?, last_synced_at = ? WHERE id = ?",
            (
                source.url, source.status, source.sync_behavior, source.created_at,
                source.updated_at, source.last_synced_at, source.id,
            ),
        )  # fmt: skip

    def remove_source(self, source_id: int) -> int:
        with self._transaction():
            if not self._db.execute("DELETE FROM sources WHERE id = ?", (source_id,)).rowcount:
                return 0
            removed = self._db.execute("DELETE FROM pages WHERE source_id = ?", (source_id,))
        self._source_count -= 1
        self._page_count -= removed.rowcount
        return removed.rowcount

    def list_sources(
        self, *, after_id: int, offset: int, limit: int, descending: bool = False
    ) -> list[SourceRecord]:
        where, order, bound = _walk(after_id, descending)
        rows = self._db.execute(
            f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE {where} ORDER BY {order}"
            " LIMIT ? OFFSET ?",
            (bound, limit, offset),
        )
        return [_source(row) for row in rows]

    def source_count(self) -> int:
        return self._source_count

    def add_page(self, page: NewPage) -> PageRecord:
        values = (
            page.source_id, page.external_id, page.title, page.html, page.url,
            page.ai_agent_availability, page.ai_copilot_availability,
            page.ai_sales_agent_availability, page.created_at, page.updated_at,
            page.last_ingested_at,
        )  # fmt: skip
        cursor = self._db.execute(
            f"INSERT INTO pages ({_PAGE_COLUMNS.removeprefix('id, ')})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        self._page_count += 1
        assert cursor.lastrowid is not None
        return PageRecord.stored(page, cursor.lastrowid)

    def page(self, page_id: int) -> PageRecord | None:
        row = self._db.execute(
            f"SELECT {_PAGE_COLUMNS} FROM pages WHERE id = ?", (page_id,)
        ).fetchone()
        return None if row is None else _page(row)

    def page_by_external_id(self, source_id: int, external_id: str) -> PageRecord | None:
        row = self._db.execute(
            f"SELECT {_PAGE_COLUMNS} FROM pages WHERE source_id = ? AND external_id = ?",
            (source_id, external_id),
        ).fetchone()
        return None if row is None else _page(row)

    def save_page(self, page: PageRecord) -> None:
        self._db.execute(
            "UPDATE pages SET title = ?, html = ?, url = ?, ai_agent_availability = ?,"
            " ai_copilot_availability = ?, ai_sales_agent_availability = ?, updated_at = ?,"
            " last_ingested_at = ? WHERE id = ?",
            (
                page.title, page.html, page.url, page.ai_agent_availability,
                page.ai_copilot_availability, page.ai_sales_agent_availability, page.updated_at,
                page.last_ingested_at, page.id,
            ),
        )  # fmt: skip

    def remove_page(self, page_id: int) -> PageRecord | None:
        # fetchall(): the statement must finish so that autocommit ends the write.
        rows = self._db.execute(
            f"DELETE FROM pages WHERE id = ? RETURNING {_PAGE_COLUMNS}", (page_id,)
        ).fetchall()
        if not rows:
            return None
        self._page_count -= 1
        return _page(rows[0])

    def list_pages(
        self, *, after_id: int, offset: int, limit: int, descending: bool = False
    ) -> list[PageRecord]:
        where, order, bound = _walk(after_id, descending)
        rows = self._db.execute(
            f"SELECT {_PAGE_COLUMNS} FROM pages WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            (bound, limit, offset),
        )
        return [_page(row) for row in rows]

    def page_count(self) -> int:
        return self._page_count

    def clear(self) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM pages")
            self._db.execute("DELETE FROM sources")
        self._page_count = 0
        self._source_count = 0

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> sqlite3.Connection:
        # In autocommit mode the connection's context manager does not BEGIN; do it here.
        self._db.execute("BEGIN")
        return self._db
