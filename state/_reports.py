"""The state database's read-only questions: what ``ingestor status``, ``plan --diff`` and the
daemon's ``/status`` ask. A base of :class:`state.Store`, kept apart to keep that module small."""

from __future__ import annotations

import json
from collections.abc import Collection
from contextlib import AbstractContextManager

from sqlalchemy import Connection, func, select

from ingestor.state._records import (
    ConnectorSummary,
    HiddenPage,
    PageRecord,
    RunRecord,
    WithheldPage,
)
from ingestor.state._statements import PAGE_COLUMNS, epoch, page_record, run_record
from ingestor.state._tables import pages_table as _pages
from ingestor.state._tables import runs_table as _runs
from ingestor.state._tables import sources_table as _sources

__all__ = ["StoreQueries"]


class StoreQueries:
    """Reports over the state tables; the store supplies ``_reading``."""

    def _reading(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def broken_links(self, connector: str) -> list[tuple[str, str]]:
        """``(page, missing page it links to)`` as recorded at each page's last upload."""
        with self._reading("reading broken links") as conn:
            rows = conn.execute(
                select(_pages.c.external_id, _pages.c.broken_links)
                .where(_pages.c.connector == connector, _pages.c.broken_links.is_not(None))
                .order_by(_pages.c.external_id)
            ).all()
        return [(str(page), str(target)) for page, raw in rows for target in json.loads(raw)]

    def audience_counts(self, connector: str) -> dict[tuple[str, str], int]:
        """Pages per ``(audience, rule that decided it)`` as the gate last decided them
        (pages recorded before audiences existed count as ``("", "")``)."""
        query = (
            select(_pages.c.audience, _pages.c.audience_rule, func.count())
            .where(_pages.c.connector == connector, _pages.c.parent.is_(None))
            .group_by(_pages.c.audience, _pages.c.audience_rule)
        )
        with self._reading("reading audiences") as conn:
            return {(a or "", r or ""): int(n) for a, r, n in conn.execute(query)}

    def withheld_pages(self, connector: str, *, limit: int | None = None) -> list[WithheldPage]:
        """Pages the gate keeps from Intercom (held first: an admin must act on them)."""
        query = (
            select(
                _pages.c.external_id,
                _pages.c.audience,
                _pages.c.audience_rule,
                _pages.c.gate_reason,
            )
            .where(_pages.c.connector == connector, _pages.c.audience.in_(("held", "exclude")))
            .order_by(_pages.c.audience.desc(), _pages.c.external_id)
            .limit(limit)
        )
        with self._reading("reading withheld pages") as conn:
            return [WithheldPage(*row) for row in conn.execute(query)]

    def hidden_pages(self, connector: str, *, limit: int | None = None) -> list[HiddenPage]:
        """Pages hidden from Fin after they vanished, the longest hidden first."""
        query = (
            select(_pages.c.external_id, _pages.c.title, _pages.c.hidden_at, _pages.c.parent)
            .where(_pages.c.connector == connector, _pages.c.hidden_at.is_not(None))
            .order_by(_pages.c.hidden_at, _pages.c.external_id)
            .limit(limit)
        )
        with self._reading("reading hidden pages") as conn:
            return [
                HiddenPage(eid, title, epoch(hidden_at) or 0.0, parent)
                for eid, title, hidden_at, parent in conn.execute(query)
            ]

    def hidden_count(self, connector: str) -> int:
        """How many pages (sections included) of ``connector`` are hidden."""
        query = select(func.count()).where(
            _pages.c.connector == connector, _pages.c.hidden_at.is_not(None)
        )
        with self._reading("counting hidden pages") as conn:
            return int(conn.execute(query).scalar_one())

    def intercom_id(self, connector: str, external_id: str) -> str | None:
        """Intercom's id of this page, when state records it as in Intercom (``plan --diff``
        reads Intercom's copy by it: state keeps only a digest of the HTML sent)."""
        query = select(_pages.c.intercom_id).where(
            _pages.c.connector == connector, _pages.c.external_id == external_id
        )
        with self._reading("reading a page's Intercom id") as conn:
            row = conn.execute(query).first()
        return None if row is None or row[0] is None else str(row[0])

    def failed_pages(
        self, connector: str | None = None, *, limit: int | None = None
    ) -> list[PageRecord]:
        """Pages whose latest attempt failed, by connector then external id (the first
        ``limit`` of them; the count is in :meth:`summary`)."""
        query = select(*PAGE_COLUMNS).where(_pages.c.last_error.is_not(None))
        if connector is not None:
            query = query.where(_pages.c.connector == connector)
        query = query.order_by(_pages.c.connector, _pages.c.external_id).limit(limit)
        with self._reading("reading failed pages") as conn:
            return [page_record(row) for row in conn.execute(query)]

    def recent_runs(self, connector: str | None = None, limit: int = 20) -> list[RunRecord]:
        """The latest runs, newest first."""
        query = select(_runs)
        if connector is not None:
            query = query.where(_runs.c.connector == connector)
        query = query.order_by(_runs.c.id.desc()).limit(limit)
        with self._reading("reading runs") as conn:
            return [run_record(row) for row in conn.execute(query)]

    def last_run(self, connector: str, statuses: Collection[str]) -> RunRecord | None:
        """The newest finished, non-dry run of ``connector`` that ended in one of ``statuses``
        (the daemon's "last complete run" after a restart, however many runs ago it was)."""
        query = (
            select(_runs)
            .where(
                _runs.c.connector == connector,
                _runs.c.status.in_(list(statuses)),
                _runs.c.finished_at.is_not(None),
                _runs.c.dry_run.is_(False),
            )
            .order_by(_runs.c.id.desc())
            .limit(1)
        )
        with self._reading("reading runs") as conn:
            row = conn.execute(query).first()
        return None if row is None else run_record(row)

    def summary(self) -> list[ConnectorSummary]:
        """Per connector known to the database: its source, pages, failures and last run."""
        page_counts = select(
            _pages.c.connector,
            func.count(),
            func.count(_pages.c.last_error),  # COUNT(col) skips NULLs: the failed pages
        ).group_by(_pages.c.connector)
        last_ids = select(func.max(_runs.c.id)).group_by(_runs.c.connector)
        with self._reading("reading the summary") as conn:
            sources = {row.connector: row for row in conn.execute(select(_sources))}
            pages = {row[0]: (row[1], row[2]) for row in conn.execute(page_counts)}
            runs = {
                record.connector: record
                for record in map(
                    run_record, conn.execute(select(_runs).where(_runs.c.id.in_(last_ids)))
                )
            }
        summaries = []
        for name in sorted(sources.keys() | pages.keys() | runs.keys()):
            source = sources.get(name)
            page_count, failed_count = pages.get(name, (0, 0))
            summaries.append(
                ConnectorSummary(
                    connector=name,
                    source_id=None if source is None else source.source_id,
                    source_url=None if source is None else source.url,
                    pages=page_count,
                    failed=failed_count,
                    last_run=runs.get(name),
                )
            )
        return summaries
