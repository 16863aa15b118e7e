"""What a person sees: a progress bar on a terminal, plain log lines elsewhere, and summaries."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from rich.box import ROUNDED
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from ingestor.gate.render import audience_tag, rule_counts_line, withheld_lines
from ingestor.report import Outcome, PageEvent, SyncReport
from ingestor.untrusted import visible_text

if TYPE_CHECKING:
    from ingestor.doctor import Check

__all__ = [
    "LogProgress",
    "RichProgress",
    "new_table",
    "print_changes",
    "print_checks",
    "print_summary",
    "shown",
]

log = logging.getLogger("ingestor.progress")

#: Most failures / changes listed in a summary; the rest are counted and stay in the state db.
MAX_LISTED = 50


def new_table(console: Console, **options: object) -> Table:
    """A table drawn with box lines on a terminal, and as plain aligned columns when the
    output is piped or redirected (box-drawing characters break grep, cut and awk)."""
    return Table(box=ROUNDED if console.is_terminal else None, **options)  # type: ignore[arg-type]


class _RateColumn(ProgressColumn):
    """Pages per second, over rich's recent-speed window."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("- pages/s" if speed is None else f"{speed:.1f} pages/s", style="cyan")


class RichProgress:
    """A progress bar per connector, for terminals: done/total, rate, elapsed and ETA. Log
    lines print above the bars (rich redirects stderr while they are live; see
    :mod:`ingestor.logs`)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[tally]}"),
            _RateColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            redirect_stderr=True,
            redirect_stdout=False,  # stdout may be piped: it carries results only
        )
        self._tasks: dict[str, TaskID] = {}
        self._tallies: dict[str, dict[Outcome, int]] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def listed(self, connector: str, *, total: int, to_process: int) -> None:
        with self._lock:
            self._tallies[connector] = {}
            self._tasks[connector] = self._progress.add_task(
                f"{connector} ({total - to_process} unchanged)", total=to_process, tally=""
            )

    def page_done(self, connector: str, event: PageEvent) -> None:
        with self._lock:
            tally = self._tallies.setdefault(connector, {})
            tally[event.outcome] = tally.get(event.outcome, 0) + 1
            task = self._tasks.get(connector)
            if task is None:
                return
            text = " ".join(f"{o.value} {n}" for o, n in tally.items())
            advance = 0 if event.outcome in (Outcome.DELETED, Outcome.HIDDEN) else 1
            self._progress.update(task, advance=advance, tally=text)


class LogProgress:
    """Progress as plain log lines (at most one every ``interval`` seconds), for servers and CI."""

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._totals: dict[str, int] = {}
        self._done: dict[str, int] = {}
        self._last = time.monotonic()

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def listed(self, connector: str, *, total: int, to_process: int) -> None:
        with self._lock:
            self._totals[connector] = to_process
            self._done[connector] = 0
        log.info(
            "%s: %d pages listed, %d to fetch, %d unchanged",
            connector,
            total,
            to_process,
            total - to_process,
        )

    def page_done(self, connector: str, event: PageEvent) -> None:
        with self._lock:
            self._done[connector] = self._done.get(connector, 0) + 1
            now = time.monotonic()
            if now - self._last < self.interval:
                return
            self._last = now
            done, total = self._done[connector], self._totals.get(connector, 0)
        log.info("%s: %d/%d pages processed", connector, done, total)


def shown(text: str) -> str:
    """Outside text (server messages, file names, page ids) as inert rich text: no markup,
    no terminal escapes, one line."""
    return escape(visible_text(text))


def print_summary(console: Console, reports: Sequence[SyncReport]) -> None:
    """The final table, then what needs a person's attention."""
    table = new_table(
        console, title="Sync summary" + (" (dry run: nothing was written)" if _dry(reports) else "")
    )
    counters = ["created", "updated", "unchanged", "deleted", "skipped", "failed"]
    if any(r.excluded or r.held for r in reports):  # the gate's columns, when it withheld any
        counters[-1:-1] = ["excluded", "held"]
    if any(r.hidden for r in reports):  # deletion: hide took vanished pages out of Fin
        counters.insert(counters.index("deleted"), "hidden")
    for column in ("connector", "status", *counters):
        table.add_column(column, justify="left" if column in ("connector", "status") else "right")
    table.add_column("duration", justify="right")
    for r in reports:
        numbers = (str(getattr(r, counter)) for counter in counters)
        table.add_row(r.connector, r.status, *numbers, f"{r.duration:.1f}s")
    console.print(table)
    for r in reports:
        if r.error:
            console.print(f"[red]{shown(r.connector)}: run stopped: {shown(r.error)}[/red]")
        for problem in r.listing_problems[:MAX_LISTED]:
            console.print(f"[yellow]{shown(r.connector)}: listing: {shown(problem)}[/yellow]")
        if not r.listing_complete:
            console.print(
                f"[yellow]{shown(r.connector)}: listing incomplete: nothing deleted[/yellow]"
            )
        if r.deletion_blocked:
            console.print(f"[yellow]{shown(r.connector)}: {shown(r.deletion_blocked)}[/yellow]")
        if r.restored:
            console.print(
                f"{shown(r.connector)}: {r.restored} hidden page(s) came back and were restored",
                highlight=False,
            )
        for page, missing in r.broken_links[:MAX_LISTED]:
            console.print(
                f"[yellow]{shown(r.connector)}: broken link in {shown(page)} to "
                f"{shown(missing)} (no such page)[/yellow]",
                highlight=False,
            )
        for line in withheld_lines(r):
            console.print(line, highlight=False)
        counts = rule_counts_line(r.connector, r.rule_counts, what="pages read")
        if counts:
            console.print(counts, highlight=False)
        for skip in sorted(r.skips, key=_page_order)[:MAX_LISTED]:
            console.print(
                f"{shown(r.connector)}: skipped {shown(skip.external_id)}: {shown(skip.reason)}",
                highlight=False,
            )
        for failure in sorted(r.failures, key=_page_order)[:MAX_LISTED]:
            console.print(
                f"[red]{shown(r.connector)}: failed {shown(failure.external_id)}: "
                f"{shown(failure.reason)}[/red]"
            )
        if r.failed > MAX_LISTED:
            console.print(
                f"{shown(r.connector)}: … {r.failed - MAX_LISTED} more failures "
                "(see `ingestor status`)"
            )


