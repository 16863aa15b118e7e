"""The store's bookkeeping around the pages: each connector's Content Import Source, the cursor
of an incremental connector, and the runs (begun with the process's pid, finished with counts).
A mixin of :class:`ingestor.state.Store`, which supplies ``_writing``, ``_reading`` and
``location``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from ingestor.errors import StateError
from ingestor.state._engine import StateLocation
from ingestor.state._records import RUN_STATUSES, RunCounts, SourceRecord
from ingestor.state._statements import dialect_insert, save_source_sql, source_record
from ingestor.state._tables import cursors_table as _cursors
from ingestor.state._tables import pages_table as _pages
from ingestor.state._tables import runs_table as _runs
from ingestor.state._tables import sources_table as _sources

__all__ = ["MAX_ERROR_CHARS", "StoreBookkeeping"]

#: Error texts are clipped to this many characters before they are stored.
MAX_ERROR_CHARS = 2000


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


class StoreBookkeeping:
    """Sources, cursors and runs; the store supplies ``_writing``, ``_reading`` and ``location``."""

    location: StateLocation

    def _writing(self, action: str, *, fenced: bool = True) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _reading(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    # -- sources -----------------------------------------------------------------------------

    def forget_source(self, connector: str, *, pages: bool = True) -> None:
        """Forget the Content Import Source of ``connector`` (it was deleted in Intercom).

        Args:
            connector: The connector.
            pages: Also forget its pages: deleting a source in Intercom deletes every page
                imported from it, so they must all be sent again to the new source.
        """
        with self._writing("forgetting a source") as conn:
            conn.execute(_sources.delete().where(_sources.c.connector == connector))
            if pages:
                conn.execute(_pages.delete().where(_pages.c.connector == connector))
                # Pages must all be re-sent, so the next run lists in full.
                conn.execute(_cursors.delete().where(_cursors.c.connector == connector))

    def get_source(self, connector: str) -> SourceRecord | None:
        """The Content Import Source recorded for ``connector``, if any."""
        with self._reading("reading a source") as conn:
            row = conn.execute(select(_sources).where(_sources.c.connector == connector)).first()
        return None if row is None else source_record(row)

    def save_source(self, connector: str, source_id: int, url: str) -> None:
        """Remember (or replace) the Content Import Source of ``connector``."""
        params = {"connector": connector, "source_id": source_id, "url": url}
        with self._writing("saving a source") as conn:
            conn.execute(save_source_sql(conn.dialect.name), {**params, "created_at": _utcnow()})

    # -- cursors of incremental connectors ---------------------------------------------------

    def get_cursor(self, connector: str, *, settings: str | None = None) -> str | None:
        """The cursor saved after ``connector``'s last complete run, if any; with
        ``settings``, only if it was saved under those settings (else a full listing must
        bring every page under the new ones)."""
        query = select(_cursors.c.cursor, _cursors.c.settings)
        with self._reading("reading a cursor") as conn:
            row = conn.execute(query.where(_cursors.c.connector == connector)).first()
        if row is None or (settings is not None and row[1] != settings):
            return None
        return str(row[0])

    def save_cursor(self, connector: str, cursor: str, *, settings: str | None = None) -> None:
        """Remember where ``connector``'s incremental listing continues next run (and, when
        given, the fingerprint of the settings it ran under)."""
        with self._writing("saving a cursor") as conn:
            insert = dialect_insert(_cursors, conn.dialect.name).values(
                connector=connector, cursor=cursor, updated_at=_utcnow(), settings=settings
            )
            changes = {"cursor": insert.excluded.cursor, "updated_at": insert.excluded.updated_at}
            if settings is not None:
                changes["settings"] = insert.excluded.settings
            conn.execute(
                insert.on_conflict_do_update(index_elements=[_cursors.c.connector], set_=changes)
            )

    # -- runs --------------------------------------------------------------------------------

    def begin_run(self, connector: str, *, dry_run: bool = False) -> int:
        """Start a run (status 'running', with this process's pid) and return its id."""
        with self._writing("starting a run") as conn:
            result = conn.execute(
                _runs.insert().values(
                    connector=connector,
                    started_at=_utcnow(),
                    status="running",
                    dry_run=dry_run,
                    pid=os.getpid(),
                )
            )
            run_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        if not isinstance(run_id, int):
            raise StateError(f"state database {self.location}: no id for the new run")
        return run_id

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        counts: RunCounts,
        error: str | None = None,
        rule_counts: Mapping[str, int] | None = None,
    ) -> None:
        """Close a run with its final status and counts (and pages per audience rule).

        Raises:
            ValueError: ``status`` is not one of ok, partial, failed, interrupted (died is
                for runs whose process could not finish them).
            StateError: No run has this id.
        """
        if status not in RUN_STATUSES or status in ("running", "died"):
            raise ValueError(f"invalid final run status {status!r}")
        values: dict[str, Any] = {
            name: getattr(counts, name) for name in RunCounts.__dataclass_fields__
        }
        values.update(
            status=status,
            finished_at=_utcnow(),
            error=None if error is None else _clip(error),
            rule_counts=json.dumps(dict(rule_counts)) if rule_counts else None,
        )
        # not fenced: a run whose lease was lost still records its own end
        with self._writing("finishing a run", fenced=False) as conn:
            updated = conn.execute(_runs.update().where(_runs.c.id == run_id).values(**values))
            found = updated.rowcount
        if found == 0:
            raise StateError(f"state database {self.location}: there is no run {run_id}")
