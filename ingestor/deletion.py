"""Deleting pages: the guard that stops a broken mount or an emptied export from wiping Fin's
knowledge, and the one way a page is removed from Intercom and then from state."""

from __future__ import annotations

from ingestor.errors import PageError
from ingestor.intercom import IntercomClient
from state import Store

__all__ = ["deletion_guard", "remove_page"]


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
