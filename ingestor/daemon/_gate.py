"""The write gate: closed after Intercom refuses the token, reopened by a probe or a reload."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ingestor.errors import AuthenticationError, SyncError
from ingestor.intercom import IntercomClient

__all__ = ["WriteGate"]

log = logging.getLogger("ingestor.daemon")


class WriteGate:
    """Whether the daemon may write to Intercom at all.

    An authentication failure (401/403) concerns the whole workspace, so it closes the gate for
    every connector: scheduled runs then only *probe* Intercom with one cheap authenticated
    read, and reopen the gate when it is accepted. A config reload reopens it too (the token
    may have been replaced).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._probe_lock = threading.Lock()
        self._reason: str | None = None
        self._since: float | None = None

    @property
    def paused(self) -> bool:
        """True while writes are paused."""
        with self._lock:
            return self._reason is not None

    @property
    def reason(self) -> str | None:
        """Why writes are paused, or None."""
        with self._lock:
            return self._reason

    @property
    def since(self) -> float | None:
        """When writes were paused (Unix time), or None."""
        with self._lock:
            return self._since

    def close(self, error: AuthenticationError, connector: str) -> bool:
        """Pause every write because of ``error``; True if the gate was open until now."""
        with self._lock:
            was_open = self._reason is None
            self._reason = f"Intercom refused the access token: {error}"
            if was_open:
                self._since = time.time()
        if was_open:
            log.error(
                "connector %s: Intercom refused the access token (%s). EVERY WRITE IS PAUSED "
                "for all connectors. Fix intercom.token (or the app's permissions), then reload "
                "(SIGHUP, `systemctl reload fin-ingestor`); meanwhile each scheduled run only "
                "probes Intercom and resumes once the token is accepted",
                connector,
                error,
                extra={"connector": connector, "event": "writes_paused"},
            )
        return was_open

    def open(self, why: str) -> None:
        """Allow writes again."""
        with self._lock:
            was_closed = self._reason is not None
            self._reason = self._since = None
        if was_closed:
            log.warning("writes resumed: %s", why, extra={"event": "writes_resumed"})

    def probe(self, connect: Callable[[], IntercomClient], connector: str) -> bool:
        """While paused, try one authenticated read; True when writes may go ahead.

        Only one probe runs at a time; runs waiting for it use its answer.
        """
        if not self.paused:
            return True
        with self._probe_lock:
            if not self.paused:
                return True
            try:
                with connect() as client:
                    next(iter(client.list_sources()), None)
            except AuthenticationError as exc:
                with self._lock:
                    self._reason = f"Intercom refused the access token: {exc}"
                log.error(
                    "connector %s: run skipped: Intercom still refuses the access token (%s); "
                    "every write stays paused",
                    connector,
                    exc,
                    extra={"connector": connector, "event": "writes_paused"},
                )
                return False
            except SyncError as exc:
                log.warning(
                    "connector %s: run skipped: writes are paused and Intercom could not be "
                    "probed: %s",
                    connector,
                    exc,
                    extra={"connector": connector},
                )
                return False
            self.open("Intercom accepted the access token again")
            return True
