"""One cheap authenticated call and what its answer says about the connection: the token is
accepted, the base URL answers, how much of the rate-limit window is left, and how far the
local clock is from Intercom's (``Date`` header). Used by ``ingestor doctor``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ingestor.intercom import _errors as ops
from ingestor.intercom._client import IntercomClient

__all__ = ["ConnectionProbe", "probe_connection"]


@dataclass(frozen=True, slots=True)
class ConnectionProbe:
    """What one list-sources call showed.

    Attributes:
        seconds: Round trip of the call (retries included).
        clock_skew_seconds: Intercom's clock minus ours, from the ``Date`` header (whole
            seconds), or None when the answer had none.
        rate_limit: ``X-RateLimit-Limit``: calls per window, when sent.
        rate_remaining: ``X-RateLimit-Remaining`` after this call, when sent.
    """

    seconds: float
    clock_skew_seconds: float | None
    rate_limit: int | None
    rate_remaining: int | None


def probe_connection(client: IntercomClient) -> ConnectionProbe:
    """Make one list-sources call (first page only) and read its headers.

    Raises:
        AuthenticationError: The token is refused.
        IntercomUnreachable: No answer (DNS, connect, timeouts) after the retries.
        SyncError: Any other refusal, mapped as for every call.
    """
    started = time.monotonic()
    response = client._call(ops.LIST_SOURCES, "GET", "/ai/content_import_sources", "")
    seconds = time.monotonic() - started
    return ConnectionProbe(
        seconds=seconds,
        clock_skew_seconds=_skew(response.headers.get("date"), seconds),
        rate_limit=_integer(response.headers.get("x-ratelimit-limit")),
        rate_remaining=_integer(response.headers.get("x-ratelimit-remaining")),
    )


def _skew(header: str | None, round_trip: float) -> float | None:
    if not header:
        return None
    try:
        server = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if server.tzinfo is None:
        server = server.replace(tzinfo=UTC)
    # the server stamped its Date about half a round trip ago
    local = datetime.now(UTC).timestamp() - round_trip / 2
    return round(server.timestamp() - local, 1)


def _integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
