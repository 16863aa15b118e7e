"""The Intercom AI Content API 2.14 emulator as an ASGI app: ``create_app(settings)``.

Operations (``ai-content-2.14.yaml``; operationIds in brackets):
    GET/POST /ai/content_import_sources [listContentImportSources, createContentImportSource];
    GET/PUT/DELETE /ai/content_import_sources/{source_id} [get-, update-,
    deleteContentImportSource]; GET/POST /ai/external_pages [listExternalPages,
    createExternalPage]; GET/PUT/DELETE /ai/external_pages/{page_id} [getExternalPage,
    updateExternalPage, deleteExternalPage].

Rules, checked in this order on every API call (see ``gateway``; settings in ``settings``):
    1. ``max_request_bytes`` (off by default): a larger body gets a load balancer's 413 page
       in HTML, not Intercom's envelope.
    2. ``latency_ms`` plus up to ``latency_jitter_ms`` is slept with ``asyncio.sleep``.
    3. Auth: ``Authorization: Bearer <token>`` with a token of ``settings.tokens``, else 401
       ``unauthorized`` "Access Token Invalid". No rate-limit headers on a 401.
    4. 429 storm (``POST /_emulator/storm``, or started by ``fault_storm_rate``): every call
       is 429 ``rate_limit_exceeded`` with ``X-RateLimit-Remaining: 0`` and ``Reset`` at the
       end of the current window; no ``Retry-After``, as Intercom documents none.
    5. Rate limit (when ``rate_limit`` is set): per token, in fixed windows of ``window_seconds``
       aligned on Unix time (``[k*w, (k+1)*w)``). Every authenticated answer carries
       ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (integer Unix
       time the window ends). Call ``limit + 1`` of a window gets 429 ``rate_limit_exceeded``
       "Exceeded rate limit of N in 10_seconds"; rejected calls count too. Unlimited: no headers.
    6. Faults, from one RNG seeded with ``seed``: ``fault_5xx_rate`` of calls get 500
       ``server_error``, 502 ``bad_gateway`` or 503 ``service_unavailable`` and change nothing;
       ``fault_drop_rate`` of calls get headers promising a body, half of it, then a closed
       connection (a dropped write is applied first or not at all, 50/50: ``drop_after`` /
       ``drop_before`` in stats). Writes only: ``fault_lost_answer_rate`` are applied, then
       answered 500/502/503/504 (``lost_answer``); ``fault_hang_rate`` are applied, then held
       unanswered for ``hang_ms`` (or until the client leaves) and closed (``hang``);
       ``fault_close_rate`` are applied, then their connection is closed without a byte
       (``close_after``). Clients must retry idempotently. Faulted calls count against the
       rate limit.
    7. ``Intercom-Version``: absent means 2.14; a value outside the spec's enum gets 400
       ``intercom_version_invalid``. Every value seen is counted in stats.
    8. Routing: an unknown path is 404 ``not_found``, a known path with another method 405
       ``method_not_allowed``.

Validation (all problems of a body in one 400, each ``errors[]`` entry naming its ``field``):
    * A body that is not JSON, or not a JSON object, is 400 ``bad_request``; an empty body is
      ``{}``. Unknown fields are ignored.
    * A missing required field is 400 ``parameter_not_found``; a wrong JSON type (ints are not
      booleans, numeric strings are not ints), a value outside an enum, a blank ``title`` or
      ``external_id``, or a ``url`` that is not absolute http(s) is 400 ``parameter_invalid``.
    * ``page``/``per_page`` (1..150, default ``settings.per_page``) and ``starting_after`` must be
      positive integers, else 400 ``parameter_invalid`` naming the parameter.
    * Unknown or non-numeric ids in paths are 404 ``not_found`` "Resource Not Found".
    * A ``source_id`` in a page body naming no source is 404 ``not_found`` with
      ``field: "source_id"``. 404 rather than 422 because Intercom answers ids in bodies that
      name nothing with 404 (e.g. "User Not Found", ``company_not_found``) and the field tells a
      client it was the source, not the page, that is gone.

Sources: ids are integers; create answers 200 (not 201) with ``sync_behavior`` "api", ``status``
"active" unless given, and ``last_synced_at`` = ``created_at``. Update (PUT) must repeat
``sync_behavior`` (it cannot change from "api": 400 ``parameter_invalid``) and ``url``; it bumps
``updated_at``. Delete answers 204 with no body and deletes every page of the source. Source URLs
need not be unique. ``last_synced_at`` moves to now whenever a page of the source is created,
updated or deleted.

Pages: ids are strings of integers; timestamps are integer Unix seconds. POST
/ai/external_pages needs ``title``, ``html``, ``locale`` ("en" only), ``source_id`` (integer),
``external_id``; ``url`` and the two flags are optional. A new ``(source_id, external_id)``
creates a page with both flags false unless sent; an existing one is updated in place (same id,
``updated_at`` and ``last_ingested_at`` set to now, omitted flags and ``url`` unchanged). Both
answer 200. PUT /ai/external_pages/{page_id} needs ``title``, ``html``, ``url``, ``locale`` and
``source_id``; ``source_id`` and ``external_id`` cannot change (400); ``fin_availability``
(spec default true) sets ``ai_agent_availability``. PUT works only on API-created pages, which
every emulator page is. DELETE answers 200 with the deleted page. Responses carry ``url`` only
when a page has one; ``fin_availability`` mirrors ``ai_agent_availability``;
``ai_sales_agent_availability`` is always false.

Lists: ``{"type":"list","data":[...],"total_count":N,"pages":{"type":"pages","page":P,
"per_page":K,"total_pages":ceil(N/K),"next":URL|null}}`` in id order. ``next`` is an absolute URL
built from the request, carrying ``starting_after=<last id shown>``: a walk along ``next`` sees
every row that exists throughout it exactly once, even while rows are created or deleted. Other
paging models, newest-first order, repeated rows and the deep-paging cap are opt-in modes
(``paging``).

Opt-in strictness (``strictness``): ``max_html_bytes`` (422 ``data_invalid``),
``max_external_id_chars`` (400 ``parameter_invalid``), ``strict_source_urls`` (public domain
names only, 2.17's rule) and ``clear_url_on_update`` (2.17: an update without ``url`` clears it).
Only ``api`` sources take pages or updates from the API (400 ``parameter_invalid``); other kinds
exist only when made through the admin API, as a website sync made in Intercom's UI would.

Admin: see ``admin`` (``/_emulator/``: stats, reset, dumps, settings switched at run time, 429
storms, and out-of-band deletes and edits of sources and pages).

References (what each behaviour is modelled on): Intercom's OpenAPI description of 2.14
(intercom/Intercom-OpenAPI, ``descriptions/2.14/api.intercom.io.yaml``; the vendored subset is
``ai-content-2.14.yaml``) for shapes, status codes, the upsert rule, availability defaults, the
``pages`` list object and its newest-first example; the newer versions' descriptions for
``cursor_pages`` / ``starting_after`` paging; Intercom's Preview reference of "List external
pages" for the deep-paging cap (``page`` <= 5,001, ``page`` x ``per_page`` <= 10,000, then 400);
the 2.17 reference for public-domain source urls and ``url`` cleared by an update without it;
Intercom's rate-limiting documentation (developers.intercom.com, "Rate limiting") for the
``X-RateLimit-*`` headers, 10-second windows and 429 ``rate_limit_exceeded`` with no
``Retry-After``. Where the real behaviour is undocumented the emulator is stricter: only ``api``
sources take API writes, bodies are validated field by field, and html is stored exactly as
sent. The faults (rule 6, storms, ``fail_external_ids``) are test instruments that reproduce how
any HTTP service fails, not documented Intercom behaviour; all are off by default.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from ingestor.emulator.admin import admin_routes
from ingestor.emulator.api import api_routes
from ingestor.emulator.context import EmulatorContext
from ingestor.emulator.fault_answers import RAW_SEND, install_drop_log_filter
from ingestor.emulator.gateway import ApiGateway
from ingestor.emulator.settings import EmulatorSettings
from ingestor.emulator.wire import ApiError, ErrorItem

__all__ = ["create_app"]


class _EmulatorApp(Starlette):
    """Starlette that keeps the server's own ``send`` in the scope, so a fault can close the
    connection without an answer (``fault_answers``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND] = send
        await super().__call__(scope, receive, send)


