"""Talking to a running daemon: `ingestor sync` runs inside it over the control socket, and
`plan`, `status` and `preview` read the state it holds. A real daemon process, the emulator over
real sockets, real folders."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ingestor.control_protocol import socket_path
from ingestor.emulator import EmulatorServer, EmulatorSettings
from state import Store

from .conftest import DaemonProcess, Deployment, wait_for, write_calls

pytestmark = pytest.mark.timeout(120)

StartDaemon = Callable[..., DaemonProcess]
#: The daemon waits for requests only: no scheduled run gets in the way of what a test checks
#: (and the connectors have watch=False: a watch would sync the tests' edits by itself).
IDLE = {"schedule": {"every": "24h"}, "run_on_start": False}


def _started(deployment: Deployment, start_daemon: StartDaemon, **env: str) -> DaemonProcess:
    """A new daemon (in the log file earlier ones wrote too), once it takes commands."""
    log = deployment.log_path
    earlier = log.read_text(encoding="utf-8").count('"control_listening"') if log.exists() else 0
    daemon = start_daemon(deployment, env or None)
    daemon.wait_event(event="control_listening", count=earlier + 1)
    return daemon


def _runs(deployment: Deployment, connector: str) -> list[str]:
    with Store.open(deployment.state, read_only=True) as store:
        return [run.status for run in store.recent_runs(connector, limit=100)]


def test_sync_runs_inside_the_daemon_with_progress_and_summary(
    deployment: Deployment, emulator: EmulatorServer, start_daemon: StartDaemon
) -> None:
    for i in range(3):
        deployment.write("docs", f"p{i}.md", f"# Page {i}\n\nText {i}.\n")
    deployment.write_config([deployment.connector("docs", watch=False)], daemon=IDLE)
    daemon = _started(deployment, start_daemon)

    result = deployment.cli("sync", "--no-progress")

    assert result.returncode == 0, result.stdout + result.stderr
    assert set(deployment.intercom_pages()) == {"p0.md", "p1.md", "p2.md"}
    assert f"(pid {daemon.pid}) holds the state: this sync runs inside it" in result.stderr
    assert "docs: 3 pages listed, 3 to fetch" in result.stderr  # progress streamed back
    assert "Sync summary" in result.stdout and "docs" in result.stdout
    assert " ok " in result.stdout
    # The daemon ran it (its run history and log), and holds the lock still.
    assert daemon.matching(event="control_sync")
    assert _runs(deployment, "docs") == ["ok"]
    assert daemon.proc.poll() is None

    # --full re-sends every page; a plain sync now changes nothing.
    before = write_calls(emulator.stats())
    full = deployment.cli("sync", "--no-progress", "--full")
    assert full.returncode == 0, full.stdout + full.stderr
    assert write_calls(emulator.stats()) - before == 3
    again = deployment.cli("sync", "--no-progress")
    assert again.returncode == 0
    assert write_calls(emulator.stats()) - before == 3
    assert _runs(deployment, "docs") == ["ok", "ok", "ok"]


def test_connector_selection_and_dry_run_through_the_daemon(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("a", "one.md", "# One\n\nA.\n")
    deployment.write("b", "two.md", "# Two\n\nB.\n")
    deployment.write_config(
        [deployment.connector("a", watch=False), deployment.connector("b", watch=False)],
        daemon=IDLE,
    )
    _started(deployment, start_daemon)

    dry = deployment.cli("sync", "--no-progress", "--dry-run", "--connector", "b")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "b: would create two.md" in dry.stdout
    assert deployment.intercom_pages() == {}
    assert _runs(deployment, "b") == []  # a dry run is not a run

    only_b = deployment.cli("sync", "--no-progress", "--connector", "b")
    assert only_b.returncode == 0, only_b.stdout + only_b.stderr
    assert set(deployment.intercom_pages()) == {"two.md"}
    assert (_runs(deployment, "a"), _runs(deployment, "b")) == ([], ["ok"])

    unknown = deployment.cli("sync", "--no-progress", "--connector", "nope")
    assert unknown.returncode == 2
    assert "nope" in unknown.stderr


def test_allow_mass_delete_approves_held_back_deletions_through_the_daemon(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    for i in range(4):
        deployment.write("docs", f"p{i}.md", f"# Page {i}\n\nText {i}.\n")
    deployment.write_config([deployment.connector("docs", watch=False)], daemon=IDLE)
    _started(deployment, start_daemon)
    assert deployment.cli("sync", "--no-progress").returncode == 0
    for i in range(3):  # 3 of 4 pages vanish: over max_delete_fraction (0.5)
        (deployment.folder("docs") / f"p{i}.md").unlink()

    held = deployment.cli("sync", "--no-progress")
    assert held.returncode == 1, held.stdout + held.stderr
    assert "--allow-mass-delete" in " ".join(held.stdout.split())
    assert len(deployment.intercom_pages()) == 4

    approved = deployment.cli("sync", "--no-progress", "--allow-mass-delete")
    assert approved.returncode == 0, approved.stdout + approved.stderr
    pages = deployment.intercom_pages()  # deletion: hide, the default: hidden, not deleted
    assert {eid for eid, page in pages.items() if page["ai_agent_availability"]} == {"p3.md"}
    assert len(pages) == 4
    assert _runs(deployment, "docs") == ["ok", "partial", "ok"]


def test_a_failing_page_exits_1_and_a_refused_token_exits_3(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("docs", "good.md", "# Good\n\nFine.\n")
    # One paragraph over max_page_bytes cannot be split at headings: that page fails.
    deployment.write("docs", "huge.md", "# Huge\n\n" + "word " * 400 + "\n")
    deployment.write_config(
        [deployment.connector("docs", max_page_bytes=600, watch=False)], daemon=IDLE
    )
    daemon = _started(deployment, start_daemon)

    partial = deployment.cli("sync", "--no-progress")
    assert partial.returncode == 1, partial.stdout + partial.stderr
    assert "huge.md" in partial.stdout
    assert set(deployment.intercom_pages()) == {"good.md"}

    assert daemon.stop() == 0
    daemon.kill()
    # The daemon's token is what counts (the CLI's stays valid): Intercom refuses it.
    _started(deployment, start_daemon, TEST_INTERCOM_TOKEN="revoked-token")
    deployment.write("docs", "new.md", "# New\n\nAn upload to refuse.\n")
    refused = deployment.cli("sync", "--no-progress")
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "failed" in refused.stdout


def test_plan_status_and_preview_read_the_state_while_the_daemon_runs(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("docs", "p0.md", "# Page 0\n\nText.\n")
    deployment.write_config([deployment.connector("docs", watch=False)], daemon=IDLE)
    _started(deployment, start_daemon)
    assert deployment.cli("sync", "--no-progress").returncode == 0

    unchanged = deployment.cli("plan")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    deployment.write("docs", "p1.md", "# Page 1\n\nNew.\n")
    changes = deployment.cli("plan")
    assert changes.returncode == 5, changes.stdout + changes.stderr
    assert "p1.md" in changes.stdout
    assert _runs(deployment, "docs") == ["ok"]  # the plans recorded no run

    status = deployment.cli("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "docs" in status.stdout and "ok" in status.stdout

    out = deployment.tmp / "preview"
    preview = deployment.cli("preview", "--out", str(out))
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert (out / "index.html").is_file()


def test_a_stale_socket_after_kill_9_does_not_block_the_restart(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("docs", "p0.md", "# Page 0\n\nText.\n")
    deployment.write_config([deployment.connector("docs", watch=False)], daemon=IDLE)
    first = _started(deployment, start_daemon)
    first.kill()  # SIGKILL: the socket file stays behind
    sock = socket_path(deployment.state)
    assert sock.is_socket()

    # With no daemon, the lock is free: sync runs locally, whatever the stale socket.
    local = deployment.cli("sync", "--no-progress")
    assert local.returncode == 0, local.stdout + local.stderr
    assert "runs inside it" not in local.stderr

    second = _started(deployment, start_daemon)
    assert second.matching(event="control_stale_removed", path=str(sock))
    deployment.write("docs", "p1.md", "# Page 1\n\nNew.\n")
    through = deployment.cli("sync", "--no-progress")
    assert through.returncode == 0, through.stdout + through.stderr
    assert f"(pid {second.pid})" in through.stderr
    assert set(deployment.intercom_pages()) == {"p0.md", "p1.md"}

    # A second daemon is still refused by the state lock, and leaves the socket alone.
    third = start_daemon(deployment)
    assert third.wait(30) == 4
    assert deployment.cli("sync", "--no-progress").returncode == 0
    assert second.stop() == 0
    assert not sock.exists()  # a clean stop removes it


def test_a_held_state_without_a_daemon_socket_is_exit_4(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("docs", "p0.md", "# Page 0\n\nText.\n")
    deployment.write_config([deployment.connector("docs", watch=False)], daemon=IDLE)
    daemon = _started(deployment, start_daemon)
    socket_path(deployment.state).unlink()  # as with a daemon too old to take commands

    result = deployment.cli("sync", "--no-progress")

    assert result.returncode == 4, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert f"in use by process {daemon.pid}" in message
    assert "No daemon answers on its control socket" in message


_CLIENT = """
import socket, sys
conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    conn.connect(sys.argv[1])
except PermissionError:
    print("EACCES")
    sys.exit(0)
