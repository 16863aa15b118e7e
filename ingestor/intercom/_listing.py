"""Walking Intercom's paginated lists: follow ``pages.next``, refuse loops and foreign hosts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import httpx

from ingestor.errors import FatalError
from ingestor.intercom._errors import Operation, invalid_response

__all__ = ["walk_list"]

log = logging.getLogger("ingestor.intercom")

#: A listing whose pages come back empty this many times in a row while still linking on loops.
_MAX_EMPTY_PAGES = 3


class _Identified(Protocol):
    @property
    def id(self) -> int | str: ...


T = TypeVar("T", bound=_Identified)


def walk_list(
    operation: Operation,
    first_url: str,
    *,
    fetch: Callable[[str], tuple[httpx.Response, object]],
    parse: Callable[[httpx.Response, object], T],
    base_url: httpx.URL,
) -> Iterator[T]:
    """Yield every item of a list, page after page, each item once.

    Args:
        operation: The list operation (for messages).
        first_url: Path or URL of the first page.
        fetch: Sends GET to a URL; returns the response and its decoded JSON.
        parse: Turns one element of ``data`` into an item (raising the operation's error).
        base_url: The API root; ``pages.next`` must stay on its scheme, host and port.

    Raises:
        FatalError: ``pages.next`` points back to a page already fetched, to another host, or
            keeps linking on from empty or already-listed pages.
    """
    fetched: set[str] = set()
    seen_ids: set[int | str] = set()
    empty_in_a_row = 0
    url = first_url
    while True:
        response, data = fetch(url)
        fetched.add(str(response.request.url))
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise invalid_response(operation, response, "", "no 'data' list")
        items = [parse(response, raw) for raw in data["data"]]
        fresh = [item for item in items if item.id not in seen_ids]
        if items and not fresh:
            raise _loop(operation, response, "a page repeated only items already listed")
        empty_in_a_row = 0 if items else empty_in_a_row + 1
        for item in fresh:
            seen_ids.add(item.id)
            yield item
        next_url = _next_url(operation, response, data, base_url)
        if next_url is None:
            return
        if next_url in fetched:
            raise _loop(operation, response, "pages.next leads back to a page already listed")
        if empty_in_a_row >= _MAX_EMPTY_PAGES:
            raise _loop(operation, response, f"{empty_in_a_row} empty pages in a row")
        url = next_url


def _next_url(
    operation: Operation, response: httpx.Response, data: dict[str, Any], base: httpx.URL
) -> str | None:
    pages = data.get("pages")
    link = pages.get("next") if isinstance(pages, dict) else None
    if link is None or link == "":
        return None
    if isinstance(link, dict) and isinstance(link.get("starting_after"), str):
        # The cursor form other Intercom lists use: same path, starting_after=<cursor>.
        target = response.request.url.copy_merge_params({"starting_after": link["starting_after"]})
    elif isinstance(link, str):
        target = response.request.url.join(link)
    else:
        raise invalid_response(operation, response, "", "pages.next is not a link")
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
        # Following it would send the token to another host.
        raise FatalError(
            f"{operation.summary}: pages.next points outside {base.scheme}://{base.host}",
            status_code=response.status_code,
            code="pagination_foreign_host",
        )
    return str(target)


def _loop(operation: Operation, response: httpx.Response, why: str) -> FatalError:
    log.error("%s: pagination loop: %s", operation.summary, why)
    return FatalError(
        f"{operation.summary}: pagination loop ({why})",
        status_code=response.status_code,
        code="pagination_loop",
        request_id=response.headers.get("x-request-id"),
    )
