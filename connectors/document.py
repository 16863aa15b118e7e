"""What a connector hands the engine: listed items and fetched documents (light: no pydantic).

These plain data classes cross into the conversion worker processes (pickled by their defining
module), so this module imports nothing but the standard library: a worker that unpickles a
:class:`Document` does not load the settings models of :mod:`ingestor.connectors.base`, which
re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = ["BodyFormat", "Changes", "Document", "Item", "LinkResolver", "ListingProblem"]

BodyFormat = Literal["html", "markdown", "text"]


@dataclass(frozen=True, slots=True)
class Item:
    """One page as listed: enough to decide whether it must be fetched at all."""

    external_id: str
    version: str
    #: Connector-private address of the page (absolute path, API id...); never sent to Intercom.
    locator: str = ""
    #: Body size in bytes when the listing knows it (lets the engine report oversize pages early).
    size: int | None = None


@dataclass(frozen=True, slots=True)
class ListingProblem:
    """A part of the source that could not be listed; the listing is then incomplete."""

    where: str
    message: str


@dataclass(frozen=True, slots=True)
class Document:
    """A fetched page, before conversion."""

    external_id: str
    body: str
    body_format: BodyFormat
    #: Authoritative title from the source (a wiki page title); None lets conversion derive one.
    title: str | None = None
    #: Used only when neither the source nor the body yields a title (e.g. the file name).
    fallback_title: str | None = None
    #: Canonical url Fin will cite; relative links in the body are resolved against it.
    url: str | None = None
    #: Free-form facts about the page. ``missing_links``: pages of the source this page links
    #: to that do not exist (a wiki's red links), reported as broken links.
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: Relative links are resolved against this instead of ``url`` when set: a url that mirrors
    #: the source's own structure, which ``links`` maps back to pages of the source.
    link_base: str | None = None
    #: Maps absolute links of this source to its pages' urls (a picklable object).
    links: LinkResolver | None = None
    #: What audience rules can match on this page, by field: ``{"path": ("hr/leave.md",),
    #: "label": ("internal", "faq"), "space": ("HR",)}``. Each connector kind documents its
    #: fields (:attr:`Connector.audience_fields`); every value is a tuple of strings.
    facts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Why the source restricts who may read this page (a Confluence view restriction, an ACL
    #: hiding it from anonymous readers...), or None when anyone who can read the source can.
    #: Restricted pages are excluded unless the connector's ``restricted`` setting says otherwise.
    restricted: str | None = None


@runtime_checkable
class LinkResolver(Protocol):
    """Turns links between pages of one source into links to those pages' urls.

    Conversion calls it for every link and image (after resolving relative ones against
    ``Document.link_base``); it must be pure and picklable (conversion runs in workers).
    """

    def page(self, url: str) -> tuple[str, str] | None:
        """``(external_id, url Fin cites)`` of the page a link points to; None when the link
        leaves the source (it is then kept as it is)."""

    def asset(self, url: str) -> str | None:
        """The public url of a file an image points to; None to keep it as it is."""


@dataclass(frozen=True, slots=True)
class Changes:
    """What an incremental listing found since a cursor."""

    #: New, edited or moved pages with their current versions (the version gate still applies).
    changed: Sequence[Item]
    #: External ids that left the source: deleted, or moved out of the connector's scope.
    deleted: Sequence[str]
    #: Hand this back on the next run. Take it from the source's clock (or a server time)
    #: at the START of the query, minus any overlap the source needs, so nothing is missed.
    cursor: str
    #: Parts that could not be read; like a ListingProblem, they keep the cursor from advancing.
    problems: Sequence[ListingProblem] = ()
