"""The two Confluence APIs behind one small interface: Cloud REST v2 and Data Center REST v1.

Both answer the same questions (which pages a space holds, one page with its rendered body,
a CQL search, what is in the trash) so the connector does not care which one it talks to.
CQL exists only in REST v1, which Cloud also serves under ``/wiki/rest/api``.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ingestor.connectors.confluence._http import (
    BadRequest,
    ConfluenceHttp,
    JsonObject,
    NotFound,
    Params,
)
from ingestor.connectors.confluence._restrictions import FACTS_EXPAND
from ingestor.errors import ConnectorError

__all__ = ["CloudApi", "ConfluenceApi", "DataCenterApi", "PageBody", "PageRef"]

log = logging.getLogger(__name__)

#: What a CQL search expands so that every scope rule can be checked on its results.
CQL_EXPAND = "version,ancestors,metadata.labels,space"
#: What a Data Center page listing expands (the same facts a CQL result carries, but labels).
LIST_EXPAND = "version,ancestors,space"
#: Cloud REST v2 lists take ``limit`` 1-250 (the v2 OpenAPI).
V2_LIMIT = 250
#: Data Center caps ``limit`` silently, and then links ``next`` from the limit asked: content
#: listings at 100 with expansions and 500 without, CQL search at 50 with a body expansion,
#: 200 with other expansions and 1000 with none (Atlassian KB "searching for content with the
#: REST API and CQL always limits results to 50"). Asking for more than the cap gains nothing.
CONTENT_LIMIT_EXPANDED, CONTENT_LIMIT = 100, 500
CQL_LIMIT_BODY, CQL_LIMIT_EXPANDED, CQL_LIMIT = 50, 200, 1000
SPACE_LIMIT = 500
#: Statuses of pages that left a space's current pages (drafts never were among them).
GONE_STATUSES = ("trashed", "archived")


@dataclass(frozen=True, slots=True)
class PageRef:
    """A page as a listing shows it (no body)."""

    id: str
    title: str
    version: int
    status: str
    space_key: str | None = None
    parent_id: str | None = None
    #: Root first, parent last; None when the listing does not tell (Cloud v2 gives parent_id).
    ancestors: tuple[str, ...] | None = None
    #: Lower-case label names; None when the listing does not tell.
    labels: frozenset[str] | None = None
    webui: str | None = None


@dataclass(frozen=True, slots=True)
class PageBody:
    """A fetched page: its listing facts and its rendered HTML."""

    ref: PageRef
    html: str
    #: The page as a v1 content object expanded with ``FACTS_EXPAND`` (Data Center), or None.
    details: JsonObject | None = None
    #: The page's parent of any type (page, folder, whiteboard...), when the API says (v2).
    container_id: str | None = None


def _version(obj: JsonObject, where: str) -> int:
    version = obj.get("version")
    number = version.get("number") if isinstance(version, dict) else None
    if not isinstance(number, int):
        raise ConnectorError(f"{where}: page {obj.get('id')!r} has no version number")
    return number


def _webui(obj: JsonObject) -> str | None:
    links = obj.get("_links")
    webui = links.get("webui") if isinstance(links, dict) else None
    return str(webui) if webui else None


def _labels(obj: JsonObject) -> frozenset[str] | None:
    metadata = obj.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    results = labels.get("results") if isinstance(labels, dict) else None
    if not isinstance(results, list):
        return None
    return frozenset(str(r.get("name", "")).lower() for r in results if isinstance(r, dict))


def v1_page_ref(obj: JsonObject, where: str) -> PageRef:
    """A :class:`PageRef` from a REST v1 content object (listing, search or single page)."""
    space = obj.get("space")
    ancestors = obj.get("ancestors")
    chain = (
        tuple(str(a["id"]) for a in ancestors if isinstance(a, dict) and "id" in a)
        if isinstance(ancestors, list)
        else None
    )
    return PageRef(
        id=str(obj["id"]),
        title=str(obj.get("title") or ""),
        version=_version(obj, where),
        status=str(obj.get("status") or "current"),
        space_key=str(space["key"]) if isinstance(space, dict) and "key" in space else None,
        parent_id=chain[-1] if chain else None,
        ancestors=chain,
        labels=_labels(obj),
        webui=_webui(obj),
    )


def v2_page_ref(obj: JsonObject, where: str, space_key: str | None) -> PageRef:
    """A :class:`PageRef` from a REST v2 page object."""
    parent = obj.get("parentId")
    return PageRef(
        id=str(obj["id"]),
        title=str(obj.get("title") or ""),
        version=_version(obj, where),
        status=str(obj.get("status") or "current"),
        space_key=space_key,
        parent_id=str(parent) if parent and obj.get("parentType", "page") == "page" else None,
        webui=_webui(obj),
    )


class ConfluenceApi(ABC):
    """What both deployments share: CQL search (REST v1) and the server's clock."""

    def __init__(self, http: ConfluenceHttp, page_size: int, body_format: str) -> None:
        self.http = http
        self.page_size = page_size
        self.body_format = body_format

    @abstractmethod
    def resolve_spaces(self, keys: Sequence[str]) -> dict[str, str]:
        """Space id (Cloud) or key (Data Center) by key; a missing space is an error."""

    @abstractmethod
    def pages(self, space_key: str, space_id: str) -> Iterator[PageRef]:
        """Every current page of a space (no drafts, no archived pages)."""

    @abstractmethod
    def gone(self, space_key: str, space_id: str) -> Iterator[str]:
        """Ids of the pages of a space that are in its trash or archived."""

    @abstractmethod
    def page(self, page_id: str) -> PageBody:
        """One page with its rendered body."""

    @abstractmethod
    def walk(self, path: str, params: Params, what: str) -> Iterator[JsonObject]:
        """Every result of a listing, the way this deployment paginates it.

        Raises:
            IncompleteListing: The listing cannot prove it reached its end.
        """

    def cql(self, query: str) -> Iterator[PageRef]:
        """Every page a CQL query finds, with version, ancestors, labels and space.

        Raises:
            IncompleteListing: The search cannot prove it reached its end.
        """
        limit = cql_limit(self.page_size, CQL_EXPAND)
        params: Params = {"cql": query, "limit": limit, "expand": CQL_EXPAND}
        for obj in self.walk("/rest/api/content/search", params, f"CQL {query!r}"):
            if obj.get("type", "page") == "page":
                yield v1_page_ref(obj, "CQL search")


