"""What the store hands out: plain frozen records, never live ORM objects.

Times are Unix timestamps in seconds (floats), like the engine's own reports; the database
stores them as readable UTC ISO-8601 text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, get_args

__all__ = [
    "EXCLUDED_HASH",
    "HELD_HASH",
    "RUN_STATUSES",
    "SKIPPED_HASH",
    "ConnectorSummary",
    "HiddenPage",
    "PageRecord",
    "RunCounts",
    "RunRecord",
    "RunStatus",
    "SourceRecord",
    "SyncEntry",
    "WithheldPage",
    "html_digest",
]

#: running until finish_run; interrupted when a signal stopped it (it still recorded what it
#: did); died when its process ended without finishing it (SIGKILL, OOM, power loss): the next
#: process to take the state lock marks it so, and ``status`` shows it so once the pid is gone.
RunStatus = Literal["running", "ok", "partial", "failed", "interrupted", "died"]
RUN_STATUSES: frozenset[str] = frozenset(get_args(RunStatus))


def html_digest(html: str) -> bytes:
    """What state keeps of the HTML last sent (schema v8): BLAKE2b-128 of its UTF-8 bytes.

    Reconcile and adoption compare Intercom's html with what was sent exactly, so equal
    digests mean equal HTML (the v7 to v8 migration computes the same, frozen in its step).
    """
    return hashlib.blake2b(html.encode(), digest_size=16).digest()


@dataclass(slots=True, kw_only=True)
class RunCounts:
    """What one run did, page by page. Mutable so the engine can count as it goes (its
    ``SyncReport`` is one)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    skipped: int = 0
    #: Pages the audience rules (or ``restricted``) keep from Intercom.
    excluded: int = 0
    #: Pages the secrets gate holds back until an admin acts.
    held: int = 0
    #: Vanished pages hidden from Fin (``deletion: hide``), to be deleted after ``hide_for``.
    hidden: int = 0

    @property
    def total(self) -> int:
        """Every page the run accounted for."""
        return (
            self.created
            + self.updated
            + self.unchanged
            + self.deleted
            + self.failed
            + self.skipped
            + self.excluded
            + self.held
            + self.hidden
        )


#: content_hash of a page that was read but had nothing to publish (an image-only PDF).
SKIPPED_HASH = "skipped"
#: content_hash of a page its audience excludes: like a skipped page, not read again while
#: neither it nor the connector's settings change.
EXCLUDED_HASH = "excluded"
#: content_hash of a page the secrets gate holds: read and checked again every run.
HELD_HASH = "held"


class SyncEntry(NamedTuple):
    """The facts the engine's gates need about a page: a tuple, so 100,000 stay small."""

    version: str | None
    content_hash: str | None
    intercom_id: str | None
    #: Set on the sections of a split page: the page's own external_id.
    parent: str | None = None
    #: When the page was hidden from Fin after it vanished (Unix seconds), None if it is not.
    hidden_at: float | None = None


@dataclass(frozen=True, slots=True)
class WithheldPage:
    """A page the gate keeps from Intercom: excluded by its audience, or held for a secret."""

    external_id: str
    audience: str  #: ``exclude`` or ``held``
    rule: str | None  #: the audience rule it matched: ``rule 2 (internal)``, ``restricted``
    reason: str | None  #: for people; secrets masked


@dataclass(frozen=True, slots=True)
class HiddenPage:
    """A page hidden from Fin because it vanished from its source (``deletion: hide``)."""

    external_id: str
    title: str | None
    hidden_at: float  #: Unix seconds
    parent: str | None = None  #: set on the sections of a split page


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """The Intercom Content Import Source a connector imports into."""

    connector: str
    source_id: int
    url: str
    created_at: float  #: when this connector's source was first recorded


@dataclass(frozen=True, slots=True)
class PageRecord:
    """What the last runs know about one page.

    ``version``/``content_hash``/``intercom_id`` are those of the last successful upsert; they
    are None for a page whose first upsert failed (so the next run retries it).
    """

    connector: str
    external_id: str
    version: str | None
    content_hash: str | None
    intercom_id: str | None
    title: str | None
    url: str | None
    last_synced_at: float | None  #: last confirmed upsert or unchanged check
    last_error: str | None
    error_count: int
    failed_at: float | None  #: latest failure, while failing

    @property
    def failed(self) -> bool:
        """True while the page's latest attempt failed."""
        return self.last_error is not None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One sync of one connector."""

    id: int
    connector: str
    started_at: float
    finished_at: float | None  #: None while running, or when its process died
    status: RunStatus
    dry_run: bool
    counts: RunCounts = field(default_factory=RunCounts)
    error: str | None = None
    #: Pages each audience rule decided in this run (``default``: no rule matched).
    rule_counts: dict[str, int] = field(default_factory=dict)
    #: The process that ran it (None for runs recorded before schema v6).
    pid: int | None = None

    @property
    def created(self) -> int:
        """Pages created in Intercom."""
        return self.counts.created

    @property
    def updated(self) -> int:
        """Pages updated in Intercom."""
        return self.counts.updated

    @property
    def unchanged(self) -> int:
        """Pages whose content had not changed (no call made)."""
        return self.counts.unchanged

    @property
    def deleted(self) -> int:
        """Pages deleted from Intercom."""
        return self.counts.deleted

    @property
    def failed(self) -> int:
        """Pages that failed."""
        return self.counts.failed

    @property
    def skipped(self) -> int:
        """Pages skipped."""
        return self.counts.skipped

    @property
    def excluded(self) -> int:
        """Pages their audience excluded."""
        return self.counts.excluded

    @property
    def held(self) -> int:
        """Pages the secrets gate held."""
        return self.counts.held

    @property
    def hidden(self) -> int:
        """Vanished pages hidden from Fin, to be deleted later."""
        return self.counts.hidden

    @property
    def duration(self) -> float | None:
        """How long the run took, in seconds; None while running or when its process died."""
        return None if self.finished_at is None else self.finished_at - self.started_at


@dataclass(frozen=True, slots=True)
class ConnectorSummary:
    """One line of ``ingestor status``: a connector's source, pages and last run."""

    connector: str
    source_id: int | None
    source_url: str | None
    pages: int  #: pages recorded (imported, or tried)
    failed: int  #: pages whose latest attempt failed
    last_run: RunRecord | None
