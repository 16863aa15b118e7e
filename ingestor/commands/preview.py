"""``ingestor preview``: every page exactly as Fin would receive it, written to a folder.

For each page (each section, for a page split at its headings): ``<connector>/<name>.json``
holds the exact payload (title, url, html, flags) and ``<connector>/<name>.html`` shows it in a
browser. ``index.html`` lists the pages by connector with title, url, size and warnings (empty,
split, broken links, no url, could not be read), so an admin can review a sync before it
happens. Nothing is sent to Intercom and no state is written.

The output folder must be new, empty, or written by an earlier preview: preview deletes only
files it wrote (:mod:`ingestor.preview_output`). Everything shown is HTML-escaped, and only
http(s) urls become links.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingestor.commands.preview_output import PreviewFolder
from ingestor.config import Config
from ingestor.connectors.base import Connector, ConnectorSettings, Item, ListingProblem
from ingestor.convert import (
    broken_targets,
    convert_document,
    require_text,
    split_page,
    without_dead_links,
)
from ingestor.engine.runner import build_connector, page_policy, select_connectors
from ingestor.engine.sync import PagePolicy
from ingestor.errors import ConnectorError, PageError, PageSkipped
from ingestor.gate import Availability, GateDecision, PageGate

__all__ = ["PreviewRow", "write_preview"]


@dataclass
class PreviewRow:
    """One line of the index: a page, or a problem that kept one from being previewed."""

    connector: str
    external_id: str
    title: str = ""
    url: str | None = None
    size: int = 0
    file: str | None = None  # relative to the output folder
    warnings: list[str] = field(default_factory=list)
    #: Who the page is for (``customers``, ``team``...), or ``exclude``/``held``: not sent.
    audience: str = ""
    #: The listing or this page failed: a sync would fail it too (exit code 1).
    failed: bool = False


def write_preview(
    config: Config, out: Path, names: Sequence[str] | None = None
) -> list[PreviewRow]:
    """Convert every page of the selected connectors into ``out`` and write its index.

    Raises:
        UsageError: ``out`` holds files an earlier preview did not write.
    """
    selected = select_connectors(config, names)
    folder = PreviewFolder.claim(out)  # deletes the pages an earlier preview wrote, only those
    rows: list[PreviewRow] = []
    for settings in selected:
        folder.subfolder(settings.name)
        rows += _ConnectorPreview(settings, page_policy(config, settings), folder).rows()
    folder.write("index.html", _index_document(rows))
    return rows


@dataclass
class _ConnectorPreview:
    """One connector's pages, converted, checked and split as a sync would, then written."""

    settings: ConnectorSettings
    policy: PagePolicy
    folder: PreviewFolder

    def rows(self) -> list[PreviewRow]:
        name = self.settings.name
        with build_connector(self.settings) as connector:
            try:
                entries = list(connector.list())
            except ConnectorError as exc:
                return [PreviewRow(name, "(listing)", warnings=[str(exc)], failed=True)]
            known = {e.external_id for e in entries if not isinstance(e, ListingProblem)}
            rows: list[PreviewRow] = []
            for entry in entries:
                if isinstance(entry, ListingProblem):
                    rows.append(
                        PreviewRow(name, entry.where, warnings=[entry.message], failed=True)
                    )
                else:
                    rows += self._page_rows(connector, entry, known)
        return rows

    def _page_rows(
        self, connector: Connector[ConnectorSettings], entry: Item, known: set[str]
    ) -> list[PreviewRow]:
        name, policy = self.settings.name, self.policy
        try:
            document = connector.fetch(entry)
            page = convert_document(document)
            require_text(page, policy.min_text_chars)
            # the same broken links as a sync finds, sent as text as a sync sends them
            broken = broken_targets(page, document.metadata.get("missing_links", ()), known)
            if broken and self.settings.broken_links == "text":
                page = without_dead_links(page, broken)
            parts = split_page(page, policy.max_page_bytes, section_bytes=policy.section_bytes)
        except (ConnectorError, PageError) as exc:
            failed = not isinstance(exc, PageSkipped)  # a sync skips those, and fails the rest
            return [
                PreviewRow(name, entry.external_id, warnings=[f"not sent: {exc}"], failed=failed)
            ]
        gate = PageGate(
            self.settings,
            Availability(policy.ai_agent_availability, policy.ai_copilot_availability),
        )
        decision = gate.check(document, page)
        if decision.availability is None:  # its HTML is never written: it is not sent
            return [_withheld_row(name, page.external_id, decision)]
        limit = policy.split_limit(len(page.html.encode())) if len(parts) > 1 else None
        rows: list[PreviewRow] = []
        for number, part in enumerate(parts, start=1):
            row = PreviewRow(name, part.external_id, part.title, part.url)
            if number == 1:
                row.warnings += page.warnings
                row.warnings += [f"broken link to {target} (no such page)" for target in broken]
            if limit is not None:
                row.warnings.append(
                    f"split: section {number} of {len(parts)} (the page is over {limit})"
                )
            if part.url is None:
                row.warnings.append("no url: Fin will not cite this page")
            rows.append(self._written(row, part.html, decision))
        return rows

    def _written(self, row: PreviewRow, part_html: str, decision: GateDecision) -> PreviewRow:
        row.audience = f"{decision.audience} ({decision.matched})"
        row.size = len(part_html.encode("utf-8"))
        assert decision.availability is not None  # a withheld page has no part written
        row.file = _write_page(
            self.folder, self.settings.name, row, part_html, self.policy, decision.availability
        )
        return row


