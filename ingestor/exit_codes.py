"""The exit codes of every ``ingestor`` command, and the one mapping from the exception tree to
them: the CLI and the daemon's control channel (a ``sync`` run inside the daemon answers with the
same code) share it.

    0   everything synced (or, for ``validate``, the config is valid)
    1   the run finished but not everything: some pages failed (after every retry, too), a
        listing was incomplete, or the deletion guard held deletions back; or a bug ended it
    2   configuration or usage error
    3   Intercom refused the token, or failed every call (ingestor.engine.breaker)
    4   the state database is locked by another process or unusable
    5   ``plan`` only: the sync would change something
    130 interrupted (Ctrl-C, SIGTERM)
    141 the program reading the output closed it early (``| head``): 128 + SIGPIPE, as a
        shell reports a program killed by SIGPIPE
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from ingestor.engine.report import SyncReport
from ingestor.errors import ConfigError, FatalError, RetriableError, StateError, UsageError

__all__ = ["ExitCode", "exit_code_for", "exit_code_for_reports"]


class ExitCode(IntEnum):
    OK = 0
    PARTIAL = 1
    CONFIG = 2
    INTERCOM = 3
    STATE = 4
    CHANGES = 5
    INTERRUPTED = 130
    OUTPUT_CLOSED = 141


def exit_code_for(error: BaseException) -> ExitCode:
    """The one mapping from the exception tree to exit codes."""
    if isinstance(error, ConfigError | UsageError):
        return ExitCode.CONFIG
    if isinstance(error, StateError):
        return ExitCode.STATE
    if isinstance(error, FatalError | RetriableError):
        return ExitCode.INTERCOM
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.PARTIAL


def exit_code_for_reports(reports: Sequence[SyncReport]) -> ExitCode:
    """A run's exit code: its first error's, else interrupted, partial or ok."""
    for report in reports:
        if report.exception is not None:
            return exit_code_for(report.exception)
    if any(r.interrupted for r in reports):
        return ExitCode.INTERRUPTED
    if any(r.status != "ok" for r in reports):
        return ExitCode.PARTIAL
    return ExitCode.OK
