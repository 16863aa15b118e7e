"""The deletion guard: a broken mount or an emptied export must never wipe Fin's knowledge."""

from __future__ import annotations

__all__ = ["deletion_guard"]


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
