"""How a sync runs (the CLI's flags) and what every page of a connector is sent with."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["CONVERTER_VERSION", "PagePolicy", "SyncOptions"]

#: Bump when conversion output changes on purpose: every page is then re-converted once (and
#: re-uploaded only where its HTML really changed, thanks to the hash gate).
CONVERTER_VERSION = "2"


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """How to run: what the CLI flags say."""

    dry_run: bool = False
    full: bool = False
    allow_mass_delete: bool = False
    #: Dry runs only: keep the HTML each create/update would send (``ingestor plan --diff``).
    collect_html: bool = False


@dataclass(frozen=True, slots=True)
class PagePolicy:
    """What every page of one connector is sent with, and the limits it must respect."""

    ai_agent_availability: bool = True
    ai_copilot_availability: bool = True
    max_page_bytes: int = 1_000_000
    max_delete_fraction: float = 0.5
    locale: str = "en"

    def fingerprint(self, gate: str = "") -> str:
        """Short hash of what changes the pages sent without changing the source; ``gate`` is
        the fingerprint of the connector's audience and secrets settings (a change re-reads
        every page, and re-sends only those whose audience changed)."""
        raw = self._send_raw(self.ai_agent_availability, self.ai_copilot_availability)
        if gate:
            raw += "|" + gate
        return hashlib.sha256(raw.encode()).hexdigest()[:12]

    def send_fingerprint(self, ai_agent: bool, ai_copilot: bool) -> str:
        """Short hash of what one page is sent with besides its content: the content hash is
        salted with it, so a page whose availability changes is re-sent and no other.

        Equal to :meth:`fingerprint` without a gate when the flags are the policy's own, so
        state written before audiences existed stays valid."""
        return hashlib.sha256(self._send_raw(ai_agent, ai_copilot).encode()).hexdigest()[:12]

    def _send_raw(self, ai_agent: bool, ai_copilot: bool) -> str:
        return "|".join((CONVERTER_VERSION, str(ai_agent), str(ai_copilot), self.locale))