class CloudApi(ConfluenceApi):
    """Confluence Cloud: REST v2 under ``/wiki/api/v2`` with cursor pagination."""

    def walk(self, path: str, params: Params, what: str) -> Iterator[JsonObject]:
        return self.http.follow(path, params, what)

    def resolve_spaces(self, keys: Sequence[str]) -> dict[str, str]:
        params: Params = {"keys": ",".join(keys), "limit": V2_LIMIT}
        found = {
            str(s.get("key")): str(s.get("id"))
            for s in self.http.follow("/api/v2/spaces", params, "spaces")
        }
        return _all_found(keys, found)

    def pages(self, space_key: str, space_id: str) -> Iterator[PageRef]:
        params: Params = {"status": "current", "limit": min(self.page_size, V2_LIMIT)}
        where = f"pages of space {space_key}"
        for obj in self.http.follow(f"/api/v2/spaces/{space_id}/pages", params, where):
            if obj.get("status", "current") == "current":
                yield v2_page_ref(obj, where, space_key)

    def gone(self, space_key: str, space_id: str) -> Iterator[str]:
        for status in GONE_STATUSES:
            params: Params = {"status": status, "limit": min(self.page_size, V2_LIMIT)}
            where = f"{status} pages of space {space_key}"
            for obj in self.http.follow(f"/api/v2/spaces/{space_id}/pages", params, where):
                yield str(obj["id"])

    def page(self, page_id: str) -> PageBody:
        obj = self.http.get(f"/api/v2/pages/{page_id}", {"body-format": self.body_format})
        ref = v2_page_ref(obj, f"page {page_id}", None)
        parent = obj.get("parentId")
        body = _body_value(obj, self.body_format, page_id)
        return PageBody(ref, body, container_id=str(parent) if parent else None)


