"""Who may view a page: its own and inherited view restrictions, and the facts rules match.

REST v2 has no restrictions endpoint, so both deployments are asked through REST v1 (Cloud
serves it under ``/wiki/rest/api``):

* one content call expands the page's space, labels, ancestors, its own ``read`` restrictions
  and its ancestors' (:data:`FACTS_EXPAND`). On Data Center that is the page fetch itself, so
  the check costs no extra call; on Cloud (whose page body comes from v2) it is one more call.
* Cloud fails the whole call with 404 when an ancestor is a draft or trashed (CONFCLOUD-77618,
  CONFCLOUD-76424); older Data Center versions ignore the restriction expansions. Either way
  the page is asked again without them and each ancestor whose verdict is not cached yet costs
  one ``GET /rest/api/content/{id}/restriction/byOperation/read``.
* A page that includes another page (include and excerpt-include macros) carries that page's
  content as the API user sees it: it is restricted when an included page is
  (:mod:`._includes`; the storage body comes with the same content call).
* Cloud's v1 ``ancestors`` may omit folders, which pass their view restrictions down like
  pages. ``GET /wiki/api/v2/pages/{id}/ancestors`` gives the whole chain with types; it is
  asked once per distinct parent, and a folder it names costs one ``byOperation`` call.

Verdicts are cached per run (:meth:`RestrictionChecker.new_run`): 1,000 pages under one
restricted parent cost that parent one call at most. A page is restricted when its own read
restrictions or any ancestor's are non-empty (edit restrictions are not inherited and do not
hide a page). An ancestor whose restrictions cannot be read (404: a draft or trashed ancestor)
counts as restricting, so a page is never let through on a guess; a failing check (5xx after
retries) raises and fails that page.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ingestor.connectors.confluence._http import ConfluenceHttp, JsonObject, NotFound
from ingestor.connectors.confluence._includes import (
    cql_titled,
    included_pages,
    renders_includes,
    storage_body,
)
from ingestor.errors import ConnectorError

__all__ = [
    "FACTS_EXPAND",
    "OWN_EXPAND",
    "Ancestor",
    "PageAccess",
    "RestrictionChecker",
    "own_block",
    "read_principals",
]

log = logging.getLogger(__name__)

_OWN = ("restrictions.read.restrictions.user", "restrictions.read.restrictions.group")
_INHERITED = tuple(f"ancestors.{e}" for e in _OWN)
_BASE = ("space", "metadata.labels", "ancestors", "body.storage")
#: Expansions of a v1 content call that answer every question of this module at once.
FACTS_EXPAND = ",".join(_BASE + _OWN + _INHERITED)
#: The same without the ancestors' restrictions, which Cloud may refuse (CONFCLOUD-77618).
FALLBACK_EXPAND = ",".join(_BASE + _OWN)
#: A content object's own read restrictions, and nothing else.
OWN_EXPAND = ",".join(_OWN)
_MAX_NAMES = 5

#: Read restrictions of one piece of content: who it is limited to (empty: not restricted);
#: None when its restrictions cannot be read (a draft or trashed ancestor).
Principals = tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Ancestor:
    """A page or folder above a page, root first."""

    id: str
    title: str
    kind: str = "page"


@dataclass(frozen=True, slots=True)
class PageAccess:
    """What audience rules can match on a page, and why it is restricted (None: it is not)."""

    space_key: str | None
    labels: tuple[str, ...]
    ancestors: tuple[Ancestor, ...]
    restricted: str | None

    def facts(self) -> dict[str, tuple[str, ...]]:
        """``space`` (key), ``label`` (names) and ``ancestor`` (ids and titles) facts."""
        ancestor_words = [a.id for a in self.ancestors] + [a.title for a in self.ancestors]
        return {
            "space": (self.space_key,) if self.space_key else (),
            "label": self.labels,
            "ancestor": tuple(dict.fromkeys(w for w in ancestor_words if w)),
        }


def read_principals(block: object) -> tuple[str, ...] | None:
    """Principals of a v1 restrictions block ``{"user": {...}, "group": {...}}``.

    Both kinds must be there with their ``results``: a kind the server did not expand is
    absent (named under the block's ``_expandable``), and says nothing about who may view the
    page, so a page restricted to one user is never taken for unrestricted because no group
    is named.

    Returns:
        ``("group hr-team", "user Jane Doe")``, empty when nobody is named (not restricted),
        or None when the block or one of its kinds is missing (the server did not expand it).
    """
    if not isinstance(block, Mapping):
        return None
    names: list[str] = []
    for kind in ("group", "user"):
        part = block.get(kind)
        results = part.get("results") if isinstance(part, Mapping) else None
        if not isinstance(part, Mapping) or not isinstance(results, list):
            return None
        listed = [r for r in results if isinstance(r, Mapping)]
        names += [f"{kind} {_principal_name(r)}" for r in listed]
        size = part.get("size")
        if isinstance(size, int) and size > len(listed):  # results cut short
            names.append(f"{size - len(listed)} more {kind}(s)")
    return tuple(names)


def _principal_name(result: Mapping[str, Any]) -> str:
    for key in ("name", "displayName", "publicName", "username", "accountId", "userKey"):
        value = result.get(key)
        if value:
            return str(value)
    return "(unnamed)"


def own_block(obj: Mapping[str, Any]) -> object:
    """The ``read`` restrictions block of an expanded content object."""
    restrictions = obj.get("restrictions")
    read = restrictions.get("read") if isinstance(restrictions, Mapping) else None
    return read.get("restrictions") if isinstance(read, Mapping) else None


def _reason(kind: str, content_id: str, title: str, principals: Principals) -> str | None:
    label = f"{kind} {content_id}" + (f" '{title}'" if title else "")
    if principals is None:
        return f"view restrictions of {label} cannot be read (a draft or trashed ancestor?)"
    if not principals:
        return None
    shown = ", ".join(principals[:_MAX_NAMES])
    more = f" and {len(principals) - _MAX_NAMES} more" if len(principals) > _MAX_NAMES else ""
    return f"view restricted on {label} to {shown}{more}"


class RestrictionChecker:
    """Reads view restrictions through REST v1, caching ancestors' verdicts for one run."""

    def __init__(self, http: ConfluenceHttp, *, cloud: bool) -> None:
        self._http = http
        self._cloud = cloud
        self._lock = threading.Lock()
        self._verdicts: dict[str, Principals] = {}
        self._chains: dict[str, tuple[tuple[str, str], ...]] = {}
        #: Parents under which the ancestors' restrictions expansion fails (CONFCLOUD-77618).
        self._refused: set[str] = set()
        #: (space key, title) of included pages -> why they are restricted ("" when not).
        self._included: dict[tuple[str, str], str] = {}

    def new_run(self) -> None:
        """Forget cached verdicts: restrictions change without a new page version."""
        with self._lock:
            self._verdicts.clear()
            self._chains.clear()
            self._refused.clear()
            self._included.clear()

    def access(
        self,
        page_id: str,
        details: JsonObject | None = None,
        container_id: str | None = None,
        rendered: str | None = None,
    ) -> PageAccess:
        """Space, labels, ancestors and restriction verdict of one page.

        Args:
            page_id: The page.
            details: The page as a v1 content object expanded with :data:`FACTS_EXPAND`, when
                the page fetch already asked for it (Data Center); None asks for it.
            container_id: Cloud: the page's parent of any type (page, folder...), from v2.
            rendered: The page's rendered body, to tell whether it includes other pages when
                the server gives no storage body.

        Raises:
            NotFound: The page itself is gone.
            ConnectorError: A check failed after retries (the page must not pass unchecked).
        """
        return self._access(page_id, details, container_id, frozenset({page_id}), rendered)

    def _access(
        self,
        page_id: str,
        details: JsonObject | None,
        container_id: str | None,
        including: frozenset[str],
        rendered: str | None = None,
    ) -> PageAccess:
        if details is None:
            details = self._details(page_id, container_id)
        chain = self._ancestors(details, container_id)
        own = read_principals(own_block(details))
        if own is None:  # the server ignored the expansion (older Data Center)
            own = self._by_operation(page_id, is_page=True)
        reasons = [_reason("page", page_id, str(details.get("title") or ""), own)]
        for ancestor, principals in chain:
            reasons.append(_reason(ancestor.kind, ancestor.id, ancestor.title, principals))
        space = details.get("space")
        space_key = str(space["key"]) if isinstance(space, Mapping) and "key" in space else None
        storage = storage_body(details)
        if storage is not None:
            reasons += self._included_reasons(storage, space_key, including | {page_id})
        elif rendered is not None and renders_includes(rendered):
            reasons.append(
                f"page {page_id} includes other pages, and the answer has no storage body to "
                "name them, so whether they are restricted is unknown"
            )
        found = [r for r in reasons if r]
        return PageAccess(
            space_key=space_key,
            labels=_labels(details),
            ancestors=tuple(a for a, _ in chain),
            restricted="; ".join(found) if found else None,
        )

    def _included_reasons(
        self, storage: str, space_key: str | None, including: frozenset[str]
    ) -> list[str]:
        """Why the pages a page includes (named in its ``storage`` body) are restricted."""
        reasons = []
        for space, title in included_pages(storage, space_key):
            with self._lock:
                reason = self._included.get((space, title))
            if reason is None:
                reason = self._included_reason(space, title, including)
                with self._lock:
                    self._included[(space, title)] = reason
            if reason:
                reasons.append(reason)
        return reasons

    def _included_reason(self, space: str, title: str, including: frozenset[str]) -> str:
        """Why the page ``title`` of ``space`` is restricted, or "" (also when it does not
        exist: then Confluence renders nothing of it for anyone)."""
        body = self._http.get(
            "/rest/api/content/search", {"cql": cql_titled(space, title), "limit": 5}
        )
        results = body.get("results")
        if not isinstance(results, list):
            raise ConnectorError(f"included page {space}/{title!r}: answer has no 'results'")
        reasons = []
        for result in results:
            found = str(result.get("id")) if isinstance(result, Mapping) else ""
            if not found or found in including:  # a page including itself (a loop)
                continue
            # Cloud: its parent is unknown here; its own id keys its ancestor chain instead
            container = found if self._cloud else None
            try:
                access = self._access(found, None, container, including)
            except NotFound:  # gone since the search: Confluence renders nothing of it now
                continue
            if access.restricted:
                reasons.append(f"includes page {found} '{title}' ({access.restricted})")
        return "; ".join(reasons)

    def _details(self, page_id: str, container_id: str | None) -> JsonObject:
        path = f"/rest/api/content/{page_id}"
        with self._lock:
            refused = container_id is not None and container_id in self._refused
        if not refused:
            try:
                return self._http.get(path, {"expand": FACTS_EXPAND})
            except NotFound:
                # CONFCLOUD-77618: a draft or trashed ancestor fails the ancestors'
                # restrictions; its siblings would fail the same way, so skip to the fallback.
                log.debug("page %s: ancestors' restrictions refused; one by one", page_id)
                if container_id is not None:
                    with self._lock:
                        self._refused.add(container_id)
        return self._http.get(path, {"expand": FALLBACK_EXPAND})

    def _ancestors(
        self, details: JsonObject, container_id: str | None
    ) -> list[tuple[Ancestor, Principals]]:
        listed = details.get("ancestors")
        chain: list[tuple[Ancestor, Principals]] = []
        for obj in listed if isinstance(listed, list) else []:
            if not isinstance(obj, Mapping) or "id" not in obj:
                continue
            ancestor = Ancestor(
                str(obj["id"]), str(obj.get("title") or ""), str(obj.get("type") or "page")
            )
            principals = read_principals(own_block(obj))
            if principals is None:
                principals = self._by_operation(ancestor.id)
            else:
                with self._lock:
                    self._verdicts[ancestor.id] = principals
            chain.append((ancestor, principals))
        if self._cloud and container_id:
            known = {a.id for a, _ in chain}
            for content_id, kind in self._full_chain(str(details["id"]), container_id):
                if content_id not in known:  # a folder v1 left out
                    chain.append((Ancestor(content_id, "", kind), self._by_operation(content_id)))
        return chain

    def _full_chain(self, page_id: str, container_id: str) -> Sequence[tuple[str, str]]:
        """Cloud: every ancestor (pages and folders) as (id, type), once per distinct parent."""
        with self._lock:
            cached = self._chains.get(container_id)
        if cached is not None:
            return cached
        body = self._http.get(f"/api/v2/pages/{page_id}/ancestors", {"limit": 250})
        results = body.get("results")
        chain = tuple(
            (str(r["id"]), str(r.get("type") or "page"))
            for r in (results if isinstance(results, list) else [])
            if isinstance(r, Mapping) and "id" in r
        )
        with self._lock:
            self._chains[container_id] = chain
        return chain

    def _by_operation(self, content_id: str, *, is_page: bool = False) -> Principals:
        with self._lock:
            if content_id in self._verdicts:
                return self._verdicts[content_id]
        path = f"/rest/api/content/{content_id}/restriction/byOperation/read"
        try:
            body = self._http.get(path, {"expand": "restrictions.user,restrictions.group"})
        except NotFound:
            if is_page:
                raise
            principals: Principals = None  # unreadable: counted as restricting
        else:
            principals = read_principals(body.get("restrictions"))
            if principals is None:
                raise ConnectorError(
                    f"{path}: the answer does not list its user and group restrictions "
                    "(not expanded), so whether the page is restricted is unknown"
                )
        with self._lock:
            self._verdicts[content_id] = principals
        return principals


def _labels(details: Mapping[str, Any]) -> tuple[str, ...]:
    metadata = details.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    results = labels.get("results") if isinstance(labels, Mapping) else None
    if not isinstance(results, list):
        return ()
    names = (str(r.get("name") or "").lower() for r in results if isinstance(r, Mapping))
    return tuple(sorted({n for n in names if n}))
