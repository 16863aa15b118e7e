"""Settings every wiki connector of this kit shares: HTTP behaviour, login, fetch bounds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from ingestor.connectors.base import ConnectorSettings, Duration, resolve_tls_verify

__all__ = ["WikiSettings"]


class WikiSettings(ConnectorSettings):
    """HTTP and login keys shared by the MediaWiki and DokuWiki connectors."""

    username: str | None = Field(
        default=None,
        description=(
            "Login name for a private wiki (MediaWiki: a bot password name 'User@app'; "
            "DokuWiki: a user allowed by 'remoteuser'). Default: read anonymously."
        ),
    )
    password: SecretStr | None = Field(
        default=None, description="Password for 'username'; write it as ${ENV_VAR}, never inline."
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="HTTP timeout per call.")
    max_attempts: int = Field(
        default=5, ge=1, le=20, description="Tries per call on 429, 5xx and network errors."
    )
    verify: bool | Path = Field(
        default=True,
        description=(
            "TLS verification: true, false, or the path of a CA bundle (file or folder) for an "
            "internal certificate authority; a relative path is read from the config's folder."
        ),
    )
    max_parallel_fetches: int = Field(
        default=4, ge=1, le=32, description="Pages fetched from the wiki at the same time, at most."
    )
    overlap: Duration = Field(
        default=timedelta(minutes=2),
        description=(
            "Incremental runs re-read changes this far before the last run's start (clock "
            "rounding, slow writes); re-read pages cost nothing when unchanged."
        ),
    )

    @field_validator("verify", mode="after")
    @classmethod
    def _ca_bundle(cls, value: bool | Path, info: ValidationInfo) -> bool | Path:
        return resolve_tls_verify(value, info)

    @model_validator(mode="after")
    def _login_pair(self) -> Self:
        if (self.username is None) != (self.password is None):
            raise ValueError("'username' and 'password' go together: set both or neither")
        if self.password is not None and not self.password.get_secret_value():
            raise ValueError("'password' is empty (is its ${VAR} set?)")
        if self.username is not None and not self.username.strip():
            raise ValueError("'username' is empty")
        return self

    def secrets(self) -> tuple[str, ...]:
        """Credential values, for redaction."""
        return (self.password.get_secret_value(),) if self.password is not None else ()
