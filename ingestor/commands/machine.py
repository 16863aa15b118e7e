"""Machine-readable output: the JSON documents ``--json`` prints and ``sync --report`` writes.

Each document names its schema (``"schema": "fin-ingestor/sync/v1"``); the JSON Schema files
are in ``docs/schemas/`` and tests validate every document against them. Within a version,
fields are only ever added (readers ignore fields they do not know); removing a field or
changing its meaning is a new version. Order is deterministic: connectors in config order,
pages sorted by external_id, so two runs over the same data print the same bytes (timestamps
and durations aside).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingestor.engine.report import PageEvent, SyncReport
from ingestor.state import RunCounts

if TYPE_CHECKING:
    from ingestor.commands.doctor import Check
    from ingestor.errors import ConfigIssue

__all__ = [
    "PageRecorder",
    "doctor_document",
    "emit",
    "no_state_document",
    "plan_document",
    "run_report_document",
    "schema_id",
    "status_document",
    "sync_document",
    "validate_document",
    "write_report",
]

#: The version of every document this module writes; a breaking change bumps it.
VERSION = 1


def schema_id(kind: str) -> str:
    """What a document's ``schema`` field says: ``fin-ingestor/sync/v1``."""
    return f"fin-ingestor/{kind}/v{VERSION}"


def emit(document: Mapping[str, Any]) -> None:
    """Print one document on stdout, alone (everything for people goes to stderr)."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def write_report(path: Path, document: Mapping[str, Any]) -> None:
    """Write a document whole: a temporary file beside ``path``, then renamed over it, so a
    reader never sees half a report. Raises OSError."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    temporary.replace(path)


def _event(event: PageEvent) -> dict[str, Any]:
    return {
        "external_id": event.external_id,
        "outcome": event.outcome.value,
        "reason": event.reason,
        "audience": event.audience,
        "rule": event.matched,
    }


def _events(events: Iterable[PageEvent]) -> list[dict[str, Any]]:
    return [_event(e) for e in sorted(events, key=lambda e: (e.external_id, e.outcome.value))]


def _counts(report: SyncReport) -> dict[str, int]:
    counts = {f.name: int(getattr(report, f.name)) for f in dataclasses.fields(RunCounts)}
    return {**counts, "listed": report.listed, "taken_down": report.taken_down}


def connector_summary(report: SyncReport) -> dict[str, Any]:
    """One connector's run: status, counts and what needs a person (bounded lists)."""
    return {
        "connector": report.connector,
        "status": report.status,
        "dry_run": report.dry_run,
        "run_id": report.run_id,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "duration_seconds": round(report.duration, 3),
        "counts": _counts(report),
        "listing_complete": report.listing_complete,
        "listing_problems": list(report.listing_problems),
        "deletion_blocked": report.deletion_blocked,
        "error": report.error,
        "source_change": report.source_change,
        "failures": _events(report.failures),
    }


def sync_document(
    reports: Sequence[SyncReport], exit_code: int, *, error: str | None = None
) -> dict[str, Any]:
    """``sync --json``: the summary, plus every planned change in a dry run; ``error``: why
    the sync could not run at all (the daemon that ran it said so)."""
    connectors = []
    for report in reports:
        summary = connector_summary(report)
        if report.dry_run:
            summary["changes"] = _events(report.changes)
        connectors.append(summary)
    return {
        "schema": schema_id("sync"),
        "exit_code": exit_code,
        "error": error,
        "connectors": connectors,
    }


def run_report_document(
    reports: Sequence[SyncReport], pages: Mapping[str, Sequence[PageEvent]], exit_code: int
) -> dict[str, Any]:
    """``sync --report FILE``: every page the run processed with its outcome and reason, the
    errors, broken links, withheld (excluded and held) pages and deletions the guard kept.

    Pages the version gate found unchanged are counted (``counts.unchanged``), not listed:
    the run never looked at them.
    """
    connectors = []
    for report in reports:
        summary = connector_summary(report)
        summary.update(
            pages=_events(pages.get(report.connector, ())),
            skipped_pages=_events(report.skips),
            withheld_pages=_events(report.withheld),
            broken_links=[
                {"page": page, "missing": missing} for page, missing in sorted(report.broken_links)
            ],
            held_back=sorted(report.held_back),
        )
        connectors.append(summary)
    return {"schema": schema_id("run-report"), "exit_code": exit_code, "connectors": connectors}


def plan_document(
    reports: Sequence[SyncReport],
    *,
    would_change: bool,
    orphans: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """``plan --json``: what a sync would do per connector, page by page and why."""
    connectors = []
    for report in reports:
        connectors.append(
            {
                "connector": report.connector,
                "counts": _counts(report),
                "changes": _events(report.changes),
                "source_change": report.source_change,
                "deletion_blocked": report.deletion_blocked,
                "held_back": sorted(report.held_back),
                "withheld_pages": _events(report.withheld),
                "skipped_pages": _events(report.skips),
                "failures": _events(report.failures),
                "rule_counts": dict(sorted(report.rule_counts.items())),
            }
        )
    return {
        "schema": schema_id("plan"),
        "would_change": would_change,
        "connectors": connectors,
        "orphans": list(orphans),
    }


def status_document(data: Mapping[str, Any]) -> dict[str, Any]:
    """``status --json``: :func:`ingestor.status.status_data`, which is plain data already."""
    return {"schema": schema_id("status"), "state_exists": True, **data}


def no_state_document(state: str) -> dict[str, Any]:
    """``status --json`` before the first sync: no state database yet, so nothing to list."""
    return {
        "schema": schema_id("status"),
        "state_exists": False,
        "state": state,
        "connectors": [],
        "orphans": [],
    }


def _issue(issue: ConfigIssue) -> dict[str, Any]:
    return {"file": issue.file, "line": issue.line, "key": issue.path, "message": issue.message}


def validate_document(
    config_file: str,
    *,
    errors: Sequence[ConfigIssue],
    warnings: Sequence[ConfigIssue] = (),
    state: str | None = None,
    connectors: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """``validate --json``: valid or not, every error and warning with file, line and key."""
    return {
        "schema": schema_id("validate"),
        "config": config_file,
        "valid": not errors,
        "errors": [_issue(i) for i in errors],
        "warnings": [_issue(i) for i in warnings],
        "state": state,
        "connectors": list(connectors),
    }


def doctor_document(checks: Sequence[Check]) -> dict[str, Any]:
    """``doctor --json``: each check in the order it ran, with its verdict and fix."""
    return {
        "schema": schema_id("doctor"),
        "ok": all(check.verdict != "failed" for check in checks),
        "checks": [
            {"name": c.name, "verdict": c.verdict, "detail": c.detail, "hint": c.hint}
            for c in checks
        ],
    }


class PageRecorder:
    """A :class:`~ingestor.report.SyncObserver` that keeps every page event when ``keep`` (for
    ``--report``: about 250 bytes a page, so only then) and passes everything on to the
    observer it wraps (the progress bar)."""

    def __init__(self, inner: Any, *, keep: bool = True) -> None:
        self.inner = inner
        self.keep = keep
        self.pages: dict[str, list[PageEvent]] = {}

    def __enter__(self) -> PageRecorder:
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.inner.__exit__(*exc)

    def listed(self, connector: str, *, total: int, to_process: int) -> None:
        self.pages.setdefault(connector, [])
        self.inner.listed(connector, total=total, to_process=to_process)

    def page_done(self, connector: str, event: PageEvent) -> None:
        if self.keep:
            self.pages.setdefault(connector, []).append(event)  # list.append is atomic
        self.inner.page_done(connector, event)
