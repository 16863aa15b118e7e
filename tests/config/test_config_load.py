"""Valid configs: defaults, ${VAR} expansion, paths, overrides, load_config on real files."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ingestor.config import (
    Config,
    EffectiveSettings,
    IntercomSettings,
    StateSettings,
    default_data_dir,
    load_config,
)
from ingestor.config._models import SECTION_BYTES_DEFAULT
from ingestor.errors import ConfigError

MINIMAL = """\
intercom:
  token: ${INTERCOM_TOKEN}
connectors:
  - name: handbook
    type: folder
    url: https://help.example.com/handbook
    root: docs
"""


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    return tmp_path / "docs"


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "INTERCOM_TOKEN": "tok_live_123", **values}


def test_minimal_config_gets_documented_defaults(parse: Any, tmp_path: Path, docs: Path) -> None:
    config = parse(MINIMAL, env(tmp_path))

    assert config.intercom.token.get_secret_value() == "tok_live_123"
    assert config.intercom.region == "us"
    assert config.intercom.resolved_base_url == "https://api.intercom.io"
    assert config.intercom.api_version == "2.14"
    assert (config.intercom.timeout_seconds, config.intercom.max_attempts) == (30, 6)
    assert config.state.path == tmp_path / "home/.local/share/fin-ingestor/state.db"
    assert config.defaults.max_page_bytes == 1_000_000
    assert config.defaults.max_delete_fraction == 0.5
    assert config.defaults.locale == "en"
    [handbook] = config.connectors
    assert type(handbook).__name__ == "FolderSettings"  # the kind's own settings class
    assert handbook.root == docs  # relative to the config folder, via the validation context


@pytest.mark.parametrize(
    ("region", "url"),
    [("us", "https://api.intercom.io"), ("eu", "https://api.eu.intercom.io"),
     ("au", "https://api.au.intercom.io")],
)  # fmt: skip
def test_region_picks_the_api_host(region: str, url: str) -> None:
    settings = IntercomSettings.model_validate({"token": "t", "region": region})
    assert settings.resolved_base_url == url


def test_base_url_overrides_region_without_trailing_slash() -> None:
    settings = IntercomSettings.model_validate(
        {"token": "t", "region": "eu", "base_url": "http://127.0.0.1:8000/"}
    )
    assert settings.resolved_base_url == "http://127.0.0.1:8000"


def test_empty_sections_mean_defaults(parse: Any, tmp_path: Path, docs: Path) -> None:
    text = MINIMAL + "state:\ndefaults:\n  # max_page_bytes: 10\n"
    config = parse(text, env(tmp_path))
    assert config.defaults.max_page_bytes == 1_000_000
    assert config.state.path.name == "state.db"


def test_empty_connector_list_is_allowed(parse: Any, tmp_path: Path) -> None:
    config = parse("intercom: {token: t}\nconnectors: []\n", env(tmp_path))
    assert config.connectors == []


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"FIN_INGESTOR_DATA_DIR": "/srv/ingestor", "XDG_DATA_HOME": "/xdg"}, "/srv/ingestor"),
        (
            {"STATE_DIRECTORY": "/var/lib/fin-ingestor/acme", "HOME": "/h"},
            "/var/lib/fin-ingestor/acme",
        ),
        ({"STATE_DIRECTORY": "/var/lib/a:/var/lib/b", "XDG_DATA_HOME": "/xdg"}, "/var/lib/a"),
        ({"FIN_INGESTOR_DATA_DIR": "/srv/i", "STATE_DIRECTORY": "/var/lib/a"}, "/srv/i"),
        ({"XDG_DATA_HOME": "/xdg", "HOME": "/home/a"}, "/xdg/fin-ingestor"),
        ({"HOME": "/home/a"}, "/home/a/.local/share/fin-ingestor"),
    ],
)
def test_default_data_dir_order(environ: dict[str, str], expected: str) -> None:
    assert default_data_dir(environ) == Path(expected)


def test_state_path_default_follows_the_loader_environment(
    parse: Any, tmp_path: Path, docs: Path
) -> None:
    config = parse(MINIMAL, env(tmp_path, FIN_INGESTOR_DATA_DIR=str(tmp_path / "data")))
    assert config.state.path == tmp_path / "data" / "state.db"


def test_state_path_relative_to_config_folder_and_home(
    parse: Any, tmp_path: Path, docs: Path
) -> None:
    relative = parse(MINIMAL + "state:\n  path: var/state.db\n", env(tmp_path))
    assert relative.state.path == tmp_path / "var" / "state.db"
    absolute = parse(MINIMAL + f"state:\n  path: {tmp_path}/abs.db\n", env(tmp_path))
    assert absolute.state.path == tmp_path / "abs.db"


def test_state_settings_without_context_use_os_environ(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FIN_INGESTOR_DATA_DIR", str(tmp_path))
    assert StateSettings.model_validate({}).path == tmp_path / "state.db"


class TestInterpolation:
    def test_forms_of_reference(self, parse: Any, tmp_path: Path, docs: Path) -> None:
        text = MINIMAL.replace(
            "root: docs",
            "root: ${DOCS_DIR:-docs}\n"
            "    include: ['${EXT}', '${UNSET:-*.txt}', '${EMPTY:-*.html}', 'pre-${EXT}-$${EXT}']",
        )
        config = parse(text, env(tmp_path, EXT="*.md", EMPTY=""))
        handbook = config.connectors[0]
        assert handbook.root == docs
        assert handbook.include == [
            "*.md",
            "*.txt",
            "*.html",  # an empty variable takes the default, as in the shell
            "pre-*.md-${EXT}",  # $${ is a literal ${
        ]

    def test_values_are_not_reparsed_as_yaml(self, parse: Any, tmp_path: Path, docs: Path) -> None:
        text = MINIMAL.replace("url: https://help.example.com/handbook", "url: ${URL}")
        config = parse(text, env(tmp_path, URL="https://h.example.com/a?b=1#c: d"))
        assert config.connectors[0].url == "https://h.example.com/a?b=1#c: d"

    def test_secret_with_yaml_characters(self, parse: Any, tmp_path: Path, docs: Path) -> None:
        secret = "tok: 'quoted' \"double\" #not-a-comment {x} [y] &anchor *alias"
        config = parse(MINIMAL, env(tmp_path, INTERCOM_TOKEN=secret.replace(" ", "_")))
        assert config.intercom.token.get_secret_value() == secret.replace(" ", "_")

    def test_numbers_and_booleans_from_the_environment(
        self, parse: Any, tmp_path: Path, docs: Path
    ) -> None:
        text = MINIMAL + "    enabled: ${ENABLED}\n    depth: ${DEPTH}\n"
        text += "defaults:\n  max_delete_fraction: ${FRACTION}\n"
        config = parse(text, env(tmp_path, ENABLED="false", DEPTH="7", FRACTION="0.25"))
        assert config.connectors[0].enabled is False
        assert config.connectors[0].depth == 7
        assert config.defaults.max_delete_fraction == 0.25

    def test_default_environment_is_os_environ(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, docs: Path, fake_classes: Any
    ) -> None:
        monkeypatch.setenv("INTERCOM_TOKEN", "from-os-environ")
        path = tmp_path / "config.yaml"
        path.write_text(MINIMAL)
        config = load_config(path, connector_classes=fake_classes)
        assert config.intercom.token.get_secret_value() == "from-os-environ"


def test_anchors_and_merge_keys(parse: Any, tmp_path: Path, docs: Path) -> None:
    text = """\
