"""`ingestor plan` reads the state and never writes it: no run row, no new file, no migration."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from ingestor.state import Store

from .conftest import Site

_V1_SCHEMA = """
CREATE TABLE meta (id INTEGER PRIMARY KEY, schema_version INTEGER NOT NULL);
INSERT INTO meta VALUES (1, 1);
CREATE TABLE sources (connector VARCHAR PRIMARY KEY, source_id INTEGER NOT NULL,
    url VARCHAR NOT NULL, created_at VARCHAR NOT NULL);
CREATE TABLE pages (connector VARCHAR NOT NULL, external_id VARCHAR NOT NULL,
    version VARCHAR, content_hash VARCHAR, intercom_id VARCHAR, title VARCHAR,
    url VARCHAR, last_synced_at VARCHAR, last_error VARCHAR,
    error_count INTEGER NOT NULL DEFAULT 0, failed_at VARCHAR,
    PRIMARY KEY (connector, external_id));
CREATE TABLE runs (id INTEGER PRIMARY KEY, connector VARCHAR NOT NULL,
    started_at VARCHAR NOT NULL, finished_at VARCHAR, status VARCHAR NOT NULL,
    dry_run BOOLEAN NOT NULL DEFAULT 0, created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0, unchanged INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0, error VARCHAR);
"""


@pytest.mark.sqlite_only("no state file is created; a PostgreSQL database exists beforehand")
def test_a_plan_before_any_sync_creates_no_state(site: Site) -> None:
    site.write("kb/a.md", "# A\n\nText.\n")

    result = site.cli("plan")

    assert result.returncode == 5, result.stdout + result.stderr
    assert "1 to create" in result.stdout
    assert not site.state.exists()


def test_plans_and_dry_runs_record_no_run(site: Site) -> None:
    site.write("kb/a.md", "# A\n\nText.\n")
    assert site.cli("sync", "--no-progress").returncode == 0
    site.write("kb/b.md", "# B\n\nNew.\n")

    assert site.cli("plan").returncode == 5
    assert site.cli("sync", "--no-progress", "--dry-run").returncode == 0

    with Store.open(site.state, read_only=True) as store:
        runs = store.recent_runs("docs")
    assert [(run.status, run.created) for run in runs] == [("ok", 1)]  # the real sync only


@pytest.mark.sqlite_only("an older fin-ingestor's state exists only as an SQLite file")
def test_a_plan_over_an_older_schema_migrates_a_copy_not_the_file(site: Site) -> None:
    site.write("kb/a.md", "# A\n\nText.\n")
    site.state.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(site.state) as conn:  # as an older fin-ingestor left it
        conn.executescript(_V1_SCHEMA)
    before = hashlib.sha256(site.state.read_bytes()).hexdigest()

    result = site.cli("plan")

    assert result.returncode == 5, result.stdout + result.stderr
    assert "1 to create" in result.stdout
    assert hashlib.sha256(site.state.read_bytes()).hexdigest() == before
    with sqlite3.connect(site.state) as conn:
        assert conn.execute("SELECT schema_version FROM meta").fetchone() == (1,)
