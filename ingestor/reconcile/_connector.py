"""One connector's reconcile: find our source, compare, repair, then run the normal sync.

The sync does the sending: pages state was made to forget are re-sent, unknown pages are
adopted (:mod:`ingestor.adoption`), a deleted source is re-created and refilled (its one GET of
the source, :meth:`ingestor.sources.SourceResolver.verify`). See docs/reconcile.md.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ingestor.connectors.base import Connector
from ingestor.engine.adoption import AdoptionCandidates
from ingestor.engine.listing import ListingRequest, list_source
from ingestor.engine.policy import PagePolicy, SyncOptions
from ingestor.engine.sync import SyncEngine
from ingestor.errors import FatalError, PageError, SyncError
from ingestor.gate import Availability
from ingestor.intercom import IntercomClient
from ingestor.reconcile._compare import compare
from ingestor.reconcile._remote import RemoteView
from ingestor.reconcile._repair import clear_duplicates, repair_state_and_orphans
from ingestor.reconcile._report import Duplicate, ReconcileOptions, ReconcileReport
from ingestor.state import Store, SyncIndex

__all__ = ["reconcile_connector"]

log = logging.getLogger("ingestor.reconcile")


def reconcile_connector(
    engine: SyncEngine,
    connector: Connector[Any],
    policy: PagePolicy,
    remote: RemoteView,
    options: ReconcileOptions,
) -> ReconcileReport:
    """Reconcile one connector against ``remote`` (Intercom's lists, loaded once for all).

    Never raises for Intercom's failures: they end the reconcile with ``report.exception``.
    """
    store = engine.store
    report = ReconcileReport(connector.name, dry_run=options.dry_run)
    if not options.dry_run:
        report.reconcile_id = store.begin_reconcile(connector.name)
    calls_before = engine.client.stats().calls
    try:
        _reconcile(engine, connector, policy, remote, options, report)
    except SyncError as exc:
        report.error, report.exception = str(exc), exc
        log.error("reconcile %s: stopped: %s", connector.name, exc)
    finally:
        report.finished_at = time.time()
        report.calls = engine.client.stats().calls - calls_before
        if report.reconcile_id is not None:
            summary = report.summary()
            store.finish_reconcile(report.reconcile_id, status=report.status, summary=summary)
    _log_found(report)
    return report


def _reconcile(
    engine: SyncEngine,
    connector: Connector[Any],
    policy: PagePolicy,
    remote: RemoteView,
    options: ReconcileOptions,
    report: ReconcileReport,
) -> None:
    client, store = engine.client, engine.store
    report.listing_capped = remote.capped
    _find_source(client, store, connector, remote, report, options.dry_run)
    sent = store.sent_pages(connector.name)
    pages: dict[str, Any] = {}
    if report.source_id is not None and not report.source_deleted:
        remote.confirm(client, (page.intercom_id for page in sent.values()))
        pages = remote.pages_of(report.source_id)
    request = ListingRequest(version_suffix="", full=True)
    listing = list_source(connector, SyncIndex.empty(), request, engine.stop_event)
    report.listing_complete = listing.complete
    listed = listing.known if listing.complete else None
    default = Availability(policy.ai_agent_availability, policy.ai_copilot_availability)
    report.findings = compare(sent, pages, listed, default=default)
    if options.dry_run:
        return
    repair_state_and_orphans(
        client, store, sent, policy, report, allow_mass_delete=options.allow_mass_delete
    )
    candidates = AdoptionCandidates(report.findings.unknown)
    sync_options = SyncOptions(allow_mass_delete=options.allow_mass_delete, adopt=candidates)
    report.sync = engine.sync(connector, policy, sync_options)
    report.adopted, report.adopted_updated = candidates.adopted, candidates.updated
    if report.sync.exception is not None:
        raise report.sync.exception
    if options.adopt_duplicates and report.duplicates:
        theirs = {d.source_id: remote.pages_of(d.source_id) for d in report.duplicates}
        ours = set(store.sent_pages(connector.name))
        clear_duplicates(client, theirs, ours, listed, report)
        report.duplicates_cleared = True


def _find_source(
    client: IntercomClient,
    store: Store,
    connector: Connector[Any],
    remote: RemoteView,
    report: ReconcileReport,
    dry_run: bool,
) -> None:
    """Our source (state's, else the oldest api source with our url), whether Intercom lost
    it, and the other api sources with our url (duplicates)."""
    url = connector.settings.url
    same_url = remote.api_sources_at(url)
    known = store.get_source(connector.name)
    if known is not None:
        report.source_id = known.source_id
        report.source_deleted = known.source_id not in remote.sources and _gone(
            client, known.source_id
        )
    elif same_url:
        report.source_id, report.source_adopted = same_url[0].id, True
        if not dry_run:
            store.save_source(connector.name, same_url[0].id, url)
    report.duplicates = [
        Duplicate(source.id, source.url, remote.page_count(source.id))
        for source in same_url
        if source.id != report.source_id
    ]


def _gone(client: IntercomClient, source_id: int) -> bool:
    """A source missing from the list, read once by id (the list may have shifted)."""
    try:
        client.get_source(source_id)
    except (PageError, FatalError) as exc:
        if exc.status_code != 404:
            raise
        return True
    return False


def _log_found(report: ReconcileReport) -> None:
    found = report.findings
    level = logging.WARNING if report.status != "ok" else logging.INFO
    log.log(
        level,
        "reconcile %s: %s: %d matching, %d missing, %d drifted, %d unknown, %d orphans, "
        "%d duplicate source(s); %d calls in %.1fs",
        report.connector,
        report.status,
        found.matching,
        len(found.missing),
        len(found.drifted),
        len(found.unknown),
        len(found.orphans),
        len(report.duplicates),
        report.calls,
        report.seconds,
        extra={"connector": report.connector, "event": "reconcile"},
    )
    for duplicate in report.duplicates:
        log.warning(
            "reconcile %s: another Content Import Source (%s, %d pages) has this connector's url "
            "%s: another installation? Nothing is merged; see `ingestor reconcile "
            "--adopt-duplicates`",
            report.connector,
            duplicate.source_id,
            duplicate.pages,
            duplicate.url,
            extra={"connector": report.connector},
        )
