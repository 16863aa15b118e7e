"""Log setup for the daemon: text on a terminal, JSON lines on a server, never the token."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from ingestor.config import Config
from ingestor.logs import LogFormat, setup_logging

__all__ = ["LogChoice", "apply_logging", "resolve_format"]


@dataclass(frozen=True, slots=True)
class LogChoice:
    """Command-line overrides of ``daemon.log_level`` / ``daemon.log_format`` (None: config)."""

    level: str | None = None
    format: str | None = None


def resolve_format(wanted: str, *, is_tty: bool) -> LogFormat:
    """``auto`` means text for a person at a terminal and JSON lines for a log collector."""
    if wanted == "auto":
        return "text" if is_tty else "json"
    if wanted not in ("text", "json"):
        raise ValueError(f"log format must be auto, text or json, not {wanted!r}")
    return "json" if wanted == "json" else "text"


class _QuietSkips(logging.Filter):
    """APScheduler warns each time a run is skipped because the previous one still runs;
    for long first syncs that is expected, and counted in metrics: log it at INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "maximum number of running instances reached" in str(record.msg):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def apply_logging(config: Config, choice: LogChoice, secrets: Iterable[str]) -> None:
    """(Re)configure the root logger for the daemon; safe to call again after a reload."""
    level = choice.level or config.daemon.log_level
    fmt = resolve_format(choice.format or config.daemon.log_format, is_tty=sys.stderr.isatty())
    setup_logging(level, fmt, secrets)
    scheduler_log = logging.getLogger("apscheduler")
    scheduler_log.setLevel(logging.WARNING)  # "Running job ..." per run is noise
    skips = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _QuietSkips) for f in skips.filters):
        skips.addFilter(_QuietSkips())
