"""Connector leases (state._leases) over real SQLite files, raced by several processes.

The daemon's SQLite flock keeps to one process per file; these tests open the file through
bare engines (no flock) so several processes race on the very statements the daemons use on
PostgreSQL. Every race also runs on a fresh, fully migrated PostgreSQL database of its own
(``tests/lease_databases.py``), as do the store-level tests marked ``state_backends``.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ingestor.emulator import EmulatorServer
from ingestor.errors import LeaseLostError, StateError
from ingestor.intercom import IntercomClient
from ingestor.state import RunCounts, Store
from ingestor.state._engine import StateLocation, create_state_engine
from ingestor.state._leases import Lease, LeaseBook, new_instance_id
from ingestor.state._migrations import migrate
from tests.lease_databases import lease_db_url_fixture, lease_engine  # noqa: F401 - a fixture

# -- the race: every process tries to hold the same connector over and over ----------------


def _contender(url: str, connector: str, rounds: int, log: Any, start: Any) -> None:
    """Acquire, hold briefly while writing an interval to ``log``, release; repeat."""
    engine = lease_engine(url)
    book = LeaseBook(engine, new_instance_id(), period=30.0)
    start.wait()
    held = 0
    while held < rounds:
        lease = book.acquire(connector)
        if lease is None:
            continue
        began = time.time()
        time.sleep(0.002)
        ended = time.time()
        book.release(lease)
        log.put((book.instance, lease.fence, began, ended))
        held += 1
    engine.dispose()


@pytest.mark.timeout(120)
def test_racing_processes_never_hold_one_connector_at_the_same_time(lease_db_url: str) -> None:
    context = multiprocessing.get_context("fork")
    log = context.Queue()
    start = context.Event()
    processes = [
        context.Process(target=_contender, args=(lease_db_url, "handbook", 15, log, start))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    start.set()
    holds = [log.get(timeout=100) for _ in range(4 * 15)]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    holds.sort(key=lambda hold: hold[2])
    assert len({owner for owner, *_ in holds}) == 4  # everyone got its turns
    for before, after in itertools.pairwise(holds):
        assert before[3] <= after[2], f"{before} overlaps {after}"
        # a new owner always gets a higher fence; the same owner keeps the number
        assert after[1] >= before[1]
        assert after[1] > before[1] or after[0] == before[0]


# -- expiry, renewal, take-over and fencing ------------------------------------------------


def _hold_then_die(url: str, connector: str, period: float, ready: Any) -> None:
    """Take the lease and die without releasing it (what SIGKILL does to a daemon)."""
    book = LeaseBook(lease_engine(url), new_instance_id(), period=period)
    book.heartbeat()
    assert book.acquire(connector) is not None
    ready.set()
    os._exit(0)


@pytest.mark.timeout(60)
def test_a_dead_owners_lease_is_taken_over_once_it_runs_out(lease_db_url: str) -> None:
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    dead = context.Process(target=_hold_then_die, args=(lease_db_url, "handbook", 3.0, ready))
    dead.start()
    assert ready.wait(30)
    dead.join(timeout=30)

    engine = lease_engine(lease_db_url)
    book = LeaseBook(engine, new_instance_id(), period=3.0)
    assert book.acquire("handbook") is None  # still the dead one's: not run out yet
    [(owner, info)] = [(i.owner, i) for i in book.live_leases().values()]
    assert owner != book.instance and 0 < info.expires_in <= 3.0
    deadline = time.monotonic() + 10
    lease = None
    while lease is None and time.monotonic() < deadline:
        lease = book.acquire("handbook")
        time.sleep(0.05)
    assert lease is not None, "not taken over within one period"
    assert lease.taken_from == owner  # it was not released: its run may have been cut short
    assert lease.fence == 2
    assert [i.id for i in book.live_instances()] == []  # the dead one's heartbeat ran out too
    engine.dispose()


@pytest.mark.state_backends
def test_taking_over_records_the_dead_owners_running_run_as_died(
    state_location: Path | str,
) -> None:
    with Store.open(state_location) as store:
        dead = store.lease_book("host:1:dead", 30.0)
        lease = dead.acquire("handbook")
        assert lease is not None
        finished = store.begin_run("handbook")
        store.finish_run(finished, status="ok", counts=RunCounts())
        cut_short = store.begin_run("handbook")  # its owner is killed mid-run
        other = store.begin_run("other")  # another connector's: not the dead owner's to lose
        assert dead.bury_dead_owners_runs(lease) == []  # not a take-over: nothing to bury
        with store._live_engine().begin() as conn:  # the dead owner's period runs out
            conn.execute(text("UPDATE leases SET expires_at = expires_at - 60"))
        taker = store.lease_book(new_instance_id(), 30.0)
        taken = taker.acquire("handbook")
        assert taken is not None and taken.taken_from == "host:1:dead"
        assert taker.bury_dead_owners_runs(taken) == [cut_short]
        statuses = {r.id: r.status for r in store.recent_runs()}
        assert statuses == {finished: "ok", cut_short: "died", other: "running"}


def test_released_leases_go_to_the_next_taker_at_once_without_take_over(lease_db_url: str) -> None:
    engine = lease_engine(lease_db_url)
    first = LeaseBook(engine, new_instance_id(), period=30.0)
    second = LeaseBook(engine, new_instance_id(), period=30.0)
    lease = first.acquire("handbook")
    assert lease is not None and lease.fence == 1
    assert first.acquire("handbook") is not None  # already ours: kept, same fence
    assert second.acquire("handbook") is None
    first.release(lease)
    taken = second.acquire("handbook")
    assert taken is not None and taken.fence == 2 and taken.taken_from is None
    assert second.renew(taken)
    assert {c: i.owner for c, i in first.live_leases().items()} == {"handbook": second.instance}
    engine.dispose()


def test_renewal_fails_once_another_instance_took_the_lease(lease_db_url: str) -> None:
    engine = lease_engine(lease_db_url)
    first = LeaseBook(engine, new_instance_id(), period=30.0)
    second = LeaseBook(engine, new_instance_id(), period=30.0)
    lease = first.acquire("handbook")
    assert lease is not None
    with engine.begin() as conn:  # as if the period ran out while this owner was stalled
        conn.execute(text("UPDATE leases SET expires_at = expires_at - 60"))
    taken = second.acquire("handbook")
    assert taken is not None and taken.taken_from == first.instance
    assert not first.renew(lease)
    with pytest.raises(LeaseLostError, match="handbook: this daemon instance no longer holds"):
        lease.check()
    taken.check()  # the new owner's is fine
    engine.dispose()


def test_an_expired_lease_cannot_be_renewed_even_if_nobody_took_it(lease_db_url: str) -> None:
    engine = lease_engine(lease_db_url)
    book = LeaseBook(engine, new_instance_id(), period=30.0)
    lease = book.acquire("handbook")
    assert lease is not None
    with engine.begin() as conn:
        conn.execute(text("UPDATE leases SET expires_at = expires_at - 60"))
    assert not book.renew(lease)
    assert lease.lost == "it ran out or another instance took it over"
    engine.dispose()


def test_a_lease_not_renewed_in_time_is_lost_locally_before_the_database_frees_it() -> None:
    # Trusted for half a period from the moment the last renewal was *sent*.
    lease = Lease("handbook", "me", 1, trusted_until=time.monotonic() + 0.2)
    lease.check()
    time.sleep(0.25)
    with pytest.raises(LeaseLostError, match="renewal is overdue"):
        lease.check()
    lease.extend(time.monotonic() + 60)  # a late renewal does not bring it back
    assert lease.lost is not None


@pytest.mark.state_backends
def test_fenced_store_refuses_writes_once_the_lease_is_lost(state_location: Path | str) -> None:
    path = state_location
    with Store.open(path) as store:
        book = store.lease_book(new_instance_id(), 30.0)
        lease = book.acquire("handbook")
        assert lease is not None
        fenced = store.fenced(lease.check)
        run_id = fenced.begin_run("handbook")
        fenced.save_cursor("handbook", "c1")
        book.release(lease)  # as if it were lost
        with pytest.raises(LeaseLostError):
            fenced.save_cursor("handbook", "c2")
        with pytest.raises(LeaseLostError):
            fenced.record_failure("handbook", "a.md", error="x")
        fenced.finish_run(run_id, status="failed", counts=RunCounts(), error="lease lost")
        assert store.get_cursor("handbook") == "c1"
        assert store.recent_runs("handbook")[0].status == "failed"
        store.save_cursor("handbook", "c3")  # the store itself is not fenced


@pytest.mark.state_backends
def test_read_only_store_reports_leases_and_refuses_to_lease(state_location: Path | str) -> None:
    path = state_location
    with Store.open(path) as store:
        book = store.lease_book("host:1:abcd", 30.0)
        book.heartbeat()
        assert book.acquire("handbook") is not None
    with Store.open(path, read_only=True) as store:
        leases, instances = store.read_leases()
        assert {c: i.owner for c, i in leases.items()} == {"handbook": "host:1:abcd"}
        assert [(i.id, i.host, i.pid) for i in instances] == [("host:1:abcd", "host", 1)]
        with pytest.raises(StateError, match="read-only; leases refused"):
            store.lease_book("x:2:y", 30.0)


@pytest.mark.state_backends
def test_the_migration_adds_the_lease_tables_to_a_v8_database(state_location: Path | str) -> None:
    from sqlalchemy import inspect

    from ingestor.state._migrations import MIGRATIONS

    if isinstance(state_location, Path):
        state_location.parent.mkdir()
    engine = create_state_engine(StateLocation.of(state_location))
    with engine.begin() as conn:
        assert migrate(conn, where="x", migrations=MIGRATIONS[:8]) == (0, 8)
        assert "leases" not in inspect(conn).get_table_names()
    with engine.begin() as conn:
        assert migrate(conn, where="x", migrations=MIGRATIONS[:9]) == (8, 9)
        tables = set(inspect(conn).get_table_names())
    assert {"leases", "instances"} <= tables
    engine.dispose()


@pytest.mark.state_backends
def test_the_only_user_of_a_database_forgets_a_killed_predecessors_leases(
    state_location: Path | str,
) -> None:
    path = state_location
    with Store.open(path) as store:
        dead = store.lease_book("host:1:dead", 30.0)
        dead.heartbeat()
        assert dead.acquire("handbook") is not None  # never released: the process was killed
    with Store.open(path) as store:
        assert store.exclusive  # flock / exclusive advisory lock: nobody else can be using it
        book = store.lease_book(new_instance_id(), 30.0)
        assert book.acquire("handbook") is None
        book.forget_others()
        lease = book.acquire("handbook")
        assert lease is not None and lease.taken_from is None
        assert [i.id for i in book.live_instances()] == []
    with Store.open(path, read_only=True) as store:
        assert not store.exclusive


def test_a_client_fenced_by_a_lost_lease_sends_no_write_but_still_reads(
    emulator: EmulatorServer,
) -> None:
    lease = Lease("handbook", "me:1:a", 1, trusted_until=time.monotonic() + 60)
    with IntercomClient(emulator.token, base_url=emulator.url, before_write=lease.check) as client:
        source = client.create_source("https://handbook.example.com/")  # held: sent
        lease.lose("another instance took it over")
        with pytest.raises(LeaseLostError, match="took it over"):
            client.create_source("https://other.example.com/")
        assert [s.id for s in client.list_sources()] == [source.id]  # reads go on
    calls = emulator.stats()["by_operation"]
    assert calls["createContentImportSource"] == 1  # the refused one never left
