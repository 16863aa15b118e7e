"""The bundled Intercom emulator's commands: ``emulator`` serves it, ``demo`` syncs the
example pages into it. They register on :data:`ingestor.cli.app`, which imports this module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ingestor.commands.cli import ExitCode, _guarded, app, stderr, stdout

__all__: list[str] = []


@app.command()
def emulator(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8000,
    token: Annotated[
        str, typer.Option(help="Accepted bearer token.", envvar="EMULATOR_TOKEN")
    ] = "emulator-token",
    latency_ms: Annotated[float, typer.Option(help="Added to every API call.")] = 0.0,
    rate_limit: Annotated[
        int | None, typer.Option(help="Calls per 10-second window (default: unlimited).")
    ] = None,
    fault_5xx: Annotated[float, typer.Option(help="Fraction of calls answered 5xx.")] = 0.0,
    fault_drop: Annotated[float, typer.Option(help="Fraction of connections dropped.")] = 0.0,
    seed: Annotated[int | None, typer.Option(help="Seed for fault injection.")] = None,
    db: Annotated[
        Path | None, typer.Option(help="SQLite file to persist to (default: memory).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Set any other emulator setting (repeatable), e.g. --set pagination=cursor.",
        ),
    ] = None,
) -> None:
    """Run the bundled Intercom AI Content emulator (for trials, demos and tests).

    Faults and modes (--set KEY=VALUE; all off by default; docs/emulator.md explains each):
    latency_jitter_ms, window_seconds, fault_lost_answer_rate, fault_hang_rate, hang_ms,
    fault_close_rate, fault_storm_rate, storm_calls, per_page, pagination (pages, offset,
    cursor), list_order (oldest_first, newest_first), simulate_inserts, deep_paging_cap,
    max_html_bytes, max_external_id_chars, strict_source_urls, max_request_bytes,
    clear_url_on_update, fail_external_ids (a,b). Tests switch them at run time: PATCH
    /_emulator/settings.
    """
    from ingestor.emulator import EmulatorSettings, serve
    from ingestor.emulator.settings import setting_overrides

    try:
        settings = EmulatorSettings(
            tokens=frozenset({token}),
            latency_ms=latency_ms,
            rate_limit=rate_limit,
            fault_5xx_rate=fault_5xx,
            fault_drop_rate=fault_drop,
            seed=seed,
            db_path=db,
        ).changed(setting_overrides(set_ or []))
        serve(settings, host, port)
    except (ValueError, RuntimeError, OSError) as exc:  # bad option, foreign db, port taken
        stderr.print(f"[red]error:[/red] emulator: {escape(str(exc))}", highlight=False)
        raise typer.Exit(ExitCode.CONFIG) from None


@app.command()
def demo(
    pages: Annotated[
        Path | None, typer.Option(help="Folder to sync (default: the bundled examples).")
    ] = None,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Leave the emulator up to browse afterwards.")
    ] = False,
) -> None:
    """Start the emulator in-process, sync the example pages into it, and show the result."""
    from ingestor.commands.demo import run_demo

    raise typer.Exit(_guarded(lambda: run_demo(stdout, pages=pages, keep_running=keep_running)))
