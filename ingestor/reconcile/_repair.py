"""The write side of a reconcile: make state forget what Intercom lost or changed, delete orphans
behind the deletion guard, re-hide hidden pages someone showed again, and clear the duplicates
of another installation when asked. The repair sync itself is the normal engine's."""

from __future__ import annotations

import logging
from collections.abc import Collection, Container, Mapping

from ingestor.engine.deletion import deletion_guard, hide_copy, remove_page
from ingestor.engine.policy import PagePolicy
from ingestor.errors import PageError
from ingestor.intercom import ExternalPage, IntercomClient
from ingestor.reconcile._compare import is_listed
from ingestor.reconcile._report import ReconcileReport
from ingestor.state import SentPage, Store

__all__ = ["clear_duplicates", "repair_state_and_orphans"]

log = logging.getLogger("ingestor.reconcile")


def repair_state_and_orphans(
    client: IntercomClient,
    store: Store,
    sent: Mapping[str, SentPage],
    policy: PagePolicy,
    report: ReconcileReport,
    *,
    allow_mass_delete: bool,
) -> None:
    """Everything a reconcile repairs before its sync: marks in state, orphans, hidden pages."""
    name = report.connector
    found = report.findings
    missing = [eid for eid in found.missing if not sent[eid].hidden]
    drifted = [eid for eid in found.drifted if not sent[eid].hidden]
    store.mark_for_resend(name, missing, gone=True)
    store.mark_for_resend(name, drifted, gone=False)
    # Unknown pages are adopted by the sync: a row of one (a page skipped or excluded before) is
    # read again, and the cursor goes so that an incremental connector lists every page.
    store.mark_for_resend(name, list(found.unknown), gone=False)
    for eid in found.missing:
        if sent[eid].hidden:  # hidden, then gone: what deletion would have done anyway
            store.record_delete(name, eid)
    for eid in found.drifted:
        if sent[eid].hidden:
            _rehide(client, found.drifted_copies[eid], report)
    _delete_orphans(client, store, report, policy, allow_mass_delete)


def _rehide(client: IntercomClient, copy: ExternalPage, report: ReconcileReport) -> None:
    """A hidden page someone made visible again: its listed copy upserted back with both
    availabilities false (one call; state keeps only a digest of the HTML sent)."""
    try:
        hide_copy(client, copy)
        report.rehidden += 1
    except PageError as exc:
        report.problems.append(f"{copy.external_id}: could not hide it again: {exc}")


def _delete_orphans(
    client: IntercomClient,
    store: Store,
    report: ReconcileReport,
    policy: PagePolicy,
    allow_mass: bool,
) -> None:
    orphans = report.findings.orphans
    if not orphans:
        return
    in_source = report.findings.matching + len(report.findings.drifted)
    in_source += len(report.findings.unknown) + len(orphans)
    blocked = deletion_guard(len(orphans), in_source, policy.max_delete_fraction, allow_mass)
    if blocked is not None:
        report.deletion_blocked = f"orphans: {blocked}"
        log.warning("reconcile %s: %s", report.connector, report.deletion_blocked)
        return
    for external_id, intercom_id in orphans:
        try:
            remove_page(client, store, report.connector, external_id, intercom_id)
            report.orphans_deleted += 1
        except PageError as exc:
            report.problems.append(f"{external_id}: orphan not deleted: {exc}")


def clear_duplicates(
    client: IntercomClient,
    theirs: Mapping[int, Mapping[str, ExternalPage]],
    ours: Collection[str],
    listed: Container[str] | None,
    report: ReconcileReport,
) -> None:
    """``--adopt-duplicates``: from each other source with our url, delete every page our source
    now holds, and (after a complete listing) every page our connector no longer lists. Their
    sources themselves stay: deleting a source is never done implicitly."""
    for source_id, pages in theirs.items():
        for external_id, page in sorted(pages.items()):
            gone_here = listed is not None and not is_listed(external_id, listed)
            if external_id not in ours and not gone_here:
                continue  # ours lacks it (a failed page?): their copy stays until ours has it
            try:
                client.delete_page(page.id)
            except PageError as exc:
                if exc.status_code != 404:
                    report.problems.append(
                        f"{external_id} of source {source_id}: duplicate not deleted: {exc}"
                    )
                    continue
            report.duplicates_removed += 1
