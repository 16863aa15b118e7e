"""The MediaWiki Action API as the connector uses it: calls, continuation, login, maxlag.

* Every call sends ``format=json&formatversion=2`` and ``maxlag`` when set. A wiki whose
  replicas lag answers HTTP 200 with an ``X-Database-Lag`` header (and error ``maxlag``);
  :func:`classify_maxlag` makes the shared retry policy wait for its ``Retry-After``.
* ``continue`` is followed until absent (the shared :func:`ingestor.http.by_token` rules: a
  continuation that repeats is a loop); a last answer without ``batchcomplete`` is incomplete.
* With credentials the client logs in once (``action=login`` with a bot password, the session
  cookie kept by the client) and sends ``assert=user`` so a lost session fails loudly instead of
  reading the public view; it then logs in again once and repeats the call.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ingestor.connectors.mediawiki._settings import MediaWikiSettings
from ingestor.connectors.wikikit import LoginSession, WikiHttp
from ingestor.errors import ConnectorError, IncompleteListing, LoginRefused
from ingestor.http import Page, Verdict, by_token, classify_status

__all__ = ["JsonObject", "MediaWikiApi", "classify_maxlag"]

log = logging.getLogger("ingestor.connectors.mediawiki")

JsonObject = dict[str, Any]

#: Error codes meaning "your session is gone" when we had logged in.
_SESSION_LOST = frozenset({"assertuserfailed", "assertbotfailed", "readapidenied", "badtoken"})


def classify_maxlag(response: httpx.Response) -> Verdict:
    """Like :func:`classify_status`, but a ``maxlag`` answer (200 + X-Database-Lag) is retried."""
    if response.status_code == 200 and "x-database-lag" in response.headers:
        return Verdict.RETRY
    return classify_status(response)


class MediaWikiApi:
    """Calls to one wiki's ``api.php``; thread-safe (the engine fetches in parallel)."""

    def __init__(
        self, settings: MediaWikiSettings, label: str, http: WikiHttp | None = None
    ) -> None:
        self.settings = settings
        self.label = label
        self.http = http or WikiHttp(settings, label, classify=classify_maxlag)
        self.session = LoginSession(self._login if settings.username is not None else None)

    # -- calls ---------------------------------------------------------------------------------

    def call(
        self,
        params: Mapping[str, str],
        *,
        method: str = "GET",
        allow: frozenset[str] = frozenset(),
    ) -> JsonObject:
        """One API call; its parsed JSON body (an error whose code is in ``allow`` included).

        Raises:
            ConnectorError: HTTP or network failure, a non-JSON answer, or an API error
                (``code: info``), the wiki and the request named.
        """
        session = self.session.ensure()
        body = self._call_once(params, method, authenticated=True)
        code = _error_code(body)
        if code in _SESSION_LOST and self.settings.username is not None:
            log.info("%s: session lost (%s); logging in again", self.label, code)
            self.session.renew(session)
            body = self._call_once(params, method, authenticated=True)
        if _error_code(body) in allow:
            return body
        return self._checked(body, params)

    def query(self, params: Mapping[str, str]) -> Iterator[JsonObject]:
        """``action=query`` with ``params``, one body per continuation batch, to the end.

        Pagination follows the shared rules (:func:`ingestor.http.by_token`): a continuation
        seen twice is a loop. A last answer must say ``batchcomplete`` (MediaWiki 1.25+ always
        does when nothing is left): without it the wiki did not say it is done.

        Raises:
            IncompleteListing: The listing cannot prove it reached its end.
            ConnectorError: As :meth:`call`.
        """

        def batch(token: str | None) -> Page[JsonObject]:
            cont = {str(k): str(v) for k, v in json.loads(token).items()} if token else {}
            body = self.call({**params, "action": "query", **cont})
            nxt = body.get("continue")
            if nxt is not None and not (isinstance(nxt, dict) and nxt):
                raise IncompleteListing(f"{self.label}: the wiki answered continue={nxt!r}")
            if nxt is None and "batchcomplete" not in body:
                raise IncompleteListing(
                    f"{self.label}: the last answer of action=query has neither 'continue' "
                    "nor 'batchcomplete'; the listing may be cut short"
                )
            return Page([body], json.dumps(nxt, sort_keys=True) if nxt else None)

        return by_token(batch, f"{self.label}: action=query")

    def _call_once(
        self, params: Mapping[str, str], method: str, *, authenticated: bool
    ) -> JsonObject:
        full = {"format": "json", "formatversion": "2", **params}
        if self.settings.maxlag is not None:
            full["maxlag"] = str(self.settings.maxlag)
        if authenticated and self.settings.username is not None:
            full["assert"] = "user"
        if method == "POST":
            response = self.http.request("POST", self.settings.api_url, data=full)
        else:
            response = self.http.request("GET", self.settings.api_url, params=full)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            kind = response.headers.get("content-type", "unknown content type")
            raise ConnectorError(
                f"{self.label}: {self.http.describe(response)} did not answer JSON ({kind}); "
                "is api_url the wiki's api.php?"
            )
        return body

    def _checked(self, body: JsonObject, params: Mapping[str, str]) -> JsonObject:
        error = body.get("error")
        if not isinstance(error, dict):
            return body
        code = self.http.redact(str(error.get("code", "unknown")))
        info = self.http.redact(str(error.get("info", "")))[:300]
        action = params.get("action", "query")
        if code == "maxlag":
            raise ConnectorError(
                f"{self.label}: the wiki's database still lags ({info}) after "
                f"{self.settings.max_attempts} attempts; try again later"
            )
        if code == "readapidenied" and self.settings.username is None:
            raise ConnectorError(
                f"{self.label}: the wiki is private ({info}); set username/password "
                "to a bot password (Special:BotPasswords)"
            )
        raise ConnectorError(f"{self.label}: action={action} failed: {code}: {info}")

    # -- login ---------------------------------------------------------------------------------

    def _login(self) -> None:
        """Log in with the bot password (:class:`LoginSession` calls it, holding its lock)."""
        username = self.settings.username
        assert username is not None and self.settings.password is not None
        self.http.clear_cookies()
        token_body = self._call_once(
            {"action": "query", "meta": "tokens", "type": "login"}, "GET", authenticated=False
        )
        token = (
            self._checked(token_body, {"action": "query"})
            .get("query", {})
            .get("tokens", {})
            .get("logintoken")
        )
        if not isinstance(token, str):
            raise ConnectorError(f"{self.label}: the wiki gave no login token")
        body = self._call_once(
            {
                "action": "login",
                "lgname": username,
                "lgpassword": self.settings.password.get_secret_value(),
                "lgtoken": token,
            },
            "POST",
            authenticated=False,
        )
        result = self._checked(body, {"action": "login"}).get("login", {})
        if not isinstance(result, dict) or result.get("result") != "Success":
            outcome = result.get("result", "no result") if isinstance(result, dict) else result
            reason = result.get("reason", "") if isinstance(result, dict) else ""
            raise LoginRefused(
                f"{self.label}: login as {username!r} failed: {outcome}"
                + (f": {self.http.redact(str(reason))[:300]}" if reason else "")
                + " (use a bot password from Special:BotPasswords, name 'User@app')"
            )
        log.info("%s: logged in as %s", self.label, username)


def _error_code(body: JsonObject) -> str | None:
    error = body.get("error")
    return str(error.get("code")) if isinstance(error, dict) else None
