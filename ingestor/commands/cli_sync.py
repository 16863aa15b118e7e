"""The commands that run the engine: ``sync`` (here, or in the daemon that holds the state),
``plan`` (a dry run, read-only) and ``preview`` (every page as Fin would receive it). They
register on :data:`ingestor.commands.cli.app`, which imports this module."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ingestor.commands.cli import (
    ConfigOption,
    ExitCode,
    JsonOption,
    LogFormatOption,
    LogLevelOption,
    VerboseLibsOption,
    _check_log_options,
    _guarded,
    _guarded_but_locked,
    _logging,
    _usage_error,
    app,
    exit_code_for_reports,
    stderr,
    stdout,
)
from ingestor.engine.report import SyncObserver, SyncReport
from ingestor.errors import StateLockedError

if TYPE_CHECKING:
    from ingestor.commands.control_client import DaemonSync
    from ingestor.commands.machine import PageRecorder
    from ingestor.config import Config
    from ingestor.engine.sync import SyncOptions

__all__: list[str] = []


@app.command()
def sync(
    config: ConfigOption,
    connector: Annotated[
        list[str] | None,
        typer.Option("--connector", help="Sync only this connector (repeatable).", metavar="NAME"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Make no write call; print what would change.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Ignore stored versions and hashes; re-send every page.")
    ] = False,
    allow_mass_delete: Annotated[
        bool,
        typer.Option(
            "--allow-mass-delete", help="Let deletions pass the max_delete_fraction guard."
        ),
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar (default: on a terminal)."),
    ] = None,
    as_json: JsonOption = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write the full run report (every page's outcome and why) as JSON to FILE.",
            metavar="FILE",
        ),
    ] = None,
    log_level: LogLevelOption = "INFO",
    log_format: LogFormatOption = "text",
    verbose_libs: VerboseLibsOption = False,
) -> None:
    """Sync connectors into Intercom once, then print a summary."""
    from ingestor.commands.console import LogProgress, RichProgress, print_changes, print_summary
    from ingestor.commands.machine import (
        PageRecorder,
        emit,
        run_report_document,
        sync_document,
        write_report,
    )
    from ingestor.config import load_config
    from ingestor.engine.sync import SyncOptions

    _check_log_options(log_level, log_format, ("text", "json"))
    if report is not None and not report.parent.is_dir():
        _usage_error(f"--report {report}: the folder {report.parent} does not exist")
    loaded = _guarded(lambda: load_config(config))
    _logging(
        log_level, log_format, [loaded.intercom.token.get_secret_value()], verbose_libs=verbose_libs
    )
    options = SyncOptions(dry_run=dry_run, full=full, allow_mass_delete=allow_mass_delete)
    use_bar = stderr.is_terminal if progress is None else progress
    # every page's event is kept only for --report: a million of them would be ~250 MB
    observer = PageRecorder(
        RichProgress(stderr) if use_bar else LogProgress(), keep=report is not None
    )
    reports, code, error = _run_sync(loaded, connector, options, observer)
    if report is not None:
        try:
            write_report(report, run_report_document(reports, observer.pages, int(code)))
        except OSError as exc:
            _usage_error(f"--report {report}: cannot write it: {exc.strerror or exc}")
    if as_json:
        emit(sync_document(reports, int(code), error=error))
        raise typer.Exit(code)
    if dry_run:
        print_changes(stdout, reports)
    if reports or error is None:
        print_summary(stdout, reports)
    if error is not None:
        stderr.print(f"[red]error:[/red] {escape(error)}", highlight=False)
    raise typer.Exit(code)


def _run_sync(
    loaded: Config, names: list[str] | None, options: SyncOptions, observer: PageRecorder
) -> tuple[list[SyncReport], ExitCode, str | None]:
    """Run the sync here, or in the daemon holding the state: reports, exit code, error."""
    from ingestor.commands.interrupts import stop_on_signals
    from ingestor.engine.runner import sync_connectors

    stop = threading.Event()
    grace = loaded.daemon.grace_period.total_seconds()
    say = lambda text: stderr.print(text, markup=False)  # noqa: E731
    with observer:
        try:
            # here, not around the daemon's path: there Ctrl-C asks the daemon to stop the run
            with stop_on_signals(stop, grace, say):
                reports = _guarded_but_locked(
                    lambda: sync_connectors(
                        loaded, names=names, options=options, observer=observer, stop_event=stop
                    )
                )
            return reports, exit_code_for_reports(reports), None
        except StateLockedError as exc:  # a daemon holds the state: it runs this sync
            locked = exc
            answer = _guarded(lambda: _sync_in_daemon(loaded, names, options, observer, locked))
            return answer.reports, _exit_code_from_daemon(answer.exit_code), answer.error


@app.command()
def plan(
    config: ConfigOption,
    connector: Annotated[
        list[str] | None,
        typer.Option("--connector", help="Plan only this connector (repeatable).", metavar="NAME"),
    ] = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show what each update changes, as a Markdown diff.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Plan a --full sync (every page re-sent).")
    ] = False,
    as_json: JsonOption = False,
    log_level: LogLevelOption = "WARNING",
    verbose_libs: VerboseLibsOption = False,
) -> None:
    """What a sync would create, update and delete, and why. Writes nothing.

    Exit code 0 when nothing would change, 5 when something would (for CI), and the usual
    codes for errors.
    """
    from ingestor.commands.cli_admin import orphan_data, print_orphans
    from ingestor.commands.machine import emit, plan_document
    from ingestor.commands.plan import print_plan, would_change
    from ingestor.commands.reconcile_console import print_last_reconciles
    from ingestor.config import load_config
    from ingestor.engine.plan_state import reading_store
    from ingestor.engine.runner import build_client, sync_connectors
    from ingestor.engine.sync import SyncOptions

    _check_log_options(log_level, None, ())
    loaded = _guarded(lambda: load_config(config))
    secrets = [loaded.intercom.token.get_secret_value()]
    _logging(log_level, "text", secrets, verbose_libs=verbose_libs)
    options = SyncOptions(dry_run=True, full=full, collect_html=diff)

    def planned() -> list[SyncReport]:  # read-only: a running daemon holds the state
        with reading_store(loaded.state.location) as store:
            return sync_connectors(loaded, names=connector, options=options, store=store)

    reports = _guarded(planned)
    failed = [r for r in reports if r.exception is not None]
    if failed:  # a plan that could not ask Intercom says so, and prints no plan
        for report in failed:
            stderr.print(
                f"[red]error:[/red] {escape(report.connector)}: {escape(str(report.error))}",
                highlight=False,
            )
        raise typer.Exit(exit_code_for_reports(reports))
    code = exit_code_for_reports(reports)
    if code == ExitCode.OK and would_change(reports):
        code = ExitCode.CHANGES
    if as_json:
        orphans = _guarded(lambda: orphan_data(loaded))
        emit(plan_document(reports, would_change=would_change(reports), orphans=orphans))
        raise typer.Exit(code)
    print_plan(
        stdout, reports, loaded.state.location, diff=diff, client=lambda: build_client(loaded)
    )
    _guarded(lambda: print_last_reconciles(stdout, loaded, connector))
    _guarded(lambda: print_orphans(loaded))
    raise typer.Exit(code)


@app.command()
def preview(
    config: ConfigOption,
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the preview into.", metavar="DIR")
    ],
    connector: Annotated[
        list[str] | None,
        typer.Option(
            "--connector", help="Preview only this connector (repeatable).", metavar="NAME"
        ),
    ] = None,
) -> None:
    """Write every page exactly as Fin would receive it, plus an index.html to browse.

    Reads only the sources: no Intercom token needed.
    """
    from ingestor.commands.preview import write_preview
    from ingestor.config import load_config

    loaded = _guarded(lambda: load_config(config, need_token=False))
    rows = _guarded(lambda: write_preview(loaded, out, connector))
    written = sum(1 for row in rows if row.file is not None)
    warned = sum(1 for row in rows if row.warnings and not row.failed)
    failed = [row for row in rows if row.failed]
    stdout.print(
        f"{written} pages written to {out}, {warned} with warnings; open {out / 'index.html'}",
        highlight=False,
        markup=False,
    )
    for row in failed:
        where = f"{row.connector}: {row.external_id}"
        stderr.print(f"error: {where}: {'; '.join(row.warnings)}", highlight=False, markup=False)
    if failed:
        raise typer.Exit(ExitCode.PARTIAL)  # as a sync would end with these


def _sync_in_daemon(
    config: Config,
    names: list[str] | None,
    options: SyncOptions,
    observer: SyncObserver,
    locked: StateLockedError,
) -> DaemonSync:
    """Run the sync inside the daemon that holds the state (see ingestor.control_client)."""
    from ingestor.commands.control_client import sync_in_daemon

    def notice(text: str) -> None:
        stderr.print(escape(text), highlight=False)

    return sync_in_daemon(
        config.state.path,
        names=names,
        options=options,
        observer=observer,
        notice=notice,
        locked=locked,
    )


def _exit_code_from_daemon(code: int) -> ExitCode:
    try:
        return ExitCode(code)
    except ValueError:  # a newer daemon's code: still a failure
        return ExitCode.PARTIAL
