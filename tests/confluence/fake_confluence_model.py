"""The data behind the fake Confluence: spaces, pages with versions, statuses and labels, and CQL.

Only the CQL the connector sends is understood (``type``, ``space in``, ``lastmodified >=``,
``label in``, ``title =``, ``ORDER BY lastmodified``); anything else is a 400, as a real server
answers a query it cannot parse. ``lastmodified`` dates are read in the API user's time zone, like
Confluence does.
"""

from __future__ import annotations

import re
import threading
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["CqlError", "FakePage", "FakeWiki", "parse_cql"]


@dataclass
class FakePage:
    id: str
    space_key: str
    title: str
    body: str
    version: int = 1
    status: str = "current"
    parent_id: str | None = None
    labels: set[str] = field(default_factory=set)
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    position: int = 0
    kind: str = "page"  # or "folder" (Cloud): an ancestor, never listed
    read_users: list[str] = field(default_factory=list)  # view restrictions
    read_groups: list[str] = field(default_factory=list)
    #: The body in storage format, when it differs from ``body`` (pages with macros).
    storage: str | None = None


class CqlError(ValueError):
    """The fake cannot parse this CQL."""


@dataclass(frozen=True)
class CqlQuery:
    spaces: frozenset[str] | None
    since: datetime | None
    labels: frozenset[str] | None
    ascending: bool | None
    title: str | None = None


_VALUES = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _values(text: str) -> frozenset[str]:
    return frozenset(v.replace('\\"', '"').replace("\\\\", "\\") for v in _VALUES.findall(text))


def parse_cql(cql: str, user_timezone: str) -> CqlQuery:
    """The fake's understanding of a CQL query."""
    text = cql.strip()
    ascending: bool | None = None
    order = re.search(r"\s+ORDER BY\s+lastmodified(?:\s+(ASC|DESC))?\s*$", text, re.I)
    if order:
        ascending = (order.group(1) or "ASC").upper() == "ASC"
        text = text[: order.start()]
    spaces = labels = None
    since = None
    title: str | None = None
    for clause in re.split(r"\s+AND\s+", text, flags=re.I):
        clause = clause.strip()
        if re.fullmatch(r"type\s*=\s*\"?page\"?", clause, re.I):
            continue
        if m := re.fullmatch(r"space\s+(?:in\s*\((.*)\)|=\s*(\".*\"))", clause, re.I):
            spaces = _values(m.group(1) or m.group(2))
        elif m := re.fullmatch(r"label\s+in\s*\((.*)\)", clause, re.I):
            labels = _values(m.group(1))
        elif m := re.fullmatch(r"title\s*=\s*(\".*\")", clause, re.I):
            [title] = _values(m.group(1))
        elif m := re.fullmatch(
            r'lastmodified\s*>=\s*"(\d{4}/\d{2}/\d{2} \d{2}:\d{2})"', clause, re.I
        ):
            local = datetime.strptime(m.group(1), "%Y/%m/%d %H:%M")
            since = local.replace(tzinfo=zoneinfo.ZoneInfo(user_timezone))
        else:
            raise CqlError(f"Could not parse cql : {cql}")
    return CqlQuery(spaces, since, labels, ascending, title)


