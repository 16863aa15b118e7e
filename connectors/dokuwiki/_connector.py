"""The DokuWiki connector: pages of a DokuWiki through its XML-RPC API.

* Identity: ``external_id`` is the page id (``support:login``); DokuWiki has no rename, so a
  page moved by a plugin is a deletion plus a new page. The version is the page's current
  revision (its ``lastModified`` timestamp) and size: ``<rev>:<size>``, since two saves in
  one second share a timestamp.
* ``list()``: ``dokuwiki.getPagelist(namespace, {depth: 0})`` per included namespace (the whole
  wiki by default). It walks the page files, so unlike ``wiki.getAllPages`` it needs no search
  index, and it only returns pages the API user may read.
* ``fetch()``: ``wiki.getPageHTML`` (the rendered XHTML), then :func:`clean_dokuwiki_html`.
* Incremental: the cursor is ``dw1:<unix time>`` from ``dokuwiki.getTime`` (the wiki's clock).
  ``wiki.getRecentChanges(cursor - overlap)`` names the pages changed since (fault 321 means
  none); each one in scope is re-read with ``wiki.getPageInfo``: fault 121 (gone) or a refusal
  (no longer readable) makes it deleted, anything else a changed item. A cursor older than
  ``incremental_max_age`` (the changelog keeps ``recent_days``) means a full listing.
* Audience facts (namespace) and pages the ACL hides from anonymous readers (``restricted``):
  :mod:`connectors.dokuwiki._acl`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar, Self
from urllib.parse import quote

from ingestor.connectors.base import (
    Changes,
    Connector,
    ConnectorSettings,
    Document,
    Incremental,
    Item,
    ListingProblem,
)
from ingestor.connectors.dokuwiki._acl import AnonymousAcl, namespace_facts
from ingestor.connectors.dokuwiki._clean import clean_dokuwiki_html, missing_pages
from ingestor.connectors.dokuwiki._rpc import DENIED, DokuWikiRpc, RpcFault
from ingestor.connectors.dokuwiki._settings import DokuWikiSettings
from ingestor.connectors.wikikit import WikiHttp
from ingestor.errors import ConnectorError

__all__ = ["CURSOR_PREFIX", "DokuWikiConnector", "page_version", "readable_page_name"]

CURSOR_PREFIX = "dw1:"
_NO_CHANGES = 321
_NO_SUCH_PAGE = 121
_NOT_ALLOWED = 111
_CURSOR = re.compile(r"^dw1:(\d{10})$")


class DokuWikiConnector(Connector[DokuWikiSettings], Incremental):
    """Syncs the pages of one DokuWiki (namespaces chosen)."""

    kind: ClassVar[str] = "dokuwiki"
    Settings: ClassVar[type[ConnectorSettings]] = DokuWikiSettings
    audience_fields: ClassVar[frozenset[str]] = frozenset({"namespace"})

    def __init__(self, settings: DokuWikiSettings, *, http: WikiHttp | None = None) -> None:
        super().__init__(settings)
        self.label = f"dokuwiki {settings.name!r}"
        self.rpc = DokuWikiRpc(settings, self.label, http)
        self.anonymous_acl = AnonymousAcl(self.rpc, enabled=settings.username is not None)

    # -- scope ---------------------------------------------------------------------------------

    def in_scope(self, page_id: str) -> bool:
        """Whether the namespace filters admit ``page_id``."""
        included = self.settings.namespaces
        if included and not any(_within(page_id, ns) for ns in included):
            return False
        return not any(_within(page_id, ns) for ns in self.settings.exclude_namespaces)

    def page_url(self, page_id: str) -> str:
        """The url Fin cites for a page."""
        template = self.settings.page_url_template
        encoded = quote(page_id, safe=":")
        if template is None:
            return f"{self.settings.wiki_url}doku.php?id={encoded}"
        return template.format(id=encoded, path=quote(page_id.replace(":", "/"), safe="/"))

    # -- listing -------------------------------------------------------------------------------

    def list(self) -> Iterator[Item | ListingProblem]:
        """Every readable page in scope with its revision, in id order.

        Raises:
            ConnectorError: A listing call failed (after retries): nothing is deleted.
        """
        self.anonymous_acl.reset()
        seen: set[str] = set()
        for namespace in self.settings.namespaces or [""]:
            pages = self.rpc.call("dokuwiki.getPagelist", namespace, {"depth": 0})
            if not isinstance(pages, list):
                raise ConnectorError(f"{self.label}: dokuwiki.getPagelist answered {pages!r}")
            # One answer holds the whole namespace: nothing to paginate. An entry without an
            # id is a page we cannot name; skipping it would let the engine delete it.
            named = [p for p in pages if isinstance(p, dict) and p.get("id")]
            if len(named) < len(pages):
                yield ListingProblem(
                    where=f"namespace {namespace or '(root)'}",
                    message=f"dokuwiki.getPagelist answered {len(pages) - len(named)} "
                    "entries without a page id; the listing may miss pages",
                )
            for page in sorted(named, key=lambda p: str(p["id"])):
                page_id = str(page["id"])
                if page_id in seen or not self.in_scope(page_id):
                    continue
                seen.add(page_id)
                revision = page.get("rev") or page.get("mtime") or 0
                size = page.get("size")
                yield Item(
                    external_id=page_id,
                    version=page_version(revision, size),
                    size=int(size) if isinstance(size, int) else None,
                )

    # -- fetching ------------------------------------------------------------------------------

    def fetch(self, item: Item) -> Document:
        """The page's rendered XHTML, cleaned, with its url, its namespace and, when the ACL
        hides it from anonymous readers, why it is restricted.

        Raises:
            ConnectorError: The page is gone, unreadable, or the wiki failed (the ACL check
                included: a page is never taken as public because the check failed).
        """
        page_id = item.external_id
        with self.rpc.http.fetch_slots:
            html = self.rpc.call("wiki.getPageHTML", page_id, expect=frozenset({DENIED}))
            if isinstance(html, RpcFault):
                raise ConnectorError(f"{self.label}: page {page_id}: not readable ({html.message})")
            if not isinstance(html, str) or not html.strip():
                raise ConnectorError(
                    f"{self.label}: page {page_id}: no content (deleted meanwhile?)"
                )
            restricted = self.anonymous_acl.restriction(page_id)
        return Document(
            external_id=page_id,
            body=clean_dokuwiki_html(html),
            body_format="html",
            fallback_title=readable_page_name(page_id),
            url=self.page_url(page_id),
            metadata={
                "id": page_id,
                "revision": item.version,
                "missing_links": missing_pages(html),
            },
            facts={"namespace": namespace_facts(page_id)},
            restricted=restricted,
        )

    # -- incremental ---------------------------------------------------------------------------

    def start_cursor(self) -> str:
        """The wiki's clock now (``dokuwiki.getTime``), as a cursor.

        Raises:
            ConnectorError: The wiki could not be asked.
        """
        return CURSOR_PREFIX + str(self._server_time())

    def list_changes(self, cursor: str) -> Changes | None:
        """Pages changed or deleted since ``cursor``; None when it is too old or not ours.

        Raises:
            ConnectorError: The wiki could not answer: nothing is deleted this run.
        """
        self.anonymous_acl.reset()
        match = _CURSOR.match(cursor)
        if match is None:
            return None
        since = int(match.group(1))
        now = self._server_time()
        if timedelta(seconds=now - since) > self.settings.incremental_max_age:
            return None
        start = max(since - int(self.settings.overlap.total_seconds()), 1_000_000_000)
        changes = self.rpc.call("wiki.getRecentChanges", start, expect=frozenset({_NO_CHANGES}))
        sizes = {} if isinstance(changes, RpcFault) else _change_sizes(changes, self.label)
        changed: list[Item] = []
        deleted: list[str] = []
        for page_id in sorted(n for n in sizes if self.in_scope(n)):
            info = self.rpc.call(
                "wiki.getPageInfo",
                page_id,
                expect=frozenset({_NO_SUCH_PAGE, _NOT_ALLOWED, DENIED}),
            )
            if isinstance(info, RpcFault) or not (isinstance(info, dict) and "version" in info):
                # DokuWiki 2022-07 sends some faults as an empty struct instead of a fault
                deleted.append(page_id)
            else:
                changed.append(Item(page_id, page_version(info["version"], sizes[page_id])))
        return Changes(changed=changed, deleted=deleted, cursor=CURSOR_PREFIX + str(now))

    def _server_time(self) -> int:
        now = self.rpc.call("dokuwiki.getTime")
        if not isinstance(now, int) or now < 1_000_000_000:
            raise ConnectorError(f"{self.label}: dokuwiki.getTime answered {now!r}")
        return now

    def __enter__(self) -> Self:
        return self

    def close(self) -> None:
        """Close the HTTP connections."""
        self.rpc.http.close()


def readable_page_name(page_id: str) -> str:
    """``support:password_reset`` -> ``Password reset`` (a title when the page has no heading)."""
    name = page_id.rsplit(":", 1)[-1].replace("_", " ").strip() or page_id
    return name[:1].upper() + name[1:]


def _within(page_id: str, namespace: str) -> bool:
    return page_id == namespace or page_id.startswith(namespace + ":")


def page_version(revision: Any, size: Any) -> str:
    """``<revision>:<size>``: the revision is a timestamp in seconds, so two saves within one
    second share it; the size tells most of those apart."""
    return f"{revision}:{size if isinstance(size, int) and not isinstance(size, bool) else ''}"


def _change_sizes(changes: Any, label: str) -> dict[str, Any]:
    """Page id -> current size, from ``wiki.getRecentChanges`` (latest entry per page)."""
    if changes == {}:  # fault 321 "no changes", sent as an empty struct by DokuWiki 2022-07
        return {}
    if not isinstance(changes, list):
        raise ConnectorError(f"{label}: wiki.getRecentChanges answered {type(changes).__name__}")
    return {
        str(change.get("name", "")): change.get("size")
        for change in changes
        if isinstance(change, dict) and change.get("name")
    }
