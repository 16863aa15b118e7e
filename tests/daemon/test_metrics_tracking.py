"""What the daemon's histograms and "last complete run" are made of: the bucket counts, the
tracker's folding of runs and client calls, its seeding from a real state database, and the
naming rules' checker (which must catch what it is meant to)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestor.daemon._tracker import Tracker
from ingestor.emulator import EmulatorServer
from ingestor.engine.report import SyncReport
from ingestor.errors import PageError
from ingestor.histogram import Histogram
from ingestor.intercom import IntercomClient
from ingestor.state import RunCounts, Store

from .metric_lint import lint_exposition


def test_histogram_buckets_are_inclusive_and_cumulative() -> None:
    histogram = Histogram((0.1, 1.0))
    for value in (0.1, 0.5, 1.0, 7.0, -3.0):  # a clock step backwards counts as 0
        histogram.observe(value)
    assert histogram.cumulative() == [("0.1", 2), ("1.0", 4), ("+Inf", 5)]
    assert (histogram.count, histogram.sum) == (5, pytest.approx(8.6))
    twin = histogram.copy()
    twin.merge(histogram)
    assert twin.cumulative() == [("0.1", 4), ("1.0", 8), ("+Inf", 10)]
    assert histogram.count == 5  # the copy is independent
    with pytest.raises(ValueError, match="different buckets"):
        twin.merge(Histogram((0.1, 2.0)))
    for bad in ((), (1.0, 0.5), (1.0, 1.0), (1.0, float("inf"))):
        with pytest.raises(ValueError, match="ascending"):
            Histogram(bad)


def test_a_connector_partial_forever_keeps_its_last_complete_run() -> None:
    tracker = Tracker()
    tracker.ensure("wiki", "every 1h")

    def run(report: SyncReport | None, *, failed: bool = False) -> None:
        progress = tracker.start_run("wiki")
        progress.page_converted(0.02)
        [live] = tracker.snapshot()
        assert live.conversions.count == done_runs * 1 + 1  # the live run's pages show at once
        tracker.finish_run(progress, report, error=None, failed=failed, stats=None)

    done_runs = 0
    run(SyncReport("wiki", listed=1, created=1))
    done_runs += 1
    [first] = tracker.snapshot()
    assert first.last_complete_at is not None
    assert first.last_complete_at == first.last_success_at == first.last_run.finished_at  # type: ignore[union-attr]
    complete_at = first.last_complete_at

    run(SyncReport("wiki", listed=2, created=1, failed=1))  # partial: a page failed
    done_runs += 1
    run(SyncReport("wiki", listed=2, listing_complete=False))  # partial: listing cut short
    done_runs += 1
    run(None, failed=True)
    [snap] = tracker.snapshot()
    assert snap.runs["partial"] == 2 and snap.runs["failed"] == 1
    assert snap.last_complete_at == complete_at
    assert snap.last_success_at is not None and snap.last_success_at >= complete_at
    assert snap.run_durations.count == 4 and snap.conversions.count == 4
    assert snap.to_json(None)["last_complete_at"] == complete_at


def test_the_tracker_folds_a_clients_calls_by_status(emulator: EmulatorServer) -> None:
    tracker = Tracker()
    tracker.ensure("docs", "every 1h")
    progress = tracker.start_run("docs")
    with IntercomClient(emulator.token, base_url=emulator.url) as client:
        progress.client = client
        list(client.list_sources())
        [live] = tracker.snapshot()
        assert live.requests_by_status == {("listContentImportSources", "200"): 1}
        with pytest.raises(PageError):
            client.get_page("404404")
        tracker.finish_run(
            progress, SyncReport("docs"), error=None, failed=False, stats=client.stats()
        )
    [done] = tracker.snapshot()
    assert done.requests_by_status == {
        ("listContentImportSources", "200"): 1,
        ("getExternalPage", "404"): 1,
    }
    assert done.requests == {"listContentImportSources": 1, "getExternalPage": 1}
    assert {op: h.count for op, h in done.latency.items()} == done.requests


def test_seeding_finds_the_last_complete_run_behind_many_partial_ones(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        complete = store.begin_run("wiki")
        store.finish_run(complete, status="ok", counts=RunCounts())
        for _ in range(60):  # more than the 50 recent runs the tracker reads
            partial = store.begin_run("wiki")
            store.finish_run(partial, status="partial", counts=RunCounts(failed=1))
        dry = store.begin_run("wiki", dry_run=True)  # a dry run changed nothing in Intercom
        store.finish_run(dry, status="ok", counts=RunCounts())
        runs = {r.id: r for r in store.recent_runs("wiki", limit=100)}
        tracker = Tracker()
        tracker.ensure("wiki", "every 1h")
        tracker.seed_from_state(store, ["wiki"])
    [snap] = tracker.snapshot()
    assert snap.last_complete_at == runs[complete].finished_at
    assert snap.last_success_at == runs[partial].finished_at


_BROKEN = """\
# HELP jobsDone Jobs.
# TYPE jobsDone counter
jobsDone 1
# HELP queue_total Items queued.
# TYPE queue_total gauge
queue_total 3
# HELP wait_milliseconds Wait.
# TYPE wait_milliseconds gauge
wait_milliseconds 3
# HELP started_timestamp Start.
# HELP started_timestamp Start again.
# TYPE started_timestamp gauge
started_timestamp 1
# HELP call_duration Calls.
# TYPE call_duration histogram
call_duration_bucket{le="1.0"} 4
call_duration_bucket{le="0.5"} 2
call_duration_bucket{le="+Inf"} 3
call_duration_count 5
# HELP cut_seconds Cut.
# TYPE cut_seconds histogram
cut_seconds_bucket{le="1.0"} 1
cut_seconds_count 1
cut_seconds_sum 1
stray_total 1
"""


def test_the_naming_checker_finds_each_broken_rule() -> None:
    problems = lint_exposition(_BROKEN)
    expected = [
        "jobsDone: not snake_case",
        "jobsDone: a counter's name must end in _total",
        "queue_total: only counters end in _total (gauge)",
        "wait_milliseconds: 'milliseconds' is not a base unit",
        "started_timestamp: HELP given twice",
        "started_timestamp: a timestamp is in seconds",
        "call_duration: a duration histogram's unit is seconds",
        "call_duration{}: le bounds must ascend",
        "call_duration{}: cumulative bucket counts decrease",
        "call_duration{}: _count 5.0 is not the +Inf bucket 3.0",
        "call_duration{}: no _sum",
        'cut_seconds{}: the last bucket must be le="+Inf"',
        "stray_total: sample without a TYPE",
    ]
    for message in expected:
        assert any(p.startswith(message) for p in problems), (message, problems)
    assert len(problems) == len(expected), problems
    fixed = _BROKEN.replace("jobsDone", "jobs_done_total").split("# HELP q")[0]
    assert lint_exposition(fixed) == []
