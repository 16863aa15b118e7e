"""Page restrictions, ancestors and folders of the fake Confluence (both API flavours).

Rules, from Atlassian's references and bug tracker:

* REST v1 ``GET /rest/api/content/{id}/restriction/byOperation/read?expand=restrictions.user,
  restrictions.group`` answers ``{"operation": "read", "restrictions": {"user": {"results",
  "size"}, "group": {"results", "size"}}}`` (Cloud v1 reference, "Content restrictions"; Data
  Center REST docs, ``ContentRestrictionResource``); 404 for content the user cannot see
  (drafts of other users, trashed pages). v2 has no restrictions endpoint.
* Expanding ``restrictions.read.restrictions.user/group`` on a content object adds
  ``restrictions.read.restrictions``; ``ancestors.restrictions.read...`` does the same on each
  ancestor. Users are ``{"type": "known", "accountId", "displayName"}`` on Cloud,
  ``{"type": "known", "username", "userKey", "displayName"}`` on Data Center; groups are
  ``{"type": "group", "name"}``.
* Cloud: the ancestors' restrictions expansion fails the whole call with 404 when an ancestor
  is a draft or trashed (CONFCLOUD-77618, CONFCLOUD-76424) -- switch ``draft_ancestor_404``.
* Cloud folders pass view restrictions down but may be missing from v1 ``ancestors``
  (``v1_ancestors_omit_folders``); v2 ``GET /wiki/api/v2/pages/{id}/ancestors`` lists the whole
  chain, root first, as ``{"results": [{"id", "type"}]}`` (Cloud v2 reference, "Ancestors").
* Older Data Center versions ignore the restriction expansions (``restriction_expansions``).
* A kind the server does not expand is absent from the block and named under its
  ``_expandable`` instead (``restrictions: {"_expandable": {"user": ...}, "group": {...}}``:
  the ``ContentRestriction`` model of the v1 API, e.g. confluence.js ``Models.ContentRestriction``).
  Confluence 5.7's ``ContentRestrictionResource.byOperation`` documents ``expand`` with
  "Default value: group", so a server may answer users unexpanded (``expands_users = False``:
  the fake then ignores every ``restrictions.user`` expansion). Stricter than the references,
  which do not say when that happens.
"""

from __future__ import annotations

from typing import Any

from .fake_confluence_model import FakePage, FakeWiki

__all__ = ["AccessRoutes"]

Answer = tuple[int, Any, dict[str, str]]
Query = dict[str, list[str]]


class AccessRoutes(FakeWiki):
    """Restriction data, expansions and the routes that answer them."""

    deployment: str

    def __init__(self) -> None:
        super().__init__()
        self.draft_ancestor_404 = True  # Cloud only (set in FakeConfluence)
        self.v1_ancestors_omit_folders = True  # Cloud only
        self.restriction_expansions = True  # False: an older Data Center ignoring them
        self.expands_users = True  # False: user restrictions stay under ``_expandable``

    def _error(self, route: str, status: int, message: str) -> Answer:
        raise NotImplementedError

    # -- data ------------------------------------------------------------------------------

    def restrict(
        self, page_id: str, *, users: tuple[str, ...] = (), groups: tuple[str, ...] = ()
    ) -> None:
        """Set a page's (or folder's) view restrictions; no new version, as in Confluence."""
        with self.lock:
            page = self.pages[page_id]
            page.read_users, page.read_groups = list(users), list(groups)

    def add_folder(self, space: str, title: str, *, parent: str | None = None) -> str:
        """A Cloud folder: an ancestor of pages, never listed as a page itself."""
        folder_id = self.add_page(space, title, "", parent=parent)
        with self.lock:
            self.pages[folder_id].kind = "folder"
        return folder_id

    # -- shapes ----------------------------------------------------------------------------

    def _user(self, name: str) -> dict[str, str]:
        if self.deployment == "cloud":
            return {"type": "known", "accountId": f"5570:{name}", "displayName": name.title()}
        return {
            "type": "known",
            "username": name,
            "userKey": f"key-{name}",
            "displayName": name.title(),
        }

    def _read_restrictions(self, page: FakePage) -> dict[str, Any]:
        users = [self._user(u) for u in page.read_users]
        groups = [{"type": "group", "name": g} for g in page.read_groups]
        return {
            "user": {"results": users, "start": 0, "limit": 200, "size": len(users)},
            "group": {"results": groups, "start": 0, "limit": 200, "size": len(groups)},
        }

    def _expanded(self, page: FakePage, block: dict[str, Any], kinds: set[str]) -> dict[str, Any]:
        """``block`` with only the ``kinds`` the server expands; the rest under ``_expandable``."""
        if not self.expands_users:
            kinds = kinds - {"user"}
        path = f"/rest/api/content/{page.id}/restriction/byOperation/read"
        kept: dict[str, Any] = {k: v for k, v in block.items() if k in kinds}
        unexpanded = {k: f"{path}/{k}" for k in block if k not in kinds}
        return kept | ({"_expandable": unexpanded} if unexpanded else {})

    def _restrictions_field(self, page: FakePage, expand: set[str], prefix: str) -> dict[str, Any]:
        wanted = {f"{prefix}restrictions.read.restrictions.{k}" for k in ("user", "group")}
        if not self.restriction_expansions or not wanted & expand:
            return {}
        block = self._read_restrictions(page)
        kinds = {k for k in block if f"{prefix}restrictions.read.restrictions.{k}" in expand}
        read = {"operation": "read", "restrictions": self._expanded(page, block, kinds)}
        return {"restrictions": {"read": read}}

    def access_fields(self, page: FakePage, expand: set[str]) -> dict[str, Any]:
        """The ``ancestors`` and ``restrictions`` of a v1 content object, as expanded."""
        fields = self._restrictions_field(page, expand, "")
        if "ancestors" in expand:
            chain = self.ancestors(page)
            if self.deployment == "cloud" and self.v1_ancestors_omit_folders:
                chain = [a for a in chain if a.kind != "folder"]
            fields["ancestors"] = [
                {"id": a.id, "type": a.kind, "status": a.status, "title": a.title}
                | self._restrictions_field(a, expand, "ancestors.")
                for a in chain
            ]
        return fields

    def refuses_expansion(self, page: FakePage, expand: set[str]) -> bool:
        """CONFCLOUD-77618: ancestors' restrictions with a draft or trashed ancestor: 404."""
        if self.deployment != "cloud" or not self.draft_ancestor_404:
            return False
        if not any(e.startswith("ancestors.restrictions") for e in expand):
            return False
        return any(a.status in ("draft", "trashed") for a in self.ancestors(page))

    # -- routes ----------------------------------------------------------------------------

    def _v1_restriction(self, query: Query, content_id: str) -> Answer:
        page = self.pages.get(content_id)
        if page is None or page.status in ("draft", "trashed"):
            message = f"No content found with id: ContentId{{id={content_id}}}"
            return self._error("v1.restriction", 404, message)
        expand = set(",".join(query.get("expand", [])).split(","))
        block = self._read_restrictions(page)
        kinds = {k for k in block if f"restrictions.{k}" in expand}
        restrictions = self._expanded(page, block, kinds)
        return 200, {"operation": "read", "restrictions": restrictions, "_links": {}}, {}

    def _v2_ancestors(self, query: Query, page_id: str) -> Answer:
        page = self.pages.get(page_id)
        if page is None or page.status not in ("current", "archived"):
            return self._error("v2.ancestors", 404, "Not Found")
        chain = [{"id": a.id, "type": a.kind} for a in self.ancestors(page)]
        return 200, {"results": chain, "_links": {}}, {}
