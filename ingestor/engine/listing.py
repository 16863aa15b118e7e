"""The listing phase of a sync: what the source holds, and the version gate.

A full listing walks ``Connector.list()``; an incremental one asks an :class:`Incremental`
connector for the changes since the cursor of the last clean run. Either way the result says
which pages need a fetch, which known pages left the source, and whether the listing was
complete (only then may anything be deleted).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Container, Iterable, Mapping, Sized
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ingestor.connectors.base import Changes, Connector, Incremental, Item, ListingProblem, Targeted
from ingestor.engine.idset import IdHashSet
from ingestor.engine.spool import ItemSpool
from ingestor.errors import ConnectorError
from ingestor.state import Mark, SyncIndex

__all__ = ["ListingRequest", "ListingResult", "list_source"]

log = logging.getLogger("ingestor.sync")

T = TypeVar("T")


@dataclass
class ListingResult:
    """What the listing found."""

    #: Pages whose version changed (or that are new): they get fetched and converted
    #: (spooled to a temporary file beyond the first 10,000: a first sync of a million pages).
    to_process: ItemSpool = field(default_factory=ItemSpool)
    #: Known pages that left the source; deleted only when the listing is complete.
    vanished: list[str] = field(default_factory=list)
    listed: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    interrupted: bool = False
    incremental: bool = False
    #: Cursor to store once the run finished cleanly (incremental connectors only).
    cursor: str | None = None
    #: Pages the source holds after this listing: links to anything else are broken.
    known: Container[str] = field(default_factory=set)
    #: Unchanged pages with broken links, kept until the listing shows whether a target
    #: appeared (then they are fetched again, and the link is sent as a link).
    watched: list[Item] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems and not self.interrupted


@dataclass(frozen=True)
class ListingRequest:
    """What a sync asks of the listing, and how the version gate judges what it lists."""

    #: Appended to each listed version before it is compared with the stored one (settings
    #: that change what is sent make every page new).
    version_suffix: str
    #: Fetch every listed page, whatever its version; never list incrementally.
    full: bool
    #: The cursor of the last clean run: an :class:`Incremental` connector lists the changes
    #: since it.
    cursor: str | None = None
    #: Page -> the missing pages it links to: a full listing fetches an unchanged page again
    #: once one of its missing targets is listed.
    broken: Mapping[str, Collection[str]] | None = None
    #: A watch run's changed paths: a :class:`Targeted` connector lists only their pages, and
    #: nothing is deleted.
    paths: Collection[str] | None = None


def list_source(
    connector: Connector[Any],
    index: SyncIndex,
    request: ListingRequest,
    stop_event: threading.Event,
) -> ListingResult:
    """List ``connector``: only ``request.paths`` when it can, else incrementally from
    ``request.cursor`` when it can, else in full.

    Never raises for the source's problems: they end up in ``problems`` (so nothing is
    deleted), and whatever was listed before still syncs. When a :class:`Targeted` connector
    cannot tell the pages from the paths alone, the listing is a full one.
    """
    gate = _VersionGate(index, request.version_suffix, request.full, request.broken or {})
    result = ListingResult()
    if request.paths is not None:
        finished = _list_paths(connector, request.paths, gate, result)
        if finished is not None:
            return finished
    if request.cursor is not None and not request.full:
        finished = _list_changes(connector, request.cursor, gate, result)
        if finished is not None:
            return finished
    return _list_in_full(connector, gate, result, stop_event)


def _list_paths(
    connector: Connector[Any], paths: Collection[str], gate: _VersionGate, result: ListingResult
) -> ListingResult | None:
    """The pages at ``paths``, deleting nothing; None when a full listing must follow (the
    connector is not :class:`Targeted`, or cannot tell the pages from the paths alone)."""
    if not isinstance(connector, Targeted):
        return None
    targeted = _guarded(result, lambda: connector.list_paths(paths))
    if targeted is None:
        if result.problems:
            return result
        log.info(
            "sync %s: the changed paths need a full listing",
            connector.name,
            extra={"connector": connector.name, "event": "full_listing_for_paths"},
        )
        return None
    result = _from_changes(result, replace(targeted, deleted=()), gate, gate.index)
    result.cursor = None  # a cursor stands for every change; this saw only some
    log.info(
        "sync %s: %d changed path(s): %d page(s) listed, nothing deleted",
        connector.name,
        len(paths),
        result.listed,
        extra={"connector": connector.name, "event": "targeted_listing"},
    )
    return result


def _list_changes(
    connector: Connector[Any], cursor: str, gate: _VersionGate, result: ListingResult
) -> ListingResult | None:
    """The changes since ``cursor``; None when a full listing must follow (the connector is
    not :class:`Incremental`, or the cursor is too old)."""
    if not isinstance(connector, Incremental):
        return None
    changes = _guarded(result, lambda: connector.list_changes(cursor))
    if changes is not None:
        return _from_changes(result, changes, gate, gate.index)
    if result.problems:
        return result
    log.info("sync %s: the saved cursor is too old; listing in full", connector.name)
    return None


def _list_in_full(
    connector: Connector[Any],
    gate: _VersionGate,
    result: ListingResult,
    stop_event: threading.Event,
) -> ListingResult:
    """Walk ``connector.list()``; known pages it did not list vanished (if it completed)."""
    index = gate.index
    if isinstance(connector, Incremental):
        # Taken before the walk: changes made during it are seen again next time.
        result.cursor = _guarded(result, connector.start_cursor)
    seen = ListedPages(index)
    _walk(connector, seen, gate, result, stop_event)
    if result.complete:  # a split page's sections stay while the page does
        result.vanished = [
            eid
            for eid in index.unlisted()
            if (parent := index.parent(eid)) is None or parent not in seen
        ]
    result.known = seen
    gate.revive(result, seen)
    return result


class ListedPages(Container[str], Sized):
    """The pages a full listing met, streamed: known pages are marked in the index itself
    (:meth:`SyncIndex.take`), pages new to it are kept here as hashes (:class:`IdHashSet`), so
    a listing of a million files holds no second copy of their ids. Membership only: what the
    listing's users ask (links, deletions, reconcile)."""

    def __init__(self, index: SyncIndex) -> None:
        self._index = index
        self._new = IdHashSet()

    def take(self, external_id: str) -> int | Mark | None:
        """Note a listed page; its gate version key, or :attr:`Mark.LISTED` when it was noted
        before (listed twice)."""
        key = self._index.take(external_id)
        if key is not Mark.UNKNOWN:
            return key
        return None if self._new.add(external_id) else Mark.LISTED

    def add(self, external_id: str) -> bool:
        """Note a listed page; False when it was noted before (listed twice)."""
        return self.take(external_id) is not Mark.LISTED

    def __contains__(self, external_id: object) -> bool:
        if not isinstance(external_id, str):
            return False
        return external_id in self._new or self._index.is_listed(external_id)

    def __len__(self) -> int:
        return self._index.listed_count + len(self._new)


