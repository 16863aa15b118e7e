"""The daemon's parts in-process: reload bookkeeping, the endpoint, run accounting."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestor.daemon import Daemon, judge_run
from ingestor.daemon._endpoint import Endpoint
from ingestor.daemon._tracker import Tracker
from ingestor.engine.report import Outcome, PageEvent, SyncReport
from ingestor.errors import AuthenticationError, IntercomUnreachable
from ingestor.state import Store

from .conftest import Deployment, wait_for

pytestmark = pytest.mark.timeout(60)
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def running_daemon(deployment: Deployment) -> Iterator[tuple[Daemon, Deployment]]:
    """A daemon on a background thread (signals stay with pytest); stopped after the test."""
    deployment.write_config(
        [deployment.connector("a"), deployment.connector("b")],
        daemon={"schedule": {"every": "1h"}},
    )
    daemon = Daemon(deployment.config_path, deployment.config(), environ=deployment.env)
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(daemon.run()), daemon=True)
    thread.start()
    assert daemon.started.wait(15)
    yield daemon, deployment
    daemon.request_stop()
    thread.join(15)
    assert codes == [0]


def test_reload_adds_removes_and_reschedules_connectors(
    running_daemon: tuple[Daemon, Deployment],
) -> None:
    daemon, deployment = running_daemon
    assert sorted(daemon.tracker.names()) == ["a", "b"]
    deployment.write_config(
        [
            deployment.connector("a", schedule={"every": "2h"}),
            deployment.connector("c", schedule={"cron": "0 3 * * *"}),
        ],
        daemon={"schedule": {"every": "1h"}},
    )
    daemon.request_reload()
    wait_for(lambda: daemon.reloads["ok"] == 1)
    assert sorted(daemon.tracker.names()) == ["a", "c"]
    assert daemon.next_run_at("b") is None and daemon.next_run_at("c") is not None
    schedules = {snap.name: snap.schedule for snap in daemon.tracker.snapshot()}
    assert schedules == {"a": "every 2h", "c": "cron 0 3 * * * (UTC)"}


def test_reload_refuses_a_new_state_path_and_keeps_the_config(
    running_daemon: tuple[Daemon, Deployment],
) -> None:
    daemon, deployment = running_daemon
    before = daemon.config
    deployment.state = deployment.tmp / "elsewhere.db"
    deployment.write_config([deployment.connector("a")])
    assert daemon.reload() is False
    assert daemon.config is before and daemon.reloads["error"] == 1
    assert daemon.last_reload is not None
    [problem] = daemon.last_reload["errors"]
    assert "the state database changed" in problem and "restart" in problem
    assert sorted(daemon.tracker.names()) == ["a", "b"]


def test_endpoint_routes_errors_and_head(tmp_path: Path) -> None:
    def broken() -> tuple[int, str, bytes]:
        raise RuntimeError("secret detail")

    routes = {"/ok": lambda: (200, "text/plain", b"fine"), "/broken": broken}
    endpoint = Endpoint("127.0.0.1", 0, routes).start()
    try:

        def fetch(path: str, method: str = "GET") -> tuple[int, bytes]:
            request = urllib.request.Request(endpoint.url + path, method=method)
            try:
                with _DIRECT.open(request, timeout=10) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as error:
                return error.code, error.read()

        assert fetch("/ok") == (200, b"fine")
        assert fetch("/ok?x=1", "HEAD") == (200, b"")
        assert fetch("/broken") == (500, b"RuntimeError\n")  # never the message
        status, body = fetch("/missing")
        assert status == 404 and b"/ok" in body
    finally:
        endpoint.stop()


def test_tracker_folds_live_and_finished_runs() -> None:
    tracker = Tracker()
    tracker.ensure("docs", "every 1h")
    progress = tracker.start_run("docs")
    progress.listed("docs", total=10, to_process=3)
    progress.page_done("docs", PageEvent("a", Outcome.CREATED))
    [live] = tracker.snapshot()
    assert (live.running, live.pending_pages, live.pages["created"]) == (True, 2, 1)

    progress.page_done("docs", PageEvent("b", Outcome.UNCHANGED))
    progress.page_done("docs", PageEvent("c", Outcome.FAILED))
    report = SyncReport("docs", run_id=7, created=1, unchanged=8, failed=1, listed=10)
    assert tracker.finish_run(progress, report, error=None, failed=False, stats=None) == 0
    [done] = tracker.snapshot()
    assert done.running is False and done.pending_pages == 0
    assert done.pages == {
        "created": 1,
        "updated": 0,
        "unchanged": 8,
        "deleted": 0,
        "failed": 1,
        "skipped": 0,
        "excluded": 0,
        "held": 0,
        "hidden": 0,
    }
    assert done.runs["partial"] == 1 and done.last_success_at is not None
    assert json.dumps(done.to_json(None))  # /status can serialise it


def test_hidden_and_deleted_pages_do_not_count_as_processed() -> None:
    tracker = Tracker()
    tracker.ensure("docs", "every 1h")
    progress = tracker.start_run("docs")
    progress.listed("docs", total=5, to_process=2)
    progress.page_done("docs", PageEvent("gone", Outcome.HIDDEN))
    progress.page_done("docs", PageEvent("older", Outcome.DELETED))
    [live] = tracker.snapshot()
    assert (live.pending_pages, live.pages["hidden"], live.pages["deleted"]) == (2, 1, 1)


def test_judge_run_tells_failures_from_auth_and_partial_runs() -> None:
    ok = SyncReport("x", listed=3)
    assert judge_run(ok, None).failed is False
    unreachable = SyncReport("x", listed=0, listing_complete=False)
    unreachable.listing_problems.append("cannot list /mnt/share: No such file or directory")
    verdict = judge_run(unreachable, None)
    assert verdict.failed and "source unreachable: cannot list /mnt/share" in (verdict.error or "")
    partly = SyncReport("x", listed=5, listing_complete=False, failed=2)
    assert judge_run(partly, None).failed is False  # pages retried next run anyway
    down = SyncReport("x", error="Intercom unreachable", exception=IntercomUnreachable("down"))
    assert judge_run(down, None).failed is True
    refused = AuthenticationError("refused", status_code=401)
    auth = judge_run(SyncReport("x", error=str(refused), exception=refused), None)
    assert auth.auth_failure is refused and auth.failed is False
    assert judge_run(None, RuntimeError("bug")).error == "RuntimeError: bug"


def test_tracker_counts_the_runs_a_killed_process_left(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store.open(path) as store:
        finished = store.begin_run("docs")
        store.finish_run(finished, status="ok", counts=SyncReport("docs"))
        store.begin_run("docs")  # never finished: as if the process was killed here
    with Store.open(path) as store:  # what the daemon opens at start
        assert len(store.died_runs) == 1
        tracker = Tracker()
        tracker.ensure("docs", "every 1h")
        tracker.seed_from_state(store, ["docs"])
    [snap] = tracker.snapshot()
    assert snap.runs["died"] == 1 and snap.runs["ok"] == 0  # only what this daemon found
    assert snap.last_run is not None and snap.last_run.status == "died"
    assert snap.last_success_at is not None
