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
from ingestor.daemon._histograms import distribution_metrics
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
    #: The readiness checks of ``/readyz`` by name (config, state, intercom, ...): passed or not.
    ready_checks: Mapping[str, bool]


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
        yield from _readiness_metrics(data.ready_checks)
        reloads = CounterMetricFamily(
            f"{PREFIX}_config_reloads", "Config reloads (SIGHUP) by result", labels=["result"]
        )
        for result in ("ok", "error"):
            reloads.add_metric([result], data.reloads.get(result, 0))
        yield reloads
        yield from _budget_metrics(data.budget)
        yield from _connector_metrics(data.connectors, data.failing_pages)
        yield from distribution_metrics([snap for snap, _ in data.connectors])


def _readiness_metrics(checks: Mapping[str, bool]) -> Iterator[Metric]:
    ready = GaugeMetricFamily(f"{PREFIX}_ready", "1 when /readyz answers 200 (every check passes)")
    ready.add_metric([], 1.0 if all(checks.values()) else 0.0)
    yield ready
    by_check = GaugeMetricFamily(
        f"{PREFIX}_readiness_check",
        "1 when this check of /readyz passes (state: the state database answers)",
        labels=["check"],
    )
    for name, passed in sorted(checks.items()):
        by_check.add_metric([name], 1.0 if passed else 0.0)
    yield by_check


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


#: The per-connector gauges: key, metric name (after the prefix), help.
_GAUGES = (
    ("running", "sync_running", "1 while the connector is syncing"),
    ("pending", "pending_pages", "Pages of the running sync still to fetch, convert and upload"),
    (
        "last_success",
        "last_success_timestamp_seconds",
        "When the last successful (ok or partial) run finished",
    ),
    (
        "last_complete",
        "last_complete_run_timestamp_seconds",
        "When the last complete run (status ok: listing whole, no page failed) finished",
    ),
    ("last_run", "last_run_timestamp_seconds", "When the last run finished"),
    ("duration", "last_run_duration_seconds", "How long the last run took"),
    (
        "failures",
        "consecutive_failures",
        "Failed runs in a row (source unreachable, Intercom down)",
    ),
    ("backoff", "backoff_seconds", "Current backoff after failed runs (0 when healthy)"),
    ("next_run", "next_run_timestamp_seconds", "When the next run is due"),
    (
        "failing_pages",
        "failing_pages",
        "Pages whose latest upload attempt failed (retried every run)",
    ),
)
#: The per-connector counters: key, metric name, help, the label beside ``connector``.
_COUNTERS = (
    ("runs", "runs", "Finished runs by status (died: left by a killed process)", "status"),
    (
        "pages",
        "pages",
        "Pages by outcome (created, updated, unchanged, deleted, failed)",
        "outcome",
    ),
    ("limited", "intercom_rate_limited", "429 answers from Intercom", None),
    (
        "skipped",
        "skipped_runs",
        "Scheduled runs that did not start (still_running, writes_paused, owned_elsewhere)",
        "reason",
    ),
)


def _connector_metrics(
    connectors: Sequence[tuple[ConnectorSnapshot, float | None]],
    failing_pages: Mapping[str, int] | None,
) -> Iterator[Metric]:
    gauges = {
        key: GaugeMetricFamily(f"{PREFIX}_{name}", text, labels=["connector"])
        for key, name, text in _GAUGES
    }
    counters = {
        key: CounterMetricFamily(
            f"{PREFIX}_{name}", text, labels=["connector", *([extra] if extra else [])]
        )
        for key, name, text, extra in _COUNTERS
    }
    for snap, next_run_at in connectors:
        failing = None if failing_pages is None else failing_pages.get(snap.name, 0)
        _add_gauges(gauges, snap, next_run_at, failing)
        _add_counters(counters, snap)
    yield from gauges.values()
    yield from counters.values()


def _add_gauges(
    gauges: Mapping[str, GaugeMetricFamily],
    snap: ConnectorSnapshot,
    next_run_at: float | None,
    failing: int | None,
) -> None:
    name = [snap.name]
    values: dict[str, float | None] = {
        "running": 1.0 if snap.running else 0.0,
        "pending": snap.pending_pages,
        "failures": snap.consecutive_failures,
        "backoff": snap.backoff_seconds,
        "last_success": snap.last_success_at,
        "last_complete": snap.last_complete_at,
        "last_run": snap.last_run.finished_at if snap.last_run is not None else None,
        "duration": snap.last_run.duration if snap.last_run is not None else None,
        "next_run": next_run_at,
        "failing_pages": failing,
    }
    for key, value in values.items():
        if value is not None:  # unknown yet: no sample rather than a misleading 0
            gauges[key].add_metric(name, value)


def _add_counters(counters: Mapping[str, CounterMetricFamily], snap: ConnectorSnapshot) -> None:
    counters["limited"].add_metric([snap.name], snap.rate_limited)
    for key, counts in (("runs", snap.runs), ("pages", snap.pages)):
        for label, count in sorted(counts.items()):
            counters[key].add_metric([snap.name, label], count)
    for reason in ("still_running", "writes_paused", "owned_elsewhere"):
        counters["skipped"].add_metric([snap.name, reason], snap.skipped.get(reason, 0))


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
