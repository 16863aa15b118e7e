"""Signals: SIGTERM/SIGINT stop gracefully (a second one exits at once), SIGHUP reloads.

Handlers only enqueue a request for the daemon's main loop, except the second stop signal,
which must work even when the graceful path is stuck.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from ingestor.config import Config
from ingestor.daemon._daemon import Daemon
from ingestor.daemon._logging import LogChoice

__all__ = ["EXIT_AT_ONCE", "run_daemon", "signal_handlers"]

log = logging.getLogger("ingestor.daemon")

#: Exit code after a second SIGTERM/SIGINT (the CLI's "interrupted").
EXIT_AT_ONCE = 130


def _flush_logs() -> None:
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):  # exiting anyway: a broken stream must not stop us
            handler.flush()


@contextmanager
def signal_handlers(daemon: Daemon) -> Iterator[None]:
    """Route SIGTERM, SIGINT and SIGHUP to ``daemon`` while the block runs (main thread only)."""
    stops = 0

    def on_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stops
        stops += 1
        name = signal.Signals(signum).name
        if stops == 1:
            log.info("%s received: stopping gracefully (send it again to exit at once)", name)
            daemon.request_stop()
            return
        # State is written only after Intercom confirmed, so dying mid-upload stays consistent.
        log.warning(
            "second stop signal (%s): exiting at once; the next sync converges",
            name,
            extra={"event": "exit_at_once"},
        )
        _flush_logs()
        os._exit(EXIT_AT_ONCE)

    def on_reload(signum: int, frame: FrameType | None) -> None:
        log.info("SIGHUP received: reloading %s", daemon.config_path)
        daemon.request_reload()

    wanted = {signal.SIGTERM: on_stop, signal.SIGINT: on_stop, signal.SIGHUP: on_reload}
    previous = {sig: signal.signal(sig, handler) for sig, handler in wanted.items()}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_daemon(config_path: Path, config: Config, log_choice: LogChoice) -> int:
    """``ingestor daemon``: run until SIGTERM/SIGINT and return the exit code.

    Raises:
        StateLockedError: Another process uses the state database.
        StateError: The state database cannot be opened.
        ConfigError: The endpoint address cannot be bound.
    """
    daemon = Daemon(config_path, config, log_choice=log_choice)
    with signal_handlers(daemon):
        code = daemon.run()
    if daemon.abandoned_runs:
        # Sync threads are still inside uploads; waiting for them is what the grace period
        # bounded. Their runs are recorded as interrupted and the state lock dies with us.
        _flush_logs()
        os._exit(code)
    return code
