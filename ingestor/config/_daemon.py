"""The ``daemon:`` section: what ``ingestor daemon`` needs beyond the sync settings."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from ingestor.connectors.base import Duration, Schedule

__all__ = ["DaemonSettings", "parse_listen"]

# host:port, [v6]:port; the host may be a name, an IPv4 or a bracketed IPv6 address.
_LISTEN = re.compile(r"^(?:\[(?P<v6>[0-9A-Za-z:.%]+)\]|(?P<host>[A-Za-z0-9.\-]+)):(?P<port>\d+)$")


def parse_listen(address: str) -> tuple[str, int]:
    """``"127.0.0.1:9108"`` -> ``("127.0.0.1", 9108)``; ``"[::1]:9108"`` -> ``("::1", 9108)``.

    Raises:
        ValueError: Not ``host:port`` or the port is out of range.
    """
    match = _LISTEN.match(address.strip())
    if match is None:
        raise ValueError(
            f"{address!r} is not host:port; write e.g. 127.0.0.1:9108, 0.0.0.0:9108 or [::1]:9108"
        )
    port = int(match["port"])
    if port > 65535:
        raise ValueError(f"port {port} is out of range (0-65535)")
    return match["v6"] or match["host"], port


def _reconcile_schedule_input(value: Any) -> Any:
    """``off`` (YAML reads a bare off as false) disables it; a bare duration means every."""
    if value is False or (isinstance(value, str) and value.strip().lower() in ("off", "never")):
        return None
    if value is True:
        raise ValueError("expected a schedule (e.g. 1d, 12h, {cron: '0 3 * * *'}) or off")
    if isinstance(value, str):
        return {"every": value}
    return value


#: The reconcile's schedule: a Schedule, a bare duration, or None (``off``).
ReconcileSchedule = Annotated[Schedule | None, BeforeValidator(_reconcile_schedule_input)]


class DaemonSettings(BaseModel):
    """How ``ingestor daemon`` runs: schedules, endpoint, logs, shutdown and failure backoff."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listen: str | None = Field(
        default=None,
        description="host:port of the HTTP endpoint serving /healthz, /readyz, /metrics and "
        "/status, e.g. 127.0.0.1:9108 (0.0.0.0:9108 in a container); none serves nothing.",
    )
    log_format: Literal["auto", "text", "json"] = Field(
        default="auto",
        description="text (for people) or json (one object per line, for log collectors); "
        "auto: text on a terminal, json otherwise. --log-format overrides it.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Least severe level logged; --log-level overrides it."
    )
    schedule: Schedule = Field(
        default_factory=lambda: Schedule(every=timedelta(hours=1)),
        description="Schedule of the connectors that set none (same keys as "
        "connectors[].schedule).",
    )
    reconcile_schedule: ReconcileSchedule = Field(
        default_factory=lambda: Schedule(every=timedelta(days=1)),
        description="When the daemon reconciles every connector with Intercom (docs/"
        "reconcile.md): a duration (12h, 1d), a schedule ({cron: '0 3 * * *'}, same keys as "
        "connectors[].schedule), or off. Never at the same time as a sync of the connector.",
    )
    run_on_start: bool = Field(
        default=False,
        description="Sync every connector once at start-up, then on schedule "
        "(connectors[].run_on_start overrides it).",
    )
    max_parallel: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Most connectors synced at the same time; all share one Intercom "
        "rate-limit budget.",
    )
    grace_period: Duration = Field(
        default=timedelta(seconds=30),
        description="On SIGTERM or SIGINT, how long running syncs may take to finish the page "
        "uploads in flight before the daemon exits anyway.",
    )
    backoff_initial: Duration = Field(
        default=timedelta(minutes=1),
        description="After a connector's run fails (source unreachable, Intercom down), its "
        "next run waits at least this long; the wait doubles with each further failure.",
    )
    backoff_max: Duration = Field(
        default=timedelta(hours=1),
        description="Longest wait between runs of a failing connector.",
    )
    lease_period: Duration = Field(
        default=timedelta(seconds=30),
        description="Several daemons sharing one state database each own some connectors "
        "through leases renewed every quarter of this period; a dead instance's connectors "
        "are taken over by another within this period of its death. Same value on every "
        "instance; at least 3s.",
    )

    @field_validator("lease_period")
    @classmethod
    def _long_enough_lease(cls, period: timedelta) -> timedelta:
        if period < timedelta(seconds=3):
            raise ValueError("must be at least 3s (renewals run every quarter of it)")
        return period

    @field_validator("listen")
    @classmethod
    def _valid_listen(cls, listen: str | None) -> str | None:
        if listen is None:
            return None
        parse_listen(listen)
        return listen.strip()

    @property
    def listen_address(self) -> tuple[str, int] | None:
        """``listen`` as ``(host, port)``, or None when no endpoint is served."""
        return None if self.listen is None else parse_listen(self.listen)
