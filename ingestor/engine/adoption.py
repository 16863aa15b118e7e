"""Adopting pages that Intercom holds under our source but state does not know (lost state, a
restored backup): when Intercom's copy equals what a sync would send now, the page is recorded
with its Intercom id and no call is made; otherwise the sync sends it (an update).

``ingestor reconcile`` and ``ingestor state rebuild`` hand the candidates to the engine through
:class:`ingestor.policy.SyncOptions`; the engine asks :meth:`AdoptionCandidates.matching` for
each page it would send.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from ingestor.gate import Availability
from ingestor.intercom import ExternalPage

__all__ = ["AdoptionCandidates", "same_copy"]


def same_copy(
    remote: ExternalPage,
    *,
    title: str,
    html: str,
    url: str | None,
    availability: Availability,
) -> bool:
    """Whether Intercom's copy is exactly what would be sent (title, html, url, both flags)."""
    return (
        remote.title == title
        and remote.html == html
        and (remote.url or None) == (url or None)
        and remote.ai_agent_availability == availability.ai_agent
        and remote.ai_copilot_availability == availability.ai_copilot
    )


class AdoptionCandidates:
    """Intercom's copies of pages state does not know, by external id; thread-safe.

    Args:
        pages: The copies, all under the connector's source.
    """

    def __init__(self, pages: Mapping[str, ExternalPage]) -> None:
        self._pages = dict(pages)
        self._lock = threading.Lock()
        #: External ids recorded from Intercom's copy without a call.
        self.adopted: list[str] = []
        #: External ids whose copy differed and were sent (an update).
        self.updated: list[str] = []

    def __len__(self) -> int:
        return len(self._pages)

    def __contains__(self, external_id: object) -> bool:
        return external_id in self._pages

    def get(self, external_id: str) -> ExternalPage | None:
        """Intercom's copy of ``external_id``, when it is a candidate."""
        return self._pages.get(external_id)

    def note(self, external_id: str, *, adopted: bool) -> None:
        """Count what the engine did with a candidate."""
        with self._lock:
            (self.adopted if adopted else self.updated).append(external_id)
