"""DokuWiki's XML-RPC API over the shared HTTP client, with login for ACL-protected wikis.

Payloads are built and read by the standard library's :mod:`xmlrpc.client` (``dumps`` and
``loads``); the transport is :class:`~connectors.wikikit.WikiHttp` (retries, timeouts, TLS,
proxies). DokuWiki answers "not allowed" with HTTP 401 (anonymous) or 403 (logged in) and a
fault body; with credentials the client logs in (``dokuwiki.login``, session cookie kept) and,
when a call comes back 401 later (session expired), logs in again once and repeats it.
"""

from __future__ import annotations

import logging
import xmlrpc.client
from dataclasses import dataclass
from typing import Any

from ingestor.connectors.dokuwiki._settings import DokuWikiSettings
from ingestor.connectors.wikikit import LoginSession, WikiHttp
from ingestor.errors import ConnectorError, LoginRefused

__all__ = ["DENIED", "DokuWikiRpc", "RpcFault"]

log = logging.getLogger("ingestor.connectors.dokuwiki")

#: Fault code this module reports for an HTTP 401/403 "not allowed" answer.
DENIED = -32603


@dataclass(frozen=True, slots=True)
class RpcFault:
    """A fault the caller said it expects (e.g. 121 "page does not exist")."""

    code: int
    message: str


class DokuWikiRpc:
    """Calls to one wiki's ``lib/exe/xmlrpc.php``; thread-safe."""

    def __init__(self, settings: DokuWikiSettings, label: str, http: WikiHttp | None = None):
        self.settings = settings
        self.label = label
        self.http = http or WikiHttp(settings, label)
        self.session = LoginSession(self._login if settings.username is not None else None)

    def call(self, method: str, *params: Any, expect: frozenset[int] = frozenset()) -> Any:
        """Call ``method``; an expected fault comes back as :class:`RpcFault`.

        Args:
            method: E.g. ``wiki.getPageHTML``.
            *params: Its parameters.
            expect: Fault codes to return instead of raising (:data:`DENIED` for 401/403).

        Raises:
            ConnectorError: HTTP or network failure, a malformed answer, or another fault.
        """
        session = self.session.ensure()
        result = self._call_once(method, params)
        if isinstance(result, RpcFault) and result.code == DENIED and self.session.active:
            log.info("%s: %s was refused; logging in again", self.label, method)
            self.session.renew(session)
            result = self._call_once(method, params)
        if isinstance(result, RpcFault) and result.code not in expect:
            raise ConnectorError(self._fault_message(method, result))
        return result

    def _call_once(self, method: str, params: tuple[Any, ...]) -> Any:
        payload = xmlrpc.client.dumps(params, methodname=method, encoding="utf-8")
        response = self.http.request(
            "POST",
            self.settings.endpoint,
            content=payload.encode("utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8"},
            accept=(401, 403),
        )
        try:
            (result,), _method = xmlrpc.client.loads(response.content)  # dates stay raw DateTime
        except xmlrpc.client.Fault as fault:
            code = DENIED if response.status_code in (401, 403) else int(fault.faultCode)
            return RpcFault(code, self.http.redact(str(fault.faultString))[:300])
        except (xmlrpc.client.ResponseError, ValueError) as exc:  # expat errors are ValueErrors
            raise ConnectorError(
                f"{self.label}: {method} did not answer XML-RPC "
                f"({response.headers.get('content-type', 'no content type')}): {exc}; "
                "is wiki_url right and the remote API enabled ($conf['remote'])?"
            ) from None
        if response.status_code in (401, 403):
            return RpcFault(DENIED, f"HTTP {response.status_code}")
        return result

    def _fault_message(self, method: str, fault: RpcFault) -> str:
        if fault.code == DENIED:
            who = f"user {self.settings.username!r}" if self.settings.username else "anonymous"
            hint = (
                "check that the user belongs to 'remoteuser' and may read the pages"
                if self.settings.username
                else "set username/password: the wiki needs a login (ACL or 'remoteuser')"
            )
            return f"{self.label}: {method} refused for {who} ({fault.message}); {hint}"
        return f"{self.label}: {method} failed: fault {fault.code}: {fault.message}"

    # -- login ---------------------------------------------------------------------------------

    def _login(self) -> None:
        """``dokuwiki.login`` (:class:`LoginSession` calls it, holding its lock)."""
        username, password = self.settings.username, self.settings.password
        assert username is not None and password is not None
        self.http.clear_cookies()
        result = self._call_once("dokuwiki.login", (username, password.get_secret_value()))
        if isinstance(result, RpcFault):
            raise LoginRefused(self._fault_message("dokuwiki.login", result))
        if not result:
            raise LoginRefused(
                f"{self.label}: login as {username!r} failed (wrong password, or the wiki "
                "has ACLs off: then remove username/password)"
            )
        log.info("%s: logged in as %s", self.label, username)
