"""Audience facts of DokuWiki pages, and which pages its ACL hides from anonymous readers.

* ``namespace`` fact: the page's namespace, then each enclosing one, innermost first
  (``internal:hr:leave`` -> ``internal:hr``, ``internal``), so a rule on ``internal`` covers
  its sub-namespaces the way the connector's ``namespaces`` setting does. A page at the root
  has :data:`ROOT_NAMESPACE`.
* ``restricted``: the connector's user (``username``) can read every page it lists, but an
  anonymous visitor may not. ``wiki.aclCheck(id, "", [])`` asks DokuWiki's own ACL check
  (``auth_aclcheck``) for a user with no name and no groups, i.e. ``@ALL`` only; below
  ``AUTH_READ`` (1) the page is restricted. DokuWiki 2022-07 has no working
  ``system.multicall`` (its XML-RPC server routes every method to the remote API, which does
  not know it, and answers an empty struct), so this is one call per fetched page.
* The reason names where the ACL hides it: the outermost namespace of the unbroken run of
  namespaces (from the page's own outwards) that anonymous readers may not read, found by
  asking for a probe page in each (``internal:*``); a page hidden by a rule of its own is
  named as a page. Those answers are cached per namespace for the run, so they cost a call
  per namespace, not per page.

Without credentials the connector reads as the anonymous user itself: everything it can
fetch, anyone can read, and nothing is asked.
"""

from __future__ import annotations

import threading
from typing import Any

from ingestor.connectors.dokuwiki._rpc import DokuWikiRpc
from ingestor.errors import ConnectorError

__all__ = ["ACL_CHECK", "ROOT_NAMESPACE", "AnonymousAcl", "namespace_facts"]

#: The ``namespace`` fact of pages at the root of the wiki (DokuWiki's own name for it).
ROOT_NAMESPACE = "(root)"
#: The XML-RPC method asked (DokuWiki 2022-07; later releases also offer ``core.aclCheck``).
ACL_CHECK = "wiki.aclCheck"
#: DokuWiki's ``AUTH_READ`` permission level.
AUTH_READ = 1
#: A page name in a namespace, used to ask what the namespace's ACL (``ns:*``) allows.
#: The API cleans ids, so ``ns:*`` itself cannot be asked; no page-level rule names this.
_PROBE = "fin-ingestor-acl-probe"


def namespace_facts(page_id: str) -> tuple[str, ...]:
    """``a:b:page`` -> ``("a:b", "a")``; a page at the root -> ``("(root)",)``."""
    parts = page_id.split(":")[:-1]
    if not parts:
        return (ROOT_NAMESPACE,)
    return tuple(":".join(parts[:depth]) for depth in range(len(parts), 0, -1))


class AnonymousAcl:
    """What DokuWiki's ACL lets anonymous users read, asked through ``wiki.aclCheck``."""

    def __init__(self, rpc: DokuWikiRpc, *, enabled: bool) -> None:
        self.enabled = enabled
        self._rpc = rpc
        self._lock = threading.Lock()
        self._namespaces: dict[str, int] = {}  # namespace -> anonymous permission (cached)
        #: Calls made so far (reported by the measurements in the docs and tests).
        self.calls = 0

    def reset(self) -> None:
        """Forget cached namespace answers (a new run: the ACL may have changed)."""
        with self._lock:
            self._namespaces.clear()

    def restriction(self, page_id: str) -> str | None:
        """Why anonymous users may not read ``page_id``, or None when they may.

        Raises:
            ConnectorError: The wiki could not be asked (after retries) or gave no level: the
                page must not be taken as readable.
        """
        if not self.enabled or self._permission(page_id) >= AUTH_READ:
            return None
        return f"hidden from anonymous readers by ACL ({self._hidden_by(page_id)})"

    def _hidden_by(self, page_id: str) -> str:
        """``internal:*``, ``*`` (the whole wiki) or ``page internal:x``."""
        parts = page_id.split(":")[:-1]
        outermost: str | None = None
        for depth in range(len(parts), -1, -1):
            namespace = ":".join(parts[:depth])
            if self._namespace_permission(namespace) >= AUTH_READ:
                break
            outermost = namespace
        if outermost is None:
            return f"page {page_id}"
        return f"{outermost}:*" if outermost else "*: the whole wiki"

    def _namespace_permission(self, namespace: str) -> int:
        with self._lock:
            cached = self._namespaces.get(namespace)
        if cached is None:
            probe = f"{namespace}:{_PROBE}" if namespace else _PROBE
            cached = self._permission(probe, what=f"namespace {namespace or '(root)'}")
            with self._lock:
                self._namespaces[namespace] = cached
        return cached

    def _permission(self, page_id: str, *, what: str = "") -> int:
        with self._lock:
            self.calls += 1
        try:
            level: Any = self._rpc.call(ACL_CHECK, page_id, "", [])
        except ConnectorError as exc:
            raise ConnectorError(
                f"{what or 'page ' + page_id}: {ACL_CHECK} failed, so whether anonymous "
                f"users may read it is unknown: {exc}"
            ) from exc
        if not isinstance(level, int) or isinstance(level, bool):
            # DokuWiki 2022-07 sends some faults as an empty struct instead of a fault
            raise ConnectorError(
                f"{self._rpc.label}: {what or 'page ' + page_id}: {ACL_CHECK} answered "
                f"{level!r} instead of a permission level; cannot tell whether anonymous "
                "users may read it"
            )
        return level
