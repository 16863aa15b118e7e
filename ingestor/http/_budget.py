"""A thread-safe budget of calls per rate-limit window, shared by every client of one API account.

The server tells its budget in ``X-RateLimit-Limit`` (calls per window), ``X-RateLimit-Remaining``
and ``X-RateLimit-Reset`` (Unix time the window ends); all optional. The budget admits a call while
the window's remaining count minus the calls already in flight is positive, and otherwise holds the
caller until the window resets. After the predicted reset, a single *probe* call goes first: its
answer confirms the new window (and its real remaining count, which other consumers may have eaten
into) before everyone else starts, so a wrong guess costs one 429, not one per thread.

Other consumers: the headers count the whole account's calls, so several processes (daemon
instances on other machines) each with a budget of its own see one another only through
``Remaining``. Calls sent before the others' answers arrive overshoot the window (a 429 each,
and Intercom counts it). Each budget therefore estimates how many consumers share the window
(calls the window reports spent / its own calls answered in it, from the last window with
enough of its own answers) and keeps back that many times its own calls in flight: consumers
alike in concurrency then stop together as the window runs out. Alone, the estimate is 1 and
nothing changes.

Clock skew: ``Reset`` is in the server's clock. Every response bounds the offset between the two
clocks: a call sent at local time ``t`` and counted in a window ending at ``R`` proves
``offset > t - R``; the ``Date`` header (whole seconds, possibly stale) proves
``offset <= received - Date``. The estimate is 0 (synchronised clocks) clamped into those bounds,
so a clock that runs ahead is learnt from the first early probe and one that runs behind from
``Date``. Bounds that contradict each other (the local clock jumped) are dropped and relearnt.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from ingestor.http._retry import parse_retry_after

__all__ = ["Permit", "RateBudget", "RateBudgetStats", "RateLimitInfo"]

#: How often a held caller looks again while other calls may still free budget or confirm a window.
_POLL_SECONDS = 0.02
#: First wait after a 429 whose window end is already past (doubles per consecutive 429).
_MIN_429_WAIT = 0.1
#: First wait after a 429 that carries no rate-limit headers at all (doubles per consecutive 429).
_BLIND_429_WAIT = 1.0
#: Own answers in a window before it may tell how many consumers share the account.
_MIN_OWN_ANSWERS = 4
#: The most consumers assumed (a budget keeps back at most this many times its calls in flight).
_MAX_CONSUMERS = 16


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number >= 0 else None


def _date_header(headers: Mapping[str, str]) -> float | None:
    value = headers.get("date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """The rate-limit facts one response carries (each None when its header is absent or bad)."""

    limit: int | None
    remaining: int | None
    reset: float | None  # server Unix time at which the window ends
    server_date: float | None
    retry_after: float | None  # seconds

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], now: float) -> RateLimitInfo:
        """Read ``X-RateLimit-*``, ``Date`` and ``Retry-After`` from response headers."""
        reset = _int_header(headers, "x-ratelimit-reset")
        return cls(
            limit=_int_header(headers, "x-ratelimit-limit"),
            remaining=_int_header(headers, "x-ratelimit-remaining"),
            reset=float(reset) if reset is not None else None,
            server_date=_date_header(headers),
            retry_after=parse_retry_after(headers, now),
        )


@dataclass(frozen=True, slots=True)
class Permit:
    """Proof that a call was admitted; hand it back through ``complete`` or ``cancel``."""

    sent_at: float  # local clock when admitted
    probe: bool  # first call after a predicted window reset
    waited: float  # seconds the caller was held


@dataclass(frozen=True, slots=True)
class RateBudgetStats:
    """A snapshot of a budget's counters."""

    calls: int
    rate_limited: int
    waits: int
    waited_seconds: float
    limit_per_window: int | None
    window_seconds: float
    remaining: int | None
    in_flight: int
    clock_offset: float


class _ClockOffset:
    """Bounds on (local clock - server clock), narrowed by every response."""

    def __init__(self) -> None:
        self.low = -math.inf
        self.high = math.inf

    def observe(self, low: float, high: float) -> None:
        if low > high:  # a stale or rounded Date header; keep the sure lower bound only
            high = math.inf
        new_low, new_high = max(self.low, low), min(self.high, high)
        if new_low > new_high:  # the local clock jumped: start over from this observation
            new_low, new_high = low, high
        self.low, self.high = new_low, new_high

    @property
    def value(self) -> float:
        return min(max(0.0, self.low), self.high)


