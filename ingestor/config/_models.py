"""The config schema: pydantic models for ``intercom``, ``state``, ``defaults`` and ``connectors``.

Every field carries a ``description``: the reference documentation is generated from them and a
test checks that README documents every key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    SerializeAsAny,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ingestor.config._daemon import DaemonSettings
from ingestor.connectors.base import ConnectorSettings, DeletionMode, HideFor
from ingestor.errors import ConfigError, ConfigIssue, StateError

#: Chosen by measurement: benchmarks/answer_fitness.py --section-bytes (docs/answer-fitness.md).
SECTION_BYTES_DEFAULT = 8_000

__all__ = [
    "REGION_BASE_URLS",
    "Config",
    "Defaults",
    "EffectiveSettings",
    "IntercomSettings",
    "StateSettings",
    "default_data_dir",
]

REGION_BASE_URLS: Mapping[str, str] = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}

DATA_DIR_ENV_VAR = "FIN_INGESTOR_DATA_DIR"


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where fin-ingestor keeps its data when the config does not say.

    ``$FIN_INGESTOR_DATA_DIR``, else ``$STATE_DIRECTORY`` (set by systemd's ``StateDirectory=``;
    its first entry), else ``$XDG_DATA_HOME/fin-ingestor``, else ``~/.local/share/fin-ingestor``.
    """
    env = os.environ if environ is None else environ
    if env.get(DATA_DIR_ENV_VAR):
        return Path(env[DATA_DIR_ENV_VAR]).expanduser()
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]).expanduser() / "fin-ingestor"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "share" / "fin-ingestor"


def _context(info: ValidationInfo) -> Mapping[str, Any]:
    return info.context if isinstance(info.context, Mapping) else {}


class IntercomSettings(BaseModel):
    """How to reach Intercom's AI Content API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: SecretStr = Field(
        description="Intercom access token; write it as ${INTERCOM_TOKEN}, never inline.",
    )
    region: Literal["us", "eu", "au"] = Field(
        default="us", description="Intercom region hosting the workspace: us, eu or au."
    )
    base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/]+",
        description="Full API base URL; overrides region (e.g. the emulator http://127.0.0.1:8000).",
    )
    api_version: Literal["2.14"] = Field(
        default="2.14", description="Intercom-Version header; only 2.14 is supported."
    )
    timeout_seconds: float = Field(
        default=30, gt=0, le=600, description="Timeout of one HTTP request, in seconds."
    )
    max_attempts: int = Field(
        default=6,
        ge=1,
        le=20,
        description="Attempts per call on 429, 5xx and network errors (1 means no retry).",
    )

    @field_validator("token")
    @classmethod
    def _token_has_no_whitespace(cls, token: SecretStr) -> SecretStr:
        # Never echo the value: the message names the problem only.
        if not token.get_secret_value():
            raise ValueError("the token is empty")
        if any(ch.isspace() for ch in token.get_secret_value()):
            raise ValueError("the token contains whitespace (a stray newline from a file?)")
        if not token.get_secret_value().isascii() or not token.get_secret_value().isprintable():
            # HTTP headers are ASCII: httpx would fail on the first call, with a traceback
            raise ValueError(
                "the token contains a non-ASCII or control character (a typographic quote, "
                "or text copied with it?); Intercom tokens are plain ASCII"
            )
        return token

    @field_validator("base_url")
    @classmethod
    def _strip_trailing_slash(cls, base_url: str | None) -> str | None:
        return base_url.rstrip("/") if base_url else base_url

    @property
    def resolved_base_url(self) -> str:
        """``base_url`` when set, else the region's API host."""
        return self.base_url or REGION_BASE_URLS[self.region]


