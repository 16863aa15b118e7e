"""A PostgreSQL state lock whose session ends under a live holder (the server restarted or
failed over, an administrator ran ``pg_terminate_backend``) stops the holder's writes: the next
write raises StateError naming the database (password redacted), and nothing is written after
the loss, even though the pool's other connections still work. The lock is never taken again
behind a run's back; a daemon's next run takes a new one (``Store.retake_lock``).

The fault is real: the lock's backend is terminated from another session of the same server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine, text

from ingestor.errors import StateError, StateLockedError
from ingestor.state import Store, UpsertedPage
from ingestor.state._lock import STATE_LOCK_KEY

PASSWORD = "s3cret-pw"  # trust authentication: the server ignores it, messages must not show it

#: The sessions holding fin-ingestor's state lock (key "fin_stat") in this database.
LOCK_HOLDERS = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND ((classid::bigint << 32) | objid::bigint) = :key"
)


@pytest.fixture
def admin(postgres_url: str) -> Iterator[Connection]:
    """Another session of the state database's server (a DBA's)."""
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        yield conn
    engine.dispose()


@pytest.fixture
def url_with_password(postgres_url: str) -> str:
    return postgres_url.replace("ingestor@", f"ingestor:{PASSWORD}@", 1)


def terminate_lock_holders(admin: Connection) -> list[int]:
    """End every session holding the state lock, as ``pg_terminate_backend`` does for a DBA."""
    pids = holders(admin)
    for pid in pids:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
    return pids


def holders(admin: Connection) -> list[int]:
    return [row[0] for row in admin.execute(LOCK_HOLDERS, {"key": STATE_LOCK_KEY})]


def upsert(store: Store, eid: str) -> None:
    store.record_upsert(
        UpsertedPage(
            "handbook",
            eid,
            version="v1",
            content_hash="h",
            intercom_id=f"i-{eid}",
            title=eid,
            url=None,
        )
    )


def count(admin: Connection, table: str) -> int:
    return int(admin.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_lost_lock_refuses_the_next_write_and_every_later_one(
    url_with_password: str, admin: Connection
) -> None:
    store = Store.open(url_with_password)
    try:
        run_id = store.begin_run("handbook")
        upsert(store, "a.md")
        assert store.exclusive
        assert len(terminate_lock_holders(admin)) == 1

        with pytest.raises(StateError) as lost:
            upsert(store, "b.md")  # the pool's connections still work: only the check stops it
        message = str(lost.value)
        assert "lost its lock on the state database" in message
        assert "the next run resumes" in message
        assert "ingestor:***@127.0.0.1" in message and PASSWORD not in message
        assert not store.exclusive

        # lost for good: every kind of write, the run's own end included
        with pytest.raises(StateError, match="lost its lock"):
            store.save_cursor("handbook", "c1")
        with pytest.raises(StateError, match="lost its lock"):
            store.finish_run(run_id, status="ok", counts=store.recent_runs()[0].counts)
        assert [row[0] for row in admin.execute(text("SELECT external_id FROM pages"))] == ["a.md"]
        assert count(admin, "cursors") == 0
        assert store.page_index("handbook").keys() == {"a.md"}  # reads go on

        # the lock is free: another process may take it, and finds the cut-short run died
        with Store.open(url_with_password) as other:
            assert other.died_runs == (run_id,)
            upsert(other, "b.md")
        with pytest.raises(StateError, match="lost its lock"):
            upsert(store, "c.md")  # free again, but never taken back behind the run's back
        assert count(admin, "pages") == 2
    finally:
        store.close()  # releasing a lost lock is quiet
    with Store.open(url_with_password) as again:  # the next run goes on as usual
        upsert(again, "c.md")
    assert count(admin, "pages") == 3


def test_a_daemon_takes_a_new_lock_for_its_next_run_only(
    postgres_url: str, admin: Connection
) -> None:
    store = Store.open(postgres_url, shared=True)
    try:
        assert store.retake_lock(["handbook"]) is None  # held: nothing to do
        run = store.fenced(lambda: None)  # a daemon's run writes through a view like this
        run_id = run.begin_run("handbook")
        [holder] = terminate_lock_holders(admin)

        with pytest.raises(StateError, match="lost its lock"):
            upsert(run, "a.md")
        assert count(admin, "pages") == 0

        # the run it cut short can never record its end: recorded as died when retaken
        assert store.retake_lock(["handbook"]) == [run_id]
        [(status, error)] = admin.execute(text("SELECT status, error FROM runs")).all()
        assert status == "died" and "lost its lock on the state database" in error
        [new_holder] = holders(admin)
        assert new_holder != holder
        assert not store.exclusive  # the same mode: shared with other daemons
        with pytest.raises(StateLockedError):
            Store.open(postgres_url)

        with pytest.raises(StateError, match="lost its lock"):
            upsert(run, "a.md")  # the cut-short run's view keeps the lost lock
        upsert(store.fenced(lambda: None), "a.md")  # the next run writes
        assert count(admin, "pages") == 1

        # lost again, and an exclusive command (`ingestor prune`...) takes the lock meanwhile
        terminate_lock_holders(admin)
        with Store.open(postgres_url) as exclusive:
            with pytest.raises(StateLockedError, match="in use by"):
                store.retake_lock(["handbook"])  # that run fails; the daemon backs off
            upsert(exclusive, "b.md")
        assert store.retake_lock(["handbook"]) == []  # retaken once the command is done
        upsert(store.fenced(lambda: None), "c.md")
        assert count(admin, "pages") == 3
    finally:
        store.close()


def test_a_lock_released_on_close_is_not_taken_again(postgres_url: str) -> None:
    store = Store.open(postgres_url)
    store.close()
    with pytest.raises(StateError, match="closed"):
        store.retake_lock()
