"""The store API on real SQLite files and a real PostgreSQL (each test marked to run on both):
sources, pages, runs, summaries, threads, read-only."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestor.errors import StateError
from ingestor.state import (
    HELD_HASH,
    SCHEMA_VERSION,
    SKIPPED_HASH,
    ConnectorSummary,
    PageRecord,
    RunCounts,
    Store,
    SyncEntry,
    UpsertedPage,
    html_digest,
)
from ingestor.state._store import MAX_ERROR_CHARS

pytestmark = pytest.mark.state_backends


@pytest.fixture
def store(state_location: Path | str) -> Iterator[Store]:
    with Store.open(state_location) as opened:
        yield opened


def upsert(store: Store, external_id: str, version: str = "v1", **kw: str) -> None:
    store.record_upsert(
        UpsertedPage(
            "handbook",
            external_id,
            version=version,
            content_hash=kw.get("content_hash", f"hash-{external_id}-{version}"),
            intercom_id=kw.get("intercom_id", f"id-{external_id}"),
            title=kw.get("title", external_id.title()),
            url=kw.get("url", f"https://help.example.com/{external_id}"),
        )
    )


def test_open_creates_folders_and_reports_schema(tmp_path: Path) -> None:
    with Store.open(tmp_path / "deep" / "er" / "state.db") as store:
        assert store.schema_version == SCHEMA_VERSION == 9
        assert store.died_runs == ()
        assert not store.read_only
    assert (tmp_path / "deep" / "er" / "state.db").is_file()


class TestSources:
    def test_round_trip_and_update(self, store: Store) -> None:
        assert store.get_source("handbook") is None
        store.save_source("handbook", 42, "https://help.example.com/")
        first = store.get_source("handbook")
        assert first is not None
        assert (first.connector, first.source_id, first.url) == (
            "handbook",
            42,
            "https://help.example.com/",
        )
        assert abs(time.time() - first.created_at) < 3600  # Unix seconds

        store.save_source("handbook", 43, "https://help.example.com/v2/")
        second = store.get_source("handbook")
        assert second is not None
        assert (second.source_id, second.url) == (43, "https://help.example.com/v2/")
        assert second.created_at == first.created_at  # when we first knew the connector

    def test_forget_source_forgets_its_pages_too(self, store: Store) -> None:
        store.save_source("handbook", 42, "https://help.example.com/")
        store.save_source("wiki", 7, "https://wiki.example.com/")
        upsert(store, "a.md")
        store.record_upsert(
            UpsertedPage(
                "wiki", "p1", version="1", content_hash="h", intercom_id="9", title="P", url=None
            )
        )
        store.forget_source("handbook")
        assert store.get_source("handbook") is None
        assert store.page_index("handbook") == {}
        assert set(store.page_index("wiki")) == {"p1"}
        store.forget_source("wiki", pages=False)
        assert set(store.page_index("wiki")) == {"p1"}


class TestPages:
    def test_upsert_round_trip(self, store: Store) -> None:
        upsert(store, "billing/refunds.md", title="Refunds", url="https://h/refunds")
        [(key, page)] = store.page_index("handbook").items()
        assert key == "billing/refunds.md"
        assert isinstance(page, PageRecord)
        assert page.version == "v1"
        assert page.content_hash == "hash-billing/refunds.md-v1"
        assert page.intercom_id == "id-billing/refunds.md"
        assert (page.title, page.url) == ("Refunds", "https://h/refunds")
        assert page.last_synced_at is not None and abs(time.time() - page.last_synced_at) < 3600
        assert (page.last_error, page.error_count, page.failed_at, page.failed) == (
            None,
            0,
            None,
            False,
        )
        with pytest.raises(dataclasses.FrozenInstanceError):
            page.version = "v2"  # type: ignore[misc]

    def test_upsert_replaces_and_index_is_per_connector(self, store: Store) -> None:
        upsert(store, "a.md")
        upsert(store, "a.md", version="v2", content_hash="new")
        store.record_upsert(
            UpsertedPage(
                "other", "a.md", version="x", content_hash="y", intercom_id="z", title="t", url=None
            )
        )
        page = store.page_index("handbook")["a.md"]
        assert (page.version, page.content_hash) == ("v2", "new")
        assert store.page_index("other")["a.md"].url is None
        assert store.page_index("nobody") == {}

    def test_unicode_and_odd_ids(self, store: Store) -> None:
        for external_id in ("Ünïcødé/ページ.md", "with space.md", "quote'\"; DROP TABLE pages;--"):
            upsert(store, external_id)
        assert len(store.page_index("handbook")) == 3

    def test_record_unchanged_updates_versions_in_bulk(self, store: Store) -> None:
        for name in ("a.md", "b.md", "c.md"):
            upsert(store, name)
        store.record_failure("handbook", "b.md", error="timeout")
        before = store.page_index("handbook")

        updated = store.record_unchanged(
            "handbook", [("a.md", "v9"), ("b.md", "v9"), ("ghost.md", "v9")]
        )

        after = store.page_index("handbook")
        assert updated == 2  # unknown ids are ignored
        assert after["a.md"].version == after["b.md"].version == "v9"
        assert after["a.md"].content_hash == before["a.md"].content_hash
        assert after["a.md"].intercom_id == before["a.md"].intercom_id
        assert after["b.md"].failed is False  # same content as Intercom has: nothing to retry
        assert after["c.md"] == before["c.md"]
        assert "ghost.md" not in after
        assert store.record_unchanged("handbook", []) == 0
        assert store.record_unchanged("handbook", iter([("c.md", "v3")])) == 1

    def test_failure_keeps_the_last_good_upsert(self, store: Store) -> None:
        upsert(store, "a.md")
        good = store.page_index("handbook")["a.md"]
        store.record_failure("handbook", "a.md", error="HTTP 422 data_invalid")
        store.record_failure("handbook", "a.md", error="HTTP 500")
        page = store.page_index("handbook")["a.md"]
        assert (page.version, page.content_hash, page.intercom_id) == (
            good.version,
            good.content_hash,
            good.intercom_id,
        )
        assert (page.last_error, page.error_count, page.failed) == ("HTTP 500", 2, True)
        assert page.failed_at is not None

        upsert(store, "a.md", version="v2")
        healed = store.page_index("handbook")["a.md"]
        assert (healed.last_error, healed.error_count, healed.failed_at) == (None, 0, None)

    def test_failure_of_a_new_page_has_no_version(self, store: Store) -> None:
        store.record_failure("handbook", "new.md", error="too big")
        page = store.page_index("handbook")["new.md"]
        assert (page.version, page.content_hash, page.intercom_id) == (None, None, None)
        assert (page.last_error, page.error_count) == ("too big", 1)

    def test_long_errors_are_clipped(self, store: Store) -> None:
        store.record_failure("handbook", "a.md", error="x" * 50_000)
        error = store.page_index("handbook")["a.md"].last_error
        assert error is not None and len(error) == MAX_ERROR_CHARS and error.endswith("…")

    def test_delete_and_failed_pages(self, store: Store) -> None:
        upsert(store, "a.md")
        upsert(store, "b.md")
        store.record_failure("handbook", "b.md", error="boom")
        store.record_failure("wiki", "w1", error="bang")
        assert [(p.connector, p.external_id) for p in store.failed_pages()] == [
            ("handbook", "b.md"),
            ("wiki", "w1"),
        ]
        assert [p.external_id for p in store.failed_pages("wiki")] == ["w1"]
        store.record_delete("handbook", "a.md")
        store.record_delete("handbook", "never-existed.md")
        assert set(store.page_index("handbook")) == {"b.md"}


class TestRuns:
    def test_begin_finish_and_recent(self, store: Store) -> None:
        first = store.begin_run("handbook")
        second = store.begin_run("wiki", dry_run=True)
        assert second > first
        [running, _] = store.recent_runs()
        assert (running.id, running.status, running.dry_run, running.finished_at) == (
            second,
            "running",
            True,
            None,
        )
        assert running.duration is None

        counts = RunCounts(created=3, updated=2, unchanged=90, deleted=1, failed=4, skipped=5)
        store.finish_run(first, status="partial", counts=counts, error="4 pages failed")
        [run] = store.recent_runs("handbook")
        assert (run.status, run.counts, run.error) == ("partial", counts, "4 pages failed")
        assert (run.created, run.updated, run.unchanged, run.deleted, run.failed, run.skipped) == (
            3,
            2,
            90,
            1,
            4,
            5,
        )
        assert run.finished_at is not None and run.duration is not None
        assert run.duration == run.finished_at - run.started_at >= 0
        assert counts.total == 105

    def test_recent_runs_newest_first_with_limit(self, store: Store) -> None:
        ids = [store.begin_run("handbook") for _ in range(5)]
        assert [r.id for r in store.recent_runs("handbook", limit=3)] == ids[::-1][:3]
        assert store.recent_runs("nobody") == []

    def test_finish_rejects_bad_status_and_unknown_run(self, store: Store) -> None:
        run_id = store.begin_run("handbook")
        for status in ("running", "done", ""):
            with pytest.raises(ValueError, match="invalid final run status"):
                store.finish_run(run_id, status=status, counts=RunCounts())
        with pytest.raises(StateError, match="there is no run 999"):
            store.finish_run(999, status="ok", counts=RunCounts())


def test_summary_per_connector(store: Store) -> None:
    store.save_source("handbook", 42, "https://help.example.com/")
    upsert(store, "a.md")
    upsert(store, "b.md")
    store.record_failure("handbook", "b.md", error="boom")
    old = store.begin_run("handbook")
    store.finish_run(old, status="ok", counts=RunCounts(created=2))
    latest = store.begin_run("handbook")
    store.record_failure("wiki", "w1", error="bang")
    store.begin_run("notion")

    summary = {s.connector: s for s in store.summary()}

    assert list(summary) == ["handbook", "notion", "wiki"]
    handbook = summary["handbook"]
    assert isinstance(handbook, ConnectorSummary)
    assert (handbook.source_id, handbook.source_url) == (42, "https://help.example.com/")
    assert (handbook.pages, handbook.failed) == (2, 1)
    assert handbook.last_run is not None and handbook.last_run.id == latest
    assert (summary["wiki"].source_id, summary["wiki"].pages, summary["wiki"].last_run) == (
        None,
        1,
        None,
    )
    assert summary["notion"].pages == 0


def test_threads_share_one_store(store: Store) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(50):
                store.record_upsert(UpsertedPage(
                    "handbook", f"w{worker}/{i}", version="1", content_hash="h",
                    intercom_id=str(i), title="t", url=None,
                ))  # fmt: skip
                if i % 10 == 0:
                    store.page_index("handbook")
                    store.record_unchanged("handbook", [(f"w{worker}/0", f"v{i}")])
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.page_index("handbook")) == 300


def test_closed_store_refuses_calls(state_location: Path | str) -> None:
    store = Store.open(state_location)
    store.close()
    store.close()  # twice is fine
    with pytest.raises(StateError, match=r"(state\.db|/t_\d+_\d+) is closed"):
        store.page_index("handbook")
    with pytest.raises(StateError, match="is closed"):
        store.begin_run("handbook")
    assert "closed" in repr(store)


class TestReadOnly:
    def test_reads_while_the_writer_holds_the_lock(self, state_location: Path | str) -> None:
        path = state_location
        with Store.open(path) as writer:
            upsert(writer, "a.md")
            run_id = writer.begin_run("handbook")
            with Store.open(path, read_only=True) as reader:
                assert reader.read_only
                assert set(reader.page_index("handbook")) == {"a.md"}
                upsert(writer, "b.md")  # the writer goes on; the reader sees committed data
                assert set(reader.page_index("handbook")) == {"a.md", "b.md"}
                assert reader.recent_runs()[0].id == run_id
                assert reader.summary()[0].pages == 2
                with pytest.raises(StateError, match="open read-only; recording an upsert"):
                    upsert(reader, "c.md")
                with pytest.raises(StateError, match="read-only"):
                    reader.begin_run("handbook")
            # A read-only store never marks the writer's run died.
            assert writer.recent_runs()[0].status == "running"

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(StateError, match=r"no state database at .*nope\.db"):
            Store.open(tmp_path / "nope.db", read_only=True)
        assert not (tmp_path / "nope.db").exists()


def test_sync_index_holds_only_what_the_gates_need(state_location: Path | str) -> None:
    with Store.open(state_location) as store:
        store.record_upsert(
            UpsertedPage(
                "docs",
                "a.md",
                version="1:2",
                content_hash="h1",
                intercom_id="10",
                title="A",
                url=None,
            )
        )
        store.record_upsert(UpsertedPage(
            "docs", "a.md#2", version="1:2", content_hash="h2", intercom_id="11", title="A",
            url=None, parent="a.md",
        ))  # fmt: skip
        store.record_failure("docs", "b.md", error="boom")
        store.record_skipped("docs", "c.md", version="3")
        store.record_withheld(
            "docs", "d.md", version="4", held=True, rule="secrets", reason="a token"
        )
        store.record_upsert(
            UpsertedPage(
                "docs",
                "e.md",
                version="5",
                content_hash="h5",
                intercom_id="12",
                title="E",
                url=None,
            )
        )
        store.record_hidden("docs", "e.md", intercom_id="12")  # vanished, hidden from Fin
        store.record_upsert(
            UpsertedPage(
                "other",
                "a.md",
                version="9",
                content_hash="h9",
                intercom_id="99",
                title="X",
                url=None,
            )
        )
        index = store.sync_index("docs")
        # loaded up front: the version (its key) where an unchanged one needs no fetch,
        # sections, count
        key = index.version_key
        assert [index.gate_version(eid) for eid in ("a.md", "b.md", "c.md", "d.md", "x")] == [
            key("1:2"), None, key("3"), None, None
        ]  # fmt: skip
        assert dict(index.sections) == {"a.md#2": "a.md"} and index.parent("a.md#2") == "a.md"
        assert index.visible == 2 and len(index) == 6 and "x" not in index  # e.md is hidden
        assert index.gate_version("e.md") is None and list(index.hidden) == ["e.md"]
        assert index["e.md"] == SyncEntry(None, None, "12", None, index.hidden["e.md"])
        store.record_delete("docs", "b.md")  # gone after the load: known, with nothing
        # hash and id are read when asked for, then kept for the run
        assert {eid: entry for eid, entry in index.items() if eid != "e.md"} == {
            "a.md": SyncEntry("1:2", "h1", "10"),
            "a.md#2": SyncEntry("1:2", "h2", "11", "a.md"),
            "b.md": SyncEntry(None, None, None),
            "c.md": SyncEntry("3", SKIPPED_HASH, None),
            "d.md": SyncEntry("4", HELD_HASH, None),
        }
        store.record_upsert(
            UpsertedPage(
                "docs",
                "a.md",
                version="5",
                content_hash="h5",
                intercom_id="10",
                title="A",
                url=None,
            )
        )
        assert index["a.md"] == SyncEntry("1:2", "h1", "10")
        with pytest.raises(KeyError):
            index["x"]


def test_cursor_round_trip_and_forgotten_with_the_source(state_location: Path | str) -> None:
    with Store.open(state_location) as store:
        assert store.get_cursor("wiki") is None
        store.save_cursor("wiki", "2026-11-25T10:00:00Z")
        store.save_cursor("wiki", "2026-11-25T11:00:00Z")
        store.save_cursor("other", "42")
        assert store.get_cursor("wiki") == "2026-11-25T11:00:00Z"
        store.save_source("wiki", 7, "https://wiki.example.com/")
        store.forget_source("wiki")  # the source is gone: the next run must list in full
        assert store.get_cursor("wiki") is None
        assert store.get_cursor("other") == "42"
    with Store.open(state_location, read_only=True) as store:
        assert store.get_cursor("other") == "42"


def test_only_a_digest_of_the_html_sent_is_kept(tmp_path: Path) -> None:
    html = "<h1>Refunds</h1>" + "<p>Annual plans can be refunded within 30 days.</p>" * 200
    with Store.open(tmp_path / "state.db") as store:
        store.record_upsert(
            UpsertedPage(
                "docs",
                "a.md",
                version="1",
                content_hash="h",
                intercom_id="9",
                title="A",
                url=None,
                sent_html=html,
            )
        )
        store.record_upsert(
            UpsertedPage(
                "docs", "b.md", version="1", content_hash="h", intercom_id="8", title="B", url=None
            )
        )
        sent = store.sent_pages("docs")
        assert sent["a.md"].digest == html_digest(html) != html_digest(html + " ")
        assert sent["b.md"].digest is None  # sent without: none kept
        assert store.intercom_id("docs", "a.md") == "9"  # what plan --diff reads Intercom by
        assert store.intercom_id("docs", "missing.md") is None
    import sqlite3

    with sqlite3.connect(tmp_path / "state.db") as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        [(stored,)] = conn.execute("SELECT sent_digest FROM pages WHERE external_id = 'a.md'")
    assert "sent_html" not in tables
    assert len(stored) == 16
