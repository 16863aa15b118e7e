"""IntercomClient lists against each of the emulator's list modes, over real sockets.

Both pagination models Intercom has used (page-number ``next`` URLs, ``starting_after``
cursors), either order, items repeated while the list changes (each yielded once, ONE warning
with the count), and the newer references' deep-paging cap (``DeepPagingCapped`` carrying how
many items were listed, so the caller can fall back).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.errors import DeepPagingCapped
from ingestor.intercom import IntercomClient, PageUpsert

URL = "https://docs.example.com/"


def fill(client: IntercomClient, count: int, *, first: int = 0, threads: int = 1) -> int:
    """Create ``count`` pages in a new source (or the first one); returns the source id."""
    sources = list(client.list_sources())
    source_id = sources[0].id if sources else client.create_source(URL).id

    def upsert(n: int) -> None:
        client.upsert_page(
            PageUpsert(
                source_id=source_id,
                external_id=f"e{n}",
                title=f"T{n}",
                html="<p>x</p>",
                url=None,
                ai_agent_availability=True,
                ai_copilot_availability=True,
            )
        )

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(upsert, range(first, first + count)))
    return source_id


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING" and r.name == "ingestor.intercom"
    ]


@pytest.mark.parametrize("pagination", ["pages", "offset", "cursor"])
@pytest.mark.parametrize("order", ["oldest_first", "newest_first"])
def test_every_model_and_order_lists_each_item_once(
    emulator: EmulatorServer, pagination: str, order: str, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.configure(pagination=pagination, list_order=order)
    with IntercomClient(emulator.token, base_url=emulator.url) as client:
        fill(client, 130)
        listed = [p.external_id for p in client.list_pages(per_page=20)]
        calls = client.stats().calls_by_operation["listExternalPages"]
    assert sorted(listed) == sorted(f"e{n}" for n in range(130))
    assert len(listed) == len(set(listed)) == 130
    numbers = [int(e[1:]) for e in listed]
    assert numbers == sorted(numbers, reverse=order == "newest_first")
    assert calls == 7  # 20 a page: 6 full pages and 10 on the seventh
    assert warnings_of(caplog) == []


def test_cursor_pages_follow_the_url_encoded_cursor(emulator: EmulatorServer) -> None:
    # The emulator's cursors are Base64 with '=' padding: a cursor sent raw is refused (400).
    emulator.configure(pagination="cursor")
    with IntercomClient(emulator.token, base_url=emulator.url) as client:
        fill(client, 45)
        assert len(list(client.list_pages(per_page=10))) == 45
        assert len(list(client.list_sources(per_page=1))) == 1
    stats = emulator.stats()
    assert stats["by_operation"]["listExternalPages"] == 5
    assert "400" not in stats["by_status"]


def test_pages_repeated_by_inserts_ahead_are_listed_once_with_one_warning(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Page-number pagination while rows are inserted ahead of the walk: every page after the
    # first repeats the previous page's last 10 rows.
    emulator.configure(pagination="offset", simulate_inserts=10)
    with IntercomClient(emulator.token, base_url=emulator.url) as client:
        fill(client, 200)
        listed = [p.external_id for p in client.list_pages(per_page=50)]
        calls = client.stats().calls_by_operation["listExternalPages"]
    assert sorted(listed) == sorted(f"e{n}" for n in range(200))
    assert calls == 5  # 40 new rows a page after the first: 50 + 40 * 3 + 30
    assert warnings_of(caplog) == [
        "list external pages: 40 items appeared on more than one page (the list changed "
        "while it was walked); each of the 200 items was used once"
    ]


def test_real_inserts_during_a_newest_first_walk(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    # The 2.14 example's order, and rows created by another writer between two fetches: the
    # new rows push the old ones down, so the next page repeats some of them.
    emulator.configure(pagination="offset", list_order="newest_first")
    with IntercomClient(emulator.token, base_url=emulator.url) as client:
        fill(client, 100)
        listed: list[str] = []
        for page in client.list_pages(per_page=30):
            listed.append(page.external_id)
            if len(listed) == 30:
                fill(client, 12, first=100)
    original = {f"e{n}" for n in range(100)}
    assert original <= set(listed)
    assert len(listed) == len(set(listed))
    assert warnings_of(caplog) == [
        "list external pages: 12 items appeared on more than one page (the list changed "
        "while it was walked); each of the 100 items was used once"
    ]


def test_a_page_of_only_repeats_is_tolerated_while_the_list_grows(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    # 25 rows inserted ahead after the first page of 20: the second page holds only rows the
    # first one listed. That is the list changing, not the server ignoring the page number.
    emulator.configure(pagination="offset", list_order="newest_first")
    with IntercomClient(emulator.token, base_url=emulator.url) as client:
        fill(client, 60)
        listed: list[str] = []
        for page in client.list_pages(per_page=20):
            listed.append(page.external_id)
            if len(listed) == 20:
                fill(client, 25, first=60)
    assert {f"e{n}" for n in range(60)} <= set(listed)
    assert len(listed) == len(set(listed))
    assert len(warnings_of(caplog)) == 1


# -- the deep-paging cap --------------------------------------------------------------------

#: Enough pages to pass the cap of 10,000 results by page number.
CAPPED = 10_050


@pytest.fixture(scope="module")
def deep_emulator() -> Iterator[EmulatorServer]:
    """One emulator holding more pages than the deep-paging cap allows to page through."""
    with EmulatorServer(EmulatorSettings(deep_paging_cap=True)) as server:
        with IntercomClient(server.token, base_url=server.url) as client:
            fill(client, CAPPED, threads=8)
        yield server


@pytest.mark.slow  # the module fixture creates 10,050 pages
def test_the_deep_paging_cap_is_a_typed_error_carrying_the_count(
    deep_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    client = IntercomClient(deep_emulator.token, base_url=deep_emulator.url)
    with client, pytest.raises(DeepPagingCapped) as info:
        for page in client.list_pages():  # 150 a page: page 67 would reach 10,050
            seen.append(page.id)
    calls = client.stats().calls_by_operation["listExternalPages"]
    assert info.value.listed == len(seen) == len(set(seen)) == 66 * 150
    assert info.value.status_code == 400 and info.value.code == "bad_request"
    assert "deep-paging cap" in str(info.value) and "9900 items" in str(info.value)
    assert calls == 67
    assert any("deep-paging cap stopped the list after 9900" in w for w in warnings_of(caplog))


@pytest.mark.slow  # the module fixture creates 10,050 pages
def test_the_cap_at_a_smaller_page_size(deep_emulator: EmulatorServer) -> None:
    client = IntercomClient(deep_emulator.token, base_url=deep_emulator.url)
    with client, pytest.raises(DeepPagingCapped) as info:
        for _ in client.list_pages(per_page=100):
            pass
    assert info.value.listed == 10_000  # page 101 x 100 passes the cap


@pytest.mark.slow  # the module fixture creates 10,050 pages
def test_a_cursor_walk_is_not_capped(deep_emulator: EmulatorServer) -> None:
    deep_emulator.configure(pagination="cursor")
    try:
        with IntercomClient(deep_emulator.token, base_url=deep_emulator.url) as client:
            assert len({p.id for p in client.list_pages()}) == CAPPED
    finally:
        deep_emulator.configure(pagination="pages")  # reset() would drop the pages
