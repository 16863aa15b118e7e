"""Incremental MediaWiki listing: recent changes and log events since a cursor.

The cursor is ``mw1:<ISO timestamp>`` taken from the wiki's own clock (``curtimestamp``) at the
start of a run. ``list_changes`` then:

1. asks the wiki's time; a cursor older than ``incremental_max_age`` (the wiki purges recent
   changes after ``$wgRCMaxAge``) or unreadable returns None: the engine lists in full;
2. reads ``list=recentchanges`` (edits and new pages under titles in scope; delete, move,
   import and merge log entries under any title, since a page may move into scope) and
   ``list=logevents`` (``delete`` and ``move``, whose ``logpage`` names the page id even after
   the page is gone) from ``cursor - overlap`` to that time, following ``continue``;
3. re-reads the current state of every page id found (``prop=info``, plus ``categories`` when
   category filters are set), 50 ids per call: a page in scope now is a changed :class:`Item`
   (the version gate skips unchanged ones); a page that no longer exists, became a redirect
   or left the scope (moved to another namespace or prefix, into an excluded category) is
   deleted, if an entry showed it under a title in scope (pages never in scope are ignored).

So a moved page keeps its id and comes back with its new title and url; an undeleted page
comes back; a page's identity never comes from its title, which changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ingestor.connectors.base import Changes, Item
from ingestor.connectors.mediawiki._pages import ID_BATCH, page_infos
from ingestor.errors import ConnectorError

if TYPE_CHECKING:
    from ingestor.connectors.mediawiki._connector import MediaWikiConnector

__all__ = ["CURSOR_PREFIX", "format_cursor", "list_changes", "parse_cursor", "parse_timestamp"]

CURSOR_PREFIX = "mw1:"
#: Log types whose entries can change which pages exist, or where.
_PAGE_LOG_TYPES = frozenset({"delete", "move", "import", "merge"})
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_cursor(moment: datetime) -> str:
    """``mw1:2026-01-31T12:00:00Z``."""
    return CURSOR_PREFIX + moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_cursor(cursor: str) -> datetime | None:
    """The moment a cursor stands for, or None when it is not one of ours."""
    if not cursor.startswith(CURSOR_PREFIX):
        return None
    try:
        return datetime.strptime(cursor[len(CURSOR_PREFIX) :], _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_timestamp(value: Any, label: str) -> datetime:
    """A MediaWiki ISO timestamp (``2026-01-31T12:00:00Z``) as an aware datetime.

    Raises:
        ConnectorError: The wiki sent something else.
    """
    try:
        return datetime.strptime(str(value), _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ConnectorError(f"{label}: the wiki sent no usable timestamp ({value!r})") from None


def list_changes(connector: MediaWikiConnector, cursor: str) -> Changes | None:
    """See the module docstring.

    Raises:
        ConnectorError: A call failed: the run deletes nothing and keeps the old cursor.
    """
    since = parse_cursor(cursor)
    if since is None:
        return None
    api, settings = connector.api, connector.settings
    now = parse_timestamp(
        api.call({"action": "query", "curtimestamp": "1"}).get("curtimestamp"), connector.label
    )
    if now - since > settings.incremental_max_age:
        return None
    window = {
        "start": (since - settings.overlap).strftime(_TIME_FORMAT),
        "end": now.strftime(_TIME_FORMAT),
    }
    # page id -> whether any entry showed it under a title in scope (only those can be deleted)
    candidates: dict[int, bool] = {}
    for page_id, in_scope in _recent_changes(connector, window) + _log_events(connector, window):
        candidates[page_id] = candidates.get(page_id, False) or in_scope
    changed: list[Item] = []
    deleted: list[str] = []
    ordered = sorted(candidates)
    categories = connector.scope.category_names if connector.scope.uses_categories else None
    for start in range(0, len(ordered), ID_BATCH):
        batch = ordered[start : start + ID_BATCH]
        pages = page_infos(api, batch, with_categories=categories)
        for page_id in batch:
            page = pages.get(page_id)
            if page is not None and connector.scope.admits(page):
                changed.append(Item(str(page_id), str(page.revision), locator=page.url))
            elif candidates[page_id]:
                deleted.append(str(page_id))
    return Changes(changed=changed, deleted=deleted, cursor=format_cursor(now))


def _recent_changes(
    connector: MediaWikiConnector, window: dict[str, str]
) -> list[tuple[int, bool]]:
    """(page id, title in scope) of edits to titles in scope and of page log entries."""
    scope = connector.scope
    found: list[tuple[int, bool]] = []
    params = {
        "list": "recentchanges",
        "rcstart": window["start"],
        "rcend": window["end"],
        "rcdir": "newer",
        "rctype": "edit|new|log",
        "rcprop": "ids|title|timestamp|loginfo",
        "rclimit": str(connector.settings.page_size),
    }
    for body in connector.api.query(params):
        for change in body.get("query", {}).get("recentchanges", []):
            page_id = int(change.get("pageid") or 0)
            kind = change.get("type")
            if not page_id or kind not in ("edit", "new", "log"):
                continue
            in_scope = scope.admits_title(int(change.get("ns", 0)), str(change.get("title", "")))
            # a log entry (a move into scope) counts even under an out-of-scope title
            if in_scope or (kind == "log" and change.get("logtype") in _PAGE_LOG_TYPES):
                found.append((page_id, in_scope))
    return found


def _log_events(connector: MediaWikiConnector, window: dict[str, str]) -> list[tuple[int, bool]]:
    """(page id, title in scope) of deletions and moves."""
    scope = connector.scope
    found: list[tuple[int, bool]] = []
    for log_type in ("delete", "move"):
        params = {
            "list": "logevents",
            "letype": log_type,
            "lestart": window["start"],
            "leend": window["end"],
            "ledir": "newer",
            "leprop": "ids|title|type|timestamp",
            "lelimit": str(connector.settings.page_size),
        }
        for body in connector.api.query(params):
            for event in body.get("query", {}).get("logevents", []):
                # `logpage` keeps the id of a deleted or moved page (1.39); `pageid` is 0 then
                page_id = int(event.get("logpage") or event.get("pageid") or 0)
                if page_id:
                    title = str(event.get("title", ""))
                    found.append((page_id, scope.admits_title(int(event.get("ns", 0)), title)))
    return found
