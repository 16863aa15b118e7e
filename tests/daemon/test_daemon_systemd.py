"""The daemon speaks systemd's notify protocol: READY once scheduled, watchdog pings while its
scheduler lives, RELOADING/READY around a reload, STOPPING on SIGTERM. A real daemon process
and a real datagram socket standing in for systemd's."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingestor.daemon._systemd import SystemdNotifier

from .conftest import DaemonProcess, Deployment, wait_for


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[str, Callable[[], list[str]]]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    received: list[str] = []

    def messages() -> list[str]:
        while True:
            try:
                received.append(sock.recv(4096).decode())
            except BlockingIOError:
                return received

    yield path, messages
    sock.close()


def test_ready_watchdog_reload_and_stopping(
    deployment: Deployment,
    start_daemon: Callable[..., DaemonProcess],
    notify_socket: tuple[str, Callable[[], list[str]]],
) -> None:
    path, messages = notify_socket
    deployment.write("docs", "a.md", "# A\n\nText.\n")
    deployment.write_config([deployment.connector("docs", schedule={"every": "1h"})])
    daemon = start_daemon(deployment, env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "300000"})

    ready = wait_for(lambda: [m for m in messages() if m.startswith("READY=1")], what="READY")
    assert "STATUS=1 connector(s) scheduled" in ready[0]
    pings = wait_for(lambda: len([m for m in messages() if m == "WATCHDOG=1"]) >= 3, what="pings")
    assert pings

    daemon.send(signal.SIGHUP)
    wait_for(lambda: "RELOADING=1" in messages(), what="RELOADING")
    wait_for(lambda: len([m for m in messages() if m.startswith("READY=1")]) == 2, what="READY")

    assert daemon.stop() == 0
    assert "STOPPING=1" in messages()


def test_without_systemd_nothing_is_sent_and_a_foreign_watchdog_is_ignored() -> None:
    assert not SystemdNotifier({}).enabled
    SystemdNotifier({}).ready("no socket: a no-op")
    other = {"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}
    assert SystemdNotifier(other).watchdog_seconds is None
    assert (
        SystemdNotifier({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "2000000"}).watchdog_seconds == 2
    )


def test_an_unreachable_socket_is_reported_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    for _ in range(3):
        notifier.watchdog()
        time.sleep(0)
    assert len([r for r in caplog.records if "cannot notify systemd" in r.message]) == 1
