"""The daemon's end of the control socket: accept local clients of the service's user only.

See :mod:`ingestor.control_protocol` for why a Unix socket and what goes over it. The socket is
bound only after the state lock is taken, so on SQLite a socket file found then is stale (a daemon
killed with SIGKILL leaves it behind) and is replaced. On PostgreSQL daemons share the lock, so a
socket a live daemon answers on is left to it (:func:`socket_in_use`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ingestor.control_protocol import encode, peer_uid, socket_address
from ingestor.errors import StateError

__all__ = ["ControlServer", "socket_in_use"]

log = logging.getLogger("ingestor.daemon")

#: How long stop() lets sessions finish sending a final report before the process exits.
_SESSION_GRACE_SECONDS = 5.0


def socket_in_use(path: Path) -> bool:
    """Whether a live daemon answers on ``path``.

    Several daemons sharing a PostgreSQL state hold its lock shared, so another one may run on
    this machine with the same data folder: its socket is live and must not be replaced.
    """
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    probe.settimeout(1.0)
    try:
        with socket_address(path) as address:
            probe.connect(address)
    except OSError:
        return False
    finally:
        probe.close()
    return True


class Session(Protocol):
    """One client connection; :meth:`serve` runs in its own thread."""

    def serve(self) -> None:
        """Read the request and answer it until done."""

    def cancel(self, why: str) -> None:
        """Stop the run this session started (or stop waiting for one)."""


class ControlServer:
    """Listens on ``path`` (mode 0600) and hands each permitted connection to a session.

    Args:
        path: The socket file (``<state.db>.sock``).
        session: Makes the session that serves one accepted connection from the peer's uid.
    """

    def __init__(self, path: Path, session: Callable[[socket.socket, int], Session]) -> None:
        self.path = path
        self._make_session = session
        self._sock: socket.socket | None = None
        self._inode: int | None = None
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._sessions: dict[threading.Thread, Session] = {}
        self._lock = threading.Lock()

    def start(self) -> ControlServer:
        """Bind and start accepting.

        Raises:
            StateError: The socket cannot be created (a non-socket file in the way, a folder
                that cannot be written).
        """
        self._remove_stale()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        old_umask = os.umask(0o177)  # born 0600: no window where others could connect
        try:
            with socket_address(self.path) as address:
                sock.bind(address)
            os.chmod(self.path, 0o600)
            self._inode = os.stat(self.path).st_ino
            sock.listen(16)
        except OSError as exc:
            sock.close()
            raise StateError(
                f"cannot create the control socket {self.path}: {exc.strerror or exc}"
            ) from exc
        finally:
            os.umask(old_umask)
        sock.settimeout(0.5)  # the accept loop checks for stop() this often
        self._sock = sock
        self._thread = threading.Thread(target=self._accept_loop, name="control", daemon=True)
        self._thread.start()
        log.info(
            "taking commands on %s (mode 0600)",
            self.path,
            extra={"event": "control_listening", "path": str(self.path)},
        )
        return self

    def _remove_stale(self) -> None:
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StateError(f"cannot inspect {self.path}: {exc.strerror or exc}") from exc
        if not stat.S_ISSOCK(mode):
            raise StateError(
                f"{self.path} exists and is not a socket: move it away so the daemon can take "
                "commands there"
            )
        os.unlink(self.path)  # nobody answers on it (socket_in_use): a daemon killed left it
        log.info(
            "removed the stale control socket %s (left by a daemon that did not stop cleanly)",
            self.path,
            extra={"event": "control_stale_removed", "path": str(self.path)},
        )

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._closed.is_set():
                    return
                continue
            conn.settimeout(None)
            self._admit(conn)

    def _admit(self, conn: socket.socket) -> None:
        try:
            uid = peer_uid(conn)
        except OSError:
            conn.close()
            return
        if uid not in (os.geteuid(), 0):
            # File permissions already keep others out; this is for a loosened mode.
            log.warning(
                "control socket: refused a client running as uid %d (only uid %d and root)",
                uid,
                os.geteuid(),
                extra={"event": "control_refused", "uid": uid},
            )
            with contextlib.suppress(OSError), conn:
                message = f"refused: uid {uid} may not control this daemon (it runs as uid "
                message += f"{os.geteuid()}; run the command as that user or root)"
                conn.sendall(encode({"event": "error", "message": message, "exit_code": 4}))
            return
        session = self._make_session(conn, uid)
        thread = threading.Thread(target=self._run_session, args=(session,), daemon=True)
        with self._lock:
            self._sessions[thread] = session
        thread.start()

    def _run_session(self, session: Session) -> None:
        try:
            session.serve()
        except Exception:  # one broken client must not take the channel down
            log.exception("control socket: a session failed")
        finally:
            with self._lock:
                self._sessions.pop(threading.current_thread(), None)

    def stop(self) -> None:
        """Stop accepting, stop the sessions' runs, let them send their last lines, unlink."""
        self._closed.set()
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            sessions = dict(self._sessions)
        for session in sessions.values():
            session.cancel("the daemon is stopping")
        for thread in sessions:
            thread.join(_SESSION_GRACE_SECONDS)
        self._unlink_own()

    def _unlink_own(self) -> None:
        """Remove the socket file if it is still the one this server bound."""
        with contextlib.suppress(OSError):
            if self._inode is not None and os.stat(self.path).st_ino == self._inode:
                os.unlink(self.path)
