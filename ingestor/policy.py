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

    def fingerprint(self) -> str:
        """Short hash of what changes the pages sent without changing the source."""
        raw = "|".join(
            (
                CONVERTER_VERSION,
                str(self.ai_agent_availability),
                str(self.ai_copilot_availability),
                self.locale,
            )
        )
        return hashlib.sha256(raw.encode()).hexdigest()[:12]
