"""The MediaWiki connector: pages of a wiki through its Action API.

* Identity: ``external_id`` is the page id (stable across moves); the version is the page's
  latest revision id (a move adds a revision, so a moved page is fetched again with its new
  title and url).
* ``list()``: ``generator=allpages`` per namespace (and per include prefix), or
  ``generator=categorymembers`` per include category, with ``prop=info`` for the revision and
  canonical url; redirects are skipped; excluded categories are read once up front.
* ``fetch()``: ``action=parse`` of the page id without edit links, TOC or limit report, then
  :func:`clean_mediawiki_html`; at most ``max_parallel_fetches`` at a time.
* Incremental (:class:`Incremental`): see :mod:`connectors.mediawiki._changes`.
* Audience facts (namespace, categories): :mod:`connectors.mediawiki._audience`; pages
  anonymous users cannot read are ``restricted``: :mod:`connectors.mediawiki._access`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import ClassVar, Self

from ingestor.connectors.base import (
    Changes,
    Connector,
    ConnectorSettings,
    Document,
    Incremental,
    Item,
    ListingProblem,
)
from ingestor.connectors.mediawiki._access import AnonymousReads
from ingestor.connectors.mediawiki._api import MediaWikiApi
from ingestor.connectors.mediawiki._audience import Namespaces, category_facts
from ingestor.connectors.mediawiki._changes import format_cursor, list_changes, parse_timestamp
from ingestor.connectors.mediawiki._clean import (
    clean_mediawiki_html,
    missing_pages,
    redirect_target,
)
from ingestor.connectors.mediawiki._pages import PageInfo, listed_pages, page_infos
from ingestor.connectors.mediawiki._scope import Scope
from ingestor.connectors.mediawiki._settings import MediaWikiSettings
from ingestor.connectors.wikikit import WikiHttp
from ingestor.errors import ConnectorError, PageSkipped

__all__ = ["MediaWikiConnector"]

log = logging.getLogger("ingestor.connectors.mediawiki")


class MediaWikiConnector(Connector[MediaWikiSettings], Incremental):
    """Syncs the pages of one MediaWiki (namespaces, prefixes and categories chosen)."""

    kind: ClassVar[str] = "mediawiki"
    Settings: ClassVar[type[ConnectorSettings]] = MediaWikiSettings
    audience_fields: ClassVar[frozenset[str]] = frozenset({"namespace", "category"})

    def __init__(self, settings: MediaWikiSettings, *, http: WikiHttp | None = None) -> None:
        super().__init__(settings)
        self.label = f"mediawiki {settings.name!r}"
        self.api = MediaWikiApi(settings, self.label, http)
        self.scope = Scope(settings)
        self.namespaces = Namespaces(self.api)
        self.anonymous_reads = AnonymousReads(settings, self.label)

    # -- listing -------------------------------------------------------------------------------

    def list(self) -> Iterator[Item | ListingProblem]:
        """Every page in scope with its latest revision id, redirects skipped.

        Raises:
            ConnectorError: A listing call failed (after retries): nothing is deleted.
        """
        self.anonymous_reads.reset()
        excluded = self._excluded_page_ids()
        seen: set[int] = set()
        for page in self._candidates():
            if page.page_id in seen or page.page_id in excluded:
                continue
            seen.add(page.page_id)
            if page.redirect or not self.scope.admits_title(page.namespace, page.title):
                continue
            self.anonymous_reads.expect([page.page_id])
            yield Item(external_id=str(page.page_id), version=str(page.revision), locator=page.url)

    def _candidates(self) -> Iterator[PageInfo]:
        size = str(self.settings.page_size)
        info = {"prop": "info", "inprop": "url"}
        if self.settings.include_categories:
            namespaces = "|".join(str(n) for n in self.settings.namespaces)
            for name in self.settings.include_categories:
                params = {
                    **info,
                    "generator": "categorymembers",
                    "gcmtitle": f"Category:{name}",
                    "gcmnamespace": namespaces,
                    "gcmtype": "page",
                    "gcmlimit": size,
                }
                for body in self.api.query(params):
                    yield from listed_pages(body)
            return
        for namespace in self.settings.namespaces:
            prefixes: list[str | None] = [*self.settings.include_prefixes] or [None]
            for prefix in prefixes:
                params = {
                    **info,
                    "generator": "allpages",
                    "gapnamespace": str(namespace),
                    "gapfilterredir": "nonredirects",
                    "gaplimit": size,
                }
                if prefix is not None:
                    params["gapprefix"] = prefix
                for body in self.api.query(params):
                    yield from listed_pages(body)

    def _excluded_page_ids(self) -> set[int]:
        excluded: set[int] = set()
        for name in self.settings.exclude_categories:
            params = {
                "list": "categorymembers",
                "cmtitle": f"Category:{name}",
                "cmprop": "ids",
                "cmtype": "page",
                "cmlimit": str(self.settings.page_size),
            }
            for body in self.api.query(params):
                for member in body.get("query", {}).get("categorymembers", []):
                    excluded.add(int(member.get("pageid", 0)))
        return excluded

    # -- fetching ------------------------------------------------------------------------------

    def fetch(self, item: Item) -> Document:
        """The page's rendered HTML (``action=parse``), cleaned, with its title, url, audience
        facts and, when anonymous users cannot read it, why it is restricted.

        Raises:
            PageSkipped: The page became a redirect after it was listed (an earlier version
                sent is taken down; the next listing leaves it out).
            ConnectorError: The page is gone, the wiki could not render it, or whether
                anonymous users may read it could not be found out.
        """
        with self.api.http.fetch_slots:  # every call of one fetch counts as one slot
            body = self.api.call(
                {
                    "action": "parse",
                    "pageid": item.external_id,
                    "prop": "text|revid|displaytitle|categories",
                    "disableeditsection": "1",
                    "disabletoc": "1",
                    "disablelimitreport": "1",
                }
            )
            parsed = body.get("parse")
            if not isinstance(parsed, dict) or not isinstance(parsed.get("text"), str):
                raise ConnectorError(f"{self.label}: page {item.external_id}: parse gave no text")
            target = redirect_target(parsed["text"])
            if target is not None:  # made a redirect after it was listed: not a page to sync
                raise PageSkipped(
                    f"{self.label}: page {item.external_id} is now a redirect to "
                    f"{target or 'another page'}; redirects are not synced"
                )
            url = item.locator or self._canonical_url(item.external_id)
            title = str(parsed.get("title") or "")
            namespace = self.namespaces.of_title(title)
            categories = category_facts(parsed.get("categories") or ())
            self._still_in_scope(item.external_id, namespace.number, title, categories)
            revid = parsed.get("revid")
            restricted = self.anonymous_reads.restriction(
                int(item.external_id),
                namespace.canonical,
                revid if isinstance(revid, int) else None,
            )
        return Document(
            external_id=item.external_id,
            body=clean_mediawiki_html(parsed["text"]),
            body_format="html",
            title=title or None,
            url=url,
            metadata={
                "title": title,
                "revision": parsed.get("revid"),
                "missing_links": missing_pages(parsed["text"]),
            },
            facts={
                "namespace": namespace.facts,
                "category": categories,
            },
            restricted=restricted,
        )

    def _still_in_scope(
        self, page_id: str, namespace: int, title: str, categories: tuple[str, ...]
    ) -> None:
        """Refuse a page that left the scope between listing and fetch (moved to a namespace
        or title prefix that is not synced, or put in an excluded category): what it holds
        now was never meant to be sent, and the next listing leaves it out.

        Raises:
            ConnectorError: The page as rendered is out of scope.
        """
        if not self.scope.admits_title(namespace, title):
            reason = f"{title!r} is outside the synced namespaces and title prefixes"
        elif not self.scope.admits_categories(categories):
            reason = f"{title!r} is outside the category filters now"
        else:
            return
        raise ConnectorError(
            f"{self.label}: page {page_id} changed after it was listed: {reason}; not sent"
        )

    def _canonical_url(self, page_id: str) -> str | None:
        pages = page_infos(self.api, [int(page_id)], with_categories=None)
        page = pages.get(int(page_id))
        return page.url if page is not None else None

    # -- incremental ---------------------------------------------------------------------------

    def start_cursor(self) -> str:
        """The wiki's clock now (``curtimestamp``), as a cursor.

        Raises:
            ConnectorError: The wiki could not be asked.
        """
        body = self.api.call({"action": "query", "curtimestamp": "1"})
        return format_cursor(parse_timestamp(body.get("curtimestamp"), self.label))

    def list_changes(self, cursor: str) -> Changes | None:
        """Pages edited, created, moved or deleted since ``cursor``; None when it is too old.

        Raises:
            ConnectorError: The wiki could not answer: nothing is deleted this run.
        """
        self.anonymous_reads.reset()
        changes = list_changes(self, cursor)
        if changes is not None:
            self.anonymous_reads.expect(int(item.external_id) for item in changes.changed)
        return changes

    def __enter__(self) -> Self:
        return self

    def close(self) -> None:
        """Close the HTTP connections."""
        self.api.http.close()
        self.anonymous_reads.close()
