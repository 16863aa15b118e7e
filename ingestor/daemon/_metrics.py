"""Prometheus metrics of the daemon, on a private registry (never the global one).

Connector metrics are computed at scrape time from the tracker's snapshot, so they cannot
drift from what ``/status`` shows. Process metrics come from prometheus_client's collectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ingestor import __version__
from ingestor.daemon._tracker import ConnectorSnapshot
from ingestor.http import RateBudgetStats

__all__ = ["CONTENT_TYPE_LATEST", "MetricsData", "build_registry", "render"]

PREFIX = "fin_ingestor"


@dataclass(frozen=True, slots=True)
class MetricsData:
    """Everything one scrape exports."""

    connectors: Sequence[tuple[ConnectorSnapshot, float | None]]  # with the next run time
    writes_paused: bool
    reloads: Mapping[str, int]  # by result: ok / error
    failing_pages: Mapping[str, int] | None  # None when the state database could not be read
    budget: RateBudgetStats


class _DaemonCollector(Collector):
    def __init__(self, source: Callable[[], MetricsData]) -> None:
        self._source = source

    def describe(self) -> Iterator[Metric]:
        return iter(())  # computed per scrape; nothing to pre-declare

    def collect(self) -> Iterator[Metric]:
        data = self._source()
        yield InfoMetricFamily(PREFIX, "fin-ingestor build", value={"version": __version__})
        paused = GaugeMetricFamily(
            f"{PREFIX}_writes_paused",
            "1 while Intercom refuses the access token and every write is paused",
        )
        paused.add_metric([], 1.0 if data.writes_paused else 0.0)
        yield paused
        reloads = CounterMetricFamily(
            f"{PREFIX}_config_reloads", "Config reloads (SIGHUP) by result", labels=["result"]
        )
        for result in ("ok", "error"):
            reloads.add_metric([result], data.reloads.get(result, 0))
        yield reloads
        yield from _budget_metrics(data.budget)
        yield from _connector_metrics(data.connectors, data.failing_pages)


def _budget_metrics(budget: RateBudgetStats) -> Iterator[Metric]:
    waits = CounterMetricFamily(
        f"{PREFIX}_rate_budget_waits",
        "Intercom calls held back by the shared rate budget to stay inside the window",
    )
    waits.add_metric([], budget.waits)
    yield waits
    waited = CounterMetricFamily(
        f"{PREFIX}_rate_budget_waited_seconds", "Time calls spent held by the rate budget"
    )
    waited.add_metric([], budget.waited_seconds)
    yield waited
    if budget.limit_per_window is not None:
        limit = GaugeMetricFamily(
            f"{PREFIX}_rate_limit_per_window", "Calls per window, as Intercom last reported it"
        )
        limit.add_metric([], budget.limit_per_window)
        yield limit


def _connector_metrics(
    connectors: Sequence[tuple[ConnectorSnapshot, float | None]],
    failing_pages: Mapping[str, int] | None,
) -> Iterator[Metric]:
    label = ["connector"]
    gauges = {
        "running": GaugeMetricFamily(
            f"{PREFIX}_sync_running", "1 while the connector is syncing", labels=label
        ),
        "pending": GaugeMetricFamily(
            f"{PREFIX}_pending_pages",
            "Pages of the running sync still to fetch, convert and upload",
            labels=label,
        ),
        "last_success": GaugeMetricFamily(
            f"{PREFIX}_last_success_timestamp_seconds",
            "When the last successful (ok or partial) run finished",
            labels=label,
        ),
        "last_run": GaugeMetricFamily(
            f"{PREFIX}_last_run_timestamp_seconds", "When the last run finished", labels=label
        ),
        "duration": GaugeMetricFamily(
            f"{PREFIX}_last_run_duration_seconds", "How long the last run took", labels=label
        ),
        "failures": GaugeMetricFamily(
            f"{PREFIX}_consecutive_failures",
            "Failed runs in a row (source unreachable, Intercom down)",
            labels=label,
        ),
        "backoff": GaugeMetricFamily(
            f"{PREFIX}_backoff_seconds",
            "Current backoff after failed runs (0 when healthy)",
            labels=label,
        ),
        "next_run": GaugeMetricFamily(
            f"{PREFIX}_next_run_timestamp_seconds", "When the next run is due", labels=label
        ),
        "failing_pages": GaugeMetricFamily(
            f"{PREFIX}_failing_pages",
            "Pages whose latest upload attempt failed (retried every run)",
            labels=label,
        ),
    }
    runs = CounterMetricFamily(
        f"{PREFIX}_runs", "Finished runs by status", labels=["connector", "status"]
    )
    pages = CounterMetricFamily(
        f"{PREFIX}_pages",
        "Pages by outcome (created, updated, unchanged, deleted, failed)",
        labels=["connector", "outcome"],
    )
    requests = CounterMetricFamily(
        f"{PREFIX}_intercom_requests",
        "HTTP requests sent to Intercom (retries included) by operationId",
        labels=["connector", "operation"],
    )
    limited = CounterMetricFamily(
        f"{PREFIX}_intercom_rate_limited", "429 answers from Intercom", labels=label
    )
    skipped = CounterMetricFamily(
        f"{PREFIX}_skipped_runs",
        "Scheduled runs that did not start (still_running, writes_paused)",
        labels=["connector", "reason"],
    )
    for snap, next_run_at in connectors:
        name = [snap.name]
        gauges["running"].add_metric(name, 1.0 if snap.running else 0.0)
        gauges["pending"].add_metric(name, snap.pending_pages)
        gauges["failures"].add_metric(name, snap.consecutive_failures)
        gauges["backoff"].add_metric(name, snap.backoff_seconds)
        if snap.last_success_at is not None:
            gauges["last_success"].add_metric(name, snap.last_success_at)
        if snap.last_run is not None:
            gauges["last_run"].add_metric(name, snap.last_run.finished_at)
            gauges["duration"].add_metric(name, snap.last_run.duration)
        if next_run_at is not None:
            gauges["next_run"].add_metric(name, next_run_at)
        if failing_pages is not None:
            gauges["failing_pages"].add_metric(name, failing_pages.get(snap.name, 0))
        limited.add_metric(name, snap.rate_limited)
        for status, count in sorted(snap.runs.items()):
            runs.add_metric([snap.name, status], count)
        for outcome, count in sorted(snap.pages.items()):
            pages.add_metric([snap.name, outcome], count)
        for operation, count in sorted(snap.requests.items()):
            requests.add_metric([snap.name, operation], count)
        for reason in ("still_running", "writes_paused"):
            skipped.add_metric([snap.name, reason], snap.skipped.get(reason, 0))
    yield from gauges.values()
    yield from (runs, pages, requests, limited, skipped)


def build_registry(source: Callable[[], MetricsData]) -> CollectorRegistry:
    """A private registry with process, platform and GC metrics plus the daemon's own."""
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    registry.register(_DaemonCollector(source))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text exposition of ``registry``."""
    return generate_latest(registry)
