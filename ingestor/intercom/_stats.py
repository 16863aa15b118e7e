"""Call statistics of one client, and the concurrency they suggest."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from ingestor.histogram import REQUEST_BUCKETS, Histogram
from ingestor.http import Attempt, RateBudget, RateBudgetStats

__all__ = ["ClientStats", "StatsRecorder"]

#: Weight of the newest sample in the latency average.
_EWMA_ALPHA = 0.2
#: Before any answer: few enough parallel calls to be polite, enough to make progress.
_INITIAL_CONCURRENCY = 8
#: Intercom's documented private-app limit (10,000 calls/minute), used until headers say otherwise.
_ASSUMED_CALLS_PER_SECOND = 10_000 / 60
#: The status label of an attempt that got no answer (connect error, timeout, dropped connection).
TRANSPORT_ERROR = "error"
#: Parallel calls beyond the Little's-law minimum, to absorb latency variance and client overhead.
_HEADROOM = 1.5


@dataclass(frozen=True, slots=True)
class ClientStats:
    """A snapshot of what a client has done so far.

    Attributes:
        calls_by_operation: HTTP requests sent per operationId (retries included).
        calls_by_status: The same by ``(operationId, status)``: the HTTP status code as text,
            or ``"error"`` when no answer came.
        latency_by_operation: Seconds from sending to answer (or transport error) per
            operationId, bucketed; copies, safe to keep.
        calls: All HTTP requests sent.
        retries: Requests that repeated an earlier failed one.
        rate_limited: 429 answers.
        server_errors: 5xx answers.
        transport_errors: Requests that got no answer (connect, timeout, dropped connection).
        latency_ewma: Exponentially weighted mean round trip in seconds (None before any answer).
        budget: The rate budget's counters (shared with other clients when the budget is).
    """

    calls_by_operation: Mapping[str, int]
    calls_by_status: Mapping[tuple[str, str], int]
    latency_by_operation: Mapping[str, Histogram]
    calls: int
    retries: int
    rate_limited: int
    server_errors: int
    transport_errors: int
    latency_ewma: float | None
    budget: RateBudgetStats


class StatsRecorder:
    """Thread-safe counters fed by every attempt the client makes."""

    def __init__(self, budget: RateBudget, max_connections: int) -> None:
        self._budget = budget
        self._max_connections = max_connections
        self._lock = threading.Lock()
        self._by_status: Counter[tuple[str, str]] = Counter()
        self._latencies: dict[str, Histogram] = {}
        self._retries = 0
        self._rate_limited = 0
        self._server_errors = 0
        self._transport_errors = 0
        self._latency: float | None = None

    def record(self, operation: str, attempt: Attempt) -> None:
        """Count one attempt of ``operation``."""
        response = attempt.response
        status_label = TRANSPORT_ERROR if response is None else str(response.status_code)
        with self._lock:
            self._by_status[operation, status_label] += 1
            latency = self._latencies.get(operation)
            if latency is None:
                latency = self._latencies[operation] = Histogram(REQUEST_BUCKETS)
            latency.observe(attempt.elapsed)
            if attempt.number > 1:
                self._retries += 1
            if response is None:
                self._transport_errors += 1
                return
            status = response.status_code
            if status == 429:
                self._rate_limited += 1
            elif status >= 500:
                self._server_errors += 1
            previous = self._latency
            self._latency = (
                attempt.elapsed
                if previous is None
                else previous + _EWMA_ALPHA * (attempt.elapsed - previous)
            )

    def snapshot(self) -> ClientStats:
        """The counters as they are now."""
        budget = self._budget.stats()
        with self._lock:
            by_operation: Counter[str] = Counter()
            for (operation, _), count in self._by_status.items():
                by_operation[operation] += count
            return ClientStats(
                calls_by_operation=dict(by_operation),
                calls_by_status=dict(self._by_status),
                latency_by_operation={op: h.copy() for op, h in self._latencies.items()},
                calls=sum(by_operation.values()),
                retries=self._retries,
                rate_limited=self._rate_limited,
                server_errors=self._server_errors,
                transport_errors=self._transport_errors,
                latency_ewma=self._latency,
                budget=budget,
            )

    def suggested_concurrency(self) -> int:
        """Parallel calls that keep the rate-limit window busy without queueing in the budget.

        Little's law: calls in flight = throughput x latency, where throughput is the rate
        limit (``X-RateLimit-Limit`` / window) and latency the observed round trip; times a
        headroom factor, clamped to ``[1, max_connections]``. Before any answer: 8.
        """
        with self._lock:
            latency = self._latency
        limit = self._budget.limit_per_window
        if latency is None and limit is None:
            return max(1, min(_INITIAL_CONCURRENCY, self._max_connections))
        if limit is not None:
            per_second = limit / self._budget.window_seconds
        else:
            per_second = _ASSUMED_CALLS_PER_SECOND
        wanted = math.ceil(per_second * (latency or 0.1) * _HEADROOM)
        return max(1, min(wanted, self._max_connections))
