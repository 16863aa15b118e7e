"""When a run gives up on Intercom: one page's failure is the page's, an outage is the run's.

A page whose call still fails after every retry (5xx, 429, no answer) is counted failed,
recorded with its error and retried next run, while the run goes on. Only when Intercom looks
down for everyone does the run stop early (exit 3, deletions skipped): the last
``after_failures`` pages that called Intercom all failed that way **and** no page's call has
succeeded for ``after_seconds``. Both must hold: a burst of pages failing together during a
short outage does not end the run (the time bound), nor does one slow page failing alone
(the count bound).

Defaults: 10 pages and 120 s. Each failing page has already spent its own retries (up to
``max_attempts``, about 15 s of backoff by default) before it counts, so 120 s of nothing but
failures is an outage, not a blip; ending there frees the daemon's schedule and says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ingestor.errors import IntercomUnreachable, RetriableError

__all__ = ["UNREACHABLE_AFTER_FAILURES", "UNREACHABLE_AFTER_SECONDS", "UnreachableBreaker"]

#: Consecutive pages failed after their retries, with no success in between.
UNREACHABLE_AFTER_FAILURES = 10
#: Seconds without a single successful call to Intercom.
UNREACHABLE_AFTER_SECONDS = 120.0


class UnreachableBreaker:
    """Counts page outcomes of one run; thread-safe (pages finish on many threads)."""

    def __init__(
        self,
        *,
        after_failures: int = UNREACHABLE_AFTER_FAILURES,
        after_seconds: float = UNREACHABLE_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if after_failures < 1 or after_seconds < 0:
            raise ValueError("after_failures must be >= 1 and after_seconds >= 0")
        self.after_failures = after_failures
        self.after_seconds = after_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._last_success = clock()  # the run's start: it verified its source just before

    def succeeded(self) -> None:
        """A page's calls to Intercom succeeded: Intercom answers."""
        with self._lock:
            self._failures = 0
            self._last_success = self._clock()

    def failed(self, error: RetriableError) -> IntercomUnreachable | None:
        """A page failed after its retries; returns the error that ends the run, if it must."""
        with self._lock:
            self._failures += 1
            quiet = self._clock() - self._last_success
            if self._failures < self.after_failures or quiet < self.after_seconds:
                return None
            failures = self._failures
        return IntercomUnreachable(
            f"Intercom unreachable: the last {failures} pages failed after every retry and no "
            f"call has succeeded for {quiet:.0f}s; the run stops here (last error: {error})"
        )
