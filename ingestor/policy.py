"""How a sync runs (the CLI's flags) and what every page of a connector is sent with."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["CONVERTER_VERSION", "PagePolicy", "SyncOptions"]

#: Bump when conversion output changes on purpose: every page is then re-converted once (and
#: re-uploaded only where its HTML really changed, thanks to the hash gate).
CONVERTER_VERSION = "3"
#: The converter version the content hash's salt was frozen at. The salt once followed
#: CONVERTER_VERSION, which made every bump re-send every page; it now holds only what is sent
#: along with the HTML, and keeps this constant so that hashes stored before stay valid.
_HASH_SALT_VERSION = "2"


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
        """Short hash of what changes the pages sent without changing the source: a change
        makes the version gate let every page through to conversion once."""
        return _short_hash(CONVERTER_VERSION, *self._sent_along())

    def hash_salt(self) -> str:
        """Short hash of what is sent along with each page's HTML (not how it was converted):
        the content hash gate compares it, so a change re-sends pages; a converter upgrade
        re-sends only pages whose HTML changed."""
        return _short_hash(_HASH_SALT_VERSION, *self._sent_along())

    def _sent_along(self) -> tuple[str, ...]:
        return (str(self.ai_agent_availability), str(self.ai_copilot_availability), self.locale)


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]
