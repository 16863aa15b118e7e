"""Admin endpoints, stats, latency, settings and the server wrappers (thread and foreground)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingestor.emulator import DEFAULT_TOKEN, EmulatorServer, EmulatorSettings

ClientFactory = Callable[..., httpx.Client]
StartEmulator = Callable[[EmulatorSettings], EmulatorServer]
PageBody = Callable[..., dict[str, Any]]


def test_stats_count_calls_per_operation_status_and_version(
    emulator: EmulatorServer,
    client_for: ClientFactory,
    new_source: Callable[..., int],
    page_body: PageBody,
) -> None:
    api = client_for(emulator)
    source_id = new_source()
    page = api.post("/ai/external_pages", json=page_body(source_id, "a")).json()
    api.get(f"/ai/external_pages/{page['id']}")
    api.get("/ai/external_pages/0")
    client_for(emulator, version=None).get("/ai/external_pages")
    client_for(emulator, version="9.9").get("/ai/external_pages")
    client_for(emulator, token="nope").delete(f"/ai/external_pages/{page['id']}")
    emulator.pages()  # admin calls are not counted

    stats = emulator.stats()

    assert stats["total"] == 7
    assert stats["by_operation"] == {
        "listContentImportSources": 0,
        "createContentImportSource": 1,
        "deleteContentImportSource": 0,
        "getContentImportSource": 0,
        "updateContentImportSource": 0,
        "listExternalPages": 2,
        "createExternalPage": 1,
        "deleteExternalPage": 1,
        "getExternalPage": 2,
        "updateExternalPage": 0,
    }
    assert stats["by_status"] == {"200": 4, "400": 1, "401": 1, "404": 1}
    # answered 2xx only: not the refused delete (401), the missing page (404), the bad version
    assert stats["succeeded_by_operation"] == {
        "createContentImportSource": 1,
        "createExternalPage": 1,
        "getExternalPage": 1,
        "listExternalPages": 1,
    }
    assert stats["intercom_versions"] == {"2.14": 5, "9.9": 1, "absent": 1}
    assert (stats["rate_limited"], stats["faults"]) == (0, {"total": 0})
    assert (stats["sources"], stats["pages"]) == (1, 1)


def test_unknown_routes_are_counted_as_unknown(api: httpx.Client, emulator: EmulatorServer) -> None:
    api.get("/ai/articles")

    assert emulator.stats()["by_operation"]["unknown"] == 1


def test_reset_clears_data_and_counters(
    api: httpx.Client, emulator: EmulatorServer, new_source: Callable[..., int], page_body: PageBody
) -> None:
    api.post("/ai/external_pages", json=page_body(new_source(), "a"))

    emulator.reset()

    stats = emulator.stats()
    assert (stats["total"], stats["pages"], stats["sources"]) == (0, 0, 0)
    assert emulator.pages() == [] and emulator.sources() == []


def test_pages_dump_shows_everything_without_counting(
    api: httpx.Client, emulator: EmulatorServer, new_source: Callable[..., int], page_body: PageBody
) -> None:
    source_id = new_source()
    flags = {"ai_agent_availability": True, "ai_copilot_availability": False}
    api.post("/ai/external_pages", json=page_body(source_id, "a", html="<h1>A</h1>", **flags))
    before = emulator.stats()["total"]

    (page,) = emulator.pages()

    assert (page["source_id"], page["external_id"], page["title"]) == (source_id, "a", "Page a")
    assert (page["html"], page["url"]) == ("<h1>A</h1>", "https://kb.example.com/a")
    assert (page["ai_agent_availability"], page["ai_copilot_availability"]) == (True, False)
    assert [source["id"] for source in emulator.sources()] == [source_id]
    assert emulator.stats()["total"] == before


def test_health_and_spec_are_served_without_a_token(emulator: EmulatorServer) -> None:
    health = httpx.get(emulator.url + "/_emulator/health", trust_env=False)
    spec = httpx.get(emulator.url + "/_emulator/openapi.yaml", trust_env=False)

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert spec.status_code == 200
    assert "operationId: createExternalPage" in spec.text


def test_latency_does_not_block_other_requests(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    server = start_emulator(EmulatorSettings(latency_ms=1500))
    slow_done = threading.Event()

    def slow_call() -> None:
        client_for(server).get("/ai/external_pages")
        slow_done.set()

    caller = threading.Thread(target=slow_call)
    caller.start()
    while server.stats()["total"] == 0:  # wait until the slow call is inside the emulator
        pass
    health = httpx.get(server.url + "/_emulator/health", trust_env=False)

    # Answered while the API call still sleeps: the latency is not a blocking sleep.
    assert health.status_code == 200 and not slow_done.is_set()
    caller.join()
    assert slow_done.is_set()


def test_settings_reject_bad_values_with_the_key_named() -> None:
    bad: list[dict[str, Any]] = [
        {"fault_5xx_rate": 1.5},
        {"fault_drop_rate": -0.1},
        {"fault_5xx_rate": 0.6, "fault_drop_rate": 0.6},
        {"rate_limit": 0},
        {"window_seconds": 0},
        {"latency_ms": -1},
        {"per_page": 500},
        {"tokens": frozenset()},
    ]
    for values in bad:
        key = next(iter(values))
        with pytest.raises(ValueError, match=key):
            EmulatorSettings(**values)


def test_settings_keep_tokens_out_of_repr_and_coerce_types(tmp_path: Path) -> None:
    settings = EmulatorSettings(tokens={"secret-token"}, db_path=str(tmp_path / "x.db"))  # type: ignore[arg-type]

    assert "secret-token" not in repr(settings)
    assert settings.tokens == frozenset({"secret-token"})
    assert settings.db_path == tmp_path / "x.db"
    assert settings.primary_token == "secret-token"
    assert EmulatorSettings().primary_token == DEFAULT_TOKEN


def test_server_lifecycle() -> None:
    server = EmulatorServer()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url

    with server:
        assert server.running and server.url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
    assert not server.running
    server.stop()  # stopping twice is harmless


def test_serve_runs_in_the_foreground_and_logs_url_and_token(tmp_path: Path) -> None:
    script = (
        "from ingestor.emulator import serve, EmulatorSettings\n"
        "serve(EmulatorSettings(tokens={'tok-1'}), port=0)\n"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", script], stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert "emulator listening on http://127.0.0.1:" in line and "token: tok-1" in line
        url = line.split("listening on ")[1].split()[0]
        response = httpx.get(
            url + "/ai/external_pages", headers={"Authorization": "Bearer tok-1"}, trust_env=False
        )
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=20)
    assert process.returncode == 0  # Ctrl-C is a normal stop
    assert "Traceback" not in rest
