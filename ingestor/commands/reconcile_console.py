"""How a reconcile is printed: one block per connector, then what needs a person."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console

from ingestor.commands.console import shown
from ingestor.reconcile._report import ReconcileReport

if TYPE_CHECKING:
    from ingestor.config import Config
    from ingestor.state import ReconcileRecord

__all__ = ["print_last_reconciles", "print_reconciles"]

#: Pages listed by name per kind; the counts are always whole.
SHOWN = 20


def _ids(ids: Sequence[str]) -> str:
    more = f" (+{len(ids) - SHOWN} more)" if len(ids) > SHOWN else ""
    return ", ".join(shown(eid) for eid in ids[:SHOWN]) + more


def print_reconciles(console: Console, reports: Sequence[ReconcileReport]) -> None:
    """What each reconcile found and did (a dry run: found, and would do)."""
    for r in reports:
        _print_one(console, r)


def _print_one(console: Console, r: ReconcileReport) -> None:
    found = r.findings
    title = f"reconcile {shown(r.connector)}: {r.status}" + (" (dry run)" if r.dry_run else "")
    console.print(f"[bold]{title}[/bold]", highlight=False)
    source = "none yet" if r.source_id is None else str(r.source_id)
    if r.source_deleted:
        source += " [red](deleted in Intercom: re-created and refilled)[/red]"
    elif r.source_adopted:
        source += " (adopted by url)"
    console.print(f"  source: {source}", highlight=False)
    console.print(
        f"  Intercom: {found.matching} matching, {len(found.missing)} missing, "
        f"{len(found.drifted)} drifted, {len(found.unknown)} unknown to state, "
        f"{len(found.orphans)} orphans",
        highlight=False,
    )
    if found.missing:
        console.print(f"  missing: {_ids(found.missing)}", highlight=False)
    for eid, fields in list(found.drifted.items())[:SHOWN]:
        console.print(f"  drifted: {shown(eid)} ({', '.join(fields)})", highlight=False)
    if found.orphans:
        console.print(f"  orphans: {_ids([eid for eid, _ in found.orphans])}", highlight=False)
    if not r.dry_run:
        _print_done(console, r)
    _print_warnings(console, r)
    console.print(
        f"  cost: {r.list_calls} list calls (shared by every connector), {r.calls} calls for "
        f"this connector, {r.seconds:.1f}s",
        highlight=False,
    )


def _print_done(console: Console, r: ReconcileReport) -> None:
    done = [f"{len(r.adopted)} adopted without a call"]
    if r.adopted_updated:
        done.append(f"{len(r.adopted_updated)} unknown pages updated")
    done.append(f"{r.orphans_deleted} orphans deleted")
    if r.rehidden:
        done.append(f"{r.rehidden} hidden again")
    if r.duplicates_cleared:
        done.append(f"{r.duplicates_removed} duplicate pages deleted")
    console.print(f"  done: {', '.join(done)}", highlight=False)
    if r.sync is not None:
        s = r.sync
        console.print(
            f"  repair sync (run {s.run_id}): {s.status}, {s.created} created, {s.updated} "
            f"updated, {s.unchanged} unchanged, {s.deleted} deleted, {s.failed} failed",
            highlight=False,
        )


def _print_warnings(console: Console, r: ReconcileReport) -> None:
    name = shown(r.connector)
    if r.error:
        console.print(f"[red]{name}: reconcile stopped: {shown(r.error)}[/red]", highlight=False)
    if r.listing_capped:
        console.print(
            f"[yellow]{name}: Intercom's page list stopped at its deep-paging cap: known pages "
            "were read one by one; orphans past the cap could not be looked for[/yellow]",
            highlight=False,
        )
    if not r.listing_complete:
        console.print(
            f"[yellow]{name}: the source's listing was incomplete: no page counted as an "
            "orphan[/yellow]",
            highlight=False,
        )
    if r.deletion_blocked:
        console.print(f"[yellow]{name}: {shown(r.deletion_blocked)}[/yellow]", highlight=False)
    for problem in r.problems[:SHOWN]:
        console.print(f"[yellow]{name}: {shown(problem)}[/yellow]", highlight=False)
    for d in r.duplicates:
        cleared = " (our pages deleted from it)" if r.duplicates_cleared else ""
        console.print(
            f"[red]{name}: DUPLICATE: Content Import Source {d.source_id} ({d.pages} pages) also "
            f"has the url {shown(d.url)}{cleared}. Another installation with its own state? "
            "Nothing was merged. Stop the other installation, then run `ingestor reconcile "
            "--adopt-duplicates`. Its source itself is never deleted: once it is empty, "
            "remove it in Intercom, or with the API: DELETE "
            f"/ai/content_import_sources/{d.source_id} (which deletes any page left in "
            "it).[/red]",
            highlight=False,
        )


def print_last_reconciles(console: Console, config: Config, names: Sequence[str] | None) -> None:
    """``plan``'s section: what the last reconcile of each connector found (read-only)."""
    from ingestor.engine.plan_state import reading_store
    from ingestor.engine.runner import select_connectors

    selected = [settings.name for settings in select_connectors(config, names)]
    with reading_store(config.state.location) as store:
        records = [(name, store.last_reconcile(name)) for name in selected]
    for name, record in records:
        if record is not None:
            _print_last(console, name, record)


def _print_last(console: Console, name: str, record: ReconcileRecord) -> None:
    summary = record.summary
    counts = summary.get("counts", {})
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record.finished_at or 0))
    console.print(
        f"last reconcile of {shown(name)} ({when}, {record.status}): "
        f"{counts.get('missing', 0)} missing, {counts.get('drifted', 0)} drifted, "
        f"{counts.get('orphans', 0)} orphans, {counts.get('adopted', 0)} adopted"
        + (", the source had been deleted" if summary.get("source_deleted") else ""),
        highlight=False,
    )
    drifted = summary.get("drifted", {})
    for eid, fields in list(drifted.items())[:SHOWN]:
        console.print(f"  drifted: {shown(eid)} ({', '.join(fields)})", highlight=False)
    missing = summary.get("missing", [])
    if missing:
        console.print(f"  missing: {_ids(missing)}", highlight=False)
    sync = summary.get("sync")
    if sync is not None:
        console.print(f"  repaired by run {sync.get('run_id')} ({sync.get('status')})")
    for duplicate in summary.get("duplicates", []):
        console.print(
            f"  [red]duplicate source {duplicate.get('source_id')} "
            f"({duplicate.get('pages')} pages) has this connector's url[/red]",
            highlight=False,
        )
    if summary.get("deletion_blocked"):
        console.print(f"  [yellow]{shown(summary['deletion_blocked'])}[/yellow]", highlight=False)
