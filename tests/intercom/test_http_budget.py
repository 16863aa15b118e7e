"""RateBudget: admission by X-RateLimit headers, probing after resets, 429 waits, clock skew."""

from __future__ import annotations

import math
import random
import threading
from email.utils import formatdate

import httpx
import pytest

from ingestor.http import RateBudget

from .intercom_fakes import FakeClock

START = 1_700_000_000.0  # a multiple of 10: windows end at START + 10, + 20...


def limit_headers(limit: int, remaining: int, reset: float, **extra: str) -> httpx.Headers:
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(reset)),
    }
    headers.update(extra)
    return httpx.Headers(headers)


def new_budget(clock: FakeClock, **kwargs: float) -> RateBudget:
    return RateBudget(clock=clock.time, sleep=clock.sleep, rng=random.Random(1), **kwargs)


def test_without_headers_nothing_waits(clock: FakeClock) -> None:
    budget = new_budget(clock)
    for _ in range(100):
        budget.complete(budget.acquire(), 200, httpx.Headers())
    assert clock.sleeps == []
    assert (budget.calls, budget.waits, budget.limit_per_window) == (100, 0, None)
    assert budget.window_seconds == 10


def test_spent_window_holds_until_reset_then_probes_once(clock: FakeClock) -> None:
    budget = new_budget(clock, reset_jitter=0.25)
    reset = START + 10
    permit = budget.acquire()
    budget.complete(permit, 200, limit_headers(5, 0, reset))
    assert budget.limit_per_window == 5

    probe = budget.acquire()  # held until the window resets
    assert probe.probe
    assert reset <= clock.now <= reset + 0.25
    assert probe.waited == pytest.approx(clock.now - START)
    assert budget.waits == 1

    # While the probe is out nobody else starts; after probe_timeout another call may probe.
    before = clock.now
    second = budget.acquire()
    assert second.probe
    assert clock.now - before == pytest.approx(2.0, abs=0.05)

    budget.complete(probe, 200, limit_headers(5, 4, reset + 10))
    budget.complete(second, 200, limit_headers(5, 3, reset + 10))
    third = budget.acquire()
    assert not third.probe
    assert budget.stats().remaining == 3


def test_calls_in_flight_count_against_the_remaining_budget(clock: FakeClock) -> None:
    budget = new_budget(clock)
    budget.complete(budget.acquire(), 200, limit_headers(10, 3, START + 10))
    first, second, third = budget.acquire(), budget.acquire(), budget.acquire()
    assert clock.now == START  # three admitted at once: remaining 3
    assert budget.stats().in_flight == 3
    fourth = budget.acquire()  # held: 3 remaining, 3 in flight
    assert fourth.probe and clock.now >= START + 10
    for permit in (first, second, third):
        budget.cancel(permit)
    assert budget.stats().in_flight == 1


def test_answers_from_an_older_window_are_ignored(clock: FakeClock) -> None:
    budget = new_budget(clock)
    budget.complete(budget.acquire(), 200, limit_headers(10, 8, START + 20))
    budget.complete(budget.acquire(), 200, limit_headers(10, 0, START + 10))  # slow, stale
    assert budget.stats().remaining == 8
    budget.acquire()
    assert clock.sleeps == []


def test_a_429_from_a_finished_window_holds_nobody(clock: FakeClock) -> None:
    budget = new_budget(clock)
    budget.complete(budget.acquire(), 200, limit_headers(10, 9, START + 10))
    budget.complete(budget.acquire(), 429, limit_headers(10, 0, START))  # slow answer
    assert budget.rate_limited == 1
    budget.acquire()
    assert clock.sleeps == []


def test_429_waits_for_the_window_reset(clock: FakeClock) -> None:
    budget = new_budget(clock, reset_jitter=0.0)
    clock.now = START + 3
    budget.complete(budget.acquire(), 429, limit_headers(10, 0, START + 10))
    assert budget.rate_limited == 1
    permit = budget.acquire()
    assert clock.now == pytest.approx(START + 10)
    assert permit.probe


def test_429_honours_retry_after_over_reset(clock: FakeClock) -> None:
    budget = new_budget(clock)
    budget.complete(budget.acquire(), 429, httpx.Headers({"Retry-After": "7"}))
    budget.acquire()
    assert clock.now == pytest.approx(START + 7)
    # A Retry-After beyond max_wait is capped.
    other_clock = FakeClock()
    capped = new_budget(other_clock, max_wait=5.0)
    capped.complete(capped.acquire(), 429, httpx.Headers({"Retry-After": "3600"}))
    capped.acquire()
    assert other_clock.sleeps == [5.0]


