"""A Notion CSV database as one HTML page listing its rows (pure, csv + lxml).

The first column is the row title; a row whose page was exported (a ``<Title> <id>.md`` in the
database's folder) links to that page. Relation cells (``Title (path%20<id>.md), ...``) become
links too; quoted newlines become line breaks. A byte order mark is dropped.
"""

from __future__ import annotations

import csv
import html as html_lib
import io
from collections.abc import Sequence

from ingestor.connectors.notion_export._links import LinkContext, rewrite_links
from ingestor.connectors.notion_export._render import (
    RenderedPage,
    inner_html,
    parse_fragment,
    relation_links,
)
from ingestor.errors import ConnectorError

__all__ = ["match_row_pages", "render_database"]

_TITLE_CUT = 40  # Notion cuts file-name titles near 50 characters; shorter names are whole


def _tidy(text: str) -> str:
    # file names lose characters Notion cannot put in a path ("/", ":", "?"...): compare the
    # letters and digits only
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def match_row_pages(titles: list[str], row_pages: Sequence[tuple[str, str]]) -> dict[int, str]:
    """Which row (by index) has which exported page, matching titles even when Notion cut them.

    Args:
        titles: Row titles from the CSV, in order.
        row_pages: (title from the file name, possibly truncated; page id) of each row page.

    Returns:
        Page id by row index; each page is used at most once, rows matched in order.
    """
    by_title: dict[str, list[str]] = {}
    maybe_cut: list[tuple[str, list[str]]] = []
    for title, page_id in row_pages:
        ids = by_title.setdefault(_tidy(title), [])
        ids.append(page_id)
        if len(title) >= _TITLE_CUT:
            maybe_cut.append((_tidy(title), ids))
    matched: dict[int, str] = {}
    for index, title in enumerate(titles):
        tidy = _tidy(title)
        candidates = by_title.get(tidy)
        if candidates:
            matched[index] = candidates.pop(0)
            continue
        for prefix, ids in maybe_cut:
            if ids and tidy.startswith(prefix):
                matched[index] = ids.pop(0)
                break
    return matched


def render_database(
    data: bytes,
    title: str,
    where: str,
    row_pages: Sequence[tuple[str, str]],
    ctx: LinkContext,
) -> RenderedPage:
    """Render a CSV database as a title plus one table.

    Args:
        data: The CSV file's bytes (UTF-8, with or without BOM).
        title: The database title.
        where: The CSV's path, for error messages.
        row_pages: Exported row pages: (title in the file name, page id).
        ctx: Link context of the CSV's folder.

    Returns:
        The page.

    Raises:
        ConnectorError: The CSV is not UTF-8 or not parseable.
    """
    try:
        text = data.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConnectorError(f"{where}: cannot read the database CSV: {exc}") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    parts = [f"<h1>{html_lib.escape(title, quote=False)}</h1>"]
    if rows:
        header, body = rows[0], rows[1:]
        matched = match_row_pages([row[0] if row else "" for row in body], row_pages)
        parts.append("<table><thead><tr>")
        parts.extend(f"<th>{html_lib.escape(name.strip(), quote=False)}</th>" for name in header)
        parts.append("</tr></thead><tbody>")
        for index, row in enumerate(body):
            cells = row + [""] * (len(header) - len(row))
            parts.append("<tr>")
            for column, cell in enumerate(cells):
                value = relation_links(cell.strip())
                if column == 0 and index in matched:
                    value = f'<a href="notion-page:{matched[index]}">{value}</a>'
                parts.append(f"<td>{value}</td>")
            parts.append("</tr>")
        parts.append("</tbody></table>")
        parts.append(f"<p>{len(body)} row{'s' if len(body) != 1 else ''}.</p>")
    root = parse_fragment("".join(parts))
    for link in root.iter("a"):
        href = link.get("href") or ""
        if href.startswith("notion-page:"):
            link.set("href", ctx.url_for(href.removeprefix("notion-page:")))
    notes = rewrite_links(root, ctx)
    return RenderedPage(html=inner_html(root), title=title, notes=notes)
