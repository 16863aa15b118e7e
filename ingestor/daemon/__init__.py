"""``ingestor daemon``: every connector on its own schedule, for months, unattended.

* :class:`Daemon` owns one state store (and its lock), one Intercom rate budget shared by every
  connector's client, an APScheduler job per connector (``max_instances=1``, coalesced), the
  write gate (paused after an authentication failure) and an optional HTTP endpoint
  (``/healthz``, ``/readyz``, ``/metrics``, ``/status``).
* :func:`run_daemon` adds the signals: SIGTERM/SIGINT stop gracefully within
  ``daemon.grace_period`` (a second one exits at once with :data:`EXIT_AT_ONCE`), SIGHUP
  reloads the config (an invalid one is logged and the old one kept).
* Failing connectors back off exponentially (:func:`backoff_delay`) without holding the others.
"""

from __future__ import annotations

from ingestor.daemon._daemon import Daemon
from ingestor.daemon._jobs import RunVerdict, judge_run
from ingestor.daemon._logging import LogChoice, resolve_format
from ingestor.daemon._schedule import backoff_delay, build_trigger, effective_schedule
from ingestor.daemon._signals import EXIT_AT_ONCE, run_daemon

__all__ = [
    "EXIT_AT_ONCE",
    "Daemon",
    "LogChoice",
    "RunVerdict",
    "backoff_delay",
    "build_trigger",
    "effective_schedule",
    "judge_run",
    "resolve_format",
    "run_daemon",
]
