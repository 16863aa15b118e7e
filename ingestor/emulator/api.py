"""The ten AI Content operations as Starlette endpoints (rules: see ``ingestor.emulator.app``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ingestor.emulator.context import EmulatorContext
from ingestor.emulator.paging import list_response, paging
from ingestor.emulator.settings import EmulatorSettings
from ingestor.emulator.store import NewPage, PageRecord, SourceRecord, Store
from ingestor.emulator.strictness import check_external_id, check_html, check_source_url
from ingestor.emulator.validation import (
    PageUpsert,
    parse_json_object,
    path_id,
    source_input,
    update_page_input,
    upsert_page_input,
)
from ingestor.emulator.wire import ApiError, json_response, page_json, source_json

__all__ = ["api_routes"]


def _context(request: Request) -> EmulatorContext:
    return cast(EmulatorContext, request.app.state.emulator)


def _now() -> int:
    return int(time.time())


def _not_found() -> ApiError:
    return ApiError.single(404, "not_found", "Resource Not Found")


def _source_or_404(store: Store, raw_id: str) -> SourceRecord:
    source_id = path_id(raw_id)
    source = None if source_id is None else store.source(source_id)
    if source is None:
        raise _not_found()
    return source


def _page_or_404(store: Store, raw_id: str) -> PageRecord:
    page_id = path_id(raw_id)
    page = None if page_id is None else store.page(page_id)
    if page is None:
        raise _not_found()
    return page


def _body_source(store: Store, source_id: int) -> SourceRecord:
    """The source a page body names; like Intercom for ids in bodies, a missing one is a 404.

    Only ``api`` sources take pages from the API; a website sync source's pages are Intercom's
    (what Intercom answers is undocumented: the emulator refuses, stricter than unknown).
    """
    source = store.source(source_id)
    if source is None:
        raise ApiError.single(404, "not_found", "Content Import Source Not Found", "source_id")
    if source.sync_behavior != "api":
        message = (
            f"Content import source {source.id} has sync_behavior {source.sync_behavior!r}:"
            " only 'api' sources take external pages from the API"
        )
        raise ApiError.single(400, "parameter_invalid", message, "source_id")
    return source


def _mark_synced(store: Store, source: SourceRecord, now: int) -> None:
    store.save_source(replace(source, last_synced_at=now))


async def list_content_import_sources(request: Request) -> Response:
    """GET /ai/content_import_sources."""
    ctx = _context(request)
    wanted = paging(request.query_params, ctx.settings)
    rows = ctx.store.list_sources(
        after_id=wanted.starting_after or 0,
        offset=wanted.offset,
        limit=wanted.per_page + 1,
        descending=wanted.descending,
    )
    total = ctx.store.source_count()
    return list_response(request, ctx.settings, wanted, rows, source_json, total)


async def create_content_import_source(request: Request) -> Response:
    """POST /ai/content_import_sources."""
    ctx = _context(request)
    data = source_input(parse_json_object(await request.body()), update=False)
    check_source_url(data.url, ctx.settings)
    source = ctx.store.add_source(
        url=data.url, status=data.status or "active", sync_behavior=data.sync_behavior, now=_now()
    )
    return json_response(200, source_json(source))


async def get_content_import_source(request: Request) -> Response:
    """GET /ai/content_import_sources/{source_id}."""
    source = _source_or_404(_context(request).store, request.path_params["source_id"])
    return json_response(200, source_json(source))


async def update_content_import_source(request: Request) -> Response:
    """PUT /ai/content_import_sources/{source_id}."""
    ctx = _context(request)
    store = ctx.store
    body = parse_json_object(await request.body())
    source = _source_or_404(store, request.path_params["source_id"])
    data = source_input(body, update=True)
    if source.sync_behavior != "api":  # undocumented: refused, stricter than unknown
        message = f"Content import source {source.id} is not an 'api' source and cannot be updated"
        raise ApiError.single(400, "parameter_invalid", message, "sync_behavior")
    check_source_url(data.url, ctx.settings)
    if data.sync_behavior != source.sync_behavior:
        raise ApiError.single(
            400,
            "parameter_invalid",
            f"'sync_behavior' cannot be changed from {source.sync_behavior!r}",
            "sync_behavior",
        )
    source = replace(source, url=data.url, status=data.status or source.status, updated_at=_now())
    store.save_source(source)
    return json_response(200, source_json(source))


async def delete_content_import_source(request: Request) -> Response:
    """DELETE /ai/content_import_sources/{source_id}: the source and all its pages."""
    store = _context(request).store
    source = _source_or_404(store, request.path_params["source_id"])
    store.remove_source(source.id)
    return Response(status_code=204)


async def list_external_pages(request: Request) -> Response:
    """GET /ai/external_pages."""
    ctx = _context(request)
    wanted = paging(request.query_params, ctx.settings)
    rows = ctx.store.list_pages(
        after_id=wanted.starting_after or 0,
        offset=wanted.offset,
        limit=wanted.per_page + 1,
        descending=wanted.descending,
    )
    total = ctx.store.page_count()
    return list_response(request, ctx.settings, wanted, rows, page_json, total)


def _new_page(data: PageUpsert, now: int) -> NewPage:
    return NewPage(
        source_id=data.source_id,
        external_id=data.external_id,
        title=data.title,
        html=data.html,
        url=data.url,
        ai_agent_availability=bool(data.ai_agent_availability),
        ai_copilot_availability=bool(data.ai_copilot_availability),
        ai_sales_agent_availability=False,
        created_at=now,
        updated_at=now,
        last_ingested_at=now,
    )


def _upserted(
    existing: PageRecord, data: PageUpsert, settings: EmulatorSettings, now: int
) -> PageRecord:
    """``existing`` updated by an upsert: omitted flags stay; an omitted url stays (2.14) or
    is cleared (2.17, ``clear_url_on_update``)."""
    kept_url = None if settings.clear_url_on_update else existing.url
    agent, copilot = data.ai_agent_availability, data.ai_copilot_availability
    return replace(
        existing,
        title=data.title,
        html=data.html,
        url=kept_url if data.url is None else data.url,
        ai_agent_availability=existing.ai_agent_availability if agent is None else agent,
        ai_copilot_availability=existing.ai_copilot_availability if copilot is None else copilot,
        updated_at=now,
        last_ingested_at=now,
    )


async def create_external_page(request: Request) -> Response:
    """POST /ai/external_pages: create, or update the page with this (source_id, external_id)."""
    ctx = _context(request)
    store = ctx.store
    data = upsert_page_input(parse_json_object(await request.body()))
    check_external_id(data.external_id, ctx.settings)
    check_html(data.html, ctx.settings)
    source = _body_source(store, data.source_id)
    now = _now()
    existing = store.page_by_external_id(source.id, data.external_id)
    if existing is None:
        page = store.add_page(_new_page(data, now))
    else:
        page = _upserted(existing, data, ctx.settings, now)
        store.save_page(page)
    _mark_synced(store, source, now)
    return json_response(200, page_json(page))


async def get_external_page(request: Request) -> Response:
    """GET /ai/external_pages/{page_id}."""
    page = _page_or_404(_context(request).store, request.path_params["page_id"])
    return json_response(200, page_json(page))


async def update_external_page(request: Request) -> Response:
    """PUT /ai/external_pages/{page_id} (every emulator page was created by the API)."""
    ctx = _context(request)
    store = ctx.store
    body = parse_json_object(await request.body())
    page = _page_or_404(store, request.path_params["page_id"])
    data = update_page_input(body, url_required=not ctx.settings.clear_url_on_update)
    check_external_id(data.external_id, ctx.settings)
    check_html(data.html, ctx.settings)
    source = _body_source(store, data.source_id)
    for name, sent, current in (
        ("source_id", data.source_id, page.source_id),
        ("external_id", data.external_id, page.external_id),
    ):
        if sent is not None and sent != current:
            message = f"'{name}' of an external page cannot be changed"
            raise ApiError.single(400, "parameter_invalid", message, name)
    now = _now()
    # The spec declares fin_availability's default as true; it drives the AI Agent flag.
    fin_availability = True if data.fin_availability is None else data.fin_availability
    page = replace(
        page,
        title=data.title,
        html=data.html,
        url=data.url,
        ai_agent_availability=fin_availability,
        updated_at=now,
        last_ingested_at=now,
    )
    store.save_page(page)
    _mark_synced(store, source, now)
    return json_response(200, page_json(page))


async def delete_external_page(request: Request) -> Response:
    """DELETE /ai/external_pages/{page_id}: answers with the deleted page."""
    store = _context(request).store
    page = _page_or_404(store, request.path_params["page_id"])
    store.remove_page(page.id)
    source = store.source(page.source_id)
    if source is not None:
        _mark_synced(store, source, _now())
    return json_response(200, page_json(page))


def api_routes() -> list[Route]:
    """Return one route per operation, named by its operationId."""
    sources, source = "/ai/content_import_sources", "/ai/content_import_sources/{source_id}"
    pages, page = "/ai/external_pages", "/ai/external_pages/{page_id}"
    table: list[tuple[str, str, str, Callable[[Request], Any]]] = [
        ("GET", sources, "listContentImportSources", list_content_import_sources),
        ("POST", sources, "createContentImportSource", create_content_import_source),
        ("GET", source, "getContentImportSource", get_content_import_source),
        ("PUT", source, "updateContentImportSource", update_content_import_source),
        ("DELETE", source, "deleteContentImportSource", delete_content_import_source),
        ("GET", pages, "listExternalPages", list_external_pages),
        ("POST", pages, "createExternalPage", create_external_page),
        ("GET", page, "getExternalPage", get_external_page),
        ("PUT", page, "updateExternalPage", update_external_page),
        ("DELETE", page, "deleteExternalPage", delete_external_page),
    ]  # fmt: skip
    return [
        Route(path, endpoint, methods=[method], name=operation_id)
        for method, path, operation_id, endpoint in table
    ]