class FakeWiki:
    """Spaces and pages, safe to change from a test while the server answers."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.spaces: dict[str, str] = {}  # key -> id
        self.pages: dict[str, FakePage] = {}
        self._next_id = 65537

    def add_space(self, key: str) -> str:
        with self.lock:
            space_id = str(98304 + len(self.spaces))
            self.spaces[key] = space_id
            return space_id

    def add_page(
        self,
        space: str,
        title: str,
        body: str = "<p>text</p>",
        *,
        parent: str | None = None,
        labels: tuple[str, ...] = (),
        status: str = "current",
        modified: datetime | None = None,
    ) -> str:
        with self.lock:
            if space not in self.spaces:
                self.add_space(space)
            page_id = str(self._next_id)
            self._next_id += 1
            self.pages[page_id] = FakePage(
                id=page_id,
                space_key=space,
                title=title,
                body=body,
                parent_id=parent,
                labels=set(labels),
                status=status,
                modified=modified or datetime.now(UTC),
                position=len(self.pages),
            )
            return page_id

    def edit(
        self,
        page_id: str,
        *,
        body: str | None = None,
        title: str | None = None,
        labels: tuple[str, ...] | None = None,
        modified: datetime | None = None,
    ) -> None:
        """An edit: a new version, a new modification time."""
        with self.lock:
            page = self.pages[page_id]
            page.body = body if body is not None else page.body
            page.title = title if title is not None else page.title
            if labels is not None:
                page.labels = set(labels)
            page.version += 1
            page.modified = modified or datetime.now(UTC)

    def move(self, page_id: str, *, space: str, parent: str | None = None) -> None:
        """Move a page (with no new version: "moved without an edit" in the connector's docs)
        to another space or parent; its descendants stay below it, as in Confluence."""
        with self.lock:
            if space not in self.spaces:
                self.add_space(space)
            moved = [page_id] + [
                p.id for p in self.pages.values() if page_id in {a.id for a in self.ancestors(p)}
            ]
            for each in moved:
                self.pages[each].space_key = space
            self.pages[page_id].parent_id = parent

    def include(self, page_id: str, target_id: str, *, excerpt: bool = False) -> None:
        """Put an include (or excerpt-include) macro of ``target_id`` into a page, rendered the
        way Confluence renders it for a viewer who may see the target (the API user): the
        target's content inside the macro's output. Storage format names the target by title
        and space key (Atlassian, "Confluence Storage Format": ``ri:page``)."""
        with self.lock:
            page, target = self.pages[page_id], self.pages[target_id]
            name = "excerpt-include" if excerpt else "include"
            space = (
                f' ri:space-key="{target.space_key}"' if target.space_key != page.space_key else ""
            )
            macro = (
                f'<ac:structured-macro ac:name="{name}" ac:schema-version="1">'
                f'<ac:parameter ac:name=""><ac:link><ri:page ri:content-title="{target.title}"'
                f"{space} /></ac:link></ac:parameter></ac:structured-macro>"
            )
            page.storage = (page.storage if page.storage is not None else page.body) + macro
            page.body += (
                f'<div class="conf-macro output-block" data-hasbody="false" '
                f'data-macro-name="{name}">{target.body}</div>'
            )

    def set_status(self, page_id: str, status: str) -> None:
        """Trash, archive or restore a page (no new version, as in Confluence)."""
        with self.lock:
            self.pages[page_id].status = status

    def purge(self, page_id: str) -> None:
        with self.lock:
            del self.pages[page_id]

    def in_space(self, key: str, statuses: set[str]) -> list[FakePage]:
        with self.lock:
            return [
                p
                for p in self.pages.values()
                if p.space_key == key and p.status in statuses and p.kind == "page"
            ]

    def ancestors(self, page: FakePage) -> list[FakePage]:
        chain: list[FakePage] = []
        parent = page.parent_id
        with self.lock:
            while parent is not None and parent in self.pages:
                chain.append(self.pages[parent])
                parent = self.pages[parent].parent_id
        return list(reversed(chain))  # root first, as Confluence lists them

    def search(self, query: CqlQuery) -> list[FakePage]:
        with self.lock:
            found = [
                p
                for p in self.pages.values()
                if p.status == "current"
                and p.kind == "page"
                and (query.spaces is None or p.space_key in query.spaces)
                and (query.labels is None or not p.labels.isdisjoint(query.labels))
                and (query.since is None or p.modified >= query.since)
                and (query.title is None or p.title == query.title)
            ]
        if query.ascending is not None:
            found.sort(key=lambda p: p.modified, reverse=not query.ascending)
        return found
