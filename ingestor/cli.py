"""The ``ingestor`` command. Errors become exit codes here, and only here.

Exit codes:
    0   everything synced (or, for ``validate``, the config is valid)
    1   the run finished but not everything: some pages failed (after every retry, too), a
        listing was incomplete, or the deletion guard held deletions back; or a bug ended it
    2   configuration or usage error
    3   Intercom refused the token, or failed every call (ingestor.breaker)
    4   the state database is locked by another process or unusable
    5   ``plan`` only: the sync would change something
    130 interrupted (Ctrl-C, SIGTERM)
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ingestor import __version__
from ingestor.errors import (
    ConfigError,
    ConfigIssue,
    FatalError,
    IngestorError,
    RetriableError,
    StateError,
    StateLockedError,
    UsageError,
)
from ingestor.logs import LogFormat, setup_logging
from ingestor.report import SyncObserver, SyncReport
from ingestor.untrusted import visible_text

if TYPE_CHECKING:
    from ingestor.config import Config
    from ingestor.control_client import DaemonSync
    from ingestor.sync import SyncOptions

__all__ = ["ExitCode", "app", "main"]

T = TypeVar("T")


class ExitCode(IntEnum):
    OK = 0
    PARTIAL = 1
    CONFIG = 2
    INTERCOM = 3
    STATE = 4
    CHANGES = 5
    INTERRUPTED = 130


app = typer.Typer(
    name="ingestor",
    help="Keep Intercom Fin's Content Library in step with private knowledge sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
connectors_app = typer.Typer(help="Connector plugins.", no_args_is_help=True)
app.add_typer(connectors_app, name="connectors")

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="YAML config file.", show_default=False)
]
LogLevelOption = Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING, ERROR.")]
LogFormatOption = Annotated[
    str, typer.Option("--log-format", help="text (for people) or json (for log collectors).")
]

# Piped output (logs, CI) gets a wide fixed width instead of rich's 80 columns.
stdout = Console(width=None if sys.stdout.isatty() else 120)
stderr = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


def exit_code_for(error: BaseException) -> ExitCode:
    """The one mapping from the exception tree to exit codes."""
    if isinstance(error, ConfigError | UsageError):
        return ExitCode.CONFIG
    if isinstance(error, StateError):
        return ExitCode.STATE
    if isinstance(error, FatalError | RetriableError):
        return ExitCode.INTERCOM
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.PARTIAL


def exit_code_for_reports(reports: Sequence[SyncReport]) -> ExitCode:
    for report in reports:
        if report.exception is not None:
            return exit_code_for(report.exception)
    if any(r.interrupted for r in reports):
        return ExitCode.INTERRUPTED
    if any(r.status != "ok" for r in reports):
        return ExitCode.PARTIAL
    return ExitCode.OK


def _fail(error: IngestorError) -> NoReturn:
    # Messages quote servers, file names and config values: never let them be rich markup.
    said = escape(visible_text(str(error), keep_lines=True))
    stderr.print(f"[red]error:[/red] {said}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(exit_code_for(error))


def _guarded(action: Callable[[], T]) -> T:
    try:
        return action()
    except IngestorError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        stderr.print("interrupted")
        raise typer.Exit(ExitCode.INTERRUPTED) from None


def _guarded_but_locked(action: Callable[[], T]) -> T:
    """:func:`_guarded`, except that StateLockedError goes to the caller."""
    try:
        return action()
    except StateLockedError:
        raise
    except IngestorError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        stderr.print("interrupted")
        raise typer.Exit(ExitCode.INTERRUPTED) from None


def _sync_in_daemon(
    config: Config,
    names: list[str] | None,
    options: SyncOptions,
    observer: SyncObserver,
    locked: StateLockedError,
) -> DaemonSync:
    """Run the sync inside the daemon that holds the state (see ingestor.control_client)."""
    from ingestor.control_client import sync_in_daemon

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


def _logging(level: str, fmt: str, secrets: Sequence[str] = ()) -> None:
    if fmt not in ("text", "json"):
        said = escape(repr(fmt))
        stderr.print(f"[red]error:[/red] --log-format must be text or json, not {said}")
        raise typer.Exit(ExitCode.CONFIG)
    log_format: LogFormat = "json" if fmt == "json" else "text"
    setup_logging(level, log_format, secrets)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        stdout.print(f"fin-ingestor {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.command()
def validate(
    config: ConfigOption,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Warnings (a missing root, overlaps...) are errors."),
    ] = False,
) -> None:
    """Check a config file: every error at once, with file, line and key.

    Warnings (errors with --strict): a source unavailable right now (a share not mounted yet:
    at run time only that connector's runs fail, and they recover when it appears), two
    connectors reading the same files, a source url that is not on a public domain name.
    """
    from ingestor.config import load_config
    from ingestor.config._warnings import config_warnings
    from state import location_problem

    loaded = _guarded(lambda: load_config(config))
    problem = location_problem(loaded.state.path)
    if problem is not None:
        _fail(ConfigError([ConfigIssue("state.path", problem, file=str(config))]))
    warnings = [
        ConfigIssue(
            f"connectors[{index}].{text.split(':', 1)[0]}", text.split(": ", 1)[1], file=str(config)
        )
        for index, settings in enumerate(loaded.connectors)
        for text in settings.source_problems()
    ] + config_warnings(loaded, str(config))
    if warnings and strict:
        _fail(ConfigError(warnings))
    for issue in warnings:
        stderr.print(
            f"[yellow]warning:[/yellow] {escape(visible_text(str(issue)))}",
            highlight=False,
            soft_wrap=True,
        )
    stdout.print(
        f"{config}: valid, {len(loaded.connectors)} connector(s)", highlight=False, markup=False
    )
    stdout.print(f"  state: {loaded.state.path}", highlight=False, markup=False)
    for c in loaded.connectors:
        state = "" if c.enabled else " (disabled)"
        stdout.print(f"  {c.name}: {c.type} -> {c.url}{state}", highlight=False, markup=False)


@app.command()
def sync(
    config: ConfigOption,
    connector: Annotated[
        list[str] | None,
        typer.Option("--connector", help="Sync only this connector (repeatable)."),
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
    log_level: LogLevelOption = "INFO",
    log_format: LogFormatOption = "text",
) -> None:
    """Sync connectors into Intercom once, then print a summary."""
    from ingestor.config import load_config
    from ingestor.console import LogProgress, RichProgress, print_changes, print_summary
    from ingestor.interrupts import stop_on_signals
    from ingestor.runner import sync_connectors
    from ingestor.sync import SyncOptions

    loaded = _guarded(lambda: load_config(config))
    _logging(log_level, log_format, [loaded.intercom.token.get_secret_value()])
    options = SyncOptions(dry_run=dry_run, full=full, allow_mass_delete=allow_mass_delete)
    use_bar = stderr.is_terminal if progress is None else progress
    observer = RichProgress(stderr) if use_bar else LogProgress()
    stop = threading.Event()
    error: str | None = None
    grace = loaded.daemon.grace_period.total_seconds()
    say = lambda text: stderr.print(text, markup=False)  # noqa: E731
    with observer:
        try:
            # here, not around the daemon's path: there Ctrl-C asks the daemon to stop the run
            with stop_on_signals(stop, grace, say):
                reports = _guarded_but_locked(
                    lambda: sync_connectors(
                        loaded, names=connector, options=options, observer=observer, stop_event=stop
                    )
                )
            code = exit_code_for_reports(reports)
        except StateLockedError as exc:  # a daemon holds the state: it runs this sync
            locked = exc
            answer = _guarded(lambda: _sync_in_daemon(loaded, connector, options, observer, locked))
            reports, error = answer.reports, answer.error
            code = _exit_code_from_daemon(answer.exit_code)
    if dry_run:
        print_changes(stdout, reports)
    if reports or error is None:
        print_summary(stdout, reports)
    if error is not None:
        stderr.print(f"[red]error:[/red] {escape(error)}", highlight=False)
    raise typer.Exit(code)


@app.command()
def status(config: ConfigOption) -> None:
    """What the state database knows: sources, page counts, last runs, failing pages."""
    from ingestor.config import load_config
    from ingestor.status import print_status

    loaded = _guarded(lambda: load_config(config))
    _guarded(lambda: print_status(stdout, loaded))


@app.command()
def daemon(
    config: ConfigOption,
    log_level: Annotated[
        str | None,
        typer.Option("--log-level", help="DEBUG, INFO, WARNING, ERROR [default: daemon.log_level]"),
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option("--log-format", help="auto, text or json [default: daemon.log_format]"),
    ] = None,
) -> None:
    """Run continuously: every connector on its schedule. SIGHUP reloads, SIGTERM stops."""
    from ingestor.config import load_config
    from ingestor.daemon import LogChoice, run_daemon

    if log_format is not None and log_format not in ("auto", "text", "json"):
        said = escape(repr(log_format))
        stderr.print(f"[red]error:[/red] --log-format must be auto, text or json, not {said}")
        raise typer.Exit(ExitCode.CONFIG)
    if log_level is not None and log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        stderr.print("[red]error:[/red] --log-level must be DEBUG, INFO, WARNING or ERROR")
        raise typer.Exit(ExitCode.CONFIG)
    loaded = _guarded(lambda: load_config(config))
    choice = LogChoice(level=log_level.upper() if log_level else None, format=log_format)
    raise typer.Exit(_guarded(lambda: run_daemon(config, loaded, choice)))


@app.command()
def plan(
    config: ConfigOption,
    connector: Annotated[
        list[str] | None,
        typer.Option("--connector", help="Plan only this connector (repeatable)."),
    ] = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show what each update changes, as a Markdown diff.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Plan a --full sync (every page re-sent).")
    ] = False,
    log_level: LogLevelOption = "WARNING",
) -> None:
    """What a sync would create, update and delete, and why. Writes nothing.

    Exit code 0 when nothing would change, 5 when something would (for CI), and the usual
    codes for errors.
    """
    from ingestor.config import load_config
    from ingestor.plan import print_plan, would_change
    from ingestor.plan_state import reading_store
    from ingestor.runner import sync_connectors
    from ingestor.sync import SyncOptions

    loaded = _guarded(lambda: load_config(config))
    _logging(log_level, "text", [loaded.intercom.token.get_secret_value()])
    options = SyncOptions(dry_run=True, full=full, collect_html=diff)

    def planned() -> list[SyncReport]:  # read-only: a running daemon holds the state
        with reading_store(loaded.state.path) as store:
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
    print_plan(stdout, reports, loaded.state.path, diff=diff)
    from ingestor.cli_admin import print_orphans
    from ingestor.reconcile._console import print_last_reconciles

    _guarded(lambda: print_last_reconciles(stdout, loaded, connector))
    _guarded(lambda: print_orphans(loaded))
    code = exit_code_for_reports(reports)
    if code == ExitCode.OK and would_change(reports):
        code = ExitCode.CHANGES
    raise typer.Exit(code)


@app.command()
def preview(
    config: ConfigOption,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the preview into.")],
    connector: Annotated[
        list[str] | None,
        typer.Option("--connector", help="Preview only this connector (repeatable)."),
    ] = None,
) -> None:
    """Write every page exactly as Fin would receive it, plus an index.html to browse."""
    from ingestor.config import load_config
    from ingestor.preview import write_preview

    loaded = _guarded(lambda: load_config(config))
    rows = _guarded(lambda: write_preview(loaded, out, connector))
    warned = sum(1 for row in rows if row.warnings)
    stdout.print(
        f"{len(rows)} pages written to {out}, {warned} with warnings; open {out / 'index.html'}",
        highlight=False,
        markup=False,
    )


@connectors_app.command("list")
def connectors_list() -> None:
    """The connector kinds installed (built-in and plugins)."""
    from connectors.base import load_connector_classes

    for kind, cls in sorted(load_connector_classes().items()):
        doc = (cls.__doc__ or "").strip().splitlines()
        summary = doc[0] if doc else ""
        stdout.print(f"{kind}: {cls.__module__}.{cls.__qualname__}  {summary}", highlight=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app(args=list(argv) if argv is not None else sys.argv[1:], prog_name="ingestor")


# Commands of the admin's toolbox live apart; importing registers them on ``app``.
from ingestor import cli_admin, cli_emulator, cli_reconcile  # noqa: E402, F401
