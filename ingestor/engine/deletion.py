"""Deleting pages: the guard that stops a broken mount or an emptied export from wiping Fin's
knowledge, and the ways a page leaves Intercom (docs/deletion.md).

With ``deletion: hide`` (the default) a page that vanished from its source is first hidden
from Fin and Copilot (Intercom's copy read by id and upserted back with both availabilities
false: two calls, since state keeps only a digest of the HTML sent) and deleted
only once ``hide_for`` has passed; if it comes back meanwhile, the normal upsert of the sync
restores it in place, with its Intercom id. With ``deletion: delete`` it is deleted at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from ingestor.connectors.base import format_duration
from ingestor.engine.breaker import UnreachableBreaker
from ingestor.engine.policy import PagePolicy
from ingestor.engine.report import MAX_HELD_BACK_KEPT, Outcome, PageEvent, SyncReport
from ingestor.errors import PageError, RetriableError
from ingestor.intercom import ExternalPage, IntercomClient, PageUpsert
from ingestor.state import Store, SyncIndex

__all__ = [
    "DeletionPlan",
    "VanishedPages",
    "deletion_guard",
    "hide_copy",
    "plan_deletions",
    "remove_page",
]

VANISHED = "vanished from the source"
ALREADY_GONE = f"{VANISHED}; already gone from Intercom"


def remove_page(
    client: IntercomClient, store: Store, connector: str, external_id: str, intercom_id: str | None
) -> None:
    """Delete a page from Intercom (already gone is fine), then forget it.

    Raises:
        PageError: Intercom refused the delete; state still knows the page, so it is retried.
    """
    if intercom_id is not None:
        try:
            client.delete_page(intercom_id)
        except PageError as exc:
            if exc.status_code != 404:
                raise
    store.record_delete(connector, external_id)


def hide_copy(client: IntercomClient, copy: ExternalPage) -> ExternalPage:
    """Upsert Intercom's own copy of a page back with both availabilities false: hidden from
    Fin and Copilot, content untouched (2.14's PUT cannot set the two flags; the upsert can).

    Raises:
        PageError: Intercom refused the upsert.
    """
    return client.upsert_page(
        PageUpsert(
            source_id=copy.source_id,
            external_id=copy.external_id,
            title=copy.title,
            html=copy.html,
            url=copy.url or None,
            ai_agent_availability=False,
            ai_copilot_availability=False,
            locale=copy.locale,
        )
    )


def deletion_guard(
    vanished: int, known: int, max_fraction: float, allow_mass: bool, *, verb: str = "deleted"
) -> str | None:
    """Why taking ``vanished`` of ``known`` pages out of Fin must not happen, or None if it may.

    ``verb`` names what is held back ("deleted", or "hidden" with ``deletion: hide``).
    """
    if allow_mass or vanished == 0:
        return None
    if vanished >= known:
        return (
            f"deletion guard: all {known} pages vanished from the source (empty or unmounted?); "
            f"nothing {verb}. Re-run with --allow-mass-delete if this is intended"
        )
    if vanished / known > max_fraction:
        return (
            f"deletion guard: {vanished} of {known} pages vanished ({vanished / known:.0%}), "
            f"over max_delete_fraction {max_fraction:.0%}; nothing {verb}. Re-run with "
            "--allow-mass-delete if this is intended"
        )
    return None


@dataclass
class DeletionPlan:
    """What the deletion phase of one run does with the pages the source no longer holds."""

    #: Vanished pages still visible in Intercom: hidden (or deleted) behind the guard.
    fresh: list[tuple[str, str]] = field(default_factory=list)
    #: Hidden pages still gone whose ``hide_for`` passed (any, with ``deletion: delete``):
    #: deleted without a second guard, since they passed it when they were hidden.
    due: list[tuple[str, str, float]] = field(default_factory=list)
    #: Hidden pages still within ``hide_for``: nothing to do, no call.
    waiting: int = 0
    #: Vanished pages that never reached Intercom: only state forgets them.
    unsent: list[str] = field(default_factory=list)
    #: Pages visible in Intercom before this run: what the guard weighs ``fresh`` against.
    visible: int = 0


def plan_deletions(
    index: SyncIndex,
    vanished: Sequence[str],
    reappeared: Container[str],
    policy: PagePolicy,
    now: float,
) -> DeletionPlan:
    """Sort the run's vanished and hidden pages into what to hide, delete, or leave.

    ``reappeared`` holds the pages the source listed again this run (they go through the
    normal upsert, which restores a hidden page): their hidden rows are left alone. Hidden
    pages are looked up in ``index`` rather than in ``vanished`` because an incremental
    listing reports a page gone only once.
    """
    plan = DeletionPlan(visible=index.visible)
    for eid, hidden_at in index.hidden.items():
        if (index.parent(eid) or eid) in reappeared:
            continue
        intercom_id = index[eid].intercom_id  # read for the hidden pages only
        if intercom_id is None:
            continue
        if policy.deletion == "delete" or now >= hidden_at + policy.hide_for.total_seconds():
            plan.due.append((eid, intercom_id, hidden_at))
        else:
            plan.waiting += 1
    for eid in vanished:
        entry = index[eid]
        if entry.intercom_id is None:
            plan.unsent.append(eid)
        elif entry.hidden_at is None:
            plan.fresh.append((eid, entry.intercom_id))
    return plan


class VanishedPages:
    """The last phase of a run: hides or deletes the pages listed before and not now, behind
    the guard, and deletes the hidden pages whose time is up."""

    def __init__(
        self,
        client: IntercomClient,
        store: Store,
        connector: str,
        log: logging.LoggerAdapter[logging.Logger],
        *,
        dry_run: bool,
        stop_event: threading.Event,
    ) -> None:
        self.client = client
        self.store = store
        self.connector = connector
        self.log = log
        self.dry_run = dry_run
        self.stop_event = stop_event
        self.breaker: UnreachableBreaker | None = None

    def settle(
        self,
        plan: DeletionPlan,
        policy: PagePolicy,
        *,
        allow_mass: bool,
        report: SyncReport,
        count: Callable[[PageEvent], None],
        breaker: UnreachableBreaker | None = None,
    ) -> None:
        """Carry out ``plan``; only a complete listing may call this.

        A page that never reached Intercom is only forgotten. A blocked guard is recorded in
        ``report`` and keeps every fresh page as it is, but hidden pages whose time is up are
        still deleted. A hide or delete that fails after its retries fails that page;
        ``breaker`` ends the run (raises IntercomUnreachable) when Intercom looks down for
        every call.
        """
        self.breaker = breaker
        if not self.dry_run:
            for eid in plan.unsent:  # never reached Intercom: only state knows it
                self.store.record_delete(self.connector, eid)
        hide = policy.deletion == "hide"
        blocked = deletion_guard(
            len(plan.fresh),
            plan.visible,
            policy.max_delete_fraction,
            allow_mass,
            verb="hidden" if hide else "deleted",
        )
        if blocked:
            report.deletion_blocked = blocked
            report.held_back = [eid for eid, _ in plan.fresh[:MAX_HELD_BACK_KEPT]]
            self.log.warning("sync %s: %s", self.connector, blocked)
        work: list[Callable[[], PageEvent]] = []
        fresh = self._hide_one if hide else self._delete_fresh
        for eid, intercom_id in [] if blocked else plan.fresh:
            work.append(partial(fresh, eid, intercom_id, policy))
        for eid, intercom_id, hidden_at in plan.due:
            work.append(partial(self._delete_due, eid, intercom_id, hidden_at, policy))
        for step in work:
            if self.stop_event.is_set():
                report.interrupted = True
                return
            count(step())

    # -- one page each -------------------------------------------------------------------------

    def _delete_fresh(self, external_id: str, intercom_id: str, policy: PagePolicy) -> PageEvent:
        return self._delete(external_id, intercom_id, VANISHED)

    def _delete_due(
        self, external_id: str, intercom_id: str, hidden_at: float, policy: PagePolicy
    ) -> PageEvent:
        since = datetime.fromtimestamp(hidden_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        if policy.deletion == "delete":
            reason = f"hidden since {since}; deletion: delete"
        else:
            reason = f"hidden since {since}; hide_for {format_duration(policy.hide_for)} passed"
        return self._delete(external_id, intercom_id, reason)

    def _hide_one(self, external_id: str, intercom_id: str, policy: PagePolicy) -> PageEvent:
        """Intercom's copy read by id, then upserted back with both availabilities false (two
        calls: state keeps only a digest of the HTML sent). A copy already gone (404) is
        forgotten; a connector without a recorded source deletes instead."""
        if self.store.get_source(self.connector) is None:
            why = "no source recorded"
            self.log.info(
                "sync %s: %s vanished; deleted rather than hidden: %s",
                self.connector,
                external_id,
                why,
                extra={"external_id": external_id},
            )
            return self._delete(external_id, intercom_id, f"{VANISHED}; not hidden: {why}")
        reason = f"{VANISHED}; hidden, deleted after {format_duration(policy.hide_for)}"
        if self.dry_run:
            return PageEvent(external_id, Outcome.HIDDEN, reason)
        try:
            copy = self.client.get_page(intercom_id)
        except PageError as exc:
            if exc.status_code != 404:
                return self._failed(external_id, "hide", exc)
            self.store.record_delete(self.connector, external_id)
            return PageEvent(external_id, Outcome.DELETED, ALREADY_GONE)
        except RetriableError as exc:
            return self._failed(external_id, "hide", exc)
        try:
            page = hide_copy(self.client, copy)
        except (PageError, RetriableError) as exc:
            return self._failed(external_id, "hide", exc)
        self.store.record_hidden(self.connector, external_id, intercom_id=page.id)
        return PageEvent(external_id, Outcome.HIDDEN, reason)

    def _delete(self, external_id: str, intercom_id: str, reason: str) -> PageEvent:
        if self.dry_run:
            return PageEvent(external_id, Outcome.DELETED, reason)
        try:
            remove_page(self.client, self.store, self.connector, external_id, intercom_id)
        except (PageError, RetriableError) as exc:
            return self._failed(external_id, "delete", exc)
        return PageEvent(external_id, Outcome.DELETED, reason)

    def _failed(self, external_id: str, action: str, exc: PageError | RetriableError) -> PageEvent:
        breaker = self.breaker
        outage = breaker.failed(exc) if isinstance(exc, RetriableError) and breaker else None
        if outage is not None:
            raise outage from exc
        message = f"{action}: {exc}"
        self.log.warning(
            "sync %s: %s failed: %s",
            self.connector,
            external_id,
            message,
            extra={"external_id": external_id},
        )
        self.store.record_failure(self.connector, external_id, error=message)
        return PageEvent(external_id, Outcome.FAILED, message)
