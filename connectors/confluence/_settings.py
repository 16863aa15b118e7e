"""Settings of a ``type: confluence`` connector, validated when the YAML loads."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from ingestor.connectors.base import ConnectorSettings, Duration, resolve_tls_verify

__all__ = ["ConfluenceSettings"]

_SPACE_KEY = re.compile(r"^~?[A-Za-z0-9_-]+$")
_PAGE_ID = re.compile(r"^[0-9]+$")


class ConfluenceSettings(ConnectorSettings):
    """Settings of a ``type: confluence`` connector (Cloud or Data Center/Server)."""

    type: Literal["confluence"] = Field(
        default="confluence", description="Connector kind: 'confluence'."
    )
    deployment: Literal["cloud", "datacenter"] = Field(
        default="cloud",
        description=(
            "'cloud' (REST v2 with email + API token) or 'datacenter' (Data Center/Server, "
            "REST v1 with a personal access token)."
        ),
    )
    base_url: str = Field(
        pattern=r"^https?://",
        description=(
            "Root of the Confluence site, e.g. 'https://acme.atlassian.net/wiki' (Cloud) or "
            "'https://confluence.example.com' / 'https://intra.example.com/confluence' (Data "
            "Center, with its context path). Page urls and attachment links are built from it."
        ),
    )
    api_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description=(
            "Where the API is called when it is not base_url: scoped API tokens go through "
            "'https://api.atlassian.com/ex/confluence/<cloudId>/wiki'. Page urls and links "
            "still use base_url. Default: base_url."
        ),
    )
    email: str | None = Field(
        default=None, description="Cloud: the Atlassian account email the API token belongs to."
    )
    api_token: SecretStr | None = Field(
        default=None, description="Cloud: an Atlassian API token; write it as ${ENV_VAR}."
    )
    personal_access_token: SecretStr | None = Field(
        default=None,
        description="Data Center/Server: a personal access token (Confluence 7.9+); ${ENV_VAR}.",
    )
    spaces: list[str] = Field(
        min_length=1, description="Keys of the spaces to sync, e.g. ['ENG', 'SUPPORT']."
    )
    root_page_ids: list[str] = Field(
        default_factory=list,
        description=(
            "Only sync these pages and their descendants (found through each page's ancestors). "
            "Each must be a current page of one of 'spaces', else the listing is incomplete and "
            "nothing is deleted. Default: every page of the spaces."
        ),
    )
    exclude_page_ids: list[str] = Field(
        default_factory=list,
        description="Pages skipped together with all their descendants (found via ancestors).",
    )
    include_labels: list[str] = Field(
        default_factory=list,
        description="When set, only pages carrying at least one of these labels are synced.",
    )
    exclude_labels: list[str] = Field(
        default_factory=list, description="Pages carrying any of these labels are skipped."
    )
    body_format: Literal["export_view", "view"] = Field(
        default="export_view",
        description=(
            "Rendering sent to Fin: 'export_view' (macros rendered for export, the default) or "
            "'view' (as shown in the browser)."
        ),
    )
    page_size: int = Field(
        default=100,
        ge=1,
        le=250,
        description="Results asked per API call; the server may return fewer (all are read).",
    )
    overlap: Duration = Field(
        default=timedelta(minutes=10),
        description=(
            "Incremental runs re-read changes this far before the last run's start (CQL dates "
            "have minute precision and search indexing lags)."
        ),
    )
    cql_timezone: str | None = Field(
        default=None,
        description=(
            "IANA time zone in which Confluence reads the API user's CQL dates (the user's "
            "profile zone, by default the server's). Unset: Cloud reads it from the profile; "
            "when that is hidden, and on Data Center, incremental queries are written in "
            "UTC-12 so no zone can make them miss an edit (the window widens by up to 26 h)."
        ),
    )
    full_listing_every: Duration = Field(
        default=timedelta(days=1),
        description=(
            "Incremental runs give way to a full listing once the last one is older than this: "
            "it catches what CQL cannot report (pages purged from the trash, restored, or "
            "moved without an edit)."
        ),
    )
    max_parallel_fetches: int = Field(
        default=4,
        ge=1,
        le=32,
        description="Pages fetched from Confluence at the same time (be kind to the wiki).",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="HTTP timeout per call.")
    max_attempts: int = Field(
        default=6, ge=1, le=20, description="Tries per call on 429, 5xx and network errors."
    )
    verify: bool | Path = Field(
        default=True,
        description=(
            "TLS verification: true, false, or the path of a CA bundle (file or folder) for an "
            "internal certificate authority; a relative path is read from the config's folder."
        ),
    )

    @field_validator("base_url", "api_url", mode="after")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value is not None else None

    @field_validator("spaces", mode="after")
    @classmethod
    def _space_keys(cls, value: list[str]) -> list[str]:
        for key in value:
            if not _SPACE_KEY.match(key):
                raise ValueError(f"not a Confluence space key: {key!r}")
        return value

    @field_validator("root_page_ids", "exclude_page_ids", mode="before")
    @classmethod
    def _page_ids(cls, value: object) -> object:
        if isinstance(value, list):
            value = [str(v) for v in value]
            for page_id in value:
                if not _PAGE_ID.match(page_id):
                    raise ValueError(f"not a Confluence page id (digits): {page_id!r}")
        return value

    @field_validator("include_labels", "exclude_labels", mode="after")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        for label in value:
            if not label or any(ch.isspace() or ch in "\"'\\" for ch in label):
                raise ValueError(f"not a Confluence label: {label!r}")
        return [label.lower() for label in value]

    @field_validator("cql_timezone", mode="after")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as UTC)") from exc
        return value

    @field_validator("verify", mode="after")
    @classmethod
    def _ca_bundle(cls, value: bool | Path, info: ValidationInfo) -> bool | Path:
        return resolve_tls_verify(value, info)

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        if self.deployment == "cloud":
            if not self.email or self.api_token is None:
                raise ValueError("deployment 'cloud' needs 'email' and 'api_token'")
            if self.personal_access_token is not None:
                raise ValueError("'personal_access_token' is for deployment 'datacenter'")
        else:
            if self.personal_access_token is None:
                raise ValueError("deployment 'datacenter' needs 'personal_access_token'")
            if self.api_token is not None or self.email:
                raise ValueError("'email'/'api_token' are for deployment 'cloud'")
        for secret in (self.api_token, self.personal_access_token):
            if secret is not None and not secret.get_secret_value().strip():
                raise ValueError("the Confluence token is empty (is its ${VAR} set?)")
        return self

    def secrets(self) -> tuple[str, ...]:
        """Every credential value, for redaction."""
        return tuple(
            s.get_secret_value()
            for s in (self.api_token, self.personal_access_token)
            if s is not None
        )
