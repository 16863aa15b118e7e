"""The comparison at the heart of a reconcile (pure: no I/O).

Three views of one connector meet here: state (what we last sent, :class:`state.SentPage`),
Intercom (the pages under our source, :class:`ingestor.intercom.ExternalPage`) and the
connector's listing (the external ids the source holds now).
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field

from ingestor.gate import Availability
from ingestor.intercom import ExternalPage
from ingestor.state import SentPage, html_digest

__all__ = ["Findings", "compare", "expected_availability", "is_listed"]

#: Audience names as :func:`ingestor.gate.audience_name` writes them, with their flags.
_AUDIENCES = {
    "customers": Availability(True, True),
    "ai-agent-only": Availability(True, False),
    "team": Availability(False, True),
    "nobody": Availability(False, False),
}


@dataclass
class Findings:
    """What one connector's comparison found."""

    #: State has it, Intercom does not.
    missing: list[str] = field(default_factory=list)
    #: Intercom's copy differs from what we last sent: external id -> the fields that differ.
    drifted: dict[str, list[str]] = field(default_factory=dict)
    #: Intercom's copy of each drifted page (a hidden page shown again is hidden with it).
    drifted_copies: dict[str, ExternalPage] = field(default_factory=dict, repr=False)
    #: Under our source, listed by the connector, unknown to state: adoption candidates.
    unknown: dict[str, ExternalPage] = field(default_factory=dict)
    #: Under our source, no longer listed by the connector: ``(external id, Intercom id)``.
    orphans: list[tuple[str, str]] = field(default_factory=list)
    #: Pages whose copy matched what we last sent.
    matching: int = 0


def expected_availability(page: SentPage, default: Availability) -> Availability:
    """The flags Intercom's copy should carry: a hidden page has both false; otherwise its
    recorded audience's (pages recorded before audiences existed: the policy's)."""
    if page.hidden:
        return Availability(False, False)
    return _AUDIENCES.get(page.audience or "", default)


def is_listed(external_id: str, listed: Container[str]) -> bool:
    """Whether the connector holds this page: itself, or the page it is a section of
    (sections of a split page are ``<external_id>#<slug>``)."""
    if external_id in listed:
        return True
    head, sep, _ = external_id.rpartition("#")
    return bool(sep) and head in listed


def _differences(sent: SentPage, copy: ExternalPage, flags: Availability) -> list[str]:
    fields = []
    if copy.id != sent.intercom_id:
        fields.append("id")
    if sent.title is not None and copy.title != sent.title:
        fields.append("title")
    if sent.digest is not None and html_digest(copy.html) != sent.digest:
        fields.append("html")  # state keeps a digest of the HTML sent, not the HTML
    if (copy.url or None) != (sent.url or None):
        fields.append("url")
    if (copy.ai_agent_availability, copy.ai_copilot_availability) != (
        flags.ai_agent,
        flags.ai_copilot,
    ):
        fields.append("availability")
    return fields


def compare(
    sent: Mapping[str, SentPage],
    remote: Mapping[str, ExternalPage],
    listed: Container[str] | None,
    *,
    default: Availability,
) -> Findings:
    """Compare state, Intercom and the source for one connector.

    Args:
        sent: State's pages in Intercom, by external id.
        remote: Intercom's pages under our source, by external id.
        listed: The external ids the connector lists now; None when its listing was
            incomplete (then no page counts as an orphan).
        default: The connector's flags for pages recorded without an audience.
    """
    found = Findings()
    for external_id, page in sent.items():
        copy = remote.get(external_id)
        if copy is None:
            found.missing.append(external_id)
            continue
        fields = _differences(page, copy, expected_availability(page, default))
        if fields:
            found.drifted[external_id] = fields
            found.drifted_copies[external_id] = copy
        else:
            found.matching += 1
    for external_id, copy in remote.items():
        if external_id in sent:
            continue
        if listed is not None and not is_listed(external_id, listed):
            found.orphans.append((external_id, copy.id))
        else:
            found.unknown[external_id] = copy
    found.missing.sort()
    found.orphans.sort()
    return found
