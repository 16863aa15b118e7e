"""Fake connector kinds for the config tests (the real ones are tested with the real registry)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import Field, SecretStr, ValidationInfo, field_validator

from ingestor.config import Config, parse_config
from ingestor.connectors.base import Connector, ConnectorSettings, Document, Item, ListingProblem


class FolderSettings(ConnectorSettings):
    """Like the filesystem connector: a root resolved against the config folder."""

    type: Literal["folder"] = Field(description="Connector kind.")
    root: Path = Field(description="Folder to import.")
    include: list[str] = Field(default_factory=lambda: ["**/*.md"], description="Globs.")
    depth: int = Field(default=3, ge=1, description="How deep to walk.")

    @field_validator("root")
    @classmethod
    def _resolve_root(cls, root: Path, info: ValidationInfo) -> Path:
        config_dir = (info.context or {}).get("config_dir")
        if not root.is_absolute() and config_dir is not None:
            root = Path(config_dir) / root
        if not root.is_dir():
            raise ValueError("directory does not exist")
        return root


class WikiSettings(ConnectorSettings):
    """A connector with its own secret, whose validator (badly) echoes the value it got."""

    type: Literal["wiki"] = Field(description="Connector kind.")
    api_token: SecretStr = Field(description="Wiki API token.")
    space: str = Field(description="Wiki space key.")

    @field_validator("space")
    @classmethod
    def _space_upper(cls, space: str, info: ValidationInfo) -> str:
        if not space.isupper():
            token = info.data.get("api_token")
            shown = token.get_secret_value() if isinstance(token, SecretStr) else ""
            raise ValueError(f"space must be upper case (token {shown})")
        return space


class _NoPages(Connector[Any]):
    def list(self) -> Iterator[Item | ListingProblem]:
        yield from ()

    def fetch(self, item: Item) -> Document:
        raise NotImplementedError


class FolderConnector(_NoPages):
    kind = "folder"
    Settings = FolderSettings


class WikiConnector(_NoPages):
    kind = "wiki"
    Settings = WikiSettings


FAKE_CLASSES: Mapping[str, type[Connector[Any]]] = {
    "folder": FolderConnector,
    "wiki": WikiConnector,
}

Parse = Callable[..., Config]


@pytest.fixture
def fake_classes() -> Mapping[str, type[Connector[Any]]]:
    return FAKE_CLASSES


@pytest.fixture
def parse(tmp_path: Path) -> Parse:
    """parse_config with the fake kinds, a clean environment and tmp_path as the config folder."""

    def run(text: str, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Config:
        return parse_config(
            text,
            filename=kwargs.pop("filename", "config.yaml"),
            config_dir=kwargs.pop("config_dir", tmp_path),
            environ={"HOME": str(tmp_path / "home")} if environ is None else environ,
            connector_classes=kwargs.pop("connector_classes", FAKE_CLASSES),
        )

    return run
