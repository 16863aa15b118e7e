"""The ``ingestor`` command. Errors become exit codes here, and only here, through the one
mapping of :mod:`ingestor.exit_codes` (which lists them)."""

from __future__ import annotations

import os
import select
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ingestor import __version__
from ingestor.errors import (
    ConfigError,
    ConfigIssue,
    IngestorError,
    StateLockedError,
)
from ingestor.exit_codes import ExitCode, exit_code_for, exit_code_for_reports
from ingestor.logs import LogFormat, hold_early_records, setup_logging
from ingestor.untrusted import visible_text

if TYPE_CHECKING:
    from ingestor.config import Config

__all__ = ["ExitCode", "app", "exit_code_for", "exit_code_for_reports", "main"]

T = TypeVar("T")


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


class _OutputConsole(Console):
    """stdout's console. Rich ends a command whose reader closed the pipe (``| head``) with
    exit 1, which here means "some pages failed": 141 (128 + SIGPIPE) says what happened."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second EPIPE when Python flushes at exit
        raise SystemExit(ExitCode.OUTPUT_CLOSED)


stdout = _OutputConsole(width=None if sys.stdout.isatty() else 120)
stderr = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


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
    from ingestor.commands.machine import emit, validate_document
    from ingestor.config import load_config
    from ingestor.config._warnings import validation_warnings

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
            state=loaded.state.shown,
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
    stdout.print(f"  state: {loaded.state.shown}", highlight=False, markup=False)
    for c in loaded.connectors:
        state = "" if c.enabled else " (disabled)"
        stdout.print(f"  {c.name}: {c.type} -> {c.url}{state}", highlight=False, markup=False)


@app.command()
def status(config: ConfigOption, as_json: JsonOption = False) -> None:
    """What the state database knows: sources, page counts, last runs, failing pages.

    Reads only the local state database: no Intercom token needed.
    """
    from ingestor.commands.machine import emit, no_state_document, status_document
    from ingestor.commands.status import print_status, status_data_if_any
    from ingestor.config import load_config

    loaded = _guarded(lambda: load_config(config, need_token=False))
    if as_json:
        data = _guarded(lambda: status_data_if_any(loaded))
        emit(no_state_document(loaded.state.shown) if data is None else status_document(data))
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


@connectors_app.command("list")
def connectors_list() -> None:
    """The connector kinds installed (built-in and plugins)."""
    from ingestor.connectors.base import load_connector_classes

    for kind, cls in sorted(load_connector_classes().items()):
        doc = (cls.__doc__ or "").strip().splitlines()
        summary = doc[0] if doc else ""
        stdout.print(f"{kind}: {cls.__module__}.{cls.__qualname__}  {summary}", highlight=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    hold_early_records()  # the config's warnings come out in the log format it chooses
    try:
        app(args=list(argv) if argv is not None else sys.argv[1:], prog_name="ingestor")
    except SystemExit as exit_:
        if exit_.code == ExitCode.INTERRUPTED:
            from ingestor.commands.interrupts import exit_now_if_stuck

            exit_now_if_stuck(ExitCode.INTERRUPTED)  # never wait for uploads stuck in a retry
        if exit_.code == 1 and _stdout_closed():
            # click's answer to a closed stdout (its help, JSON documents) is exit 1 too
            raise SystemExit(ExitCode.OUTPUT_CLOSED) from None
        raise


def _stdout_closed() -> bool:
    """Whether stdout is a pipe whose reader has gone (Linux polls it as an error)."""
    try:
        poller = select.poll()
        poller.register(1, select.POLLOUT)
        return any(event & select.POLLERR for _fd, event in poller.poll(0))
    except (OSError, AttributeError):  # no stdout, or no poll() on this platform
        return False


# Commands of the admin's toolbox live apart; importing registers them on ``app``.
from ingestor.commands import (  # noqa: E402, F401
    cli_admin,
    cli_emulator,
    cli_reconcile,
    cli_state,
    cli_sync,
)
