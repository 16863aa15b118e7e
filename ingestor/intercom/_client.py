"""``IntercomClient``: the ten AI Content operations over one pooled, rate-budgeted connection."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from ingestor.http import (
    Attempt,
    RateBudget,
    RetryPolicy,
    build_http_client,
    send,
)
from ingestor.intercom import _errors as ops
from ingestor.intercom._endpoint import Region, api_root, check_token
from ingestor.intercom._errors import (
    ErrorEnvelope,
    Operation,
    error_for_response,
    invalid_response,
    response_request_id,
    same_object,
)
from ingestor.intercom._listing import walk_list
from ingestor.intercom._models import ContentImportSource, ExternalPage, MalformedPayload
from ingestor.intercom._payloads import PageUpdate, PageUpsert
from ingestor.intercom._stats import ClientStats, StatsRecorder

__all__ = ["IntercomClient"]

log = logging.getLogger("ingestor.intercom")

#: The largest ``per_page`` Intercom's list endpoints accept.
MAX_PER_PAGE = 150

_SOURCES = "/ai/content_import_sources"
_PAGES = "/ai/external_pages"

T = TypeVar("T", ContentImportSource, ExternalPage)


def _id_path(collection: str, ident: int | str) -> str:
    return f"{collection}/{quote(str(ident), safe='')}"


def _writes_only(check: Callable[[], None]) -> Callable[[httpx.Request], None]:
    """An httpx request hook running ``check`` before every request but a GET."""

    def hook(request: httpx.Request) -> None:
        if request.method != "GET":
            check()

    return hook


class IntercomClient:
    """Intercom's AI Content API (External Pages and Content Import Sources), version 2.14.

    Thread-safe: one instance may serve many threads; share one :class:`RateBudget` between
    clients of the same workspace. Only this class knows Intercom's wire format.

    Args:
        token: Access token; sent as ``Authorization: Bearer``, never logged, shown or stored
            outside the connection's headers.
        region: Workspace region, picks the base URL.
        base_url: Overrides the region's URL (the emulator).
        api_version: Sent as ``Intercom-Version``.
        transport: Replaces the network (``httpx.MockTransport`` in tests).
        policy: Retries and backoff (default :class:`RetryPolicy`).
        budget: Rate budget, possibly shared (default: a private one).
        timeout: Seconds for connect, read and write.
        max_connections: Pool size; also the ceiling of :meth:`suggested_concurrency`.
        sleep: Used for backoff waits; injectable for tests.
        verify: TLS verification: True, False or a CA bundle path.
        before_write: Called just before each attempt of a request that is not a GET is sent
            (after any wait for the rate budget); raising refuses it. The daemon passes its
            lease check, so a run that lost its connector's lease writes nothing more.
        answer_deadline: Seconds from sending a call to its answer's last byte, after which
            it counts as a read timeout (default: ten times ``timeout``, at least 60).

    Raises:
        ConfigError: Empty token, unknown region, or an unusable CA bundle.
    """

    def __init__(
        self,
        token: str,
        *,
        region: Region = "us",
        base_url: str | None = None,
        api_version: str = "2.14",
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        budget: RateBudget | None = None,
        timeout: float = 30.0,
        max_connections: int = 32,
        sleep: Callable[[float], None] = time.sleep,
        verify: bool | str | os.PathLike[str] = True,
        before_write: Callable[[], None] | None = None,
        answer_deadline: float | None = None,
    ) -> None:
        check_token(token)
        self._base_url = api_root(region, base_url)
        self._secrets = (token,)
        self._policy = policy or RetryPolicy()
        self._budget = budget or RateBudget()
        self._sleep = sleep
        # Intercom's answers are JSON of a few MB at most: one still arriving after ten read
        # timeouts comes from something trickling it (a broken proxy), and is retried.
        self._deadline = max(60.0, 10 * timeout) if answer_deadline is None else answer_deadline
        self._max_connections = max(1, max_connections)
        self._stats = StatsRecorder(self._budget, self._max_connections)
        self._http = build_http_client(
            str(self._base_url),
            headers={
                "Authorization": f"Bearer {token}",
                "Intercom-Version": api_version,
                "Accept": "application/json",
            },
            timeout=timeout,
            transport=transport,
            verify=verify,
            max_connections=self._max_connections,
        )
        if before_write is not None:
            self._http.event_hooks["request"].append(_writes_only(before_write))

    def __repr__(self) -> str:
        return f"IntercomClient(base_url={str(self._base_url)!r})"

    def __enter__(self) -> IntercomClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @property
    def base_url(self) -> str:
        """The API root this client talks to."""
        return str(self._base_url)

    @property
    def budget(self) -> RateBudget:
        """The rate budget every call goes through."""
        return self._budget

    def stats(self) -> ClientStats:
        """Calls by operation, retries, 429s, 5xx, transport errors and latency so far."""
        return self._stats.snapshot()

    @property
    def max_connections(self) -> int:
        """Size of the connection pool: the most calls this client makes at once."""
        return self._max_connections

    def suggested_concurrency(self) -> int:
        """How many parallel upserts keep the rate-limit window busy (see ``StatsRecorder``)."""
        return self._stats.suggested_concurrency()

    # -- Content Import Sources ------------------------------------------------------------

    def list_sources(self, *, per_page: int | None = None) -> Iterator[ContentImportSource]:
        """Every Content Import Source of the workspace, following ``pages.next`` to the end.

        Raises:
            FatalError: Refused, or the pagination links loop or leave the API host.
            DeepPagingCapped: Intercom's deep-paging cap stopped the walk (see
                :meth:`list_pages`).
        """
        return self._list(ops.LIST_SOURCES, _SOURCES, ContentImportSource.from_api, per_page)

    def create_source(self, url: str, *, status: str = "active") -> ContentImportSource:
        """Create a source with ``sync_behavior`` "api".

        Not idempotent: retried only when Intercom surely did not process it (429, connect
        errors). After any other failure, list the sources and adopt the one with this url.
        """
        body = {"sync_behavior": "api", "url": url, "status": status}
        data = self._json(ops.CREATE_SOURCE, "POST", _SOURCES, f" {url!r}", body)
        return self._parse(ops.CREATE_SOURCE, data, ContentImportSource.from_api, f" {url!r}")

    def get_source(self, source_id: int) -> ContentImportSource:
        """One source by id."""
        subject = f" {source_id}"
        data = self._json(ops.GET_SOURCE, "GET", _id_path(_SOURCES, source_id), subject)
        source = self._parse(ops.GET_SOURCE, data, ContentImportSource.from_api, subject)
        return same_object(ops.GET_SOURCE, data, subject, source, id=source_id)

    def update_source(
        self, source_id: int, *, url: str, status: str | None = None
    ) -> ContentImportSource:
        """Change a source's url and/or status (repeating ``sync_behavior`` "api", as required)."""
        body: dict[str, Any] = {"sync_behavior": "api", "url": url}
        if status is not None:
            body["status"] = status
        subject = f" {source_id}"
        path = _id_path(_SOURCES, source_id)
        data = self._json(ops.UPDATE_SOURCE, "PUT", path, subject, body)
        source = self._parse(ops.UPDATE_SOURCE, data, ContentImportSource.from_api, subject)
        return same_object(ops.UPDATE_SOURCE, data, subject, source, id=source_id)

    def delete_source(self, source_id: int) -> None:
        """Delete a source AND every page imported from it, irreversibly. Never call implicitly."""
        path = _id_path(_SOURCES, source_id)
        self._call(ops.DELETE_SOURCE, "DELETE", path, f" {source_id}")

    # -- External Pages ----------------------------------------------------------------------

    def list_pages(self, *, per_page: int | None = MAX_PER_PAGE) -> Iterator[ExternalPage]:
        """Every External Page of the workspace (all sources), following ``pages.next``.

        Asks for the largest page Intercom serves (150) unless told otherwise: the fewest
        calls. Items repeated across pages (the list changed during the walk) are yielded once
        and counted in one warning.

        Raises:
            FatalError: Refused, or the pagination links loop or leave the API host.
            DeepPagingCapped: Intercom's deep-paging cap (10,000 results) stopped the walk;
                ``listed`` items were yielded before it. Fall back to :meth:`get_page` by id.
        """
        return self._list(ops.LIST_PAGES, _PAGES, ExternalPage.from_api, per_page)

    def upsert_page(self, page: PageUpsert) -> ExternalPage:
        """Create the page ``(page.source_id, page.external_id)`` or update it if it exists (POST).

        Raises:
            PageError: Intercom refused this page (400/404/422...).
        """
        subject = f" {page.external_id!r} of source {page.source_id}"
        data = self._json(ops.UPSERT_PAGE, "POST", _PAGES, subject, page.body())
        written = self._parse(ops.UPSERT_PAGE, data, ExternalPage.from_api, subject)
        return same_object(
            ops.UPSERT_PAGE,
            data,
            subject,
            written,
            source_id=page.source_id,
            external_id=page.external_id,
        )

    def get_page(self, page_id: str) -> ExternalPage:
        """One page by Intercom's id."""
        subject = f" {page_id!r}"
        data = self._json(ops.GET_PAGE, "GET", _id_path(_PAGES, page_id), subject)
        found = self._parse(ops.GET_PAGE, data, ExternalPage.from_api, subject)
        return same_object(ops.GET_PAGE, data, subject, found, id=page_id)

    def update_page(self, page_id: str, page: PageUpdate) -> ExternalPage:
        """PUT a page (2.14: API-created pages only, url required). Prefer :meth:`upsert_page`."""
        subject = f" {page_id!r}"
        path = _id_path(_PAGES, page_id)
        data = self._json(ops.UPDATE_PAGE, "PUT", path, subject, page.body())
        updated = self._parse(ops.UPDATE_PAGE, data, ExternalPage.from_api, subject)
        return same_object(ops.UPDATE_PAGE, data, subject, updated, id=page_id)

    def delete_page(self, page_id: str) -> ExternalPage:
        """Delete a page by Intercom's id; returns the deleted page.

        Raises:
            PageError: Refused; ``status_code`` 404 means the page is already gone.
        """
        subject = f" {page_id!r}"
        data = self._json(ops.DELETE_PAGE, "DELETE", _id_path(_PAGES, page_id), subject)
        deleted = self._parse(ops.DELETE_PAGE, data, ExternalPage.from_api, subject)
        return same_object(ops.DELETE_PAGE, data, subject, deleted, id=page_id)

    # -- plumbing ----------------------------------------------------------------------------

    def _call(
        self,
        operation: Operation,
        method: str,
        url: str,
        subject: str,
        body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise the mapped error."""
        content = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None

        def build() -> httpx.Request:
            return self._http.build_request(method, url, content=content, headers=headers)

        response = send(
            self._http,
            build,
            policy=self._policy,
            budget=self._budget,
            idempotent=operation.idempotent,
            sleep=self._sleep,
            observer=lambda attempt: self._observe(operation, attempt),
            secrets=self._secrets,
            deadline=self._deadline,
        )
        if 200 <= response.status_code < 300:
            return response
        raise error_for_response(operation, response, subject, self._secrets)

    def _json(
        self,
        operation: Operation,
        method: str,
        url: str,
        subject: str,
        body: dict[str, Any] | None = None,
    ) -> tuple[httpx.Response, object]:
        response = self._call(operation, method, url, subject, body)
        try:
            return response, json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise invalid_response(operation, response, subject, "body is not JSON") from exc

    def _parse(
        self,
        operation: Operation,
        answer: tuple[httpx.Response, object],
        parse: Callable[[object], T],
        subject: str,
    ) -> T:
        response, data = answer
        try:
            return parse(data)
        except MalformedPayload as exc:
            raise invalid_response(operation, response, subject, str(exc)) from exc

    def _list(
        self, operation: Operation, path: str, parse: Callable[[object], T], per_page: int | None
    ) -> Iterator[T]:
        url = path if per_page is None else f"{path}?per_page={int(per_page)}"
        return walk_list(
            operation,
            url,
            fetch=lambda target: self._json(operation, "GET", target, ""),
            parse=lambda response, raw: self._parse(operation, (response, raw), parse, ""),
            base_url=self._base_url,
        )

    def _observe(self, operation: Operation, attempt: Attempt) -> None:
        """Stats and logs for one attempt (never headers, never bodies)."""
        self._stats.record(operation.name, attempt)
        response = attempt.response
        if response is not None:
            status: object = response.status_code
            request_id = (
                ErrorEnvelope.from_response(response, self._secrets).request_id
                if response.status_code >= 400
                else response_request_id(response, self._secrets)
            )
        else:
            status, request_id = attempt.error_kind, None
        if attempt.retry_in is not None:
            log.warning(
                "%s %s -> %s (try %d, request_id=%s), retrying in %.2fs%s",
                operation.name,
                attempt.label,
                status,
                attempt.number,
                request_id,
                attempt.retry_in,
                f": {attempt.error}" if attempt.error else "",
            )
        elif log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %s request_id=%s in %.3fs%s",
                operation.name,
                attempt.label,
                status,
                request_id,
                attempt.elapsed,
                f" (held {attempt.waited:.2f}s by rate budget)" if attempt.waited else "",
            )
