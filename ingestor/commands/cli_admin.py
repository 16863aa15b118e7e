"""The admin's toolbox commands: ``init``, ``doctor``, ``prune`` and ``health``, and the
orphans a plan names. They register on :data:`ingestor.cli.app`, which imports this module."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ingestor.commands.cli import ConfigOption, ExitCode, JsonOption, _guarded, app, stderr, stdout

if TYPE_CHECKING:
    from ingestor.config import Config

__all__ = ["orphan_data", "print_orphans"]


@app.command()
def init(
    kind: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="One connector of this kind (see `ingestor connectors list`); "
            "default: the full commented example.",
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write it.")] = Path(
        "config.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config, then check it with `ingestor validate`."""
    from ingestor.commands.starter import starter_config
    from ingestor.connectors.base import load_connector_classes

    classes = load_connector_classes()
    if kind is not None and kind not in classes:
        stderr.print(
            f"[red]error:[/red] unknown connector type {kind!r}; "
            f"known: {', '.join(sorted(classes))}",
            highlight=False,
        )
        raise typer.Exit(ExitCode.CONFIG)
    if output.exists() and not force:
        stderr.print(
            f"[red]error:[/red] {output} exists; choose another --output or pass --force",
            highlight=False,
        )
        raise typer.Exit(ExitCode.CONFIG)
    text = starter_config(kind, classes, file=str(output))
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        stderr.print(f"[red]error:[/red] cannot write {output}: {exc.strerror}", highlight=False)
        raise typer.Exit(ExitCode.CONFIG) from None
    stdout.print(
        f"wrote {output}; edit it, then run: ingestor validate -c {output}", highlight=False
    )


@app.command()
def doctor(config: ConfigOption, as_json: JsonOption = False) -> None:
    """Check Intercom (token, reachability, rate limit, clock), the state and every source.

    Writes nothing. Exit 0 when every check passes or only warns, 1 when one fails.
    """
    from ingestor.commands.console import print_checks
    from ingestor.commands.doctor import run_checks
    from ingestor.commands.machine import doctor_document, emit
    from ingestor.config import load_config

    loaded = _guarded(lambda: load_config(config))
    checks = _guarded(lambda: run_checks(loaded))
    if as_json:
        emit(doctor_document(checks))
    else:
        print_checks(stdout, checks)
    if any(check.verdict == "failed" for check in checks):
        raise typer.Exit(ExitCode.PARTIAL)


@app.command()
def prune(
    config: ConfigOption,
    connector: Annotated[
        str, typer.Option("--connector", help="The removed connector whose pages go.")
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    delete_source: Annotated[
        bool, typer.Option("--delete-source", help="Also delete its Content Import Source.")
    ] = False,
) -> None:
    """Delete a removed connector's pages from Intercom and forget it in the state.

    The connector must be gone from the config. You are asked to type its name unless --yes.
    """
    from ingestor.commands.prune import check_prunable, prune_connector
    from ingestor.config import load_config
    from ingestor.engine.runner import build_client
    from ingestor.state import Store

    loaded = _guarded(lambda: load_config(config))
    with _guarded(lambda: Store.open(loaded.state.location)) as store:
        pages = _guarded(lambda: check_prunable(loaded, store, connector))
        stdout.print(
            f"prune: {pages} page(s) of the removed connector {connector!r} will be deleted "
            "from Intercom" + (", then its Content Import Source" if delete_source else ""),
            highlight=False,
        )
        if not yes:
            if not sys.stdin.isatty():
                stderr.print("[red]error:[/red] not a terminal: confirm with --yes")
                raise typer.Exit(ExitCode.CONFIG)
            if typer.prompt("type the connector's name to confirm") != connector:
                stderr.print("not confirmed; nothing deleted")
                raise typer.Exit(ExitCode.CONFIG)
        with build_client(loaded) as client:
            result = _guarded(
                lambda: prune_connector(client, store, connector, delete_source=delete_source)
            )
    stdout.print(f"prune: {result.deleted} page(s) deleted", highlight=False)
    if not result.complete:
        stderr.print(
            f"{len(result.failed)} page(s) could not be deleted and stay in the state "
            f"(first: {result.failed[0]}); run prune again",
            highlight=False,
        )
        raise typer.Exit(ExitCode.PARTIAL)
    stdout.print(f"prune: connector {connector!r} forgotten", highlight=False)


@app.command()
def health(
    config: ConfigOption,
    ready: Annotated[
        bool, typer.Option("--ready", help="Ask /readyz (Intercom writes possible), not /healthz.")
    ] = False,
) -> None:
    """Ask the running daemon's endpoint (daemon.listen) if it is healthy: exit 0 or 1.

    For container health checks: the port is read from the config, never hard-coded.
    """
    import urllib.error
    import urllib.request

    from ingestor.config import load_config

    loaded = _guarded(lambda: load_config(config))
    address = loaded.daemon.listen_address
    if address is None:
        stderr.print("[red]error:[/red] daemon.listen is not set: the daemon serves no endpoint")
        raise typer.Exit(ExitCode.CONFIG)
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(address[0], address[0])
    host = f"[{host}]" if ":" in host else host
    url = f"http://{host}:{address[1]}/{'readyz' if ready else 'healthz'}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local: no proxy
    try:
        with opener.open(url, timeout=5) as answer:
            stdout.print(f"{url}: {answer.status}", highlight=False)
    except (urllib.error.URLError, OSError) as exc:
        stderr.print(f"{url}: {getattr(exc, 'code', None) or exc}", highlight=False)
        raise typer.Exit(ExitCode.PARTIAL) from None


def orphan_data(loaded: Config) -> list[dict[str, Any]]:
    """Sources and state no connector of the config owns, as plain data (``plan --json``):
    removed connectors by name, then foreign Content Import Sources by id."""
    from ingestor.commands.prune import foreign_sources, orphans
    from ingestor.engine.plan_state import reading_store
    from ingestor.engine.runner import build_client

    with reading_store(loaded.state.location) as store, build_client(loaded) as client:
        removed = orphans(loaded, store)
        foreign = foreign_sources(client, loaded, store)
    found: list[dict[str, Any]] = [
        {"kind": "connector", "name": name, "pages": pages}
        for name, pages in sorted(removed.items())
    ]
    found.extend(
        {"kind": "source", "source_id": source_id, "url": url} for source_id, url in sorted(foreign)
    )
    return found


def print_orphans(loaded: Config) -> None:
    """Sources and state no connector of the config owns, with what to do about them."""
    for orphan in orphan_data(loaded):
        if orphan["kind"] == "connector":
            name = orphan["name"]
            text = (
                f"orphan: connector {name!r} is gone from the config but has {orphan['pages']} "
                f"page(s) in Intercom: ingestor prune --connector {name}"
            )
        else:
            text = (
                f"orphan: Content Import Source {orphan['source_id']} ({orphan['url']}) is owned "
                "by no connector of this config (another installation, or a removed connector)"
            )
        stdout.print(text, highlight=False, markup=False, soft_wrap=True)
