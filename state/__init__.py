"""The state store: Content Import Sources, page versions/hashes/Intercom ids, and runs.

One SQLite file (WAL) or one PostgreSQL database per deployment, locked by one process at a
time::

    with Store.open(config.state.path) as store:
        known = store.page_index("handbook")
        run_id = store.begin_run("handbook")
        ...
        store.finish_run(run_id, status="ok", counts=counts)

Records are frozen dataclasses; errors are :class:`ingestor.errors.StateError` (and
:class:`~ingestor.errors.StateLockedError`) naming the database file.
"""

from __future__ import annotations

from ingestor.state._engine import StateLocation, redact_url
from ingestor.state._index import Mark, SyncIndex
from ingestor.state._location import location_problem
from ingestor.state._lock import process_gone
from ingestor.state._migrations import MIGRATIONS, SCHEMA_VERSION
from ingestor.state._pages import UpsertedPage
from ingestor.state._reconciles import ReconcileRecord, SentPage
from ingestor.state._records import (
    EXCLUDED_HASH,
    HELD_HASH,
    RUN_STATUSES,
    SKIPPED_HASH,
    ConnectorSummary,
    HiddenPage,
    PageRecord,
    RunCounts,
    RunRecord,
    RunStatus,
    SourceRecord,
    SyncEntry,
    WithheldPage,
    html_digest,
)
from ingestor.state._store import Store
from ingestor.state._transfer import (
    CopyResult,
    PendingMigration,
    copy_state,
    migrate_state,
    pending_migration,
)

__all__ = [
    "EXCLUDED_HASH",
    "HELD_HASH",
    "MIGRATIONS",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "SKIPPED_HASH",
    "ConnectorSummary",
    "CopyResult",
    "HiddenPage",
    "Mark",
    "PageRecord",
    "PendingMigration",
    "ReconcileRecord",
    "RunCounts",
    "RunRecord",
    "RunStatus",
    "SentPage",
    "SourceRecord",
    "StateLocation",
    "Store",
    "SyncEntry",
    "SyncIndex",
    "UpsertedPage",
    "WithheldPage",
    "copy_state",
    "html_digest",
    "location_problem",
    "migrate_state",
    "pending_migration",
    "process_gone",
    "redact_url",
]