def print_changes(console: Console, reports: Sequence[SyncReport]) -> None:
    """For --dry-run: every page that would be created, updated or deleted, and why."""
    verbs = {
        Outcome.CREATED: "create",
        Outcome.UPDATED: "update",
        Outcome.DELETED: "delete",
        Outcome.HIDDEN: "hide",
    }
    for r in reports:
        for change in sorted(r.changes, key=_page_order):
            console.print(
                f"{shown(r.connector)}: would {verbs.get(change.outcome, change.outcome.value)} "
                f"{shown(change.external_id)} ({shown(change.reason)}){audience_tag(change)}",
                highlight=False,
            )


def _page_order(event: PageEvent) -> str:
    """Pages finish in thread order; a summary lists them in page order, the same every run."""
    return event.external_id


def _dry(reports: Sequence[SyncReport]) -> bool:
    return bool(reports) and all(r.dry_run for r in reports)


_VERDICT_STYLES = {"ok": "[green]ok[/green]", "warning": "[yellow]warning[/yellow]"}


def print_checks(console: Console, checks: Sequence[Check]) -> None:
    """``ingestor doctor``'s table: each check, its verdict, what it saw and the fix."""
    table = new_table(console, show_lines=False)
    for column in ("check", "verdict", "detail"):
        table.add_column(column, overflow="fold")
    for check in checks:
        verdict = _VERDICT_STYLES.get(check.verdict, "[red]failed[/red]")
        detail = escape(check.detail) + (
            f"\n[dim]fix: {escape(check.hint)}[/dim]"
            if check.hint and check.verdict != "ok"
            else ""
        )
        table.add_row(escape(check.name), verdict, detail)
    console.print(table)
