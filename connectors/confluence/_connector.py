"""``ConfluenceConnector``: list, fetch and incremental changes of Confluence Cloud or Data Center.

Identity and versions: ``external_id`` is the page id (stable across renames and moves) and
``version`` is the page's version number, so the engine fetches a page only after an edit.

Listing (``list``): for each configured space, every *current* page (drafts and archived pages
have another status and are never listed), paginated to the end; a space whose listing
cannot prove it reached its end yields a ``ListingProblem`` (nothing is deleted that run).
The scope rules then apply: ``root_page_ids`` keeps root pages and their descendants,
``exclude_page_ids`` drops whole subtrees (both through each page's ancestors: REST v1 gives
them, on Cloud they follow the v2 ``parentId`` chain), and labels come from one CQL search
per label list.

Incremental (``Incremental``): a cursor is the server's clock (the ``Date`` header of the
space lookup) at the start of a run. The next run asks CQL for pages modified since the cursor
minus ``overlap``, written in the zone CQL reads the API user's dates in (``cql_timezone``,
else Cloud's profile zone, else UTC-12, which no zone reads as later than meant: see
``_scope.WIDEST_ZONE``), and lists the spaces' trashed and archived pages for deletions.
Changed pages that left the scope (label removed, moved under an excluded page or to another
space) are reported deleted. The cursor also carries the time of the last full listing: once
it is older than ``full_listing_every`` (or the cursor is not ours) ``list_changes`` returns
None and the engine lists in full, which catches what CQL cannot report (pages purged from the
trash, restored, or moved without an edit).

Fetch (``fetch``): the rendered body (macros rewritten by ``_html``), plus the facts audience
rules match (space, labels, ancestors) and the page's view restrictions, own or inherited
(``_restrictions``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from typing import ClassVar

import httpx

from ingestor.connectors.base import (
    Changes,
    Connector,
    ConnectorSettings,
    Document,
    Incremental,
    Item,
    ListingProblem,
)
from ingestor.connectors.confluence._api import (
    CloudApi,
    ConfluenceApi,
    DataCenterApi,
    PageRef,
    cql_limit,
)
from ingestor.connectors.confluence._clock import ServerClock, profile_zone
from ingestor.connectors.confluence._html import clean_confluence_html, missing_pages
from ingestor.connectors.confluence._http import ConfluenceHttp, NotFound
from ingestor.connectors.confluence._marks import restriction_marks
from ingestor.connectors.confluence._restrictions import OWN_EXPAND, RestrictionChecker
from ingestor.connectors.confluence._scope import (
    Scope,
    ancestor_chain,
    cql_changed_since,
    cql_labelled,
    format_cursor,
    parse_cursor,
)
from ingestor.connectors.confluence._settings import ConfluenceSettings
from ingestor.errors import ConnectorError, IncompleteListing
from ingestor.http import RetryPolicy

__all__ = ["ConfluenceConnector"]

log = logging.getLogger(__name__)


class ConfluenceConnector(Connector[ConfluenceSettings], Incremental):
    """Syncs the current pages of Confluence spaces (Cloud REST v2 or Data Center REST v1)."""

    kind: ClassVar[str] = "confluence"
    Settings: ClassVar[type[ConnectorSettings]] = ConfluenceSettings
    audience_fields: ClassVar[frozenset[str]] = frozenset({"space", "label", "ancestor"})

    def __init__(
        self,
        settings: ConfluenceSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(settings)
        self._http = ConfluenceHttp(settings, transport=transport, policy=policy)
        api_class = CloudApi if settings.deployment == "cloud" else DataCenterApi
        self._api: ConfluenceApi = api_class(self._http, settings.page_size, settings.body_format)
        self._fetch_slots = threading.BoundedSemaphore(settings.max_parallel_fetches)
        self._restrictions = RestrictionChecker(self._http, cloud=settings.deployment == "cloud")
        self._clock = ServerClock(settings.name)
        #: Spaces resolved by ``start_cursor`` (whose answer dates the cursor) for ``list``.
        self._resolved: dict[str, str] | None = None
        self._scope = Scope(
            spaces=frozenset(settings.spaces),
            roots=frozenset(settings.root_page_ids),
            excluded=frozenset(settings.exclude_page_ids),
            include_labels=frozenset(settings.include_labels),
            exclude_labels=frozenset(settings.exclude_labels),
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    # -- full listing ----------------------------------------------------------------------

    def list(self) -> Iterator[Item | ListingProblem]:
        """Yield every in-scope current page of the configured spaces.

        Raises:
            ConnectorError: A space is missing or Confluence failed mid-listing (after retries).
        """
        settings = self.settings
        self._restrictions.new_run()
        spaces, self._resolved = self._resolved or self._api.resolve_spaces(settings.spaces), None
        included = self._labelled(settings.include_labels)
        excluded = self._labelled(settings.exclude_labels)
        roots_seen: set[str] = set()
        problems: list[ListingProblem] = []
        for key, space_id in spaces.items():
            refs, problem = _space_pages(self._api, key, space_id)
            if problem is not None:
                log.warning("confluence %s: %s", self.name, problem.message)
                problems.append(problem)
            parents = {ref.id: ref.parent_id for ref in refs}
            lineages = {
                ref.id: ref.ancestors
                if ref.ancestors is not None
                else ancestor_chain(ref.id, parents)
                for ref in refs
            }
            marks: dict[str, str] = {}
            try:
                limit = cql_limit(settings.page_size, OWN_EXPAND)
                marks = restriction_marks(self._api.walk, key, lineages, limit)
            except IncompleteListing as exc:  # unmarked pages are fetched and checked in full
                if problem is None:  # one problem per space is enough
                    problems.append(ListingProblem(where=f"space {key}", message=str(exc)))
            roots_seen.update(ref.id for ref in refs if ref.id in self._scope.roots)
            for ref in refs:
                reason = self._scope.rejects(ref, lineages[ref.id], None)
                if reason is None and included is not None and ref.id not in included:
                    reason = "has none of include_labels"
                if reason is None and excluded is not None and ref.id in excluded:
                    reason = "has one of exclude_labels"
                if reason is not None:
                    log.debug("confluence %s: skipped page %s: %s", self.name, ref.id, reason)
                    continue
                yield _item(ref, key, marks.get(ref.id))
        yield from problems
        # A root an incomplete listing missed is no wrong root_page_ids: one problem suffices.
        missing_roots = sorted(self._scope.roots - roots_seen) if not problems else []
        for root in missing_roots:
            # Listing nothing under a vanished root would delete its whole tree: refuse to.
            yield ListingProblem(
                where=f"root page {root}",
                message="not a current page of the configured spaces (fix root_page_ids)",
            )

    def _labelled(self, labels: Sequence[str]) -> set[str] | None:
        if not labels:
            return None
        query = cql_labelled(self.settings.spaces, labels)
        return {ref.id for ref in self._api.cql(query)}

    # -- fetch -----------------------------------------------------------------------------

    def fetch(self, item: Item) -> Document:
        """Read one page's rendered body, rewrite its macros, and check who may view it.

        The document carries the page's audience facts (space, labels, ancestors) and, when
        it or an ancestor has view restrictions, why it is restricted.

        Raises:
            ConnectorError: The page is gone, no longer current, or Confluence failed
                (including its restriction check: the page is never sent unchecked).
        """
        try:
            with self._fetch_slots:  # the engine fetches from many threads; the wiki gets a few
                page = self._api.page(item.external_id)
                ref = page.ref
                if ref.status != "current":
                    raise ConnectorError(f"page {ref.id} is {ref.status} now, not current")
                # a failed check raises: a page is never sent as unrestricted on a guess
                access = self._restrictions.access(
                    ref.id, page.details, page.container_id, rendered=page.html
                )
        except NotFound as exc:
            raise ConnectorError(f"page {item.external_id} no longer exists: {exc}") from None
        ancestors = [a.id for a in access.ancestors]
        moved = self._scope.left_after_listing(ref.id, access.space_key, ancestors)
        if moved is not None:  # the next listing leaves it out, and takes it down
            raise ConnectorError(f"page {ref.id} moved after it was listed: {moved}; not sent")
        base = self.settings.base_url
        url = base + ref.webui if ref.webui else f"{base}/pages/viewpage.action?pageId={ref.id}"
        try:
            body = clean_confluence_html(page.html, base)
        except ValueError as exc:  # lxml refuses some input (e.g. characters XML cannot carry)
            raise ConnectorError(f"page {ref.id}: its HTML cannot be parsed: {exc}") from exc
        return Document(
            external_id=ref.id,
            body=body,
            body_format="html",
            title=ref.title or None,
            url=url,
            metadata={
                "space": ref.space_key or access.space_key or item.locator,
                "version": ref.version,
                "missing_links": missing_pages(page.html),
            },
            facts=access.facts(),
            restricted=access.restricted,
        )

    # -- incremental -----------------------------------------------------------------------

    def start_cursor(self) -> str:
        """The server's clock now, from the ``Date`` of the space lookup the listing needs."""
        self._resolved = self._api.resolve_spaces(self.settings.spaces)
        now = self._clock.now(self._http.last_date)
        return format_cursor(now, now)

    def list_changes(self, cursor: str) -> Changes | None:
        """Pages changed since ``cursor`` (CQL ``lastmodified`` minus ``overlap``), and deletions.

        Returns:
            None when the cursor is not ours or the last full listing is older than
            ``full_listing_every``.

        Raises:
            ConnectorError: Confluence failed; nothing is deleted this run.
        """
        parsed = parse_cursor(cursor)
        if parsed is None:
            log.info("confluence %s: cursor %r not understood; full listing", self.name, cursor)
            return None
        since, full_listing = parsed
        self._restrictions.new_run()
        spaces = self._api.resolve_spaces(self.settings.spaces)
        now = self._clock.now(self._http.last_date)  # the Date of the space lookup
        if now - full_listing > self.settings.full_listing_every:
            log.info("confluence %s: last full listing older than full_listing_every", self.name)
            return None
        settings = self.settings
        query = cql_changed_since(settings.spaces, since - settings.overlap, self._cql_zone())
        changed: dict[str, Item] = {}
        deleted: dict[str, str] = {}
        for ref in self._api.cql(query):
            reason = self._scope.rejects(ref, ref.ancestors or (), ref.labels)
            if reason is None:
                changed[ref.id] = _item(ref, ref.space_key or "")
                deleted.pop(ref.id, None)
            else:
                deleted[ref.id] = reason
                changed.pop(ref.id, None)
        for key, space_id in spaces.items():
            for page_id in self._api.gone(key, space_id):
                if page_id not in changed:
                    deleted[page_id] = "trashed or archived"
        return Changes(
            changed=list(changed.values()),
            deleted=list(deleted),
            cursor=format_cursor(now, full_listing),
        )

    def _cql_zone(self) -> str | None:
        """The zone CQL reads dates in: set, else Cloud's profile zone; None when unknown."""
        if self.settings.cql_timezone is not None:
            return self.settings.cql_timezone
        if self.settings.deployment != "cloud":
            return None  # Data Center documents no way to ask
        return profile_zone(self._http)


def _item(ref: PageRef, space_key: str, mark: str | None = None) -> Item:
    """An item; its version carries a restriction mark on full listings (see ``_marks``)."""
    version = f"{ref.version} {mark}" if mark else str(ref.version)
    return Item(external_id=ref.id, version=version, locator=space_key)


def _space_pages(
    api: ConfluenceApi, key: str, space_id: str
) -> tuple[list[PageRef], ListingProblem | None]:
    """The current pages of a space, and a problem when the listing cannot prove its end
    (what was listed still syncs; nothing is deleted)."""
    refs: list[PageRef] = []
    try:
        for ref in api.pages(key, space_id):
            refs.append(ref)
    except IncompleteListing as exc:
        return refs, ListingProblem(where=f"space {key}", message=str(exc))
    return refs, None
