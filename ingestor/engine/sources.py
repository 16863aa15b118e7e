"""A connector's Content Import Source: found in state, else adopted by URL, else created.

A source is never deleted here: deleting one deletes every page imported from it.

Only a source the API may write into is adopted: ``sync_behavior`` "api" and status "active".
A website sync made in Intercom's UI (``automatic`` or ``manual``) or a deactivated source with
our url is a :class:`ConfigError` naming it and what to do; it is never adopted or updated (the
API refuses writes into it, and a PUT would turn someone's website sync into ours). The source
recorded in state is checked the same way every run.

Two installations with separate state (a copy of the config on a second server, a restored VM)
may both find no source and both create one. After creating, the list is read again and, when
several usable sources carry our url, the oldest (lowest id) is used: every installation picks
the same one, whichever created first, so their pages land in one source and the other stays
empty. That is logged as a warning naming both ids; nothing is deleted (``reconcile`` reports
the duplicate).
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time

import httpx

from ingestor.errors import (
    ConfigError,
    ConfigIssue,
    DeepPagingCapped,
    FatalError,
    PageError,
    RetriableError,
)
from ingestor.intercom import ContentImportSource, IntercomClient
from ingestor.state import Store

__all__ = ["SourceResolver", "normalize_source_url"]

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
        self._check_writable(source, recorded=True)
        if normalize_source_url(source.url) != normalize_source_url(self.url):
            self.change = f"source {known.source_id} url {source.url} -> {self.url}"
            if not dry_run:
                self._update_url(known.source_id)
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
        return self._pick(created=None)

    def _pick(self, *, created: int | None) -> int | None:
        """The oldest usable source with our url; a config error when only unusable ones have
        it. ``created``: the source this installation just made (for the warning)."""
        ours = self._with_our_url()
        usable = sorted(s.id for s in ours if _writable(s))
        if not usable:
            for source in ours:
                self._check_writable(source, recorded=False)
            return None
        if len(usable) > 1:
            self._warn_duplicates(usable, created)
        return usable[0]

    def _with_our_url(self) -> list[ContentImportSource]:
        wanted = normalize_source_url(self.url)
        try:
            return [s for s in self.client.list_sources() if normalize_source_url(s.url) == wanted]
        except DeepPagingCapped as exc:  # more than 10,000 sources: the list cannot be read
            raise FatalError(
                f"sync {self.connector}: cannot look through every Content Import Source for "
                f"{self.url}: {exc}",
                status_code=exc.status_code,
                code=exc.code,
                request_id=exc.request_id,
            ) from exc

    def _warn_duplicates(self, usable: list[int], created: int | None) -> None:
        others = ", ".join(str(i) for i in usable[1:])
        log.warning(
            "sync %s: %d Content Import Sources carry %s (ids %s): another installation with "
            "its own state uses this url too. Using the oldest, %s, as every installation "
            "does; %s stays%s and is not deleted (`ingestor reconcile` reports it). Give each "
            "installation its own url, or let only one sync this connector",
            self.connector,
            len(usable),
            self.url,
            ", ".join(str(i) for i in usable),
            usable[0],
            others,
            f" (we created {created} a moment ago: it holds no page)"
            if created is not None and created != usable[0]
            else "",
        )

    def _check_writable(self, source: ContentImportSource, *, recorded: bool) -> None:
        """Refuse a source the API cannot write into (a website sync, a deactivated source)."""
        if _writable(source):
            return
        how = "recorded in state for this connector" if recorded else "carrying this url"
        if source.sync_behavior != "api":
            what = (
                f"is a website sync made in Intercom (sync_behavior {source.sync_behavior!r}): "
                "the API cannot write pages into it, and fin-ingestor never takes it over. "
                "Give this connector a url no website sync uses (e.g. add a path), or remove "
                "that website sync in Intercom"
            )
        else:
            what = (
                f"is {source.status or 'not active'} (status {source.status!r}): pages sent "
                "to it would not reach Fin. Reactivate it in Intercom (Fin > Content), or give "
                "this connector another url"
            )
        message = f"Content Import Source {source.id} {how} ({source.url}) {what}"
        raise ConfigError([ConfigIssue(f"connectors.{self.connector}.url", message)])

    def _update_url(self, source_id: int) -> None:
        try:
            self.client.update_source(source_id, url=self.url)
        except FatalError as exc:
            refused = self._refused_url(exc)
            if refused is None:
                raise
            raise refused from exc

    def ensure(self) -> int:
        """The source id, adopting or creating the source and recording it in state."""
        known = self.store.get_source(self.connector)
        if known is not None:
            if known.url != self.url:
                self._update_url(known.source_id)
                self.store.save_source(self.connector, known.source_id, self.url)
                log.info(
                    "sync %s: source %s now points at %s", self.connector, known.source_id, self.url
                )
            return known.source_id
        found = self.find()
        if found is not None:
            log.info("sync %s: adopted Content Import Source %s", self.connector, found)
        else:
            created = self._create()
            log.info(
                "sync %s: created Content Import Source %s for %s",
                self.connector,
                created,
                self.url,
            )
            # Another installation may have created one at the same time: all use the oldest.
            found = self._pick(created=created) or created
        self.store.save_source(self.connector, found, self.url)
        return found

    def _create(self) -> int:
        """Create the source. The client does not retry a create whose fate is unknown (it
        could duplicate the source), so we look before every new attempt instead."""
        for attempt in range(CREATE_ATTEMPTS):
            try:
                return int(self.client.create_source(self.url).id)
            except FatalError as exc:
                refused = self._refused_url(exc)
                if refused is None:
                    raise
                raise refused from exc
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

    def _refused_url(self, error: FatalError) -> ConfigError | None:
        """Intercom refusing our source url (2.17's public-domain rule) is a config problem."""
        if error.status_code not in (400, 422) or "(field url)" not in str(error):
            return None
        message = (
            f"Intercom refused {self.url} as a source url ({error}). Newer API versions "
            "require an http(s) url whose host is a public domain name (no IP address, "
            "localhost, single-label host or private TLD such as .internal, .local, .corp). "
            "The url is what Fin cites to readers; Intercom never fetches it, so it need not "
            "be reachable from Intercom: use your public help site's or intranet's public "
            "domain name"
        )
        return ConfigError([ConfigIssue(f"connectors.{self.connector}.url", message)])


def _writable(source: ContentImportSource) -> bool:
    return source.sync_behavior == "api" and source.status == "active"


def normalize_source_url(url: str) -> str:
    """The form in which two source urls compare: Intercom may store ours canonicalised (host
    lower-cased or IDNA-encoded, spaces percent-encoded, a default port dropped), and that
    must not read as a url to update on every run. Case and a trailing slash never matter."""
    text = url.strip()
    with contextlib.suppress(httpx.InvalidURL, TypeError, UnicodeError):  # else as written
        text = str(httpx.URL(text))
    return text.rstrip("/").lower()
