"""Helpers for end-to-end tests: a real folder, a real YAML config, the emulator over sockets."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ingestor.config import Config, load_config
from ingestor.emulator import EmulatorServer

from ..cli_process import run_ingestor
from ..state_sql import state_sql

WRITE_OPS = (
    "createContentImportSource",
    "updateContentImportSource",
    "deleteContentImportSource",
    "createExternalPage",
    "updateExternalPage",
    "deleteExternalPage",
)

CONFIG_TEMPLATE = """\
intercom:
  token: ${{TEST_INTERCOM_TOKEN}}
  base_url: {base_url}
  max_attempts: {max_attempts}
state:
  {state_key}: {state}
defaults:
  max_delete_fraction: {max_delete_fraction}
  deletion: {deletion}
connectors:
  - name: docs
    type: filesystem
    url: https://docs.example.com/
    root: {root}
    url_template: "https://docs.example.com/{{path}}"
"""


def calls(stats: dict[str, Any], *ops: str) -> int:
    """How many API calls of these operations the emulator answered (any status)."""
    per_op = stats["by_operation"]
    return sum(int(per_op.get(op, 0)) for op in ops)


def write_calls(stats: dict[str, Any]) -> int:
    return calls(stats, *WRITE_OPS)


def total_calls(stats: dict[str, Any]) -> int:
    return int(stats["total"])


class Site:
    """A folder of pages plus the config that syncs it into one emulator."""

    def __init__(
        self, tmp_path: Path, server: EmulatorServer, state: Path | str | None = None
    ) -> None:
        self.root = tmp_path / "share"
        self.root.mkdir()
        #: The SQLite file, or a PostgreSQL URL (every e2e test runs on both backends).
        self.state: Path | str = tmp_path / "state" / "state.db" if state is None else state
        self.config_path = tmp_path / "config.yaml"
        self.server = server
        self.env = {"TEST_INTERCOM_TOKEN": server.token}
        self.write_config()

    def write_config(
        self, *, max_delete_fraction: float = 0.5, max_attempts: int = 8, deletion: str = "hide"
    ) -> None:
        self.config_path.write_text(
            CONFIG_TEMPLATE.format(
                base_url=self.server.url,
                state_key="path" if isinstance(self.state, Path) else "url",
                state=self.state,
                root=self.root,
                max_delete_fraction=max_delete_fraction,
                max_attempts=max_attempts,
                deletion=deletion,
            ),
            encoding="utf-8",
        )

    def config(self) -> Config:
        return load_config(self.config_path, environ=self.env)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the real `ingestor` command in a subprocess."""
        return run_ingestor(self.config_path, args, self.env, timeout=timeout)

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        """One SQL statement on the state database, SQLite or PostgreSQL (``:name``
        parameters); the rows it returns."""
        return state_sql(self.state, statement, **params)

    def intercom_pages(self) -> dict[str, dict[str, Any]]:
        """The emulator's pages keyed by external_id (fails on duplicates)."""
        pages = self.server.pages()
        by_id = {p["external_id"]: p for p in pages}
        assert len(by_id) == len(pages), "duplicate external_id in Intercom"
        return by_id


@pytest.fixture
def site(tmp_path: Path, emulator: EmulatorServer, state_location: Path | str) -> Site:
    """A site on this run's state backend (every test here runs on SQLite and PostgreSQL)."""
    return Site(tmp_path, emulator, state_location)


@pytest.fixture
def make_site(tmp_path: Path, state_location: Path | str) -> Callable[[EmulatorServer], Site]:
    def make(server: EmulatorServer) -> Site:
        return Site(tmp_path, server, state_location)

    return make
