"""deploy/compose.postgres.yaml (and compose.yaml), read as Docker Compose would: valid against
the Compose Specification's JSON schema (check-jsonschema ships it: no Docker, no network), and
its services agree with each other, with the image and with the trial config the daemons load
(no Docker engine runs here, so nothing is started)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from ingestor.config import parse_listen

from .manifests import (
    DEPLOY,
    exec_form,
    image_env,
    load_deploy_config,
    referenced_variables,
)

COMPOSE = DEPLOY / "compose.postgres.yaml"
TRIAL_CONFIG = DEPLOY / "trial.config.yaml"
#: What `docker compose` would be given on the command line.
SHELL = {"POSTGRES_PASSWORD": "trial-password"}
# ${VAR}, ${VAR:-default}, ${VAR:?message}, as Compose interpolates them.
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}")


def _interpolate(value: str, shell: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if shell.get(name):
            return shell[name]
        assert kind != "?", f"{name} must be set: {rest}"
        return rest if kind == "-" else ""

    return _INTERPOLATION.sub(one, value)


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    return services


def _environment(service: str) -> dict[str, str]:
    raw = _services()[service]["environment"]
    return {key: _interpolate(str(value), SHELL) for key, value in raw.items()}


def _check_jsonschema(*files: Path) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert tool is not None, "check-jsonschema is in the test extra"
    return subprocess.run(
        [tool, "--builtin-schema", "vendor.compose-spec", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_the_compose_files_are_valid_against_the_compose_specification() -> None:
    result = _check_jsonschema(COMPOSE, DEPLOY / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("service", "key", "value"),
    [
        ("daemon", "stop_grace_periode", "60s"),  # a misspelt key
        ("daemon", "depends_on", {"postgres": {"condition": "healthy"}}),  # not a condition
        ("postgres", "healthcheck", {"test": ["CMD", "pg_isready"], "intervall": "5s"}),
    ],
)
def test_the_schema_check_rejects_a_broken_compose_file(
    tmp_path: Path, service: str, key: str, value: object
) -> None:
    broken = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    broken["services"][service][key] = value
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = _check_jsonschema(path)
    assert result.returncode != 0
    assert f"$.services.{service}" in result.stdout, result.stdout


def test_two_daemons_wait_for_a_healthy_postgres_and_emulator() -> None:
    services = _services()
    daemon = services["daemon"]
    assert daemon["deploy"]["replicas"] == 2
    assert {name: d["condition"] for name, d in daemon["depends_on"].items()} == {
        "postgres": "service_healthy",
        "emulator": "service_healthy",
    }
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert "healthcheck" in services["emulator"]


def test_the_state_url_names_the_postgres_service_and_its_credentials() -> None:
    postgres = _environment("postgres")
    url = urlsplit(_environment("daemon")["FIN_STATE_URL"])
    assert url.scheme == "postgresql" and url.hostname == "postgres" and url.port == 5432
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"] == SHELL["POSTGRES_PASSWORD"]
    assert url.path == "/" + postgres["POSTGRES_DB"]
    # PostgreSQL keeps its data on a named volume; the daemons keep none.
    assert "postgres-data:/var/lib/postgresql/data" in _services()["postgres"]["volumes"]
    daemon_volumes = _services()["daemon"]["volumes"]
    assert all(volume.endswith(":ro") for volume in daemon_volumes)


def test_the_daemons_run_the_images_command_read_only_with_scratch_in_memory() -> None:
    daemon = _services()["daemon"]
    assert "entrypoint" not in daemon and daemon["command"] == exec_form("CMD")
    assert daemon["read_only"] is True and daemon["cap_drop"] == ["ALL"]
    scratch = {entry.split(":")[0] for entry in daemon["tmpfs"]}
    assert scratch == {"/tmp", image_env()["FIN_INGESTOR_DATA_DIR"]}
    config_file = daemon["command"][daemon["command"].index("-c") + 1]
    assert f"./{TRIAL_CONFIG.name}:{config_file}:ro" in daemon["volumes"]


def test_the_trial_config_reaches_the_emulator_and_publishes_its_listen_port(
    tmp_path: Path,
) -> None:
    services = _services()
    config = load_deploy_config(TRIAL_CONFIG.read_text(encoding="utf-8"), tmp_path, _daemon_env())
    emulator = urlsplit(str(config.intercom.base_url))
    command = services["emulator"]["command"]
    assert emulator.hostname == "emulator"
    assert emulator.port == int(command[command.index("--port") + 1])
    assert command[command.index("--host") + 1] == "0.0.0.0"
    host, port = parse_listen(str(config.daemon.listen))
    assert host == "0.0.0.0"
    assert all(mapping.endswith(f":{port}") for mapping in services["daemon"]["ports"])
    grace = config.daemon.grace_period.total_seconds()
    assert int(services["daemon"]["stop_grace_period"].rstrip("s")) >= grace + 15
    assert config.intercom.token.get_secret_value() == "emulator-token"


def test_every_variable_the_trial_config_reads_is_set_for_the_daemons() -> None:
    required, _ = referenced_variables(TRIAL_CONFIG.read_text(encoding="utf-8"))
    assert required and required <= set(_daemon_env())


def test_the_daemons_see_the_example_pages_at_the_configs_roots(tmp_path: Path) -> None:
    config = load_deploy_config(TRIAL_CONFIG.read_text(encoding="utf-8"), tmp_path, _daemon_env())
    mounts = {}
    for volume in _services()["daemon"]["volumes"]:
        host, container, _ = volume.split(":")
        mounts[container] = (DEPLOY / host).resolve()
    for connector in config.connectors:
        root = Path(str(connector.model_dump()["root"]))
        [(inside, on_host)] = [(c, h) for c, h in mounts.items() if root.is_relative_to(c)]
        folder = on_host / root.relative_to(inside)
        assert folder.is_dir() and any(folder.iterdir()), f"{connector.name}: {folder}"


def _daemon_env() -> dict[str, str]:
    return {**image_env(), **_environment("daemon")}
