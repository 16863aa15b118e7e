"""``ingestor reconcile`` and ``ingestor state rebuild``: Intercom's copy against state and the
sources (docs/reconcile.md). They register on :data:`ingestor.cli.app`, which imports this
module; exit codes are the sync command's (ingestor.cli)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ingestor.commands.cli import (
    ConfigOption,
    ExitCode,
    LogFormatOption,
    LogLevelOption,
    _guarded,
    _logging,
    app,
    exit_code_for,
    stderr,
    stdout,
)

if TYPE_CHECKING:
    from ingestor.reconcile import ReconcileReport

__all__ = ["exit_code_for_reconciles"]

state_app = typer.Typer(help="The state database.", no_args_is_help=True)
app.add_typer(state_app, name="state")

AllowMassOption = Annotated[
    bool,
    typer.Option("--allow-mass-delete", help="Let deletions pass the max_delete_fraction guard."),
]


def exit_code_for_reconciles(reports: Sequence[ReconcileReport]) -> ExitCode:
    """As a sync's: 3 when Intercom failed us, 1 when something is left to a person (a
    duplicate source, held-back deletions, failed pages, an incomplete listing), else 0."""
    for report in reports:
        if report.exception is not None:
            return exit_code_for(report.exception)
    if any(r.sync is not None and r.sync.interrupted for r in reports):
        return ExitCode.INTERRUPTED
    if any(r.status != "ok" for r in reports):
        return ExitCode.PARTIAL
    return ExitCode.OK


@app.command()
def reconcile(
    config: ConfigOption,
    connector: Annotated[
        list[str] | None,
        typer.Option("--connector", help="Reconcile only this connector (repeatable)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Find and report; write nothing anywhere.")
    ] = False,
    allow_mass_delete: AllowMassOption = False,
    adopt_duplicates: Annotated[
        bool,
        typer.Option(
            "--adopt-duplicates",
            help="Delete from other sources with our url the pages ours holds (asks first).",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    log_level: LogLevelOption = "WARNING",
    log_format: LogFormatOption = "text",
) -> None:
    """Compare Intercom's copy with the state and the sources, and repair it.

    Re-sends missing pages, overwrites drifted ones, adopts pages state does not know,
    deletes orphans behind the deletion guard, and re-creates a deleted source, in one run.
    A second source with our url is reported (exit 1), never merged unless --adopt-duplicates.
    """
    from ingestor.commands.interrupts import stop_on_signals
    from ingestor.commands.reconcile_console import print_reconciles
    from ingestor.config import load_config
    from ingestor.reconcile import ReconcileOptions, reconcile_connectors

    loaded = _guarded(lambda: load_config(config))
    _logging(log_level, log_format, [loaded.intercom.token.get_secret_value()])
    if adopt_duplicates and dry_run:
        stderr.print("[red]error:[/red] --adopt-duplicates writes; it cannot go with --dry-run")
        raise typer.Exit(ExitCode.CONFIG)
    if adopt_duplicates and not yes:
        typer.confirm(
            "--adopt-duplicates deletes, from every other Content Import Source with a "
            "connector's url, the pages that connector's source holds (or no longer lists). "
            "Their sources stay. Go on?",
            abort=True,
        )
    options = ReconcileOptions(
        dry_run=dry_run, allow_mass_delete=allow_mass_delete, adopt_duplicates=adopt_duplicates
    )
    stop = threading.Event()
    grace = loaded.daemon.grace_period.total_seconds()
    say = lambda text: stderr.print(text, markup=False)  # noqa: E731
    with stop_on_signals(stop, grace, say):
        reports = _guarded(
            lambda: reconcile_connectors(loaded, names=connector, options=options, stop_event=stop)
        )
    print_reconciles(stdout, reports)
    raise typer.Exit(exit_code_for_reconciles(reports))


@state_app.command("rebuild")
def state_rebuild(
    config: ConfigOption,
    force: Annotated[
        bool,
        typer.Option("--force", help="Rebuild over a non-empty state (moved aside, not deleted)."),
    ] = False,
    allow_mass_delete: AllowMassOption = False,
    log_level: LogLevelOption = "WARNING",
    log_format: LogFormatOption = "text",
) -> None:
    """Recreate a lost state database from Intercom and the sources, without re-sending
    unchanged pages (their Intercom copies are adopted)."""
    from ingestor.commands.interrupts import stop_on_signals
    from ingestor.commands.reconcile_console import print_reconciles
    from ingestor.config import load_config
    from ingestor.reconcile import rebuild_state

    loaded = _guarded(lambda: load_config(config))
    _logging(log_level, log_format, [loaded.intercom.token.get_secret_value()])
    stop = threading.Event()
    grace = loaded.daemon.grace_period.total_seconds()
    say = lambda text: stderr.print(text, markup=False)  # noqa: E731
    with stop_on_signals(stop, grace, say):
        rebuilt = _guarded(
            lambda: rebuild_state(
                loaded, force=force, allow_mass_delete=allow_mass_delete, stop_event=stop
            )
        )
    if rebuilt.backup is not None:
        stdout.print(
            f"the previous state database was moved to {escape(str(rebuilt.backup))}",
            highlight=False,
        )
    print_reconciles(stdout, rebuilt.reports)
    raise typer.Exit(exit_code_for_reconciles(rebuilt.reports))
