"""``ingestor plan``: what a sync would do, page by page and why, with optional diffs.

A plan is a dry run (no write call, no state written) rendered for review: every create,
update and delete with its reason, vanished pages the deletion guard would keep, and with
``--diff`` a readable Markdown diff of each update against Intercom's copy of the page, read by
its id (one read call per update shown; state keeps only a digest of the HTML sent).
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from ingestor.commands.console import shown
from ingestor.convert import to_markdown
from ingestor.engine.plan_state import reading_store
from ingestor.engine.report import Outcome, PageEvent, SyncReport
from ingestor.errors import ConfigError, PageError, SyncError
from ingestor.gate.render import audience_tag, rule_counts_line, withheld_lines
from ingestor.intercom import IntercomClient
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


class IntercomCopies:
    """Intercom's copy of each page an update diff is shown for, read by its Intercom id.

    After Intercom could not be asked at all (unreachable, token refused) no further page is
    asked for: each diff then says why it is missing instead of failing the plan.
    """

    def __init__(self, state_path: Path | str, client: Callable[[], IntercomClient]) -> None:
        self._state_path = state_path
        self._open = contextlib.ExitStack()
        self._store: Store | None = None
        self._make_client = client
        self._client: IntercomClient | None = None
        self._down: str | None = None

    def close(self) -> None:
        """Release the state database and the client."""
        self._open.close()
        if self._client is not None:
            self._client.close()

    def html(self, connector: str, external_id: str) -> tuple[str | None, str]:
        """``(Intercom's html, "")``, or ``(None, why there is none)``."""
        if self._store is None:  # read as the plan read it (an older schema: a migrated copy)
            self._store = self._open.enter_context(reading_store(self._state_path))
        intercom_id = self._store.intercom_id(connector, external_id)
        if intercom_id is None:
            return None, "state records no Intercom id for this page; run a sync to start"
        if self._down is not None:
            return None, f"Intercom's copy not read: {self._down}"
        try:
            if self._client is None:
                self._client = self._make_client()
            return self._client.get_page(intercom_id).html, ""
        except PageError as exc:
            if exc.status_code == 404:
                return None, f"Intercom no longer has page {intercom_id}"
            return None, f"Intercom's copy could not be read: {exc}"
        except (SyncError, ConfigError) as exc:  # offline, no usable token: ask no more
            self._down = str(exc)
            return None, f"Intercom's copy could not be read: {exc}"


def print_plan(
    console: Console,
    reports: Sequence[SyncReport],
    state_path: Path | str,
    *,
    diff: bool,
    client: Callable[[], IntercomClient] | None = None,
) -> None:
    """Every planned change with its reason; with ``diff`` (and ``client``, which makes the
    Intercom client), what each update changes against Intercom's copy."""
    copies = IntercomCopies(state_path, client) if diff and client is not None else None
    try:
        for report in reports:
            _print_changes(console, report, copies)
            _print_other_pages(console, report)
            console.print(_totals_line(report), highlight=False)
    finally:
        if copies is not None:
            copies.close()


def _print_changes(console: Console, report: SyncReport, copies: IntercomCopies | None) -> None:
    """What the run would create, update, hide or delete, and a change of its source."""
    name = shown(report.connector)
    for change in by_page(report.changes):
        verb = _VERBS.get(change.outcome, change.outcome.value)
        style = _STYLES.get(change.outcome, "")
        console.print(
            f"[{style}]{verb:>6}[/{style}] {name}: {shown(change.external_id)} "
            f"({shown(change.reason)}){audience_tag(change)}",
            highlight=False,
        )
        if copies is not None and change.outcome is Outcome.UPDATED:
            _print_diff(console, copies, report, change.external_id)
    if report.source_change:
        console.print(
            f"[yellow]source[/yellow] {name}: {shown(report.source_change)}", highlight=False
        )


def _print_other_pages(console: Console, report: SyncReport) -> None:
    """Pages kept, withheld, skipped or failing: what the run would not send, and why."""
    name = shown(report.connector)
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
            f"[red]  fail[/red] {name}: {shown(failure.external_id)} ({shown(failure.reason)})",
            highlight=False,
        )


def _totals_line(report: SyncReport) -> str:
    return (
        f"{shown(report.connector)}: {report.created} to create, {report.updated} to update, "
        + (f"{report.hidden} to hide, " if report.hidden else "")
        + f"{report.deleted} to delete, {report.unchanged} unchanged (skipped)"
        + (f", {report.skipped} with nothing to publish" if report.skipped else "")
        + (f", {report.excluded} excluded" if report.excluded else "")
        + (f", {report.held} held for secrets" if report.held else "")
        + (f"; {shown(report.deletion_blocked)}" if report.deletion_blocked else "")
    )


def _print_diff(
    console: Console, copies: IntercomCopies, report: SyncReport, external_id: str
) -> None:
    new = report.planned_html.get(external_id)
    if new is None:
        return
    old, why = copies.html(report.connector, external_id)
    if old is None:
        console.print(f"        ({shown(why)}; no diff)", highlight=False)
        return
    lines = difflib.unified_diff(
        to_markdown(old).splitlines(),
        to_markdown(new).splitlines(),
        fromfile=f"{external_id} (in Intercom)",
        tofile=f"{external_id} (now)",
        lineterm="",
        n=2,
    )
    for line in lines:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        console.print(f"        [{style}]{shown(line)}[/{style}]", highlight=False)