def _withheld_row(connector: str, external_id: str, decision: GateDecision) -> PreviewRow:
    """A page the gate keeps from Fin: listed with why, its content not written."""
    verb = "held, not sent" if decision.held else "excluded, not sent"
    return PreviewRow(
        connector, external_id, warnings=[f"{verb}: {decision.reason}"], audience=decision.audience
    )


def _write_page(
    folder: PreviewFolder,
    connector: str,
    row: PreviewRow,
    html: str,
    policy: PagePolicy,
    availability: Availability,
) -> str:
    """Write the exact payload (.json) and a browsable view (.html); return the view's path."""
    stem = _file_stem(row.external_id)
    payload = {
        "external_id": row.external_id,
        "title": row.title,
        "url": row.url,
        "html": html,
        "locale": policy.locale,
        "ai_agent_availability": availability.ai_agent,
        "ai_copilot_availability": availability.ai_copilot,
    }
    folder.write(f"{connector}/{stem}.json", json.dumps(payload, ensure_ascii=False, indent=2))
    folder.write(f"{connector}/{stem}.html", _page_document(row, html))
    return f"{connector}/{stem}.html"


def _file_stem(external_id: str) -> str:
    """A safe, unique file name for any external id (paths, unicode, ids with slashes)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", external_id).strip("._")[:60] or "page"
    return f"{readable}-{hashlib.sha1(external_id.encode()).hexdigest()[:8]}"


_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem }
table { border-collapse: collapse; width: 100% } td, th { border: 1px solid #ccc; padding: .3rem }
.meta { color: #555; border-bottom: 1px solid #ccc; margin-bottom: 1rem } .warn { color: #a40 }
"""


def _url_link(url: str) -> str:
    """A page's url, escaped; a link only when it is http(s) (never ``javascript:``)."""
    shown = html.escape(url)
    if not url.lower().startswith(("http://", "https://")):
        return shown
    return f'<a href="{shown}">{shown}</a>'


def _page_document(row: PreviewRow, body: str) -> str:
    e = html.escape
    url = _url_link(row.url) if row.url else "no url"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(row.title)}</title>'
        f"<style>{_STYLE}</style></head><body>"
        f'<div class="meta"><a href="../index.html">All pages</a> · {e(row.connector)} · '
        f"{e(row.external_id)} · {row.size:,} bytes · {url}</div>"
        f'<article id="fin-page">{body}</article></body></html>'
    )


def _index_document(rows: list[PreviewRow]) -> str:
    e = html.escape
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>fin-ingestor preview</title><style>{_STYLE}</style></head><body>",
        "<h1>What Fin would receive</h1>",
    ]
    for connector in dict.fromkeys(r.connector for r in rows):
        mine = [r for r in rows if r.connector == connector]
        warned = sum(1 for r in mine if r.warnings)
        parts.append(f"<h2>{e(connector)}: {len(mine)} pages, {warned} with warnings</h2>")
        parts.append(
            "<table><tr><th>title</th><th>audience</th><th>url</th><th>size</th>"
            "<th>warnings</th></tr>"
        )
        for r in mine:
            title = e(r.title or r.external_id)
            link = f'<a href="{e(r.file)}">{title}</a>' if r.file else title
            url = _url_link(r.url) if r.url else ""
            warnings = "<br>".join(e(w) for w in r.warnings)
            parts.append(
                f"<tr><td>{link}</td><td>{e(r.audience)}</td><td>{url}</td><td>{r.size:,}</td>"
                f'<td class="warn">{warnings}</td></tr>'
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
