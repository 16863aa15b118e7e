"""Intercom's wire format: the error envelope, JSON responses and the object shapes."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from ingestor.emulator.store import PageRecord, SourceRecord

__all__ = [
    "ApiError",
    "ErrorItem",
    "error_body",
    "json_bytes",
    "json_response",
    "page_json",
    "source_json",
]

JSON_MEDIA_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class ErrorItem:
    """One entry of ``errors[]`` in Intercom's error envelope."""

    code: str
    message: str
    field: str | None = None

    def to_json(self) -> dict[str, str]:
        """Return the entry as Intercom sends it (``field`` only when known)."""
        item = {"code": self.code, "message": self.message}
        if self.field is not None:
            item["field"] = self.field
        return item


@dataclass(eq=False)
class ApiError(Exception):
    """An HTTP error answer of the emulator, rendered as Intercom's error envelope.

    This is wire-level control flow inside the emulator (which may not import the engine), not a
    fin-ingestor error: it never leaves the ASGI app.
    """

    status: int
    errors: list[ErrorItem]
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def single(cls, status: int, code: str, message: str, field: str | None = None) -> ApiError:
        """Build an error with one envelope entry."""
        return cls(status, [ErrorItem(code, message, field)])

    def __str__(self) -> str:
        return f"HTTP {self.status}: " + "; ".join(error.message for error in self.errors)

    def response(self) -> Response:
        """Render the envelope with a fresh request id."""
        return json_response(self.status, error_body(self.errors), headers=self.headers)


def error_body(errors: list[ErrorItem]) -> dict[str, Any]:
    """Return Intercom's ``error.list`` envelope with a fresh request id."""
    return {
        "type": "error.list",
        "request_id": str(uuid.uuid4()),
        "errors": [error.to_json() for error in errors],
    }


def json_bytes(body: Any) -> bytes:
    """Encode ``body`` the way the emulator sends it: compact UTF-8 JSON."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """Return a JSON response."""
    return Response(json_bytes(body), status, headers=headers, media_type=JSON_MEDIA_TYPE)


def source_json(source: SourceRecord) -> dict[str, Any]:
    """Return a source as the ``content_import_source`` schema shapes it."""
    return {
        "type": "content_import_source",
        "id": source.id,
        "last_synced_at": source.last_synced_at,
        "sync_behavior": source.sync_behavior,
        "status": source.status,
        "url": source.url,
        "created_at": source.created_at,
        "updated_at": source.updated_at,
    }


def page_json(page: PageRecord) -> dict[str, Any]:
    """Return a page as the ``external_page`` schema shapes it (``url`` only when set)."""
    body: dict[str, Any] = {
        "type": "external_page",
        "id": str(page.id),
        "title": page.title,
        "html": page.html,
    }
    if page.url is not None:
        body["url"] = page.url
    body.update(
        ai_agent_availability=page.ai_agent_availability,
        ai_copilot_availability=page.ai_copilot_availability,
        ai_sales_agent_availability=page.ai_sales_agent_availability,
        # The deprecated flag mirrors the AI Agent (formerly Fin) flag.
        fin_availability=page.ai_agent_availability,
        locale="en",
        source_id=page.source_id,
        external_id=page.external_id,
        created_at=page.created_at,
        updated_at=page.updated_at,
        last_ingested_at=page.last_ingested_at,
    )
    return body
