"""How the fake Confluence paginates and rate-limits: the real servers' quirks, each a switch.

Data Center / Server REST v1 (``start``/``limit``), all ON by default because real servers
do this:

* ``silent_caps``: ``limit`` is capped without a word (content listings 100 with expansions,
  500 without; CQL search 50 with a body expansion, 200 with other expansions, 1000 with
  none; Atlassian KB "Searching for content with the REST API and CQL always limits results
  to 50"), and ``_links.next`` is computed from the limit *asked*: next ``start`` = ``start``
  + requested ``limit`` (CONFSERVER-95272, CONFSERVER-95312). Off: next = start + capped.
* ``next_past_end``: ``_links.next`` is written even when nothing follows, and pages past
  the end answer empty results with yet another ``next`` (CONFSERVER-95396, reported from
  200 results on 7.19.21, 8.5.8, 8.9.0; the fake does it at any count: stricter). The fake
  stops linking after ``past_end_pages`` empty pages only so that a client that follows
  ``next`` blindly ends instead of hanging a test.
* ``wrong_size``: ``size`` says the page's limit, not how many results it holds
  (CONFSERVER-95396: "size 50 ... it should be 28").
* ``scan``: ``GET /rest/api/content/scan`` exists (Confluence 7.18+, "Confluence REST API
  examples: browse content"), cursor ``content:false:<last id>``. Off: an older server,
  where the path falls to ``/content/{id}`` and answers 404.

Cloud REST v2 (cursor): the next page is in ``_links.next`` and in ``Link: <...>;
rel="next"`` (Cloud v2 OpenAPI: ``MultiEntityResult._links`` and the ``Link`` response header).

* ``link_header_only``: only the header carries it (stricter than the spec, whose v2
  reference documents the header as the way to the next page). Default off.

A server bug switch for both: ``loop`` makes every ``next`` link point back at the first
page (a loop a client must refuse, not follow for ever).

Rate limits (:func:`rate_limit_headers`): Cloud answers 429 with ``Retry-After`` in seconds
(some 503s too) and ``X-RateLimit-Reset`` as an ISO-8601 timestamp ("Rate limiting", Cloud
developer docs); Data Center answers 429 with ``X-RateLimit-Limit/Remaining/FillRate/
Interval-Seconds`` and ``Retry-After``, which is 9223372036854775807 (Long.MAX_VALUE) for a
user whose allowance is zero ("Improving instance stability with rate limiting", DC docs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

__all__ = [
    "DC_ZERO_ALLOWANCE",
    "PagingQuirks",
    "cloud_page",
    "offset_page",
    "rate_limit_headers",
    "scan_page",
]

Answer = tuple[int, Any, dict[str, str]]
Query = dict[str, list[str]]

#: Data Center's Retry-After for a user whose rate-limit allowance is zero (Long.MAX_VALUE).
DC_ZERO_ALLOWANCE = "9223372036854775807"


@dataclass
class PagingQuirks:
    """Switches of the fake's pagination (see the module docstring for what each does)."""

    silent_caps: bool = True
    next_past_end: bool = True
    wrong_size: bool = True
    past_end_pages: int = 20
    scan: bool = True
    link_header_only: bool = False
    loop: bool = False
    #: Empty pages served past the end so far (for ``past_end_pages``).
    served_past_end: int = 0

    @classmethod
    def ideal(cls) -> PagingQuirks:
        """A server that does what the references say and nothing else."""
        return cls(silent_caps=False, next_past_end=False, wrong_size=False)


def _rest(query: Query, drop: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(k, v) for k, values in query.items() for v in values if k not in drop]


def offset_page(
    quirks: PagingQuirks, path: str, query: Query, items: list[Any], cap: int
) -> dict[str, Any]:
    """A Data Center v1 ``start``/``limit`` page of ``items`` (``cap``: the silent cap)."""
    requested = int(query.get("limit", ["25"])[0])
    limit = min(requested, cap)
    start = int(query.get("start", ["0"])[0])
    page = items[start : start + limit]
    step = requested if quirks.silent_caps else limit
    more = start + limit < len(items)
    if not more and quirks.next_past_end and quirks.served_past_end < quirks.past_end_pages:
        more = True
        if not page:
            quirks.served_past_end += 1
    links: dict[str, str] = {"self": path}
    if more:
        target = 0 if quirks.loop else start + step
        rest = [*_rest(query, ("start",)), ("start", str(target))]
        links["next"] = f"{path}?{urlencode(rest)}"
    size = limit if quirks.wrong_size and more else len(page)
    return {"results": page, "start": start, "limit": limit, "size": size, "_links": links}


def scan_page(path: str, query: Query, items: list[Any], cap: int, *, loop: bool) -> dict[str, Any]:
    """A Data Center ``content/scan`` page: ``items`` sorted by id, cursor after the last id."""
    limit = min(int(query.get("limit", ["25"])[0]), cap)
    cursor = query.get("cursor", [""])[0]
    after = int(cursor.rsplit(":", 1)[-1]) if cursor else -1
    rest = [item for item in items if int(item["id"]) > after]
    page = rest[:limit]
    body: dict[str, Any] = {"results": page, "limit": limit, "size": len(page)}
    links: dict[str, str] = {"self": path}
    if len(rest) > limit:
        last = "-1" if loop else str(page[-1]["id"])
        body["nextCursor"] = f"content:false:{last}"
        query_rest = [*_rest(query, ("cursor",)), ("cursor", body["nextCursor"])]
        links["next"] = f"{path}?{urlencode(query_rest)}"
    if cursor:
        body["cursor"] = cursor
    body["_links"] = links
    return body


def cloud_page(
    quirks: PagingQuirks,
    path: str,
    query: Query,
    items: list[Any],
    cursor: Callable[[int], str],
    offset: int,
) -> Answer:
    """A Cloud v2 cursor page from ``offset``: ``_links.next`` and the ``Link`` header."""
    limit = min(int(query.get("limit", ["25"])[0]), 250)
    page = items[offset : offset + limit]
    links: dict[str, str] = {}
    headers: dict[str, str] = {}
    if offset + limit < len(items):
        target = cursor(0 if quirks.loop else offset + limit)
        rest = [*_rest(query, ("cursor",)), ("cursor", target)]
        nxt = f"{path}?{urlencode(rest)}"
        headers["Link"] = f'<{nxt}>; rel="next"'
        if not quirks.link_header_only:
            links["next"] = nxt
    return 200, {"results": page, "_links": links}, headers


def rate_limit_headers(deployment: str, retry_after: str | None, reset_in: float) -> dict[str, str]:
    """The headers of a 429 as each deployment sends them."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    if deployment == "cloud":
        reset = datetime.now(UTC) + timedelta(seconds=reset_in)
        headers["X-RateLimit-Reset"] = reset.isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        )
        return headers
    return headers | {
        "X-RateLimit-Limit": "20",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-FillRate": "0" if retry_after == DC_ZERO_ALLOWANCE else "2",
        "X-RateLimit-Interval-Seconds": "1",
    }
