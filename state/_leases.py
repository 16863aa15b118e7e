"""Leases: which daemon instance owns each connector, kept in the state database itself.

Several ``ingestor daemon`` processes may share one state database (PostgreSQL; on SQLite the
file's flock still admits one process, and the same code runs with one instance). A connector
is synced only by the instance holding its lease; a lease runs out unless its owner renews it.

Every statement is SQLAlchemy Core and atomic on both backends:

- **acquire** is one ``INSERT ... ON CONFLICT (connector) DO UPDATE ... WHERE`` that succeeds
  only when the lease is free (released or never taken), expired, or already ours; ``fence``
  grows by one whenever the owner changes;
- **renew** is one ``UPDATE ... WHERE owner = me AND fence = f AND expires_at > now``: a lease
  that ran out is lost even if nobody took it yet (its run may already have been cut short);
- **release** sets ``expires_at`` to 0 under the same condition.

Clocks: ``acquired_at``, ``heartbeat_at`` and ``expires_at`` are seconds since the epoch read
from the *database's* clock inside each statement (:class:`db_epoch`), so clock skew between
daemon machines does not matter. The owner bounds its own lease with its *monotonic* clock:
a lease renewed by a statement sent at monotonic time ``t`` is trusted locally until
``t + period / 2``, while the database lets no one else take it before ``t + period`` (the
statement ran after it was sent). The half period left over covers writes already in flight
and clock-rate drift; a run checks :meth:`Lease.check` before every write (fencing).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from secrets import token_hex
from typing import Any

from sqlalchemy import Engine, Float, and_, case, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ingestor.errors import LeaseLostError
from ingestor.state._statements import mark_connector_runs_died
from ingestor.state._tables import instances_table as _instances
from ingestor.state._tables import leases_table as _leases

__all__ = [
    "InstanceInfo",
    "Lease",
    "LeaseBook",
    "LeaseInfo",
    "db_epoch",
    "new_instance_id",
]

#: The share of a period a renewed lease is trusted locally (see the module docstring).
LOCAL_TRUST = 0.5


class db_epoch(FunctionElement[float]):
    """The database server's current time in seconds since the epoch (float)."""

    type = Float()
    inherit_cache = True


@compiles(db_epoch, "sqlite")
def _sqlite_epoch(element: db_epoch, compiler: SQLCompiler, **kw: Any) -> str:
    # julianday('now') has millisecond precision; unixepoch('subsec') needs SQLite 3.42
    return "((julianday('now') - 2440587.5) * 86400.0)"


@compiles(db_epoch, "postgresql")
def _postgresql_epoch(element: db_epoch, compiler: SQLCompiler, **kw: Any) -> str:
    # clock_timestamp(), not now(): now() is frozen at the start of the transaction
    return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"


