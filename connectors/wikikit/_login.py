"""One login shared by every thread of a wiki connector, renewed once when it expires."""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["LoginSession"]


class LoginSession:
    """Runs a wiki's login on first use, and again when a call finds the session gone.

    Sessions are numbered so that when several threads see the same expired session at
    once, only the first logs in again; the others reuse its new session.
    """

    def __init__(self, login: Callable[[], None] | None) -> None:
        """Args:
        login: Logs in (raising ConnectorError on failure); None for an anonymous wiki.
        """
        self._login = login
        self._lock = threading.Lock()
        self._number = 0  # bumped by every successful login
        self.active = False

    def ensure(self) -> int:
        """Log in unless a session is active; the session's number (0: anonymous)."""
        if self._login is None:
            return 0
        with self._lock:
            if not self.active:
                self._renew()
            return self._number

    def renew(self, expired: int) -> None:
        """Log in again, unless another thread already replaced session ``expired``."""
        if self._login is None:
            return
        with self._lock:
            if self._number == expired:
                self._renew()

    def _renew(self) -> None:
        assert self._login is not None
        self.active = False
        self._login()
        self.active = True
        self._number += 1
