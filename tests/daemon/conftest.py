"""Helpers for daemon tests: real folders, a real YAML config, `ingestor daemon` as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingestor.config import Config, load_config
from ingestor.emulator import EmulatorServer
from ingestor.state import Store

from ..cli_process import run_ingestor

WRITE_OPS = (
    "createContentImportSource",
    "updateContentImportSource",
    "deleteContentImportSource",
    "createExternalPage",
    "updateExternalPage",
    "deleteExternalPage",
)
# Local calls must never go through a proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_for(condition: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    """Poll until ``condition()`` is truthy and return its value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not reached within {timeout}s"
        time.sleep(0.05)


def write_calls(stats: dict[str, Any]) -> int:
    return sum(int(stats["by_operation"].get(op, 0)) for op in WRITE_OPS)


class Deployment:
    """Folders of pages plus the config (with a ``daemon:`` section) that syncs them."""

    def __init__(
        self, tmp_path: Path, server: EmulatorServer, state: Path | str | None = None
    ) -> None:
        self.tmp = tmp_path
        self.server = server
        #: The SQLite file, or a PostgreSQL URL (tests marked ``state_backends``).
        self.state: Path | str = tmp_path / "state" / "state.db" if state is None else state
        self.config_path = tmp_path / "config.yaml"
        self.log_path = tmp_path / "daemon.log"
        self.env = {"TEST_INTERCOM_TOKEN": server.token}
        if isinstance(self.state, str):  # the data folder holds the control socket then
            self.env["FIN_INGESTOR_DATA_DIR"] = str(tmp_path / "data")

    def folder(self, name: str) -> Path:
        path = self.tmp / name
        path.mkdir(exist_ok=True)
        return path

    def write(self, folder: str, rel: str, text: str) -> Path:
        path = self.folder(folder) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def connector(self, name: str, **extra: Any) -> dict[str, Any]:
        """A filesystem connector entry over folder ``name``."""
        return {
            "name": name,
            "type": "filesystem",
            "url": f"https://{name}.example.com/",
            "root": str(self.folder(name)),
            "url_template": f"https://{name}.example.com/{{path}}",
            **extra,
        }

    def write_config(
        self,
        connectors: list[dict[str, Any]],
        *,
        daemon: dict[str, Any] | None = None,
        token_var: str = "TEST_INTERCOM_TOKEN",
        max_attempts: int = 4,
    ) -> None:
        data = {
            "intercom": {
                "token": f"${{{token_var}}}",
                "base_url": self.server.url,
                "max_attempts": max_attempts,
            },
            "state": {"path" if isinstance(self.state, Path) else "url": str(self.state)},
            "daemon": {"grace_period": "20s", **(daemon or {})},
            "connectors": connectors,
        }
        self.config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    def config(self) -> Config:
        return load_config(self.config_path, environ=self.env)

    def intercom_pages(self, source_url: str | None = None) -> dict[str, dict[str, Any]]:
        """Emulator pages by external_id (of one source when given); fails on duplicates."""
        pages = self.server.pages()
        if source_url is not None:
            ids = {s["id"] for s in self.server.sources() if s["url"] == source_url}
            pages = [p for p in pages if p["source_id"] in ids]
        by_id = {p["external_id"]: p for p in pages}
        assert len(by_id) == len(pages), "duplicate external_id in Intercom"
        return by_id

    def state_ids(self, connector: str) -> dict[str, str | None]:
        """external_id -> Intercom id as the state database records them."""
        with Store.open(self.state, read_only=True) as store:
            return {eid: rec.intercom_id for eid, rec in store.page_index(connector).items()}

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return run_ingestor(self.config_path, args, self.env, timeout=timeout)


class DaemonProcess:
    """`ingestor daemon --log-format json` in a subprocess; its log goes to a file we read."""

    def __init__(self, deployment: Deployment, env: dict[str, str] | None = None) -> None:
        self.deployment = deployment
        self._log = deployment.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ingestor",
                "daemon",
                "-c",
                str(deployment.config_path),
                "--log-format",
                "json",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            env={**os.environ, **deployment.env, **(env or {})},
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        return self.deployment.log_path.read_text(encoding="utf-8", errors="replace")

    def events(self) -> list[dict[str, Any]]:
        """Every JSON log line so far."""
        found = []
        for line in self.log_text().splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found

    def matching(self, **fields: Any) -> list[dict[str, Any]]:
        return [e for e in self.events() if all(e.get(k) == v for k, v in fields.items())]

    def wait_event(self, timeout: float = 30, count: int = 1, **fields: Any) -> dict[str, Any]:
        """The ``count``-th log event whose fields equal ``fields``; fails if the daemon died."""

        def found() -> dict[str, Any] | None:
            hits = self.matching(**fields)
            if len(hits) >= count:
                return hits[count - 1]
            assert self.proc.poll() is None, f"daemon exited early:\n{self.log_text()}"
            return None

        event: dict[str, Any] = wait_for(found, timeout, f"log event {fields} x{count}")
        return event

    def finished_runs(self, connector: str) -> list[dict[str, Any]]:
        """The engine's end-of-run log events of ``connector``."""
        return [
            e
            for e in self.events()
            if e.get("connector") == connector and "status" in e and e.get("run_id")
        ]

    def url(self, timeout: float = 30) -> str:
        return str(self.wait_event(timeout, event="listening")["url"])

    def get(self, path: str) -> tuple[int, str]:
        try:
            with _DIRECT.open(self.url() + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get_json(self, path: str) -> tuple[int, Any]:
        status, body = self.get(path)
        return status, json.loads(body)

    def send(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


@pytest.fixture
def deployment(tmp_path: Path, emulator: EmulatorServer, state_location: Path | str) -> Deployment:
    """SQLite state, or for a test marked ``state_backends`` either backend."""
    return Deployment(tmp_path, emulator, state_location)


@pytest.fixture
def make_deployment(
    tmp_path: Path, state_location: Path | str
) -> Callable[[EmulatorServer], Deployment]:
    return lambda server: Deployment(tmp_path, server, state_location)


@pytest.fixture
def start_daemon() -> Iterator[Callable[..., DaemonProcess]]:
    """Start daemons; any still running after the test is killed."""
    started: list[DaemonProcess] = []

    def start(deployment: Deployment, env: dict[str, str] | None = None) -> DaemonProcess:
        process = DaemonProcess(deployment, env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
