"""deploy/kubernetes, read as the API server and the daemon would read it: every resource valid
against the Kubernetes JSON schemas (kubernetes-validate ships them: no cluster, no network),
and the parts that must agree with each other and with the program do agree (ports, probe
paths, the Secret's keys and the config's ${VAR}s, the image's entrypoint and user, the
shutdown grace), and the ConfigMap's config loads with the project's loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from ingestor.config import parse_listen

from .manifests import (
    KUBERNETES,
    configmap_config_text,
    exec_form,
    image_env,
    image_uid,
    kubernetes_documents,
    load_deploy_config,
    referenced_variables,
    resource,
)

#: The oldest Kubernetes the manifests are written for (PodDisruptionBudget's
#: unhealthyPodEvictionPolicy is on by default from 1.27, GA in 1.31) and the newest schemas.
VERSIONS = ("1.31", kubernetes_validate.latest_version())
#: README "Performance": peak RSS of a first sync of 100,000 pages, engine and two workers.
MEASURED_FIRST_SYNC_PEAK_MIB = 324 * 1000**2 / 1024**2


def _container() -> dict[str, Any]:
    containers: list[dict[str, Any]] = resource("Deployment")["spec"]["template"]["spec"][
        "containers"
    ]
    assert len(containers) == 1
    return containers[0]


def _pod_labels() -> dict[str, str]:
    labels: dict[str, str] = resource("Deployment")["spec"]["template"]["metadata"]["labels"]
    return labels


def _mebibytes(quantity: str) -> float:
    units = {"Mi": 1.0, "Gi": 1024.0}
    return float(quantity[:-2]) * units[quantity[-2:]]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_resource_is_valid_against_the_kubernetes_schemas(version: str) -> None:
    checked = []
    for name, docs in kubernetes_documents().items():
        for doc in docs:
            if doc["kind"] == "Kustomization":  # kustomize's own file, not an API object
                continue
            kubernetes_validate.validate(doc, version, strict=True)  # raises on an error
            checked.append(f"{name}:{doc['kind']}")
    kinds = {entry.split(":")[1] for entry in checked}
    expected = {"Namespace", "ConfigMap", "Secret", "Deployment", "PodDisruptionBudget"}
    assert expected | {"Service"} == kinds


def test_the_validator_rejects_a_broken_deployment() -> None:
    # The schema check is a check: a misspelt probe field and a string replica count fail.
    broken = resource("Deployment")
    broken["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)
    broken = resource("Deployment")
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_kustomization_applies_every_manifest_and_names_the_deployments_image() -> None:
    kustomization = resource("Kustomization")
    files = sorted(p.name for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(kustomization["resources"]) == files
    [image] = kustomization["images"]
    assert _container()["image"].split(":")[0] == image["name"]
    assert resource("Namespace")["metadata"]["name"] == kustomization["namespace"]


def test_selectors_match_the_pods() -> None:
    labels = _pod_labels().items()
    deployment = resource("Deployment")
    assert deployment["spec"]["replicas"] == 3
    for selector in (
        deployment["spec"]["selector"]["matchLabels"],
        resource("PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        resource("Service")["spec"]["selector"],
    ):
        assert selector.items() <= labels, selector


def test_the_container_runs_the_images_daemon_command_on_the_configmaps_file() -> None:
    container = _container()
    assert "command" not in container  # the image's ENTRYPOINT stays
    assert exec_form("ENTRYPOINT") == ["ingestor"]
    assert container["args"] == exec_form("CMD")
    config_file = Path(container["args"][container["args"].index("-c") + 1])
    [mount] = [m for m in container["volumeMounts"] if m["name"] == "config"]
    assert Path(mount["mountPath"]) == config_file.parent and mount["readOnly"] is True
    volumes = {v["name"]: v for v in resource("Deployment")["spec"]["template"]["spec"]["volumes"]}
    configmap = resource("ConfigMap")
    assert volumes["config"]["configMap"]["name"] == configmap["metadata"]["name"]
    assert config_file.name in configmap["data"]


def test_the_ports_and_probes_are_the_configs_listen_port_and_the_daemons_routes() -> None:
    config = yaml.safe_load(configmap_config_text())
    host, port = parse_listen(config["daemon"]["listen"])
    assert host == "0.0.0.0"  # the kubelet probes the pod's IP, not its loopback
    container = _container()
    [named] = container["ports"]
    assert named["containerPort"] == port
    kinds = ("startupProbe", "livenessProbe", "readinessProbe")
    probes = {kind: container[kind]["httpGet"] for kind in kinds}
    assert {k: p["path"] for k, p in probes.items()} == {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    assert all(probe["port"] == named["name"] for probe in probes.values())
    [service_port] = resource("Service")["spec"]["ports"]
    assert service_port["targetPort"] == named["name"] and service_port["port"] == port
    annotations = resource("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port)


def test_the_secret_holds_exactly_the_variables_the_config_needs() -> None:
    required, defaulted = referenced_variables(configmap_config_text())
    secret = resource("Secret")
    keys = set(secret["stringData"])
    assert keys == required, "every ${VAR} without a default, and nothing else"
    assert not defaulted & keys
    [source] = _container()["envFrom"]
    assert source["secretRef"]["name"] == secret["metadata"]["name"]
    assert {"INTERCOM_TOKEN", "FIN_STATE_URL"} <= keys
    # Example values only, and plainly so.
    assert all("REPLACE-ME" in value for value in secret["stringData"].values())


def test_the_pod_gives_the_daemon_longer_than_its_grace_period_to_stop(tmp_path: Path) -> None:
    config = load_deploy_config(configmap_config_text(), tmp_path, _secret_env())
    grace = config.daemon.grace_period.total_seconds()
    pod = resource("Deployment")["spec"]["template"]["spec"]
    # The daemon waits grace_period for uploads, then up to 5 s for control clients, then exits.
    assert pod["terminationGracePeriodSeconds"] >= grace + 15


def test_the_pod_meets_the_restricted_pod_security_profile_and_writes_only_scratch() -> None:
    pod = resource("Deployment")["spec"]["template"]["spec"]
    container = _container()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == image_uid()
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    # No persistent volume: the state is in PostgreSQL; what the daemon writes is scratch.
    kinds = {name for v in pod["volumes"] for name in v if name != "name"}
    assert kinds == {"configMap", "emptyDir"}
    scratch = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    writable = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in scratch}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert writable == {env["TMPDIR"], image_env()["FIN_INGESTOR_DATA_DIR"]}


def test_the_memory_request_covers_the_measured_first_sync() -> None:
    resources = _container()["resources"]
    request = _mebibytes(resources["requests"]["memory"])
    limit = _mebibytes(resources["limits"]["memory"])
    assert MEASURED_FIRST_SYNC_PEAK_MIB <= request <= limit


def test_the_configmaps_config_loads_with_the_secrets_values(tmp_path: Path) -> None:
    environ = _secret_env()
    config = load_deploy_config(configmap_config_text(), tmp_path, environ)
    assert config.intercom.token.get_secret_value() == environ["INTERCOM_TOKEN"]
    assert config.daemon.listen_address == ("0.0.0.0", _container()["ports"][0]["containerPort"])
    assert {c.type for c in config.connectors} <= {"confluence", "mediawiki", "dokuwiki"}
    url = getattr(config.state, "url", None)  # None until state.url exists (PENDING_KEYS)
    if url is not None:
        shown = url.get_secret_value() if hasattr(url, "get_secret_value") else str(url)
        assert "@postgres.example:5432/fin_ingestor" in shown


def _secret_env() -> dict[str, str]:
    values: dict[str, str] = resource("Secret")["stringData"]
    env = {e["name"]: e["value"] for e in _container()["env"]}
    return {**image_env(), **values, **env}
