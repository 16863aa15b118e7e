"""Schema v8: state keeps a 16-byte digest of the HTML last sent, not the HTML, on a real v7 file.

The v7 file is written by the frozen v0..v7 steps (exactly what a v7 fin-ingestor created) and
filled through sqlite3, the way a v7 process left it; then the current store opens it.
"""

from __future__ import annotations

import random
import sqlite3
import zlib
from pathlib import Path

from ingestor.state import MIGRATIONS, SCHEMA_VERSION, Store, UpsertedPage, html_digest
from ingestor.state._engine import create_state_engine
from ingestor.state._migrations import migrate

PAGE_HTML = "<h1>Refunds</h1>" + "<p>Annual plans can be refunded within 30 days.</p>" * 40
#: More pages than the migration reads in one batch (1,000), so its keyset paging is crossed.
MANY = 2_500


def _html(i: int) -> str:
    return f"<h1>Page {i}</h1><p>Caf\u00e9 hours: {i} to {i + 8}.</p>"


def v7_database(path: Path) -> None:
    """A v7 state file: many pages with their HTML kept, one sent before HTML was kept, one
    whose kept blob is damaged, a hidden one, an excluded one, and a second connector."""
    engine = create_state_engine(path)
    try:
        with engine.begin() as conn:
            assert migrate(conn, where=str(path), migrations=MIGRATIONS[:7]) == (0, 7)
    finally:
        engine.dispose()
    row = (
        "INSERT INTO pages (connector, external_id, version, content_hash, intercom_id, title, "
        "url, last_synced_at, error_count, audience, hidden_at) "
        "VALUES (?, ?, '1|f', 'h', ?, ?, NULL, '2026-01-01T00:00:00.000000+00:00', 0, ?, ?)"
    )
    sent = "INSERT INTO sent_html (connector, external_id, html) VALUES (?, ?, ?)"
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO sources VALUES ('docs', 7, 'https://h', '2026-01-01')")
        pages = [("docs", f"p{i:05}.md", str(i), f"P{i}", "customers", None) for i in range(MANY)]
        pages += [
            ("docs", "old.md", "90001", "Old", None, None),
            ("docs", "bad.md", "90002", "Bad", "customers", None),
            ("docs", "hid.md", "90003", "Hid", "customers", "2026-01-02T00:00:00.000000+00:00"),
            ("docs", "x.md", None, None, "exclude", None),
            ("wiki", "Main", "90004", "Main", None, None),
        ]
        conn.executemany(row, pages)
        blobs = [("docs", f"p{i:05}.md", zlib.compress(_html(i).encode())) for i in range(MANY)]
        blobs += [
            ("docs", "bad.md", b"not zlib at all"),
            ("docs", "hid.md", zlib.compress(PAGE_HTML.encode(), 6)),
            ("wiki", "Main", zlib.compress(PAGE_HTML.encode(), 6)),
        ]
        conn.executemany(sent, blobs)


def test_a_v7_file_gets_each_pages_digest_and_loses_the_html(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    v7_database(path)
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 8
        sent = store.sent_pages("docs")
        wiki = store.sent_pages("wiki")
        index = store.page_index("docs")
    assert len(index) == MANY + 4  # every page kept, the excluded one too
    assert all(sent[f"p{i:05}.md"].digest == html_digest(_html(i)) for i in range(MANY))
    assert sent["hid.md"].hidden and sent["hid.md"].digest == html_digest(PAGE_HTML)
    assert wiki["Main"].digest == html_digest(PAGE_HTML)
    assert sent["old.md"].digest is None  # sent before v3 kept the HTML
    assert sent["bad.md"].digest is None  # damaged: compared on title, url and flags only
    assert "x.md" not in sent and sent["p00007.md"].title == "P7"
    with sqlite3.connect(path) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        lengths = set(conn.execute("SELECT length(sent_digest) FROM pages"))
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert "sent_html" not in tables
    assert lengths == {(16,), (None,)}


def test_the_digest_follows_its_page_through_every_write(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    v7_database(path)
    with Store.open(path) as store:
        store.record_upsert(UpsertedPage(
            "docs", "p00001.md", version="2", content_hash="h2", intercom_id="1", title="P1",
            url=None, sent_html="<p>new</p>",
        ))  # fmt: skip
        store.record_upsert(UpsertedPage(
            "docs", "p00002.md", version="2", content_hash="h2", intercom_id="2", title="P2",
            url=None,
        ))  # fmt: skip
        store.record_hidden("docs", "p00003.md", intercom_id="3")
        store.record_withheld(
            "docs", "hid.md", version="3", held=False, rule="rule 1", reason="internal"
        )
        store.record_skipped("docs", "p00004.md", version="3")
        sent = store.sent_pages("docs")
        assert sent["p00001.md"].digest == html_digest("<p>new</p>")
        assert sent["p00002.md"].digest is None  # sent without: none kept
        assert sent["p00003.md"].digest == html_digest(_html(3))  # hidden: content unchanged
        assert "hid.md" not in sent and "p00004.md" not in sent  # taken out of Intercom
        store.rename_connector("docs", "handbook")
        assert store.sent_pages("handbook")["p00001.md"].digest == html_digest("<p>new</p>")
        store.forget_source("handbook")
        assert store.sent_pages("handbook") == {}
        store.record_delete("wiki", "Main")
        assert store.sent_pages("wiki") == {}
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM pages").fetchone() == (0,)


def test_a_page_takes_a_small_part_of_one_database_page(tmp_path: Path) -> None:
    """The layout itself: v6 took 1.1 database pages (4 KB) per 2 KB page, v7 0.4; with only a
    digest of the HTML each row is a few hundred bytes."""
    rng = random.Random(7)
    words = ["".join(rng.choices("etaoinshrdlucmfw", k=rng.randint(2, 9))) for _ in range(3000)]
    path = tmp_path / "state.db"
    with Store.open(path) as store:
        for i in range(400):
            html = "".join(f"<p>{' '.join(rng.choices(words, k=45))}.</p>" for _ in range(6))
            assert 1_500 < len(html) < 2_500 and len(zlib.compress(html.encode())) > 800
            store.record_upsert(UpsertedPage(
                "docs", f"guides/page-{i:04}.md", version=f"{i}:2048|f", content_hash=f"{i:064x}",
                intercom_id=str(40_000_000 + i), title=f"Page {i}",
                url=f"https://docs.example.com/guides/page-{i:04}", sent_html=html,
            ))  # fmt: skip
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
    assert pages < 400 * 0.15  # under 600 bytes per page, all tables and indexes included
