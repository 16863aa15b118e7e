"""IntercomClient against the real emulator (uvicorn over real sockets)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.errors import AuthenticationError, IntercomUnreachable, PageError, RetriableError
from ingestor.http import RateBudget, RetryPolicy
from ingestor.intercom import ContentImportSource, IntercomClient, PageUpdate, PageUpsert

FAST_RETRIES = RetryPolicy(max_attempts=8, base_delay=0.01, max_delay=0.2)


StartEmulator = Callable[[EmulatorSettings], EmulatorServer]


@pytest.fixture
def server(emulator: EmulatorServer) -> EmulatorServer:
    """The shared session emulator (tests/conftest.py), emptied for this test."""
    return emulator


def adopt_or_create(client: IntercomClient, url: str) -> ContentImportSource:
    """What the engine does: creating a source is not idempotent, so re-list and adopt by url."""
    for _ in range(10):
        found = next((s for s in client.list_sources() if s.url == url), None)
        if found is not None:
            return found
        try:
            return client.create_source(url)
        except RetriableError:
            continue
    raise AssertionError("could not create the source")


def upsert(client: IntercomClient, source_id: int, n: int) -> None:
    client.upsert_page(
        PageUpsert(
            source_id=source_id,
            external_id=f"docs/page-{n}.md",
            title=f"Page {n}",
            html=f"<p>Body {n}</p>",
            url=f"https://docs.example/page-{n}",
            ai_agent_availability=True,
            ai_copilot_availability=n % 2 == 0,
        )
    )


def test_all_ten_operations(server: EmulatorServer) -> None:
    with IntercomClient(server.token, base_url=server.url) as client:
        source = client.create_source("https://docs.example/")
        assert source.sync_behavior == "api"
        assert client.get_source(source.id) == source
        moved = client.update_source(source.id, url="https://docs.example/v2", status="active")
        assert moved.url == "https://docs.example/v2"
        assert [s.id for s in client.list_sources()] == [source.id]

        page = client.upsert_page(
            PageUpsert(
                source_id=source.id,
                external_id="intro",
                title="Intro",
                html="<p>Hi</p>",
                url="https://docs.example/intro",
                ai_agent_availability=True,
                ai_copilot_availability=False,
            )
        )
        assert (page.ai_agent_availability, page.ai_copilot_availability) == (True, False)
        same = client.upsert_page(
            PageUpsert(
                source_id=source.id,
                external_id="intro",
                title="Intro 2",
                html="<p>Hi again</p>",
                url="https://docs.example/intro",
                ai_agent_availability=False,
                ai_copilot_availability=True,
            )
        )
        assert same.id == page.id
        assert (same.ai_agent_availability, same.ai_copilot_availability) == (False, True)
        assert client.get_page(page.id).title == "Intro 2"
        put = client.update_page(
            page.id,
            PageUpdate(
                title="Put",
                html="<p>put</p>",
                url="https://docs.example/put",
                source_id=source.id,
                external_id="intro",
            ),
        )
        assert put.title == "Put"
        assert [p.id for p in client.list_pages()] == [page.id]
        assert client.delete_page(page.id).id == page.id
        with pytest.raises(PageError) as gone:
            client.get_page(page.id)
        assert (gone.value.status_code, gone.value.code) == (404, "not_found")
        client.delete_source(source.id)
        assert list(client.list_sources()) == []

        stats = client.stats()
    emulator = server.stats()
    assert emulator["by_operation"] == stats.calls_by_operation
    assert set(stats.calls_by_operation) == {
        "createContentImportSource",
        "getContentImportSource",
        "updateContentImportSource",
        "listContentImportSources",
        "deleteContentImportSource",
        "createExternalPage",
        "getExternalPage",
        "updateExternalPage",
        "listExternalPages",
        "deleteExternalPage",
    }
    assert emulator["intercom_versions"] == {"2.14": stats.calls}


def test_listing_walks_every_page(server: EmulatorServer) -> None:
    with IntercomClient(server.token, base_url=server.url) as client:
        source = client.create_source("https://docs.example/")
        for n in range(120):
            upsert(client, source.id, n)
        listed = list(client.list_pages(per_page=50))
        assert len(list(client.list_pages())) == 120
    assert len(listed) == 120
    assert len({p.id for p in listed}) == 120
    # 50 per page: 3 calls; then the default, 150 per page: 1 call
    assert client.stats().calls_by_operation["listExternalPages"] == 3 + 1


def test_a_wrong_token_is_an_authentication_error(server: EmulatorServer) -> None:
    client = IntercomClient("not-the-token", base_url=server.url)
    with client, pytest.raises(AuthenticationError) as info:
        list(client.list_sources())
    assert "not-the-token" not in str(info.value)
    assert info.value.code == "unauthorized"


def test_an_unreachable_host_raises_unreachable() -> None:
    policy = RetryPolicy(max_attempts=2, base_delay=0.01)
    client = IntercomClient("t", base_url="http://127.0.0.1:9", policy=policy)
    with client, pytest.raises(IntercomUnreachable, match="2 attempts"):
        list(client.list_sources())


def test_injected_5xx_and_drops_converge(start_emulator: StartEmulator) -> None:
    server = start_emulator(EmulatorSettings(fault_5xx_rate=0.15, fault_drop_rate=0.15, seed=7))
    with IntercomClient(server.token, base_url=server.url, policy=FAST_RETRIES) as client:
        source = adopt_or_create(client, "https://docs.example/")
        for n in range(60):
            upsert(client, source.id, n)
        stats = client.stats()
    pages = server.pages()
    sources = server.sources()
    assert len(sources) == 1  # no duplicate source despite drops
    assert sorted(p["external_id"] for p in pages) == sorted(f"docs/page-{n}.md" for n in range(60))
    assert all(p["title"] == f"Page {p['external_id'][10:-3]}" for p in pages)
    assert stats.retries > 0
    assert stats.server_errors > 0 and stats.transport_errors > 0
    # What the client counts by status code is what the server sent; a dropped connection
    # is the client's "error".
    seen: Counter[str] = Counter()
    for (_, status), count in stats.calls_by_status.items():
        seen["dropped" if status == "error" else status] += count
    assert dict(seen) == server.stats()["by_status"]


def test_a_429_storm_with_a_low_limit_converges() -> None:
    settings = EmulatorSettings(rate_limit=8, window_seconds=1)
    with EmulatorServer(settings) as server:
        budget = RateBudget(window_seconds=1)
        with IntercomClient(server.token, base_url=server.url, budget=budget) as client:
            source = client.create_source("https://docs.example/")
            failures: list[BaseException] = []

            def worker(start: int) -> None:
                try:
                    for n in range(start, start + 5):
                        upsert(client, source.id, n)
                except BaseException as exc:  # pragma: no cover - reported below
                    failures.append(exc)

            threads = [threading.Thread(target=worker, args=(k * 5,)) for k in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        emulator = server.stats()
        pages = server.pages()
    assert not failures
    assert len(pages) == 30
    # Only the first burst (before any header was seen) may overshoot the limit.
    assert emulator["rate_limited"] <= 6
    assert budget.limit_per_window == 8


def test_parallel_clients_sharing_a_budget_stay_under_one_percent_429s() -> None:
    """Two clients, 12 threads, one shared budget, 50 ms latency, limit 60 per 1 s window."""
    settings = EmulatorSettings(rate_limit=60, window_seconds=1, latency_ms=50)
    with EmulatorServer(settings) as server:
        budget = RateBudget(window_seconds=1)
        clients = [
            IntercomClient(server.token, base_url=server.url, budget=budget) for _ in range(2)
        ]
        source = clients[0].create_source("https://docs.example/")
        failures: list[BaseException] = []

        def worker(client: IntercomClient, start: int) -> None:
            try:
                for n in range(start, start + 20):
                    upsert(client, source.id, n)
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)

        threads = [
            threading.Thread(target=worker, args=(clients[k % 2], k * 20)) for k in range(12)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for client in clients:
            client.close()
        emulator = server.stats()
    assert not failures
    assert emulator["pages"] == 240
    calls = emulator["total"]
    assert emulator["rate_limited"] <= max(2, 0.01 * calls)
    assert budget.rate_limited == emulator["rate_limited"]
