"""Pure scheduling decisions: a connector's trigger, whether it runs at start, its backoff."""

from __future__ import annotations

import zoneinfo
from datetime import UTC

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ingestor.config import Config
from ingestor.connectors.base import ConnectorSettings, Schedule, crontab_fields

__all__ = ["backoff_delay", "build_trigger", "effective_schedule", "runs_on_start"]


def effective_schedule(config: Config, settings: ConnectorSettings) -> Schedule:
    """The connector's own schedule, else ``daemon.schedule``."""
    return settings.schedule or config.daemon.schedule


def runs_on_start(config: Config, settings: ConnectorSettings) -> bool:
    """Whether the connector syncs as soon as it is scheduled (at start-up or when added)."""
    if settings.run_on_start is not None:
        return settings.run_on_start
    return config.daemon.run_on_start


def build_trigger(schedule: Schedule) -> BaseTrigger:
    """The APScheduler trigger of a validated schedule."""
    jitter = schedule.jitter.total_seconds() if schedule.jitter is not None else None
    if schedule.every is not None:
        return IntervalTrigger(seconds=schedule.every.total_seconds(), timezone=UTC, jitter=jitter)
    assert schedule.cron is not None  # the model guarantees one of the two
    timezone = zoneinfo.ZoneInfo(schedule.timezone) if schedule.timezone else UTC
    return CronTrigger(**crontab_fields(schedule.cron), timezone=timezone, jitter=jitter)


def backoff_delay(failures: int, initial: float, cap: float) -> float:
    """Seconds a connector waits after ``failures`` failed runs in a row (0 after none).

    ``initial`` after the first failure, doubling with each further one, never over ``cap``.
    """
    if failures <= 0:
        return 0.0
    # The exponent is bounded so that a connector failing for months cannot overflow.
    return float(min(cap, initial * 2 ** min(failures - 1, 40)))
