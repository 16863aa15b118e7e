"""The Deployment's container as a process: `ingestor` with the Deployment's args, the Secret's
and the pod's environment, and the ConfigMap's config (its address moved to loopback, Intercom
to the bundled emulator, and, until the PostgreSQL store lands, the state to a SQLite file),
then the kubelet's side: the probes' paths answered 200 on the probes' port, and SIGTERM
ending the process with 0 well inside terminationGracePeriodSeconds."""

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

import yaml

from ingestor.emulator import EmulatorServer

from .manifests import configmap_config_text, image_env, resource

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _pod_config(tmp_path: Path, emulator: EmulatorServer) -> Path:
    data: dict[str, Any] = yaml.safe_load(configmap_config_text())
    data["intercom"]["base_url"] = emulator.url
    data["state"] = {"path": str(tmp_path / "state" / "state.db")}
    data["daemon"]["listen"] = "127.0.0.1:0"  # the pod's 0.0.0.0:9108, on a free port
    data["daemon"].pop("lease_period", None)  # shared-state setting; no meaning on SQLite
    folder = tmp_path / "etc"
    folder.mkdir()
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    folder.chmod(0o555)  # mounted read-only, as the ConfigMap volume is
    return path


def _wait_for_url(log: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(encoding="utf-8")
        for line in log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{") and json.loads(line).get("event") == "listening":
                return str(json.loads(line)["url"])
        time.sleep(0.1)
    raise AssertionError(f"the daemon never listened:\n{log.read_text(encoding='utf-8')}")


def test_the_container_answers_its_probes_and_stops_within_the_pods_grace(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    deployment = resource("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    config = _pod_config(tmp_path, emulator)
    args = [str(config) if a == "/etc/fin-ingestor/config.yaml" else a for a in container["args"]]
    scratch = {name: tmp_path / name for name in ("tmp", "run")}
    for folder in scratch.values():
        folder.mkdir()
    env = {
        **os.environ,
        **image_env(),
        **resource("Secret")["stringData"],
        **{e["name"]: e["value"] for e in container["env"]},
        "INTERCOM_TOKEN": emulator.token,
        "TMPDIR": str(scratch["tmp"]),
        "FIN_INGESTOR_DATA_DIR": str(scratch["run"]),
    }
    log = tmp_path / "daemon.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ingestor", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env=env,
        )
    try:
        url = _wait_for_url(log, process)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            path = container[probe]["httpGet"]["path"]
            with _DIRECT.open(url + path, timeout=container[probe]["timeoutSeconds"]) as answer:
                assert answer.status == 200, (probe, path)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=pod["terminationGracePeriodSeconds"]) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert [e["event"] for e in events if e.get("event") in ("stopping", "stopped")] == [
        "stopping",
        "stopped",
    ]
    assert emulator.token not in log.read_text(encoding="utf-8")
