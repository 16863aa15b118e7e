"""Request validation: JSON bodies, body fields and path ids (pure functions).

Every problem of a body is reported at once, one ``errors[]`` entry per field, each naming it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ingestor.emulator.wire import ApiError, ErrorItem

__all__ = [
    "PageUpdate",
    "PageUpsert",
    "SourceInput",
    "parse_json_object",
    "path_id",
    "source_input",
    "update_page_input",
    "upsert_page_input",
]

_TYPE_NAMES: dict[type, str] = {str: "a string", bool: "a boolean", int: "an integer"}


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    kind: type
    required: bool = False
    enum: tuple[str, ...] = ()
    non_blank: bool = False
    http_url: bool = False


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Parse a request body; an empty body counts as ``{}``.

    Raises:
        ApiError: 400 ``bad_request`` when the body is not JSON or not a JSON object.
    """
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError.single(400, "bad_request", f"Request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError.single(400, "bad_request", "Request body must be a JSON object")
    return body


def _problem(rule: _Rule, value: Any) -> ErrorItem | None:
    is_bool = isinstance(value, bool)
    if not isinstance(value, rule.kind) or (rule.kind is int and is_bool):
        return ErrorItem(
            "parameter_invalid", f"'{rule.name}' must be {_TYPE_NAMES[rule.kind]}", rule.name
        )
    if rule.enum and value not in rule.enum:
        allowed = ", ".join(rule.enum)
        return ErrorItem("parameter_invalid", f"'{rule.name}' must be one of: {allowed}", rule.name)
    if rule.kind is not str:
        return None
    text = str(value)
    if rule.non_blank and not text.strip():
        return ErrorItem("parameter_invalid", f"'{rule.name}' must not be blank", rule.name)
    if rule.http_url:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            message = f"'{rule.name}' must be an absolute http(s) URL"
            return ErrorItem("parameter_invalid", message, rule.name)
    return None


def _check(body: Mapping[str, Any], rules: tuple[_Rule, ...]) -> dict[str, Any]:
    """Return the known fields present in ``body``; raise one 400 listing every problem."""
    problems: list[ErrorItem] = []
    values: dict[str, Any] = {}
    for rule in rules:
        if rule.name not in body:
            if rule.required:
                message = f"'{rule.name}' is a required parameter"
                problems.append(ErrorItem("parameter_not_found", message, rule.name))
            continue
        problem = _problem(rule, body[rule.name])
        if problem is None:
            values[rule.name] = body[rule.name]
        else:
            problems.append(problem)
    if problems:
        raise ApiError(400, problems)
    return values


_STATUS = _Rule("status", str, enum=("active", "deactivated"))
_SOURCE_URL = _Rule("url", str, required=True, http_url=True)
_CREATE_SOURCE = (_Rule("sync_behavior", str, required=True, enum=("api",)), _SOURCE_URL, _STATUS)
_UPDATE_SOURCE = (
    _Rule("sync_behavior", str, required=True, enum=("api", "automated", "manual")),
    _SOURCE_URL,
    _STATUS,
)
_PAGE_COMMON = (
    _Rule("title", str, required=True, non_blank=True),
    _Rule("html", str, required=True),
    _Rule("locale", str, required=True, enum=("en",)),
    _Rule("source_id", int, required=True),
)
_UPSERT_PAGE = (
    *_PAGE_COMMON,
    _Rule("external_id", str, required=True, non_blank=True),
    _Rule("url", str, http_url=True),
    _Rule("ai_agent_availability", bool),
    _Rule("ai_copilot_availability", bool),
)
_UPDATE_PAGE_RULES = (
    _Rule("external_id", str, non_blank=True),
    _Rule("fin_availability", bool),
)
_UPDATE_PAGE = (*_PAGE_COMMON, _Rule("url", str, required=True, http_url=True), *_UPDATE_PAGE_RULES)
# 2.17: url is optional in an update, and omitting it clears it.
_UPDATE_PAGE_URL_OPTIONAL = (*_PAGE_COMMON, _Rule("url", str, http_url=True), *_UPDATE_PAGE_RULES)


@dataclass(frozen=True, slots=True)
class SourceInput:
    """Body of a source create (POST) or update (PUT)."""

    sync_behavior: str
    url: str
    status: str | None


@dataclass(frozen=True, slots=True)
class PageUpsert:
    """Body of POST /ai/external_pages; ``None`` flags were omitted."""

    title: str
    html: str
    url: str | None
    source_id: int
    external_id: str
    ai_agent_availability: bool | None
    ai_copilot_availability: bool | None


@dataclass(frozen=True, slots=True)
class PageUpdate:
    """Body of PUT /ai/external_pages/{page_id}; ``None`` fields were omitted."""

    title: str
    html: str
    url: str | None
    source_id: int
    external_id: str | None
    fin_availability: bool | None


def source_input(body: Mapping[str, Any], *, update: bool) -> SourceInput:
    """Validate a source body (create when ``update`` is false)."""
    values = _check(body, _UPDATE_SOURCE if update else _CREATE_SOURCE)
    return SourceInput(values["sync_behavior"], values["url"], values.get("status"))


def upsert_page_input(body: Mapping[str, Any]) -> PageUpsert:
    """Validate the body of an upsert."""
    values = _check(body, _UPSERT_PAGE)
    return PageUpsert(
        title=values["title"],
        html=values["html"],
        url=values.get("url"),
        source_id=values["source_id"],
        external_id=values["external_id"],
        ai_agent_availability=values.get("ai_agent_availability"),
        ai_copilot_availability=values.get("ai_copilot_availability"),
    )


def update_page_input(body: Mapping[str, Any], *, url_required: bool = True) -> PageUpdate:
    """Validate the body of a page update (PUT); ``url`` may be left out unless required."""
    values = _check(body, _UPDATE_PAGE if url_required else _UPDATE_PAGE_URL_OPTIONAL)
    return PageUpdate(
        title=values["title"],
        html=values["html"],
        url=values.get("url"),
        source_id=values["source_id"],
        external_id=values.get("external_id"),
        fin_availability=values.get("fin_availability"),
    )


def path_id(raw: str) -> int | None:
    """Return the integer behind a path id, or ``None`` when it cannot name anything."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)