def new_instance_id() -> str:
    """``host:pid:random``: unique across machines and across restarts of one pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{token_hex(4)}"


class Lease:
    """A lease this instance holds: the run that uses it calls :meth:`check` before writing."""

    def __init__(self, connector: str, owner: str, fence: int, *, trusted_until: float) -> None:
        self.connector = connector
        self.owner = owner
        self.fence = fence
        #: Who held it before, when that instance did not release it (it died or stalled).
        self.taken_from: str | None = None
        self._trusted_until = trusted_until
        self._lost: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Lease {self.connector} fence {self.fence} {self._lost or 'held'}>"

    @property
    def lost(self) -> str | None:
        """Why the lease is lost; None while it is held."""
        with self._lock:
            if self._lost is None and time.monotonic() >= self._trusted_until:
                self._lost = "its renewal is overdue (the state database did not answer in time)"
            return self._lost

    def check(self) -> None:
        """Raise unless the lease is still ours: called before each write to Intercom and to
        the state database.

        Raises:
            LeaseLostError: It was released, taken over, or not renewed in time.
        """
        reason = self.lost
        if reason is not None:
            raise LeaseLostError(
                f"connector {self.connector}: this daemon instance no longer holds its lease "
                f"({reason}); the run stops before writing anything more"
            )

    def extend(self, trusted_until: float) -> None:
        with self._lock:
            if self._lost is None:
                self._trusted_until = max(self._trusted_until, trusted_until)

    def lose(self, reason: str) -> None:
        with self._lock:
            if self._lost is None:
                self._lost = reason


@dataclass(frozen=True, slots=True)
class LeaseInfo:
    """A live lease as the table holds it (for status)."""

    connector: str
    owner: str
    fence: int
    acquired_at: float
    expires_in: float  # seconds, by the database's clock


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    """A live daemon instance (its heartbeat has not run out)."""

    id: str
    host: str
    pid: int
    started_at: float
    expires_in: float


class LeaseBook:
    """The leases and instance heartbeat of one daemon instance.

    Args:
        engine: The state database's engine (shared with the store).
        instance: This instance's id (:func:`new_instance_id`).
        period: Seconds a lease or heartbeat lasts unless renewed.
    """

    def __init__(self, engine: Engine, instance: str, period: float) -> None:
        if period <= 0:
            raise ValueError("the lease period must be positive")
        self.engine = engine
        self.instance = instance
        self.period = period

    # -- this instance ---------------------------------------------------------------------

    def heartbeat(self) -> None:
        """Say this instance is alive for one more period (creates its row the first time)."""
        host, pid = self.instance.split(":")[:2]
        now = db_epoch()
        values = {
            "id": self.instance,
            "host": host,
            "pid": int(pid),
            "started_at": now,
            "heartbeat_at": now,
            "expires_at": now + self.period,
        }
        with self.engine.begin() as conn:
            insert = _insert_for(self.engine)(_instances).values(values)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[_instances.c.id],
                    set_={"heartbeat_at": now, "expires_at": now + self.period},
                )
            )

    def retire(self) -> None:
        """Release every lease of this instance and remove its heartbeat (a clean stop)."""
        with self.engine.begin() as conn:
            conn.execute(
                _leases.update()
                .where(_leases.c.owner == self.instance, _leases.c.expires_at > 0)
                .values(expires_at=0.0)
            )
            conn.execute(_instances.delete().where(_instances.c.id == self.instance))

    def forget_others(self) -> None:
        """Free every other instance's leases and heartbeat: for a process that knows it is the
        database's only user (SQLite's flock), whatever a killed predecessor left behind."""
        with self.engine.begin() as conn:
            conn.execute(
                _leases.update()
                .where(_leases.c.owner != self.instance, _leases.c.expires_at > 0)
                .values(expires_at=0.0)
            )
            conn.execute(_instances.delete().where(_instances.c.id != self.instance))

    def live_instances(self) -> list[InstanceInfo]:
        """Instances whose heartbeat has not run out (this one included once it beat)."""
        now = db_epoch()
        query = (
            select(
                _instances.c.id,
                _instances.c.host,
                _instances.c.pid,
                _instances.c.started_at,
                _instances.c.expires_at - now,
            )
            .where(_instances.c.expires_at > now)
            .order_by(_instances.c.id)
        )
        with self.engine.connect() as conn:
            return [InstanceInfo(*row) for row in conn.execute(query)]

    # -- leases ----------------------------------------------------------------------------

    def acquire(self, connector: str) -> Lease | None:
        """Take (or keep) the lease of ``connector``; None when another instance holds it."""
        now = db_epoch()
        sent = time.monotonic()
        ours = _leases.c.owner == self.instance
        insert = _insert_for(self.engine)(_leases).values(
            connector=connector,
            owner=self.instance,
            fence=1,
            acquired_at=now,
            heartbeat_at=now,
            expires_at=now + self.period,
            taken_from=None,
        )
        excluded = insert.excluded
        statement = insert.on_conflict_do_update(
            index_elements=[_leases.c.connector],
            set_={
                "owner": excluded.owner,
                "fence": _case_ours(ours, _leases.c.fence, _leases.c.fence + 1),
                "acquired_at": _case_ours(ours, _leases.c.acquired_at, excluded.acquired_at),
                "heartbeat_at": excluded.heartbeat_at,
                "expires_at": excluded.expires_at,
                # an owner that did not release it died or stalled: say so (run it at once)
                "taken_from": case(
                    (ours, _leases.c.taken_from),
                    (_leases.c.expires_at > 0, _leases.c.owner),
                    else_=None,
                ),
            },
            where=or_(ours, _leases.c.expires_at <= excluded.acquired_at),
        )
        # The upsert comes first: it takes SQLite's write lock (a read first could not be
        # upgraded once another writer moved on) and PostgreSQL's row lock.
        # Whether it did anything is read back rather than from the row count, which psycopg
        # does not report for an upsert; the row stays locked by it until the commit.
        with self.engine.begin() as conn:
            conn.execute(statement)
            row = conn.execute(
                select(_leases.c.fence, _leases.c.taken_from).where(
                    _leases.c.connector == connector, ours, _leases.c.expires_at > now
                )
            ).first()
        if row is None:
            return None
        fence, taken_from = row
        lease = Lease(connector, self.instance, int(fence), trusted_until=self._trust(sent))
        lease.taken_from = taken_from
        return lease

    def bury_dead_owners_runs(self, lease: Lease) -> list[int]:
        """Record as 'died' the runs of ``lease``'s connector left 'running' by the owner it
        was just taken over from (``taken_from``): only the owner runs a connector, so they
        were that dead owner's, and on a shared database no later start would say so. Call
        right after the take-over, before this instance runs the connector. Returns run ids."""
        if lease.taken_from is None:
            return []
        with self.engine.begin() as conn:
            return mark_connector_runs_died(conn, lease.connector)

    def renew(self, lease: Lease) -> bool:
        """Extend ``lease`` by one period; False (and the lease marked lost) when it ran out
        or changed hands meanwhile. A database error raises and leaves the lease as it was: it
        is lost anyway once its local trust runs out."""
        if lease.lost is not None:
            return False
        now = db_epoch()
        sent = time.monotonic()
        with self.engine.begin() as conn:
            renewed = conn.execute(
                _leases.update()
                .where(_held(lease), _leases.c.expires_at > now)
                .values(heartbeat_at=now, expires_at=now + self.period)
            ).rowcount
        if renewed != 1:
            lease.lose("it ran out or another instance took it over")
            return False
        lease.extend(self._trust(sent))
        return True

    def release(self, lease: Lease) -> None:
        """Give ``lease`` up at once (another instance may take it now)."""
        lease.lose("released")
        with self.engine.begin() as conn:
            conn.execute(
                _leases.update()
                .where(_held(lease), _leases.c.expires_at > 0)
                .values(expires_at=0.0)
            )

    def live_leases(self) -> dict[str, LeaseInfo]:
        """Every lease that has not run out nor been released, by connector."""
        now = db_epoch()
        query = select(
            _leases.c.connector,
            _leases.c.owner,
            _leases.c.fence,
            _leases.c.acquired_at,
            _leases.c.expires_at - now,
        ).where(_leases.c.expires_at > now)
        with self.engine.connect() as conn:
            return {row[0]: LeaseInfo(*row) for row in conn.execute(query)}

    def _trust(self, sent: float) -> float:
        return sent + self.period * LOCAL_TRUST


def _held(lease: Lease) -> Any:
    return and_(
        _leases.c.connector == lease.connector,
        _leases.c.owner == lease.owner,
        _leases.c.fence == lease.fence,
    )


def _case_ours(ours: Any, keep: Any, other: Any) -> Any:
    return case((ours, keep), else_=other)


def _insert_for(engine: Engine) -> Any:
    """The dialect's INSERT with ``on_conflict_do_update`` (same API on both backends)."""
    name = engine.dialect.name
    if name == "sqlite":
        return sqlite.insert
    if name == "postgresql":
        return postgresql.insert
    raise NotImplementedError(f"leases need SQLite or PostgreSQL, not {name}")
