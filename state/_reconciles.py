"""What a reconcile reads and writes in the state database: the pages as they were last sent,
the marks that make a sync send a page again, and one ``reconciles`` row per reconcile. A base
of :class:`state.Store`, kept apart to keep that module small."""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ingestor.errors import StateError
from ingestor.state._statements import epoch
from ingestor.state._tables import cursors_table as _cursors
from ingestor.state._tables import pages_table as _pages
from ingestor.state._tables import reconciles_table as _reconciles
from ingestor.state._tables import sources_table as _sources

__all__ = ["RECONCILE_STATUSES", "ReconcileRecord", "SentPage", "StoreReconciles"]

#: Final statuses of a reconcile ('running' while it runs).
RECONCILE_STATUSES = ("ok", "partial", "failed", "interrupted")


@dataclass(frozen=True, slots=True)
class SentPage:
    """A page as state last sent it to Intercom: what Intercom's copy should equal."""

    external_id: str
    intercom_id: str
    title: str | None
    url: str | None
    digest: bytes | None  #: html_digest of the HTML sent; None when sent before v3 kept it
    audience: str | None
    hidden: bool  #: deletion: hide took it down (both availabilities false)


@dataclass(frozen=True, slots=True)
class ReconcileRecord:
    """One reconcile of one connector."""

    id: int
    connector: str
    started_at: float
    finished_at: float | None
    status: str
    dry_run: bool
    pid: int | None
    summary: dict[str, Any]


class StoreReconciles:
    """Reconcile bookkeeping; the store supplies ``_writing`` and ``_reading``."""

    def _writing(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _reading(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def sent_pages(self, connector: str) -> dict[str, SentPage]:
        """Every page of ``connector`` that state records as in Intercom, by external id."""
        query = select(
            _pages.c.external_id,
            _pages.c.intercom_id,
            _pages.c.title,
            _pages.c.url,
            _pages.c.sent_digest,
            _pages.c.audience,
            _pages.c.hidden_at,
        ).where(_pages.c.connector == connector, _pages.c.intercom_id.is_not(None))
        with self._reading("reading the pages sent") as conn:
            rows = conn.execute(query).all()
        return {
            row[0]: SentPage(
                row[0],
                row[1],
                row[2],
                row[3],
                None if row[4] is None else bytes(row[4]),
                row[5],
                row[6] is not None,
            )
            for row in rows
        }

    def mark_for_resend(self, connector: str, external_ids: Collection[str], *, gone: bool) -> int:
        """Make the next sync send these pages again: their version and hash are cleared, and
        with ``gone`` (missing in Intercom) their Intercom id too. The connector's cursor goes,
        so an incremental connector lists in full and sees them.

        Returns:
            How many pages were marked.
        """
        if not external_ids:
            return 0
        values: dict[str, Any] = {"version": None, "content_hash": None}
        if gone:
            values["intercom_id"] = None
        marked = 0
        ids = list(external_ids)
        with self._writing("marking pages to send again") as conn:
            for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
                chunk = ids[start : start + 500]
                update = _pages.update().where(
                    _pages.c.connector == connector, _pages.c.external_id.in_(chunk)
                )
                marked += conn.execute(update.values(**values)).rowcount
            conn.execute(_cursors.delete().where(_cursors.c.connector == connector))
        return marked

    def is_empty(self) -> bool:
        """True when the database holds no source and no page (a fresh or lost state)."""
        with self._reading("counting sources and pages") as conn:
            sources = conn.execute(select(func.count()).select_from(_sources)).scalar_one()
            pages = conn.execute(select(func.count()).select_from(_pages)).scalar_one()
        return int(sources) == 0 and int(pages) == 0

    def begin_reconcile(self, connector: str, *, dry_run: bool = False) -> int:
        """Start a reconcile (status 'running', this process's pid) and return its id."""
        values = {
            "connector": connector,
            "started_at": datetime.now(UTC),
            "status": "running",
            "dry_run": dry_run,
            "pid": os.getpid(),
        }
        with self._writing("starting a reconcile") as conn:
            result = conn.execute(_reconciles.insert().values(**values))
            key = result.inserted_primary_key
        reconcile_id = key[0] if key else None
        if not isinstance(reconcile_id, int):
            raise StateError("no id for the new reconcile")
        return reconcile_id

    def finish_reconcile(
        self, reconcile_id: int, *, status: str, summary: Mapping[str, Any]
    ) -> None:
        """Close a reconcile with its status and what it found and did (JSON).

        Raises:
            ValueError: ``status`` is not a final status.
        """
        if status not in RECONCILE_STATUSES:
            raise ValueError(f"invalid final reconcile status {status!r}")
        values = {
            "status": status,
            "finished_at": datetime.now(UTC),
            "summary": json.dumps(dict(summary), sort_keys=True),
        }
        with self._writing("finishing a reconcile") as conn:
            conn.execute(
                _reconciles.update().where(_reconciles.c.id == reconcile_id).values(values)
            )

    def last_reconcile(self, connector: str) -> ReconcileRecord | None:
        """The latest finished reconcile of ``connector``, if any (one whose process died
        before it finished found nothing it could report)."""
        query = (
            select(_reconciles)
            .where(
                _reconciles.c.connector == connector,
                _reconciles.c.status.not_in(("running", "died")),
            )
            .order_by(_reconciles.c.id.desc())
            .limit(1)
        )
        with self._reading("reading the last reconcile") as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        finished = epoch(row.finished_at)
        started = epoch(row.started_at)
        assert started is not None
        summary = json.loads(row.summary) if row.summary else {}
        return ReconcileRecord(
            row.id,
            row.connector,
            started,
            finished,
            row.status,
            bool(row.dry_run),
            row.pid,
            summary,
        )