class StateSettings(BaseModel):
    """Where the state database lives: an SQLite file (``path``) or PostgreSQL (``url``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path = Field(
        description=(
            "State database file (SQLite); a relative path is resolved against the config "
            "file's folder. Default: state.db in $FIN_INGESTOR_DATA_DIR, else in "
            "$STATE_DIRECTORY (what systemd's StateDirectory= sets: "
            "/var/lib/fin-ingestor/<instance> with the bundled unit), else "
            "$XDG_DATA_HOME/fin-ingestor, else ~/.local/share/fin-ingestor. Not with state.url "
            "(the daemon's control socket then lives in that default folder)."
        ),
    )
    url: str | None = Field(
        default=None,
        description=(
            "PostgreSQL state database instead of the file: "
            "postgresql://user:${PGPASSWORD}@host:5432/database (psycopg 3; libpq query "
            "options such as ?sslmode=require pass through). The database must exist; an "
            "empty one is set up on first use. The password is never logged or shown. See "
            "docs/state.md."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _default_path(cls, data: Any, info: ValidationInfo) -> Any:
        # The default depends on the loader's environment, which only the context carries.
        if isinstance(data, Mapping) and data.get("path") is None:
            environ = _context(info).get("environ")
            return {**data, "path": default_data_dir(environ) / "state.db"}
        if isinstance(data, Mapping) and data.get("url") is not None:
            raise ValueError("give state.path (an SQLite file) or state.url (PostgreSQL), not both")
        return data

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        from ingestor.state import StateLocation  # lazily: loading config needs no SQLAlchemy

        try:
            location = StateLocation.of(url)
        except StateError as exc:
            raise ValueError(str(exc)) from None
        if not location.is_postgres:
            raise ValueError("state.url is for PostgreSQL (postgresql://...); use state.path")
        return url

    @property
    def location(self) -> Path | str:
        """What :meth:`ingestor.state.Store.open` takes: the URL if given, else the file."""
        return self.url if self.url is not None else self.path

    @property
    def shown(self) -> str:
        """The database for people: the file, or the URL with its password hidden."""
        if self.url is None:
            return str(self.path)
        from ingestor.state import StateLocation

        return str(StateLocation.of(self.url))

    def exists(self) -> bool:
        """Whether there may be state to read: the file exists, or a server database is set."""
        return self.url is not None or self.path.exists()

    @field_validator("path")
    @classmethod
    def _resolve_path(cls, path: Path, info: ValidationInfo) -> Path:
        path = path.expanduser()
        config_dir = _context(info).get("config_dir")
        if not path.is_absolute() and config_dir is not None:
            path = Path(config_dir) / path
        if path.exists() and path.is_dir():
            raise ValueError(f"{path} is a directory; give the database file's path")
        return path


class Defaults(BaseModel):
    """Settings every connector inherits unless it overrides them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ai_agent_availability: bool = Field(
        default=True, description="Make imported pages available to Fin AI Agent."
    )
    ai_copilot_availability: bool = Field(
        default=True, description="Make imported pages available to Copilot."
    )
    max_page_bytes: int = Field(
        default=1_000_000,
        gt=0,
        description="Largest External Page (HTML bytes) sent to Intercom. A bigger page is "
        "split at its headings into sections ('<id>#<heading>', titled 'Page — Section', "
        "url '<url>#<anchor>'); one that cannot be split is reported as failed, never "
        "truncated.",
    )
    section_bytes: int = Field(
        default=SECTION_BYTES_DEFAULT,
        ge=0,
        description="Pages over this many bytes of HTML are split at their headings into "
        "sections sized for answers (like max_page_bytes: '<id>#<heading>', 'Page — Section', "
        "deep-linked), so that Fin finds and cites the section that answers a question; "
        "neighbouring short sections share one while they fit this size, and a page "
        "without headings is cut between blocks only past 4 times this size. 0 turns it off. "
        "The default was chosen with benchmarks/answer_fitness.py (docs/answer-fitness.md). "
        "Changing it re-sends the affected pages once.",
    )
    max_delete_fraction: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Most of a source's pages one run may delete (0..1) without "
        "--allow-mass-delete.",
    )
    deletion: DeletionMode = Field(
        default="hide",
        description="What happens to a page that vanished from its source (behind the "
        "max_delete_fraction guard, after a complete listing): hide takes it out of Fin and "
        "Copilot at once (Intercom's copy read by id and upserted back with both availabilities "
        "false: two calls) and deletes it only after "
        "hide_for, so a page lost to a bad move, a revert or a half-finished export comes back "
        "with one call and its Intercom id; delete deletes it at once. Pages the gate "
        "withholds (secrets, excluded audiences) are deleted at once either way. "
        "See docs/deletion.md.",
    )
    hide_for: HideFor = Field(
        default=timedelta(days=7),
        description="How long a vanished page stays hidden (deletion: hide) before the first "
        "complete sync after deletes it: 1h, 2d... at most a year. A week covers a weekend, a "
        "holiday and the next working days of whoever moved the page.",
    )
    min_text_chars: int = Field(
        default=1,
        ge=0,
        description="A page is sent only when its text beyond its title holds at least this "
        "many characters (spaces aside); emptier pages (a title only, an empty template) are "
        "skipped with the reason, and taken down if sent before. 0 sends every page. The "
        "default 1 skips every empty shell measured and no real page (docs/what-reaches-fin.md).",
    )
    locale: Literal["en"] = Field(
        default="en", description="Locale of imported pages; Intercom 2.14 accepts only en."
    )


