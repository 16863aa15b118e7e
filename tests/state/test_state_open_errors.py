"""What an admin is told when the SQLite state database cannot be opened. Moving the file
aside costs a re-send of every page, so that advice is for a damaged file only: a file the
user may not write, or a lock another program holds inside it, is named as what it is."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ingestor.errors import StateError
from ingestor.state import Store

# Opens the store and prints the StateError's message (or "opened").
OPEN = """
import sys
from ingestor.errors import StateError
from ingestor.state import Store
try:
    Store.open(sys.argv[1]).close()
    print("opened")
except StateError as exc:
    print(exc)
"""


def open_without_privileges(path: Path) -> str:
    """Open the store in a child process to which file modes apply: as root, with every
    capability dropped (setpriv, from util-linux), so that a 0400 file is read-only to it."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("as root, needs setpriv (util-linux) to drop the capabilities")
        prefix = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"]
    done = subprocess.run(
        [*prefix, sys.executable, "-c", OPEN, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "state" / "state.db"
    with Store.open(path) as store:
        store.record_failure("docs", "a.md", error="boom")
    return path


def test_a_read_only_database_file_is_named_and_not_called_damaged(database: Path) -> None:
    before = database.read_bytes()
    database.chmod(0o400)
    message = open_without_privileges(database)
    assert message.startswith(f"cannot open state database {database}: ")
    assert f"The file {database} is not writable by this user" in message
    assert "mode 0400" in message
    assert "move it aside" not in message
    assert database.read_bytes() == before  # nothing written, nothing moved


def test_a_read_only_shared_memory_file_is_the_one_named(database: Path) -> None:
    shm = database.with_name(database.name + "-shm")
    shm.write_bytes(b"\0" * 32768)  # left behind with the mode of a 0400 database
    shm.chmod(0o400)
    message = open_without_privileges(database)
    assert f"The file {shm} is not writable by this user" in message
    assert "move it aside" not in message


def test_a_lock_held_by_another_program_is_not_called_damage(database: Path) -> None:
    holder = sqlite3.connect(database, isolation_level=None)  # an admin's sqlite3 shell
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StateError) as caught:
            Store.open(database)
    finally:
        holder.close()
    message = str(caught.value)
    assert "database is locked" in message
    assert "Another program holds a lock inside the file" in message
    assert "move it aside" not in message
    with Store.open(database) as store:  # released: it opens, with its pages
        assert store.failed_pages("docs", limit=5)
