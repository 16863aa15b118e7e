"""Reading the deploy/ files the way their consumers do: the Kubernetes manifests, the compose
file, the Dockerfile's instructions, and a config file through the project's own loader."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ingestor.config import Config, DaemonSettings, StateSettings, load_config

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")

# `${NAME}` (required) or `${NAME:-default}`; `$${` is a literal, as the config loader reads it.
_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")

#: Keys the manifests use that other branches of issue 18 add to the config models
#: (state.url: PostgreSQL state; daemon.lease_period: shared connectors). Until a model has
#: its field, :func:`load_deploy_config` leaves the key out so the rest is still checked.
PENDING_KEYS: dict[tuple[str, str], type[Any]] = {
    ("state", "url"): StateSettings,
    ("daemon", "lease_period"): DaemonSettings,
}


def kubernetes_documents() -> dict[str, list[dict[str, Any]]]:
    """Every resource of every manifest file in deploy/kubernetes, by file name."""
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
        for path in sorted(KUBERNETES.glob("*.yaml"))
    }


def resource(kind: str) -> dict[str, Any]:
    """The one resource of ``kind`` among the manifests (fails if there are several)."""
    found = [doc for docs in kubernetes_documents().values() for doc in docs if doc["kind"] == kind]
    assert len(found) == 1, f"{len(found)} resources of kind {kind}"
    return found[0]


def configmap_config_text() -> str:
    data: dict[str, str] = resource("ConfigMap")["data"]
    return data["config.yaml"]


def referenced_variables(text: str) -> tuple[set[str], set[str]]:
    """The ``${VAR}`` names a config reads: (required, with a default)."""
    required: set[str] = set()
    defaulted: set[str] = set()
    for name, default in _REFERENCE.findall(text):
        (defaulted if default else required).add(name)
    return required - defaulted, defaulted


def instructions(name: str) -> list[str]:
    """The arguments of every Dockerfile instruction ``name`` (continuations joined)."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return [
        line.split(None, 1)[1]
        for line in joined.splitlines()
        if line.strip().upper().startswith(name + " ")
    ]


def exec_form(name: str) -> list[str]:
    """The last ``name`` instruction (ENTRYPOINT, CMD) in exec form, as a list."""
    value: list[str] = json.loads(instructions(name)[-1])
    return value


def image_env() -> dict[str, str]:
    """The image's ENV (``ENV A=1 \\ B=2`` form)."""
    pairs = " ".join(instructions("ENV")).split()
    return dict(pair.split("=", 1) for pair in pairs)


def image_uid() -> int:
    """The uid the Dockerfile gives its service user."""
    match = re.search(r"useradd [^\n]*--uid (\d+)", DOCKERFILE.replace("\\\n", " "))
    assert match is not None, "the Dockerfile creates no user with a fixed uid"
    return int(match.group(1))


def load_deploy_config(text: str, folder: Path, environ: Mapping[str, str]) -> Config:
    """``text`` written to ``folder/config.yaml`` and loaded as the daemon would load it.

    Keys of :data:`PENDING_KEYS` whose model has no such field yet are left out first.
    """
    data = yaml.safe_load(text)
    for (section, key), model in PENDING_KEYS.items():
        if key not in model.model_fields:
            data.get(section, {}).pop(key, None)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_config(path, environ=environ)
