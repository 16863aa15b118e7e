"""The per-connector distributions of ``/metrics``: Intercom calls by operation and status code
with their latency, page conversion times and run durations.

Prometheus histograms (``_bucket{le=...}``, ``_sum``, ``_count``) built at scrape time from the
tracker's snapshots, like the rest of the daemon's metrics (see ``_metrics.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric

from ingestor.daemon._tracker import ConnectorSnapshot
from ingestor.histogram import Histogram

__all__ = ["distribution_metrics"]

PREFIX = "fin_ingestor"


def distribution_metrics(connectors: Sequence[ConnectorSnapshot]) -> Iterator[Metric]:
    """Intercom requests and latency by operation, conversion and run durations."""
    requests = CounterMetricFamily(
        f"{PREFIX}_intercom_requests",
        "HTTP requests sent to Intercom (retries included) by operationId and status code; "
        'status_code="error" when no answer came (connect error, timeout, dropped connection)',
        labels=["connector", "operation", "status_code"],
    )
    latency = HistogramMetricFamily(
        f"{PREFIX}_intercom_request_duration_seconds",
        "Seconds from sending an Intercom request to its answer or transport error, "
        "each retry counted apart",
        labels=["connector", "operation"],
    )
    conversions = HistogramMetricFamily(
        f"{PREFIX}_page_conversion_duration_seconds",
        "Seconds one page spent in conversion to Intercom's HTML (with any wait for a worker)",
        labels=["connector"],
    )
    runs = HistogramMetricFamily(
        f"{PREFIX}_run_duration_seconds",
        "Seconds each finished run took, whatever its status",
        labels=["connector"],
    )
    for snap in connectors:
        for (operation, status), count in sorted(snap.requests_by_status.items()):
            requests.add_metric([snap.name, operation, status], count)
        for operation, histogram in sorted(snap.latency.items()):
            _add(latency, [snap.name, operation], histogram)
        _add(conversions, [snap.name], snap.conversions)
        _add(runs, [snap.name], snap.run_durations)
    yield from (requests, latency, conversions, runs)


def _add(family: HistogramMetricFamily, labels: list[str], histogram: Histogram) -> None:
    buckets: list[tuple[str, float]] = [(le, float(n)) for le, n in histogram.cumulative()]
    family.add_metric(labels, buckets, histogram.sum)
