"""A connector's Content Import Source: found in state, else adopted by URL, else created.

A source is never deleted here: deleting one deletes every page imported from it.
"""

from __future__ import annotations

import logging
import random
import threading
import time

from ingestor.errors import FatalError, PageError, RetriableError
from ingestor.intercom import IntercomClient
from state import Store

__all__ = ["SourceResolver"]

log = logging.getLogger("ingestor.sync")

#: Tries at creating a source when Intercom's answers get lost (each one looks first).
CREATE_ATTEMPTS = 5


class SourceResolver:
    """Resolves (and if needed creates) the Content Import Source of one connector."""

    def __init__(self, client: IntercomClient, store: Store, connector: str, url: str) -> None:
        self.client = client
        self.store = store
        self.connector = connector
        self.url = url
        self._lock = threading.Lock()
        self._replaced: dict[int, int] = {}  # deleted source id -> its replacement
        self._alive: set[int] = set()  # source ids confirmed to exist this run
        #: What :meth:`verify` found to change on the source itself (shown by ``plan``).
        self.change: str | None = None

    def verify(self, *, dry_run: bool) -> bool:
        """One cheap authenticated call every run, even when nothing changed.

        The token is checked (a revoked one raises :class:`FatalError`: the run fails, exit
        3, and the daemon's ``/readyz`` turns false within one schedule period). The recorded
        source is confirmed to exist (deleted in Intercom, with its pages: it is forgotten, so
        every page is sent again to a new one) and to carry the configured url (else it is
        updated with a PUT, outside a dry run).

        Returns:
            True when the recorded source was deleted in Intercom.
        """
        known = self.store.get_source(self.connector)
        if known is None:
            next(iter(self.client.list_sources()), None)  # the first page only: one call
            return False
        try:
            source = self.client.get_source(known.source_id)
        except (PageError, FatalError) as exc:
            if exc.status_code != 404:
                raise
            log.warning(
                "sync %s: Content Import Source %s was deleted in Intercom, with its pages; "
                "every page is sent again",
                self.connector,
                known.source_id,
            )
            self.change = f"source {known.source_id} was deleted in Intercom: re-created, refilled"
            if not dry_run:
                self.store.forget_source(self.connector)
            return True
        self._alive.add(known.source_id)
        if _normalize_url(source.url) != _normalize_url(self.url):
            self.change = f"source {known.source_id} url {source.url} -> {self.url}"
            if not dry_run:
                self.client.update_source(known.source_id, url=self.url)
                self.store.save_source(self.connector, known.source_id, self.url)
                log.info("sync %s: %s", self.connector, self.change)
        return False

    def find(self) -> int | None:
        """The source id from state, else from Intercom's list by URL; None if there is none.

        Makes no write call (``--dry-run`` uses it) and records nothing.
        """
        known = self.store.get_source(self.connector)
        if known is not None:
            return known.source_id
        wanted = _normalize_url(self.url)
        for source in self.client.list_sources():
            if _normalize_url(source.url) == wanted:
                return int(source.id)
        return None

    def ensure(self) -> int:
        """The source id, adopting or creating the source and recording it in state."""
        known = self.store.get_source(self.connector)
        if known is not None:
            if known.url != self.url:
                self.client.update_source(known.source_id, url=self.url)
                self.store.save_source(self.connector, known.source_id, self.url)
                log.info(
                    "sync %s: source %s now points at %s", self.connector, known.source_id, self.url
                )
            return known.source_id
        found = self.find()
        if found is not None:
            log.info("sync %s: adopted Content Import Source %s", self.connector, found)
        else:
            found = self._create()
            log.info(
                "sync %s: created Content Import Source %s for %s", self.connector, found, self.url
            )
        self.store.save_source(self.connector, found, self.url)
        return found

    def _create(self) -> int:
        """Create the source. The client does not retry a create whose fate is unknown (it
        could duplicate the source), so we look before every new attempt instead."""
        for attempt in range(CREATE_ATTEMPTS):
            try:
                return int(self.client.create_source(self.url).id)
            except RetriableError:
                found = self.find()  # the create may have landed before the answer was lost
                if found is not None:
                    return found
                if attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(min(8.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable")

    def recreate_if_deleted(self, source_id: int) -> int | None:
        """After an upsert was refused: if our source is gone from Intercom, make a new one.

        Returns the id to retry with, or None when the source still exists (the refusal was
        about the page). Upload threads that hit the same deleted source all get the one
        replacement; each source id is checked at most once.
        """
        with self._lock:
            if source_id in self._replaced:
                return self._replaced[source_id]
            if source_id in self._alive:
                return None
            try:
                self.client.get_source(source_id)
                self._alive.add(source_id)
                return None
            except (PageError, FatalError) as exc:
                if exc.status_code != 404:
                    raise
            log.warning(
                "sync %s: Content Import Source %s is gone from Intercom; re-creating it",
                self.connector,
                source_id,
            )
            self.store.forget_source(self.connector)
            self._replaced[source_id] = self.ensure()
            return self._replaced[source_id]


def _normalize_url(url: str) -> str:
    return url.strip().rstrip("/").lower()
