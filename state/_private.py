"""The state database is private to the service's user: it names every page and its errors.

Whatever the umask, :func:`prepare_private_database` creates missing folders 0700 and the
database file 0600 before SQLite opens it; SQLite then gives its ``-wal`` and ``-shm`` files
the database file's mode (its unix VFS does, fchmod included), and the lock file is created
0600. A database, ``-wal``, ``-shm`` or lock file found readable or writable by others (made by
an older version, or copied in) is tightened to 0600 and a warning says so, once: the next
open finds nothing to tighten. Folders that already exist keep their mode: they may be shared
(``/var/lib``, a home folder), and the files inside are private anyway.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from ingestor.errors import StateError

__all__ = ["DATABASE_MODE", "FOLDER_MODE", "prepare_private_database"]

log = logging.getLogger("ingestor.state")

DATABASE_MODE = 0o600
FOLDER_MODE = 0o700
_COMPANIONS = ("-wal", "-shm", ".lock")


def prepare_private_database(path: Path) -> None:
    """Make ``path``'s missing folders (0700) and an empty database file (0600), or tighten
    an existing database and its companion files to 0600.

    Raises:
        StateError: A folder or the file cannot be created or its mode changed.
    """
    try:
        _make_folders(path.parent)
    except OSError as exc:
        raise StateError(
            f"cannot create the folder of state database {path}: {exc.strerror or exc}"
        ) from exc
    try:
        if path.is_dir():
            raise StateError(f"state database {path} is a directory")
        _create_or_tighten(path)
        for suffix in _COMPANIONS:
            companion = path.with_name(path.name + suffix)
            if companion.exists():
                _tighten(companion)
    except OSError as exc:
        raise StateError(
            f"cannot prepare state database {path}: {exc.strerror or exc}"
            + (f" ({exc.filename})" if exc.filename else "")
        ) from exc


def _make_folders(folder: Path) -> None:
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # made by someone else meanwhile: theirs, left as it is
            continue
        os.chmod(new, FOLDER_MODE)  # mkdir's mode went through the umask


def _create_or_tighten(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, DATABASE_MODE)
    except FileExistsError:
        _tighten(path)
        return
    try:
        os.fchmod(fd, DATABASE_MODE)  # exactly 0600, whatever the umask took away
    finally:
        os.close(fd)


def _tighten(path: Path) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & 0o077:
        os.chmod(path, current & 0o700 | DATABASE_MODE)
        log.warning(
            "%s was readable or writable by other users (mode %04o); made private (%04o): "
            "it holds every page's title, url and errors",
            path,
            current,
            current & 0o700 | DATABASE_MODE,
        )
