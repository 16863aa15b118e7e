"""A source that is missing when the daemon starts (a late NFS mount after a reboot) fails
that connector's runs only: the config is valid, the other connectors sync, nothing is deleted,
/readyz and /status name it, and it recovers by itself once the folder appears."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

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


def _watch_of(daemon: DaemonProcess, connector: str) -> dict[str, Any]:
    _, state = daemon.get_json("/status")
    view = next(c for c in state["connectors"] if c["name"] == connector)
    watch: dict[str, Any] = view["daemon"]["watch"]
    return watch


def test_a_late_mount_is_watched_once_it_appears_and_again_after_a_remount(
    deployment: Deployment, start_daemon: Callable[..., DaemonProcess]
) -> None:
    # Runs an hour apart and a failing connector's backoff waits for its schedule: only the
    # watch can bring these pages to Intercom within the test.
    late = deployment.connector("late", watch_interval="1s")
    shutil.rmtree(deployment.folder("late"))  # not mounted yet
    deployment.write_config(
        [late],
        daemon={"listen": "127.0.0.1:0", "run_on_start": True, "schedule": {"every": "1h"}},
    )
    daemon = start_daemon(deployment)
    daemon.wait_event(event="backoff", connector="late")
    wait_for(lambda: _watch_of(daemon, "late")["state"] == "waiting", what="watch waiting")
    assert "not there" in _watch_of(daemon, "late")["problem"]

    deployment.write("late", "a.md", "# A\n\nMounted at last.\n")  # the mount appears
    wait_for(lambda: "a.md" in deployment.intercom_pages(), timeout=60, what="a.md synced")
    wait_for(lambda: _watch_of(daemon, "late")["state"] == "watching", what="watching it")
    deployment.write("late", "a.md", "# A\n\nEdited once mounted.\n")
    wait_for(
        lambda: "Edited once" in deployment.intercom_pages()["a.md"]["html"],
        timeout=60,
        what="the edit through file-system events",
    )

    # unmounted, then mounted again: another folder (inode) with other content
    shutil.rmtree(deployment.folder("late"))
    wait_for(lambda: _watch_of(daemon, "late")["state"] == "waiting", what="watch waiting again")
    remount = deployment.tmp / "remount"
    remount.mkdir()
    (remount / "a.md").write_text("# A\n\nFrom the remounted share.\n", encoding="utf-8")
    (remount / "b.md").write_text("# B\n\nOnly on the remounted share.\n", encoding="utf-8")
    remount.rename(deployment.tmp / "late")
    wait_for(lambda: "b.md" in deployment.intercom_pages(), timeout=60, what="b.md synced")
    wait_for(lambda: _watch_of(daemon, "late")["state"] == "watching", what="watching again")
    deployment.write("late", "b.md", "# B\n\nEdited after the remount.\n")
    wait_for(
        lambda: "Edited after" in deployment.intercom_pages()["b.md"]["html"],
        timeout=60,
        what="an edit after the remount",
    )
    assert "remounted share" in deployment.intercom_pages()["a.md"]["html"]
    assert daemon.stop() == 0
