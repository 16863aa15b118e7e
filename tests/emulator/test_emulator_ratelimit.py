"""Rate limiting per token in epoch-aligned windows: headers, 429, window reset."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.emulator.ratelimit import FixedWindowRateLimiter

ClientFactory = Callable[..., httpx.Client]
StartEmulator = Callable[[EmulatorSettings], EmulatorServer]
LIMIT = 3


def _at_window_start(window_seconds: float) -> None:
    """Sleep into the start of the next window, so the calls that follow share one window."""
    time.sleep(window_seconds - time.time() % window_seconds + 0.01)


def _limited(start_emulator: StartEmulator) -> EmulatorServer:
    settings = EmulatorSettings(
        rate_limit=LIMIT, window_seconds=1, tokens=frozenset({"emulator-token", "other-token"})
    )
    return start_emulator(settings)


def test_headers_count_down_then_429(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    server = _limited(start_emulator)
    api = client_for(server)
    _at_window_start(1)

    responses = [api.get("/ai/external_pages") for _ in range(LIMIT + 2)]

    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["2", "1", "0", "0", "0"]
    assert {r.headers["x-ratelimit-limit"] for r in responses} == {str(LIMIT)}
    reset = int(responses[0].headers["x-ratelimit-reset"])
    assert {int(r.headers["x-ratelimit-reset"]) for r in responses} == {reset}
    assert 0 < reset - time.time() <= 1
    assert responses[3].json()["errors"] == [
        {"code": "rate_limit_exceeded", "message": f"Exceeded rate limit of {LIMIT} in 1_seconds"}
    ]
    stats = server.stats()
    assert stats["rate_limited"] == 2
    assert stats["by_status"] == {"200": 3, "429": 2}


def test_the_next_window_starts_afresh(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    api = client_for(_limited(start_emulator))
    _at_window_start(1)
    for _ in range(LIMIT + 1):
        last = api.get("/ai/external_pages")
    assert last.status_code == 429

    time.sleep(max(0.0, int(last.headers["x-ratelimit-reset"]) - time.time()) + 0.01)
    response = api.get("/ai/external_pages")

    assert response.status_code == 200
    assert response.headers["x-ratelimit-remaining"] == str(LIMIT - 1)


def test_each_token_has_its_own_budget_and_401s_cost_nothing(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    server = _limited(start_emulator)
    first, second = client_for(server), client_for(server, token="other-token")
    anonymous = client_for(server, token=None)
    _at_window_start(1)

    unauthorized = [anonymous.get("/ai/external_pages") for _ in range(LIMIT + 1)]
    first_statuses = [first.get("/ai/external_pages").status_code for _ in range(LIMIT + 1)]
    second_statuses = [second.get("/ai/external_pages").status_code for _ in range(LIMIT)]

    assert {r.status_code for r in unauthorized} == {401}
    assert all("x-ratelimit-limit" not in r.headers for r in unauthorized)
    assert first_statuses == [200, 200, 200, 429]
    assert second_statuses == [200, 200, 200]


def test_errors_carry_the_headers_too(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    api = client_for(_limited(start_emulator))

    response = api.get("/ai/external_pages/123456")

    assert response.status_code == 404
    assert response.headers["x-ratelimit-limit"] == str(LIMIT)


def test_no_limit_means_no_headers(api: httpx.Client) -> None:
    responses = [api.get("/ai/external_pages") for _ in range(20)]

    assert {r.status_code for r in responses} == {200}
    assert all("x-ratelimit-limit" not in r.headers for r in responses)


def test_windows_are_aligned_on_unix_time() -> None:
    now = [1_700_000_003.5]
    limiter = FixedWindowRateLimiter(2, 10, clock=lambda: now[0])

    first, second, third = (limiter.hit("t") for _ in range(3))
    now[0] = 1_700_000_010.0
    fresh = limiter.hit("t")

    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert first.reset_at == third.reset_at == 1_700_000_010
    assert (fresh.allowed, fresh.remaining, fresh.reset_at) == (True, 1, 1_700_000_020)
    assert limiter.window_label == "10_seconds"
