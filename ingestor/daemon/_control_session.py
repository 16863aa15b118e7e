"""One control client's request, served inside the daemon: ``ingestor sync`` run by the daemon.

The sync goes through :class:`~ingestor.daemon._jobs.SyncJobs`, the machinery of scheduled
runs: the same store, rate budget, write gate, run history and backoff. One run per connector
at a time: when a scheduled run (or another client's) of a connector is in progress, this
request waits for it, says so to the client, and then runs with its own options; Ctrl-C in the
client stops the waiting, or stops the run it started (recorded as interrupted).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any

from ingestor import __version__
from ingestor.config import Config
from ingestor.connectors.base import ConnectorSettings
from ingestor.control_protocol import LineReader, encode, report_to_json
from ingestor.daemon._jobs import RequestedRun, SyncJobs
from ingestor.daemon._tracker import RunProgress
from ingestor.engine.report import PageEvent, SyncReport
from ingestor.engine.runner import select_connectors
from ingestor.engine.sync import SyncOptions
from ingestor.errors import ConfigError

__all__ = ["SyncSession"]

log = logging.getLogger("ingestor.daemon")

#: A client that sends no request within this time is dropped.
_REQUEST_TIMEOUT = 10.0
#: A client that stops reading for this long is treated as gone (its run is stopped).
_SEND_TIMEOUT = 60.0
# Exit codes, as ingestor.cli.ExitCode defines them (the CLI maps the whole tree there).
_PARTIAL, _CONFIG, _INTERCOM, _STATE, _INTERRUPTED = 1, 2, 3, 4, 130


class _Refused(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class SyncSession:
    """Serves one connection: reads its request, runs it, streams events back.

    Args:
        conn: The accepted connection (its peer's uid already checked).
        uid: The peer's uid, for the log.
        jobs: The daemon's sync machinery.
        config: Returns the config in force (reloads change it).
        stopping: Set when the daemon shuts down: no new run starts.
    """

    def __init__(
        self,
        conn: socket.socket,
        uid: int,
        jobs: SyncJobs,
        config: Callable[[], Config],
        stopping: threading.Event,
    ) -> None:
        self._conn = conn
        self._uid = uid
        self._jobs = jobs
        self._config = config
        self._stopping = stopping
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._cancelled = threading.Event()
        self._gone = False
        self._current: RunProgress | None = None

    # -- the connection ------------------------------------------------------------------------

    def serve(self) -> None:
        with self._conn:
            self._conn.settimeout(_REQUEST_TIMEOUT)
            reader = LineReader(self._conn)
            try:
                request = reader.read()
            except (OSError, ValueError) as exc:
                self._send({"event": "error", "message": f"bad request: {exc}", "exit_code": 2})
                return
            if request is None:
                return
            self._conn.settimeout(_SEND_TIMEOUT)
            threading.Thread(target=self._watch, args=(reader,), daemon=True).start()
            try:
                if request.get("op") != "sync":
                    raise _Refused(f"unknown request {request.get('op')!r}", _CONFIG)
                self._sync(request)
            except _Refused as refused:
                message = str(refused)
                self._send({"event": "error", "message": message, "exit_code": refused.exit_code})
            finally:
                self._gone = True  # answered: the client's closing cancels nothing now

    def _watch(self, reader: LineReader) -> None:
        """The client closing its side (Ctrl-C) cancels; anything it sends is ignored."""
        while not self._gone:
            try:
                if reader.read() is None:
                    break
            except TimeoutError:
                continue
            except (OSError, ValueError):
                break
        if not self._gone:
            self.cancel("the client stopped waiting (Ctrl-C)")

    def cancel(self, why: str) -> None:
        with self._state_lock:
            if self._cancelled.is_set():
                return
            self._cancelled.set()
            current = self._current
        if current is not None:
            log.info("control socket: stopping the run of %s: %s", current.connector, why)
            current.stop_event.set()

    def _started(self, progress: RunProgress) -> None:
        with self._state_lock:
            self._current = progress
            if self._cancelled.is_set():
                progress.stop_event.set()

    def _send(self, message: dict[str, Any]) -> None:
        if self._gone:
            return
        with self._send_lock:
            try:
                self._conn.sendall(encode(message))
            except OSError:
                self._gone = True
        if self._gone:
            self.cancel("the client went away")

    # -- the engine's observer -----------------------------------------------------------------

    def listed(self, connector: str, *, total: int, to_process: int) -> None:
        self._send(
            {"event": "listed", "connector": connector, "total": total, "to_process": to_process}
        )

    def page_done(self, connector: str, event: PageEvent) -> None:
        self._send(
            {
                "event": "page",
                "connector": connector,
                "external_id": event.external_id,
                "outcome": event.outcome.value,
                "reason": event.reason,
            }
        )

    # -- the request ---------------------------------------------------------------------------

    def _sync(self, request: dict[str, Any]) -> None:
        options = SyncOptions(
            dry_run=request.get("dry_run") is True,
            full=request.get("full") is True,
            allow_mass_delete=request.get("allow_mass_delete") is True,
        )
        names = request.get("connectors")
        if names is not None and not (
            isinstance(names, list) and all(isinstance(n, str) for n in names)
        ):
            raise _Refused("connectors must be a list of names", _CONFIG)
        config = self._config()
        try:
            selected = select_connectors(config, names)
        except ConfigError as exc:
            raise _Refused(f"{exc} (in the daemon's config in force)", _CONFIG) from exc
        if self._stopping.is_set():
            raise _Refused("the daemon is stopping; run the sync again once it is back", _STATE)
        self._send({"event": "accepted", "pid": os.getpid(), "version": __version__})
        log.info(
            "control socket: sync of %s requested by uid %d (%s)",
            ", ".join(s.name for s in selected) or "no connector",
            self._uid,
            _describe(options),
            extra={"event": "control_sync", "uid": self._uid},
        )
        reports = self._run_all(config, selected, options)
        self._send({"event": "done", "exit_code": _exit_code(reports, self._cancelled.is_set())})

    def _run_all(
        self, config: Config, selected: Sequence[ConnectorSettings], options: SyncOptions
    ) -> list[SyncReport]:
        """One connector after another, like a local sync; an Intercom failure ends them all."""
        reports: list[SyncReport] = []
        for settings in selected:
            if self._cancelled.is_set() or self._stopping.is_set():
                break
            report = self._run_one(config, settings, options)
            if report is None:
                continue
            reports.append(report)
            self._send({"event": "report", "report": report_to_json(report)})
            if report.exception is not None:
                break
        return reports

    def _run_one(
        self, config: Config, settings: ConnectorSettings, options: SyncOptions
    ) -> SyncReport | None:
        name = settings.name
        claim = self._jobs.claim(name)
        if not claim.acquire(blocking=False):
            self._send(
                {
                    "event": "waiting",
                    "connector": name,
                    "message": f"a run of {name} is in progress in the daemon (scheduled or "
                    "requested); this sync of it starts when that run ends",
                }
            )
            while not claim.acquire(timeout=0.25):
                if self._cancelled.is_set() or self._stopping.is_set():
                    return None
        try:
            if self._cancelled.is_set() or self._stopping.is_set():
                return None
            owner = None if options.dry_run else self._jobs.owner_elsewhere(name)
            if owner is not None:
                raise _Refused(
                    f"connector {name} is owned by daemon instance {owner} (several daemons "
                    "share this state database); run the sync on that instance",
                    _PARTIAL,
                )
            if not options.dry_run and not self._jobs.writes_allowed(config, name):
                raise _Refused(
                    "the daemon's writes are paused: Intercom refuses the access token; fix "
                    "intercom.token, reload the daemon (SIGHUP), then sync again",
                    _INTERCOM,
                )
            self._send({"event": "started", "connector": name})
            run = RequestedRun(options=options, observer=self, started=self._started)
            report = self._jobs.run_claimed(config, settings, run)
        finally:
            with self._state_lock:
                self._current = None  # a later cancel has no run of this one to stop
            claim.release()
        if report is None:
            raise _Refused(f"the run of {name} crashed; the daemon's log has the details", _PARTIAL)
        return report


def _describe(options: SyncOptions) -> str:
    flags = [
        flag
        for flag, on in (
            ("--dry-run", options.dry_run),
            ("--full", options.full),
            ("--allow-mass-delete", options.allow_mass_delete),
        )
        if on
    ]
    return " ".join(flags) or "no options"


def _exit_code(reports: Sequence[SyncReport], cancelled: bool) -> int:
    from ingestor.exit_codes import exit_code_for_reports

    code = int(exit_code_for_reports(reports))
    return _INTERRUPTED if cancelled and code == 0 else code