def _walk(
    connector: Connector[Any],
    seen: ListedPages,
    gate: _VersionGate,
    result: ListingResult,
    stop_event: threading.Event,
) -> None:
    """``connector.list()`` through the version gate, one entry at a time."""
    take = seen.take
    try:
        for entry in connector.list():
            if stop_event.is_set():
                result.interrupted = True
                break
            if isinstance(entry, ListingProblem):
                result.problems.append(f"{entry.where}: {entry.message}")
                continue
            stored = take(entry.external_id)
            if stored is Mark.LISTED:
                result.problems.append(f"{entry.external_id}: listed twice; kept the first")
            else:
                gate.admit(entry, result, stored)
    except ConnectorError as exc:
        result.problems.append(str(exc))
    except Exception as exc:  # a connector bug must not crash the run, nor delete anything
        log.exception("sync %s: listing failed", connector.name)
        result.problems.append(f"listing failed: {type(exc).__name__}: {exc}")


class _VersionGate:
    """Unchanged version and a known Intercom id (or nothing to send: skipped, excluded):
    nothing to fetch. Held pages are always fetched and checked again."""

    def __init__(
        self,
        index: SyncIndex,
        suffix: str,
        full: bool,
        broken: Mapping[str, Collection[str]],
    ) -> None:
        self.index, self.suffix, self.full, self.broken = index, suffix, full, broken

    def revive(self, result: ListingResult, seen: Container[str]) -> None:
        """Fetch again the unchanged pages one of whose missing link targets now exists."""
        for item in result.watched:
            if any(target in seen for target in self.broken[item.external_id]):
                result.unchanged -= 1
                result.to_process.append(item)

    def stored(self, external_id: str) -> int | None:
        """The index keeps a version only where an unchanged one needs no fetch."""
        return self.index.gate_version(external_id)

    def admit(self, item: Item, result: ListingResult, stored: int | Mark | None) -> None:
        """``stored``: the page's :meth:`SyncIndex.gate_version` (a key, or None)."""
        result.listed += 1
        key = SyncIndex.version_key
        if not self.full and stored is not None and stored == key(item.version + self.suffix):
            result.unchanged += 1
            if item.external_id in self.broken:
                result.watched.append(item)
        else:
            result.to_process.append(item)


def _from_changes(
    result: ListingResult, changes: Changes, gate: _VersionGate, index: SyncIndex
) -> ListingResult:
    result.incremental = True
    result.cursor = changes.cursor
    result.problems.extend(f"{p.where}: {p.message}" for p in changes.problems)
    seen: set[str] = set()
    for item in changes.changed:
        if item.external_id not in seen:
            seen.add(item.external_id)
            gate.admit(item, result, gate.stored(item.external_id))
    # A page reported both changed and deleted was moved back in scope: changed wins.
    gone = set(_known(index, (eid for eid in changes.deleted if eid not in seen)))
    sections = [eid for eid, page in index.sections.items() if page in gone]
    result.vanished = [*sorted(gone), *sections]
    # Pages the changes did not mention are unchanged by definition.
    pages = len(index) - len(index.sections)
    result.unchanged += pages - len(seen & index.keys()) - len(gone)
    result.known = (set(index) | seen).difference(result.vanished)
    return result


def _known(index: SyncIndex, external_ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(eid for eid in external_ids if eid in index))


def _guarded(result: ListingResult, call: Callable[[], T]) -> T | None:
    try:
        return call()
    except ConnectorError as exc:
        result.problems.append(str(exc))
    except Exception as exc:  # a connector bug must not crash the run, nor delete anything
        log.exception("incremental listing failed")
        result.problems.append(f"listing failed: {type(exc).__name__}: {exc}")
    return None
