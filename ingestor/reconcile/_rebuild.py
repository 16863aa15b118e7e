"""``ingestor state rebuild``: a lost state database recreated from Intercom plus the sources.

Each connector's source is adopted by url (``sync_behavior: api`` only), then a reconcile
adopts every page whose Intercom copy equals what a sync would send: unchanged pages cost no
write call. An existing database with anything in it is refused unless ``force``; then it is
moved aside (with its ``-wal`` and ``-shm`` files), never deleted. A PostgreSQL database
cannot be moved aside: a rebuild there needs an empty database (``--force`` is refused).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ingestor.config import Config
from ingestor.errors import StateError, StateLockedError, UsageError
from ingestor.reconcile._report import ReconcileOptions, ReconcileReport
from ingestor.reconcile._run import reconcile_connectors
from ingestor.state import Store

__all__ = ["Rebuild", "move_aside", "rebuild_state"]


@dataclass
class Rebuild:
    """What a rebuild did."""

    #: Where the database that was there before went (``--force``), if anywhere.
    backup: Path | None = None
    reports: list[ReconcileReport] = field(default_factory=list)


def move_aside(path: Path) -> Path:
    """Rename the database and its WAL files to ``<name>.before-rebuild-<UTC time>``."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    backup = path.with_name(f"{path.name}.before-rebuild-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.rename(backup.with_name(backup.name + suffix))
    return backup


def _holds_state(path: Path | str) -> bool:
    """Whether the database at ``path`` has sources or pages (unreadable counts as yes)."""
    if isinstance(path, Path) and not path.exists():
        return False
    try:
        with Store.open(path) as store:
            return not store.is_empty()
    except StateLockedError:
        raise
    except StateError:
        return True


def rebuild_state(
    config: Config,
    *,
    force: bool = False,
    allow_mass_delete: bool = False,
    stop_event: threading.Event | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Rebuild:
    """Recreate the state database of ``config`` from Intercom and the enabled connectors.

    Raises:
        UsageError: The database holds state and ``force`` is not given.
        StateLockedError: A daemon or sync holds the database.
    """
    path = config.state.location
    result = Rebuild()
    if _holds_state(path):
        if not isinstance(path, Path):
            raise UsageError(
                f"state database {config.state.shown} is not empty: `ingestor state rebuild` "
                "recreates a lost one into an empty database; create a new database (or back "
                "this one up and recreate it) and point state.url at it"
            )
        if not force:
            raise UsageError(
                f"state database {path} is not empty: `ingestor state rebuild` recreates a lost "
                "one. To rebuild anyway, add --force: the current file is moved aside, not "
                "deleted"
            )
        result.backup = move_aside(path)
    options = ReconcileOptions(allow_mass_delete=allow_mass_delete)
    result.reports = reconcile_connectors(
        config, options=options, stop_event=stop_event, transport=transport
    )
    return result
