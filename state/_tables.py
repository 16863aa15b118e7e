"""The SQLModel tables of the state database (the current schema version).

They live in their own registry so they never clash with another SQLModel user in the process.
The tables here describe the *current* schema for queries; the DDL that creates or changes a
database is in :mod:`state._migrations`, and a test checks that both agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Dialect, Index, LargeBinary, String, Table
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

__all__ = [
    "InstanceRow",
    "LeaseRow",
    "MetaRow",
    "PageRow",
    "ReconcileRow",
    "RunRow",
    "SourceRow",
    "StateModel",
    "UTCDateTime",
    "cursors_table",
    "from_db_time",
    "instances_table",
    "leases_table",
    "meta_table",
    "pages_table",
    "reconciles_table",
    "runs_table",
    "sources_table",
    "to_db_time",
]


def to_db_time(value: datetime) -> str:
    """The stored text of an aware datetime: UTC ISO-8601 with microseconds (sorts as time)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the state store; use an aware UTC one")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(value: str) -> datetime:
    """Inverse of :func:`to_db_time` (naive text from older writers is taken as UTC)."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime stored as ISO-8601 text (sortable, readable with the sqlite3 CLI)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else to_db_time(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_db_time(str(value))


class StateModel(SQLModel, registry=registry()):
    """Base of the state tables, with its own metadata."""


class SourceRow(StateModel, table=True):
    """The Content Import Source of each connector."""

    __tablename__ = "sources"

    connector: str = Field(primary_key=True)
    source_id: int
    url: str
    created_at: datetime = Field(sa_type=UTCDateTime)


class PageRow(StateModel, table=True):
    """Every page a connector has imported (or tried to)."""

    __tablename__ = "pages"

    connector: str = Field(primary_key=True)
    external_id: str = Field(primary_key=True)
    version: str | None = None
    content_hash: str | None = None
    intercom_id: str | None = None
    title: str | None = None
    url: str | None = None
    last_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    error_count: int = 0
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    broken_links: str | None = None  # JSON list of external ids this page links to in vain
    parent: str | None = None  # for a section of a split page: the page's external_id
    audience: str | None = None  # customers, team, exclude, held (None: before audiences)
    audience_rule: str | None = None  # what decided it: "rule 2 (internal)", "default"...
    gate_reason: str | None = None  # why an excluded or held page is not sent (masked)
    hidden_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # deletion: hide
    #: BLAKE2b-128 of the HTML last sent (schema v8; the HTML itself is not kept), for
    #: reconcile's drift check; None for pages sent before v3 kept what was sent.
    sent_digest: bytes | None = Field(default=None, sa_type=LargeBinary)


class RunRow(StateModel, table=True):
    """One sync of one connector."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_connector_id", "connector", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    connector: str
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    skipped: int = 0
    error: str | None = None
    excluded: int = 0
    held: int = 0
    rule_counts: str | None = None  # JSON {"rule 1 (public)": 12, "default": 3}
    pid: int | None = None  # the process that ran it (a dead one's "running" run "died")
    hidden: int = 0  # vanished pages hidden (deletion: hide) rather than deleted


class ReconcileRow(StateModel, table=True):
    """One reconcile of one connector against Intercom's copy, and what it found."""

    __tablename__ = "reconciles"
    __table_args__ = (Index("ix_reconciles_connector_id", "connector", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    connector: str
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str
    dry_run: bool = False
    pid: int | None = None
    summary: str | None = None  # JSON: counts and the pages found drifted, missing, orphaned


class CursorRow(StateModel, table=True):
    """Where an incremental connector's last complete run left off (opaque to the store)."""

    __tablename__ = "cursors"

    connector: str = Field(primary_key=True)
    cursor: str
    updated_at: datetime = Field(sa_type=UTCDateTime)
    settings: str | None = None  # fingerprint of the settings the listing ran under


class MetaRow(StateModel, table=True):
    """A single row: the schema version of this database."""

    __tablename__ = "meta"

    id: int = Field(default=1, primary_key=True)
    schema_version: int


class LeaseRow(StateModel, table=True):
    """Which daemon instance owns a connector, until when (schema v9; ``state._leases``)."""

    __tablename__ = "leases"

    connector: str = Field(primary_key=True)
    owner: str  # instance id: host:pid:random
    fence: int  # grows with every change of owner; a run holds the value it started under
    acquired_at: float  # seconds since the epoch, by the database's clock
    heartbeat_at: float
    expires_at: float  # 0 once released
    taken_from: str | None = None  # the owner before, when its lease ran out unreleased


class InstanceRow(StateModel, table=True):
    """A daemon instance sharing this database, alive while its heartbeat is renewed."""

    __tablename__ = "instances"

    id: str = Field(primary_key=True)
    host: str
    pid: int
    started_at: float
    heartbeat_at: float
    expires_at: float


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


sources_table = _table(SourceRow)
pages_table = _table(PageRow)
runs_table = _table(RunRow)
meta_table = _table(MetaRow)
cursors_table = _table(CursorRow)
reconciles_table = _table(ReconcileRow)
leases_table = _table(LeaseRow)
instances_table = _table(InstanceRow)
