"""One process per state database: an exclusive ``flock`` on ``<database>.lock``.

The kernel drops an flock when its holder exits, however it exits (SIGKILL included), so a
stale lock file never blocks anyone; the pid written inside only makes the error message useful.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ingestor.errors import StateError, StateLockedError

__all__ = ["StateLock", "lock_path", "process_gone"]


class StateLock:
    """An acquired lock; :meth:`release` (or process exit) frees it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, path: Path, *, database: Path) -> StateLock:
        """Take the lock at ``path`` without waiting.

        Raises:
            StateLockedError: Another process (or another Store in this one) holds it.
            StateError: The lock file cannot be created.
        """
        try:
            # O_CLOEXEC: programs the daemon starts must not inherit (and keep) the lock.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StateError(f"cannot create lock file {path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise StateLockedError(
                f"state database {database} is in use by {who} (lock file {path}); "
                "run one fin-ingestor per state database"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StateError(f"cannot lock {path}: {exc.strerror or exc}") from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(path, fd)

    @property
    def held(self) -> bool:
        """True until released."""
        return self._fd is not None

    def release(self) -> None:
        """Free the lock; safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # no stale pid for the next reader
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def lock_path(database: Path) -> Path:
    """The lock file of a state database."""
    return database.with_name(database.name + ".lock")


def process_gone(database: Path, pid: int | None) -> bool:
    """Whether a run recorded 'running' by process ``pid`` can no longer be running: nobody
    holds the database's lock (its file names no live holder: a clean release empties it, a
    dead holder's flock went with it), or ``pid`` itself is gone. Reads only; never locks, so
    it cannot get in the way of a sync starting. Pids are those of this pid namespace: run
    ``status`` where the syncs run (the same host or container)."""
    try:
        with open(lock_path(database), "rb") as file:
            text = file.read(32).decode("ascii", "replace").strip()
    except FileNotFoundError:
        return True
    except OSError:
        return False  # cannot tell: say nothing rather than call a live run dead
    holder = int(text) if text.isdigit() else None
    return holder is None or not _alive(holder) or (pid is not None and not _alive(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    """A zombie (dead, not yet reaped by its parent) answers kill(0) but runs nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # not Linux, or gone just now: kill(0) said alive
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