def test_429_without_headers_backs_off_exponentially_up_to_a_window(clock: FakeClock) -> None:
    budget = new_budget(clock)
    for _ in range(7):
        budget.complete(budget.acquire(), 429, httpx.Headers())
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert budget.rate_limited == 7
    budget.complete(budget.acquire(), 200, httpx.Headers())  # success ends the streak
    budget.complete(budget.acquire(), 429, httpx.Headers())
    budget.acquire()
    assert clock.sleeps[-1] == 1.0


class SimulatedServer:
    """A fixed-window limiter whose clock is skewed from the client's; calls take ``latency``."""

    def __init__(self, clock: FakeClock, limit: int, skew: float, latency: float) -> None:
        self.clock, self.limit, self.skew, self.latency = clock, limit, skew, latency
        self.index: int | None = None
        self.count = 0
        self.ok = 0
        self.rejected = 0

    def call(self) -> tuple[int, httpx.Headers]:
        self.clock.now += self.latency / 2
        server_now = self.clock.now - self.skew
        index = math.floor(server_now / 10)
        if index != self.index:
            self.index, self.count = index, 0
        self.count += 1
        allowed = self.count <= self.limit
        self.ok += allowed
        self.rejected += not allowed
        headers = limit_headers(
            self.limit,
            max(0, self.limit - self.count),
            (index + 1) * 10,
            Date=formatdate(server_now, usegmt=True),
        )
        self.clock.now += self.latency / 2
        return (200 if allowed else 429), headers


@pytest.mark.parametrize("skew", [0.0, 3.0, -3.0, 0.4, -0.7])
def test_a_skewed_clock_still_fills_the_window_with_few_429s(skew: float) -> None:
    """Local clock ``skew`` seconds ahead of (or behind) the server's: the budget learns it."""
    clock = FakeClock(START + 0.5)
    budget = new_budget(clock)
    server = SimulatedServer(clock, limit=100, skew=skew, latency=0.02)
    first_window = math.floor((clock.now - skew) / 10)
    while server.ok < 2_000:
        permit = budget.acquire()
        status, headers = server.call()
        budget.complete(permit, status, headers)
    windows = math.floor((clock.now - skew) / 10) - first_window + 1
    assert server.rejected <= 0.01 * server.ok + 5  # a few while learning the skew, then none
    assert server.ok / (windows * server.limit) >= 0.9  # the ceiling is reached
    assert budget.stats().clock_offset == pytest.approx(skew, abs=1.0)


def test_budget_is_thread_safe(clock: FakeClock) -> None:
    budget = RateBudget()  # real clock: no headers means no waiting at all
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(500):
                budget.complete(budget.acquire(), 200, httpx.Headers())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    stats = budget.stats()
    assert (stats.calls, stats.in_flight) == (4_000, 0)


def test_a_window_others_spent_too_makes_the_budget_keep_their_share_back(
    clock: FakeClock,
) -> None:
    """Another process (a daemon instance elsewhere) spends the same account's window: this
    budget learns from ``Remaining`` that it got a third of the calls and then keeps back two
    others' calls in flight plus one each spent since its last answer, pacing what is left."""
    budget = new_budget(clock, reset_jitter=0.0)
    reset = START + 10
    remaining = 60
    for _ in range(10):  # each own call answered after two foreign ones
        permit = budget.acquire()
        remaining -= 3
        budget.complete(permit, 200, limit_headers(60, remaining, reset))
    assert clock.sleeps == []  # alone as far as it knew: nothing held back
    clock.now = reset
    probe = budget.acquire()  # the next window: the estimate of consumers is made
    assert probe.probe
    budget.complete(probe, 200, limit_headers(60, 4, reset + 10))
    # 4 left: held back (0 + 1) * 3 - 1 = 2 for the others; this budget's third of the other
    # 2 is paced over the rest of the window: one call, halfway to the reset...
    first = budget.acquire()
    assert clock.now == pytest.approx(reset + 5, abs=0.05)
    # ... and while it is in flight, (1 + 1) * 3 - 1 = 5 >= 4: the next waits for the reset
    second = budget.acquire()
    assert second.probe and clock.now >= reset + 10
    budget.complete(first, 200, limit_headers(60, 3, reset + 10))


def test_a_budget_alone_in_its_window_keeps_nothing_back(clock: FakeClock) -> None:
    budget = new_budget(clock, reset_jitter=0.0)
    reset = START + 10
    for remaining in range(59, 49, -1):  # every call the window counts is its own
        budget.complete(budget.acquire(), 200, limit_headers(60, remaining, reset))
    clock.now = reset
    budget.complete(budget.acquire(), 200, limit_headers(60, 2, reset + 10))
    permits = [budget.acquire(), budget.acquire()]  # both of the 2 left, at once
    assert clock.now == reset and not any(p.probe for p in permits)
