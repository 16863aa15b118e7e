"""The Deployment's container as a process: `ingestor` with the Deployment's args, the Secret's
and the pod's environment, and the ConfigMap's config from a read-only folder (its address
moved to loopback, Intercom to the bundled emulator, the state to a throw-away PostgreSQL
database), then the kubelet's side: the probes' paths answered 200 on the probes' port, the
files the daemon writes all inside the pod's emptyDir mounts, and SIGTERM ending the process
with 0 well inside terminationGracePeriodSeconds.

Where the tree has no PostgreSQL state yet (no ``state.url``, no ``postgres_url`` fixture), the
state is an SQLite file instead and what the daemon writes is not checked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingestor.config import DaemonSettings, StateSettings
from ingestor.emulator import EmulatorServer

from .manifests import configmap_config_text, image_env, resource

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
#: The pod's writable mounts (emptyDir) and what else a stray write could reach.
_SCRATCH = ("tmp", "run")
_ELSEWHERE = ("home", "cwd")


def _state_url(request: pytest.FixtureRequest) -> str | None:
    """A fresh PostgreSQL database's URL, or None where this tree cannot use one yet."""
    if "url" not in StateSettings.model_fields:
        return None
    try:
        return str(request.getfixturevalue("postgres_url"))
    except pytest.FixtureLookupError:
        return None


def _pod_config(tmp_path: Path, emulator: EmulatorServer, state_url: str | None) -> Path:
    data: dict[str, Any] = yaml.safe_load(configmap_config_text())
    data["intercom"]["base_url"] = emulator.url
    if state_url is None:
        data["state"] = {"path": str(tmp_path / "state" / "state.db")}
    data["daemon"]["listen"] = "127.0.0.1:0"  # the pod's 0.0.0.0:9108, on a free port
    if "lease_period" not in DaemonSettings.model_fields:
        data["daemon"].pop("lease_period", None)
    folder = tmp_path / "etc"
    folder.mkdir()
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    folder.chmod(0o555)  # mounted read-only, as the ConfigMap volume is
    return path


def _pod_env(tmp_path: Path, container: dict[str, Any], token: str, url: str | None) -> Any:
    env = {
        **os.environ,
        **image_env(),
        **resource("Secret")["stringData"],
        **{e["name"]: e["value"] for e in container["env"]},
        "INTERCOM_TOKEN": token,
        "TMPDIR": str(tmp_path / "tmp"),
        "FIN_INGESTOR_DATA_DIR": str(tmp_path / "run"),
        "HOME": str(tmp_path / "home"),
    }
    if url is not None:
        env["FIN_STATE_URL"] = url
    return env


def _wait_for_url(log: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(encoding="utf-8")
        for line in log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{") and json.loads(line).get("event") == "listening":
                return str(json.loads(line)["url"])
        time.sleep(0.1)
    raise AssertionError(f"the daemon never listened:\n{log.read_text(encoding='utf-8')}")


def _written(tmp_path: Path) -> list[str]:
    return sorted(
        str(path.relative_to(tmp_path))
        for folder in (*_SCRATCH, *_ELSEWHERE)
        for path in (tmp_path / folder).rglob("*")
    )


def test_the_container_answers_its_probes_and_stops_within_the_pods_grace(
    tmp_path: Path, emulator: EmulatorServer, request: pytest.FixtureRequest
) -> None:
    pod = resource("Deployment")["spec"]["template"]["spec"]
    [container] = pod["containers"]
    state_url = _state_url(request)
    config = _pod_config(tmp_path, emulator, state_url)
    args = [str(config) if a == "/etc/fin-ingestor/config.yaml" else a for a in container["args"]]
    for folder in (*_SCRATCH, *_ELSEWHERE):
        (tmp_path / folder).mkdir()
    log = tmp_path / "daemon.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ingestor", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            cwd=tmp_path / "cwd",
            env=_pod_env(tmp_path, container, emulator.token, state_url),
        )
    try:
        url = _wait_for_url(log, process)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            path = container[probe]["httpGet"]["path"]
            with _DIRECT.open(url + path, timeout=container[probe]["timeoutSeconds"]) as answer:
                assert answer.status == 200, (probe, path)
        written = _written(tmp_path)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=pod["terminationGracePeriodSeconds"]) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    if state_url is not None:
        # With the state in PostgreSQL the daemon's only file is its control socket, in the
        # data folder: why the pod mounts an emptyDir there (removed again at exit).
        assert written == ["run/state.db.sock"]
        assert _written(tmp_path) == []
    text = log.read_text(encoding="utf-8")
    events = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    stops = [e["event"] for e in events if e.get("event") in ("stopping", "stopped")]
    assert stops == ["stopping", "stopped"]
    assert emulator.token not in text
