"""The breaker that tells one page's failure from an Intercom that fails every call.

Its clock is a plain counter the test moves: the rule is about elapsed time, and a test that
slept would be slow and flaky.
"""

from __future__ import annotations

import pytest

from ingestor.engine.breaker import UnreachableBreaker
from ingestor.errors import IntercomUnreachable, RetriableError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


ERROR = RetriableError("upsert failed", status_code=503)


def test_it_trips_only_after_enough_failures_and_enough_quiet_time() -> None:
    clock = Clock()
    breaker = UnreachableBreaker(after_failures=3, after_seconds=120, clock=clock)
    assert breaker.failed(ERROR) is None
    assert breaker.failed(ERROR) is None
    assert breaker.failed(ERROR) is None  # three failures, but only 0 s without a success
    clock.now += 119
    assert breaker.failed(ERROR) is None
    clock.now += 1
    tripped = breaker.failed(ERROR)
    assert isinstance(tripped, IntercomUnreachable)
    assert "the last 5 pages" in str(tripped) and "120s" in str(tripped)
    assert "HTTP 503" in str(tripped)


def test_a_success_resets_both_bounds() -> None:
    clock = Clock()
    breaker = UnreachableBreaker(after_failures=2, after_seconds=10, clock=clock)
    clock.now += 60
    assert breaker.failed(ERROR) is None  # one failure alone never ends a run
    breaker.succeeded()
    assert breaker.failed(ERROR) is None
    clock.now += 9
    assert breaker.failed(ERROR) is None  # two in a row, but a success 9 s ago
    clock.now += 1
    assert breaker.failed(ERROR) is not None


def test_bounds_are_checked() -> None:
    with pytest.raises(ValueError):
        UnreachableBreaker(after_failures=0)
