"""What happens to every API call before and around its endpoint.

In order: count the call, sleep the latency, check the bearer token (401), count it against the
token's rate-limit window (429), draw a fault (5xx or drop), check ``Intercom-Version`` (400),
run the endpoint and add the ``X-RateLimit-*`` headers. ``/_emulator/`` paths skip all of it.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingestor.emulator.context import EmulatorContext
from ingestor.emulator.faults import Fault
from ingestor.emulator.spec import INTERCOM_VERSIONS
from ingestor.emulator.stats import ABSENT_VERSION, DROPPED
from ingestor.emulator.wire import ApiError

__all__ = ["ADMIN_PREFIX", "ApiGateway", "install_drop_log_filter"]

ADMIN_PREFIX = "/_emulator/"
_WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
_FAULT_CODES = {500: "server_error", 502: "bad_gateway", 503: "service_unavailable"}
_INCOMPLETE_MESSAGE = "ASGI callable returned without completing response."
_PLACEHOLDER_BODY = b'{"type":"list","data":[],"total_count":0,"pages":{"type":"pages"}}'

# Set in the task that serves a deliberately dropped call; uvicorn logs from that same task.
_dropping: ContextVar[bool] = ContextVar("emulator_dropping", default=False)


class _DropLogFilter(logging.Filter):
    """Silences uvicorn's complaint about the incomplete responses the emulator sends on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_dropping.get() and record.getMessage() == _INCOMPLETE_MESSAGE)


def install_drop_log_filter() -> None:
    """Add the filter to uvicorn's error logger once per process."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, _DropLogFilter) for existing in logger.filters):
        logger.addFilter(_DropLogFilter())


def _bearer_token(headers: Headers) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _drop(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """Promise a body, send half of it and return: uvicorn then closes the connection."""
    _dropping.set(True)
    payload = body or _PLACEHOLDER_BODY
    kept = [(name, value) for name, value in headers if name.lower() != b"content-length"]
    await send(
        {
            "type": "http.response.start",
            "status": 200 if status in (204, 304) else status,  # those may not have a body
            "headers": [*kept, (b"content-length", str(len(payload)).encode())],
        }
    )
    await send(
        {"type": "http.response.body", "body": payload[: len(payload) // 2], "more_body": True}
    )


class ApiGateway:
    """Pure ASGI middleware applying auth, rate limit, latency, faults and stats to API calls."""

    def __init__(self, app: ASGIApp, context: EmulatorContext) -> None:
        """Wrap ``app`` (the Starlette router stack) for the emulator ``context``."""
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request."""
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        ctx = self.context
        stats = ctx.stats
        headers = Headers(scope=scope)
        version = headers.get("intercom-version")
        stats.total += 1
        stats.by_operation[ctx.operation_for(scope)] += 1
        stats.versions[ABSENT_VERSION if version is None else version[:40]] += 1
        extra: list[tuple[bytes, bytes]] = []

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                stats.by_status[str(message["status"])] += 1
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        async def answer(response: Response) -> None:
            await response(scope, receive, send_counted)

        if ctx.settings.latency_ms:
            await asyncio.sleep(ctx.settings.latency_ms / 1000)
        token = _bearer_token(headers)
        if token is None or token not in ctx.settings.tokens:
            await answer(ApiError.single(401, "unauthorized", "Access Token Invalid").response())
            return
        if ctx.limiter is not None:
            decision = ctx.limiter.hit(token)
            extra = [(name.encode(), value.encode()) for name, value in decision.headers().items()]
            if not decision.allowed:
                stats.rate_limited += 1
                limiter = ctx.limiter
                message = f"Exceeded rate limit of {limiter.limit} in {limiter.window_label}"
                await answer(ApiError.single(429, "rate_limit_exceeded", message).response())
                return
        fault = ctx.faults.decide(is_write=scope["method"] in _WRITE_METHODS)
        if fault is not None:
            stats.faults[fault.value] += 1
            if fault.status is not None:
                code = _FAULT_CODES[fault.status]
                message = f"Emulated fault: HTTP {fault.status}"
                await answer(ApiError.single(fault.status, code, message).response())
                return
            if fault is Fault.DROP_BEFORE:
                stats.by_status[DROPPED] += 1
                await _drop(send, 200, [(b"content-type", b"application/json"), *extra], b"")
                return
        if version is not None and version not in INTERCOM_VERSIONS:
            message = f"Requested Intercom-Version is not valid: {version[:40]!r}"
            error = ApiError.single(400, "intercom_version_invalid", message, "Intercom-Version")
            await answer(error.response())
            return
        if fault is Fault.DROP_AFTER:
            await self._apply_then_drop(scope, receive, send, extra)
            return
        await self.app(scope, receive, send_counted)

    async def _apply_then_drop(
        self, scope: Scope, receive: Receive, send: Send, extra: list[tuple[bytes, bytes]]
    ) -> None:
        """Run the endpoint (the write happens), then drop its answer halfway."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        self.context.stats.by_status[DROPPED] += 1
        headers = [*start.get("headers", []), *extra]
        await _drop(send, int(start.get("status", 200)), headers, b"".join(chunks))
