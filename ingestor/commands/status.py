"""``ingestor status``: what the state database knows, readable while a sync or daemon runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from ingestor.commands.console import new_table, shown
from ingestor.config import Config
from ingestor.connectors.base import ConnectorSettings
from ingestor.errors import NoStateError
from ingestor.gate.render import rule_counts_line, withheld_line
from ingestor.state import ConnectorSummary, ReconcileRecord, RunRecord, Store
from ingestor.watch_plan import plan_watch, why_unwatched

__all__ = ["print_status", "status_data"]

#: Failing pages listed per connector; `ingestor status` is a glance, not a dump.
MAX_FAILED_LISTED = 20
#: Excluded and held pages listed per connector (held first).
MAX_WITHHELD_LISTED = 50
#: Hidden pages (deletion: hide) listed per connector, the first to be deleted first.
MAX_HIDDEN_LISTED = 20


def status_data(config: Config) -> dict[str, Any]:
    """The status as plain data (the daemon's /status endpoint serves the same)."""
    with Store.open(config.state.location, read_only=True) as store:
        summaries = {s.connector: s for s in store.summary()}
        connectors = [
            _connector_data(store, config, settings, summaries.get(settings.name))
            for settings in config.connectors
        ]
        configured = {c.name for c in config.connectors}
        orphans = [
            {"name": name, "pages": s.pages, "source_id": s.source_id}
            for name, s in sorted(summaries.items())
            if name not in configured
        ]
        leases, instances = store.read_leases()
    for entry in connectors:  # which daemon instance owns it (None: no daemon holds it)
        lease = leases.get(entry["name"])
        entry["owner"] = None if lease is None else lease.owner
    return {
        "state": config.state.shown,
        "connectors": connectors,
        "orphans": orphans,
        "instances": [
            {
                "id": i.id,
                "host": i.host,
                "pid": i.pid,
                "owns": sorted(name for name, lease in leases.items() if lease.owner == i.id),
            }
            for i in instances
        ],
    }


def _connector_data(
    store: Store, config: Config, settings: ConnectorSettings, summary: ConnectorSummary | None
) -> dict[str, Any]:
    """One connector's status: its counts, runs, pages that need a look, and how it is watched."""
    runs = store.recent_runs(settings.name, limit=50)
    complete = next((run for run in runs if run.status == "ok"), None)
    broken = store.broken_links(settings.name)
    audiences = store.audience_counts(settings.name)
    return {
        "name": settings.name,
        "type": settings.type,
        "enabled": settings.enabled,
        "source_id": summary.source_id if summary else None,
        "pages": summary.pages if summary else 0,
        "failed": summary.failed if summary else 0,
        "last_run": _run_data(store, runs[0]) if runs else None,
        "last_complete_run": None
        if complete is None
        else {"id": complete.id, "finished_at": complete.finished_at},
        # how long the source has gone without a complete run
        "lag_seconds": None
        if complete is None or complete.finished_at is None
        else round(time.time() - complete.finished_at, 1),
        "audiences": [
            {"audience": audience, "rule": rule, "pages": pages}
            for (audience, rule), pages in sorted(audiences.items())
            if audience
        ],
        "held": sum(n for (a, _), n in audiences.items() if a == "held"),
        "withheld_pages": [
            {"external_id": p.external_id, "audience": p.audience, "reason": p.reason}
            for p in store.withheld_pages(settings.name, limit=MAX_WITHHELD_LISTED)
        ],
        "failed_pages": [
            {"external_id": p.external_id, "error": p.last_error}
            for p in store.failed_pages(settings.name, limit=MAX_FAILED_LISTED)
        ],
        **_hidden(store, config, settings),
        "last_reconcile": _reconcile_data(store.last_reconcile(settings.name)),
        # how the daemon watches it (``ingestor status`` has no daemon to ask)
        "watch": None if (plan := plan_watch(settings)) is None else plan.to_json(),
        "unwatched": why_unwatched(settings),
        "broken_links": len(broken),
        "broken_link_samples": [
            {"page": page, "missing": target} for page, target in broken[:MAX_FAILED_LISTED]
        ],
    }


def _run_data(store: Store, run: RunRecord) -> dict[str, Any]:
    """A run as status shows it (a run whose process is gone: died)."""
    return {
        "id": run.id,
        "status": _status(store, run),
        "pid": run.pid,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "dry_run": run.dry_run,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "deleted": run.deleted,
        "failed": run.failed,
        "skipped": run.skipped,
        "excluded": run.excluded,
        "held": run.held,
        "hidden": run.hidden,
        "rule_counts": run.rule_counts,
        "error": run.error,
    }


def _hidden(store: Store, config: Config, settings: ConnectorSettings) -> dict[str, Any]:
    """Pages hidden after they vanished, and when each will be deleted: at the first complete
    sync after ``delete_after`` (at once with ``deletion: delete``)."""
    effective = config.effective(settings)
    wait = effective.hide_for.total_seconds() if effective.deletion == "hide" else 0.0
    return {
        "deletion": effective.deletion,
        "hide_for_seconds": effective.hide_for.total_seconds(),
        "hidden": store.hidden_count(settings.name),
        "hidden_pages": [
            {
                "external_id": page.external_id,
                "hidden_at": page.hidden_at,
                "delete_after": page.hidden_at + wait,
            }
            for page in store.hidden_pages(settings.name, limit=MAX_HIDDEN_LISTED)
        ],
    }


def _status(store: Store, run: RunRecord) -> str:
    """A run left 'running' by a process that is gone (SIGKILL, OOM, power loss) 'died':
    the next sync or daemon records it so; until then status must not say 'running'."""
    if run.status == "running" and store.process_gone(run.pid):
        return "died"
    return run.status


def status_data_if_any(config: Config) -> dict[str, Any] | None:
    """:func:`status_data`, or None before the first sync: no SQLite file yet, or a PostgreSQL
    database that is still empty (it exists as soon as it is configured)."""
    if not config.state.exists():
        return None
    try:
        return status_data(config)
    except NoStateError:
        return None


def print_status(console: Console, config: Config) -> None:
    """Render :func:`status_data` as a table and a list of failing pages."""
    data = status_data_if_any(config)
    if data is None:
        console.print(f"No state yet at {config.state.shown}: no sync has run.", highlight=False)
        return
    console.print(_connectors_table(console, data))
    for instance in data["instances"]:
        console.print(
            f"daemon instance {shown(instance['id'])} owns "
            f"{', '.join(map(shown, instance['owns'])) or 'no connector'}",
            highlight=False,
        )
    for orphan in data["orphans"]:
        console.print(
            f"[yellow]{shown(orphan['name'])}: {orphan['pages']} page(s) in Intercom (source "
            f"{orphan['source_id'] or '-'}) from a connector no longer in the config: remove "
            f"them with 'ingestor prune --connector {shown(orphan['name'])}', or rename with "
            "renamed_from[/yellow]",
            highlight=False,
            soft_wrap=True,
        )
    for c in data["connectors"]:
        if c["watch"] is not None and c["enabled"]:
            console.print(f"{shown(c['name'])}: watched by the daemon: {c['watch']['why']}")
        elif c["unwatched"]:
            console.print(f"{shown(c['name'])}: {c['unwatched']}", highlight=False)
        _print_gate(console, c)
        _print_hidden(console, c)
        _print_reconcile(console, c)
        _print_problems(console, c)


def _connectors_table(console: Console, data: dict[str, Any]) -> Table:
    table = new_table(console, title=f"State: {data['state']}")
    columns = ("connector", "type", "source id", "pages", "failing", "last attempt", "result")
    for column in (*columns, "last complete"):
        table.add_column(column)
    for c in data["connectors"]:
        last = c["last_run"]
        when = "never" if last is None else _ago(last["finished_at"] or last["started_at"])
        result = "" if last is None else _result(last)
        complete = c["last_complete_run"]
        table.add_row(
            c["name"] + ("" if c["enabled"] else " (disabled)"),
            c["type"],
            str(c["source_id"] or "-"),
            str(c["pages"]),
            str(c["failed"]),
            when,
            result,
            "never" if complete is None else _ago(complete["finished_at"]),
        )
    return table


def _print_problems(console: Console, c: dict[str, Any]) -> None:
    """A connector's failing pages and broken links (samples, then how many more)."""
    for page in c["failed_pages"]:
        console.print(
            f"[red]{shown(c['name'])}: {shown(page['external_id'])}: "
            f"{shown(str(page['error']))}[/red]"
        )
    if c["failed"] > len(c["failed_pages"]):
        console.print(f"{shown(c['name'])}: … {c['failed'] - len(c['failed_pages'])} more")
    for link in c["broken_link_samples"]:
        console.print(
            f"[yellow]{shown(c['name'])}: broken link in {shown(link['page'])} to "
            f"{shown(link['missing'])} (no such page)[/yellow]"
        )
    if c["broken_links"] > len(c["broken_link_samples"]):
        more = c["broken_links"] - len(c["broken_link_samples"])
        console.print(f"{shown(c['name'])}: … {more} more broken links")


def _print_gate(console: Console, connector: dict[str, Any]) -> None:
    """Pages per audience and rule, then the excluded and held pages with their reasons."""
    name = connector["name"]
    if connector["audiences"]:
        parts = ", ".join(
            f"{a['audience']} {a['pages']} ({a['rule']})" for a in connector["audiences"]
        )
        console.print(shown(f"{name}: pages by audience: {parts}"), highlight=False)
    last = connector["last_run"]
    counts = rule_counts_line(name, last["rule_counts"] if last else {}, what="last run")
    if counts:
        console.print(counts, highlight=False)
    for page in connector["withheld_pages"]:
        line = withheld_line(name, page["external_id"], page["audience"], page["reason"] or "")
        console.print(line, highlight=False)
    if connector["held"]:
        console.print(
            f"[red]{shown(name)}: {connector['held']} page(s) held for secrets: remove the "
            "secret, or release a false positive with allow_secrets or the marker "
            "'fin-ingestor: allow-secret' on its line[/red]",
            highlight=False,
        )


def _print_hidden(console: Console, connector: dict[str, Any]) -> None:
    """Hidden pages, each with when it will be deleted unless it comes back."""
    name = shown(connector["name"])
    for page in connector["hidden_pages"]:
        console.print(
            f"[magenta]{name}: hidden {shown(page['external_id'])} "
            f"{_ago(page['hidden_at'])}; deleted by the first complete sync after "
            f"{_utc(page['delete_after'])} unless it comes back[/magenta]",
            highlight=False,
        )
    more = connector["hidden"] - len(connector["hidden_pages"])
    if more > 0:
        console.print(f"{name}: … {more} more hidden page(s)", highlight=False)


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


_COUNTERS = (
    "created",
    "updated",
    "unchanged",
    "hidden",
    "deleted",
    "skipped",
    "excluded",
    "held",
    "failed",
)


def _result(run: dict[str, Any]) -> str:
    counts = ", ".join(f"{run[k]} {k}" for k in _COUNTERS if run.get(k))
    text = f"{run['status']}{' (dry run)' if run['dry_run'] else ''}"
    if run["status"] == "died" and run.get("pid") is not None:
        text += f" (pid {run['pid']})"
    return f"{text}: {counts}" if counts else text


def _ago(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    seconds = max(0, int(time.time() - timestamp))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _reconcile_data(record: ReconcileRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "id": record.id,
        "status": record.status,
        "finished_at": record.finished_at,
        "counts": record.summary.get("counts", {}),
        "duplicates": len(record.summary.get("duplicates", [])),
    }


def _print_reconcile(console: Console, connector: dict[str, Any]) -> None:
    """One line: when the last reconcile ran and what it found (docs/reconcile.md)."""
    last = connector.get("last_reconcile")
    if last is None:
        return
    counts = last["counts"]
    found = ", ".join(
        f"{counts.get(kind, 0)} {kind}" for kind in ("missing", "drifted", "orphans", "adopted")
    )
    duplicates = f", {last['duplicates']} duplicate source(s)" if last["duplicates"] else ""
    console.print(
        f"{shown(connector['name'])}: last reconcile {_ago(last['finished_at'])}: "
        f"{last['status']} ({found}{duplicates})",
        highlight=False,
    )
