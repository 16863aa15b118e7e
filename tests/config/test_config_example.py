"""The shipped config.example.yaml, the real connector registry, and documented keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from ingestor.config import (
    Config,
    config_keys,
    config_reference_markdown,
    load_config,
    parse_config,
)
from ingestor.connectors.base import load_connector_classes
from ingestor.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config.example.yaml"


@pytest.fixture
def filesystem() -> Any:
    return pytest.importorskip("ingestor.connectors.filesystem")


def test_example_config_loads_with_the_real_registry(filesystem: Any, tmp_path: Path) -> None:
    config = load_config(EXAMPLE, environ={"INTERCOM_TOKEN": "tok_example", "HOME": str(tmp_path)})

    assert config.intercom.resolved_base_url == "https://api.intercom.io"
    # the default, never next to the config (installed read-only in /etc under systemd)
    assert config.state.path == tmp_path / ".local" / "share" / "fin-ingestor" / "state.db"
    under_systemd = {"INTERCOM_TOKEN": "t", "STATE_DIRECTORY": "/var/lib/fin-ingestor/acme"}
    assert load_config(EXAMPLE, environ=under_systemd).state.path == Path(
        "/var/lib/fin-ingestor/acme/state.db"
    )
    help_center, runbooks = config.connectors
    assert isinstance(help_center, filesystem.FilesystemSettings)
    assert help_center.root.resolve() == REPO / "ingestor" / "examples" / "handbook"
    assert help_center.root.is_dir() and runbooks.root.is_dir()  # type: ignore[attr-defined]
    assert "troubleshooting/" in help_center.exclude  # an explicit key beats the merged one
    assert runbooks.include == ["**/*.md", "**/*.html", "**/*.txt"]  # type: ignore[attr-defined]
    assert help_center.url != runbooks.url
    assert config.effective(runbooks).ai_agent_availability is False
    assert config.effective(runbooks).max_delete_fraction == 0.2
    assert config.effective(help_center).ai_agent_availability is True


def test_example_region_comes_from_the_environment(filesystem: Any, tmp_path: Path) -> None:
    environ = {"INTERCOM_TOKEN": "t", "INTERCOM_REGION": "eu", "HOME": str(tmp_path)}
    assert load_config(EXAMPLE, environ=environ).intercom.region == "eu"


def test_example_without_the_token_says_which_variable(filesystem: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(EXAMPLE, environ={"HOME": str(tmp_path)})
    [issue] = caught.value.issues
    assert issue.path == "intercom.token"
    assert issue.message == "environment variable INTERCOM_TOKEN is not set"
    assert issue.line is not None
    assert EXAMPLE.read_text().splitlines()[issue.line - 1].strip() == "token: ${INTERCOM_TOKEN}"


def test_real_filesystem_connector_errors_carry_lines(filesystem: Any, tmp_path: Path) -> None:
    text = """\
intercom: {token: t}
connectors:
  - name: share
    type: filesystem
    url: https://share.example.com
    root: ./not-here
    url_template: https://share.example.com/{nope}
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, filename="c.yaml", config_dir=tmp_path, environ={})
    # a missing root is not a config error (a late mount): only the template is
    assert [(i.line, i.path) for i in caught.value.issues] == [(7, "connectors[0].url_template")]


def test_unknown_type_lists_registered_kinds(filesystem: Any, tmp_path: Path) -> None:
    text = "intercom: {token: t}\nconnectors:\n  - {name: a, type: sharepoint, url: 'https://a'}\n"
    with pytest.raises(ConfigError, match=r"unknown connector type 'sharepoint' \(known types: "):
        parse_config(text, filename="c.yaml", config_dir=tmp_path, environ={})


def _undocumented(model: type[BaseModel], prefix: str, seen: set[type[BaseModel]]) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    missing = []
    for name, field in model.model_fields.items():
        if not (field.description or "").strip():
            missing.append(f"{prefix}{name}")
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            missing += _undocumented(annotation, f"{prefix}{name}.", seen)
    return missing


def test_every_config_key_has_a_description() -> None:
    models: list[tuple[type[BaseModel], str]] = [(Config, "")]
    models += [
        (cls.Settings, f"connectors[{kind}].") for kind, cls in load_connector_classes().items()
    ]
    seen: set[type[BaseModel]] = set()
    missing = [key for model, prefix in models for key in _undocumented(model, prefix, seen)]
    assert missing == []


def test_reference_lists_every_key_once_per_kind(fake_classes: Any) -> None:
    keys = config_keys(fake_classes)
    paths = [(k.path, k.kind) for k in keys]
    assert len(paths) == len(set(paths))
    assert ("intercom.token", "") in paths and ("source_path", "") not in paths
    assert ("connectors[].root", "folder") in paths and ("connectors[].api_token", "wiki") in paths
    assert ("connectors[].name", "folder") not in paths  # common keys are listed once
    by_path = {(k.path, k.kind): k for k in keys}
    assert by_path["intercom.token", ""].default == "required"
    assert by_path["intercom.token", ""].type == "secret string"
    assert by_path["intercom.region", ""].type == "us / eu / au"
    assert by_path["state.path", ""].default == "state.db in the data folder"
    assert by_path["connectors[].include", "folder"].default == "[**/*.md]"
    markdown = config_reference_markdown(fake_classes)
    assert markdown.count("\n") == len(keys) + 2
    assert "| `connectors[].depth` (folder) | integer | `3` | How deep to walk. |" in markdown
