"""Two and three `ingestor daemon` processes sharing one PostgreSQL state and the connectors.

Each test gets a fresh, fully migrated database of its own on the suite's throw-away server
(the ``postgres_url`` fixture, tests/pg_server.py), and an emulator slow enough (a rate limit
and latency) that a run of a few dozen pages lasts seconds, so the owner is killed mid-run.

Asserted: every connector owned by exactly one live instance and shares of at most
``ceil(connectors / instances)``; no page sent twice (one create per page over the whole test,
no update of an unchanged page however many runs the instances make; the only exception is a
write the killed owner's Intercom call applied but the owner never recorded, re-sent once by
the new owner as an idempotent upsert); no two runs of one
connector overlapping in time (one owner at a time); and a connector whose owner is SIGKILLed
mid-run taken over by another instance, which finishes the upload with 0 duplicates.
"""

from __future__ import annotations

import itertools
import math
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.state import RunRecord, Store

from .conftest import DaemonProcess, Deployment, wait_for

pytestmark = pytest.mark.timeout(240)

CONNECTORS = [f"kb{k}" for k in range(6)]
PERIOD = "3s"
FIRST_PAGES = 5  # per connector, synced by every instance's first runs
NEW_PAGES = 25  # per connector of the victim, written just before it is killed


def _instance(shared: Deployment, k: int, url: str) -> Deployment:
    """Instance ``k``: its own folder (config, log, data) over the shared sources and database."""
    instance = Deployment(shared.tmp / f"instance{k}", shared.server, url)
    instance.tmp.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "intercom": {"token": "${TEST_INTERCOM_TOKEN}", "base_url": shared.server.url},
        "state": {"url": url},
        "daemon": {
            "schedule": {"every": "2s"},
            "run_on_start": True,
            "lease_period": PERIOD,
            "listen": "127.0.0.1:0",
            "grace_period": "10s",
        },
        "connectors": [shared.connector(name) for name in CONNECTORS],
    }
    instance.config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return instance


def _ownership(daemons: list[DaemonProcess]) -> dict[str, list[str]]:
    """Instance id -> connectors it says it owns, from each live daemon's /status."""
    owned = {}
    for daemon in daemons:
        instance = daemon.get_json("/status")[1]["daemon"]["instance"]
        owned[instance["id"]] = instance["owns"]
    return owned


def _spread(daemons: list[DaemonProcess]) -> dict[str, list[str]] | None:
    """The ownership once every connector has exactly one owner within its fair share."""
    owned = _ownership(daemons)
    flat = sorted(name for names in owned.values() for name in names)
    share = math.ceil(len(CONNECTORS) / len(daemons))
    if flat == CONNECTORS and all(len(names) <= share for names in owned.values()):
        return owned
    return None


def _runs(url: str) -> dict[str, list[RunRecord]]:
    """Every run of every connector, oldest first."""
    with Store.open(url, read_only=True) as store:
        return {name: store.recent_runs(name, limit=10_000)[::-1] for name in CONNECTORS}


def _ok_runs_each(url: str, count: int) -> bool:
    runs = _runs(url)
    return all(sum(r.status == "ok" for r in runs[name]) >= count for name in CONNECTORS)


def _taken_over_runs(url: str, names: list[str], pids: set[int], since: float) -> bool:
    runs = _runs(url)
    return all(
        any(r.status == "ok" and r.pid in pids and r.started_at > since for r in runs[name])
        for name in names
    )


def _calls(server: EmulatorServer, operation: str) -> int:
    """Calls of ``operation`` the emulator applied and answered 2xx (not the 429s of the
    shared rate limit, nor the answers a killed instance never read)."""
    return int(server.stats()["succeeded_by_operation"].get(operation, 0))


def _assert_one_owner_at_a_time(url: str, pids: set[int], victim: int, killed_at: float) -> None:
    """Runs of one connector never overlap; the one the victim left open ends at its death."""
    for name, runs in _runs(url).items():
        assert runs, f"{name} never ran"
        # every instance stopped: none left "running"; the cut-short one recorded as died
        # by the instance that took its connector over
        assert all(r.status != "running" for r in runs), (name, runs)
        assert all(r.pid == victim for r in runs if r.status == "died"), (name, runs)
        for before, after in itertools.pairwise(runs):
            assert before.pid in pids and after.pid in pids, (name, runs)
            end = before.finished_at
            if end is None:  # only a run cut short by the SIGKILL may lack an end
                assert before.pid == victim, (name, before)
                end = killed_at
            assert end <= after.started_at, f"{name}: {before} overlaps {after}"


