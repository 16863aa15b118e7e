"""``ingestor init``: a starter config for every connector kind that ``validate`` accepts once
its placeholders are in the environment, and the full example shipped in the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingestor.commands.starter import example_config_path
from ingestor.config import load_config
from ingestor.connectors.base import ConnectorSettings, load_connector_classes

REPO = Path(__file__).resolve().parents[2]
ENVIRON = {
    "INTERCOM_TOKEN": "tok",
    "CONFLUENCE_EMAIL": "admin@example.com",
    "CONFLUENCE_API_TOKEN": "secret",
    "HOME": "/nonexistent",
}


def init(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingestor", "init", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("kind", sorted(load_connector_classes()))
def test_each_kind_gets_a_starter_that_validates(kind: str, tmp_path: Path) -> None:
    done = init(tmp_path, "--type", kind, "--output", "config.yaml")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    config = load_config(tmp_path / "config.yaml", environ=ENVIRON)
    (connector,) = config.connectors
    assert connector.type == kind
    # every key of the kind is in the starter: set, or commented out with its description
    for key in type(connector).model_fields.keys() - ConnectorSettings.model_fields.keys():
        assert f" {key}:" in text, key
    assert "INTERCOM_TOKEN" in text and "tok" not in text.replace("token", "")


def test_without_a_type_it_writes_the_shipped_example(tmp_path: Path) -> None:
    assert init(tmp_path).returncode == 0
    written = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert written == (REPO / "config.example.yaml").read_text(encoding="utf-8")
    assert example_config_path().read_text(encoding="utf-8") == written


def test_it_never_overwrites_without_force(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("mine", encoding="utf-8")
    refused = init(tmp_path, "--type", "filesystem")
    assert refused.returncode == 2
    assert "config.yaml exists" in refused.stderr and "--force" in refused.stderr
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == "mine"
    assert init(tmp_path, "--type", "filesystem", "--force").returncode == 0
    assert "type: filesystem" in (tmp_path / "config.yaml").read_text(encoding="utf-8")


def test_an_unknown_type_names_the_known_ones(tmp_path: Path) -> None:
    refused = init(tmp_path, "--type", "sharepoint")
    assert refused.returncode == 2
    assert "unknown connector type 'sharepoint'" in refused.stderr
    assert "filesystem" in refused.stderr
    assert not (tmp_path / "config.yaml").exists()
