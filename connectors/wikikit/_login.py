"""One login shared by every thread of a wiki connector, renewed once when it expires."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ingestor.errors import LoginRefused

__all__ = ["LoginSession"]


class LoginSession:
    """Runs a wiki's login on first use, and again when a call finds the session gone.

    Sessions are numbered so that when several threads see the same expired session at
    once, only the first logs in again; the others reuse its new session.

    A login the wiki refuses (:class:`LoginRefused`: a wrong or revoked password) is not tried
    again by this session (a connector lives for one run): every later call fails with the
    same refusal instead of sending one more failed login per page, which gets the account
    throttled or the address blocked. A login that fails for other reasons (network, HTTP
    5xx) is tried again by the next call.
    """

    def __init__(self, login: Callable[[], None] | None) -> None:
        """Args:
        login: Logs in (raising ConnectorError on failure, LoginRefused when the wiki
            refuses the credentials); None for an anonymous wiki.
        """
        self._login = login
        self._lock = threading.Lock()
        self._number = 0  # bumped by every successful login
        self._refused: str | None = None
        self.active = False

    def ensure(self) -> int:
        """Log in unless a session is active; the session's number (0: anonymous).

        Raises:
            LoginRefused: The wiki refused the credentials, now or earlier in this session.
            ConnectorError: The login could not be made.
        """
        if self._login is None:
            return 0
        with self._lock:
            if not self.active:
                self._renew()
            return self._number

    def renew(self, expired: int) -> None:
        """Log in again, unless another thread already replaced session ``expired``.

        Raises:
            LoginRefused: As :meth:`ensure`.
            ConnectorError: As :meth:`ensure`.
        """
        if self._login is None:
            return
        with self._lock:
            if self._number == expired:
                self._renew()

    def _renew(self) -> None:
        assert self._login is not None
        self.active = False
        if self._refused is not None:
            raise LoginRefused(f"{self._refused} (not tried again this run)")
        try:
            self._login()
        except LoginRefused as exc:
            self._refused = str(exc)
            raise
        self.active = True
        self._number += 1