@pytest.mark.parametrize("count", [2, 3])
def test_daemons_share_connectors_and_take_over_one_killed_mid_run(
    tmp_path: Path,
    postgres_url: str,
    start_emulator: Callable[[EmulatorSettings], EmulatorServer],
    start_daemon: Callable[..., DaemonProcess],
    count: int,
) -> None:
    server = start_emulator(EmulatorSettings(rate_limit=20, window_seconds=1, latency_ms=20))
    shared = Deployment(tmp_path, server, postgres_url)
    for name in CONNECTORS:
        for i in range(FIRST_PAGES):
            shared.write(name, f"{name}-p{i}.md", f"# {name} {i}\n\nText.\n")
    daemons = [start_daemon(_instance(shared, k, postgres_url)) for k in range(count)]
    first = len(CONNECTORS) * FIRST_PAGES

    owned = wait_for(lambda: _spread(daemons), 60, "the connectors to spread")
    wait_for(lambda: len(shared.intercom_pages()) == first, 60, "every page synced")
    # Every connector synced again at least once (by whichever instance owns it by then):
    # unchanged pages are not sent again, by the first owner or any other.
    wait_for(lambda: _ok_runs_each(postgres_url, 2), 60, "a second run of every connector")
    assert _calls(server, "createExternalPage") == first
    assert _calls(server, "updateExternalPage") == 0

    victim = daemons[0]
    owned = _spread(daemons) or owned
    victim_id = next(i for i in owned if f":{victim.pid}:" in i)
    victims = owned[victim_id]
    assert victims, owned
    for name in victims:  # new pages only the owner can send; 20 calls a second: seconds
        for i in range(NEW_PAGES):
            shared.write(name, f"{name}-new{i}.md", f"# {name} new {i}\n\nBefore the kill.\n")
    expected = first + NEW_PAGES * len(victims)
    wait_for(lambda: _calls(server, "createExternalPage") >= first + 5, 60, "uploads under way")
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.time()
    victim.wait(10)
    sent_by_victim = _calls(server, "createExternalPage") - first
    assert 0 < sent_by_victim < NEW_PAGES * len(victims), "not killed mid-run"
    # Read before the lease runs out (half a period at least): what the victim recorded.
    recorded_by_victim = sum(
        sum(1 for i in shared_state(postgres_url, name).values() if i) - FIRST_PAGES
        for name in victims
    )
    # Writes Intercom applied whose answer the victim died before recording: the new owner
    # cannot know of them and sends them again (an upsert by external_id: no duplicate).
    unrecorded = sent_by_victim - recorded_by_victim
    assert 0 <= unrecorded <= 8, (sent_by_victim, recorded_by_victim)

    survivors = daemons[1:]
    wait_for(lambda: _spread(survivors), 60, "the survivors to own everything")
    wait_for(lambda: len(shared.intercom_pages()) == expected, 90, "the rest synced")
    taker_pids = {d.pid for d in survivors}
    wait_for(
        lambda: _taken_over_runs(postgres_url, victims, taker_pids, killed_at),
        60,
        "a finished run of each connector by its new owner",
    )
    for daemon in survivors:
        assert daemon.stop() == 0
    assert len(shared.intercom_pages()) == expected  # and no duplicate external id
    # Each page sent once, whoever sent it, except the victim's unrecorded in-flight writes:
    # nothing the victim recorded was sent again by the instance that took its connectors over.
    assert _calls(server, "createExternalPage") == expected + unrecorded
    assert _calls(server, "updateExternalPage") == 0
    pids = {d.pid for d in daemons}
    _assert_one_owner_at_a_time(postgres_url, pids, victim.pid, killed_at)
    died = [r for name in victims for r in _runs(postgres_url)[name] if r.status == "died"]
    # the runs it was killed in (at most one per connector; the one it was uploading at least)
    assert 1 <= len(died) <= len(victims) and len({r.connector for r in died}) == len(died)
    assert all(r.finished_at is None for r in died), died
    for name in victims:
        recorded = {e: i for e, i in shared_state(postgres_url, name).items() if i}
        assert len(recorded) == FIRST_PAGES + NEW_PAGES, name


def shared_state(url: str, connector: str) -> dict[str, str | None]:
    """external_id -> Intercom id as the shared state records them."""
    with Store.open(url, read_only=True) as store:
        return {eid: rec.intercom_id for eid, rec in store.page_index(connector).items()}
