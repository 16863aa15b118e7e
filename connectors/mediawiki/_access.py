"""Which pages anonymous readers of a MediaWiki cannot read (``Document.restricted``).

A page is restricted when the connector's user (a bot password) can read it but an anonymous
visitor cannot: a private wiki (``$wgGroupPermissions['*']['read'] = false``), a namespace
locked by an extension such as Lockdown, or any other ``getUserPermissionsErrors`` hook.

How it asks: a second client, without credentials or cookies, calls
``action=query&prop=info&intestactions=read&pageids=...`` for up to 50 pages at once (the
limit of tested actions per call for ordinary users, ``ApiQueryInfo::LIMIT_SML1``). The
wiki answers ``actions.read: true|false`` per page as the anonymous user, with every hook
and ``$wgWhitelistRead`` applied. A private wiki refuses that call outright
(``readapidenied``): then every page is restricted, and no further call is made.

Batches: :meth:`AnonymousReads.expect` queues the listed page ids in listing order; the first
fetch of a page not yet checked checks it together with the next 49 queued ones. The engine
fetches in listing order, so a full first sync costs one extra call per 50 pages. Answers
are kept for the run (the queue and answers are reset by each listing).

Each answer is for the page's latest revision at the time it was asked (``lastrevid``). A page
checked in a batch may be moved or edited before it is fetched (a move into a locked namespace
adds a revision), so an answer counts only for the revision that was rendered: a "readable"
answer for another revision is asked again for that page alone, and when the page changed once
more in between, the fetch fails (the page is retried next run) rather than going out on an
answer about another revision.

Without credentials the connector itself reads as the anonymous user: whatever it can fetch,
anyone can read, and nothing is asked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from ingestor.connectors.mediawiki._api import MediaWikiApi
from ingestor.connectors.mediawiki._settings import MediaWikiSettings
from ingestor.errors import ConnectorError

__all__ = ["CHECK_BATCH", "AnonymousReads"]

#: Pages whose ``read`` action one call tests (``ApiQueryInfo::LIMIT_SML1``).
CHECK_BATCH = 50
#: Reason of every page when the wiki is private.
PRIVATE_WIKI = "not readable by anonymous users (the wiki is private)"


class AnonymousReads:
    """Whether anonymous users may read pages, asked in batches; thread-safe."""

    def __init__(self, settings: MediaWikiSettings, label: str) -> None:
        self.enabled = settings.username is not None
        anonymous = settings.model_copy(update={"username": None, "password": None})
        self._api = MediaWikiApi(anonymous, f"{label} (as an anonymous reader)")
        # One check at a time: a thread that needs a page of the batch in flight waits for it
        # rather than asking again (one call covers 50 pages, so waiting is cheap).
        self._lock = threading.Lock()
        #: page id -> (anonymous users may read it, the revision that answer is for)
        self._readable: dict[int, tuple[bool, int | None]] = {}
        self._queue: dict[int, None] = {}  # listed ids not checked yet, in listing order
        self._private = False
        #: Calls made so far (reported by the measurements in the docs and tests).
        self.calls = 0

    def reset(self) -> None:
        """Forget answers and queue (a new listing: permissions may have changed)."""
        with self._lock:
            self._readable.clear()
            self._queue.clear()
            self._private = False

    def expect(self, page_ids: Iterable[int]) -> None:
        """Queue listed pages so that later checks take them in the same call."""
        if not self.enabled:
            return
        with self._lock:
            for page_id in page_ids:
                if page_id not in self._readable:
                    self._queue[page_id] = None

    def restriction(self, page_id: int, namespace: str, revision: int | None) -> str | None:
        """Why anonymous users cannot read ``page_id`` (in ``namespace``, as rendered at
        ``revision``), or None.

        Raises:
            ConnectorError: The wiki could not be asked (after retries), did not answer for
                this page, or said it is readable only of another revision than ``revision``
                (the page changed while it was fetched): it must not be taken as readable.
        """
        if not self.enabled:
            return None
        with self._lock:
            if not self._private and page_id not in self._readable:
                self._check(self._batch(page_id))
            answer = self._readable.get(page_id)
            if not self._private and answer is not None and _stale(answer, revision):
                self._check([page_id])  # checked in a batch, then moved or edited: ask again
                answer = self._readable.get(page_id)
            if self._private:
                return PRIVATE_WIKI
        if answer is None:
            raise ConnectorError(
                f"{self._api.label}: page {page_id}: the wiki did not say whether anonymous "
                "users may read it (deleted meanwhile?)"
            )
        if _stale(answer, revision):
            raise ConnectorError(
                f"{self._api.label}: page {page_id} changed while it was fetched (revision "
                f"{revision} rendered, {answer[1]} checked); whether anonymous users may read "
                "the rendered revision is unknown, so it is retried next run"
            )
        return None if answer[0] else f"not readable by anonymous users (namespace {namespace})"

    def _batch(self, page_id: int) -> list[int]:
        self._queue.pop(page_id, None)
        batch = [page_id]
        for queued in list(self._queue):
            if len(batch) >= CHECK_BATCH:
                break
            del self._queue[queued]
            if queued not in self._readable:
                batch.append(queued)
        return batch

    def _check(self, batch: list[int]) -> None:
        self.calls += 1
        body = self._api.call(
            {
                "action": "query",
                "prop": "info",
                "intestactions": "read",
                "pageids": "|".join(str(i) for i in batch),
            },
            allow=frozenset({"readapidenied"}),
        )
        if "error" in body:  # readapidenied: anonymous users may read nothing at all
            self._private = True
            return
        for page in body.get("query", {}).get("pages", []):
            readable = _read_answer(page)
            if readable is not None:
                revision = page.get("lastrevid")
                checked = revision if isinstance(revision, int) else None
                self._readable[int(page["pageid"])] = (readable, checked)

    def close(self) -> None:
        """Close the anonymous client's connections."""
        self._api.http.close()


def _stale(answer: tuple[bool, int | None], revision: int | None) -> bool:
    """Whether a "readable" answer is about another revision than the one rendered (a page
    anonymous users may not read stays restricted whatever its revision: the cautious side)."""
    readable, checked = answer
    return readable and (revision is None or checked != revision)


def _read_answer(page: Any) -> bool | None:
    """``actions.read`` of one existing page of the answer; None when it is not there."""
    if not isinstance(page, dict) or page.get("missing") or not isinstance(page.get("pageid"), int):
        return None
    actions = page.get("actions")
    read = actions.get("read") if isinstance(actions, dict) else None
    return read if isinstance(read, bool) else None
