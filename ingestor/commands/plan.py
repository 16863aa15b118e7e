"""``ingestor plan``: what a sync would do, page by page and why, with optional diffs.

A plan is a dry run (no write call, no state written) rendered for review: every create,
update and delete with its reason, vanished pages the deletion guard would keep, and with
``--diff`` a readable Markdown diff of each update against the HTML last sent.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from ingestor.commands.console import shown
from ingestor.convert import to_markdown
from ingestor.engine.report import Outcome, PageEvent, SyncReport
from ingestor.gate.render import audience_tag, rule_counts_line, withheld_lines
from ingestor.state import Store

__all__ = ["by_page", "print_plan", "would_change"]

_VERBS = {
    Outcome.CREATED: "create",
    Outcome.UPDATED: "update",
    Outcome.DELETED: "delete",
    Outcome.HIDDEN: "hide",
}
_STYLES = {
    Outcome.CREATED: "green",
    Outcome.UPDATED: "yellow",
    Outcome.DELETED: "red",
    Outcome.HIDDEN: "magenta",
}


def by_page(events: Sequence[PageEvent]) -> list[PageEvent]:
    """Events in page order: a plan prints the same lines in the same order every run (pages
    finish in whatever order the worker threads take)."""
    return sorted(events, key=lambda e: (e.external_id, e.outcome.value))


def would_change(reports: Sequence[SyncReport]) -> bool:
    """True when the sync would create, update or delete anything."""
    return any(
        r.created or r.updated or r.deleted or r.hidden or r.taken_down or r.source_change
        for r in reports
    )


def print_plan(
    console: Console, reports: Sequence[SyncReport], state_path: Path | str, *, diff: bool
) -> None:
    """Every planned change with its reason; with ``diff``, what each update changes."""
    exists = isinstance(state_path, str) or state_path.exists()  # str: a PostgreSQL URL
    store = Store.open(state_path, read_only=True) if diff and exists else None
    try:
        for report in reports:
            name = shown(report.connector)
            for change in by_page(report.changes):
                verb = _VERBS.get(change.outcome, change.outcome.value)
                style = _STYLES.get(change.outcome, "")
                console.print(
                    f"[{style}]{verb:>6}[/{style}] {name}: {shown(change.external_id)} "
                    f"({shown(change.reason)}){audience_tag(change)}",
                    highlight=False,
                )
                if diff and change.outcome is Outcome.UPDATED:
                    old = (
                        store.last_sent_html(report.connector, change.external_id)
                        if store
                        else None
                    )
                    _print_diff(
                        console,
                        change.external_id,
                        old,
                        report.planned_html.get(change.external_id),
                    )
            if report.source_change:
                console.print(
                    f"[yellow]source[/yellow] {name}: {shown(report.source_change)}",
                    highlight=False,
                )
            for external_id in sorted(report.held_back):
                console.print(
                    f"[red]  keep[/red] {name}: {shown(external_id)} (vanished from the source, "
                    "but the deletion guard would block taking it out of Fin)",
                    highlight=False,
                )
            for line in withheld_lines(report):
                console.print(line, highlight=False)
            counts = rule_counts_line(report.connector, report.rule_counts, what="pages read")
            if counts:
                console.print(counts, highlight=False)
            for skip in by_page(report.skips):
                console.print(
                    f"[dim]  skip[/dim] {name}: {shown(skip.external_id)} ({shown(skip.reason)})",
                    highlight=False,
                )
            for failure in by_page(report.failures):
                console.print(
                    f"[red]  fail[/red] {name}: {shown(failure.external_id)} "
                    f"({shown(failure.reason)})",
                    highlight=False,
                )
            console.print(
                f"{name}: {report.created} to create, {report.updated} to update, "
                + (f"{report.hidden} to hide, " if report.hidden else "")
                + f"{report.deleted} to delete, {report.unchanged} unchanged (skipped)"
                + (f", {report.skipped} with nothing to publish" if report.skipped else "")
                + (f", {report.excluded} excluded" if report.excluded else "")
                + (f", {report.held} held for secrets" if report.held else "")
                + (f"; {shown(report.deletion_blocked)}" if report.deletion_blocked else ""),
                highlight=False,
            )
    finally:
        if store is not None:
            store.close()


def _print_diff(console: Console, external_id: str, old: str | None, new: str | None) -> None:
    if new is None:
        return
    if old is None:
        console.print("        (no copy of the last sent page is kept; run a sync to start)")
        return
    lines = difflib.unified_diff(
        to_markdown(old).splitlines(),
        to_markdown(new).splitlines(),
        fromfile=f"{external_id} (sent)",
        tofile=f"{external_id} (now)",
        lineterm="",
        n=2,
    )
    for line in lines:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        console.print(f"        [{style}]{shown(line)}[/{style}]", highlight=False)
