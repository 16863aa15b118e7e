"""What a page write sends: the typed payloads of :meth:`IntercomClient.upsert_page` (POST) and
:meth:`IntercomClient.update_page` (PUT), and the JSON body each one becomes.

The bodies keep the key order the client has always sent (the emulator's tests compare them),
and omit what Intercom must not see: an upsert without ``url``, an update without
``fin_availability``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PageUpdate", "PageUpsert"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PageUpsert:
    """One page for ``POST /ai/external_pages``: created, or updated when a page with the same
    ``(source_id, external_id)`` exists.

    Attributes:
        source_id: The Content Import Source the page belongs to.
        external_id: The page's id within that source.
        title: Title shown in Fin's citations.
        html: The page's body.
        url: Link Fin cites; None leaves it out of the body.
        ai_agent_availability: Whether Fin (the AI agent) may use the page.
        ai_copilot_availability: Whether Copilot may use the page.
        locale: The page's language.
    """

    source_id: int
    external_id: str
    title: str
    html: str
    url: str | None
    ai_agent_availability: bool
    ai_copilot_availability: bool
    locale: str = "en"

    def __repr__(self) -> str:  # the html can be megabytes; keep reprs and logs short
        return (
            f"PageUpsert(source_id={self.source_id}, external_id={self.external_id!r}, "
            f"title={self.title!r}, url={self.url!r}, html=<{len(self.html)} chars>)"
        )

    def body(self) -> dict[str, Any]:
        """The JSON body. Both availability flags are always sent: omitted, they default to
        false on create and stay unchanged on update."""
        body: dict[str, Any] = {
            "title": self.title,
            "html": self.html,
            "locale": self.locale,
            "source_id": self.source_id,
            "external_id": self.external_id,
            "ai_agent_availability": self.ai_agent_availability,
            "ai_copilot_availability": self.ai_copilot_availability,
        }
        if self.url is not None:
            body["url"] = self.url
        return body


@dataclass(frozen=True, slots=True, kw_only=True)
class PageUpdate:
    """A page's new content for ``PUT /ai/external_pages/{id}`` (2.14: API-created pages only,
    ``url`` required; the two availability flags cannot be set this way).

    Attributes:
        source_id: The Content Import Source the page belongs to.
        external_id: The page's id within that source.
        title: Title shown in Fin's citations.
        html: The page's body.
        url: Link Fin cites.
        fin_availability: The older single availability flag; None leaves it out of the body.
        locale: The page's language.
    """

    source_id: int
    external_id: str
    title: str
    html: str
    url: str
    fin_availability: bool | None = None
    locale: str = "en"

    def __repr__(self) -> str:  # the html can be megabytes; keep reprs and logs short
        return (
            f"PageUpdate(source_id={self.source_id}, external_id={self.external_id!r}, "
            f"title={self.title!r}, url={self.url!r}, html=<{len(self.html)} chars>)"
        )

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        body: dict[str, Any] = {
            "title": self.title,
            "html": self.html,
            "url": self.url,
            "locale": self.locale,
            "source_id": self.source_id,
            "external_id": self.external_id,
        }
        if self.fin_availability is not None:
            body["fin_availability"] = self.fin_availability
        return body
