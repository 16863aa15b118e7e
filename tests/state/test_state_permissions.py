"""The state database names every page and its errors: private (0600 / 0700) whatever the umask."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestor.state import Store


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", ".lock")]


def test_new_database_and_folders_are_private_under_umask_0(
    tmp_path: Path, permissive_umask: None
) -> None:
    tmp_path.chmod(0o755)
    path = tmp_path / "var" / "fin" / "state.db"
    with Store.open(path) as store:
        store.record_failure("docs", "a.md", error="boom")  # writes: -wal and -shm exist
        for file in [path, *companions(path)]:
            assert file.exists() and mode(file) == 0o600, file
    assert mode(tmp_path / "var") == 0o700 and mode(tmp_path / "var" / "fin") == 0o700
    assert mode(tmp_path) == 0o755  # a folder that existed is left as it was
    with Store.open(path, read_only=True) as store:
        assert store.failed_pages("docs", limit=5)


def test_an_existing_wide_database_is_tightened_and_said_once(
    tmp_path: Path, permissive_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.db"
    with Store.open(path) as store:
        store.record_failure("docs", "a.md", error="boom")
    for file in [path, *companions(path)]:
        if file.exists():
            file.chmod(0o666)
    with caplog.at_level(logging.WARNING, logger="ingestor.state"):
        Store.open(path).close()
    warned = [r.getMessage() for r in caplog.records if r.name == "ingestor.state"]
    assert any(f"{path} was readable or writable by other users (mode 0666)" in w for w in warned)
    for file in [path, *companions(path)]:
        if file.exists():
            assert mode(file) == 0o600, file
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ingestor.state"):
        Store.open(path).close()
    assert not [r for r in caplog.records if r.name == "ingestor.state"]
