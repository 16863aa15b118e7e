"""What happens to every API call before and around its endpoint.

In order: count the call, refuse an oversized body the way a load balancer does (413, HTML),
sleep the latency (plus jitter), check the bearer token (401), answer 429 while a storm lasts,
count the call against the token's rate-limit window (429), fail a write naming one of
``fail_external_ids`` (503), draw a fault, check
``Intercom-Version`` (400), run the endpoint and add the ``X-RateLimit-*`` headers.
``/_emulator/`` paths skip all of it.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingestor.emulator.admin import ADMIN_PREFIX
from ingestor.emulator.context import EmulatorContext
from ingestor.emulator.fault_answers import (
    close_without_answer,
    drop_mid_answer,
    hang,
    run_captured,
)
from ingestor.emulator.faults import Fault
from ingestor.emulator.spec import INTERCOM_VERSIONS
from ingestor.emulator.stats import ABSENT_VERSION, DROPPED
from ingestor.emulator.strictness import oversized_request
from ingestor.emulator.targeted import body_names, read_body, replay
from ingestor.emulator.wire import ApiError, ErrorItem

__all__ = ["ApiGateway"]

_WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
_FAULT_CODES = {
    500: "server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def _bearer_token(headers: Headers) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _header_list(values: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode()) for name, value in values.items()]


def _rate_limited(limit: int, window_label: str, headers: dict[str, str] | None = None) -> Response:
    message = f"Exceeded rate limit of {limit} in {window_label}"
    items = [ErrorItem("rate_limit_exceeded", message)]
    return ApiError(429, items, headers=headers or {}).response()


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
        headers = Headers(scope=scope)
        version = headers.get("intercom-version")
        ctx.stats.total += 1
        ctx.stats.by_operation[ctx.operation_for(scope)] += 1
        ctx.stats.versions[ABSENT_VERSION if version is None else version[:40]] += 1
        extra: list[tuple[bytes, bytes]] = []

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                ctx.stats.by_status[str(message["status"])] += 1
                if 200 <= message["status"] < 300:
                    ctx.stats.succeeded[ctx.operation_for(scope)] += 1
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        async def answer(response: Response) -> None:
            await response(scope, receive, send_counted)

        refusal = oversized_request(headers, ctx.settings.max_request_bytes)
        if refusal is not None:  # the load balancer answers before Intercom sees the call
            await answer(refusal)
            return
        delay = ctx.faults.latency_seconds()
        if delay:
            await asyncio.sleep(delay)
        token = _bearer_token(headers)
        if token is None or token not in ctx.settings.tokens:
            await answer(ApiError.single(401, "unauthorized", "Access Token Invalid").response())
            return
        refusal = self._rate_limit(token, extra)
        if refusal is not None:
            await answer(refusal)
            return
        receive, named = await self._targeted(scope, receive)
        if named is not None:  # fail_external_ids: this page fails every attempt
            message = f"Emulated fault: HTTP 503 for external_id {named!r}"
            await answer(ApiError.single(503, "service_unavailable", message).response())
            return
        fault = ctx.faults.decide(is_write=scope["method"] in _WRITE_METHODS)
        if fault is not None:
            ctx.stats.faults[fault.value] += 1
        if fault is not None and fault.status is not None:
            code, message = _FAULT_CODES[fault.status], f"Emulated fault: HTTP {fault.status}"
            await answer(ApiError.single(fault.status, code, message).response())
            return
        if fault is Fault.DROP_BEFORE:
            ctx.stats.by_status[DROPPED] += 1
            await drop_mid_answer(send, 200, [(b"content-type", b"application/json"), *extra], b"")
            return
        if version is not None and version not in INTERCOM_VERSIONS:
            message = f"Requested Intercom-Version is not valid: {version[:40]!r}"
            error = ApiError.single(400, "intercom_version_invalid", message, "Intercom-Version")
            await answer(error.response())
            return
        if fault is not None and fault.applies_write:
            await self._apply_then_fail(fault, scope, receive, send, extra)
            return
        await self.app(scope, receive, send_counted)

    async def _targeted(self, scope: Scope, receive: Receive) -> tuple[Receive, str | None]:
        """The ``receive`` to go on with, and the ``fail_external_ids`` entry a write names."""
        targets = self.context.settings.fail_external_ids
        if not targets or scope["method"] not in ("POST", "PUT"):
            return receive, None
        body = await read_body(receive)
        named = body_names(body, targets)
        if named is not None:
            self.context.stats.faults["targeted_503"] += 1
        return replay(body, receive), named

    def _rate_limit(self, token: str, extra: list[tuple[bytes, bytes]]) -> Response | None:
        """A 429 while a storm lasts or the token's window is spent; fills ``extra`` headers."""
        ctx = self.context
        if not ctx.storm.active and ctx.faults.starts_storm():
            ctx.storm.start(calls=ctx.settings.storm_calls)
        storm = ctx.storm.hit(ctx.settings)
        if storm is not None:
            ctx.stats.rate_limited += 1
            ctx.stats.faults["storm_429"] += 1
            label = f"{ctx.settings.window_seconds:g}_seconds"
            return _rate_limited(storm.limit, label, storm.headers())
        if ctx.limiter is None:
            return None
        decision = ctx.limiter.hit(token)
        extra[:] = _header_list(decision.headers())
        if decision.allowed:
            return None
        ctx.stats.rate_limited += 1
        return _rate_limited(ctx.limiter.limit, ctx.limiter.window_label)

    async def _apply_then_fail(
        self,
        fault: Fault,
        scope: Scope,
        receive: Receive,
        send: Send,
        extra: list[tuple[bytes, bytes]],
    ) -> None:
        """Run the endpoint (the write is committed), then lose, cut, hold or close its answer."""
        ctx = self.context
        captured = await run_captured(self.app, scope, receive)
        if fault is Fault.LOST_ANSWER:
            status = ctx.faults.lost_answer_status()
            ctx.stats.by_status[str(status)] += 1
            message = f"Emulated fault: HTTP {status} after the write was applied"
            items = [ErrorItem(_FAULT_CODES[status], message)]
            headers = {name.decode(): value.decode() for name, value in extra}
            await ApiError(status, items, headers=headers).response()(scope, receive, send)
            return
        ctx.stats.by_status[DROPPED] += 1
        if fault is Fault.DROP_AFTER:
            await drop_mid_answer(send, captured.status, [*captured.headers, *extra], captured.body)
            return
        if fault is Fault.HANG:
            await hang(receive, ctx.settings.hang_ms / 1000)
        await close_without_answer(scope, send, captured)
