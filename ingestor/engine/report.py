"""What a sync run tells the outside world: counts, per-page outcomes, and the observer hook."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from ingestor.errors import ConfigError, StateError, SyncError
from ingestor.state import RunCounts

__all__ = [
    "MAX_BROKEN_LINKS_KEPT",
    "MAX_FAILURES_KEPT",
    "MAX_HELD_BACK_KEPT",
    "NullObserver",
    "Outcome",
    "PageEvent",
    "SyncObserver",
    "SyncReport",
]


#: Failures a report keeps in memory; the counter and the state database have them all.
MAX_FAILURES_KEPT = 1000
#: Vanished pages a report lists when the deletion guard keeps them.
MAX_HELD_BACK_KEPT = 1000
#: Broken links a report lists (the state database keeps every page's own list).
MAX_BROKEN_LINKS_KEPT = 1000


class Outcome(StrEnum):
    """What happened to one page in one run (in a dry run: what would happen)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    FAILED = "failed"
    #: Read, but nothing to publish (an image-only PDF): reported, never uploaded empty.
    SKIPPED = "skipped"
    #: Its audience (a rule, or a restriction at the source) keeps it from Intercom.
    EXCLUDED = "excluded"
    #: The secrets gate found a credential in it: not sent until an admin acts.
    HELD = "held"
    #: Vanished from the source: hidden from Fin (``deletion: hide``), deleted after hide_for.
    HIDDEN = "hidden"


@dataclass(frozen=True, slots=True)
class PageEvent:
    """One page's outcome, with the reason a person needs to understand it."""

    external_id: str
    outcome: Outcome
    reason: str = ""
    #: Who the page is for: ``customers``, ``team``, ``exclude``, ``held`` ("" when the page
    #: was not read this run).
    audience: str = ""
    #: What decided the audience: ``rule 2 (internal)``, ``default`` or ``restricted``.
    matched: str = ""
    #: An earlier version was in Intercom and this run takes (or would take) it down.
    taken_down: bool = False
    #: The page had been hidden after it vanished, and this (updated) upsert restores it.
    restored: bool = False


@dataclass
class SyncReport(RunCounts):
    """Result of syncing one connector once: the counters the state database records (created,
    updated, unchanged, deleted, failed, skipped, hidden...), and what a person needs to read."""

    connector: str
    dry_run: bool = False
    run_id: int | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    listed: int = 0
    #: False when the listing raised or skipped part of the source: nothing is deleted then.
    listing_complete: bool = True
    listing_problems: list[str] = field(default_factory=list)
    #: Why vanished pages were kept, when the deletion guard held them back.
    deletion_blocked: str | None = None
    #: A run-level error (Intercom unreachable, authentication...) that ended the run early.
    error: str | None = None
    failures: list[PageEvent] = field(default_factory=list)
    skips: list[PageEvent] = field(default_factory=list)
    #: Every create/update/delete, kept only in dry runs (which print it): a first sync of
    #: 100,000 pages must not hold 100,000 events.
    changes: list[PageEvent] = field(default_factory=list)
    interrupted: bool = False
    #: ``(page, missing page it links to)`` for links to pages the source does not hold.
    broken_links: list[tuple[str, str]] = field(default_factory=list)
    #: Vanished pages the deletion guard kept (at most MAX_HELD_BACK_KEPT are listed).
    held_back: list[str] = field(default_factory=list)
    #: Excluded and held pages (at most MAX_FAILURES_KEPT), with the reason each is withheld.
    withheld: list[PageEvent] = field(default_factory=list)
    #: Pages each audience rule decided among those read this run (``default``: no rule).
    rule_counts: dict[str, int] = field(default_factory=dict)
    #: Pages sent before that the gate takes down (or would, in a dry run).
    taken_down: int = 0
    #: Hidden pages that came back and were restored in place (counted as updated too).
    restored: int = 0
    #: What the run changes (or would) on the Content Import Source itself: a new url, or a
    #: source deleted in Intercom to re-create.
    source_change: str | None = None
    #: With SyncOptions.collect_html: what each planned create/update would send.
    planned_html: dict[str, str] = field(default_factory=dict, repr=False)
    #: The error that ended the run early, for callers that map it to an exit code.
    exception: SyncError | ConfigError | StateError | None = field(default=None, repr=False)

    def count(self, event: PageEvent) -> None:
        """Add one page outcome to the counters and lists."""
        setattr(self, event.outcome.value, getattr(self, event.outcome.value) + 1)
        if event.matched:
            self.rule_counts[event.matched] = self.rule_counts.get(event.matched, 0) + 1
        self.taken_down += event.taken_down
        self.restored += event.restored
        if event.outcome in (Outcome.EXCLUDED, Outcome.HELD):
            if len(self.withheld) < MAX_FAILURES_KEPT:
                self.withheld.append(event)
        elif event.outcome is Outcome.FAILED:
            if len(self.failures) < MAX_FAILURES_KEPT:  # all of them are in the state db
                self.failures.append(event)
        elif event.outcome is Outcome.SKIPPED:
            if len(self.skips) < MAX_FAILURES_KEPT:
                self.skips.append(event)
        elif self.dry_run and event.outcome is not Outcome.UNCHANGED:
            self.changes.append(event)

    @property
    def duration(self) -> float:
        end = self.finished_at if self.finished_at is not None else time.time()
        return max(0.0, end - self.started_at)

    @property
    def status(self) -> str:
        """``ok``, ``partial`` (pages failed, listing incomplete or deletions held back),
        ``interrupted`` or ``failed`` (the run ended early).

        Excluded and held pages do not make a run partial: withholding them is the gate doing
        its job. Held pages are reported by every run (and ``status``) until an admin acts.
        """
        if self.error is not None:
            return "failed"
        if self.interrupted:
            return "interrupted"
        if self.failed or not self.listing_complete or self.deletion_blocked:
            return "partial"
        return "ok"


class SyncObserver(Protocol):
    """Progress hook: the CLI draws a progress bar from it, the daemon feeds metrics."""

    def listed(self, connector: str, *, total: int, to_process: int) -> None:
        """The listing finished: ``to_process`` pages need a fetch (the rest are unchanged)."""

    def page_done(self, connector: str, event: PageEvent) -> None:
        """One page of ``to_process`` (or one deletion) is done."""


class NullObserver:
    """An observer that ignores everything."""

    def listed(self, connector: str, *, total: int, to_process: int) -> None:
        return None

    def page_done(self, connector: str, event: PageEvent) -> None:
        return None
