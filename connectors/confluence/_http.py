"""Calls to one Confluence site through the shared HTTP plumbing, and pagination to the end.

Every call goes through :func:`ingestor.http.send` (timeouts, retries with ``Retry-After`` on
429/503, proxies and CA bundle from :func:`ingestor.http.build_http_client`). Errors become
:class:`ConnectorError` with the redacted request and Confluence's own message, never a token.

Pagination follows the shared rules of :mod:`ingestor.http` (complete, or
:class:`~ingestor.errors.IncompleteListing`), in two ways:

* :meth:`ConfluenceHttp.follow` for cursors (Cloud v2, Cloud v1 search, Data Center
  ``content/scan``): the next page is ``_links.next``, else the ``Link: <...>; rel="next"``
  header; a next link seen twice is a loop.
* :meth:`ConfluenceHttp.offsets` for Data Center ``start``/``limit``: Data Center caps
  ``limit`` silently and writes ``_links.next`` from the limit *asked* (so following it skips
  results), links past the end with empty pages, and its ``size`` can be wrong
  (CONFSERVER-95272, -95312, -95396). So ``start`` advances by the results received and only
  an empty page ends the listing; ``next`` and ``size`` are not trusted.

A 429 or 503 whose ``Retry-After`` is longer than the retry policy may wait (Data Center sends
9223372036854775807 to a user whose allowance is zero) fails at once as "rate limited".
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from ingestor.connectors.confluence._links import resolve_next
from ingestor.connectors.confluence._settings import ConfluenceSettings
from ingestor.errors import ConnectorError
from ingestor.http import (
    Page,
    RetryPolicy,
    build_http_client,
    by_offset,
    by_token,
    describe_request,
    send,
)
from ingestor.untrusted import server_text

__all__ = ["BadRequest", "ConfluenceHttp", "JsonObject", "NotFound", "Params"]

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]
Params = Mapping[str, str | int | list[str]]


class NotFound(ConnectorError):
    """Confluence answered 404: the page or space does not exist (or is not visible)."""


class BadRequest(ConnectorError):
    """Confluence answered 400: it does not understand a parameter (e.g. an older version)."""


class ConfluenceHttp:
    """One ``httpx.Client`` for one Confluence site, with its auth and retry policy."""

    def __init__(
        self,
        settings: ConfluenceSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._secrets = settings.secrets()
        if settings.deployment == "cloud":
            assert settings.api_token is not None and settings.email
            pair = f"{settings.email}:{settings.api_token.get_secret_value()}".encode()
            auth = "Basic " + base64.b64encode(pair).decode("ascii")
            self._secrets += (base64.b64encode(pair).decode("ascii"),)
        else:
            assert settings.personal_access_token is not None
            auth = "Bearer " + settings.personal_access_token.get_secret_value()
        #: Where the API is called: the site, or Cloud's API gateway for scoped tokens.
        self.api_root = settings.api_url or settings.base_url
        self.site_url = settings.base_url
        parts = urlsplit(self.api_root)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        # "/wiki" on Cloud, "" or "/confluence", "/ex/confluence/<cloudId>/wiki" via the gateway
        self.context_path = parts.path.rstrip("/")
        verify = settings.verify if isinstance(settings.verify, bool) else str(settings.verify)
        self._client = build_http_client(
            self.origin,
            headers={"Authorization": auth, "Accept": "application/json"},
            timeout=settings.timeout_seconds,
            transport=transport,
            verify=verify,
            max_connections=settings.max_parallel_fetches + 2,  # + listing/search calls
        )
        self._policy = policy or RetryPolicy(max_attempts=settings.max_attempts)
        #: ``Date`` header of the latest successful answer: the server's clock (see _clock).
        self.last_date: str | None = None

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def get(self, path: str, params: Params | None = None) -> JsonObject:
        """GET ``path`` (below the site's context path, e.g. ``/api/v2/pages/1``) as JSON.

        Raises:
            NotFound: 404.
            ConnectorError: Any other failure once retries are spent.
        """
        return self._get_url(self.context_path + path, params)

    def follow(self, path: str, params: Params, what: str) -> Iterator[JsonObject]:
        """Yield every result of a cursor listing, following its next links to the end.

        Args:
            path: Listing path below the context path.
            params: Query of the first call (``limit`` included).
            what: Names the listing in error messages, e.g. "pages of space ENG".

        Raises:
            IncompleteListing: A next link loops, or pages repeat only known results.
            ConnectorError: A call failed (after retries).
        """

        def fetch(url: str | None) -> Page[JsonObject]:
            if url is None:
                response, body = self._get_json(self.context_path + path, params)
            else:
                response, body = self._get_json(url, None)
            nxt = _body_next(body) or response.links.get("next", {}).get("url")
            return Page(
                _results(body, what), self._next_url(nxt, what) if nxt else None, _total(body)
            )

        return by_token(fetch, what, key=_identity)

    def offsets(self, path: str, params: Params, what: str) -> Iterator[JsonObject]:
        """Yield every result of a ``start``/``limit`` listing (Data Center REST v1).

        Raises:
            IncompleteListing: Pages repeat only known results, or fewer results arrived than
                a reported ``totalSize``.
            ConnectorError: A call failed (after retries).
        """
        url = self.context_path + path

        def fetch(start: int) -> Page[JsonObject]:
            _response, body = self._get_json(url, {**params, "start": start})
            results = _results(body, what)
            size = body.get("size")
            if isinstance(size, int) and size != len(results):
                # CONFSERVER-95396: the count is not trusted; what arrived is.
                log.debug("%s: 'size' says %d, %d results arrived", what, size, len(results))
            return Page(results, None, _total(body))

        return by_offset(fetch, what, key=_identity)

    def _next_url(self, nxt: str, what: str) -> str:
        try:
            return resolve_next(self.api_root, nxt, self.site_url)
        except ValueError as exc:
            raise ConnectorError(f"{what}: {exc}") from None

    def _get_url(self, url: str, params: Params | None) -> JsonObject:
        return self._get_json(url, params)[1]

    def _get_json(self, url: str, params: Params | None) -> tuple[httpx.Response, JsonObject]:
        response = self._send(url, params)
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            label = describe_request(response.request, self._secrets)
            raise ConnectorError(f"{label}: answer is not JSON ({exc})") from None
        if not isinstance(body, dict):
            label = describe_request(response.request, self._secrets)
            raise ConnectorError(f"{label}: answer is not a JSON object")
        return response, body

    def _send(self, url: str, params: Params | None) -> httpx.Response:
        def build() -> httpx.Request:
            return self._client.build_request("GET", url, params=params)

        response = send(
            self._client,
            build,
            policy=self._policy,
            unreachable=ConnectorError,
            secrets=self._secrets,
        )
        if 200 <= response.status_code < 300:
            self.last_date = response.headers.get("date")
            return response
        label = describe_request(response.request, self._secrets)
        message = f"{label} -> HTTP {response.status_code}{_error_message(response, self._secrets)}"
        if response.status_code == 404:
            raise NotFound(message)
        if response.status_code == 400:
            raise BadRequest(message)
        if response.status_code in (401, 403):
            raise ConnectorError(message + " (check the Confluence credentials and permissions)")
        if response.status_code == 429 or (
            response.status_code == 503 and "retry-after" in response.headers
        ):
            raise ConnectorError(message + _rate_limit_hint(response))
        raise ConnectorError(message)


def _results(body: JsonObject, what: str) -> list[JsonObject]:
    results = body.get("results")
    if not isinstance(results, list):
        raise ConnectorError(f"{what}: answer has no 'results' list")
    return [result for result in results if isinstance(result, dict)]


def _body_next(body: JsonObject) -> str | None:
    links = body.get("_links")
    nxt = links.get("next") if isinstance(links, dict) else None
    return str(nxt) if nxt else None


def _total(body: JsonObject) -> int | None:
    total = body.get("totalSize")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def _identity(result: JsonObject) -> str:
    """A result's id (content, space), or the whole result when it has none."""
    key = result.get("id")
    return str(key) if key is not None else json.dumps(result, sort_keys=True)


def _rate_limit_hint(response: httpx.Response) -> str:
    """Says "rate limited" and how long Confluence asked to wait, with its allowance headers."""
    headers = response.headers
    wait = headers.get("retry-after")
    facts = [f"Retry-After {wait.strip()}s" if wait else ""] + [
        f"{name} {headers[name]}"
        for name in ("x-ratelimit-remaining", "x-ratelimit-reset")
        if name in headers
    ]
    said = "; ".join(fact for fact in facts if fact)
    return f" (rate limited by Confluence{': ' + said if said else ''}; try again later)"


def _error_message(response: httpx.Response, secrets: tuple[str, ...]) -> str:
    """Confluence's own error text: v1 ``{"message"}``, v2 ``{"errors": [{"title"}]}``, as
    untrusted server text (credentials masked, one line, no control characters)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    if not isinstance(body, dict):
        return ""
    message = body.get("message")
    errors = body.get("errors")
    if not message and isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = errors[0].get("title") or errors[0].get("detail")
    return f": {server_text(message, secrets=secrets, limit=200)}" if message else ""
