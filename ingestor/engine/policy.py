"""How a sync runs (the CLI's flags) and what every page of a connector is sent with."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ingestor.engine.adoption import AdoptionCandidates

__all__ = ["CONVERTER_VERSION", "PagePolicy", "SyncOptions"]

#: Bump when conversion output changes on purpose: every page is then re-converted once (and
#: re-uploaded only where its HTML really changed, thanks to the hash gate).
CONVERTER_VERSION = "4"
#: Bump when how ``section_bytes`` cuts pages changes: pages are re-read once where sections
#: are on, and only sections whose HTML changed are sent again.
SECTION_SPLIT_VERSION = "2"
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
    #: Reconcile and state rebuild: Intercom's copies of pages state does not know; one that
    #: equals what would be sent is recorded without a call (see :mod:`ingestor.adoption`).
    adopt: AdoptionCandidates | None = None
    #: Watch runs: only the pages at these absolute paths of a :class:`~connectors.base.Targeted`
    #: source (what its file-system events named); nothing is deleted. None: list as usual.
    paths: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class PagePolicy:
    """What every page of one connector is sent with, and the limits it must respect."""

    ai_agent_availability: bool = True
    ai_copilot_availability: bool = True
    max_page_bytes: int = 1_000_000
    #: Pages over this many bytes of HTML are split at their headings for answers (0: never).
    section_bytes: int = 0
    max_delete_fraction: float = 0.5
    locale: str = "en"
    #: Pages with less text than this beyond their title are skipped (0: none is).
    min_text_chars: int = 1
    #: A vanished page is hidden for ``hide_for`` before it is deleted, or deleted at once
    #: (docs/deletion.md). Neither changes what is sent: not part of the fingerprint.
    deletion: Literal["hide", "delete"] = "hide"
    hide_for: timedelta = timedelta(days=7)

    def fingerprint(self, gate: str = "") -> str:
        """Short hash of what changes the pages sent without changing the source: a change
        makes the version gate let every page through to conversion once. ``gate`` is the
        fingerprint of the connector's audience and secrets settings (a change re-reads every
        page, and re-sends only those whose audience changed)."""
        parts = (CONVERTER_VERSION, *self._sent_along(None, None), f"text>={self.min_text_chars}")
        if self.section_bytes:  # only when set: turning it on re-reads every page once
            parts = (*parts, f"sections<={self.section_bytes}/{SECTION_SPLIT_VERSION}")
        return _short_hash(*parts, gate) if gate else _short_hash(*parts)

    def split_limit(self, html_bytes: int) -> str:
        """Which budget a page of ``html_bytes`` was split for, as plan and preview say it."""
        if html_bytes > self.max_page_bytes or not self.section_bytes:
            return f"max_page_bytes {self.max_page_bytes:,}"
        return f"section_bytes {self.section_bytes:,}, sized for answers"

    def hash_salt(self, ai_agent: bool | None = None, ai_copilot: bool | None = None) -> str:
        """Short hash of what is sent along with a page's HTML (not how it was converted):
        the content hash gate compares it, so a change re-sends the page; a converter upgrade
        re-sends only pages whose HTML changed. The flags are the page's own (its audience);
        by default the policy's, which is what state held before audiences existed."""
        return _short_hash(_HASH_SALT_VERSION, *self._sent_along(ai_agent, ai_copilot))

    def _sent_along(self, ai_agent: bool | None, ai_copilot: bool | None) -> tuple[str, ...]:
        agent = self.ai_agent_availability if ai_agent is None else ai_agent
        copilot = self.ai_copilot_availability if ai_copilot is None else ai_copilot
        return (str(agent), str(copilot), self.locale)


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]
