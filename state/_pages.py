"""What the store reads and writes of pages: the indexes a sync starts from, and the outcome of
each page (sent, skipped, withheld, unchanged, failed, hidden, deleted), each its own short
transaction. A base of :class:`state.Store`, kept apart to keep that module small; the store
supplies ``_writing`` and ``_reading``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection

from ingestor.state._bookkeeping import _clip, _utcnow
from ingestor.state._index import SyncIndex
from ingestor.state._records import (
    EXCLUDED_HASH,
    HELD_HASH,
    SKIPPED_HASH,
    PageRecord,
    SyncEntry,
    html_digest,
)
from ingestor.state._statements import (
    PAGE_INDEX_SQL,
    RECORD_AUDIENCE_SQL,
    RECORD_UNCHANGED_SQL,
    SYNC_ENTRY_SQL,
    SYNC_INDEX_SQL,
    driver_text,
    epoch,
    page_index_from_rows,
    record_failure_sql,
    run_driver_sql,
    unsent_row,
    upsert_page_sql,
)
from ingestor.state._tables import pages_table as _pages
from ingestor.state._tables import to_db_time

__all__ = ["StorePages", "UpsertedPage"]


@dataclass(frozen=True, slots=True)
class UpsertedPage:
    """A page Intercom confirmed an upsert of, as :meth:`StorePages.record_upsert` keeps it."""

    connector: str
    external_id: str
    version: str
    content_hash: str
    intercom_id: str
    title: str
    url: str | None
    #: The HTML sent; only a 16-byte digest is kept (:func:`html_digest`), for reconcile's
    #: drift check.
    sent_html: str | None = None
    broken_links: tuple[str, ...] = ()
    #: The page a section was split from.
    parent: str | None = None
    #: ``(audience, rule that decided it)``.
    audience: tuple[str, str] | None = None


def _upserted_row(page: UpsertedPage) -> dict[str, Any]:
    """The pages row of ``page``: any earlier failure and gate reason cleared."""
    return {
        "audience": None if page.audience is None else page.audience[0],
        "audience_rule": None if page.audience is None else page.audience[1],
        "gate_reason": None,
        "broken_links": json.dumps(list(page.broken_links)) if page.broken_links else None,
        "parent": page.parent,
        "connector": page.connector,
        "external_id": page.external_id,
        "version": page.version,
        "content_hash": page.content_hash,
        "intercom_id": page.intercom_id,
        "title": page.title,
        "url": page.url,
        "last_synced_at": _utcnow(),
        "last_error": None,
        "error_count": 0,
        "failed_at": None,
        "sent_digest": None if page.sent_html is None else html_digest(page.sent_html),
    }


@contextmanager
def _driver_rows(conn: Connection, sql: str, connector: str) -> Iterator[Any]:
    """The rows of a raw statement on ``connector``'s pages, read on the driver's own cursor:
    no per-row type processing, for the indexes of a million pages."""
    driver = conn.connection.driver_connection
    assert driver is not None  # a checked-out connection always has one
    cursor = driver.execute(driver_text(sql, conn.dialect.name), (connector,))
    try:
        yield cursor
    finally:
        cursor.close()


class StorePages:
    """Page indexes and page outcomes; the store supplies ``_writing`` and ``_reading``."""

    def _writing(self, action: str, *, fenced: bool = True) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _reading(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def page_index(self, connector: str) -> dict[str, PageRecord]:
        """Every known page of ``connector`` by external id, in one query."""
        with (
            self._reading("reading the page index") as conn,
            _driver_rows(conn, PAGE_INDEX_SQL, connector) as rows,
        ):
            return page_index_from_rows(rows)

    def sync_index(self, connector: str) -> SyncIndex:
        """What the version gate reads of every page of ``connector``, in one query: its
        version (and whether an unchanged one needs no fetch), split pages' sections, and how
        many pages are in Intercom. ``index[eid]`` reads a page's hash and Intercom id when a
        run needs them (a page fetched again, deleted or taken down)."""
        with (
            self._reading("reading the page index") as conn,
            _driver_rows(conn, SYNC_INDEX_SQL, connector) as rows,
        ):
            return SyncIndex.from_rows(rows, partial(self._sync_entry, connector))

    def _sync_entry(self, connector: str, external_id: str) -> SyncEntry | None:
        with self._reading("reading a page") as conn:
            row = run_driver_sql(conn, SYNC_ENTRY_SQL, (connector, external_id)).first()
        return None if row is None else SyncEntry(row[0], row[1], row[2], row[3], epoch(row[4]))

    def record_upsert(self, page: UpsertedPage) -> None:
        """Record a page Intercom confirmed; clears any earlier failure."""
        with self._writing("recording an upsert") as conn:
            conn.execute(upsert_page_sql(conn.dialect.name), _upserted_row(page))

    def record_skipped(self, connector: str, external_id: str, *, version: str) -> None:
        """A page with nothing to publish: keep its version (so it is not read again while
        unchanged) and no Intercom id."""
        with self._writing("recording a skipped page") as conn:
            row = unsent_row(connector, external_id, version, SKIPPED_HASH)
            conn.execute(upsert_page_sql(conn.dialect.name), row)

    def record_withheld(
        self,
        connector: str,
        external_id: str,
        *,
        version: str | None,
        held: bool,
        rule: str,
        reason: str,
    ) -> None:
        """A page the gate keeps from Intercom (already taken down, if it was ever sent).

        Args:
            connector: The connector.
            external_id: The page.
            version: Its version (an excluded page is not read again while it is the same).
            held: Held by the secrets gate (checked again every run) rather than excluded.
            rule: The audience rule it matched (``rule 2 (internal)``, ``restricted``...).
            reason: Why, for people; secrets already masked.
        """
        values = unsent_row(connector, external_id, version, HELD_HASH if held else EXCLUDED_HASH)
        values.update(
            audience="held" if held else "exclude", audience_rule=rule, gate_reason=_clip(reason)
        )
        with self._writing("recording a withheld page") as conn:
            conn.execute(upsert_page_sql(conn.dialect.name), values)

    def record_unchanged(
        self,
        connector: str,
        versions: Iterable[tuple[str, str]],
        audiences: Iterable[tuple[str, str, str]] = (),
    ) -> int:
        """Store new versions of pages whose content did not change, in one transaction.

        Args:
            connector: The connector.
            versions: ``(external_id, new_version)`` pairs; unknown ids are ignored.
            audiences: ``(external_id, audience, rule)`` of those pages, as the gate decided.

        Returns:
            How many pages were updated.
        """
        now = to_db_time(_utcnow())
        params = [(version, now, connector, external_id) for external_id, version in versions]
        rules = [(audience, rule, connector, eid) for eid, audience, rule in audiences]
        if not params:
            return 0
        with self._writing("recording unchanged pages") as conn:
            if rules:
                run_driver_sql(conn, RECORD_AUDIENCE_SQL, rules)
            return run_driver_sql(conn, RECORD_UNCHANGED_SQL, params).rowcount

    def record_failure(self, connector: str, external_id: str, *, error: str) -> None:
        """Record that a page failed. Its last good version/hash/id stay, so it is retried."""
        values = {
            "connector": connector,
            "external_id": external_id,
            "last_error": _clip(error),
            "error_count": 1,
            "failed_at": _utcnow(),
        }
        with self._writing("recording a page failure") as conn:
            conn.execute(record_failure_sql(conn.dialect.name), values)

    def record_hidden(self, connector: str, external_id: str, *, intercom_id: str) -> None:
        """Record a vanished page Intercom now keeps from Fin (``deletion: hide``).

        Its version and hash are cleared so that, should it come back, the gates send it
        again (one upsert restores it in place); its Intercom id, title and sent digest stay.
        """
        with self._writing("recording a hidden page") as conn:
            conn.execute(
                _pages.update()
                .where(_pages.c.connector == connector, _pages.c.external_id == external_id)
                .values(
                    hidden_at=_utcnow(),
                    version=None,
                    content_hash=None,
                    intercom_id=intercom_id,
                    last_error=None,  # an earlier attempt to hide it may have failed
                    error_count=0,
                    failed_at=None,
                )
            )

    def record_delete(self, connector: str, external_id: str) -> None:
        """Forget a page Intercom deleted."""
        with self._writing("recording a delete") as conn:
            conn.execute(
                _pages.delete()
                .where(_pages.c.connector == connector)
                .where(_pages.c.external_id == external_id)
            )
