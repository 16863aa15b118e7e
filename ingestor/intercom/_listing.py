"""Walking Intercom's paginated lists: follow ``pages.next``, refuse loops and foreign hosts.

The rules (a link back to a listed page, pages of only known items, empty pages that keep
linking on, too many pages) are the shared ones of :func:`ingestor.http.by_token`; Intercom's
``total_count`` is not checked, because the list spans the whole workspace and other writers
change it while we walk.

Intercom has used two pagination models: page-number ``next`` URLs (2.14's ``pages``) and
``{"starting_after": <cursor>}`` objects (``cursor_pages`` of the newer list endpoints); both are
followed. The order is not assumed (2.14's example lists newest first). A page-number list
walked while other writers add rows ahead of the walk repeats items on later pages: each item
is yielded once, the repeats are counted and reported in ONE warning, and up to
:data:`MAX_STALE_PAGES` pages in a row holding nothing new are accepted (a real loop still shows
as a ``next`` link seen before). The newer references cap deep paging (``page`` over 5,001 or
``page`` x ``per_page`` over 10,000 answer 400 ``parameter_invalid`` or ``bad_request`` "page
limit reached, please use scroll API"): that answer to a later page is
:class:`~ingestor.errors.DeepPagingCapped`, carrying how many items were listed, for the caller
to fall back to reads by id.
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
#: Pages in a row of only already-listed items accepted while the list changes under the walk.
MAX_STALE_PAGES = 5
#: Error codes of the deep-paging cap's 400 (Intercom's Preview reference of List external pages).
_CAP_CODES = frozenset({"parameter_invalid", "bad_request"})


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
        DeepPagingCapped: A later page was refused by the deep-paging cap.
    """
    last: list[httpx.Response] = []
    listed = [0]

    def page(url: str | None) -> Page[T]:
        target = url or first_url
        try:
            response, data = fetch(target)
        except FatalError as exc:
            if target != first_url and _is_cap(exc):
                raise _capped(operation, exc, listed[0]) from exc
            raise
        last[:] = [response]
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise invalid_response(operation, response, "", "no 'data' list")
        items = [parse(response, raw) for raw in data["data"]]
        return Page(items, _next_url(operation, response, data, base_url))

    walk = by_token(
        page,
        operation.summary,
        key=lambda item: item.id,
        first=first_url,
        max_pages=MAX_PAGES,
        max_stale=MAX_STALE_PAGES,
    )
    try:
        while True:
            try:
                item = next(walk)
            except StopIteration as done:
                _report_repeats(operation, done.value, listed[0])
                return
            listed[0] += 1
            yield item
    except IncompleteListing as exc:
        why = str(exc).removeprefix(f"{operation.summary}: ")
        if why.startswith("pagination loop (") and why.endswith(")"):
            why = why[len("pagination loop (") : -1]
        raise _loop(operation, last[0], why) from None


def _report_repeats(operation: Operation, repeated: int, listed: int) -> None:
    if repeated:
        log.warning(
            "%s: %d item%s appeared on more than one page (the list changed while it was "
            "walked); each of the %d items was used once",
            operation.summary,
            repeated,
            "" if repeated == 1 else "s",
            listed,
        )


def _is_cap(error: FatalError) -> bool:
    """Whether a refused later page is the deep-paging cap (400 naming the page limit)."""
    said = str(error).lower()
    return (
        error.status_code == 400
        and error.code in _CAP_CODES
        and any(sign in said for sign in ("(field page)", "page limit", "scroll api"))
    )


def _capped(operation: Operation, error: FatalError, listed: int) -> DeepPagingCapped:
    log.warning(
        "%s: Intercom's deep-paging cap stopped the list after %d items", operation.summary, listed
    )
    capped = DeepPagingCapped(  # the error's message already names its status and request id
        f"{operation.summary}: Intercom refused to page further after {listed} items "
        f"(its deep-paging cap: at most 10,000 results by page number): {error}",
        listed=listed,
    )
    capped.status_code, capped.code = error.status_code, error.code
    capped.request_id = error.request_id
    return capped


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
