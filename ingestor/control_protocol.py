"""The daemon's control channel, both ends: where its socket is, and what goes over it.

A Unix stream socket next to the state database (``<state.db>.sock``), mode 0600 in the state
folder (0700 under systemd's ``StateDirectory=``): Linux lets only a process that may write the
socket file connect to it, so file permissions alone restrict it to the service's user (and
root), and the daemon checks the peer's uid again with ``SO_PEERCRED``. No token is stored on
disk and nothing listens on the network.

The protocol is newline-delimited JSON. The client sends one request line::

    {"op": "sync", "connectors": ["docs"] | null, "dry_run": false, "full": false,
     "allow_mass_delete": false}

and the daemon answers with event lines until ``done`` (or ``error``)::

    {"event": "accepted", "pid": 123, "version": "1.2.0"}
    {"event": "waiting", "connector": "docs", "message": "..."}
    {"event": "started", "connector": "docs"}
    {"event": "listed", "connector": "docs", "total": 10, "to_process": 2}
    {"event": "page", "connector": "docs", "external_id": "a.md", "outcome": "updated", ...}
    {"event": "report", "report": {...}}
    {"event": "done", "exit_code": 0}
    {"event": "error", "message": "...", "exit_code": 2}

The client half-closes its side (or disconnects) to cancel: the daemon stops the run it started
for that client, and still sends the interrupted run's report if the client is reading.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from enum import Enum
from pathlib import Path
from typing import Any

from ingestor.engine.report import Outcome, PageEvent, SyncReport

__all__ = [
    "MAX_LINE_BYTES",
    "LineReader",
    "encode",
    "peer_uid",
    "report_from_json",
    "report_to_json",
    "socket_address",
    "socket_path",
]

#: Longest line either end accepts (a report with 1,000 failures listed fits easily).
MAX_LINE_BYTES = 64 * 1024 * 1024
#: sun_path is 108 bytes on Linux; longer paths go through the folder's /proc/self/fd link.
_MAX_SUN_PATH = 100
#: Report fields that never cross the channel: the exception object (the exit code does) and
#: the HTML collected for ``plan --diff`` (plans run locally).
_NOT_SENT = frozenset({"exception", "planned_html"})


def socket_path(state_path: Path) -> Path:
    """The control socket of the daemon that holds ``state_path``."""
    state_path = Path(state_path).expanduser().absolute()
    return state_path.with_name(state_path.name + ".sock")


@contextmanager
def socket_address(path: Path) -> Iterator[str]:
    """An address for ``bind``/``connect`` to ``path``, even past sun_path's 108 bytes.

    A long path is reached through ``/proc/self/fd/N/<name>`` with N an ``O_PATH`` descriptor
    of its folder (Linux resolves it like any path), closed when the block ends.
    """
    if len(os.fsencode(path)) <= _MAX_SUN_PATH:
        yield str(path)
        return
    folder = os.open(path.parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


def peer_uid(conn: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (``SO_PEERCRED``)."""
    raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


class LineReader:
    """Reads newline-delimited JSON objects from a socket."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._buffer = b""

    def read(self) -> dict[str, Any] | None:
        """The next object, or None at end of stream.

        Raises:
            ValueError: A line is not a JSON object, or is longer than MAX_LINE_BYTES.
            OSError: The socket failed (a timeout included).
        """
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_LINE_BYTES:
                raise ValueError(f"line longer than {MAX_LINE_BYTES} bytes")
            chunk = self._conn.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        value = json.loads(line)
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object per line")
        return value


def encode(message: dict[str, Any]) -> bytes:
    """One message as one line."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _plain(value: Any) -> Any:
    if isinstance(value, PageEvent):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def report_to_json(report: SyncReport) -> dict[str, Any]:
    """A report's fields as JSON values (what a person reads, not the exception)."""
    sent = [f.name for f in fields(report) if f.name not in _NOT_SENT]
    return {name: _plain(getattr(report, name)) for name in sent}


def report_from_json(data: dict[str, Any]) -> SyncReport:
    """The report :func:`report_to_json` sent, for the CLI's summary.

    Unknown keys (a newer daemon) are dropped; lists of page events and link pairs get their
    types back from the field annotations.
    """
    hints = typing.get_type_hints(SyncReport)
    known = {f.name for f in fields(SyncReport)} - _NOT_SENT
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known:
            continue
        hint = str(hints.get(name, ""))
        if "PageEvent" in hint and isinstance(value, list):
            value = [_page_event(v) for v in value]
        elif "tuple" in hint and isinstance(value, list):
            value = [tuple(v) for v in value]
        values[name] = value
    return SyncReport(**values)


def _page_event(data: dict[str, Any]) -> PageEvent:
    known = {f.name for f in fields(PageEvent)}
    values = {k: v for k, v in data.items() if k in known}
    values["outcome"] = Outcome(values["outcome"])
    return PageEvent(**values)
