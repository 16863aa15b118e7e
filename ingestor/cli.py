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
    from ingestor.machine import PageRecorder
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
    # --install-completion / --show-completion for bash, zsh and fish (README: Shell completion)
    add_completion=True,
    pretty_exceptions_enable=False,
    # click's plain help: no box drawing, option names never cut at 80 columns, no <bool>
    rich_markup_mode=None,
)
connectors_app = typer.Typer(help="Connector plugins.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(connectors_app, name="connectors")

ConfigOption = Annotated[
    Path,
    typer.Option("--config", "-c", help="YAML config file.", show_default=False, metavar="FILE"),
]
LogLevelOption = Annotated[
    str, typer.Option("--log-level", help="DEBUG, INFO, WARNING, ERROR.", metavar="LEVEL")
]
LogFormatOption = Annotated[
    str,
    typer.Option(
        "--log-format", help="text (for people) or json (for log collectors).", metavar="FORMAT"
    ),
]
VerboseLibsOption = Annotated[
    bool,
    typer.Option(
        "--verbose-libs",
        help="With --log-level DEBUG, also the libraries' debug lines (httpx, markdown-it...).",
    ),
]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document on stdout and nothing else (schemas: docs/schemas/).",
    ),
]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

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
    text = str(error)
    if isinstance(error, ConfigError) and len(error.issues) == 1:
        text = str(error.issues[0])  # one problem, one line: `file:line: key: message`
    said = escape(visible_text(text, keep_lines=True))
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


def _usage_error(text: str) -> NoReturn:
    """A bad command-line value: one line on stderr, exit 2."""
    said = escape(visible_text(text))
    stderr.print(f"[red]error:[/red] {said}", highlight=False, soft_wrap=True)  # one line
    raise typer.Exit(ExitCode.CONFIG)


def _check_log_options(level: str | None, fmt: str | None, formats: Sequence[str]) -> None:
    """Refuse a bad --log-level or --log-format before anything runs."""
    if level is not None and level.upper() not in LOG_LEVELS:
        _usage_error(f"--log-level must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    if fmt is not None and fmt not in formats:
        _usage_error(f"--log-format must be {' or '.join(formats)}, not {fmt!r}")


def _logging(
    level: str, fmt: str, secrets: Sequence[str] = (), *, verbose_libs: bool = False
) -> None:
    _check_log_options(level, fmt, ("text", "json"))
    log_format: LogFormat = "json" if fmt == "json" else "text"
    setup_logging(level, log_format, secrets, verbose_libs=verbose_libs)


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
    as_json: JsonOption = False,
) -> None:
    """Check a config file: every error at once, with file, line and key.

    Warnings (errors with --strict): a source unavailable right now (a share not mounted yet:
    at run time only that connector's runs fail, and they recover when it appears), two
    connectors reading the same files, a source url that is not on a public domain name.
    """
    from ingestor.config import load_config
    from ingestor.config._warnings import validation_warnings
    from ingestor.machine import emit, validate_document

    try:
        loaded = load_config(config)
        warnings = validation_warnings(loaded, config)
    except ConfigError as exc:
        if not as_json:
            _fail(exc)
        emit(validate_document(str(config), errors=exc.issues))
        raise typer.Exit(ExitCode.CONFIG) from None
    errors = warnings if strict else []
    if as_json:
        connectors = [
            {"name": c.name, "type": c.type, "url": c.url, "enabled": c.enabled}
            for c in loaded.connectors
        ]
        document = validate_document(
            str(config),
            errors=errors,
            warnings=[] if strict else warnings,
            state=str(loaded.state.path),
            connectors=connectors,
        )
        emit(document)
        raise typer.Exit(ExitCode.CONFIG if errors else ExitCode.OK)
    if errors:
        _fail(ConfigError(errors))
    _print_validated(config, loaded, warnings)