print(conn.makefile(encoding="utf-8").readline().strip())  # refused peers are told at once
"""


_SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another uid needs root")
@pytest.mark.skipif(not Path(_SYSTEM_PYTHON).exists(), reason="no system python3 for the client")
def test_the_socket_refuses_another_uid(
    emulator: EmulatorServer, start_daemon: StartDaemon
) -> None:
    # A folder every user may traverse, so that only the socket itself keeps others out.
    root = Path(tempfile.mkdtemp(prefix="fin-control-"))
    try:
        root.chmod(0o755)
        deployment = Deployment(root, emulator)
        deployment.write("docs", "p0.md", "# Page 0\n\nText.\n")
        deployment.write_config([deployment.connector("docs", watch=False)], daemon=IDLE)
        daemon = _started(deployment, start_daemon)
        sock = socket_path(deployment.state)
        deployment.state.parent.chmod(0o755)
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600

        def as_nobody() -> str:
            command = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"]
            # The system's Python: the test's own may live where nobody cannot read.
            command += [_SYSTEM_PYTHON, "-c", _CLIENT, str(sock)]
            done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
            assert done.returncode == 0, done.stderr
            return done.stdout.strip()

        assert as_nobody() == "EACCES"  # the file mode: connect() is refused
        sock.chmod(0o666)  # loosened by mistake: the peer's uid is still checked
        answer = json.loads(as_nobody())
        assert answer["event"] == "error" and answer["exit_code"] == 4
        assert "may not control this daemon" in answer["message"]
        assert daemon.matching(event="control_refused")
        assert emulator.pages() == []  # nothing ran
        assert deployment.cli("sync", "--no-progress").returncode == 0  # root may
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_ctrl_c_stops_the_run_the_daemon_does_for_the_cli(
    make_deployment: Callable[[EmulatorServer], Deployment],
    start_emulator: Callable[[EmulatorSettings], EmulatorServer],
    start_daemon: StartDaemon,
) -> None:
    # 20 calls per second: 60 pages take seconds, so Ctrl-C lands mid-run.
    server = start_emulator(EmulatorSettings(rate_limit=20, window_seconds=1, latency_ms=50))
    deployment = make_deployment(server)
    for i in range(60):
        deployment.write("docs", f"a{i:03}.md", f"# Article {i}\n\nText {i}.\n")
    deployment.write_config([deployment.connector("docs", watch=False)], daemon=IDLE)
    daemon = _started(deployment, start_daemon)
    env = {**os.environ, **deployment.env, "COLUMNS": "200"}
    config = deployment.config_path
    cli = subprocess.Popen(
        [sys.executable, "-m", "ingestor", "sync", "--no-progress", "-c", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_for(lambda: server.stats()["by_operation"]["createExternalPage"] >= 5)
        cli.send_signal(signal.SIGINT)
        out, err = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 130, out + err
    assert "the daemon stops this run" in err
    assert "interrupted" in out  # the interrupted run's summary still arrived
    assert _runs(deployment, "docs") == ["interrupted"]
    assert 0 < len(deployment.intercom_pages()) < 60
    assert daemon.proc.poll() is None  # the daemon goes on


def test_a_sync_requested_during_a_scheduled_run_waits_for_it_and_says_so(
    make_deployment: Callable[[EmulatorServer], Deployment],
    start_emulator: Callable[[EmulatorSettings], EmulatorServer],
    start_daemon: StartDaemon,
) -> None:
    # 10 calls per second: the scheduled run of 80 pages lasts seconds after the CLI starts.
    server = start_emulator(EmulatorSettings(rate_limit=10, window_seconds=1, latency_ms=50))
    deployment = make_deployment(server)
    for i in range(80):
        deployment.write("docs", f"a{i:03}.md", f"# Article {i}\n\nText {i}.\n")
    deployment.write_config(
        [deployment.connector("docs", watch=False)],
        daemon={"schedule": {"every": "24h"}, "run_on_start": True},
    )
    _started(deployment, start_daemon)
    wait_for(lambda: server.stats()["by_operation"]["createExternalPage"] >= 3)

    result = deployment.cli("sync", "--no-progress", timeout=90)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "a run of docs is in progress in the daemon" in " ".join(result.stderr.split())
    # It ran after the scheduled run, not beside it: everything was already there.
    assert "docs: 80 pages listed, 0 to fetch, 80 unchanged" in result.stderr
    assert _runs(deployment, "docs") == ["ok", "ok"]
    assert len(deployment.intercom_pages()) == 80
