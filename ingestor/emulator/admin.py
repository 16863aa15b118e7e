"""The admin API under ``/_emulator/``: look inside, switch behaviour, and act as a person would.

Not authenticated, not rate-limited, not counted, never faulted. Errors use Intercom's envelope.

    GET    health                 {"status": "ok"}
    GET    stats                  calls per operationId and status, faults, counts
    POST   reset                  data, counters, windows, storm; the start settings come back
    GET    pages, sources         every row, as the API shapes it
    GET    openapi.yaml           the vendored spec
    GET    settings               the settings in force (tokens never shown)
    PATCH  settings               change any setting but tokens/db_path: {"name": value, ...}
    GET    storm                  {"active", "calls_left", "until"}
    POST   storm                  start a 429 storm: {"calls": N} and/or {"seconds": S}
    DELETE storm                  end it
    POST   sources                a source made in Intercom's UI: {"url", "sync_behavior":
                                  "api"|"automatic"|"manual", "status": "active"|"deactivated"}
    DELETE sources/{id}           delete a source and, as Intercom does, all its pages
    DELETE pages/{id}             delete a page
    PATCH  pages/{id}             edit a page as a person would: any of title, html, url (null
                                  clears it), ai_agent_availability, ai_copilot_availability;
                                  ``updated_at`` moves, ``last_ingested_at`` does not
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any, cast
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ingestor.emulator.context import EmulatorContext
from ingestor.emulator.spec import spec_text
from ingestor.emulator.store import PageRecord
from ingestor.emulator.validation import parse_json_object, path_id
from ingestor.emulator.wire import ApiError, json_response, page_json, source_json

__all__ = ["ADMIN_PREFIX", "admin_routes"]

ADMIN_PREFIX = "/_emulator/"
SOURCE_KINDS = ("api", "automatic", "manual")
SOURCE_STATUSES = ("active", "deactivated")
_EDITABLE: dict[str, tuple[type, ...]] = {
    "title": (str,),
    "html": (str,),
    "url": (str, type(None)),
    "ai_agent_availability": (bool,),
    "ai_copilot_availability": (bool,),
}


def _context(request: Request) -> EmulatorContext:
    return cast(EmulatorContext, request.app.state.emulator)


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _invalid(message: str, field: str | None = None) -> ApiError:
    return ApiError.single(400, "parameter_invalid", message, field)


def _not_found() -> ApiError:
    return ApiError.single(404, "not_found", "Resource Not Found")


async def _health(request: Request) -> Response:
    return json_response(200, {"status": "ok"})


async def _stats(request: Request) -> Response:
    ctx = _context(request)
    body = ctx.stats.to_json()
    body.update(sources=ctx.store.source_count(), pages=ctx.store.page_count())
    return json_response(200, body)


async def _reset(request: Request) -> Response:
    _context(request).reset()
    return json_response(200, {"status": "reset"})


async def _pages(request: Request) -> Response:
    return json_response(200, [page_json(page) for page in _context(request).store.all_pages()])


async def _sources(request: Request) -> Response:
    store = _context(request).store
    sources = store.list_sources(after_id=0, offset=0, limit=max(1, store.source_count()))
    return json_response(200, [source_json(source) for source in sources])


async def _openapi(request: Request) -> Response:
    return Response(spec_text(), media_type="application/yaml")


async def _settings(request: Request) -> Response:
    return json_response(200, _context(request).settings.to_json())


async def _configure(request: Request) -> Response:
    ctx = _context(request)
    changes = parse_json_object(await request.body())
    try:
        settings = ctx.settings.changed(changes)
    except (ValueError, TypeError) as exc:
        raise _invalid(str(exc)) from exc
    ctx.configure(settings)
    return json_response(200, settings.to_json())


def _bound(body: dict[str, Any], name: str, *, whole: bool) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    number_ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not (number_ok and math.isfinite(value) and value > 0) or (whole and value % 1):
        kind = "a positive integer" if whole else "a positive number"
        raise _invalid(f"'{name}' must be {kind}", name)
    return float(value)


async def _storm_state(request: Request) -> Response:
    return json_response(200, _context(request).storm.describe())


async def _start_storm(request: Request) -> Response:
    storm = _context(request).storm
    body = parse_json_object(await request.body())
    calls, seconds = _bound(body, "calls", whole=True), _bound(body, "seconds", whole=False)
    if calls is None and seconds is None:
        raise _invalid("give 'calls', 'seconds' or both: a storm must end")
    storm.start(calls=None if calls is None else int(calls), seconds=seconds)
    return json_response(200, storm.describe())


async def _stop_storm(request: Request) -> Response:
    storm = _context(request).storm
    storm.stop()
    return json_response(200, storm.describe())


async def _add_source(request: Request) -> Response:
    body = parse_json_object(await request.body())
    url, kind = body.get("url"), body.get("sync_behavior", "automatic")
    status = body.get("status", "active")
    if not isinstance(url, str) or not _is_http_url(url):
        raise _invalid("'url' must be an http(s) URL", "url")
    if kind not in SOURCE_KINDS:
        raise _invalid(f"'sync_behavior' must be one of {SOURCE_KINDS}", "sync_behavior")
    if status not in SOURCE_STATUSES:
        raise _invalid(f"'status' must be one of {SOURCE_STATUSES}", "status")
    source = _context(request).store.add_source(
        url=url, status=status, sync_behavior=kind, now=int(time.time())
    )
    return json_response(200, source_json(source))


async def _delete_source(request: Request) -> Response:
    store = _context(request).store
    source_id = path_id(request.path_params["source_id"])
    if source_id is None or store.source(source_id) is None:
        raise _not_found()
    deleted_pages = store.remove_source(source_id)
    return json_response(200, {"id": source_id, "deleted_pages": deleted_pages})


def _page(request: Request) -> PageRecord:
    page_id = path_id(request.path_params["page_id"])
    page = None if page_id is None else _context(request).store.page(page_id)
    if page is None:
        raise _not_found()
    return page


async def _delete_page(request: Request) -> Response:
    page = _page(request)
    _context(request).store.remove_page(page.id)
    return json_response(200, page_json(page))


async def _edit_page(request: Request) -> Response:
    page = _page(request)
    body = parse_json_object(await request.body())
    for name, value in body.items():
        kinds = _EDITABLE.get(name)
        if kinds is None:
            raise _invalid(f"'{name}' cannot be edited; editable: {', '.join(_EDITABLE)}", name)
        if not isinstance(value, kinds):
            raise _invalid(f"'{name}' has the wrong type", name)
        if name == "url" and isinstance(value, str) and not _is_http_url(value):
            raise _invalid("'url' must be an absolute http(s) URL or null", name)
    page = replace(page, **body, updated_at=int(time.time()))
    _context(request).store.save_page(page)
    return json_response(200, page_json(page))


def admin_routes() -> list[Route]:
    """Every admin route, under ``/_emulator/``."""
    table: list[tuple[str, str, Any]] = [
        ("GET", "health", _health),
        ("GET", "stats", _stats),
        ("POST", "reset", _reset),
        ("GET", "pages", _pages),
        ("GET", "sources", _sources),
        ("GET", "openapi.yaml", _openapi),
        ("GET", "settings", _settings),
        ("PATCH", "settings", _configure),
        ("GET", "storm", _storm_state),
        ("POST", "storm", _start_storm),
        ("DELETE", "storm", _stop_storm),
        ("POST", "sources", _add_source),
        ("DELETE", "sources/{source_id}", _delete_source),
        ("DELETE", "pages/{page_id}", _delete_page),
        ("PATCH", "pages/{page_id}", _edit_page),
    ]
    return [
        Route(ADMIN_PREFIX + path, endpoint, methods=[method]) for method, path, endpoint in table
    ]
