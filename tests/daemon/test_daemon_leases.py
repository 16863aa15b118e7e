"""Connector leases in real daemon processes over a real SQLite state file.

On SQLite one daemon holds the database (its flock), is the only live instance and owns every
connector; the lease code path is the one several daemons on PostgreSQL run (see
``test_daemon_cluster.py``). Here: what /status and ``ingestor status`` say about ownership,
a predecessor killed with SIGKILL not blocking the next daemon, and fencing: a run whose lease
is taken away stops writing to Intercom and to the state database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.state import Store

from .conftest import DaemonProcess, Deployment, wait_for

pytestmark = pytest.mark.timeout(120)

StartDaemon = Callable[..., DaemonProcess]
IDLE = {"schedule": {"every": "24h"}, "run_on_start": True, "lease_period": "3s"}


def _writes(server: EmulatorServer) -> int:
    return int(server.stats()["by_operation"].get("createExternalPage", 0))


def test_the_only_daemon_owns_every_connector_and_status_says_so(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    for name in ("docs", "faq"):
        deployment.write(name, f"{name}.md", f"# {name}\n\nText.\n")
    deployment.write_config(
        [deployment.connector("docs"), deployment.connector("faq")],
        daemon={**IDLE, "listen": "127.0.0.1:0"},
    )
    daemon = start_daemon(deployment)
    daemon.wait_event(event="leases")
    wait_for(lambda: len(deployment.intercom_pages()) == 2, what="both synced")
    instance = daemon.get_json("/status")[1]["daemon"]["instance"]
    assert instance["id"].split(":")[1] == str(daemon.pid)  # host:pid:random
    assert instance["owns"] == ["docs", "faq"]
    assert instance["owners"] == {"docs": instance["id"], "faq": instance["id"]}
    assert instance["live_instances"] == [instance["id"]]
    assert (instance["fair_share"], instance["lease_period_seconds"]) == (2, 3.0)

    shown = deployment.cli("status")
    assert shown.returncode == 0, shown.stderr
    assert f"daemon instance {instance['id']} owns docs, faq" in " ".join(shown.stdout.split())
    data = deployment.cli("status", "--json")
    assert f'"owner": "{instance["id"]}"' in data.stdout

    assert daemon.stop() == 0  # a clean stop gives every lease back at once
    with Store.open(deployment.state, read_only=True) as store:
        assert store.read_leases() == ({}, [])


def test_a_daemon_after_a_killed_one_owns_its_connectors_at_once(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("docs", "p.md", "# Docs\n\nText.\n")
    deployment.write_config([deployment.connector("docs")], daemon={**IDLE, "lease_period": "1h"})
    first = start_daemon(deployment)
    first.wait_event(connector="docs", status="ok")
    first.kill()  # SIGKILL: its lease says "mine for an hour" and nobody releases it
    second = start_daemon(deployment)
    # The flock proves the killed daemon is gone: no waiting for its hour to pass.
    leases = second.wait_event(event="leases", count=2)  # one log file for both
    assert leases["message"].endswith("owns docs")
    assert f":{second.pid}:" in leases["message"]
    second.wait_event(event="started", count=2)
    assert second.stop() == 0


def test_a_run_whose_lease_is_taken_stops_writing_to_intercom_and_state(
    make_deployment: Callable[[EmulatorServer], Deployment], start_daemon: StartDaemon
) -> None:
    # 10 calls a second: 60 pages take several seconds, so the lease is taken mid-run.
    with EmulatorServer(EmulatorSettings(rate_limit=10, window_seconds=1, latency_ms=20)) as server:
        deployment = make_deployment(server)
        for i in range(60):
            deployment.write("docs", f"a{i:02}.md", f"# Article {i}\n\nText {i}.\n")
        deployment.write_config([deployment.connector("docs")], daemon=IDLE)
        daemon = start_daemon(deployment)
        wait_for(lambda: _writes(server) >= 5, what="uploads under way")
        with sqlite3.connect(deployment.state) as conn:  # another instance takes it over
            conn.execute(
                "UPDATE leases SET owner = 'elsewhere:1:beef', fence = fence + 1, "
                "expires_at = expires_at + 3600"
            )
        lost = daemon.wait_event(event="lease_lost", connector="docs")
        assert "took it over" in lost["message"]
        [run] = wait_for(lambda: daemon.finished_runs("docs"), what="the run's end")
        assert run["status"] == "failed"
        sent = _writes(server)
        assert 5 <= sent < 60
        recorded = {eid for eid, iid in deployment.state_ids("docs").items() if iid}
        # Nothing was recorded that Intercom did not confirm; the later pages were never sent.
        assert recorded <= set(deployment.intercom_pages())
        assert len(deployment.intercom_pages()) < 60
        # A sync asked of this daemon is refused: the other instance owns the connector.
        refused = deployment.cli("sync", "--no-progress")
        assert refused.returncode == 1
        assert "docs is owned by daemon instance elsewhere:1:beef" in " ".join(
            refused.stderr.split()
        )
        assert _writes(server) == sent
        assert daemon.stop() == 0
