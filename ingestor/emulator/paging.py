"""The list endpoints' paging: which rows a request asks for and how ``pages`` is rendered.

Models (``settings.pagination``):
    pages: ``next`` is an absolute URL with ``page``, ``per_page`` and ``starting_after=<last id
        shown>``; the cursor keeps a walk exact while rows are created or deleted.
    offset: ``next`` is a URL with ``page`` and ``per_page`` only; rows are found by offset at
        each fetch, so rows created or deleted between fetches repeat or skip rows, as in any
        page-number API. ``simulate_inserts`` makes every later page repeat that many rows.
    cursor: ``next`` is ``{"page", "per_page", "starting_after"}`` with an opaque cursor (Base64
        of a JSON array, like Intercom's, so it holds ``=`` and must be URL-encoded), the shape
        of ``cursor_pages``/``starting_after_paging`` in Intercom's 2.14 description; ``next`` is
        absent on the last page, as in the 2.14 list examples.

``list_order`` ``newest_first`` lists by descending id (the 2.14 example lists pages 19, 18,
17). ``deep_paging_cap`` enforces the newer references' cap on the ``page`` parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from ingestor.emulator.settings import MAX_PER_PAGE, EmulatorSettings
from ingestor.emulator.store import PageRecord, SourceRecord
from ingestor.emulator.validation import path_id
from ingestor.emulator.wire import ApiError, json_response

__all__ = [
    "MAX_PAGE",
    "MAX_RESULT_WINDOW",
    "Paging",
    "decode_cursor",
    "encode_cursor",
    "list_response",
    "paging",
]

MAX_PAGE = 5001  # the newer references' largest page number
MAX_RESULT_WINDOW = 10_000  # ... and largest page x per_page
_Record = TypeVar("_Record", SourceRecord, PageRecord)


@dataclass(frozen=True, slots=True)
class Paging:
    """Which slice of a list a request asks for."""

    page: int
    per_page: int
    starting_after: int | None  # the id the walk continues after (in the list's order)
    offset: int  # rows to skip after the cursor, or from the start without one
    descending: bool


def encode_cursor(row_id: int) -> str:
    """An opaque cursor naming the last row shown."""
    return base64.b64encode(json.dumps([row_id]).encode()).decode()


def decode_cursor(raw: str) -> int | None:
    """The row id behind a cursor, or ``None`` when it is not one of ours."""
    try:
        value = json.loads(base64.b64decode(raw.encode("ascii"), validate=True))
    except (UnicodeError, ValueError, binascii.Error):
        return None
    if isinstance(value, list) and len(value) == 1 and type(value[0]) is int and value[0] > 0:
        return int(value[0])
    return None


def _positive_int(params: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    value = path_id(raw)
    if value is None or not 1 <= value <= maximum:
        message = f"'{name}' must be an integer between 1 and {maximum}"
        raise ApiError.single(400, "parameter_invalid", message, name)
    return value


def _cursor(params: Mapping[str, str], settings: EmulatorSettings) -> int | None:
    raw = params.get("starting_after")
    if raw is None or settings.pagination == "offset":
        return None  # offset links carry no cursor; a stray one changes nothing
    if settings.pagination == "cursor":
        row_id = decode_cursor(raw)
        if row_id is None:
            message = "'starting_after' is not a cursor this list gave out"
            raise ApiError.single(400, "parameter_invalid", message, "starting_after")
        return row_id
    return _positive_int(params, "starting_after", 0, 10**18)


def _check_cap(page: int, per_page: int) -> None:
    if page > MAX_PAGE:
        message = f"'page' must be at most {MAX_PAGE}"
        raise ApiError.single(400, "parameter_invalid", message, "page")
    if page * per_page > MAX_RESULT_WINDOW:
        raise ApiError.single(400, "bad_request", "page limit reached, please use scroll API")


def paging(params: Mapping[str, str], settings: EmulatorSettings) -> Paging:
    """Read ``page``, ``per_page`` and ``starting_after`` from a query string.

    Raises:
        ApiError: 400 ``parameter_invalid`` naming the bad parameter; with
            ``deep_paging_cap``, 400 for a page beyond the cap.
    """
    page = _positive_int(params, "page", 1, 10**9)
    per_page = _positive_int(params, "per_page", settings.per_page, MAX_PER_PAGE)
    if settings.deep_paging_cap:
        _check_cap(page, per_page)
    starting_after = _cursor(params, settings)
    offset = 0
    if starting_after is None:
        # Each earlier fetch was followed by simulate_inserts inserts ahead of the rows shown.
        offset = (page - 1) * max(1, per_page - settings.simulate_inserts)
    descending = settings.list_order == "newest_first"
    return Paging(page, per_page, starting_after, offset, descending)


def _next(request: Request, settings: EmulatorSettings, wanted: Paging, last_id: int) -> Any:
    page, per_page = wanted.page + 1, wanted.per_page
    if settings.pagination == "cursor":
        return {"page": page, "per_page": per_page, "starting_after": encode_cursor(last_id)}
    if settings.pagination == "offset":
        return str(request.url.replace_query_params(page=page, per_page=per_page))
    return str(
        request.url.replace_query_params(page=page, per_page=per_page, starting_after=last_id)
    )


def list_response(
    request: Request,
    settings: EmulatorSettings,
    wanted: Paging,
    rows: Sequence[_Record],
    render: Callable[[_Record], dict[str, Any]],
    total: int,
) -> Response:
    """Render a list; ``rows`` holds one row more than a page when more rows follow."""
    shown = rows[: wanted.per_page]
    pages: dict[str, Any] = {
        "type": "pages",
        "page": wanted.page,
        "per_page": wanted.per_page,
        "total_pages": math.ceil(total / wanted.per_page),
    }
    if len(rows) > wanted.per_page:
        pages["next"] = _next(request, settings, wanted, shown[-1].id)
    elif settings.pagination != "cursor":
        pages["next"] = None
    body = {"type": "list", "data": [render(row) for row in shown], "total_count": total}
    return json_response(200, {**body, "pages": pages})
