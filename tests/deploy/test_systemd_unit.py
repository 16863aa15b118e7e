"""The systemd unit as systemd would run it: its hardening score, and its ExecStart line run as
an unprivileged service user with the config in a read-only folder and the state under a
StateDirectory-like folder, speaking the notify protocol to a socket standing in for systemd's.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestor.emulator import EmulatorServer

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "fin-ingestor@.service"
SERVICE_USER = "nobody"


def unit_values(key: str) -> list[str]:
    return [
        line.split("=", 1)[1]
        for line in UNIT.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"{key}=")
    ]


def test_hardening_is_rated_ok_or_better(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    copy = tmp_path / "fin-ingestor@acme.service"
    copy.write_text(UNIT.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run(
        [analyze, "security", "--offline=true", str(copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    score = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", done.stdout)
    assert score is not None, done.stdout + done.stderr
    assert float(score.group(1)) <= 2.0, done.stdout  # 1.5 "OK" when written
    assert unit_values("Type") == ["notify"] and unit_values("WatchdogSec")
    assert unit_values("RestartPreventExitStatus") == ["2"]


@pytest.fixture
def service_root() -> Iterator[Path]:
    """A folder the service user can traverse (pytest's tmp folders are private to root)."""
    root = Path(tempfile.mkdtemp(prefix="fin-ingestor-deploy-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def as_service_user(argv: list[str]) -> list[str]:
    """``argv`` as the service user, with the unit's umask (setpriv, from util-linux)."""
    command = "umask 0077; exec " + shlex.join(argv)
    return [
        "setpriv",
        "--reuid",
        SERVICE_USER,
        "--regid",
        "nogroup",
        "--clear-groups",
        "--",
        "sh",
        "-c",
        command,
    ]


def exec_start(ingestor: Path, config: Path) -> list[str]:
    """The unit's ExecStart for instance ``acme``, with the test installation's ``ingestor``."""
    [line] = unit_values("ExecStart")
    argv = shlex.split(line.replace("%i", "acme"))
    assert argv[0] == "/opt/fin-ingestor/bin/ingestor" and argv[-1] == "/etc/fin-ingestor/acme.yaml"
    return [str(ingestor), *argv[1:-1], str(config)]


def needs_root_and_setpriv() -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv (util-linux) to run as the service user")


def test_exec_start_runs_as_the_service_user_with_a_read_only_config(
    service_root: Path, emulator: EmulatorServer, installed_ingestor: Path
) -> None:
    needs_root_and_setpriv()

    etc, share = service_root / "etc", service_root / "share"
    state_dir, cache_dir = service_root / "lib" / "acme", service_root / "cache" / "acme"
    for folder in (etc, share, state_dir, cache_dir):
        folder.mkdir(parents=True)
    (share / "welcome.md").write_text("# Welcome\n\nHello from the share.\n", encoding="utf-8")
    config = etc / "acme.yaml"
    config.write_text(
        "intercom:\n  token: ${INTERCOM_TOKEN}\n"
        f"  base_url: {emulator.url}\n"
        "daemon:\n  run_on_start: true\n  schedule: {every: 1h}\n"
        "connectors:\n  - name: handbook\n    type: filesystem\n"
        f"    url: https://help.example.com/\n    root: {share}\n",
        encoding="utf-8",
    )
    etc.chmod(0o555)  # read-only, as ProtectSystem=strict makes /etc
    for folder in (state_dir, cache_dir):
        os.chown(folder, 65534, 65534)
        folder.chmod(0o700)
    notify = service_root / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify))
    notify.chmod(0o777)
    listener.settimeout(60)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "INTERCOM_TOKEN": emulator.token,
        "STATE_DIRECTORY": str(state_dir),
        "TMPDIR": str(cache_dir),
        "NOTIFY_SOCKET": str(notify),
        "HOME": "/nonexistent",
    }
    validate = subprocess.run(
        as_service_user([str(installed_ingestor), "validate", "-c", str(config)]),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert f"state: {state_dir / 'state.db'}" in validate.stdout

    daemon = subprocess.Popen(
        as_service_user(exec_start(installed_ingestor, config)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert listener.recv(4096).startswith(b"READY=1")
        deadline = time.monotonic() + 60
        while "welcome.md" not in {p["external_id"] for p in emulator.pages()}:
            assert time.monotonic() < deadline and daemon.poll() is None
            time.sleep(0.1)
        database = state_dir / "state.db"
        assert database.exists() and (database.stat().st_mode & 0o077) == 0
        assert database.stat().st_uid == 65534
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, errors = daemon.communicate(timeout=60)
        listener.close()
    assert daemon.returncode == 0, errors.decode(errors="replace")


def test_validate_refuses_a_state_path_in_a_read_only_folder(
    service_root: Path, emulator: EmulatorServer, installed_ingestor: Path
) -> None:
    needs_root_and_setpriv()
    etc = service_root / "etc"
    etc.mkdir()
    config = etc / "acme.yaml"
    config.write_text(
        f"intercom:\n  token: ${{INTERCOM_TOKEN}}\n  base_url: {emulator.url}\n"
        "state:\n  path: ./.fin-ingestor/state.db\nconnectors: []\n",
        encoding="utf-8",
    )
    etc.chmod(0o555)
    done = subprocess.run(
        as_service_user([str(installed_ingestor), "validate", "-c", str(config)]),
        env={"PATH": os.environ.get("PATH", ""), "INTERCOM_TOKEN": "t"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "state.path" in done.stderr and f"{etc} is not writable" in done.stderr
