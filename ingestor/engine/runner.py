"""Wires a validated Config into running syncs; shared by the CLI, the demo and the daemon."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from ingestor.config import Config
from ingestor.connectors.base import Connector, ConnectorSettings, load_connector_classes
from ingestor.engine.report import SyncObserver, SyncReport
from ingestor.engine.sync import PagePolicy, SyncEngine, SyncOptions
from ingestor.errors import ConfigError, ConfigIssue, StateError
from ingestor.http import RateBudget, RetryPolicy
from ingestor.intercom import IntercomClient
from ingestor.state import Store

__all__ = [
    "adopt_renamed",
    "build_client",
    "build_connector",
    "page_policy",
    "select_connectors",
    "sync_connectors",
]

log = logging.getLogger("ingestor")


def build_client(
    config: Config,
    *,
    transport: httpx.BaseTransport | None = None,
    budget: RateBudget | None = None,
    before_write: Callable[[], None] | None = None,
) -> IntercomClient:
    """The Intercom client the config describes (the token stays inside the client);
    ``before_write`` may refuse each write just before it is sent (a daemon's lease check)."""
    settings = config.intercom
    return IntercomClient(
        settings.token.get_secret_value(),
        region=settings.region,
        base_url=settings.base_url,
        api_version=settings.api_version,
        transport=transport,
        policy=RetryPolicy(max_attempts=settings.max_attempts),
        budget=budget,
        timeout=settings.timeout_seconds,
        before_write=before_write,
    )


def page_policy(config: Config, settings: ConnectorSettings) -> PagePolicy:
    """The connector's overrides over the config's defaults."""
    effective = config.effective(settings)
    return PagePolicy(
        ai_agent_availability=effective.ai_agent_availability,
        ai_copilot_availability=effective.ai_copilot_availability,
        max_page_bytes=effective.max_page_bytes,
        section_bytes=effective.section_bytes,
        min_text_chars=effective.min_text_chars,
        max_delete_fraction=effective.max_delete_fraction,
        deletion=effective.deletion,
        hide_for=effective.hide_for,
        locale=config.defaults.locale,
    )


def build_connector(settings: ConnectorSettings) -> Connector[Any]:
    """A ready connector for one validated ``connectors[]`` entry."""
    classes = load_connector_classes()
    try:
        cls = classes[settings.type]
    except KeyError:
        raise ConfigError(
            [ConfigIssue(f"connectors.{settings.name}.type", f"unknown type {settings.type!r}")]
        ) from None
    return cls(settings)


def adopt_renamed(store: Store, settings: ConnectorSettings) -> None:
    """Move a renamed connector's state (``renamed_from``) to its new name, once."""
    old = settings.renamed_from
    if old is not None and store.rename_connector(old, settings.name):
        log.info(
            "connector %s: took over the source, pages and runs of %s (renamed_from)",
            settings.name,
            old,
        )


def select_connectors(config: Config, names: Sequence[str] | None) -> list[ConnectorSettings]:
    """The enabled connectors, or exactly the named ones (enabled or not) in config order."""
    if not names:
        return [c for c in config.connectors if c.enabled]
    return [config.connector(name) for name in names]


def sync_connectors(
    config: Config,
    *,
    names: Sequence[str] | None = None,
    options: SyncOptions | None = None,
    observer: SyncObserver | None = None,
    stop_event: threading.Event | None = None,
    transport: httpx.BaseTransport | None = None,
    store: Store | None = None,
) -> list[SyncReport]:
    """Sync the selected connectors one after another with one client and one state store.

    A connector whose listing fails is reported and the next one still runs; an Intercom
    authentication failure or outage stops every connector (they share the workspace).
    ``store``: an open store to use (a plan passes a read-only one); by default the config's
    state database is opened (and locked) for the run.
    """
    selected = select_connectors(config, names)
    reports: list[SyncReport] = []
    own_store = store is None
    opened = Store.open(config.state.location) if store is None else contextlib.nullcontext(store)
    with (
        opened as store,
        build_client(config, transport=transport) as client,
    ):
        if store.died_runs:
            log.warning(
                "runs %s were left running by a process that died; recorded as died",
                ", ".join(map(str, store.died_runs)),
            )
        engine = SyncEngine(client, store, observer=observer, stop_event=stop_event)
        for settings in selected:
            if engine.stop_event.is_set():
                break
            if not (options and options.dry_run):
                adopt_renamed(store, settings)
            with build_connector(settings) as connector:
                report = engine.sync(connector, page_policy(config, settings), options)
            reports.append(report)
            if report.exception is not None and not isinstance(report.exception, ConfigError):
                _say_not_run(selected[len(reports) :], report.connector)
                break  # the workspace failed us: the other connectors would fail the same way
        if own_store and any(isinstance(r.exception, StateError) for r in reports):
            _record_lost_lock(store, [r.connector for r in reports])
    return reports


def _say_not_run(left: Sequence[ConnectorSettings], failed: str) -> None:
    """Name the connectors a workspace-wide failure left unrun, so none is missed unawares."""
    if left:
        names = ", ".join(settings.name for settings in left)
        what = f"connectors {names} were" if len(left) > 1 else f"connector {names} was"
        log.error("%s not run: %s failed in a way they would too (see above)", what, failed)


def _record_lost_lock(store: Store, connectors: list[str]) -> None:
    """After a run stopped by a lost PostgreSQL lock, take the lock again if it is free, just
    long enough to record why the run stopped (its row still says 'running': it could not be
    written without the lock), instead of the next run calling it a killed process's."""
    try:
        recorded = store.retake_lock(connectors)
    except StateError:  # StateLockedError among them
        return  # another process has the lock: its start records the run as died
    if recorded:
        log.warning(
            "runs %s recorded as stopped by the lost state lock", ", ".join(map(str, recorded))
        )
