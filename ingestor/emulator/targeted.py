"""The targeted fault: writes that name one of ``fail_external_ids`` are answered 503.

A test instrument, off by default: Intercom documents no such behaviour; the 503 itself is the
plain ``service_unavailable`` answer of the random faults.

Random faults strike any call; a test of "one bad page does not stop a run" needs one page
whose every attempt fails while the others succeed. The body has to be read to find the
``external_id`` (an upsert's URL does not name it), so it is read here and replayed to the
endpoint unchanged.
"""

from __future__ import annotations

import json

from starlette.types import Message, Receive

__all__ = ["body_names", "read_body", "replay"]


async def read_body(receive: Receive) -> bytes:
    """The whole request body (ASGI sends it in chunks)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands ``body`` over again, then waits like the original."""
    sent = False

    async def receive_again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again


def body_names(body: bytes, external_ids: tuple[str, ...]) -> str | None:
    """The ``external_id`` of a JSON body when it is one of ``external_ids``."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    named = data.get("external_id") if isinstance(data, dict) else None
    return named if isinstance(named, str) and named in external_ids else None