intercom: {token: t}
x-common: &common
  type: folder
  root: docs
connectors:
  - <<: *common
    name: one
    url: https://a.example.com
  - <<: *common
    name: two
    url: https://b.example.com
"""
    config = parse(text, env(tmp_path))  # top-level x- keys are ignored: anchors live there
    assert [(c.name, c.type) for c in config.connectors] == [("one", "folder"), ("two", "folder")]
    with pytest.raises(ConfigError, match="common: unknown key"):
        parse(text.replace("x-common", "common"), env(tmp_path))


def test_effective_settings_apply_overrides(parse: Any, tmp_path: Path, docs: Path) -> None:
    text = MINIMAL + (
        "    ai_agent_availability: false\n"
        "    max_delete_fraction: 0\n"
        "    deletion: delete\n"
        "  - {name: faq, type: folder, url: 'https://help.example.com/faq', root: docs,"
        " max_page_bytes: 5000, section_bytes: 0, hide_for: 12h}\n"
        "defaults:\n  ai_copilot_availability: false\n  max_delete_fraction: 0.3\n"
        "  hide_for: 2d\n"
    )
    config = parse(text, env(tmp_path))
    assert config.effective(config.connector("handbook")) == EffectiveSettings(
        ai_agent_availability=False,
        ai_copilot_availability=False,
        max_page_bytes=1_000_000,
        max_delete_fraction=0.0,  # an explicit 0 overrides; it is not "unset"
        min_text_chars=1,
        section_bytes=SECTION_BYTES_DEFAULT,
        deletion="delete",
        hide_for=timedelta(days=2),
    )
    assert config.effective(config.connector("faq")) == EffectiveSettings(
        ai_agent_availability=True,
        ai_copilot_availability=False,
        max_page_bytes=5000,
        max_delete_fraction=0.3,
        min_text_chars=1,
        section_bytes=0,
        deletion="hide",
        hide_for=timedelta(hours=12),
    )


def test_deletion_defaults_to_hide_for_a_week_and_hide_for_is_bounded(
    parse: Any, tmp_path: Path, docs: Path
) -> None:
    config = parse(MINIMAL, env(tmp_path))
    effective = config.effective(config.connector("handbook"))
    assert (effective.deletion, effective.hide_for) == ("hide", timedelta(days=7))
    for bad, message in (
        ("hide_for: 400d", "config.yaml:8: connectors[0].hide_for: must be at most 366d (a year)"),
        ("hide_for: 0s", "connectors[0].hide_for: must be longer than 0s"),
        ("hide_for: soon", "'soon' is not a duration"),
        ("deletion: archive", "connectors[0].deletion: Input should be 'hide' or 'delete'"),
    ):
        with pytest.raises(ConfigError, match=re.escape(message)):
            parse(MINIMAL + f"    {bad}\n", env(tmp_path))


def test_unknown_connector_name_lists_known_ones(parse: Any, tmp_path: Path, docs: Path) -> None:
    config = parse(MINIMAL, env(tmp_path))
    with pytest.raises(ConfigError, match=r"no connector named 'wiki' \(known: handbook\)"):
        config.connector("wiki")


def test_load_config_reads_a_real_file(tmp_path: Path, fake_classes: Any) -> None:
    folder = tmp_path / "etc" / "ingestor"
    (folder / "docs").mkdir(parents=True)
    path = folder / "config.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())  # a BOM from a Windows editor is fine
    config = load_config(path, environ=env(tmp_path), connector_classes=fake_classes)
    assert isinstance(config, Config)
    assert config.source_path == path.resolve()
    assert config.connectors[0].root == folder / "docs"  # type: ignore[attr-defined]


def test_load_config_relative_path_resolves_against_its_folder(
    tmp_path: Path, fake_classes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf" / "docs").mkdir(parents=True)
    (tmp_path / "conf" / "config.yaml").write_text(MINIMAL + "state: {path: s.db}\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(
        Path("conf/config.yaml"), environ=env(tmp_path), connector_classes=fake_classes
    )
    assert config.state.path == tmp_path / "conf" / "s.db"


def test_inline_token_is_accepted_with_a_warning(
    parse: Any, tmp_path: Path, docs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ingestor.config"):
        config = parse(MINIMAL.replace("${INTERCOM_TOKEN}", "tok_inline_999"), env(tmp_path))
    assert config.intercom.token.get_secret_value() == "tok_inline_999"
    assert "config.yaml:2: intercom.token is written inline" in caplog.text
    assert "tok_inline_999" not in caplog.text


def test_token_never_shows_in_reprs_or_dumps(parse: Any, tmp_path: Path, docs: Path) -> None:
    config = parse(MINIMAL, env(tmp_path))
    for text in (repr(config), str(config), config.model_dump_json(), str(config.model_dump())):
        assert "tok_live_123" not in text


class TestStateUrl:
    """``state.url``: PostgreSQL state, ``${VAR}`` for the password, never shown."""

    def test_url_with_the_password_from_the_environment(
        self, parse: Any, tmp_path: Path, docs: Path
    ) -> None:
        text = MINIMAL + "state:\n  url: postgresql://fin:${PGPASSWORD}@db:5432/state\n"
        config = parse(text, env(tmp_path, PGPASSWORD="s3cret"))
        assert config.state.url == "postgresql://fin:s3cret@db:5432/state"
        assert config.state.location == config.state.url
        assert config.state.shown == "postgresql+psycopg://fin:***@db:5432/state"
        assert config.state.exists()
        assert config.state.path == default_data_dir(env(tmp_path)) / "state.db"  # the socket's

    def test_path_and_url_together_are_refused(self, parse: Any, tmp_path: Path) -> None:
        text = MINIMAL + "state:\n  path: s.db\n  url: postgresql://fin:${PGPASSWORD}@db/state\n"
        with pytest.raises(ConfigError) as caught:
            parse(text, env(tmp_path, PGPASSWORD="s3cret"))
        assert "state.path (an SQLite file) or state.url (PostgreSQL), not both" in str(
            caught.value
        )
        assert "s3cret" not in str(caught.value)

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("mysql://fin:${PGPASSWORD}@db/state", "mysql://fin:***@db/state: the state database"),
            ("sqlite:///x.db", "state.url is for PostgreSQL"),
            ("postgresql://fin:${PGPASSWORD}@db:notaport/x", "the state URL is not a database URL"),
        ],
    )
    def test_other_urls_are_refused_without_the_password(
        self, parse: Any, tmp_path: Path, url: str, expected: str
    ) -> None:
        with pytest.raises(ConfigError) as caught:
            parse(MINIMAL + f"state:\n  url: {url}\n", env(tmp_path, PGPASSWORD="s3cret"))
        assert expected in str(caught.value)
        assert "s3cret" not in str(caught.value)
