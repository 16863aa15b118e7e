"""Connector test kit: the contract of :mod:`connectors.base`, as checks a connector's tests run.

Any connector, built-in or third-party, proves it keeps the contract the engine relies on by
running these checks against a real (or faithfully faked) source its tests control:

* ``list()`` is cheap and lists only pages: it never calls ``fetch()``, yields only
  :class:`~connectors.base.Item` (and no :class:`~connectors.base.ListingProblem` on a healthy
  source), each with a non-empty id and version;
* ids are unique within a listing, and ids and versions are stable across two listings of an
  unchanged source (an unstable id deletes and re-creates the page in Fin; an unstable
  version re-fetches it every run);
* ``fetch()`` of a listed item returns a :class:`~connectors.base.Document` with that
  external_id, a non-empty body and title (``title`` or ``fallback_title``), and an
  ``http(s)`` url when the connector promises one;
* a page's version changes when its content changes (and only that page's), and ``fetch()``
  then returns the new content;
* a source that cannot be read raises :class:`~ingestor.errors.ConnectorError` (or lists
  only :class:`~connectors.base.ListingProblem`), never another exception and never an
  empty listing, which would read as "every page was deleted";
* an :class:`~connectors.base.Incremental` connector reports a change made after a cursor,
  with the version a full listing gives, and resumes from the cursor it hands back.

The connector's tests describe their source by subclassing :class:`ContractSource`: how to
build a connector on it, how to change one page, how to break it. Then either call
:func:`check_contract` from a test, or (pytest) subclass :class:`ConnectorContract` as
``TestXxxContract`` and give it a ``contract_source`` fixture: each check is then a test of
its own. See docs/writing-a-connector.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from ingestor.connectors.base import Changes, Connector, Document, Incremental, Item, ListingProblem
from ingestor.errors import ConnectorError

__all__ = [
    "ConnectorContract",
    "ContractSource",
    "check_contract",
    "check_errors_are_connector_errors",
    "check_fetch",
    "check_incremental_resumes",
    "check_listing",
    "check_stable_ids",
    "check_versions_follow_content",
]


class ContractSource(ABC):
    """A source the kit may read, change and break: what a connector's tests hand the kit.

    Each method acts on the real source (files, an export, a wiki, a fake server over a
    socket); the kit builds a new connector with :meth:`connect` whenever it needs one.
    """

    #: Whether every Document carries a url (Fin cites it); False for kinds where it is
    #: optional (e.g. a file share without a url template).
    promises_url: ClassVar[bool] = True
    #: How many listed items the fetch check reads (spread over the listing); None: all.
    fetch_sample: ClassVar[int | None] = None

    @abstractmethod
    def connect(self) -> Connector[Any]:
        """A new connector over the source, with valid settings (the kit closes it)."""

    @abstractmethod
    def mutate(self, item: Item) -> None:
        """Change the content of the listed page ``item`` at the source, as an editor would
        (its text, not only its timestamp)."""

    @abstractmethod
    def break_source(self) -> None:
        """Make the source unreadable: remove the folder or export, stop the server, or make
        :meth:`connect` point at a dead url. Called last; the source stays broken."""

    def pick(self, items: Sequence[Item]) -> Item:
        """The page :meth:`mutate` changes (override when only some pages can be edited)."""
        return items[0]


# -- helpers ------------------------------------------------------------------------------------


@contextmanager
def _connected(source: ContractSource) -> Iterator[Connector[Any]]:
    connector = source.connect()
    try:
        yield connector
    finally:
        connector.close()


def _items(entries: Iterable[Item | ListingProblem], what: str) -> list[Item]:
    """The listing's items; a listing problem or a foreign object fails the check."""
    items: list[Item] = []
    for entry in entries:
        if isinstance(entry, ListingProblem):
            raise AssertionError(f"{what}: listing problem on a healthy source: {entry}")
        if not isinstance(entry, Item):
            raise AssertionError(f"{what}: list() yielded {type(entry).__name__}, not an Item")
        items.append(entry)
    return items


