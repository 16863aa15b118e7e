"""One process per state database: an exclusive ``flock`` on ``<database>.lock``.

The kernel drops an flock when its holder exits, however it exits (SIGKILL included), so a
stale lock file never blocks anyone; the pid written inside only makes the error message useful.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ingestor.errors import StateError, StateLockedError

__all__ = ["StateLock"]


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


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
