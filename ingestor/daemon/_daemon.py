"""The long-lived daemon: one store, one rate budget, one scheduler job per connector.

Life cycle: open (and lock) the state database, bind the HTTP endpoint and the control socket,
schedule every enabled connector, then serve stop/reload requests from the main thread until
told to stop. Requests come from signal handlers (see ``_signals``) through a queue, so handlers
never do real work; `ingestor sync` requests come over the control socket (``_control``).
This module wires the parts together and applies reloads; the live APScheduler is
``_scheduler``'s, and how running syncs are stopped and recorded at the end is ``_shutdown``'s.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from ingestor.config import Config, load_config
from ingestor.connectors.base import format_duration
from ingestor.control_protocol import socket_path
from ingestor.daemon._control import ControlServer, socket_in_use
from ingestor.daemon._control_session import SyncSession
from ingestor.daemon._endpoint import Endpoint
from ingestor.daemon._gate import WriteGate
from ingestor.daemon._jobs import SyncJobs
from ingestor.daemon._leasing import Leasing, start_leasing
from ingestor.daemon._logging import LogChoice, apply_logging
from ingestor.daemon._reconcile_job import ReconcileJob
from ingestor.daemon._scheduler import ConnectorScheduler
from ingestor.daemon._shutdown import abandon_runs, stop_runs
from ingestor.daemon._systemd import SystemdNotifier
from ingestor.daemon._tracker import Tracker
from ingestor.daemon._views import DaemonViews
from ingestor.daemon._watch import Watchers
from ingestor.errors import ConfigError, ConfigIssue, StateError
from ingestor.http import RateBudget
from ingestor.state import Store

__all__ = ["Daemon"]

log = logging.getLogger("ingestor.daemon")

_STOP, _RELOAD = "stop", "reload"


class Daemon:
    """Runs every enabled connector on its schedule until asked to stop.

    Args:
        config_path: The YAML file, re-read on :meth:`request_reload`.
        config: Its validated content.
        environ: Where ``${VAR}`` references are looked up on reload (default ``os.environ``).
        log_choice: Command-line log overrides; None leaves logging alone (embedding, tests).
    """

    def __init__(
        self,
        config_path: Path,
        config: Config,
        *,
        environ: Mapping[str, str] | None = None,
        log_choice: LogChoice | None = None,
    ) -> None:
        self.config_path = config_path
        self._config = config
        self._environ = environ
        self._log_choice = log_choice
        self._secrets = {config.intercom.token.get_secret_value()}
        self._requests: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self.started = threading.Event()
        self.started_at = time.time()
        self.tracker = Tracker()
        self.gate = WriteGate()
        self.systemd = SystemdNotifier()
        #: One budget for every connector's client: parallel syncs share the window.
        self.budget = RateBudget()
        self.reloads: Counter[str] = Counter()
        self.last_reload: dict[str, Any] | None = None
        self.store: Store | None = None
        #: The connectors' and the reconcile's schedules (started once the store is open).
        self.scheduler = ConnectorScheduler(self.tracker, self._stopping)
        self._jobs: SyncJobs | None = None
        self._endpoint: Endpoint | None = None
        self._control: ControlServer | None = None
        self._watchers: Watchers | None = None
        #: This instance's connector leases (several daemons may share one state database).
        self.leasing: Leasing | None = None
        #: True when the daemon exited while syncs still ran (grace period over).
        self.abandoned_runs = False

    # -- control (signal-safe: a queue put) ------------------------------------------------------

    @property
    def config(self) -> Config:
        """The config in force."""
        return self._config

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def endpoint_url(self) -> str | None:
        """``http://host:port`` of the health/metrics endpoint, when one is served."""
        return None if self._endpoint is None else self._endpoint.url

    def watch_status(self, name: str) -> dict[str, Any] | None:
        """How connector ``name`` is watched, for /status; None when it is not."""
        return None if self._watchers is None else self._watchers.describe(name)

    def request_stop(self) -> None:
        """Ask the main loop to shut down gracefully."""
        self._requests.put(_STOP)

    def request_reload(self) -> None:
        """Ask the main loop to re-read the config file."""
        self._requests.put(_RELOAD)

    def next_run_at(self, name: str) -> float | None:
        """When the connector's next run is due (Unix time), if it is scheduled."""
        return self.scheduler.next_run_at(name)

    # -- life cycle ----------------------------------------------------------------------------

    def run(self) -> int:
        """Run until a stop request; returns the exit code (0 after a graceful stop).

        Raises:
            StateLockedError: Another process uses the state database.
            StateError: The state database cannot be opened.
            ConfigError: The endpoint address cannot be bound.
        """
        if self._log_choice is not None:
            apply_logging(self._config, self._log_choice, self._secrets)
        # PostgreSQL: shared with other daemons, which divide the connectors by lease
        store = Store.open(self._config.state.location, shared=True)
        self.store = store
        try:
            self._start(store)
            self._serve_requests()
            return self._shutdown()
        finally:
            self._tear_down(store)

    def _start(self, store: Store) -> None:
        """Bring every part up, each after those it uses, then tell systemd we are ready."""
        if store.died_runs:
            log.warning(
                "runs %s were left running by a process that died; recorded as died",
                ", ".join(map(str, store.died_runs)),
            )
        self.leasing = self._start_leasing(store)
        self._jobs = SyncJobs(
            config=lambda: self._config,
            store=store,
            budget=self.budget,
            tracker=self.tracker,
            gate=self.gate,
            stopping=self._stopping,
            leasing=self.leasing,
            delay_next_run=self.scheduler.delay_next_run,
        )
        self._start_endpoint()
        self._start_control(store, self._jobs)
        self._start_scheduler(store, self._jobs, self.leasing)
        self._watchers = Watchers(
            config=lambda: self._config, jobs=self._jobs, store=store, stopping=self._stopping
        )
        self._watchers.apply(self._config)
        self.started.set()
        enabled = sum(1 for c in self._config.connectors if c.enabled)
        self.systemd.ready(f"{enabled} connector(s) scheduled")

    def _tear_down(self, store: Store) -> None:
        """Stop whatever :meth:`_start` got running, after a graceful stop or an error."""
        if self._watchers is not None:
            self._watchers.stop()
        if self.scheduler.running:  # left by an error
            self._stopping.set()
            self.scheduler.stop()
        if self._control is not None:  # before the store closes: sessions still use it
            self._control.stop()
        if self._endpoint is not None:
            self._endpoint.stop()
        if self.leasing is not None:  # abandoned runs lose theirs and write no more
            self.leasing.stop()
        if not self.abandoned_runs:  # else threads still use it; process exit frees it
            store.close()

    def _start_leasing(self, store: Store) -> Leasing:
        """Take this instance's share of the connectors before anything is scheduled."""
        return start_leasing(
            store,
            self._config.daemon.lease_period.total_seconds(),
            connectors=lambda: [c.name for c in self._config.connectors if c.enabled],
            busy=lambda name: self._jobs is not None and self._jobs.claim(name).locked(),
            taken_over=self.scheduler.run_now,
        )

    def _start_endpoint(self) -> None:
        address = self._config.daemon.listen_address
        if address is None:
            return
        views = DaemonViews(self)
        try:
            self._endpoint = Endpoint(*address, views.routes()).start()
        except OSError as exc:
            issue = ConfigIssue(
                "daemon.listen",
                f"cannot listen on {self._config.daemon.listen}: {exc.strerror or exc}",
                str(self.config_path),
            )
            raise ConfigError([issue]) from exc
        log.info(
            "serving /healthz, /readyz, /metrics and /status on %s",
            self._endpoint.url,
            extra={"event": "listening", "url": self._endpoint.url},
        )

    def _start_control(self, store: Store, jobs: SyncJobs) -> None:
        """The control socket next to the state database: `ingestor sync` runs in here."""

        def session(conn: socket.socket, uid: int) -> SyncSession:
            return SyncSession(conn, uid, jobs, lambda: self._config, self._stopping)

        path = socket_path(self._config.state.path)  # with state.url: in the data folder
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"cannot create {path.parent}: {exc.strerror or exc}") from exc
        if socket_in_use(path):
            log.warning(
                "another daemon on this machine takes commands on %s: `ingestor sync` reaches "
                "that one, this instance takes none (give each its own FIN_INGESTOR_DATA_DIR)",
                path,
                extra={"event": "control_shared", "path": str(path)},
            )
            return
        self._control = ControlServer(path, session).start()

    def _start_scheduler(self, store: Store, jobs: SyncJobs, leasing: Leasing) -> None:
        reconcile = ReconcileJob(
            config=lambda: self._config,
            store=store,
            budget=self.budget,
            jobs=jobs,
            leasing=leasing,
            stopping=self._stopping,
        )
        self.scheduler.start(self._config, store, jobs, reconcile)

    def _serve_requests(self) -> None:
        next_ping = 0.0
        while True:
            if self.systemd.watchdog_seconds and time.monotonic() >= next_ping:
                next_ping = time.monotonic() + self.systemd.watchdog_seconds / 3
                if self.scheduler.alive():  # a hung or dead scheduler gets restarted
                    self.systemd.watchdog()
            try:
                request = self._requests.get(timeout=0.25)
            except queue.Empty:
                continue
            if request == _STOP:
                return
            if request == _RELOAD:
                self.systemd.reloading()
                try:
                    self.reload()
                except Exception:  # a bug in reloading must not take the running syncs down
                    log.exception("config reload failed unexpectedly; the old config stays")
                self.systemd.ready("configuration reloaded")

    # -- reload --------------------------------------------------------------------------------

    def reload(self) -> bool:
        """Re-read the config file; apply it if valid, else log every error and keep the old.

        Returns:
            Whether the new config is now in force.
        """
        old = self._config
        try:
            new = load_config(self.config_path, environ=self._environ)
        except ConfigError as exc:
            return self._reload_failed([str(issue) for issue in exc.issues])
        if new.state.location != old.state.location:
            return self._reload_failed(
                [
                    f"the state database changed from {old.state.shown} to {new.state.shown}: "
                    "the daemon keeps one state database for its whole life; restart it to switch"
                ]
            )
        for key in ("listen", "max_parallel"):
            if getattr(new.daemon, key) != getattr(old.daemon, key):
                log.warning("daemon.%s changed: it takes effect when the daemon restarts", key)
        if self.gate.paused and new.intercom.token == old.intercom.token:
            log.warning(
                "the access token Intercom refused is unchanged: the environment (systemd's "
                "EnvironmentFile, the container's -e) is read once, when the daemon starts; "
                "restart it to use a new token from there",
                extra={"event": "token_unchanged"},
            )
        self._secrets.add(new.intercom.token.get_secret_value())
        self._config = new
        if self._log_choice is not None:
            apply_logging(new, self._log_choice, self._secrets)
        added, removed, changed = self.scheduler.reschedule(old, new)
        if new.daemon.reconcile_schedule != old.daemon.reconcile_schedule:
            self.scheduler.reschedule_reconcile(new)
        if self._watchers is not None:
            self._watchers.apply(new)
        self.gate.open("the config was reloaded")
        self.reloads["ok"] += 1
        self.last_reload = {"at": time.time(), "ok": True, "errors": []}
        log.info(
            "config reloaded from %s: added %s, removed %s, changed %s",
            self.config_path,
            ", ".join(added) or "none",
            ", ".join(removed) or "none",
            ", ".join(changed) or "none",
            extra={"event": "reloaded"},
        )
        return True

    def _reload_failed(self, problems: list[str]) -> bool:
        self.reloads["error"] += 1
        self.last_reload = {"at": time.time(), "ok": False, "errors": problems}
        log.error(
            "config reload failed with %d error(s); the previous config stays in force",
            len(problems),
            extra={"event": "reload_failed"},
        )
        for problem in problems:
            log.error("config reload: %s", problem, extra={"event": "reload_failed"})
        return False

    # -- shutdown ------------------------------------------------------------------------------

    def _shutdown(self) -> int:
        grace = self._config.daemon.grace_period.total_seconds()
        self._stopping.set()
        self.systemd.stopping()
        if self._watchers is not None:
            self._watchers.stop()
        log.info(
            "stopping: no new runs; %d running sync(s) get up to %s to finish their uploads",
            len(self.tracker.running()),
            format_duration(timedelta(seconds=grace)),
            extra={"event": "stopping"},
        )
        self.scheduler.stop()
        running = stop_runs(self.tracker, grace)
        if running:
            self.abandoned_runs = True
            abandon_runs(self.store, running)  # records them as interrupted
            return 0
        log.info("stopped cleanly", extra={"event": "stopped"})
        return 0
