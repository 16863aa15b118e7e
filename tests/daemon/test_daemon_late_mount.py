"""A source that is missing when the daemon starts (a late NFS mount after a reboot) fails
that connector's runs only: the config is valid, the other connectors sync, nothing is deleted,
/readyz and /status name it, and it recovers by itself once the folder appears."""

from __future__ import annotations

import shutil
from collections.abc import Callable

from .conftest import DaemonProcess, Deployment, wait_for


def test_a_late_mount_fails_its_connector_only_and_recovers(
    deployment: Deployment, start_daemon: Callable[..., DaemonProcess]
) -> None:
    deployment.write("docs", "a.md", "# A\n\nText.\n")
    late = deployment.connector("late", schedule={"every": "1s"})
    shutil.rmtree(deployment.folder("late"))  # not mounted yet
    deployment.write_config(
        [deployment.connector("docs", schedule={"every": "1h"}), late],
        daemon={
            "listen": "127.0.0.1:0",
            "run_on_start": True,
            "backoff_initial": "1s",
            "backoff_max": "2s",
        },
    )
    validate = deployment.cli("validate")
    assert validate.returncode == 0, validate.stderr
    assert "warning:" in validate.stderr and "connectors[1].root" in validate.stderr
    strict = deployment.cli("validate", "--strict")
    assert strict.returncode == 2 and "directory does not exist (yet?)" in strict.stderr
    # one connector's source is missing: syncing another one still works
    other = deployment.cli("sync", "--connector", "docs")
    assert other.returncode == 0, other.stdout + other.stderr

    daemon = start_daemon(deployment)
    daemon.wait_event(event="backoff", connector="late")
    status, ready = daemon.get_json("/readyz")
    assert status == 200 and ready["checks"]["sources"]["failing"] == ["late"]
    assert "directory" in ready["checks"]["sources"]["detail"]
    _, state = daemon.get_json("/status")
    late_view = next(c for c in state["connectors"] if c["name"] == "late")
    assert late_view["daemon"]["consecutive_failures"] >= 1
    _, metrics = daemon.get("/metrics")
    assert 'connector="late"' in metrics

    deployment.write("late", "b.md", "# B\n\nMounted at last.\n")
    wait_for(lambda: "b.md" in deployment.intercom_pages(), timeout=60, what="late page synced")
    wait_for(
        lambda: daemon.get_json("/readyz")[1]["checks"]["sources"]["failing"] == [],
        what="the late source no longer failing",
    )
    assert set(deployment.intercom_pages()) == {"a.md", "b.md"}
    assert daemon.stop() == 0
