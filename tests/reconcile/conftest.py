"""Reconcile tests: a real folder, a real YAML config and state file, the emulator over sockets."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from ingestor.config import Config, load_config
from ingestor.emulator import EmulatorServer
from ingestor.engine.report import SyncReport
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions
from ingestor.reconcile import ReconcileOptions, ReconcileReport, reconcile_connectors
from ingestor.state import copy_state
from ingestor.state._tables import StateModel

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

CONFIG = """\
intercom:
  token: ${{TEST_INTERCOM_TOKEN}}
  base_url: {base_url}
state:
  {state_key}: {state}
defaults:
  max_delete_fraction: {max_delete_fraction}
connectors:
  - name: docs
    type: filesystem
    url: https://docs.example.com/
    root: {root}
    url_template: "https://docs.example.com/{{path}}"
"""


def write_calls(stats: dict[str, Any]) -> int:
    """Write calls the emulator answered since its counters were last reset."""
    per_op = stats["by_operation"]
    return sum(int(per_op.get(op, 0)) for op in WRITE_OPS)


class Site:
    """A folder of Markdown pages synced into one emulator by the connector ``docs``."""

    def __init__(
        self, tmp_path: Path, server: EmulatorServer, state: Path | str | None = None
    ) -> None:
        self.root = tmp_path / "share"
        self.root.mkdir()
        #: The SQLite file, or a PostgreSQL URL (every reconcile test runs on both backends).
        self.state: Path | str = tmp_path / "state" / "state.db" if state is None else state
        self.config_path = tmp_path / "config.yaml"
        self.server = server
        self.env = {"TEST_INTERCOM_TOKEN": server.token}
        self.write_config()

    def write_config(self, *, max_delete_fraction: float = 0.5, root: Path | None = None) -> None:
        text = CONFIG.format(
            base_url=self.server.url,
            state_key="path" if isinstance(self.state, Path) else "url",
            state=self.state,
            root=root or self.root,
            max_delete_fraction=max_delete_fraction,
        )
        self.config_path.write_text(text, encoding="utf-8")

    def config(self) -> Config:
        return load_config(self.config_path, environ=self.env)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def lose_state(self) -> None:
        """The state database is lost: the file (and its WAL) deleted, or every table of the
        PostgreSQL database dropped."""
        if isinstance(self.state, Path):
            for suffix in ("", "-wal", "-shm"):
                self.state.with_name(self.state.name + suffix).unlink(missing_ok=True)
            return
        engine = create_engine(self.state)
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        """One SQL statement on the state database, SQLite or PostgreSQL (``:name``
        parameters); the rows it returns."""
        return state_sql(self.state, statement, **params)

    def snapshot(self) -> object:
        """Everything the state holds, to compare: the file's bytes, or every table's rows."""
        if isinstance(self.state, Path):
            return self.state.read_bytes()
        engine = create_engine(self.state)
        try:
            with engine.connect() as conn:
                return {
                    table.name: sorted(map(repr, conn.execute(table.select())))
                    for table in StateModel.metadata.sorted_tables
                }
        finally:
            engine.dispose()

    def back_up_state(self) -> object:
        """A backup as an operator takes one: the closed file's bytes, or ``state copy`` of
        the PostgreSQL database into an SQLite file."""
        if isinstance(self.state, Path):
            return self.state.read_bytes()  # the store is closed: no WAL pending
        backup = self.config_path.with_name("backup.db")
        copy_state(self.state, backup)
        return backup

    def restore_state(self, backup: object) -> None:
        """Put a :meth:`back_up_state` backup back in place of the state."""
        if isinstance(self.state, Path):
            assert isinstance(backup, bytes)
            self.state.write_bytes(backup)
            return
        assert isinstance(backup, Path)
        copy_state(backup, self.state, force=True)

    def pages(self, count: int) -> None:
        for n in range(count):
            self.write(f"p{n:04d}.md", f"# Page {n}\n\nBody of page {n}.\n")

    def sync(self, **options: Any) -> SyncReport:
        (report,) = sync_connectors(self.config(), options=SyncOptions(**options))
        return report

    def reconcile(self, **options: Any) -> ReconcileReport:
        (report,) = reconcile_connectors(self.config(), options=ReconcileOptions(**options))
        return report

    def writes(self) -> int:
        """Write calls the emulator answered so far."""
        return write_calls(self.server.stats())

    def calls(self, operation: str) -> int:
        return int(self.server.stats()["by_operation"].get(operation, 0))

    def intercom(self) -> dict[str, dict[str, Any]]:
        """The emulator's pages by external_id (fails on a duplicate)."""
        pages = self.server.pages()
        by_id = {p["external_id"]: p for p in pages}
        assert len(by_id) == len(pages), "duplicate external_id in Intercom"
        return by_id

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """The real `ingestor` command in a subprocess."""
        return run_ingestor(self.config_path, args, self.env, timeout=180, stdin=stdin)


@pytest.fixture
def site(tmp_path: Path, emulator: EmulatorServer, state_location: Path | str) -> Site:
    """A site on this run's state backend (every test here runs on SQLite and PostgreSQL)."""
    return Site(tmp_path, emulator, state_location)
