"""One HTTP client per wiki connector, built by the shared ``ingestor.http`` plumbing.

Timeouts, retries (5xx, 429 with ``Retry-After``, network errors), TLS ``verify`` (a custom CA
bundle for internal wikis) and proxies from the environment all come from
:func:`ingestor.http.build_http_client` and :func:`ingestor.http.send`. Whatever still fails
becomes a :class:`ConnectorError` naming the wiki and the (redacted) request, so a listing
that fails deletes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from typing import Any

import httpx

from ingestor.connectors.wikikit._settings import WikiSettings
from ingestor.errors import ConnectorError
from ingestor.http import (
    RetryPolicy,
    Verdict,
    build_http_client,
    classify_status,
    describe_request,
    send,
)
from ingestor.untrusted import server_text

__all__ = ["WikiHttp"]


class WikiHttp:
    """Sends calls to one wiki and maps every failure to :class:`ConnectorError`.

    Args:
        settings: The connector's validated settings (timeouts, attempts, TLS, credentials).
        label: How messages name the wiki, e.g. ``"mediawiki 'intranet'"``.
        transport: Replaces the network (tests only).
        classify: Maps a response to a retry verdict (MediaWiki adds its ``maxlag`` answers).
        retry_policy: Replaces the policy built from ``settings.max_attempts``.
    """

    def __init__(
        self,
        settings: WikiSettings,
        label: str,
        *,
        transport: httpx.BaseTransport | None = None,
        classify: Callable[[httpx.Response], Verdict] = classify_status,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.label = label
        self._secrets = settings.secrets()
        self._classify = classify
        self._policy = retry_policy or RetryPolicy(
            max_attempts=settings.max_attempts, max_delay=30.0, max_total_wait=120.0
        )
        verify = settings.verify if isinstance(settings.verify, bool) else str(settings.verify)
        self._client = build_http_client(
            "",
            timeout=settings.timeout_seconds,
            transport=transport,
            verify=verify,
            max_connections=settings.max_parallel_fetches + 2,
        )
        self._fetch_slots = threading.BoundedSemaphore(settings.max_parallel_fetches)

    @property
    def fetch_slots(self) -> threading.BoundedSemaphore:
        """Held while fetching one page: bounds parallel fetches whatever the engine's threads."""
        return self._fetch_slots

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
    ) -> httpx.Response:
        """Send one call (retried as the policy allows) and return its 2xx response.

        Args:
            method: HTTP method.
            url: Absolute url.
            params: Query string.
            data: Form body.
            content: Raw body.
            headers: Extra headers.
            accept: Non-2xx statuses returned instead of raised (an API's own error answers).

        Raises:
            ConnectorError: The wiki stayed unreachable, timed out, or answered non-2xx.
        """

        def build() -> httpx.Request:
            return self._client.build_request(
                method, url, params=params, data=data, content=content, headers=headers
            )

        response = send(
            self._client,
            build,
            policy=self._policy,
            classify=self._classify,
            unreachable=self._unreachable,
            secrets=self._secrets,
        )
        if not 200 <= response.status_code < 300 and response.status_code not in accept:
            where = describe_request(response.request, self._secrets)
            raise ConnectorError(f"{self.label}: {where} answered HTTP {response.status_code}")
        return response

    def describe(self, response: httpx.Response) -> str:
        """``METHOD path?query`` of the response's request, credentials redacted."""
        return describe_request(response.request, self._secrets)

    def redact(self, text: str) -> str:
        """The wiki's own text made fit to quote: credentials masked, one line without control
        characters or terminal escapes, length-limited (:func:`ingestor.untrusted.server_text`)."""
        return server_text(text, secrets=self._secrets)

    def clear_cookies(self) -> None:
        """Forget the session (before logging in again)."""
        self._client.cookies.clear()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _unreachable(self, message: str) -> ConnectorError:
        return ConnectorError(f"{self.label}: {message}")
