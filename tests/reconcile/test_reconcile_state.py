"""The state side of a reconcile, on a real SQLite file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from ingestor.state import Store, UpsertedPage, html_digest
from ingestor.state._engine import StateLocation, create_state_engine


def _sent(store: Store, eid: str) -> None:
    store.record_upsert(
        UpsertedPage(
            "docs",
            eid,
            version="v1",
            content_hash="h1",
            intercom_id=f"id-{eid}",
            title=eid,
            url=None,
            sent_html=f"<p>{eid}</p>",
        )
    )


def test_reconciles_are_recorded_with_pid_and_summary(state_location: Path | str) -> None:
    with Store.open(state_location) as store:
        assert store.last_reconcile("docs") is None
        first = store.begin_reconcile("docs")
        store.finish_reconcile(first, status="partial", summary={"counts": {"missing": 2}})
        running = store.begin_reconcile("docs")  # not finished: not the last one
        last = store.last_reconcile("docs")
        assert last is not None and last.id == first != running
        assert (last.status, last.pid, last.summary) == (
            "partial",
            os.getpid(),
            {"counts": {"missing": 2}},
        )
        with pytest.raises(ValueError, match="invalid final reconcile status"):
            store.finish_reconcile(running, status="running", summary={})


def test_mark_for_resend_clears_what_a_sync_checks_and_the_cursor(
    state_location: Path | str,
) -> None:
    with Store.open(state_location) as store:
        for eid in ("a", "b", "c"):
            _sent(store, eid)
        store.save_cursor("docs", "cursor-1")
        assert store.mark_for_resend("docs", ["a"], gone=True) == 1
        assert store.mark_for_resend("docs", ["b", "unknown"], gone=False) == 1
        index = store.sync_index("docs")
        assert (index["a"].version, index["a"].content_hash, index["a"].intercom_id) == (
            None,
            None,
            None,
        )
        assert (index["b"].version, index["b"].intercom_id) == (None, "id-b")
        assert index["c"].version == "v1"
        assert store.get_cursor("docs") is None
        sent = store.sent_pages("docs")
        assert sorted(sent) == ["b", "c"] and sent["c"].digest == html_digest("<p>c</p>")
        assert not store.is_empty()


def test_a_reconcile_left_running_by_a_dead_process_is_marked_died(
    state_location: Path | str,
) -> None:
    with Store.open(state_location) as store:
        done = store.begin_reconcile("docs")
        store.finish_reconcile(done, status="ok", summary={"counts": {}})
        store.begin_reconcile("docs")  # its process "dies": the store closes unfinished
    with Store.open(state_location) as store:  # the next owner of the lock
        last = store.last_reconcile("docs")
        assert last is not None and last.id == done  # the died one found nothing to report
    engine = create_state_engine(StateLocation.of(state_location))
    with engine.connect() as conn:
        query = text("SELECT status FROM reconciles ORDER BY id")
        statuses = [row[0] for row in conn.execute(query)]
    engine.dispose()
    assert statuses == ["ok", "died"]