class RateBudget:
    """Calls per rate-limit window, shared by any number of clients and threads.

    Args:
        window_seconds: Length of the server's window (Intercom: 10 s).
        reset_jitter: Up to this many seconds are added to each predicted window reset
            (default: 2.5 % of the window, 0.25 s for Intercom's 10 s).
        max_wait: Cap on one wait demanded by a ``Retry-After`` header.
        probe_timeout: After this long without an answer from the probe, another call may probe.
        clock: Wall clock in Unix seconds (``X-RateLimit-Reset`` is wall time).
        sleep: Blocks the calling thread; injectable for tests.
        rng: Random source for jitter.
    """

    def __init__(
        self,
        *,
        window_seconds: float = 10.0,
        reset_jitter: float | None = None,
        max_wait: float = 60.0,
        probe_timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not window_seconds > 0:
            raise ValueError(f"window_seconds must be > 0, got {window_seconds}")
        self._window = float(window_seconds)
        jitter = self._window / 40 if reset_jitter is None else reset_jitter
        self._reset_jitter = max(0.0, jitter)
        self._max_wait = max_wait
        self._probe_timeout = probe_timeout
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._offset = _ClockOffset()
        self._limit: int | None = None
        self._reset: float | None = None  # server time the current window ends
        self._remaining: int | None = None  # lowest count reported for that window
        self._window_jitter = 0.0
        self._own_answers = 0  # answers counted in the current window
        self._last_admitted = -math.inf
        self._consumers = 1.0  # estimated budgets sharing the account's window (this one too)
        self._in_flight = 0
        self._probe_started: float | None = None
        self._blocked_until = -math.inf
        self._consecutive_429 = 0
        self._calls = 0
        self._rate_limited = 0
        self._waits = 0
        self._waited_seconds = 0.0

    # -- public counters -------------------------------------------------------------------

    @property
    def limit_per_window(self) -> int | None:
        """Calls per window as last reported by ``X-RateLimit-Limit`` (None until seen)."""
        return self._limit

    @property
    def window_seconds(self) -> float:
        """Length of the rate-limit window in seconds."""
        return self._window

    @property
    def calls(self) -> int:
        """Calls admitted so far."""
        return self._calls

    @property
    def rate_limited(self) -> int:
        """Responses with status 429 seen so far."""
        return self._rate_limited

    @property
    def waits(self) -> int:
        """Admissions that had to wait."""
        return self._waits

    def delay_hint(self) -> float:
        """Roughly how long a call made now would be held (for log lines, not for waiting)."""
        with self._lock:
            now = self._clock()
            if now < self._blocked_until:
                return self._blocked_until - now
            spent = self._remaining is not None and self._remaining - self._in_flight <= 0
            if self._reset is not None and spent:
                return max(0.0, self._window_end() - now)
            return 0.0

    def stats(self) -> RateBudgetStats:
        """A consistent snapshot of the counters."""
        with self._lock:
            return RateBudgetStats(
                calls=self._calls,
                rate_limited=self._rate_limited,
                waits=self._waits,
                waited_seconds=self._waited_seconds,
                limit_per_window=self._limit,
                window_seconds=self._window,
                remaining=self._remaining,
                in_flight=self._in_flight,
                clock_offset=self._offset.value,
            )

    def __repr__(self) -> str:
        return (
            f"RateBudget(limit_per_window={self._limit}, window_seconds={self._window}, "
            f"calls={self._calls}, rate_limited={self._rate_limited}, waits={self._waits})"
        )

    # -- admission -------------------------------------------------------------------------

    def acquire(self) -> Permit:
        """Block until one more call fits the budget, then admit it."""
        started = self._clock()
        held = False
        while True:
            with self._lock:
                now = self._clock()
                delay, probe = self._delay_before_call(now)
                if delay <= 0.0:
                    self._in_flight += 1
                    self._calls += 1
                    self._last_admitted = now
                    if probe:
                        self._probe_started = now
                    waited = max(0.0, now - started) if held else 0.0
                    self._waited_seconds += waited
                    return Permit(sent_at=now, probe=probe, waited=waited)
                if not held:
                    self._waits += 1
                    held = True
            self._sleep(delay)

    def complete(self, permit: Permit, status_code: int, headers: Mapping[str, str]) -> None:
        """Record the answer to an admitted call and learn from its rate-limit headers."""
        now = self._clock()
        info = RateLimitInfo.from_headers(headers, now)
        with self._lock:
            self._release(permit)
            if info.reset is not None:
                high = now - info.reset + self._window  # it was counted after the window began
                if info.server_date is not None:
                    high = min(high, now - info.server_date)
                self._offset.observe(permit.sent_at - info.reset, high)
            if info.limit is not None:
                self._limit = info.limit
            self._learn_window(info, permit)
            if status_code == 429:
                self._on_rate_limited(now, info)
            else:
                self._consecutive_429 = 0

    def cancel(self, permit: Permit) -> None:
        """Release an admitted call that got no answer (transport error)."""
        with self._lock:
            self._release(permit)

    # -- internals (called with the lock held) ------------------------------------------------

    def _release(self, permit: Permit) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        if permit.probe:
            self._probe_started = None

    def _window_end(self) -> float:
        """Local time at which the current window is expected to have reset."""
        assert self._reset is not None
        return self._reset + self._offset.value + self._window_jitter

    def _delay_before_call(self, now: float) -> tuple[float, bool]:
        """(seconds to wait, whether the call is a probe); a delay <= 0 admits the call."""
        if now < self._blocked_until:
            return self._blocked_until - now, False
        if self._reset is None:
            return 0.0, False  # no window known: nothing to hold back for
        end = self._window_end()
        if now >= end:
            if self._probe_started is not None:
                probing_for = now - self._probe_started
                if probing_for < self._probe_timeout:
                    return min(_POLL_SECONDS, self._probe_timeout - probing_for), False
            return 0.0, True
        # Shared: the others have as many calls in flight as this budget, and each may have
        # spent one more since this budget's last answer ("Remaining" is that old).
        held_back = (self._in_flight + 1) * self._consumers - 1
        if self._remaining is not None and self._remaining - held_back <= 0:
            wait = min(end - now, self._window + self._reset_jitter)
            # Answers still in flight may show that budget is left (we count them twice).
            return (min(wait, _POLL_SECONDS) if self._in_flight else wait), False
        if self._consumers > 1.0 and self._remaining is not None:
            # Shared: spread this budget's part of what is left over the rest of the window,
            # so that no burst spends it before the others' answers can say so.
            share = (self._remaining - held_back) / self._consumers
            wait = self._last_admitted + (end - now) / max(share, 1.0) - now
            if wait > 0:
                return min(wait, _POLL_SECONDS), False
        return 0.0, False

    def _learn_window(self, info: RateLimitInfo, permit: Permit) -> None:
        if info.reset is None or info.remaining is None:
            if permit.probe:  # the window cannot be seen: stop holding calls for it
                self._reset = None
                self._remaining = None
            return
        if self._reset is None or info.reset > self._reset:
            self._estimate_consumers()
            self._reset = info.reset
            self._remaining = info.remaining
            self._own_answers = 1
            self._window_jitter = self._rng.uniform(0.0, self._reset_jitter)
        elif info.reset == self._reset:
            current = self._remaining
            self._remaining = info.remaining if current is None else min(current, info.remaining)
            self._own_answers += 1
        # An older window's answer (a slow call) says nothing about the current one.

    def _estimate_consumers(self) -> None:
        """At the end of a window: how many budgets shared it (module docstring)."""
        if self._limit is None or self._remaining is None or self._own_answers < _MIN_OWN_ANSWERS:
            return  # too few answers of our own to tell: keep the last estimate
        spent = self._limit - self._remaining
        self._consumers = min(float(_MAX_CONSUMERS), max(1.0, spent / self._own_answers))

    def _on_rate_limited(self, now: float, info: RateLimitInfo) -> None:
        self._rate_limited += 1
        self._consecutive_429 += 1
        doubling = 2.0 ** min(self._consecutive_429 - 1, 16)
        stale = info.reset is not None and self._reset is not None and info.reset < self._reset
        if stale and info.retry_after is None:
            return  # refused in a window that is already over: nothing to wait for
        if info.retry_after is not None:
            wait = min(info.retry_after, self._max_wait)
        elif self._reset is not None and info.reset is not None:
            if info.reset == self._reset:
                self._remaining = 0
            floor = min(self._window, _MIN_429_WAIT * doubling)
            until_reset = min(self._window_end() - now, self._window + self._reset_jitter)
            wait = max(floor, until_reset)
        else:
            wait = min(self._window, _BLIND_429_WAIT * doubling)
        self._blocked_until = max(self._blocked_until, now + wait)
