"""The state database's whole-connector changes: a connector renamed in the config keeps its
source and pages (``renamed_from``), and a removed one is forgotten (``ingestor prune``). A base
of :class:`state.Store`, kept apart to keep that module small."""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy import Connection, Table, func, select

from ingestor.errors import StateError
from ingestor.state._tables import StateModel

__all__ = ["StoreAdmin"]


def _connector_tables() -> list[Table]:
    """Every table keyed by connector, present and future (new tables are found by column)."""
    return [table for table in StateModel.metadata.sorted_tables if "connector" in table.c]


class StoreAdmin:
    """Rename and forget connectors; the store supplies ``_writing``."""

    def _writing(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def rename_connector(self, old: str, new: str) -> bool:
        """Give ``old``'s source, pages, cursor and runs to ``new``, in one transaction.

        Returns:
            True when ``old`` had anything; False when there was nothing to move.

        Raises:
            StateError: ``new`` already has state of its own (two histories cannot merge).
        """
        tables = _connector_tables()
        with self._writing(f"renaming connector {old} to {new}") as conn:
            if _rows(conn, tables, new):
                raise StateError(
                    f"cannot rename connector {old!r} to {new!r}: {new!r} already has state "
                    "(pages or a source); remove renamed_from, or prune one of them"
                )
            if not _rows(conn, tables, old):
                return False
            for table in tables:
                conn.execute(table.update().where(table.c.connector == old).values(connector=new))
        return True

    def forget_connector(self, name: str) -> None:
        """Remove everything the database holds about connector ``name``."""
        with self._writing(f"forgetting connector {name}") as conn:
            for table in _connector_tables():
                conn.execute(table.delete().where(table.c.connector == name))


def _rows(conn: Connection, tables: list[Table], connector: str) -> int:
    return sum(
        int(conn.execute(select(func.count()).where(table.c.connector == connector)).scalar_one())
        for table in tables
    )
