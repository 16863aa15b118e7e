"""The one place where Intercom's answers become fin-ingestor errors.

=========================  ==============================================================
answer                     error
=========================  ==============================================================
401, 403                   :class:`AuthenticationError` (a :class:`FatalError`)
429 (after retries)        :class:`RateLimitedError`
408, 5xx (after retries)   :class:`RetriableError`
network (after retries)    :class:`IntercomUnreachable` (raised by ``ingestor.http.send``)
other 4xx, 3xx             :class:`PageError` for one-page operations, :class:`FatalError` for
                           source operations and listings
2xx with a broken body     like "other 4xx", code ``invalid_response``
2xx about another object   the same (:func:`same_object`): another id, source or external id
=========================  ==============================================================

Messages come from Intercom's error envelope (``errors[0].message`` and ``field``), never from a
raw body; ``status_code``, ``code`` and ``request_id`` are kept on the error. Everything taken
from the answer (message, code, field, request id, header or body) is untrusted server text and
goes through :func:`ingestor.untrusted.server_text`: the token masked, one line, no control
characters or terminal escapes, length-limited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeVar

import httpx

from ingestor.errors import (
    AuthenticationError,
    FatalError,
    PageError,
    RateLimitedError,
    RetriableError,
    SyncError,
)
from ingestor.http import redact
from ingestor.untrusted import server_text

__all__ = [
    "ErrorEnvelope",
    "Operation",
    "error_for_response",
    "invalid_response",
    "response_request_id",
    "same_object",
]

_Parsed = TypeVar("_Parsed")

#: Longest piece of Intercom's message quoted in an error.
_MAX_MESSAGE = 300
#: Longest request id kept (Intercom's are about 20 characters).
_MAX_REQUEST_ID = 100


@dataclass(frozen=True, slots=True)
class Operation:
    """One AI Content operation: its OpenAPI operationId and how failures are treated."""

    name: str  # operationId, as the emulator's stats count them
    summary: str  # "upsert external page", for messages
    idempotent: bool  # safe to repeat when the first try may have been processed
    page_scoped: bool  # a refusal concerns one page only (PageError) rather than the run


LIST_SOURCES = Operation("listContentImportSources", "list content import sources", True, False)
CREATE_SOURCE = Operation("createContentImportSource", "create content import source", False, False)
GET_SOURCE = Operation("getContentImportSource", "get content import source", True, False)
UPDATE_SOURCE = Operation("updateContentImportSource", "update content import source", True, False)
DELETE_SOURCE = Operation("deleteContentImportSource", "delete content import source", True, False)
LIST_PAGES = Operation("listExternalPages", "list external pages", True, False)
UPSERT_PAGE = Operation("createExternalPage", "upsert external page", True, True)
GET_PAGE = Operation("getExternalPage", "get external page", True, True)
UPDATE_PAGE = Operation("updateExternalPage", "update external page", True, True)
DELETE_PAGE = Operation("deleteExternalPage", "delete external page", True, True)


@dataclass(frozen=True, slots=True)
class ErrorEnvelope:
    """What Intercom's ``error.list`` says about a failure (all None when there is none)."""

    request_id: str | None = None
    code: str | None = None
    message: str | None = None
    field: str | None = None

    @classmethod
    def from_response(
        cls, response: httpx.Response, secrets: tuple[str, ...] = ()
    ) -> ErrorEnvelope:
        """Read the envelope; a body that is not one yields only the ``X-Request-Id`` header.

        Every field is untrusted server text, cleaned by :func:`server_text` (``secrets`` are
        masked wherever Intercom echoes them).
        """
        header_id = response_request_id(response, secrets)
        try:
            body = json.loads(response.content) if response.content else None
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return cls(request_id=header_id)
        request_id = body.get("request_id")
        errors = body.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else None
        if not isinstance(first, dict):
            first = {}
        return cls(
            request_id=_text(request_id, secrets, _MAX_REQUEST_ID) or header_id,
            code=_text(first.get("code"), secrets),
            message=_text(first.get("message"), secrets),
            field=_text(first.get("field"), secrets),
        )


def _text(value: object, secrets: tuple[str, ...], limit: int = _MAX_MESSAGE) -> str | None:
    if not isinstance(value, str):
        return None
    return server_text(value, secrets=secrets, limit=limit) or None


def response_request_id(response: httpx.Response, secrets: tuple[str, ...] = ()) -> str | None:
    """The ``X-Request-Id`` header, cleaned like any server text (None when absent or blank)."""
    return _text(response.headers.get("x-request-id"), secrets, _MAX_REQUEST_ID)


def error_for_response(
    operation: Operation, response: httpx.Response, subject: str, secrets: tuple[str, ...] = ()
) -> SyncError:
    """The error to raise for a non-2xx answer to ``operation`` about ``subject``."""
    status = response.status_code
    envelope = ErrorEnvelope.from_response(response, secrets)
    said = envelope.message or _text(response.reason_phrase, secrets) or "no message"
    if envelope.field:
        said = f"{said} (field {envelope.field})"
    if status == 413 and envelope.message is None:
        said = _too_large(response)
    message = redact(f"{operation.summary}{subject} failed: {said}", secrets)
    error_class: type[SyncError]
    if status in (401, 403):
        error_class = AuthenticationError
    elif status == 429:
        error_class = RateLimitedError
    elif status == 408 or status >= 500:
        error_class = RetriableError
    else:
        error_class = PageError if operation.page_scoped else FatalError
    return error_class(
        message, status_code=status, code=envelope.code, request_id=envelope.request_id
    )


def _too_large(response: httpx.Response) -> str:
    """A 413 without Intercom's envelope: a proxy or load balancer refused the body's size.

    Its HTML page is never quoted; what helps is the size we sent and our own limit.
    """
    try:
        size = f"{len(response.request.content):,} bytes"
    except (RuntimeError, httpx.RequestNotRead):  # no request attached, or a streamed body
        size = "the request"
    return (
        f"{size} refused as too large by a proxy or load balancer in front of "
        "Intercom, not by Intercom's API; lower max_page_bytes so that large pages are split "
        "into smaller sections"
    )


def invalid_response(
    operation: Operation, response: httpx.Response, subject: str, problem: str
) -> SyncError:
    """The error for a 2xx answer whose body could not be understood."""
    said = server_text(problem)  # may quote the answer's values
    message = f"{operation.summary}{subject}: unexpected answer from Intercom: {said}"
    error_class = PageError if operation.page_scoped else FatalError
    return error_class(
        message,
        status_code=response.status_code,
        code="invalid_response",
        request_id=response_request_id(response),
    )


def same_object(
    operation: Operation,
    answer: tuple[httpx.Response, object],
    subject: str,
    got: _Parsed,
    **wanted: int | str,
) -> _Parsed:
    """``got`` when it is the object asked about, else the operation's error naming both.

    A 2xx answer about another object (a proxy's cache, a mixed-up reply) must not be
    recorded: its id would later be deleted, or its page hidden, in the asked one's place.
    """
    differ = [
        f"{key} {getattr(got, key)!r} instead of {value!r}"
        for key, value in wanted.items()
        if str(getattr(got, key)) != str(value)
    ]
    if not differ:
        return got
    problem = f"the answer is about another object ({', '.join(differ)}); nothing recorded"
    raise invalid_response(operation, answer[0], subject, problem)
