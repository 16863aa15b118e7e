"""How a faulted call is (not) answered: cut mid-body, closed without a byte, or left hanging.

Closing a connection without any answer needs the server's transport, which ASGI does not
expose: the app stores uvicorn's own ``send`` in the scope (``RAW_SEND``) and the transport is
taken from the protocol object that method belongs to. Under another server the fault falls
back to a connection cut mid-answer, which a client sees as a broken answer all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "RAW_SEND",
    "CapturedAnswer",
    "close_without_answer",
    "drop_mid_answer",
    "hang",
    "install_drop_log_filter",
    "run_captured",
]

RAW_SEND = "emulator.raw_send"
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


class CapturedAnswer:
    """The status, headers and body an endpoint produced, kept instead of sent."""

    def __init__(self) -> None:
        """Start empty (status 200 until the endpoint says otherwise)."""
        self.status = 200
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        """An ASGI ``send`` that records instead of sending."""
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    @property
    def body(self) -> bytes:
        """Everything the endpoint wrote."""
        return b"".join(self.chunks)


async def run_captured(app: ASGIApp, scope: Scope, receive: Receive) -> CapturedAnswer:
    """Run the endpoint (its write is committed) and keep its answer."""
    captured = CapturedAnswer()
    await app(scope, receive, captured.send)
    return captured


async def drop_mid_answer(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
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


async def hang(receive: Receive, seconds: float) -> None:
    """Hold a call unanswered for ``seconds``, or until the client gives up and disconnects
    (no one is left to wait for; it also lets the server stop without waiting)."""

    async def client_gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(client_gone(), seconds)


def _transport(scope: Scope) -> Any:
    raw_send = scope.get(RAW_SEND)
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    return transport if callable(getattr(transport, "close", None)) else None


async def close_without_answer(scope: Scope, send: Send, fallback: CapturedAnswer) -> None:
    """Close the TCP connection before a byte of answer; cut ``fallback`` if that cannot be."""
    transport = _transport(scope)
    if transport is None:
        await drop_mid_answer(send, fallback.status, fallback.headers, fallback.body)
        return
    transport.close()
    # Let the server see the connection go (connection_lost runs on the next loop turn), so
    # it neither answers 500 for the app nor logs the unanswered call as an error.
    for _ in range(3):
        await asyncio.sleep(0)
