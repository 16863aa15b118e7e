"""Walking Intercom's paginated lists: follow ``pages.next``, refuse loops and foreign hosts.

The rules (a link back to a listed page, pages of only known items, empty pages that keep
linking on, too many pages) are the shared ones of :func:`ingestor.http.by_token`; Intercom's
``total_count`` is not checked, because the list spans the whole workspace and other writers
change it while we walk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import httpx

from ingestor.errors import DeepPagingCapped, FatalError, IncompleteListing
from ingestor.http import DEFAULT_MAX_PAGES, Page, by_token
from ingestor.intercom._errors import Operation, invalid_response

__all__ = ["walk_list"]

log = logging.getLogger("ingestor.intercom")

#: Pages one list may take before it counts as endless.
MAX_PAGES = DEFAULT_MAX_PAGES


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
        DeepPagingCapped: A page after the first was refused with 400: the newer references'
            deep-paging cap (``page`` over 5,001 or ``page`` x ``per_page`` over 10,000).
            The items yielded before stay valid.
        FatalError: ``pages.next`` points back to a page already fetched, to another host, or
            keeps linking on from empty or already-listed pages.
    """
    last: list[httpx.Response] = []

    def page(url: str | None) -> Page[T]:
        try:
            response, data = fetch(url or first_url)
        except FatalError as exc:
            if url is not None and exc.status_code == 400:
                raise _capped(operation, exc) from exc
            raise
        last[:] = [response]
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise invalid_response(operation, response, "", "no 'data' list")
        items = [parse(response, raw) for raw in data["data"]]
        return Page(items, _next_url(operation, response, data, base_url))

    walk = by_token(
        page, operation.summary, key=lambda item: item.id, first=first_url, max_pages=MAX_PAGES
    )
    try:
        yield from walk
    except IncompleteListing as exc:
        why = str(exc).removeprefix(f"{operation.summary}: ")
        if why.startswith("pagination loop (") and why.endswith(")"):
            why = why[len("pagination loop (") : -1]
        raise _loop(operation, last[0], why) from None


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


def _capped(operation: Operation, error: FatalError) -> DeepPagingCapped:
    # Nothing of ours varies between pages but what pages.next says, so a 400 on a later page
    # is the cap ("page limit reached, please use scroll API" or parameter_invalid on page).
    log.warning("%s: deep-paging cap reached: %s", operation.summary, error)
    return DeepPagingCapped(
        f"{operation.summary}: Intercom refused a page past its deep-paging cap",
        status_code=error.status_code,
        code=error.code,
        request_id=error.request_id,
    )


def _loop(operation: Operation, response: httpx.Response, why: str) -> FatalError:
    log.error("%s: pagination loop: %s", operation.summary, why)
    return FatalError(
        f"{operation.summary}: pagination loop ({why})",
        status_code=response.status_code,
        code="pagination_loop",
        request_id=response.headers.get("x-request-id"),
    )
