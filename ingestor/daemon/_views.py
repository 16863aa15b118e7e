"""What the HTTP endpoint answers: liveness, readiness, Prometheus metrics and JSON status."""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from ingestor import __version__
from ingestor.commands.status import status_data
from ingestor.daemon._endpoint import Response, Route
from ingestor.daemon._metrics import CONTENT_TYPE_LATEST, MetricsData, build_registry, render
from ingestor.errors import StateError

if TYPE_CHECKING:
    from ingestor.daemon._daemon import Daemon

__all__ = ["DaemonViews"]

_JSON = "application/json"


def _json(status: int, payload: Any) -> Response:
    return status, _JSON, (json.dumps(payload, indent=2, default=str) + "\n").encode()


class DaemonViews:
    """The endpoint's routes over one daemon's live state."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon
        self._registry = build_registry(self.metrics_data)

    def routes(self) -> dict[str, Route]:
        """Path -> handler."""
        return {
            "/healthz": self.healthz,
            "/readyz": self.readyz,
            "/metrics": self.metrics,
            "/status": self.status,
        }

    def healthz(self) -> Response:
        """The process is alive and serving (nothing else is checked)."""
        return _json(200, {"status": "ok"})

    def readyz(self) -> Response:
        """Config loaded, state reachable, Intercom not refusing the token, not stopping."""
        daemon = self._daemon
        checks = self.readiness_checks()
        ready = all(check["ok"] for check in checks.values())
        # Named, not counted against readiness: one unavailable source (a late mount) fails
        # its own runs only, while the other connectors keep syncing.
        failing = {
            snap.name: (snap.last_run.error if snap.last_run else None) or "run failed"
            for snap in daemon.tracker.snapshot()
            if snap.consecutive_failures > 0
        }
        checks["sources"] = {
            "ok": True,
            "detail": "; ".join(f"{name}: {why}" for name, why in sorted(failing.items()))
            or "every connector's last run reached its source",
            "failing": sorted(failing),
        }
        return _json(200 if ready else 503, {"ready": ready, "checks": checks})

    def readiness_checks(self) -> dict[str, dict[str, Any]]:
        """The checks that decide readiness, by name: ``{"ok": bool, "detail": str}``."""
        daemon = self._daemon
        checks: dict[str, dict[str, Any]] = {}
        detail = f"{daemon.config_path} loaded"
        if daemon.last_reload is not None and not daemon.last_reload["ok"]:
            detail += "; the last reload failed, the previous config stays in force"
        checks["config"] = {"ok": True, "detail": detail}
        try:
            if daemon.store is None:
                raise StateError("the state database is not open yet")
            daemon.store.recent_runs(limit=1)
            daemon.store.check_file()
            checks["state"] = {"ok": True, "detail": str(daemon.store.location)}
        except StateError as exc:
            checks["state"] = {"ok": False, "detail": str(exc)}
        reason = daemon.gate.reason
        checks["intercom"] = {
            "ok": reason is None,
            "detail": reason or "no authentication failure",
        }
        checks["scheduler"] = {
            "ok": not daemon.stopping,
            "detail": "stopping" if daemon.stopping else "running",
        }
        return checks

    def metrics(self) -> Response:
        """Prometheus text format."""
        return 200, CONTENT_TYPE_LATEST, render(self._registry)

    def metrics_data(self) -> MetricsData:
        """One consistent read of everything ``/metrics`` exports."""
        daemon = self._daemon
        failing: dict[str, int] | None = None
        if daemon.store is not None:
            try:
                failing = {s.connector: s.failed for s in daemon.store.summary()}
            except StateError:
                failing = None
        snapshots = daemon.tracker.snapshot()
        return MetricsData(
            connectors=[(snap, daemon.next_run_at(snap.name)) for snap in snapshots],
            writes_paused=daemon.gate.paused,
            reloads=dict(daemon.reloads),
            failing_pages=failing,
            budget=daemon.budget.stats(),
            ready_checks={name: check["ok"] for name, check in self.readiness_checks().items()},
        )

    def status(self) -> Response:
        """What ``ingestor status`` prints, plus the daemon's own view of each connector."""
        daemon = self._daemon
        config = daemon.config
        try:
            data = status_data(config)
        except StateError as exc:
            return _json(503, {"error": str(exc)})
        snapshots = {snap.name: snap for snap in daemon.tracker.snapshot()}
        for entry in data["connectors"]:
            snap = snapshots.get(entry["name"])
            entry["daemon"] = None if snap is None else snap.to_json(daemon.next_run_at(snap.name))
            if entry["daemon"] is not None:
                entry["daemon"]["watch"] = daemon.watch_status(entry["name"])
        data["daemon"] = {
            "pid": os.getpid(),
            "version": __version__,
            "started_at": daemon.started_at,
            "uptime_seconds": round(time.time() - daemon.started_at, 3),
            "config": str(daemon.config_path),
            "stopping": daemon.stopping,
            "writes_paused": daemon.gate.paused,
            "pause_reason": daemon.gate.reason,
            "paused_since": daemon.gate.since,
            "reloads": dict(daemon.reloads),
            "last_reload": daemon.last_reload,
            "instance": _instance(daemon),
        }
        return _json(200, data)


def _instance(daemon: Daemon) -> dict[str, Any] | None:
    """This instance's id, the connectors it owns, and who owns the others."""
    if daemon.leasing is None:
        return None
    try:
        return daemon.leasing.describe()
    except SQLAlchemyError as exc:
        return {"id": daemon.leasing.instance, "owns": daemon.leasing.owned(), "error": str(exc)}
