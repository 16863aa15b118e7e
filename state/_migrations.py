"""Schema versions and the stepwise migrations between them.

``MIGRATIONS[n]`` takes a database from version ``n`` to ``n + 1``; version 0 is an empty file.
:func:`migrate` runs the missing steps inside the caller's transaction, so a failed step leaves
the database exactly as it was. Each step's DDL is written out here, frozen in time: never edit
a released step, append a new one (and update ``state._tables`` to match).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, LargeBinary, bindparam, text

from ingestor.errors import StateError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "migrate", "read_version"]

Migration = Callable[[Connection], None]

_V1_BASELINE = (
    """CREATE TABLE meta (
        id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        schema_version INTEGER NOT NULL
    )""",
    """CREATE TABLE sources (
        connector VARCHAR NOT NULL PRIMARY KEY,
        source_id INTEGER NOT NULL,
        url VARCHAR NOT NULL,
        created_at VARCHAR NOT NULL
    )""",
    """CREATE TABLE pages (
        connector VARCHAR NOT NULL,
        external_id VARCHAR NOT NULL,
        version VARCHAR,
        content_hash VARCHAR,
        intercom_id VARCHAR,
        title VARCHAR,
        url VARCHAR,
        last_synced_at VARCHAR,
        last_error VARCHAR,
        error_count INTEGER NOT NULL DEFAULT 0,
        failed_at VARCHAR,
        PRIMARY KEY (connector, external_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE runs (
        id INTEGER NOT NULL PRIMARY KEY,
        connector VARCHAR NOT NULL,
        started_at VARCHAR NOT NULL,
        finished_at VARCHAR,
        status VARCHAR NOT NULL,
        dry_run BOOLEAN NOT NULL DEFAULT 0,
        created INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0,
        unchanged INTEGER NOT NULL DEFAULT 0,
        deleted INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        error VARCHAR
    )""",
    "CREATE INDEX ix_runs_connector_id ON runs (connector, id)",
)


def _v0_to_v1_baseline(conn: Connection) -> None:
    for statement in _V1_BASELINE:
        conn.exec_driver_sql(statement)


_V2_CURSORS = (
    """CREATE TABLE cursors (
        connector VARCHAR NOT NULL PRIMARY KEY,
        cursor VARCHAR NOT NULL,
        updated_at VARCHAR NOT NULL
    )""",
)


def _v1_to_v2_cursors(conn: Connection) -> None:
    """Incremental connectors (wikis) keep where their last complete run stopped."""
    for statement in _V2_CURSORS:
        conn.exec_driver_sql(statement)


def _v2_to_v3_sent_html(conn: Connection) -> None:
    """The HTML last sent for each page (zlib), for ``ingestor plan --diff``."""
    conn.exec_driver_sql("ALTER TABLE pages ADD COLUMN sent_html BLOB")


def _v3_to_v4_links_and_sections(conn: Connection) -> None:
    """Links from each page to pages its source does not hold (JSON list), for status; and
    the source page a section of a split page belongs to."""
    conn.exec_driver_sql("ALTER TABLE pages ADD COLUMN broken_links VARCHAR")
    conn.exec_driver_sql("ALTER TABLE pages ADD COLUMN parent VARCHAR")


def _v4_to_v5_audiences(conn: Connection) -> None:
    """The gate's decisions: each page's audience, the rule that gave it, and why a page was
    excluded or held; each run's excluded/held counts and pages per rule (JSON); and the
    settings fingerprint a cursor was listed under (new settings list in full)."""
    for statement in (
        "ALTER TABLE pages ADD COLUMN audience VARCHAR",
        "ALTER TABLE pages ADD COLUMN audience_rule VARCHAR",
        "ALTER TABLE pages ADD COLUMN gate_reason VARCHAR",
        "ALTER TABLE runs ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN held INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN rule_counts VARCHAR",
        "ALTER TABLE cursors ADD COLUMN settings VARCHAR",
    ):
        conn.exec_driver_sql(statement)


_V6_RECONCILES = (
    """CREATE TABLE reconciles (
        id INTEGER NOT NULL PRIMARY KEY,
        connector VARCHAR NOT NULL,
        started_at VARCHAR NOT NULL,
        finished_at VARCHAR,
        status VARCHAR NOT NULL,
        dry_run BOOLEAN NOT NULL DEFAULT 0,
        pid INTEGER,
        summary VARCHAR
    )""",
    "CREATE INDEX ix_reconciles_connector_id ON reconciles (connector, id)",
)


def _v5_to_v6_reconcile_hide_pid(conn: Connection) -> None:
    """When a vanished page was hidden (``deletion: hide``; deleted after ``hide_for``); the
    pid of the process running each run (a run left "running" by a dead process is "died")
    and how many pages it hid;
    and one row per reconcile of a connector with what it found (JSON summary, for ``plan``)."""
    for statement in (
        "ALTER TABLE pages ADD COLUMN hidden_at VARCHAR",
        "ALTER TABLE runs ADD COLUMN pid INTEGER",
        "ALTER TABLE runs ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0",
        *_V6_RECONCILES,
    ):
        conn.exec_driver_sql(statement)


_V7_PAGES_COLUMNS = (
    "connector, external_id, version, content_hash, intercom_id, title, url, last_synced_at, "
    "last_error, error_count, failed_at, broken_links, parent, audience, audience_rule, "
    "gate_reason, hidden_at"
)
_V7_SENT_HTML = (
    """CREATE TABLE sent_html (
        id INTEGER NOT NULL PRIMARY KEY,
        connector VARCHAR NOT NULL,
        external_id VARCHAR NOT NULL,
        html BLOB NOT NULL,
        UNIQUE (connector, external_id)
    )""",
    "INSERT INTO sent_html (connector, external_id, html) "
    "SELECT connector, external_id, sent_html FROM pages WHERE sent_html IS NOT NULL",
    """CREATE TABLE pages_v7 (
        connector VARCHAR NOT NULL,
        external_id VARCHAR NOT NULL,
        version VARCHAR,
        content_hash VARCHAR,
        intercom_id VARCHAR,
        title VARCHAR,
        url VARCHAR,
        last_synced_at VARCHAR,
        last_error VARCHAR,
        error_count INTEGER NOT NULL DEFAULT 0,
        failed_at VARCHAR,
        broken_links VARCHAR,
        parent VARCHAR,
        audience VARCHAR,
        audience_rule VARCHAR,
        gate_reason VARCHAR,
        hidden_at VARCHAR,
        PRIMARY KEY (connector, external_id)
    ) WITHOUT ROWID""",
    f"INSERT INTO pages_v7 ({_V7_PAGES_COLUMNS}) SELECT {_V7_PAGES_COLUMNS} FROM pages",
    "DROP TABLE pages",
    "ALTER TABLE pages_v7 RENAME TO pages",
)


def _v6_to_v7_sent_html_table(conn: Connection) -> None:
    """The HTML last sent moves out of ``pages`` into its own table: inline, its ~800-1,000
    compressed bytes pushed nearly every row of that WITHOUT ROWID table past SQLite's local
    payload limit (~1,000 bytes for a 4 KB page) into an overflow page of its own: 4.6 KB of
    state per 2 KB page. The new table has a rowid, whose rows hold up to ~4,000 bytes in
    place, so 3-4 pages' HTML share a database page (measured: a WITHOUT ROWID one overflows
    exactly as before; ``benchmarks/state_size.py``).

    ``pages`` is rebuilt rather than altered with DROP COLUMN: that needs SQLite 3.35, and
    Python uses the system's SQLite (3.34 on some long-term distributions); the rebuilt table
    is also packed densely. The pages the old one held are reused by later writes."""
    for statement in _V7_SENT_HTML:
        conn.exec_driver_sql(statement)


_V8_BATCH = 1000


def _v7_to_v8_sent_digest(conn: Connection) -> None:
    """The HTML last sent gives way to a 16-byte digest of it in ``pages.sent_digest``
    (BLAKE2b-128 of its UTF-8 bytes: reconcile and adoption compare Intercom's html exactly).
    Kept in full it was ~1,400 of the 1,770 bytes of state per 2 KB page; what needed the text
    now reads Intercom's own copy (hiding a page: GET then upsert; ``plan --diff``: GET).

    Portable: the column type is compiled for the connection's dialect (BLOB, BYTEA), and
    ``sent_html`` is read in keyset batches by its integer id, so neither side holds every
    page's HTML at once. A blob that does not decompress gets no digest (compared on title,
    url and flags only, as before). The digest is computed here, frozen with this step."""
    blob = LargeBinary().compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE pages ADD COLUMN sent_digest {blob}"))
    select_batch = text(
        "SELECT id, connector, external_id, html FROM sent_html WHERE id > :after "
        "ORDER BY id LIMIT :size"
    )
    update = text(
        "UPDATE pages SET sent_digest = :digest WHERE connector = :connector "
        "AND external_id = :external_id"
    ).bindparams(bindparam("digest", type_=LargeBinary()))
    after = -1
    while True:
        rows = conn.execute(select_batch, {"after": after, "size": _V8_BATCH}).all()
        if not rows:
            break
        after = int(rows[-1][0])
        digests = []
        for _, connector, external_id, html in rows:
            try:
                sent = zlib.decompress(bytes(html))
                sent.decode()
            except (zlib.error, UnicodeDecodeError, TypeError):
                continue
            digest = hashlib.blake2b(sent, digest_size=16).digest()
            digests.append({"digest": digest, "connector": connector, "external_id": external_id})
        if digests:
            conn.execute(update, digests)
    conn.execute(text("DROP TABLE sent_html"))


_V9_LEASES = (
    """CREATE TABLE leases (
        connector VARCHAR NOT NULL PRIMARY KEY,
        owner VARCHAR NOT NULL,
        fence INTEGER NOT NULL,
        acquired_at DOUBLE PRECISION NOT NULL,
        heartbeat_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        taken_from VARCHAR
    )""",
    """CREATE TABLE instances (
        id VARCHAR NOT NULL PRIMARY KEY,
        host VARCHAR NOT NULL,
        pid INTEGER NOT NULL,
        started_at DOUBLE PRECISION NOT NULL,
        heartbeat_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
    )""",
)


def _v8_to_v9_leases(conn: Connection) -> None:
    """Several daemons sharing one state database: which instance owns each connector (a
    lease that expires unless renewed; ``fence`` grows with every change of owner;
    ``taken_from`` names an owner whose lease ran out unreleased) and which
    instances are alive (their own heartbeat). Times are seconds since the epoch by the
    database's clock, never a daemon's. Portable SQL: runs on SQLite and PostgreSQL."""
    for statement in _V9_LEASES:
        conn.exec_driver_sql(statement)


MIGRATIONS: tuple[Migration, ...] = (
    _v0_to_v1_baseline,
    _v1_to_v2_cursors,
    _v2_to_v3_sent_html,
    _v3_to_v4_links_and_sections,
    _v4_to_v5_audiences,
    _v5_to_v6_reconcile_hide_pid,
    _v6_to_v7_sent_html_table,
    _v7_to_v8_sent_digest,
    _v8_to_v9_leases,
)
#: The version this code reads and writes.
SCHEMA_VERSION = len(MIGRATIONS)


def read_version(conn: Connection, *, where: str) -> int:
    """The schema version of the database; 0 for an empty one.

    Raises:
        StateError: The file is an SQLite database of something else.
    """
    tables = {
        row[0]
        for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if "meta" not in tables:
        others = sorted(tables - {"sqlite_sequence"})
        if others:
            raise StateError(
                f"{where} is an SQLite database but not a fin-ingestor state database "
                f"(it has tables {', '.join(others)} and no meta table)"
            )
        return 0
    row = conn.exec_driver_sql("SELECT schema_version FROM meta WHERE id = 1").first()
    if row is None:
        raise StateError(f"{where}: the meta table has no schema version; the file is damaged")
    return int(row[0])


def migrate(
    conn: Connection, *, where: str, migrations: Sequence[Migration] = MIGRATIONS
) -> tuple[int, int]:
    """Bring the database to ``len(migrations)``, one step at a time, in the open transaction.

    Args:
        conn: A connection inside a transaction the caller commits.
        where: The database path, for messages.
        migrations: The steps; tests pass their own.

    Returns:
        The versions before and after.

    Raises:
        StateError: The database is newer than this code, or a step failed.
    """
    current = read_version(conn, where=where)
    target = len(migrations)
    if current > target:
        raise StateError(
            f"{where} has schema version {current}, newer than this fin-ingestor understands "
            f"(version {target}); upgrade fin-ingestor or point state.path elsewhere"
        )
    for version in range(current, target):
        try:
            migrations[version](conn)
        except Exception as exc:
            raise StateError(
                f"{where}: migrating the state schema from version {version} to {version + 1} "
                f"failed: {exc}"
            ) from exc
        conn.exec_driver_sql(
            "INSERT INTO meta (id, schema_version) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET schema_version = excluded.schema_version",
            (version + 1,),
        )
    return current, target