class DataCenterApi(ConfluenceApi):
    """Confluence Data Center/Server: REST v1 under ``/rest/api``.

    Page listings use the cursor-based ``/rest/api/content/scan`` where the server has it
    (Confluence 7.18 and later); older servers route that path to ``/content/{id}``, whose id
    conversion fails with 404 (JAX-RS), so a 404 or 400 on the first scan call switches this
    connector to ``start``/``limit`` listings for good. Everything else pages by offset.
    """

    def __init__(self, http: ConfluenceHttp, page_size: int, body_format: str) -> None:
        super().__init__(http, page_size, body_format)
        #: Whether the server has ``content/scan``; None until the first listing asked.
        self.has_scan: bool | None = None

    def walk(self, path: str, params: Params, what: str) -> Iterator[JsonObject]:
        return self.http.offsets(path, params, what)

    def resolve_spaces(self, keys: Sequence[str]) -> dict[str, str]:
        params: Params = {"spaceKey": list(keys), "limit": SPACE_LIMIT}  # a repeated parameter
        found = {
            str(s.get("key")): str(s.get("key"))
            for s in self.http.offsets("/rest/api/space", params, "spaces")
        }
        return _all_found(keys, found)

    def pages(self, space_key: str, space_id: str) -> Iterator[PageRef]:
        params: Params = {
            "spaceKey": space_key,
            "type": "page",
            "status": "current",
            "limit": min(self.page_size, CONTENT_LIMIT_EXPANDED),
            "expand": LIST_EXPAND,
        }
        where = f"pages of space {space_key}"
        for obj in self._scan(params, where):
            if obj.get("status", "current") == "current" and obj.get("type", "page") == "page":
                yield v1_page_ref(obj, where)

    def _scan(self, params: Params, where: str) -> Iterator[JsonObject]:
        if self.has_scan is not False:
            results = self.http.follow("/rest/api/content/scan", params, where)
            try:
                first = next(results, None)
            except (NotFound, BadRequest) as exc:
                if self.has_scan:
                    raise
                self.has_scan = False
                log.info("%s: no content/scan (Confluence < 7.18), start/limit: %s", where, exc)
            else:
                self.has_scan = True
                if first is not None:
                    yield first
                    yield from results
                return
        yield from self.http.offsets("/rest/api/content", params, where)

    def gone(self, space_key: str, space_id: str) -> Iterator[str]:
        for status in GONE_STATUSES:
            params: Params = {
                "spaceKey": space_key,
                "type": "page",
                "status": status,
                "limit": min(self.page_size, CONTENT_LIMIT),
            }
            where = f"{status} pages of space {space_key}"
            try:
                for obj in self.http.offsets("/rest/api/content", params, where):
                    yield str(obj["id"])
            except BadRequest:
                if status != "archived":
                    raise
                # Servers before Confluence 7.10 have no archived pages and refuse the status.
                log.debug("%s: status 'archived' not supported by this server", where)

    def page(self, page_id: str) -> PageBody:
        # the facts and restrictions come with the body: no extra call per page
        expand = f"body.{self.body_format},version,{FACTS_EXPAND}"
        obj = self.http.get(f"/rest/api/content/{page_id}", {"expand": expand})
        ref = v1_page_ref(obj, f"page {page_id}")
        return PageBody(ref, _body_value(obj, self.body_format, page_id), details=obj)


def cql_limit(page_size: int, expand: str) -> int:
    """``page_size`` within what Data Center returns for a CQL search with ``expand``."""
    parts = [part for part in expand.split(",") if part]
    if any(part.startswith("body") for part in parts):
        return min(page_size, CQL_LIMIT_BODY)
    return min(page_size, CQL_LIMIT_EXPANDED if parts else CQL_LIMIT)


def _all_found(keys: Sequence[str], found: dict[str, str]) -> dict[str, str]:
    missing = [key for key in keys if key not in found]
    if missing:
        # Space keys are matched case-sensitively by the API ("eng" does not find "ENG"),
        # while people read them case-insensitively in URLs and the UI.
        lower = [key for key in missing if key != key.upper() and not key.startswith("~")]
        hint = (
            f"; space keys are case-sensitive: check the exact case of {', '.join(lower)} "
            "(global space keys are usually upper case)"
            if lower
            else ""
        )
        raise ConnectorError(
            f"space(s) {', '.join(missing)} not found or not visible to the API user{hint}"
        )
    return {key: found[key] for key in keys}


def _body_value(obj: dict[str, Any], body_format: str, page_id: str) -> str:
    body = obj.get("body")
    rendering = body.get(body_format) if isinstance(body, dict) else None
    value = rendering.get("value") if isinstance(rendering, dict) else None
    if not isinstance(value, str):
        raise ConnectorError(f"page {page_id}: the answer has no {body_format} body")
    return value
