"""What one reconcile of one connector found and did, and its JSON summary for state."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ingestor.engine.report import SyncReport
from ingestor.errors import SyncError
from ingestor.reconcile._compare import Findings

__all__ = ["MAX_LISTED", "Duplicate", "ReconcileOptions", "ReconcileReport"]

#: Longest list of external ids a summary keeps per kind (the counts are always whole).
MAX_LISTED = 50


@dataclass(frozen=True, slots=True)
class ReconcileOptions:
    """How to reconcile: what the CLI flags say."""

    #: Find and report; write nothing to Intercom or state.
    dry_run: bool = False
    #: Let orphan deletions (and the repair sync's) pass the max_delete_fraction guard.
    allow_mass_delete: bool = False
    #: Delete from other installations' sources with our url the pages our source holds.
    adopt_duplicates: bool = False


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Another ``sync_behavior: api`` source with our url (another installation?)."""

    source_id: int
    url: str
    pages: int


@dataclass
class ReconcileReport:
    """One connector's reconcile."""

    connector: str
    dry_run: bool = False
    reconcile_id: int | None = None
    source_id: int | None = None
    #: Our source was deleted in Intercom (the repair sync re-creates and refills it).
    source_deleted: bool = False
    #: State knew no source; the api source with our url was taken (lost state, rebuild).
    source_adopted: bool = False
    findings: Findings = field(default_factory=Findings)
    duplicates: list[Duplicate] = field(default_factory=list)
    #: The connector's listing was incomplete: no page counted as an orphan.
    listing_complete: bool = True
    #: Intercom's page list stopped at the deep-paging cap.
    listing_capped: bool = False
    orphans_deleted: int = 0
    deletion_blocked: str | None = None
    rehidden: int = 0
    adopted: list[str] = field(default_factory=list)
    adopted_updated: list[str] = field(default_factory=list)
    duplicates_removed: int = 0
    #: ``--adopt-duplicates`` went through the duplicates.
    duplicates_cleared: bool = False
    sync: SyncReport | None = None
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    exception: SyncError | None = field(default=None, repr=False)
    calls: int = 0
    list_calls: int = 0
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    @property
    def seconds(self) -> float:
        return (self.finished_at or time.time()) - self.started_at

    @property
    def unresolved_duplicates(self) -> bool:
        return bool(self.duplicates) and not self.duplicates_cleared

    @property
    def status(self) -> str:
        """failed (Intercom failed us), partial (something is left to an admin), or ok."""
        if self.exception is not None or self.error is not None:
            return "failed"
        sync_ok = self.sync is None or self.sync.status == "ok"
        if (
            self.deletion_blocked
            or self.problems
            or self.unresolved_duplicates
            or not self.listing_complete
            or not sync_ok
        ):
            return "partial"
        return "ok"

    def summary(self) -> dict[str, Any]:
        """The JSON kept in the ``reconciles`` table (``plan`` and ``status`` read it)."""
        found = self.findings
        sync = self.sync
        return {
            "source_id": self.source_id,
            "source_deleted": self.source_deleted,
            "source_adopted": self.source_adopted,
            "counts": {
                "matching": found.matching,
                "missing": len(found.missing),
                "drifted": len(found.drifted),
                "unknown": len(found.unknown),
                "orphans": len(found.orphans),
                "adopted": len(self.adopted),
                "adopted_updated": len(self.adopted_updated),
                "orphans_deleted": self.orphans_deleted,
                "rehidden": self.rehidden,
                "duplicates_removed": self.duplicates_removed,
            },
            "missing": found.missing[:MAX_LISTED],
            "drifted": dict(sorted(found.drifted.items())[:MAX_LISTED]),
            "orphans": [eid for eid, _ in found.orphans[:MAX_LISTED]],
            "adopted": sorted(self.adopted)[:MAX_LISTED],
            "duplicates": [
                {"source_id": d.source_id, "url": d.url, "pages": d.pages} for d in self.duplicates
            ],
            "deletion_blocked": self.deletion_blocked,
            "listing_complete": self.listing_complete,
            "listing_capped": self.listing_capped,
            "orphans_unsearched": self.listing_capped,
            "problems": self.problems[:MAX_LISTED],
            "error": self.error,
            "sync": None
            if sync is None
            else {
                "run_id": sync.run_id,
                "status": sync.status,
                "created": sync.created,
                "updated": sync.updated,
                "deleted": sync.deleted,
                "failed": sync.failed,
            },
            "calls": self.calls,
            "list_calls": self.list_calls,
            "seconds": round(self.seconds, 3),
        }
