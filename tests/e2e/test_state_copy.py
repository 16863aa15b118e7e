"""``ingestor state copy`` and ``ingestor state migrate`` through the real command: an
installation moved from SQLite to PostgreSQL and back syncs with no write call afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ingestor.engine.runner import sync_connectors
from ingestor.state import SCHEMA_VERSION, Store

from ..pg_server import PostgresServer
from .conftest import Site, calls, total_calls, write_calls

REPO = Path(__file__).resolve().parents[2]


def ingestor(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingestor", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **env},
        cwd=REPO,
        timeout=120,
        check=False,
    )


def seed(site: Site) -> None:
    for i in range(12):
        site.write(f"guide/page-{i}.md", f"# Page {i}\n\nBody of page {i}.\n")


def with_password(url: str) -> str:
    """The test server trusts every login: the password only shows it is never printed."""
    return url.replace("ingestor@", "ingestor:${TEST_PG_PASSWORD}@")


def test_sqlite_to_postgresql_and_back_resends_nothing(
    site: Site, postgres_server: PostgresServer, postgres_url: str, tmp_path: Path
) -> None:
    seed(site)
    [first] = sync_connectors(site.config())
    assert first.created == 12
    site.write("guide/page-0.md", "# Page 0\n\nEdited.\n")
    sync_connectors(site.config())  # two runs of history, one updated page
    sqlite_file = site.state
    assert isinstance(sqlite_file, Path)

    moved = ingestor(
        "state", "copy", "--from", f"sqlite:///{sqlite_file}", "--to", with_password(postgres_url),
        TEST_PG_PASSWORD="s3cret",
    )  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    assert "pages 12" in moved.stdout and "runs 2" in moved.stdout and "sources 1" in moved.stdout
    assert "s3cret" not in moved.stdout + moved.stderr and ":***@" in moved.stdout

    again = ingestor("state", "copy", "--from", str(sqlite_file), "--to", postgres_url)
    assert again.returncode != 0 and "is not empty (" in again.stderr and "--force" in again.stderr
    forced = ingestor("state", "copy", "--from", str(sqlite_file), "--to", postgres_url, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "pages 12" in forced.stdout  # replaced, not added to

    site.state = postgres_url  # the installation now runs on PostgreSQL
    site.write_config()
    before = site.server.stats()
    [report] = sync_connectors(site.config())
    after = site.server.stats()
    assert (report.unchanged, report.created, report.updated, report.failed) == (12, 0, 0, 0)
    assert write_calls(after) == write_calls(before)
    assert total_calls(after) - total_calls(before) == 1  # the source check of every run
    assert calls(after, "getContentImportSource") - calls(before, "getContentImportSource") == 1
    with Store.open(postgres_url, read_only=True) as store:
        assert [run.status for run in store.recent_runs("docs")] == ["ok"] * 3
        site.write("guide/page-1.md", "# Page 1\n\nEdited on PostgreSQL.\n")
    [report] = sync_connectors(site.config())  # run ids continue past the copied ones
    assert (report.updated, report.unchanged) == (1, 11)

    back = tmp_path / "back" / "state.db"
    returned = ingestor("state", "copy", "--from", postgres_url, "--to", f"sqlite:///{back}")
    assert returned.returncode == 0, returned.stderr
    site.state = back
    site.write_config()
    before = site.server.stats()
    [report] = sync_connectors(site.config())
    assert report.unchanged == 12 and write_calls(site.server.stats()) == write_calls(before)


def test_migrate_prints_the_steps_then_runs_them(site: Site, postgres_url: str) -> None:
    site.state = postgres_url
    site.write_config()
    config = str(site.config_path)
    env = {"TEST_INTERCOM_TOKEN": site.server.token}
    planned = ingestor("state", "migrate", "--dry-run", "-c", config, **env)
    assert planned.returncode == 0, planned.stderr
    assert f"schema version 0, this fin-ingestor uses {SCHEMA_VERSION}" in planned.stdout
    assert "0 -> 1:" in planned.stdout and f"{SCHEMA_VERSION - 1} -> {SCHEMA_VERSION}:" in (
        planned.stdout
    )
    done = ingestor("state", "migrate", "-c", config, **env)
    assert done.returncode == 0, done.stderr
    assert f"migrated from version 0; schema version {SCHEMA_VERSION}" in done.stdout
    again = ingestor("state", "migrate", "--dry-run", "-c", config, **env)
    assert "nothing to do" in again.stdout
    assert "already current" in ingestor("state", "migrate", "-c", config, **env).stdout


def test_validate_and_status_show_the_url_without_its_password(
    site: Site, postgres_url: str
) -> None:
    site.state = with_password(postgres_url)
    site.write_config()
    site.env["TEST_PG_PASSWORD"] = "s3cret"
    seed(site)
    sync_connectors(site.config())
    for args in (("validate",), ("status",), ("status", "--json")):
        result = site.cli(*args)
        assert result.returncode == 0, result.stderr
        assert "s3cret" not in result.stdout + result.stderr
        assert "ingestor:***@127.0.0.1" in result.stdout, args
