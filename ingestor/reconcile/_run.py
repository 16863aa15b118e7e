"""Reconcile the selected connectors of a config: Intercom's lists are walked once for all."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence

import httpx

from ingestor.config import Config
from ingestor.engine.plan_state import reading_store
from ingestor.engine.runner import (
    adopt_renamed,
    build_client,
    build_connector,
    page_policy,
    select_connectors,
)
from ingestor.engine.sync import SyncEngine
from ingestor.intercom import IntercomClient
from ingestor.reconcile._connector import reconcile_connector
from ingestor.reconcile._remote import RemoteView
from ingestor.reconcile._report import ReconcileOptions, ReconcileReport
from ingestor.state import Store

__all__ = ["reconcile_connectors", "reconcile_with"]


def reconcile_connectors(
    config: Config,
    *,
    names: Sequence[str] | None = None,
    options: ReconcileOptions | None = None,
    stop_event: threading.Event | None = None,
    transport: httpx.BaseTransport | None = None,
    store: Store | None = None,
) -> list[ReconcileReport]:
    """Reconcile the selected connectors one after another with one client and one store.

    A dry run opens the state read-only (it writes nothing, and works while a daemon holds
    the state); otherwise the state is opened and locked as a sync does.
    """
    options = options or ReconcileOptions()
    opened: contextlib.AbstractContextManager[Store]
    if store is not None:
        opened = contextlib.nullcontext(store)
    elif options.dry_run:  # never written, never locked: works beside a daemon
        opened = reading_store(config.state.location)
    else:
        opened = Store.open(config.state.location)
    with opened as store, build_client(config, transport=transport) as client:
        engine = SyncEngine(client, store, stop_event=stop_event)
        return reconcile_with(engine, config, names, options)


def reconcile_with(
    engine: SyncEngine,
    config: Config,
    names: Sequence[str] | None,
    options: ReconcileOptions,
) -> list[ReconcileReport]:
    """Reconcile with an engine already built (the daemon's store and rate budget)."""
    selected = select_connectors(config, names)
    client: IntercomClient = engine.client
    before = client.stats().calls
    remote = RemoteView.load(client)
    list_calls = client.stats().calls - before
    reports: list[ReconcileReport] = []
    for settings in selected:
        if engine.stop_event.is_set():
            break
        if not options.dry_run:
            adopt_renamed(engine.store, settings)
        with build_connector(settings) as connector:
            report = reconcile_connector(
                engine, connector, page_policy(config, settings), remote, options
            )
        report.list_calls = list_calls
        reports.append(report)
        if report.exception is not None:
            break  # the workspace failed us: the other connectors would fail the same way
    return reports
