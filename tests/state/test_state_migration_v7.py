"""Schema v7: the HTML last sent leaves ``pages`` for its own table, on a real v6 file.

The v6 file is written by the frozen v0..v6 steps (exactly what a v6 fin-ingestor created) and
filled through sqlite3, the way a v6 process left it; the v7 step runs on it, then the current
store opens it (v8 keeps only a digest of the HTML: tests/state/test_state_migration_v8.py).
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

from ingestor.state import MIGRATIONS, SCHEMA_VERSION, Store, html_digest
from ingestor.state._engine import create_state_engine
from ingestor.state._migrations import migrate

PAGE_HTML = "<h1>Refunds</h1>" + "<p>Annual plans can be refunded within 30 days.</p>" * 40


def v6_database(path: Path) -> None:
    """A v6 state file with pages sent (with and without HTML), a hidden page, an excluded
    one, a failed one, a split page's section, and a run."""
    engine = create_state_engine(path)
    try:
        with engine.begin() as conn:
            assert migrate(conn, where=str(path), migrations=MIGRATIONS[:6]) == (0, 6)
    finally:
        engine.dispose()
    html = zlib.compress(PAGE_HTML.encode(), 6)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO sources VALUES ('docs', 7, 'https://h', '2026-01-01')")
        conn.executemany(
            "INSERT INTO pages (connector, external_id, version, content_hash, intercom_id, "
            "title, url, last_synced_at, last_error, error_count, failed_at, sent_html, "
            "broken_links, parent, audience, audience_rule, gate_reason, hidden_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, '2026-01-01T00:00:00.000000+00:00', ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?)",
            [
                ("docs", "a.md", "1|f", "ha", "11", "A", "https://h/a", None, 0, None, html,
                 '["gone.md"]', None, "customers", "default", None, None),
                ("docs", "a.md#2", "1|f", "hs", "12", "A (2)", None, None, 0, None, html,
                 None, "a.md", "customers", "default", None, None),
                ("docs", "old.md", "1|f", "ho", "13", "Old", None, None, 0, None, None,
                 None, None, None, None, None, None),
                ("docs", "hid.md", "2|f", "hh", "14", "Hid", "https://h/hid", None, 0, None,
                 html, None, None, "customers", "default", None,
                 "2026-01-02T00:00:00.000000+00:00"),
                ("docs", "x.md", "3|f", "excluded", None, None, None, None, 0, None, None,
                 None, None, "exclude", "rule 1 (internal)", "internal", None),
                ("docs", "bad.md", None, None, None, None, None, "HTTP 500", 2,
                 "2026-01-03T00:00:00.000000+00:00", None, None, None, None, None, None, None),
                ("wiki", "Main", "9|f", "hm", "21", "Main", None, None, 0, None, html,
                 None, None, None, None, None, None),
            ],
        )  # fmt: skip
        conn.execute(
            "INSERT INTO runs (connector, started_at, status, created, hidden, pid) "
            "VALUES ('docs', '2026-01-01T00:00:00.000000+00:00', 'ok', 5, 1, 1)"
        )


def test_a_v6_file_is_migrated_with_every_page_and_its_html(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    v6_database(path)
    engine = create_state_engine(path)
    try:
        with engine.begin() as conn:
            assert migrate(conn, where=str(path), migrations=MIGRATIONS[:7]) == (6, 7)
    finally:
        engine.dispose()
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(pages)")]
        kept = dict(conn.execute("SELECT external_id, html FROM sent_html"))
        (ddl,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'pages'").fetchone()
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert "sent_html" not in columns and columns[-1] == "hidden_at"
    assert sorted(kept) == ["Main", "a.md", "a.md#2", "hid.md"]  # old.md: sent before v3
    assert zlib.decompress(kept["a.md#2"]).decode() == PAGE_HTML
    assert "WITHOUT ROWID" in ddl  # the rebuilt table is keyed like the old one
    with Store.open(path) as store:  # and on to the current version
        assert store.schema_version == SCHEMA_VERSION
        index = store.page_index("docs")
        sync = dict(store.sync_index("docs"))  # read while the store is open
        sent = store.sent_pages("docs")
        assert store.sent_pages("wiki")["Main"].digest == html_digest(PAGE_HTML)
        assert store.broken_links("docs") == [("a.md", "gone.md")]
        assert store.withheld_pages("docs")[0].reason == "internal"
        assert [page.external_id for page in store.failed_pages("docs")] == ["bad.md"]
        assert store.recent_runs("docs")[0].created == 5
    assert sorted(index) == ["a.md", "a.md#2", "bad.md", "hid.md", "old.md", "x.md"]
    assert index["hid.md"].url == "https://h/hid" and index["bad.md"].error_count == 2
    assert sync["a.md#2"].parent == "a.md" and sync["a.md"].intercom_id == "11"
    assert sent["hid.md"].hidden and sent["hid.md"].digest == html_digest(PAGE_HTML)
    assert sent["old.md"].digest is None and not sent["a.md"].hidden
    assert set(sent) == {"a.md", "a.md#2", "old.md", "hid.md"}