@dataclass(frozen=True, slots=True)
class EffectiveSettings:
    """A connector's settings after its overrides are applied over ``defaults``."""

    ai_agent_availability: bool
    ai_copilot_availability: bool
    max_page_bytes: int
    section_bytes: int
    max_delete_fraction: float
    min_text_chars: int
    deletion: DeletionMode
    hide_for: timedelta


class Config(BaseModel):
    """A whole validated config file. Build it with :func:`ingestor.config.load_config`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intercom: IntercomSettings = Field(description="Intercom API access.")
    state: StateSettings = Field(
        default_factory=lambda: StateSettings.model_validate({}),
        description="State database settings.",
    )
    defaults: Defaults = Field(default_factory=Defaults, description="Settings connectors inherit.")
    daemon: DaemonSettings = Field(
        default_factory=DaemonSettings, description="How `ingestor daemon` runs."
    )
    connectors: list[SerializeAsAny[ConnectorSettings]] = Field(
        description="The sources to import; each entry's keys depend on its type."
    )
    source_path: Path | None = Field(
        default=None,
        description="Set by the loader: the file this config was read from (not a YAML key).",
    )

    def connector(self, name: str) -> ConnectorSettings:
        """The settings of the connector called ``name``.

        Raises:
            ConfigError: No connector has that name; the message lists the known ones.
        """
        for settings in self.connectors:
            if settings.name == name:
                return settings
        known = ", ".join(sorted(c.name for c in self.connectors)) or "none configured"
        file = str(self.source_path) if self.source_path else None
        raise ConfigError(
            [ConfigIssue("connectors", f"no connector named {name!r} (known: {known})", file)]
        )

    def effective(self, connector_settings: ConnectorSettings) -> EffectiveSettings:
        """Per-connector overrides applied over ``defaults``."""
        c, d = connector_settings, self.defaults

        def pick(override: Any, default: Any) -> Any:
            return default if override is None else override

        return EffectiveSettings(
            ai_agent_availability=pick(c.ai_agent_availability, d.ai_agent_availability),
            ai_copilot_availability=pick(c.ai_copilot_availability, d.ai_copilot_availability),
            max_page_bytes=pick(c.max_page_bytes, d.max_page_bytes),
            section_bytes=pick(c.section_bytes, d.section_bytes),
            max_delete_fraction=pick(c.max_delete_fraction, d.max_delete_fraction),
            min_text_chars=pick(c.min_text_chars, d.min_text_chars),
            deletion=pick(c.deletion, d.deletion),
            hide_for=pick(c.hide_for, d.hide_for),
        )
