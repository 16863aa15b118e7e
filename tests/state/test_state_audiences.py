"""Schema v5: what the gate records per page and per run, and the migration from v4."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ingestor.state import (
    EXCLUDED_HASH,
    HELD_HASH,
    MIGRATIONS,
    SCHEMA_VERSION,
    RunCounts,
    Store,
    UpsertedPage,
)
from ingestor.state._engine import create_state_engine
from ingestor.state._migrations import migrate


def test_a_v4_database_gains_the_gate_columns_and_keeps_its_pages(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    engine = create_state_engine(path)
    with engine.begin() as conn:
        assert migrate(conn, where=str(path), migrations=MIGRATIONS[:4]) == (0, 4)
    engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO pages (connector, external_id, version, content_hash, intercom_id) "
            "VALUES ('docs', 'a.md', '1|f', 'h', '77')"
        )
        conn.execute("INSERT INTO cursors VALUES ('wiki', '42', '2026-01-01T00:00:00+00:00')")
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.sync_index("docs")["a.md"].intercom_id == "77"
        assert store.audience_counts("docs") == {("", ""): 1}  # decided before audiences
        assert store.get_cursor("wiki") == "42"
        assert store.get_cursor("wiki", settings="abc") is None  # new settings: list in full


def test_withheld_pages_audiences_and_rule_counts_round_trip(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        store.record_upsert(UpsertedPage(
            "docs", "a.md", version="1", content_hash="h", intercom_id="1", title="A", url=None,
            audience=("team", "rule 2 (ops)"),
        ))  # fmt: skip
        store.record_withheld(
            "docs", "b.md", version="2", held=False, rule="rule 1", reason="rule 1"
        )
        store.record_withheld(
            "docs", "c.md", version="3", held=True, rule="default", reason="secret: x line 1 AK…"
        )
        store.record_unchanged("docs", [("a.md", "1b")], [("a.md", "team", "rule 3 (moved)")])
        index = store.sync_index("docs")
        assert (index["b.md"].content_hash, index["c.md"].content_hash) == (
            EXCLUDED_HASH,
            HELD_HASH,
        )
        assert [(w.external_id, w.audience) for w in store.withheld_pages("docs")] == [
            ("c.md", "held"),
            ("b.md", "exclude"),
        ]
        assert store.audience_counts("docs") == {
            ("team", "rule 3 (moved)"): 1,
            ("exclude", "rule 1"): 1,
            ("held", "default"): 1,
        }
        run_id = store.begin_run("docs")
        store.finish_run(
            run_id,
            status="ok",
            counts=RunCounts(created=1, excluded=1, held=1),
            rule_counts={"rule 1": 1, "default": 2},
        )
        [run] = store.recent_runs("docs")
        assert (run.excluded, run.held, run.counts.total) == (1, 1, 3)
        assert run.rule_counts == {"rule 1": 1, "default": 2}
