"""Pure rules: which pages a connector syncs, the CQL it sends, and its incremental cursor."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from ingestor.connectors.confluence._api import PageRef

__all__ = [
    "Scope",
    "ancestor_chain",
    "cql_changed_since",
    "cql_labelled",
    "cql_space_pages",
    "cql_time",
    "format_cursor",
    "parse_cursor",
]


@dataclass(frozen=True, slots=True)
class Scope:
    """The pages one connector syncs: current pages of its spaces, minus what the rules remove."""

    spaces: frozenset[str]
    roots: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    include_labels: frozenset[str] = frozenset()
    exclude_labels: frozenset[str] = frozenset()

    def rejects(
        self, ref: PageRef, ancestors: Sequence[str], labels: frozenset[str] | None
    ) -> str | None:
        """Why ``ref`` is out of scope, or None when it is synced.

        Args:
            ref: The page.
            ancestors: Its ancestor ids (any order).
            labels: Its lower-case labels (None: the label rules were checked elsewhere).
        """
        if ref.status != "current":
            return f"status {ref.status}"  # drafts, archived, trashed pages
        if ref.space_key is not None and ref.space_key not in self.spaces:
            return f"space {ref.space_key} is not synced"
        lineage = {ref.id, *ancestors}
        if self.roots and lineage.isdisjoint(self.roots):
            return "not under root_page_ids"
        if not lineage.isdisjoint(self.excluded):
            return "under exclude_page_ids"
        if labels is not None:
            if self.include_labels and labels.isdisjoint(self.include_labels):
                return "has none of include_labels"
            if not labels.isdisjoint(self.exclude_labels):
                return "has one of exclude_labels"
        return None

    def left_after_listing(
        self, page_id: str, space_key: str | None, ancestors: Sequence[str]
    ) -> str | None:
        """Why a fetched page is out of the spaces or root trees it was listed in, or None.

        Checked at fetch time against the page as fetched: a page moved to another space (one
        not synced, whose space permissions may hide it) or out of ``root_page_ids`` between
        listing and fetch must not be sent. Its ancestors here are at least those the listing
        saw (on Cloud, folders and the pages above them too), so a page that did not move is
        never rejected; labels and excluded subtrees are left to the listing, which reads them
        another way (CQL, ``parentId`` chains).
        """
        if space_key is not None and space_key not in self.spaces:
            return f"it is in space {space_key} now, which is not synced"
        if self.roots and {page_id, *ancestors}.isdisjoint(self.roots):
            return "it is no longer under root_page_ids"
        return None


def ancestor_chain(page_id: str, parents: Mapping[str, str | None]) -> list[str]:
    """Ancestors of a page from a parent map (the chain stops at an unknown parent or a loop)."""
    chain: list[str] = []
    seen = {page_id}
    parent = parents.get(page_id)
    while parent is not None and parent not in seen:
        chain.append(parent)
        seen.add(parent)
        parent = parents.get(parent)
    return chain


def _quoted(values: Iterable[str]) -> str:
    return ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)


#: The westernmost offset in use (UTC-12, Baker Island). A CQL date is a wall-clock time the
#: server reads in the user's zone, offset ``o`` in [-12 h, +14 h]: wall time ``W`` means the
#: instant ``W - o``. Written as ``since`` shifted by ``d``, the server reads ``since + d - o``,
#: which is never after ``since`` for every ``o`` only when ``d <= -12 h``: writing ``since`` in
#: UTC-12 cannot miss an edit, and re-reads at most 26 h more (a user at UTC+14).
WIDEST_ZONE = timezone(timedelta(hours=-12))


def cql_time(moment: datetime, zone: str | None) -> str:
    """A CQL date (``yyyy/MM/dd HH:mm``) in the zone CQL reads it in, rounded down.

    Args:
        moment: An aware instant.
        zone: The IANA zone the server reads the API user's dates in; None when unknown
            (then :data:`WIDEST_ZONE`, safe for any zone).
    """
    local = moment.astimezone(zoneinfo.ZoneInfo(zone) if zone else WIDEST_ZONE)
    return local.strftime("%Y/%m/%d %H:%M")


def cql_changed_since(spaces: Sequence[str], since: datetime, zone: str | None) -> str:
    """CQL for the pages of ``spaces`` modified at or after ``since``, oldest first."""
    return (
        f"type = page AND space in ({_quoted(spaces)}) "
        f'AND lastmodified >= "{cql_time(since, zone)}" ORDER BY lastmodified ASC'
    )


def cql_space_pages(space: str) -> str:
    """CQL for every page of one space."""
    return f"type = page AND space = {_quoted([space])}"


def cql_labelled(spaces: Sequence[str], labels: Sequence[str]) -> str:
    """CQL for the pages of ``spaces`` that carry any of ``labels``."""
    return f"type = page AND space in ({_quoted(spaces)}) AND label in ({_quoted(labels)})"


def format_cursor(since: datetime, full_listing: datetime) -> str:
    """The opaque cursor: the instant changes are read from, and the last full listing's."""
    stamp = [m.astimezone(UTC).isoformat(timespec="seconds") for m in (since, full_listing)]
    return f"{stamp[0]} full={stamp[1]}"


def parse_cursor(cursor: str) -> tuple[datetime, datetime] | None:
    """(since, last full listing) of a cursor, or None when it is not one of ours."""
    since_text, _, full_text = cursor.partition(" full=")
    try:
        since = datetime.fromisoformat(since_text)
        full = datetime.fromisoformat(full_text)
    except ValueError:
        return None
    if since.tzinfo is None or full.tzinfo is None:
        return None
    return since, full
