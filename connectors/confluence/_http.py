"""Calls to one Confluence site through the shared HTTP plumbing, and pagination to the end.

Every call goes through :func:`ingestor.http.send` (timeouts, retries with ``Retry-After`` on
429/503, proxies and CA bundle from :func:`ingestor.http.build_http_client`). Errors become
:class:`ConnectorError` with the redacted request and Confluence's own message, never a token.

Pagination follows ``_links.next`` to the end, whatever the API generation writes there: a
cursor url (Cloud v2, Cloud v1 search) or a ``start`` offset (Data Center v1). Servers may
return fewer results than asked (Data Center caps search results by expansion), so the number
of results never ends a listing; only a missing ``next`` does. A ``next`` seen twice is a loop.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.confluence._links import resolve_next
from connectors.confluence._settings import ConfluenceSettings
from ingestor.errors import ConnectorError
from ingestor.http import RetryPolicy, build_http_client, describe_request, send

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

    def paginate(self, path: str, params: Params, what: str) -> Iterator[JsonObject]:
        """Yield every result of a paginated listing, following ``_links.next`` to the end.

        Args:
            path: Listing path below the context path.
            params: Query of the first call (``limit`` included).
            what: Names the listing in error messages, e.g. "pages of space ENG".
        """
        url = self.context_path + path
        query: Params | None = params
        seen: set[str] = set()
        while True:
            body = self._get_url(url, query)
            results = body.get("results")
            if not isinstance(results, list):
                raise ConnectorError(f"{what}: answer has no 'results' list")
            for result in results:
                if isinstance(result, dict):
                    yield result
            links = body.get("_links")
            nxt = links.get("next") if isinstance(links, dict) else None
            if not nxt:
                return
            url = self._next_url(str(nxt), what)
            if url in seen:
                raise ConnectorError(f"{what}: pagination loops (next link {url} seen twice)")
            seen.add(url)
            query = None

    def _next_url(self, nxt: str, what: str) -> str:
        try:
            return resolve_next(self.api_root, nxt, self.site_url)
        except ValueError as exc:
            raise ConnectorError(f"{what}: {exc}") from None

    def _get_url(self, url: str, params: Params | None) -> JsonObject:
        response = self._send(url, params)
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            label = describe_request(response.request, self._secrets)
            raise ConnectorError(f"{label}: answer is not JSON ({exc})") from None
        if not isinstance(body, dict):
            label = describe_request(response.request, self._secrets)
            raise ConnectorError(f"{label}: answer is not a JSON object")
        return body

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
        message = f"{label} -> HTTP {response.status_code}{_error_message(response)}"
        if response.status_code == 404:
            raise NotFound(message)
        if response.status_code == 400:
            raise BadRequest(message)
        if response.status_code in (401, 403):
            raise ConnectorError(message + " (check the Confluence credentials and permissions)")
        raise ConnectorError(message)


def _error_message(response: httpx.Response) -> str:
    """Confluence's own error text: v1 ``{"message"}``, v2 ``{"errors": [{"title"}]}``."""
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
    return f": {str(message)[:200]}" if message else ""
