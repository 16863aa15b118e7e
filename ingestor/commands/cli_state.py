"""``ingestor state migrate`` and ``ingestor state copy``: bring a state database to this
version's schema, and move an installation between SQLite and PostgreSQL (docs/state.md).
They register on the ``state`` group of :data:`ingestor.cli.app`."""

from __future__ import annotations

import os
import re
from typing import Annotated

import typer

from ingestor.commands.cli import ConfigOption, _guarded, stdout
from ingestor.commands.cli_reconcile import state_app
from ingestor.errors import UsageError

__all__: list[str] = []

_LOCATION_HELP = (
    "sqlite:///path/state.db (or a file path) or postgresql://user:${PGPASSWORD}@host/db "
    "(quote it: ${VAR} references are expanded here, which keeps the password out of the "
    "process list)."
)
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@state_app.command("migrate")
def state_migrate(
    config: ConfigOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the pending steps; change nothing.")
    ] = False,
) -> None:
    """Bring the state database to this version's schema (a sync or the daemon does it too,
    on first open): prints the versions before and after."""
    from ingestor.config import load_config
    from ingestor.state import migrate_state, pending_migration

    loaded = _guarded(lambda: load_config(config, need_token=False))
    shown = loaded.state.shown
    pending = _guarded(lambda: pending_migration(loaded.state.location))
    if dry_run:
        if pending.missing:
            stdout.print(
                f"{shown}: no database yet; the first sync creates it at schema version "
                f"{pending.target}",
                highlight=False,
                markup=False,
            )
            return
        stdout.print(
            f"{shown}: schema version {pending.current}, this fin-ingestor uses {pending.target}"
            + ("" if pending.steps else "; nothing to do"),
            highlight=False,
            markup=False,
        )
        for version, summary in pending.steps:
            stdout.print(f"  {version} -> {version + 1}: {summary}", highlight=False, markup=False)
        return
    before, after = _guarded(lambda: migrate_state(loaded.state.location))
    what = "already current" if before == after else f"migrated from version {before}"
    stdout.print(f"{shown}: {what}; schema version {after}", highlight=False, markup=False)


@state_app.command("copy")
def state_copy(
    source: Annotated[str, typer.Option("--from", help=_LOCATION_HELP, metavar="URL")],
    target: Annotated[str, typer.Option("--to", help=_LOCATION_HELP, metavar="URL")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace what the target database holds.")
    ] = False,
) -> None:
    """Copy every table of a state database into an empty one (SQLite <-> PostgreSQL).

    Both are locked meanwhile (stop the daemon first) and brought to this version's schema;
    the target is written in one transaction and its row counts checked against the source.
    Point state.path / state.url at the target afterwards: nothing is sent again.
    """
    from ingestor.state import copy_state, redact_url

    source_url, target_url = _expanded(source, "--from"), _expanded(target, "--to")
    result = _guarded(lambda: copy_state(source_url, target_url, force=force))
    total = sum(result.rows.values())
    shown = redact_url(target_url) if "://" in target_url else target_url
    stdout.print(f"copied {total} rows to {shown}:", highlight=False, markup=False, soft_wrap=True)
    for name, rows in result.rows.items():
        stdout.print(f"  {name} {rows}", highlight=False, markup=False)


def _expanded(value: str, option: str) -> str:
    """``${VAR}`` references in ``value`` replaced from the environment."""
    unset = sorted({name for name in _REFERENCE.findall(value) if name not in os.environ})
    if unset:
        error = UsageError(f"{option}: environment variable {', '.join(unset)} is not set")
        _guarded(lambda: _raise(error))
    return _REFERENCE.sub(lambda match: os.environ[match.group(1)], value)


def _raise(error: Exception) -> None:
    raise error
