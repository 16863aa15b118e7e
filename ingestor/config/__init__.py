"""The YAML configuration: schema, loading, and every error with its file, line and key path.

Typical use::

    config = load_config(Path("config.yaml"))
    settings = config.connector("handbook")
    effective = config.effective(settings)

Values may reference the environment as ``${VAR}`` or ``${VAR:-default}`` (``$${`` is a
literal ``${``). Top-level keys starting with ``x-`` are ignored: a place for YAML anchors
(``x-common: &common``) that connector entries merge with ``<<: *common``. Unknown keys,
duplicate keys, unset variables and invalid values are all reported together in one
:class:`ingestor.errors.ConfigError`.
"""

from __future__ import annotations

from ingestor.config._daemon import DaemonSettings, parse_listen
from ingestor.config._loader import load_config, parse_config
from ingestor.config._models import (
    REGION_BASE_URLS,
    Config,
    Defaults,
    EffectiveSettings,
    IntercomSettings,
    StateSettings,
    default_data_dir,
)
from ingestor.config._reference import ConfigKey, config_keys, config_reference_markdown

__all__ = [
    "REGION_BASE_URLS",
    "Config",
    "ConfigKey",
    "DaemonSettings",
    "Defaults",
    "EffectiveSettings",
    "IntercomSettings",
    "StateSettings",
    "config_keys",
    "config_reference_markdown",
    "default_data_dir",
    "load_config",
    "parse_config",
    "parse_listen",
]
