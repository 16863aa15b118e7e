"""Moving a state database: ``ingestor state migrate`` (bring it to this code's schema) and
``ingestor state copy`` (every table into an empty database of either kind).

A copy reads and writes through the same tables as the store, so an SQLite file and a
PostgreSQL database hold the same rows afterwards: Intercom ids, versions, hashes, cursors and
run history; the copied installation's next sync sends nothing that was already sent. Both
databases are opened as the store opens them, so each is locked (no daemon writes during the
copy) and migrated to this code's schema first. The target is written in one transaction: a
failed copy leaves it as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Integer, Table, delete, func, select, text

from ingestor.errors import StateError
from ingestor.state._engine import (
    StateLocation,
    create_state_engine,
    driver_reason,
    scrub_password,
)
from ingestor.state._migrations import MIGRATIONS, SCHEMA_VERSION, read_version
from ingestor.state._store import Store
from ingestor.state._tables import StateModel, meta_table

__all__ = ["CopyResult", "PendingMigration", "copy_state", "migrate_state", "pending_migration"]

#: Rows read and written per round trip.
COPY_BATCH_ROWS = 5000


@dataclass(frozen=True)
class PendingMigration:
    """Where a database stands: its version, this code's, and the steps in between."""

    current: int
    target: int
    #: ``(from version, first line of the step's docstring)`` per pending step.
    steps: tuple[tuple[int, str], ...]
    #: True when there is no database yet (SQLite: no file), created at ``target`` on first use.
    missing: bool = False


def pending_migration(where: Path | str | StateLocation) -> PendingMigration:
    """What :func:`migrate_state` would do, read without locking or writing anything.

    Raises:
        StateError: The database cannot be read or holds something else.
    """
    location = StateLocation.of(where)
    if location.path is not None and not location.path.exists():
        return PendingMigration(0, SCHEMA_VERSION, _steps(0), missing=True)
    engine = create_state_engine(location, read_only=True)
    try:
        with engine.connect() as conn:
            current = read_version(conn, where=str(location))
    except StateError:
        raise
    except Exception as exc:
        reason = scrub_password(driver_reason(exc), location)
        raise StateError(f"cannot read state database {location}: {reason}") from exc
    finally:
        engine.dispose()
    return PendingMigration(current, SCHEMA_VERSION, _steps(current))


def _steps(current: int) -> tuple[tuple[int, str], ...]:
    return tuple(
        (version, _summary(MIGRATIONS[version]))
        for version in range(current, min(SCHEMA_VERSION, len(MIGRATIONS)))
    )


def _summary(step: Callable[[Connection], None]) -> str:
    doc = (step.__doc__ or step.__name__).strip()
    return " ".join(doc.split("\n\n", 1)[0].split())


def migrate_state(where: Path | str | StateLocation) -> tuple[int, int]:
    """Bring the database to this code's schema (as opening it for a sync does); returns the
    versions before and after.

    Raises:
        StateLockedError: A daemon or sync holds it.
        StateError: It cannot be opened, is newer than this code, or a step failed.
    """
    before = pending_migration(where).current
    with Store.open(where) as store:
        return before, store.schema_version


@dataclass
class CopyResult:
    """What a copy moved: rows per table, as counted in the target afterwards."""

    rows: dict[str, int] = field(default_factory=dict)


def copy_state(
    source: Path | str | StateLocation,
    target: Path | str | StateLocation,
    *,
    force: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> CopyResult:
    """Copy every table of the state database at ``source`` into the one at ``target``.

    Args:
        source: The database to copy (SQLite file or PostgreSQL URL); read, locked meanwhile.
        target: An empty database of either kind (created if an SQLite file is missing).
        force: Replace whatever the target holds.
        progress: Called with ``(table, rows copied so far)`` after each batch.

    Raises:
        StateError: Same database twice, a non-empty target without ``force``, or rows
            counted in the target that differ from the source's.
        StateLockedError: A daemon or sync holds either database.
    """
    source_location, target_location = StateLocation.of(source), StateLocation.of(target)
    if str(source_location) == str(target_location):
        raise StateError(f"--from and --to are the same database ({source_location})")
    with Store.open(source_location) as reader, Store.open(target_location) as writer:
        # The stores' own engines: their locks are held for the whole copy.
        from_engine, to_engine = reader._live_engine(), writer._live_engine()
        tables = [t for t in StateModel.metadata.sorted_tables if t is not meta_table]
        with from_engine.connect() as src, to_engine.begin() as dst:
            held = {t.name: n for t in tables if (n := _count(dst, t))}
            if held and not force:
                listed = ", ".join(f"{name} ({rows} rows)" for name, rows in held.items())
                raise StateError(
                    f"state database {target_location} is not empty ({listed}); copy into an "
                    "empty one, or add --force to replace what it holds"
                )
            for table in reversed(tables):
                dst.execute(delete(table))
            expected = {t.name: _copy_table(src, dst, t, progress) for t in tables}
            if dst.dialect.name == "postgresql":
                _advance_identities(dst, tables)
        with to_engine.connect() as check:
            counted = {t.name: _count(check, t) for t in tables}
    if counted != expected:
        raise StateError(
            f"copy to {target_location} is incomplete: the source had {expected} rows, the "
            f"target holds {counted}"
        )
    return CopyResult(counted)


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _copy_table(
    src: Connection,
    dst: Connection,
    table: Table,
    progress: Callable[[str, int], None] | None,
) -> int:
    query = select(table).order_by(*table.primary_key.columns)
    result = src.execution_options(stream_results=True, yield_per=COPY_BATCH_ROWS).execute(query)
    copied = 0
    for batch in result.mappings().partitions(COPY_BATCH_ROWS):
        dst.execute(table.insert(), [dict(row) for row in batch])
        copied += len(batch)
        if progress is not None:
            progress(table.name, copied)
    return copied


def _advance_identities(conn: Connection, tables: list[Table]) -> None:
    """Rows copied with their ids leave PostgreSQL's identity sequences at 1: move each past
    the largest id, or the next run's INSERT would collide with a copied one."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].name != "id" or not isinstance(keys[0].type, Integer):
            continue  # no generated ids (text keys such as a daemon instance's id)
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
            )
        )
