"""The SQLite state file deleted (or replaced) under a running daemon: SQLite goes on writing the
unlinked file, so everything recorded from then on would be lost at the next start without a
word. The daemon says so once, /readyz fails naming the file, and the pages still reach Fin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import DaemonProcess, Deployment, wait_for


def test_a_deleted_state_file_fails_readiness_and_is_said_once(
    deployment: Deployment, start_daemon: Callable[..., DaemonProcess]
) -> None:
    deployment.write("docs", "a.md", "# A\n\nFirst text.\n")
    deployment.write_config(
        [deployment.connector("docs", watch=False, schedule={"every": "1s"})],
        daemon={"listen": "127.0.0.1:0", "run_on_start": True},
    )
    daemon = start_daemon(deployment)
    wait_for(lambda: "a.md" in deployment.intercom_pages(), what="first sync")
    status, ready = daemon.get_json("/readyz")
    assert status == 200 and ready["checks"]["state"]["ok"], ready

    state = deployment.state
    assert isinstance(state, Path)
    state.unlink()  # an over-eager clean-up; the -wal, -shm and lock files stay
    deployment.write("docs", "b.md", "# B\n\nWritten after the state file went.\n")
    wait_for(lambda: "b.md" in deployment.intercom_pages(), what="b.md still synced")
    gone = daemon.wait_event(event="state_file_gone")
    assert gone["level"] == "error" and str(state) in gone["message"]
    assert "deleted or replaced" in gone["message"] and "Restart" in gone["message"]

    status, ready = daemon.get_json("/readyz")
    assert status == 503 and not ready["ready"]
    assert not ready["checks"]["state"]["ok"]
    assert str(state) in ready["checks"]["state"]["detail"]
    wait_for(lambda: len(daemon.finished_runs("docs")) >= 4, what="more runs")
    assert len(daemon.matching(event="state_file_gone")) == 1  # said once, not every run
    assert daemon.stop() == 0
