"""``ingestor doctor``: is this installation able to sync, and if not, what to do about it.

Each check is one line with a verdict and, when something is wrong, a fix: Intercom answers at
the configured base URL and accepts the token (one read call), the rate-limit headroom its
headers show, the clock against Intercom's ``Date``, the state database's folder, and every
enabled connector's source (the first item of a listing, which logs in to wikis). Nothing is
written anywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ingestor.config import Config
from ingestor.connectors.base import ConnectorSettings, ListingProblem
from ingestor.engine.runner import build_client, build_connector
from ingestor.errors import (
    AuthenticationError,
    IngestorError,
    IntercomUnreachable,
    NoStateError,
    StateError,
)
from ingestor.intercom._probe import ConnectionProbe, probe_connection
from ingestor.state import Store, location_problem, process_gone

__all__ = ["Check", "run_checks"]

Verdict = Literal["ok", "warning", "failed"]
#: How long one connector's first listing item may take before the check gives up.
LISTING_TIMEOUT = 60.0
#: Clock difference from which rate-limit windows and cursors may be misread.
MAX_CLOCK_SKEW = 30.0
_TOKEN_HINT = (
    "create an access token for the workspace's private app in Intercom's Developer Hub "
    "(OAuth apps: the read_write_ai_content scope) and put it in the variable intercom.token "
    "reads"
)


@dataclass(frozen=True, slots=True)
class Check:
    """One check's outcome; ``hint`` says what to do when it is not ok."""

    name: str
    verdict: Verdict
    detail: str
    hint: str = ""


def run_checks(config: Config) -> list[Check]:
    """Every check, in order: Intercom, state, then each enabled connector."""
    checks = _intercom_checks(config)
    checks.append(_state_check(config))
    checks.extend(_source_check(settings) for settings in config.connectors if settings.enabled)
    return checks


def _intercom_checks(config: Config) -> list[Check]:
    base = config.intercom.resolved_base_url
    try:
        with build_client(config) as client:
            probe = probe_connection(client)
    except AuthenticationError as exc:
        return [Check("intercom token", "failed", f"{base} refused the token: {exc}", _TOKEN_HINT)]
    except IntercomUnreachable as exc:
        hint = "check intercom.region or base_url, DNS, HTTPS_PROXY and the firewall"
        return [Check("intercom reachable", "failed", f"{base}: {exc}", hint)]
    except IngestorError as exc:
        return [Check("intercom token", "failed", f"{base}: {exc}", _TOKEN_HINT)]
    return [
        Check("intercom token", "ok", f"{base} accepted it ({probe.seconds:.2f}s)"),
        _headroom(probe),
        _clock(probe),
    ]


def _headroom(probe: ConnectionProbe) -> Check:
    if probe.rate_limit is None or probe.rate_remaining is None:
        return Check("rate limit", "warning", "no X-RateLimit headers in the answer")
    detail = f"{probe.rate_remaining} of {probe.rate_limit} calls left in this 10-second window"
    if probe.rate_remaining < probe.rate_limit * 0.2:
        hint = "another process uses the same app's budget now (a daemon, another tool)"
        return Check("rate limit", "warning", detail, hint)
    return Check("rate limit", "ok", detail)


def _clock(probe: ConnectionProbe) -> Check:
    if probe.clock_skew_seconds is None:
        return Check("clock", "warning", "Intercom's answer had no Date header")
    skew = probe.clock_skew_seconds
    detail = f"{abs(skew):.0f}s {'behind' if skew > 0 else 'ahead of'} Intercom"
    if abs(skew) > MAX_CLOCK_SKEW:
        return Check("clock", "warning", detail, "synchronise this machine's clock (NTP)")
    return Check("clock", "ok", detail)


def _state_check(config: Config) -> Check:
    if config.state.url is not None:
        return _server_state_check(config)
    path = config.state.path
    problem = location_problem(path)
    if problem is not None:
        return Check("state", "failed", problem, "fix state.path, or the folder's owner and mode")
    if not path.exists():
        return Check("state", "ok", f"{path} will be created on the first sync")
    try:
        with Store.open(path, read_only=True) as store:
            runs = store.recent_runs(limit=1)
            database = store.path if store.path is not None else path
    except StateError as exc:
        return Check("state", "failed", str(exc), "restore a backup or move the file away")
    gone = bool(runs) and runs[0].status == "running" and process_gone(database, runs[0].pid)
    last = f"; last run {'died' if gone else runs[0].status}" if runs else ""
    return Check("state", "ok", f"{path}{last}")


def _server_state_check(config: Config) -> Check:
    """PostgreSQL: the server answers, and the database is empty or a state database."""
    shown = config.state.shown
    try:
        with Store.open(config.state.location, read_only=True) as store:
            runs = store.recent_runs(limit=1)
            gone = bool(runs) and runs[0].status == "running" and store.process_gone(runs[0].pid)
    except StateError as exc:
        if isinstance(exc, NoStateError):
            return Check("state", "ok", f"{shown} will be set up on the first sync")
        return Check("state", "failed", str(exc), "check state.url, the server and its grants")
    last = f"; last run {'died' if gone else runs[0].status}" if runs else ""
    return Check("state", "ok", f"{shown}{last}")


def _source_check(settings: ConnectorSettings) -> Check:
    name = f"source {settings.name}"
    problems = settings.source_problems()
    if problems:
        return Check(name, "failed", "; ".join(problems), "mount the share or fix the path")
    outcome = _first_listing_item(settings)
    if isinstance(outcome, Exception):
        hint = "check the connector's address and credentials (see its docs/connectors page)"
        return Check(name, "failed", f"cannot list: {outcome}", hint)
    if outcome is None:
        return Check(name, "warning", "listed, but it holds no page yet")
    return Check(name, "ok", f"listed ({settings.type}): first page {outcome}")


def _first_listing_item(settings: ConnectorSettings) -> str | Exception | None:
    """The first listed page id, None for an empty source, or what went wrong."""
    found: list[str | Exception | None] = []

    def first() -> None:
        try:
            with build_connector(settings) as connector:
                for entry in connector.list():
                    if isinstance(entry, ListingProblem):
                        found.append(ConnectionError(f"{entry.where}: {entry.message}"))
                    else:
                        found.append(entry.external_id)
                    return
                found.append(None)
        except Exception as exc:  # any failure of any connector is this check's answer
            found.append(exc)

    return _within(first, found, LISTING_TIMEOUT)


def _within(
    work: Callable[[], None], found: list[str | Exception | None], timeout: float
) -> str | Exception | None:
    thread = threading.Thread(target=work, daemon=True, name="doctor-listing")
    thread.start()
    thread.join(timeout)
    if not found:
        return TimeoutError(f"no answer within {timeout:.0f}s")
    return found[0]
