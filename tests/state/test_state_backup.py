"""docs/upgrading.md's backup recipe, on a real state database held open by a writer.

The recipe copies the database with SQLite's online backup while fin-ingestor keeps it open
(as a daemon does), and warns that copying ``state.db`` alone loses what is still in the
write-ahead log. Both claims are checked here, and the backup is restored by opening it as
the state database.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ingestor.state import Store

GUIDE = Path(__file__).parents[2] / "docs" / "upgrading.md"


def python_backup_command() -> str:
    """The guide's ``python3 -c '...'`` backup line, as written."""
    [command] = re.findall(r"python3 -c '([^']+)'", GUIDE.read_text(encoding="utf-8"))
    return command


def backup_with_python(database: Path, backup: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", python_backup_command(), str(database), str(backup)],
        check=True,
        timeout=60,
    )


def backup_with_sqlite3(database: Path, backup: Path) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 program is not installed (Debian package sqlite3)")
    subprocess.run(
        ["sqlite3", str(database), ".timeout 10000", f".backup '{backup}'"],
        check=True,
        timeout=60,
    )


@pytest.mark.parametrize("backup_with", [backup_with_python, backup_with_sqlite3])
def test_an_online_backup_holds_what_the_open_writer_committed(
    tmp_path: Path, backup_with: Callable[[Path, Path], None]
) -> None:
    database = tmp_path / "state" / "state.db"
    backup = tmp_path / "backup.db"
    store = Store.open(database)
    try:
        run_id = store.begin_run("wiki")
        store.save_cursor("wiki", "mw1:2026-12-05T10:00:00Z", settings="abc")
        assert Path(f"{database}-wal").stat().st_size > 0  # the commits are in the WAL
        backup_with(database, backup)
    finally:
        store.close()

    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT id FROM runs").fetchall() == [(run_id,)]
    conn.close()

    restored = tmp_path / "restored" / "state.db"
    restored.parent.mkdir()
    shutil.copy(backup, restored)
    store = Store.open(restored)
    try:
        assert store.get_cursor("wiki", settings="abc") == "mw1:2026-12-05T10:00:00Z"
    finally:
        store.close()


def test_copying_the_database_file_alone_loses_the_wal(tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    store = Store.open(database)
    try:
        store.begin_run("wiki")
        copy = tmp_path / "copied.db"
        shutil.copy(database, copy)  # what the guide says never to do
    finally:
        store.close()
    with sqlite3.connect(copy) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "runs" not in tables  # the schema itself was still in the WAL
