"""429 storms: every call refused for a while with Intercom's headers and no Retry-After."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from ingestor.emulator import EmulatorServer, EmulatorSettings

ClientFactory = Callable[..., httpx.Client]
StartEmulator = Callable[[EmulatorSettings], EmulatorServer]
PAGES = "/ai/external_pages"


def test_a_storm_of_n_calls_answers_429_with_the_rate_limit_headers(
    emulator: EmulatorServer, client_for: ClientFactory
) -> None:
    api = client_for(emulator)
    emulator.storm(calls=3)

    stormy = [api.get(PAGES) for _ in range(3)]
    after = api.get(PAGES)

    for response in stormy:
        assert response.status_code == 429
        assert response.json()["errors"][0]["code"] == "rate_limit_exceeded"
        assert (
            response.json()["errors"][0]["message"] == "Exceeded rate limit of 1666 in 10_seconds"
        )
        assert response.headers["X-RateLimit-Limit"] == "1666"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        reset = int(response.headers["X-RateLimit-Reset"])
        assert reset % 10 == 0 and time.time() - 1 <= reset <= time.time() + 11
        assert "Retry-After" not in response.headers
    assert after.status_code == 200
    stats = emulator.stats()
    assert (stats["rate_limited"], stats["faults"]) == (3, {"total": 3, "storm_429": 3})


def test_a_storm_for_a_time_lasts_until_ended_and_writes_nothing(
    emulator: EmulatorServer, client_for: ClientFactory
) -> None:
    api = client_for(emulator)
    state = emulator.storm(seconds=3600)

    statuses = {api.post("/ai/content_import_sources", json={}).status_code for _ in range(25)}
    emulator.end_storm()

    assert state["active"] and state["calls_left"] is None and state["until"] > time.time()
    assert statuses == {429}
    assert emulator.sources() == []
    assert api.get(PAGES).status_code == 200


def test_a_storm_reports_the_configured_limit_and_window(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    server = start_emulator(EmulatorSettings(rate_limit=500, window_seconds=2))
    api = client_for(server)
    server.storm(calls=1)

    response = api.get(PAGES)

    assert response.status_code == 429
    assert response.headers["X-RateLimit-Limit"] == "500"
    assert int(response.headers["X-RateLimit-Reset"]) % 2 == 0
    assert response.json()["errors"][0]["message"] == "Exceeded rate limit of 500 in 2_seconds"


def test_seeded_storms_come_in_runs_of_storm_calls_and_replay(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    settings = EmulatorSettings(fault_storm_rate=0.1, storm_calls=4, seed=21)
    runs = []
    for server in (start_emulator(settings), start_emulator(settings)):
        api = client_for(server)
        runs.append("".join("x" if api.get(PAGES).status_code == 429 else "." for _ in range(120)))

    assert runs[0] == runs[1]
    storms = [run for run in runs[0].rstrip("x").split(".") if run]  # the last may be cut off
    assert storms and all(len(run) % 4 == 0 for run in storms)


@pytest.mark.parametrize(
    "body", [{}, {"calls": 0}, {"calls": 1.5}, {"seconds": -1}, {"calls": "3"}]
)
def test_a_storm_needs_a_positive_end(emulator: EmulatorServer, body: dict[str, object]) -> None:
    response = httpx.post(emulator.url + "/_emulator/storm", json=body, trust_env=False)

    assert response.status_code == 400
    assert response.json()["type"] == "error.list"
    assert not emulator.storm_state()["active"]


def test_reset_ends_a_storm(emulator: EmulatorServer, client_for: ClientFactory) -> None:
    emulator.storm(seconds=3600)

    emulator.reset()

    assert client_for(emulator).get(PAGES).status_code == 200
