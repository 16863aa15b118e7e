"""Faults after the write (lost answer, connection closed, call left hanging), latency jitter,
and switching faults on and off while the emulator runs. Every write is checked afterwards
in the emulator's data: the fault struck after the commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.emulator.faults import LOST_ANSWER_STATUSES, FaultInjector

ClientFactory = Callable[..., httpx.Client]
StartEmulator = Callable[[EmulatorSettings], EmulatorServer]
PageBody = Callable[..., dict[str, Any]]
SOURCES = "/ai/content_import_sources"


def _source_body(n: int) -> dict[str, str]:
    return {"sync_behavior": "api", "url": f"https://kb{n}.example.com/"}


def test_lost_answers_are_5xx_after_the_write_was_committed(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    server = start_emulator(EmulatorSettings(fault_lost_answer_rate=1, seed=5))
    api = client_for(server)  # the 5xx bodies are Intercom's envelope: checked against the spec

    statuses = [api.post(SOURCES, json=_source_body(n)).status_code for n in range(20)]
    listing = api.get(SOURCES)

    assert set(statuses) <= set(LOST_ANSWER_STATUSES) and len(set(statuses)) > 1
    assert [source["url"] for source in server.sources()] == [
        f"https://kb{n}.example.com/" for n in range(20)
    ]
    assert listing.status_code == 200, "reads are not faulted by write-only faults"
    stats = server.stats()
    assert stats["faults"] == {"total": 20, "lost_answer": 20}
    assert sum(stats["by_status"][str(status)] for status in set(statuses)) == 20


def test_a_closed_connection_gives_no_answer_but_the_write_happened(
    start_emulator: StartEmulator, client_for: ClientFactory, page_body: PageBody
) -> None:
    server = start_emulator(EmulatorSettings())
    api = client_for(server)
    source_id = api.post(SOURCES, json=_source_body(0)).json()["id"]
    server.configure(fault_close_rate=1)

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        api.post("/ai/external_pages", json=page_body(source_id, "a"))
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        api.delete(f"{SOURCES}/{source_id}")

    assert server.sources() == [] and server.pages() == []  # both writes were committed
    assert server.stats()["faults"] == {"total": 2, "close_after": 2}
    assert api.get(SOURCES).status_code == 200


def test_a_hung_write_times_the_client_out_after_committing(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    server = start_emulator(EmulatorSettings(fault_hang_rate=1, hang_ms=600_000))
    api = client_for(server)

    with pytest.raises(httpx.ReadTimeout):
        api.post(SOURCES, json=_source_body(1), timeout=0.2)
    api.close()  # the client gives up: the emulator stops holding the call

    assert [source["url"] for source in server.sources()] == ["https://kb1.example.com/"]
    assert server.stats()["faults"] == {"total": 1, "hang": 1}


def test_a_short_hang_ends_with_the_connection_closed_unanswered(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    server = start_emulator(EmulatorSettings(fault_hang_rate=1, hang_ms=50))

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client_for(server).post(SOURCES, json=_source_body(1), timeout=30)

    assert len(server.sources()) == 1


def test_write_faults_replay_with_the_seed_and_leave_reads_alone(
    start_emulator: StartEmulator, client_for: ClientFactory
) -> None:
    settings = EmulatorSettings(
        fault_lost_answer_rate=0.3, fault_close_rate=0.3, fault_5xx_rate=0.1, seed=11
    )
    runs: list[list[str]] = []
    for server in (start_emulator(settings), start_emulator(settings)):
        api = client_for(server)
        outcomes = []
        for n in range(30):
            try:
                outcomes.append(str(api.post(SOURCES, json=_source_body(n)).status_code))
            except httpx.RemoteProtocolError:
                outcomes.append("closed")
        runs.append(outcomes)
        reads = {api.get(SOURCES).status_code for _ in range(10)}
        assert reads <= {200, 500, 502, 503}

    assert runs[0] == runs[1]
    assert {"200", "closed"} <= set(runs[0]) and len(set(runs[0])) >= 4


def test_faults_switch_on_and_off_at_run_time_and_reset_restores_the_start_settings(
    emulator: EmulatorServer, client_for: ClientFactory
) -> None:
    api = client_for(emulator)

    shown = emulator.configure(fault_lost_answer_rate=1, seed=3)
    lost = api.post(SOURCES, json=_source_body(1))
    emulator.configure(fault_lost_answer_rate=0)
    answered = api.post(SOURCES, json=_source_body(2))
    emulator.configure(fault_lost_answer_rate=1)
    emulator.reset()
    after_reset = api.post(SOURCES, json=_source_body(3))

    assert (shown["fault_lost_answer_rate"], shown["seed"]) == (1, 3)
    assert "tokens" not in shown
    assert lost.status_code in LOST_ANSWER_STATUSES
    assert (answered.status_code, after_reset.status_code) == (200, 200)
    assert emulator.current_settings()["fault_lost_answer_rate"] == 0


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"fault_close_rate": 2}, "fault_close_rate"),
        ({"fault_close_rate": 0.6, "fault_hang_rate": 0.6}, "fault_hang_rate"),
        ({"pagination": "scroll"}, "pagination"),
        ({"seed": "abc"}, "seed"),
        ({"hang_ms": "5"}, "hang_ms"),
        ({"deep_paging_cap": 1}, "deep_paging_cap"),
        ({"tokens": ["x"]}, "tokens"),
        ({"db_path": "/tmp/x.db"}, "db_path"),
        ({"no_such_setting": 1}, "no_such_setting"),
    ],
)
def test_bad_setting_changes_are_refused_with_the_key_named(
    emulator: EmulatorServer, changes: dict[str, Any], named: str
) -> None:
    before = emulator.current_settings()

    with pytest.raises(ValueError, match=named):
        emulator.configure(**changes)

    assert emulator.current_settings() == before


def test_latency_jitter_is_seeded_and_bounded() -> None:
    def delays(settings: EmulatorSettings) -> list[float]:
        injector = FaultInjector(settings)
        return [injector.latency_seconds() for _ in range(200)]

    settings = EmulatorSettings(latency_ms=40, latency_jitter_ms=20, seed=9)
    first = delays(settings)

    assert first == delays(settings)  # same seed, same delays
    assert all(0.040 <= delay <= 0.060 for delay in first)
    assert len(set(first)) > 100 and max(first) > 0.055 and min(first) < 0.045
    assert delays(EmulatorSettings(latency_ms=40)) == [0.04] * 200


def test_jitter_does_not_change_which_calls_fail() -> None:
    plain = FaultInjector(EmulatorSettings(fault_5xx_rate=0.5, seed=1))
    jittered = FaultInjector(EmulatorSettings(fault_5xx_rate=0.5, latency_jitter_ms=9, seed=1))
    outcomes = []
    for injector in (plain, jittered):
        draws = []
        for _ in range(50):
            injector.latency_seconds()
            draws.append(injector.decide(is_write=True))
        outcomes.append(draws)

    assert outcomes[0] == outcomes[1]