def _api_error(request: Request, exc: Exception) -> Response:
    return cast(ApiError, exc).response()


def _allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """Every method served on the request's path (Starlette's own Allow names one route's)."""
    methods: set[str] = set()
    for route in routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE and isinstance(route, Route):
            methods.update(route.methods or ())
    return sorted(methods)


def _http_error(request: Request, exc: Exception) -> Response:
    http_exc = cast(HTTPException, exc)
    if http_exc.status_code == 405:
        allow = ", ".join(_allowed_methods(request.app.routes, request.scope))
        items = [ErrorItem("method_not_allowed", "Method Not Allowed")]
        return ApiError(405, items, headers={"Allow": allow}).response()
    return ApiError.single(404, "not_found", "Resource Not Found").response()


def create_app(settings: EmulatorSettings | None = None) -> Starlette:
    """Build the emulator app; with ``settings.db_path`` its SQLite file is opened now.

    Args:
        settings: Behaviour of the emulator; defaults to ``EmulatorSettings()``.

    Returns:
        A Starlette (ASGI) app. Its store is closed when the app's lifespan ends.

    Raises:
        RuntimeError: The SQLite file cannot be opened or is not an emulator database.
    """
    settings = settings or EmulatorSettings()
    routes = api_routes()
    context = EmulatorContext.build(settings, routes)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            context.store.close()

    install_drop_log_filter()
    app = _EmulatorApp(
        routes=[*routes, *admin_routes()],
        middleware=[Middleware(ApiGateway, context=context)],
        exception_handlers={ApiError: _api_error, 404: _http_error, 405: _http_error},
        lifespan=lifespan,
    )
    app.state.emulator = context
    return app
