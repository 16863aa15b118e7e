"""`ingestor health` (the container's health check) asks the daemon at the configured port."""

from __future__ import annotations

import socket
from collections.abc import Callable

from .conftest import DaemonProcess, Deployment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_health_reads_the_port_from_the_config(
    deployment: Deployment, start_daemon: Callable[..., DaemonProcess]
) -> None:
    port = free_port()
    deployment.write("docs", "a.md", "# A\n\nText.\n")
    connectors = [deployment.connector("docs", schedule={"every": "1h"})]
    deployment.write_config(connectors, daemon={"listen": f"0.0.0.0:{port}"})
    daemon = start_daemon(deployment)
    assert daemon.url().endswith(f":{port}")

    healthy = deployment.cli("health")
    assert healthy.returncode == 0, healthy.stderr
    assert f"http://127.0.0.1:{port}/healthz: 200" in healthy.stdout
    assert deployment.cli("health", "--ready").returncode == 0

    assert daemon.stop() == 0
    down = deployment.cli("health")
    assert down.returncode == 1 and f"127.0.0.1:{port}/healthz" in down.stderr


def test_health_without_an_endpoint_is_a_config_error(deployment: Deployment) -> None:
    deployment.write_config([])
    done = deployment.cli("health")
    assert done.returncode == 2 and "daemon.listen is not set" in done.stderr