def _print_validated(config: Path, loaded: Config, warnings: Sequence[ConfigIssue]) -> None:
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
    from ingestor.config import load_config
    from ingestor.console import LogProgress, RichProgress, print_changes, print_summary
    from ingestor.machine import (
        PageRecorder,
        emit,
        run_report_document,
        sync_document,
        write_report,
    )
    from ingestor.sync import SyncOptions

    _check_log_options(log_level, log_format, ("text", "json"))
    if report is not None and not report.parent.is_dir():
        _usage_error(f"--report {report}: the folder {report.parent} does not exist")
    loaded = _guarded(lambda: load_config(config))
    _logging(
        log_level, log_format, [loaded.intercom.token.get_secret_value()], verbose_libs=verbose_libs
    )
    options = SyncOptions(dry_run=dry_run, full=full, allow_mass_delete=allow_mass_delete)
    use_bar = stderr.is_terminal if progress is None else progress
    observer = PageRecorder(RichProgress(stderr) if use_bar else LogProgress())
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
    from ingestor.interrupts import stop_on_signals
    from ingestor.runner import sync_connectors

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
def status(config: ConfigOption, as_json: JsonOption = False) -> None:
    """What the state database knows: sources, page counts, last runs, failing pages.

    Reads only the local state database: no Intercom token needed.
    """
    from ingestor.config import load_config
    from ingestor.machine import emit, no_state_document, status_document
    from ingestor.status import print_status, status_data

    loaded = _guarded(lambda: load_config(config, need_token=False))
    if as_json and not loaded.state.path.exists():
        emit(no_state_document(str(loaded.state.path)))
    elif as_json:
        emit(status_document(_guarded(lambda: status_data(loaded))))
    else:
        _guarded(lambda: print_status(stdout, loaded))


@app.command()
def daemon(
    config: ConfigOption,
    log_level: Annotated[
        str | None,
        typer.Option(
            "--log-level",
            help="DEBUG, INFO, WARNING, ERROR [default: daemon.log_level]",
            metavar="LEVEL",
        ),
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(
            "--log-format", help="auto, text or json [default: daemon.log_format]", metavar="FORMAT"
        ),
    ] = None,
) -> None:
    """Run continuously: every connector on its schedule. SIGHUP reloads, SIGTERM stops."""
    from ingestor.config import load_config
    from ingestor.daemon import LogChoice, run_daemon

    _check_log_options(log_level, log_format, ("auto", "text", "json"))
    loaded = _guarded(lambda: load_config(config))
    choice = LogChoice(level=log_level.upper() if log_level else None, format=log_format)
    raise typer.Exit(_guarded(lambda: run_daemon(config, loaded, choice)))


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
    from ingestor.cli_admin import orphan_data, print_orphans
    from ingestor.config import load_config
    from ingestor.machine import emit, plan_document
    from ingestor.plan import print_plan, would_change
    from ingestor.plan_state import reading_store
    from ingestor.reconcile._console import print_last_reconciles
    from ingestor.runner import sync_connectors
    from ingestor.sync import SyncOptions

    _check_log_options(log_level, None, ())
    loaded = _guarded(lambda: load_config(config))
    secrets = [loaded.intercom.token.get_secret_value()]
    _logging(log_level, "text", secrets, verbose_libs=verbose_libs)
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
    code = exit_code_for_reports(reports)
    if code == ExitCode.OK and would_change(reports):
        code = ExitCode.CHANGES
    if as_json:
        orphans = _guarded(lambda: orphan_data(loaded))
        emit(plan_document(reports, would_change=would_change(reports), orphans=orphans))
        raise typer.Exit(code)
    print_plan(stdout, reports, loaded.state.path, diff=diff)
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
    from ingestor.config import load_config
    from ingestor.preview import write_preview

    loaded = _guarded(lambda: load_config(config, need_token=False))
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
    try:
        app(args=list(argv) if argv is not None else sys.argv[1:], prog_name="ingestor")
    except SystemExit as exit_:
        if exit_.code == ExitCode.INTERRUPTED:
            from ingestor.interrupts import exit_now_if_stuck

            exit_now_if_stuck(ExitCode.INTERRUPTED)  # never wait for uploads stuck in a retry
        raise


# Commands of the admin's toolbox live apart; importing registers them on ``app``.
from ingestor import cli_admin, cli_emulator, cli_reconcile  # noqa: E402, F401
