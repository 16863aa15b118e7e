"""Pagination that is complete or says it is not: the rules every paginated listing follows.

The APIs fin-ingestor reads paginate in two ways:

* **Offsets** (Confluence Data Center ``start``/``limit``): the client names the position.
  Servers cap ``limit`` silently and compute their ``next`` link from the limit *asked*, and
  some versions link past the end with empty pages or report a wrong ``size``. So the next
  ``start`` is the previous one plus the number of results actually received, and only an
  empty page ends the listing (:func:`by_offset`); ``next`` and ``size`` prove nothing.
* **Tokens** (cursors, next URLs, MediaWiki ``continue``, Intercom ``pages.next``): the server
  hands out the next position; a page without one ends the listing (:func:`by_token`).

Either way a listing that cannot prove it reached its end raises :class:`IncompleteListing`
(what was yielded before stays valid; the caller deletes nothing): a token seen twice (a
loop), more than ``max_stale`` non-empty pages in a row holding only items already listed (the
server ignores the position), ``max_empty`` empty pages in a row that still link on, more than
``max_pages`` pages, or fewer items than a total the server reported for the whole listing.

An item seen again is skipped. Page-number lists repeat items when rows are inserted ahead of
the walk (a newest-first list, new rows at its head), so a page may even hold nothing new:
``max_stale`` (0 by default) says how many such pages in a row a caller accepts before it
believes the server ignores the position. Both walks return (as the generator's value) how many
repeated items they skipped, for the caller to report.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ingestor.errors import IncompleteListing

__all__ = ["DEFAULT_MAX_PAGES", "Page", "by_offset", "by_token"]

T = TypeVar("T")

#: Pages one listing may take before it counts as endless (10 million items at 100 a page).
DEFAULT_MAX_PAGES = 100_000
#: Empty pages in a row that still link on before a token listing counts as endless.
DEFAULT_MAX_EMPTY = 3


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One answer of a paginated API, as the caller read it."""

    items: Sequence[T]
    #: The token that fetches the next page (token pagination); None: this was the last page.
    next: str | None = None
    #: How many items the server says the whole listing holds, when it says so.
    total: int | None = None


class _Tally(Generic[T]):
    """Pages and items seen so far, and the checks on them."""

    def __init__(
        self,
        what: str,
        key: Callable[[T], Hashable] | None,
        max_pages: int,
        max_stale: int = 0,
    ) -> None:
        self.what, self.key, self.max_pages, self.max_stale = what, key, max_pages, max_stale
        self.pages = 0
        self.count = 0
        self.repeated = 0  # items skipped because an earlier page listed them
        self.stale = 0  # non-empty pages in a row that held only items already listed
        self.total: int | None = None
        self.seen: set[Hashable] = set()

    def take(self, page: Page[T]) -> list[T]:
        """The page's items not listed before."""
        self.pages += 1
        if self.pages > self.max_pages:
            raise IncompleteListing(
                f"{self.what}: more than {self.max_pages} pages; the server keeps paginating"
            )
        if page.total is not None:
            self.total = page.total
        if self.key is None:
            self.count += len(page.items)
            return list(page.items)
        fresh: list[T] = []
        for item in page.items:
            identity = self.key(item)
            if identity not in self.seen:
                self.seen.add(identity)
                fresh.append(item)
        self.repeated += len(page.items) - len(fresh)
        self.stale = self.stale + 1 if page.items and not fresh else 0
        if self.stale > self.max_stale:
            raise IncompleteListing(
                f"{self.what}: pagination loop (page {self.pages} repeated only items "
                f"already listed{self._in_a_row()})"
            )
        self.count += len(fresh)
        return fresh

    def _in_a_row(self) -> str:
        return f", {self.stale} pages in a row" if self.stale > 1 else ""

    def finish(self) -> None:
        if self.total is not None and self.count < self.total:
            raise IncompleteListing(
                f"{self.what}: the listing ended after {self.count} of the {self.total} "
                "items the server reported"
            )


def by_offset(
    fetch: Callable[[int], Page[T]],
    what: str,
    *,
    key: Callable[[T], Hashable] | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Generator[T, None, int]:
    """Yield every item of an offset-paginated listing, each once; return how many repeated
    items were skipped.

    Args:
        fetch: Reads the page that starts at an offset (``Page.next`` is ignored).
        what: Names the listing in messages, e.g. "pages of space ENG".
        key: An item's identity; duplicates are skipped and a page of only known items
            means the server ignores the offset. None: no identity checks.
        max_pages: Pages after which the listing counts as endless.

    Raises:
        IncompleteListing: The listing cannot prove it reached its end.
    """
    tally = _Tally(what, key, max_pages)
    start = 0
    while True:
        page = fetch(start)
        if not page.items:
            tally.finish()
            return tally.repeated
        yield from tally.take(page)
        start += len(page.items)


def by_token(
    fetch: Callable[[str | None], Page[T]],
    what: str,
    *,
    key: Callable[[T], Hashable] | None = None,
    first: str | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_empty: int = DEFAULT_MAX_EMPTY,
    max_stale: int = 0,
) -> Generator[T, None, int]:
    """Yield every item of a token-paginated listing, each once; return how many repeated
    items were skipped.

    Args:
        fetch: Reads the page a token names (``first`` for the first page).
        what: Names the listing in messages.
        key: As for :func:`by_offset`.
        first: The first page's token, when it has one (a URL): a link back to it is a loop.
        max_pages: Pages after which the listing counts as endless.
        max_empty: Empty pages in a row that still link on after which it counts as endless.
        max_stale: Pages in a row of only already-listed items accepted (the list changed
            while it was walked) before the server counts as ignoring the position.

    Raises:
        IncompleteListing: The listing cannot prove it reached its end.
    """
    tally = _Tally(what, key, max_pages, max_stale)
    tokens: set[str] = {first} if first is not None else set()
    token = first
    empty = 0
    while True:
        page = fetch(token)
        yield from tally.take(page)
        empty = 0 if page.items else empty + 1
        if page.next is None:
            tally.finish()
            return tally.repeated
        if page.next in tokens:
            raise IncompleteListing(
                f"{what}: pagination loop (the next token {page.next!r} leads back to a page "
                "already listed)"
            )
        if empty >= max_empty:
            raise IncompleteListing(f"{what}: {empty} empty pages in a row still link on")
        tokens.add(page.next)
        token = page.next
