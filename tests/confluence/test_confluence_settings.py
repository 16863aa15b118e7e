"""Settings validation through the real config loader, and registration."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestor.config import load_config
from ingestor.connectors.base import load_connector_classes
from ingestor.connectors.confluence import ConfluenceConnector, ConfluenceSettings
from ingestor.errors import ConfigError

HEAD = """\
intercom:
  token: ${INTERCOM_TOKEN}
state:
  path: state.db
connectors:
  - name: wiki
    type: confluence
    url: https://wiki.example.com/
"""
ENV = {"INTERCOM_TOKEN": "tok", "CONF_TOKEN": "s3cret-conf-token"}


def load(tmp_path: Path, entry: str) -> ConfluenceSettings:
    path = tmp_path / "config.yaml"
    path.write_text(HEAD + entry, encoding="utf-8")
    [settings] = load_config(path, environ=ENV).connectors
    assert isinstance(settings, ConfluenceSettings)
    return settings


def test_registered_under_confluence() -> None:
    assert load_connector_classes()["confluence"] is ConfluenceConnector


def test_cloud_entry_with_defaults(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        "    base_url: https://acme.atlassian.net/wiki/\n"
        "    email: bot@acme.com\n    api_token: ${CONF_TOKEN}\n    spaces: [ENG, SUP]\n",
    )
    assert settings.deployment == "cloud" and settings.base_url == "https://acme.atlassian.net/wiki"
    assert settings.body_format == "export_view" and settings.cql_timezone is None
    assert "s3cret-conf-token" not in repr(settings)


def test_datacenter_entry_with_a_ca_bundle_next_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not read until connecting", encoding="utf-8")
    settings = load(
        tmp_path,
        "    deployment: datacenter\n    base_url: https://intra.example.com/confluence\n"
        "    personal_access_token: ${CONF_TOKEN}\n    spaces: [OPS]\n    verify: ca.pem\n"
        "    root_page_ids: [12345]\n    include_labels: [FAQ]\n    cql_timezone: Europe/Paris\n"
        "    overlap: 15m\n",
    )
    assert settings.verify == tmp_path / "ca.pem"
    assert settings.root_page_ids == ["12345"] and settings.include_labels == ["faq"]
    assert settings.overlap.total_seconds() == 900


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("    base_url: https://a.atlassian.net/wiki\n    spaces: [ENG]\n", "needs 'email'"),
        (
            "    deployment: datacenter\n    base_url: https://c.example.com\n"
            "    email: a@b.c\n    api_token: ${CONF_TOKEN}\n    spaces: [ENG]\n",
            "needs 'personal_access_token'",
        ),
        (
            "    base_url: https://a.atlassian.net/wiki\n    email: a@b.c\n"
            "    api_token: ${CONF_TOKEN}\n    spaces: [ENG]\n    cql_timezone: Mars/Olympus\n",
            "unknown time zone",
        ),
        (
            "    base_url: https://a.atlassian.net/wiki\n    email: a@b.c\n"
            "    api_token: ${CONF_TOKEN}\n    spaces: ['bad key']\n",
            "not a Confluence space key",
        ),
        (
            "    base_url: https://a.atlassian.net/wiki\n    email: a@b.c\n"
            "    api_token: ${CONF_TOKEN}\n    spaces: [ENG]\n    root_page_ids: [abc]\n",
            "not a Confluence page id",
        ),
        (
            "    base_url: https://a.atlassian.net/wiki\n    email: a@b.c\n"
            "    api_token: ${CONF_TOKEN}\n    spaces: [ENG]\n    verify: missing.pem\n",
            "CA bundle does not exist",
        ),
    ],
)
def test_bad_entries_are_refused_clearly(tmp_path: Path, entry: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, entry)
    message = str(caught.value)
    assert expected in message and "connectors" in message
    assert "s3cret-conf-token" not in message


def test_scoped_tokens_call_the_gateway_and_keep_the_site(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        "    base_url: https://acme.atlassian.net/wiki\n"
        "    api_url: https://api.atlassian.com/ex/confluence/3f2a/wiki/\n"
        "    email: bot@acme.com\n    api_token: ${CONF_TOKEN}\n    spaces: [ENG]\n",
    )
    assert settings.api_url == "https://api.atlassian.com/ex/confluence/3f2a/wiki"
    assert settings.base_url == "https://acme.atlassian.net/wiki"
    with pytest.raises(ConfigError, match="api_url"):
        load(
            tmp_path,
            "    base_url: https://acme.atlassian.net/wiki\n    api_url: api.atlassian.com\n"
            "    email: bot@acme.com\n    api_token: ${CONF_TOKEN}\n    spaces: [ENG]\n",
        )
