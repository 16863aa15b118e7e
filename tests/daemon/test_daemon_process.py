"""`ingestor daemon` as admins run it: a subprocess, real folders, the emulator over sockets."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.state import Store

from .conftest import DaemonProcess, Deployment, wait_for

pytestmark = pytest.mark.timeout(90)

StartDaemon = Callable[..., DaemonProcess]


@pytest.mark.state_backends
def test_syncs_a_folder_repeatedly_and_picks_up_edits(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    for i in range(3):
        deployment.write("docs", f"p{i}.md", f"# Page {i}\n\nFirst text.\n")
    deployment.write_config(
        [deployment.connector("docs")], daemon={"schedule": {"every": "1s"}, "run_on_start": True}
    )
    daemon = start_daemon(deployment)
    wait_for(lambda: len(deployment.intercom_pages()) == 3, what="first sync")

    deployment.write("docs", "p0.md", "# Page 0\n\nEdited while the daemon runs.\n")
    deployment.write("docs", "p3.md", "# Page 3\n\nAdded later.\n")
    (deployment.folder("docs") / "p1.md").unlink()

    def converged() -> bool:  # deletion: hide, the default: p1.md stays, hidden from Fin
        pages = deployment.intercom_pages()
        visible = {eid for eid, page in pages.items() if page["ai_agent_availability"]}
        return (
            visible == {"p0.md", "p2.md", "p3.md"}
            and "p1.md" in pages
            and "Edited" in pages["p0.md"]["html"]
        )

    wait_for(converged, what="edits synced")
    daemon.wait_event(count=4, connector="docs", status="ok")  # kept running on its schedule
    assert daemon.stop() == 0
    assert daemon.matching(event="stopped")
    with Store.open(deployment.state) as store:  # the lock was released
        runs = store.recent_runs("docs")
    assert len(runs) >= 4 and {r.status for r in runs} == {"ok"}


@pytest.mark.state_backends
def test_sigterm_during_uploads_exits_cleanly_and_the_rerun_converges(
    make_deployment: Callable[[EmulatorServer], Deployment], start_daemon: StartDaemon
) -> None:
    # 20 calls per second: 80 pages take seconds, so SIGTERM lands mid-upload.
    with EmulatorServer(EmulatorSettings(rate_limit=20, window_seconds=1, latency_ms=50)) as server:
        deployment = make_deployment(server)
        for i in range(80):
            deployment.write("docs", f"kb/a{i:03}.md", f"# Article {i}\n\nText {i}.\n")
        deployment.write_config(
            [deployment.connector("docs")],
            daemon={"schedule": {"every": "1h"}, "run_on_start": True, "grace_period": "30s"},
        )
        daemon = start_daemon(deployment)
        wait_for(lambda: server.stats()["by_operation"]["createExternalPage"] >= 15)
        daemon.send(signal.SIGTERM)
        assert daemon.wait(40) == 0, daemon.log_text()
        assert daemon.matching(event="stopped")

        # Every upload Intercom accepted was recorded: in-flight pages finished, nothing cut.
        uploaded = {eid: page["id"] for eid, page in deployment.intercom_pages().items()}
        assert 0 < len(uploaded) < 80
        assert {e: i for e, i in deployment.state_ids("docs").items() if i} == uploaded
        with Store.open(deployment.state) as store:  # lock released
            assert store.recent_runs("docs", limit=1)[0].status == "interrupted"

        rerun = deployment.cli("sync", "--no-progress")
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        pages = deployment.intercom_pages()  # asserts no duplicates
        assert len(pages) == 80
        assert deployment.state_ids("docs") == {eid: page["id"] for eid, page in pages.items()}


def test_a_second_signal_exits_at_once_and_the_rerun_converges(
    tmp_path: Path,
    make_deployment: Callable[[EmulatorServer], Deployment],
    start_daemon: StartDaemon,
) -> None:
    # Every call takes 1 s: a graceful stop would wait for the uploads in flight. The emulator
    # keeps its data in a file so that the rerun talks to the same "Intercom", made fast.
    intercom_db = tmp_path / "intercom.db"
    with EmulatorServer(EmulatorSettings(latency_ms=1000, db_path=intercom_db)) as server:
        deployment = make_deployment(server)
        for i in range(20):
            deployment.write("docs", f"a{i:02}.md", f"# A {i}\n\nText {i}.\n")
        deployment.write_config(
            [deployment.connector("docs")],
            daemon={"schedule": {"every": "1h"}, "run_on_start": True, "grace_period": "60s"},
        )
        daemon = start_daemon(deployment)
        wait_for(lambda: server.stats()["by_operation"]["createExternalPage"] >= 1)
        daemon.send(signal.SIGTERM)
        daemon.wait_event(event="stopping")
        daemon.send(signal.SIGINT)
        assert daemon.wait(10) == 130
        assert daemon.matching(event="exit_at_once")

    with EmulatorServer(EmulatorSettings(db_path=intercom_db)) as fast:
        deployment.server = fast
        deployment.write_config([deployment.connector("docs")])
        rerun = deployment.cli("sync", "--no-progress")
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        pages = deployment.intercom_pages()
        assert len(pages) == 20
        assert deployment.state_ids("docs") == {eid: page["id"] for eid, page in pages.items()}


def test_grace_period_over_exits_zero_and_records_the_run_interrupted(
    make_deployment: Callable[[EmulatorServer], Deployment], start_daemon: StartDaemon
) -> None:
    with EmulatorServer(EmulatorSettings(latency_ms=1500)) as server:
        deployment = make_deployment(server)
        for i in range(10):
            deployment.write("docs", f"a{i}.md", f"# A {i}\n\nText {i}.\n")
        deployment.write_config(
            [deployment.connector("docs")],
            daemon={"schedule": {"every": "1h"}, "run_on_start": True, "grace_period": "0.2s"},
        )
        daemon = start_daemon(deployment)
        wait_for(lambda: server.stats()["by_operation"]["createExternalPage"] >= 1)
        daemon.send(signal.SIGTERM)
        assert daemon.wait(15) == 0
        [over] = daemon.matching(event="stopped")
        assert over["level"] == "warning" and "grace period over" in over["message"]
        with Store.open(deployment.state) as store:  # the lock died with the process
            [run] = store.recent_runs("docs")
        assert run.status == "interrupted" and "grace period" in (run.error or "")


def test_sighup_with_a_broken_config_keeps_the_old_schedule(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("docs", "a.md", "# A\n\nv1\n")
    deployment.write_config(
        [deployment.connector("docs")], daemon={"schedule": {"every": "1s"}, "run_on_start": True}
    )
    daemon = start_daemon(deployment)
    daemon.wait_event(connector="docs", status="ok")

    good = deployment.config_path.read_text()
    deployment.config_path.write_text(
        good.replace("every: 1s", "every: soon").replace("  max_attempts: 4\n", "  colour: 1\n")
    )
    daemon.send(signal.SIGHUP)
    daemon.wait_event(event="reload_failed")
    errors = [e["message"] for e in daemon.matching(event="reload_failed")]
    assert any("intercom.colour: unknown key" in m for m in errors), errors
    assert any("daemon.schedule.every: 'soon' is not a duration" in m for m in errors), errors
    assert all(str(deployment.config_path) in m for m in errors[1:]), errors  # file:line each

    deployment.write("docs", "a.md", "# A\n\nv2 after the broken reload\n")
    wait_for(lambda: "v2" in deployment.intercom_pages()["a.md"]["html"], what="old schedule")

    deployment.write("faq", "q.md", "# Q\n\nAnswer.\n")
    deployment.write_config(
        [deployment.connector("docs"), deployment.connector("faq")],
        daemon={"schedule": {"every": "1s"}, "run_on_start": True},
    )
    daemon.send(signal.SIGHUP)
    daemon.wait_event(event="reloaded")
    wait_for(lambda: "q.md" in deployment.intercom_pages("https://faq.example.com/"))
    assert daemon.stop() == 0


def test_metrics_parse_and_match_what_the_emulator_saw(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    for i in range(5):
        deployment.write("docs", f"p{i}.md", f"# P{i}\n\nText {i}.\n")
    deployment.write_config(
        [deployment.connector("docs")],
        daemon={"listen": "127.0.0.1:0", "schedule": {"every": "1h"}, "run_on_start": True},
    )
    daemon = start_daemon(deployment)
    daemon.wait_event(connector="docs", status="ok")
    # The engine logs the end of a run; the daemon records it in its metrics just after.
    recorded = 'fin_ingestor_runs_total{connector="docs",status="ok"} 1.0'
    wait_for(lambda: recorded in daemon.get("/metrics")[1], what="the run in /metrics")

    status, text = daemon.get("/metrics")
    assert status == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[name, tuple(sorted(labels.items()))]

    emulator = deployment.server.stats()
    sent: dict[str, float] = {}
    for (name, labels), count in samples.items():
        if name == "fin_ingestor_intercom_requests_total":
            found = dict(labels)
            assert (found["connector"], found["status_code"]) == ("docs", "200"), found
            sent[found["operation"]] = count
    assert sent == {op: n for op, n in emulator["by_operation"].items() if n}
    assert value("fin_ingestor_pages_total", connector="docs", outcome="created") == 5
    assert value("fin_ingestor_pages_total", connector="docs", outcome="failed") == 0
    assert (
        value("fin_ingestor_intercom_rate_limited_total", connector="docs")
        == emulator["rate_limited"]
    )
    assert value("fin_ingestor_runs_total", connector="docs", status="ok") == 1
    assert value("fin_ingestor_last_success_timestamp_seconds", connector="docs") > 0
    assert value("fin_ingestor_pending_pages", connector="docs") == 0
    assert value("fin_ingestor_writes_paused") == 0
    assert value("process_resident_memory_bytes") > 0

    assert daemon.get_json("/healthz") == (200, {"status": "ok"})
    ready_status, ready = daemon.get_json("/readyz")
    assert ready_status == 200 and ready["ready"] is True
    status_code, data = daemon.get_json("/status")
    [docs] = data["connectors"]
    assert (status_code, docs["pages"], docs["last_run"]["status"]) == (200, 5, "ok")
    assert docs["daemon"]["schedule"] == "every 1h" and docs["daemon"]["next_run_at"] > 0
    assert data["daemon"]["writes_paused"] is False
    assert daemon.get("/nope")[0] == 404
    assert daemon.stop() == 0


def test_two_connectors_share_a_low_rate_limit_with_few_429s(
    make_deployment: Callable[[EmulatorServer], Deployment], start_daemon: StartDaemon
) -> None:
    with EmulatorServer(EmulatorSettings(rate_limit=15, window_seconds=1)) as server:
        deployment = make_deployment(server)
        for name in ("alpha", "beta"):
            for i in range(45):
                deployment.write(name, f"{name}-{i:02}.md", f"# {name} {i}\n\nText {i}.\n")
        deployment.write_config(
            [deployment.connector("alpha"), deployment.connector("beta")],
            daemon={"schedule": {"every": "1h"}, "run_on_start": True, "max_parallel": 2},
            max_attempts=8,
        )
        daemon = start_daemon(deployment)
        wait_for(lambda: len(deployment.intercom_pages()) == 90, timeout=60, what="both synced")
        daemon.wait_event(connector="alpha", status="ok")
        daemon.wait_event(connector="beta", status="ok")
        limited = server.stats()["rate_limited"]
        assert limited <= 2, limited  # separate budgets per connector: about 5

        with Store.open(deployment.state, read_only=True) as store:
            [alpha] = store.recent_runs("alpha")
            [beta] = store.recent_runs("beta")
        assert alpha.finished_at is not None and beta.finished_at is not None
        assert alpha.started_at < beta.finished_at and beta.started_at < alpha.finished_at
        assert daemon.stop() == 0


def test_auth_failure_pauses_writes_until_a_reload_fixes_the_token(
    make_deployment: Callable[[EmulatorServer], Deployment], start_daemon: StartDaemon
) -> None:
    good, bad = "tok_live_0123456789abcdef", "tok_revoked_9876543210fedcba"
    with EmulatorServer(EmulatorSettings(tokens=frozenset({good}))) as server:
        deployment = make_deployment(server)
        deployment.env = {"TEST_INTERCOM_TOKEN": bad, "NEW_INTERCOM_TOKEN": good}
        deployment.write("docs", "a.md", "# A\n\nText.\n")
        daemon_settings = {"listen": "127.0.0.1:0", "schedule": {"every": "1s"}}
        deployment.write_config(
            [deployment.connector("docs", run_on_start=True)], daemon=daemon_settings
        )
        daemon = start_daemon(deployment)
        paused = daemon.wait_event(event="writes_paused")
        assert paused["level"] == "error" and "EVERY WRITE IS PAUSED" in paused["message"]
        daemon.wait_event(event="writes_paused", count=2)  # the next run only probed
        ready_status, ready = daemon.get_json("/readyz")
        assert ready_status == 503 and ready["checks"]["intercom"]["ok"] is False
        assert "writes_paused 1.0" in daemon.get("/metrics")[1]
        assert server.stats()["by_operation"]["createExternalPage"] == 0

        deployment.write_config(
            [deployment.connector("docs")], daemon=daemon_settings, token_var="NEW_INTERCOM_TOKEN"
        )
        daemon.send(signal.SIGHUP)
        daemon.wait_event(event="writes_resumed")
        wait_for(lambda: "a.md" in deployment.intercom_pages(), what="sync after the fix")
        assert daemon.get_json("/readyz")[0] == 200
        assert daemon.stop() == 0
        log = daemon.log_text()
        assert good not in log and bad not in log


def test_a_reload_with_the_refused_token_unchanged_says_to_restart(
    make_deployment: Callable[[EmulatorServer], Deployment], start_daemon: StartDaemon
) -> None:
    # The admin fixed the token in the unit's EnvironmentFile, then ran `systemctl reload`:
    # the daemon's environment is the one it started with, so the token is still the old one.
    good, bad = "tok_live_0123456789abcdef", "tok_revoked_9876543210fedcba"
    with EmulatorServer(EmulatorSettings(tokens=frozenset({good}))) as server:
        deployment = make_deployment(server)
        deployment.env = {"TEST_INTERCOM_TOKEN": bad}
        deployment.write("docs", "a.md", "# A\n\nText.\n")
        deployment.write_config(
            [deployment.connector("docs", run_on_start=True)],
            daemon={"listen": "127.0.0.1:0", "schedule": {"every": "1h"}},
        )
        daemon = start_daemon(deployment)
        daemon.wait_event(event="writes_paused")
        daemon.send(signal.SIGHUP)
        hint = daemon.wait_event(event="token_unchanged")
        assert hint["level"] == "warning" and "restart" in hint["message"]
        assert "EnvironmentFile" in hint["message"]
        daemon.wait_event(event="reloaded")
        assert daemon.stop() == 0
        log = daemon.log_text()
        assert good not in log and bad not in log


def test_a_failing_connector_backs_off_without_stopping_the_others(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("good", "a.md", "# A\n\nText.\n")
    deployment.write("flaky", "b.md", "# B\n\nText.\n")
    deployment.write_config(
        [deployment.connector("good"), deployment.connector("flaky")],
        daemon={
            "listen": "127.0.0.1:0",
            "schedule": {"every": "1s"},
            "run_on_start": True,
            "backoff_initial": "1s",
            "backoff_max": "4s",
        },
    )
    daemon = start_daemon(deployment)
    daemon.wait_event(connector="flaky", status="ok")
    unmounted = deployment.folder("flaky").rename(deployment.tmp / "flaky-unmounted")

    second = daemon.wait_event(event="backoff", connector="flaky", count=2)
    assert (second["failures"], second["backoff"]) == (2, 2.0)
    status = daemon.get_json("/status")[1]
    flaky, good = (
        next(c["daemon"] for c in status["connectors"] if c["name"] == name)
        for name in ("flaky", "good")
    )
    assert flaky["consecutive_failures"] >= 2 and flaky["backoff_seconds"] >= 2
    assert "source unreachable" in flaky["last_run"]["error"]
    assert good["consecutive_failures"] == 0 and good["last_run"]["status"] == "ok"
    metrics = daemon.get("/metrics")[1]
    assert 'fin_ingestor_backoff_seconds{connector="good"} 0.0' in metrics
    assert 'fin_ingestor_consecutive_failures{connector="flaky"} 0.0' not in metrics
    good_runs = len(daemon.finished_runs("good"))
    daemon.wait_event(connector="good", status="ok", count=good_runs + 2)  # others go on

    unmounted.rename(deployment.tmp / "flaky")
    wait_for(
        lambda: (
            daemon.get_json("/status")[1]["connectors"][1]["daemon"]["consecutive_failures"] == 0
        ),
        what="flaky recovered",
    )
    assert daemon.stop() == 0
