"""The CLI's end of the control socket: run ``ingestor sync`` inside the daemon that holds the
state database, with its progress and summary streamed back.

Used only after the state lock was found taken, so a missing or silent socket means the holder
is not a daemon that takes commands (an older version, or another ``sync`` running now).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingestor.control_protocol import LineReader, encode, report_from_json, socket_address
from ingestor.control_protocol import socket_path as control_socket_path
from ingestor.engine.report import Outcome, PageEvent, SyncObserver, SyncReport
from ingestor.engine.sync import SyncOptions
from ingestor.errors import StateError, StateLockedError

__all__ = ["DaemonSync", "sync_in_daemon"]

#: How long the daemon may take to accept a request (it answers at once when healthy).
_ANSWER_TIMEOUT = 30.0


@dataclass
class DaemonSync:
    """What the daemon answered: the reports, the exit code, and its error message if any."""

    reports: list[SyncReport]
    exit_code: int
    error: str | None = None


def sync_in_daemon(
    state_path: Path,
    *,
    names: Sequence[str] | None,
    options: SyncOptions,
    observer: SyncObserver,
    notice: Callable[[str], None],
    locked: StateLockedError,
) -> DaemonSync:
    """Ask the daemon holding ``state_path`` to run this sync, and follow it to the end.

    Ctrl-C once asks the daemon to stop the run (the answer still arrives: an interrupted
    summary); a second Ctrl-C stops waiting at once (KeyboardInterrupt propagates).

    Raises:
        StateLockedError: Nothing answers on the control socket (the message says why).
        StateError: The connection broke before the daemon said the run was done.
    """
    path = control_socket_path(state_path)
    conn = _connect(path, locked)
    with conn:
        request = {
            "op": "sync",
            "connectors": list(names) if names else None,
            "dry_run": options.dry_run,
            "full": options.full,
            "allow_mass_delete": options.allow_mass_delete,
        }
        try:
            conn.sendall(encode(request))
        except OSError as exc:
            raise _silent(path, locked, exc) from exc
        return _follow(conn, path, observer, notice)


def _connect(path: Path, locked: StateLockedError) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    conn.settimeout(_ANSWER_TIMEOUT)
    try:
        with socket_address(path) as address:
            conn.connect(address)
    except PermissionError as exc:
        conn.close()
        raise StateLockedError(
            f"{locked}. Its control socket {path} refuses you ({exc.strerror}): only the "
            "daemon's user and root may use it; run the command as that user "
            "(e.g. sudo -u <service user> ingestor sync ...)"
        ) from exc
    except OSError as exc:
        conn.close()
        raise _silent(path, locked, exc) from exc
    return conn


def _silent(path: Path, locked: StateLockedError, exc: OSError) -> StateLockedError:
    return StateLockedError(
        f"{locked}. No daemon answers on its control socket {path} "
        f"({exc.strerror or exc}): the holder is another sync, or a daemon too old to take "
        "commands; wait for it, or stop it, then run this again"
    )


def _follow(
    conn: socket.socket,
    path: Path,
    observer: SyncObserver,
    notice: Callable[[str], None],
) -> DaemonSync:
    reader = LineReader(conn)
    reports: list[SyncReport] = []
    cancelled = False
    while True:
        try:
            done = _next(reader, conn, path, reports, observer, notice)
        except KeyboardInterrupt:
            if cancelled:
                raise
            cancelled = True
            notice("interrupted: the daemon stops this run (Ctrl-C again to stop waiting)")
            _half_close(conn)
            continue
        if done is not None:
            return done


def _next(
    reader: LineReader,
    conn: socket.socket,
    path: Path,
    reports: list[SyncReport],
    observer: SyncObserver,
    notice: Callable[[str], None],
) -> DaemonSync | None:
    """Read and apply one event; the final answer when it ends the exchange."""
    try:
        message = reader.read()
    except TimeoutError as exc:
        raise StateError(
            f"the daemon did not answer on {path} within {_ANSWER_TIMEOUT:.0f}s"
        ) from exc
    except (OSError, ValueError) as exc:
        raise StateError(f"the daemon's control socket {path} failed: {exc}") from exc
    if message is None:
        raise StateError(
            f"the daemon closed its control socket {path} before the sync ended (did it "
            "stop?); its log and `ingestor status` tell what the run did"
        )
    conn.settimeout(None)  # it answered: runs may be quiet for long (big pages, waits)
    return _handle(message, reports, observer, notice)


def _handle(
    message: dict[str, Any],
    reports: list[SyncReport],
    observer: SyncObserver,
    notice: Callable[[str], None],
) -> DaemonSync | None:
    """Apply one event; the final answer when it ends the exchange."""
    event = message.get("event")
    connector = str(message.get("connector", ""))
    if event == "accepted":
        notice(f"the daemon (pid {message.get('pid')}) holds the state: this sync runs inside it")
    elif event == "waiting":
        notice(str(message.get("message", "")))
    elif event == "listed":
        observer.listed(
            connector, total=int(message["total"]), to_process=int(message["to_process"])
        )
    elif event == "page":
        page = PageEvent(
            str(message["external_id"]), Outcome(message["outcome"]), str(message["reason"])
        )
        observer.page_done(connector, page)
    elif event == "report":
        reports.append(report_from_json(message["report"]))
    elif event == "done":
        return DaemonSync(reports, int(message.get("exit_code", 1)))
    elif event == "error":
        return DaemonSync(reports, int(message.get("exit_code", 1)), str(message.get("message")))
    return None


def _half_close(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_WR)
