"""Seeded faults seen by a real httpx client: 5xx answers and connections dropped mid-response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ingestor.emulator import EmulatorServer, EmulatorSettings

ClientFactory = Callable[..., httpx.Client]
StartEmulator = Callable[[EmulatorSettings], EmulatorServer]
PageBody = Callable[..., dict[str, Any]]
SOURCE_BODY = {"sync_behavior": "api", "url": "https://kb.example.com/"}


def _outcome(send: Callable[..., httpx.Response], *args: Any, **kwargs: Any) -> str:
    """The status of a call, or the name of the transport error it raised."""
    try:
        return str(send(*args, **kwargs).status_code)
    except httpx.TransportError as exc:
        return type(exc).__name__


def _create_source(api: httpx.Client) -> int:
    """Retry until one create is answered (dropped attempts may have created sources too)."""
    for _ in range(50):
        try:
            response = api.post("/ai/content_import_sources", json=SOURCE_BODY)
        except httpx.TransportError:
            continue
        if response.status_code == 200:
            source_id: int = response.json()["id"]
            return source_id
    raise AssertionError("no create got through")


def test_5xx_faults_answer_with_the_envelope_and_change_nothing(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    server = start_emulator(EmulatorSettings(fault_5xx_rate=1, seed=7))
    api = client_for(server)

    responses = [api.post("/ai/content_import_sources", json=SOURCE_BODY) for _ in range(30)]

    assert {r.status_code for r in responses} == {500, 502, 503}
    codes = {r.json()["errors"][0]["code"] for r in responses}
    assert codes == {"server_error", "bad_gateway", "service_unavailable"}
    assert server.sources() == []
    faults = server.stats()["faults"]
    assert faults["total"] == 30
    assert faults["http_500"] + faults["http_502"] + faults["http_503"] == 30


def test_dropped_reads_raise_in_httpx(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    server = start_emulator(EmulatorSettings(fault_drop_rate=1, seed=1))
    api = client_for(server)

    for _ in range(3):
        with pytest.raises(httpx.RemoteProtocolError):
            api.get("/ai/external_pages")

    stats = server.stats()
    assert stats["faults"] == {"total": 3, "drop_before": 3}
    assert stats["by_status"] == {"dropped": 3}


def test_dropped_writes_are_applied_before_or_not_at_all_and_retries_converge(
    start_emulator: StartEmulator, client_for: ClientFactory, page_body: PageBody
) -> None:
    server = start_emulator(EmulatorSettings(fault_drop_rate=0.5, seed=3))
    api = client_for(server)
    source_id = _create_source(api)
    before = server.stats()["faults"]

    dropped = []
    for n in range(40):
        try:
            response = api.post("/ai/external_pages", json=page_body(source_id, f"p{n}"))
            assert response.status_code == 200
        except httpx.TransportError:
            dropped.append(f"p{n}")

    faults = server.stats()["faults"]
    after_drops = faults.get("drop_after", 0) - before.get("drop_after", 0)
    before_drops = faults.get("drop_before", 0) - before.get("drop_before", 0)
    stored = {page["external_id"] for page in server.pages()}
    assert after_drops > 0 and before_drops > 0
    assert after_drops + before_drops == len(dropped)
    assert len(stored) == 40 - before_drops  # answered ones plus writes applied before a drop
    assert len([external_id for external_id in dropped if external_id in stored]) == after_drops

    for external_id in dropped:  # a client retrying its upserts converges on one page each
        body = page_body(source_id, external_id)
        attempts = [_outcome(api.post, "/ai/external_pages", json=body) for _ in range(12)]
        assert "200" in attempts
    pages = [page for page in server.pages() if page["source_id"] == source_id]
    assert sorted(page["external_id"] for page in pages) == sorted(f"p{n}" for n in range(40))


def test_a_seed_replays_the_same_faults(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    settings = EmulatorSettings(fault_5xx_rate=0.3, fault_drop_rate=0.3, seed=42)
    runs = []
    for server in (start_emulator(settings), start_emulator(settings)):
        api = client_for(server)
        runs.append([_outcome(api.get, "/ai/external_pages") for _ in range(25)])
        server.reset()  # restarts the RNG from the seed
        runs.append([_outcome(api.get, "/ai/external_pages") for _ in range(25)])

    assert runs[0] == runs[1] == runs[2] == runs[3]
    assert {"200", "RemoteProtocolError"} <= set(runs[0])
    assert set(runs[0]) & {"500", "502", "503"}


def test_faulted_calls_count_against_the_rate_limit(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    server = start_emulator(
        EmulatorSettings(fault_5xx_rate=1, rate_limit=3, window_seconds=3600, seed=0)
    )
    api = client_for(server)

    statuses = [api.get("/ai/external_pages").status_code for _ in range(4)]

    assert set(statuses[:3]) <= {500, 502, 503}
    assert statuses[3] == 429


def test_fail_external_ids_fails_only_the_named_pages_every_time(
    start_emulator: StartEmulator, client_for: ClientFactory, page_body: PageBody
) -> None:
    server = start_emulator(EmulatorSettings())
    api = client_for(server)
    source_id = _create_source(api)
    good = api.post("/ai/external_pages", json=page_body(source_id, "good.md"))
    server.configure(fail_external_ids=["bad.md", "good.md"])

    bad = [api.post("/ai/external_pages", json=page_body(source_id, "bad.md")) for _ in range(3)]
    update = api.put(
        f"/ai/external_pages/{good.json()['id']}",
        json=page_body(source_id, "good.md", title="Changed"),
    )
    other = api.post("/ai/external_pages", json=page_body(source_id, "other.md"))

    assert [r.status_code for r in bad] == [503, 503, 503] and update.status_code == 503
    assert bad[0].json()["errors"][0]["code"] == "service_unavailable"
    assert "'bad.md'" in bad[0].json()["errors"][0]["message"]
    assert other.status_code == 200  # its body was read and handed on intact
    assert {(p["external_id"], p["title"]) for p in server.pages()} == {
        ("good.md", "Page good.md"),
        ("other.md", "Page other.md"),
    }
    assert server.stats()["faults"]["targeted_503"] == 4


def test_fail_external_ids_is_a_list_of_names() -> None:
    assert EmulatorSettings().changed({"fail_external_ids": ["a"]}).fail_external_ids == ("a",)
    with pytest.raises(ValueError, match="fail_external_ids"):
        EmulatorSettings(fail_external_ids="a.md")  # type: ignore[arg-type]
