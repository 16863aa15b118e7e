"""Deleting pages: the guard that stops a broken mount or an emptied export from wiping Fin's
knowledge, and the one way a page is removed from Intercom and then from state."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from ingestor.breaker import UnreachableBreaker
from ingestor.errors import PageError, RetriableError
from ingestor.intercom import IntercomClient
from ingestor.report import MAX_HELD_BACK_KEPT, Outcome, PageEvent, SyncReport
from state import Store, SyncEntry

__all__ = ["VanishedPages", "deletion_guard", "remove_page"]


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


def deletion_guard(vanished: int, known: int, max_fraction: float, allow_mass: bool) -> str | None:
    """Why deleting ``vanished`` of ``known`` pages must not happen, or None if it may."""
    if allow_mass or vanished == 0:
        return None
    if vanished >= known:
        return (
            f"deletion guard: all {known} pages vanished from the source (empty or unmounted?); "
            "nothing deleted. Re-run with --allow-mass-delete if this is intended"
        )
    if vanished / known > max_fraction:
        return (
            f"deletion guard: {vanished} of {known} pages vanished ({vanished / known:.0%}), "
            f"over max_delete_fraction {max_fraction:.0%}; nothing deleted. Re-run with "
            "--allow-mass-delete if this is intended"
        )
    return None


class VanishedPages:
    """The last phase of a run: deletes the pages listed before and not now, behind the guard."""

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

    def delete(
        self,
        vanished: Sequence[tuple[str, SyncEntry]],
        *,
        known: int,
        max_fraction: float,
        allow_mass: bool,
        report: SyncReport,
        count: Callable[[PageEvent], None],
        breaker: UnreachableBreaker | None = None,
    ) -> None:
        """Delete ``vanished`` (of ``known`` pages in Intercom) unless the guard objects.

        Only a complete listing may call this. A page that never reached Intercom is only
        forgotten; a blocked deletion is recorded in ``report`` and deletes nothing at all.
        A delete that fails after its retries fails that page; ``breaker`` ends the run
        (raises IntercomUnreachable) when Intercom looks down for every call.
        """
        live = [(eid, entry.intercom_id) for eid, entry in vanished if entry.intercom_id]
        if not self.dry_run:
            for eid, entry in vanished:
                if entry.intercom_id is None:  # never reached Intercom: only state knows it
                    self.store.record_delete(self.connector, eid)
        if not live:
            return
        blocked = deletion_guard(len(live), known, max_fraction, allow_mass)
        if blocked:
            report.deletion_blocked = blocked
            report.held_back = [external_id for external_id, _ in live[:MAX_HELD_BACK_KEPT]]
            self.log.warning("sync %s: %s", self.connector, blocked)
            return
        for external_id, intercom_id in live:
            if self.stop_event.is_set():
                report.interrupted = True
                return
            count(self._delete_one(external_id, intercom_id, breaker))

    def _delete_one(
        self, external_id: str, intercom_id: str, breaker: UnreachableBreaker | None
    ) -> PageEvent:
        if self.dry_run:
            return PageEvent(external_id, Outcome.DELETED, "vanished from the source")
        try:
            remove_page(self.client, self.store, self.connector, external_id, intercom_id)
        except (PageError, RetriableError) as exc:
            outage = breaker.failed(exc) if isinstance(exc, RetriableError) and breaker else None
            if outage is not None:
                raise outage from exc
            self.log.warning(
                "sync %s: delete %s failed: %s",
                self.connector,
                external_id,
                exc,
                extra={"external_id": external_id},
            )
            self.store.record_failure(self.connector, external_id, error=f"delete: {exc}")
            return PageEvent(external_id, Outcome.FAILED, f"delete: {exc}")
        return PageEvent(external_id, Outcome.DELETED, "vanished from the source")