def _sample(items: Sequence[Item], size: int | None) -> list[Item]:
    """``size`` items spread evenly over the listing (all of them when size is None)."""
    if size is None or size >= len(items):
        return list(items)
    return [items[i * len(items) // size] for i in range(size)]


def _versions(items: Iterable[Item]) -> dict[str, str]:
    return {item.external_id: item.version for item in items}


# -- the checks ---------------------------------------------------------------------------------


def check_listing(source: ContractSource) -> list[Item]:
    """``list()`` yields only well-formed Items and never calls ``fetch()``; returns them."""
    with _connected(source) as connector:
        fetched: list[Item] = []
        real_fetch = connector.fetch

        def counting_fetch(item: Item) -> Document:
            fetched.append(item)
            return real_fetch(item)

        connector.fetch = counting_fetch  # type: ignore[method-assign]
        items = _items(connector.list(), f"{connector.kind} list()")
    assert not fetched, f"list() called fetch() {len(fetched)} times: listing must be cheap"
    assert items, "list() found no page in the test source (give the kit a source with pages)"
    for item in items:
        assert isinstance(item.external_id, str) and item.external_id, f"empty id: {item}"
        assert isinstance(item.version, str) and item.version, f"empty version: {item}"
        assert item.size is None or item.size >= 0, f"negative size: {item}"
    return items


def check_stable_ids(source: ContractSource) -> None:
    """Ids are unique; two listings of the unchanged source give the same ids and versions."""
    with _connected(source) as connector:
        first = _items(connector.list(), "first listing")
    with _connected(source) as connector:
        second = _items(connector.list(), "second listing (a new connector)")
    ids = [item.external_id for item in first]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"external ids listed more than once: {duplicates}"
    assert _versions(first) == _versions(second), (
        "two listings of an unchanged source differ (ids or versions are not stable): "
        f"only first {sorted(_versions(first).items() - _versions(second).items())}, "
        f"only second {sorted(_versions(second).items() - _versions(first).items())}"
    )


def check_document(source: ContractSource, item: Item, doc: Document) -> None:
    """One fetched Document against the item it was fetched for."""
    assert isinstance(doc, Document), f"fetch({item.external_id}) returned {type(doc).__name__}"
    assert doc.external_id == item.external_id, (
        f"fetch({item.external_id!r}) returned a Document of {doc.external_id!r}"
    )
    assert doc.body.strip(), f"{item.external_id}: empty body"
    assert doc.body_format in ("html", "markdown", "text"), doc.body_format
    title = doc.title or doc.fallback_title
    assert title and title.strip(), f"{item.external_id}: neither title nor fallback_title"
    if source.promises_url:
        assert doc.url and doc.url.startswith(("http://", "https://")), (
            f"{item.external_id}: url {doc.url!r} is not an http(s) url"
        )
    for field, values in doc.facts.items():
        assert isinstance(values, tuple), f"{item.external_id}: facts[{field!r}] is not a tuple"


def check_fetch(source: ContractSource) -> None:
    """``fetch()`` of listed items (all, or :attr:`ContractSource.fetch_sample`)."""
    with _connected(source) as connector:
        items = _items(connector.list(), "listing")
        for item in _sample(items, source.fetch_sample):
            check_document(source, item, connector.fetch(item))


def check_versions_follow_content(source: ContractSource) -> None:
    """After :meth:`ContractSource.mutate`, that page's version (only its) changes and
    ``fetch()`` returns the new content."""
    with _connected(source) as connector:
        before = _items(connector.list(), "listing before the change")
        victim = source.pick(before)
        old_body = connector.fetch(victim).body
    source.mutate(victim)
    with _connected(source) as connector:
        after = _items(connector.list(), "listing after the change")
        now = {item.external_id: item for item in after}
        assert victim.external_id in now, f"{victim.external_id} vanished after an edit"
        assert now[victim.external_id].version != victim.version, (
            f"{victim.external_id}: content changed but the version stayed {victim.version!r}"
        )
        new_body = connector.fetch(now[victim.external_id]).body
    assert new_body != old_body, f"{victim.external_id}: fetch() still returns the old content"
    others_before = {k: v for k, v in _versions(before).items() if k != victim.external_id}
    others_after = {k: v for k, v in _versions(after).items() if k in others_before}
    changed = sorted(k for k, v in others_before.items() if others_after.get(k) != v)
    assert not changed, f"editing {victim.external_id} changed other pages' versions: {changed}"


def check_errors_are_connector_errors(source: ContractSource) -> None:
    """After :meth:`ContractSource.break_source`, listing raises ConnectorError (or yields
    only listing problems) and fetching a page listed before raises ConnectorError."""
    with _connected(source) as connector:
        victim = _items(connector.list(), "listing before the break")[0]
    source.break_source()
    try:
        connector = source.connect()
    except ConnectorError:
        return  # refusing to start on a broken source is a ConnectorError too
    with connector:
        try:
            entries = list(connector.list())
        except ConnectorError:
            pass
        else:
            problems = [e for e in entries if isinstance(e, ListingProblem)]
            assert problems and len(problems) == len(entries), (
                f"a broken source listed {len(entries)} entries and no problem: an empty or "
                "partial listing without a problem reads as deleted pages"
            )
        try:
            connector.fetch(victim)
        except ConnectorError:
            return
        raise AssertionError(f"fetch({victim.external_id!r}) on a broken source succeeded")


def _changes(connector: Incremental, cursor: str, what: str) -> Changes:
    changes = connector.list_changes(cursor)
    assert changes is not None, f"{what}: list_changes() of a fresh cursor returned None"
    assert not changes.problems, f"{what}: problems on a healthy source: {changes.problems}"
    assert changes.cursor, f"{what}: empty cursor"
    return changes


def check_incremental_resumes(source: ContractSource) -> bool:
    """An Incremental connector reports a change made after its cursor, then resumes from
    the cursor it handed back. False when the connector is not Incremental."""
    with _connected(source) as connector:
        if not isinstance(connector, Incremental):
            return False
        cursor = connector.start_cursor()
        items = _items(connector.list(), "full listing after start_cursor()")
        first = source.pick(items)
        source.mutate(first)
        changes = _changes(connector, cursor, "first list_changes()")
        changed = _versions(changes.changed)
        assert first.external_id in changed, (
            f"{first.external_id} edited after the cursor is not in list_changes(): "
            f"{sorted(changed)}"
        )
        assert first.external_id not in changes.deleted, f"{first.external_id} reported deleted"
        full = _versions(_items(connector.list(), "full listing after the change"))
        assert changed[first.external_id] == full[first.external_id], (
            f"{first.external_id}: list_changes() gives version {changed[first.external_id]!r}, "
            f"a full listing {full[first.external_id]!r}"
        )
        rest = [item for item in items if item.external_id != first.external_id]
        second = source.pick(rest) if rest else first
        source.mutate(second)
        resumed = _versions(_changes(connector, changes.cursor, "resumed list_changes()").changed)
        assert second.external_id in resumed, (
            f"{second.external_id} edited after the returned cursor is not in list_changes() "
            f"of that cursor: {sorted(resumed)}"
        )
    return True


def check_contract(source: ContractSource) -> None:
    """Every check, in an order that leaves breaking the source for last.

    ``source`` must be fresh: the checks edit pages and finally break it.
    """
    check_listing(source)
    check_stable_ids(source)
    check_fetch(source)
    check_versions_follow_content(source)
    check_incremental_resumes(source)
    check_errors_are_connector_errors(source)


class ConnectorContract:
    """The checks as pytest tests: subclass as ``TestXxxContract`` and define a function-scoped
    ``contract_source`` fixture returning a fresh :class:`ContractSource` for each test.

    The kit does not import pytest unless a connector is not Incremental (that test skips).
    """

    def test_listing_is_cheap_and_lists_items(self, contract_source: ContractSource) -> None:
        check_listing(contract_source)

    def test_ids_and_versions_are_stable_and_unique(self, contract_source: ContractSource) -> None:
        check_stable_ids(contract_source)

    def test_fetch_returns_the_listed_page(self, contract_source: ContractSource) -> None:
        check_fetch(contract_source)

    def test_versions_change_with_content(self, contract_source: ContractSource) -> None:
        check_versions_follow_content(contract_source)

    def test_broken_source_raises_connector_error(self, contract_source: ContractSource) -> None:
        check_errors_are_connector_errors(contract_source)

    def test_incremental_cursor_resumes(self, contract_source: ContractSource) -> None:
        if not check_incremental_resumes(contract_source):
            import pytest

            pytest.skip("not an Incremental connector")
