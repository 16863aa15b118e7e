"""Per-token rate limiting in fixed windows aligned on the epoch, as Intercom does it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FixedWindowRateLimiter", "RateDecision"]


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of one call against the limit, with the values of the X-RateLimit headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # Unix time (integer seconds) when the current window ends

    def headers(self) -> dict[str, str]:
        """Return the ``X-RateLimit-*`` headers for this call."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }


class FixedWindowRateLimiter:
    """Counts calls per key in windows ``[k * window, (k + 1) * window)`` of Unix time.

    Every call counts, rejected ones included, so a client hammering through a 429 does not
    get more calls in the same window.
    """

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        """Allow ``limit`` calls per key in each window of ``window_seconds``."""
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[str, tuple[int, int]] = {}  # key -> (window index, calls)

    @property
    def window_label(self) -> str:
        """The window as Intercom names it in messages, e.g. ``10_seconds``."""
        return f"{self.window_seconds:g}_seconds"

    def hit(self, key: str) -> RateDecision:
        """Count one call for ``key`` and say whether it is within the limit."""
        window = math.floor(self._clock() / self.window_seconds)
        index, calls = self._windows.get(key, (window, 0))
        calls = calls + 1 if index == window else 1
        self._windows[key] = (window, calls)
        reset_at = math.ceil((window + 1) * self.window_seconds)
        return RateDecision(calls <= self.limit, self.limit, max(0, self.limit - calls), reset_at)

    def clear(self) -> None:
        """Forget every window."""
        self._windows.clear()
