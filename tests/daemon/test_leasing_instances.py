"""Several daemon instances' lease keeping (daemon._leasing) as separate processes sharing one
real SQLite file: connectors spread by fair share, a SIGKILLed instance's connectors are taken
over once its leases run out, and a clean stop hands them over at once.

Each process runs the daemons' own ``Leasing`` (heartbeat, renewal, rebalancing thread) over a
bare engine, without the store's flock that keeps SQLite deployments to one daemon: the same
statements then race as they do on a PostgreSQL state shared by daemons on several machines
(and on PostgreSQL itself: a fresh migrated database each, ``tests/lease_databases.py``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from ingestor.daemon._leasing import Leasing, lease_expiry
from ingestor.state._leases import LeaseBook, new_instance_id
from tests.lease_databases import lease_db_url_fixture, lease_engine  # noqa: F401 - a fixture

pytestmark = pytest.mark.timeout(90)

CONNECTORS = ["a", "b", "c", "d", "e"]
PERIOD = 3.0


def _instance(url: str, report: Path, stop: Any, settle: bool = False) -> None:
    """A daemon instance's leasing; writes what it owns to ``report`` every tenth second."""
    taken_over: list[str] = []
    book = LeaseBook(lease_engine(url), new_instance_id(), lease_expiry(PERIOD))
    leasing = Leasing(
        book, connectors=lambda: CONNECTORS, busy=lambda name: False, taken_over=taken_over.append
    ).start(settle=settle)
    while not stop.is_set():
        state = {"id": leasing.instance, "owns": leasing.owned(), "taken_over": taken_over}
        tmp = report.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(report)
        time.sleep(0.1)
    leasing.stop()


def _read(report: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _owners(url: str) -> dict[str, str]:
    engine = lease_engine(url)
    try:
        leases = LeaseBook(engine, "observer:0:0", PERIOD).live_leases()
    finally:
        engine.dispose()
    return {name: info.owner for name, info in leases.items()}


def test_instances_spread_connectors_and_take_over_a_killed_ones(
    tmp_path: Path, lease_db_url: str
) -> None:
    path = lease_db_url
    context = multiprocessing.get_context("fork")
    stops = [context.Event() for _ in range(3)]
    reports = [tmp_path / f"instance{k}.json" for k in range(3)]
    processes = [
        context.Process(target=_instance, args=(path, reports[k], stops[k])) for k in range(3)
    ]
    for process in processes:
        process.start()

    def spread() -> bool:
        states = [_read(report) for report in reports]
        if any(state is None for state in states):
            return False
        owned = [state["owns"] for state in states if state is not None]
        flat = sorted(name for names in owned for name in names)
        # five connectors, three instances: shares of at most ceil(5 / 3) = 2, each owned once
        return flat == CONNECTORS and all(len(names) <= 2 for names in owned)

    _wait(spread, 6 * PERIOD, "the connectors to spread")
    states = [_read(report) for report in reports]
    assert all(state is not None for state in states)
    ids = [state["id"] for state in states if state is not None]
    owners = _owners(path)
    assert sorted(owners) == CONNECTORS and set(owners.values()) <= set(ids)

    # SIGKILL the instance owning "a": its leases stay in the table until they run out.
    victim = next(k for k, i in enumerate(ids) if owners["a"] == i)
    victims = sorted(name for name, owner in owners.items() if owner == ids[victim])
    survivors = [k for k in range(3) if k != victim]
    # every connector a round takes is run at once: count only what is taken after the kill
    before = {k: len((_read(reports[k]) or {"taken_over": []})["taken_over"]) for k in survivors}
    os.kill(processes[victim].pid or 0, signal.SIGKILL)
    processes[victim].join(10)
    killed_at = time.monotonic()

    def taken_over() -> bool:
        current = _owners(path)
        return sorted(current) == CONNECTORS and ids[victim] not in current.values()

    _wait(taken_over, 3 * PERIOD, "the survivors to take the killed instance's connectors")
    # a lease runs out at most 3/4 of a period after the kill (its last renewal came before
    # it) and the survivors look every quarter: within one period, plus this machine's slack
    elapsed = time.monotonic() - killed_at
    print(f"taken over {elapsed:.1f}s after the kill (lease period {PERIOD:g}s)")
    assert elapsed < PERIOD + 1.0

    def rescued() -> list[str]:  # each is run at once by whoever took it over
        states = {k: _read(reports[k]) for k in survivors}
        return sorted(
            n
            for k, state in states.items()
            if state is not None
            for n in state["taken_over"][before[k] :]
        )

    _wait(lambda: rescued() == victims, PERIOD, "the reports to name what was taken over")

    # A clean stop hands the connectors over without waiting for any lease to run out.
    leaving = survivors[0]
    stops[leaving].set()
    processes[leaving].join(30)
    assert processes[leaving].exitcode == 0
    stayer = _read(reports[survivors[1]])
    assert stayer is not None
    _wait(
        lambda: set(_owners(path).values()) == {stayer["id"]} and len(_owners(path)) == 5,
        3 * PERIOD,
        "the last instance to own everything",
    )
    stops[survivors[1]].set()
    processes[survivors[1]].join(30)
    assert _owners(path) == {}  # everything released


def test_instances_started_together_never_take_more_than_their_share(
    tmp_path: Path, lease_db_url: str
) -> None:
    """Replicas started at once beat before they count: none takes every connector first."""
    context = multiprocessing.get_context("fork")
    stops = [context.Event() for _ in range(3)]
    reports = [tmp_path / f"instance{k}.json" for k in range(3)]
    processes = [
        context.Process(target=_instance, args=(lease_db_url, reports[k], stops[k], True))
        for k in range(3)
    ]
    for process in processes:
        process.start()
    most = 0
    deadline = time.monotonic() + 4 * PERIOD
    spread = False
    while time.monotonic() < deadline and not spread:
        states = [_read(report) for report in reports]
        owned = [state["owns"] for state in states if state is not None]
        most = max([most, *(len(names) for names in owned)])
        spread = len(owned) == 3 and sorted(n for names in owned for n in names) == CONNECTORS
        time.sleep(0.05)
    for stop in stops:
        stop.set()
    for process in processes:
        process.join(30)
    assert spread, "the connectors never spread over the three instances"
    assert most <= 2, f"an instance took {most} of 5 connectors before seeing the others"
    taken = [(_read(report) or {}).get("taken_over", []) for report in reports]
    assert sorted(n for names in taken for n in names) == CONNECTORS  # each run once, at once
