"""When to retry a call and how long to wait first: the policy and the response classifier."""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

__all__ = [
    "RetryPolicy",
    "Verdict",
    "classify_status",
    "is_retriable_transport_error",
    "parse_retry_after",
    "surely_not_sent",
]


class Verdict(enum.Enum):
    """What a response means for the retry loop."""

    SUCCESS = "success"  # hand the response to the caller
    FAIL = "fail"  # a definitive refusal (most 4xx): hand it to the caller, never retry
    RETRY = "retry"  # transient server trouble (5xx): back off and retry if the call is idempotent
    RATE_LIMITED = "rate_limited"  # 429: wait for the rate-limit window, then retry


# 501 Not Implemented and 505 HTTP Version Not Supported will not heal by waiting.
_PERMANENT_5XX = frozenset({501, 505})


def classify_status(response: httpx.Response) -> Verdict:
    """Default classifier: 2xx success, 429 rate limited, 408/5xx transient, anything else final.

    Redirects count as final: clients never follow them (one could carry the token elsewhere).
    """
    status = response.status_code
    if 200 <= status < 300:
        return Verdict.SUCCESS
    if status == 429:
        return Verdict.RATE_LIMITED
    if status == 408 or (status >= 500 and status not in _PERMANENT_5XX):
        return Verdict.RETRY
    return Verdict.FAIL


_HEALING_ERRORS = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)


def is_retriable_transport_error(exc: httpx.HTTPError) -> bool:
    """True for network trouble that may heal (timeouts, resets, drops, proxy hiccups)."""
    return isinstance(exc, _HEALING_ERRORS)


def surely_not_sent(exc: httpx.HTTPError) -> bool:
    """True when the request never left this machine: even a non-idempotent call may be retried."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (delta-seconds or HTTP date).

    Args:
        headers: Response headers (case-insensitive mapping such as ``httpx.Headers``).
        now: Current Unix time, used to turn an HTTP date into a delay.

    Returns:
        A delay >= 0, or None when the header is absent or unreadable.
    """
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now
    else:
        if not math.isfinite(seconds):
            return None
    return max(0.0, seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter for transient failures.

    Attributes:
        max_attempts: Attempts per call, the first one included (>= 1).
        base_delay: Backoff before the second attempt, in seconds; doubles with every attempt.
        max_delay: Cap on any single wait, ``Retry-After`` included.
        jitter: Full jitter (uniform in ``[0, backoff]``) so that parallel clients spread out.
        max_total_wait: Cap on the sum of backoff waits of one call; a retry that would pass it
            is not made and the last failure is reported instead.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0
    jitter: bool = True
    max_total_wait: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be >= 1, got {self.max_attempts}")
        for name in ("base_delay", "max_delay", "max_total_wait"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"RetryPolicy.{name} must be a finite number >= 0, got {value}")

    def backoff(self, failed_attempts: int, rng: random.Random | None = None) -> float:
        """Delay after ``failed_attempts`` failures (1 = the first attempt just failed)."""
        exponent = min(max(failed_attempts - 1, 0), 62)  # 2**62 is already far past any cap
        ceiling = min(self.max_delay, self.base_delay * (2.0**exponent))
        if not self.jitter:
            return ceiling
        return (rng or random).uniform(0.0, ceiling)

    def delay(
        self,
        failed_attempts: int,
        *,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float:
        """Delay before the next try: ``Retry-After`` when sent (capped), else backoff."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        return self.backoff(failed_attempts, rng)
