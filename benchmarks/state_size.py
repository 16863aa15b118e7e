"""State size benchmark (run by hand, not a test): N pages of ~2 KB HTML in the state database.

    .venv/bin/python benchmarks/state_size.py --pages 100000
    .venv/bin/python benchmarks/state_size.py --pages 100000 --layout v7   # before schema v8
    .venv/bin/python benchmarks/state_size.py --pages 100000 --layout v7 --migrate
    .venv/bin/python benchmarks/state_size.py --pages 100000 --layout v6   # before schema v7

Writes every page through the real ``Store.record_upsert`` (one transaction per page, as a
sync records them), then reports the database's bytes per page (after a checkpoint, so the
WAL is in the file), its SQLite page count (and free pages), the bytes of each table and index
(SQLite's dbstat), and what loading the sync index costs: seconds and the memory the loaded
index holds (tracemalloc). ``--layout v7`` writes the same rows the way schema v7 kept them
(the HTML compressed in its own table ``sent_html``) and ``--layout v6`` (the HTML inline in
``pages``), through SQL, for comparison; ``--migrate`` then times the current store's migration
of that file and measures it again, before and after ``VACUUM`` (freed pages stay in the file
until then).

The HTML is English prose (docstrings of the Python standard library) in headings and
paragraphs, so it compresses like documentation does (~2.3x), not like repeated filler.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import random
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import warnings
import zlib
from collections.abc import Callable, Sized
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingestor.state import MIGRATIONS, Store, SyncEntry, UpsertedPage  # noqa: E402
from ingestor.state._engine import create_state_engine  # noqa: E402
from ingestor.state._migrations import migrate  # noqa: E402
from ingestor.state._statements import epoch  # noqa: E402

CONNECTOR = "bench"
SUFFIX = "|3f9a1c2b7d4e5f60"  # a settings fingerprint, as the engine appends


def prose() -> list[str]:
    """Paragraph-sized English texts: docstrings of standard-library modules and functions."""
    texts: list[str] = []
    skip = {"antigravity", "this", "idlelib", "turtledemo", "tkinter", "turtle"}
    for name in sorted(sys.stdlib_module_names - skip):  # never this repo's scripts
        if name.startswith("_"):
            continue
        try:
            module = importlib.import_module(name)
        except Exception:  # optional modules missing on this machine
            continue
        for value in [module, *vars(module).values()]:
            doc = getattr(value, "__doc__", None)
            if isinstance(doc, str) and len(doc) > 200:
                texts.extend(p.strip() for p in doc.split("\n\n") if len(p.strip()) > 80)
        if len(texts) > 20_000:
            break
    return sorted(set(texts))


def page_html(rng: random.Random, paragraphs: list[str], size: int) -> str:
    parts = [f"<h1>{rng.choice(paragraphs)[:40]}</h1>"]
    total = 0
    while total < size:
        text = rng.choice(paragraphs)[: size - total + 40]
        block = f"<h2>{text[:30]}</h2>" if rng.random() < 0.15 else f"<p>{text}</p>"
        parts.append(block)
        total += len(block)
    return "".join(parts)


#: sync_bench.py's vocabulary: its generated pages compress about 3.5x, prose about 2x.
WORDS = """account billing invoice refund seat workspace admin owner token api limit window
retry password login sso domain export import report dashboard webhook plan""".split()  # noqa: SIM905


def vocabulary_paragraphs(rng: random.Random) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(60)) + "." for _ in range(2000)]


def rows(count: int, size: int, text: str = "prose") -> list[dict[str, object]]:
    rng = random.Random(1)
    paragraphs = prose() if text == "prose" else vocabulary_paragraphs(rng)
    out: list[dict[str, object]] = []
    for i in range(count):
        html = page_html(rng, paragraphs, size)
        eid = f"section-{i // 1000:03}/article-{i:06}.md"
        out.append(
            {
                "external_id": eid,
                "version": f"{1_764_000_000_000_000_000 + i * 7919}:{len(html)}{SUFFIX}",
                "content_hash": hashlib.sha256(html.encode()).hexdigest(),
                "intercom_id": str(40_000_000 + i),
                "title": f"Article {i}: {html[4:40]}",
                "url": f"https://docs.example.com/{eid}",
                "sent_html": html,
            }
        )
    return out


def write_current(path: Path, pages: list[dict[str, object]]) -> None:
    with Store.open(path) as store:
        for page in pages:
            store.record_upsert(
                UpsertedPage(
                    CONNECTOR,
                    str(page["external_id"]),
                    version=str(page["version"]),
                    content_hash=str(page["content_hash"]),
                    intercom_id=str(page["intercom_id"]),
                    title=str(page["title"]),
                    url=str(page["url"]),
                    sent_html=str(page["sent_html"]),
                    audience=("customers", "default"),
                )
            )


def write_v6(path: Path, pages: list[dict[str, object]]) -> None:
    engine = create_state_engine(path)
    with engine.begin() as conn:
        migrate(conn, where=str(path), migrations=MIGRATIONS[:6])
    engine.dispose()
    now = "2026-12-05T12:00:00.000000+00:00"
    with sqlite3.connect(path) as conn:
        for page in pages:  # one transaction per page, as the v6 store wrote them
            conn.execute(
                "INSERT INTO pages (connector, external_id, version, content_hash, intercom_id, "
                "title, url, last_synced_at, error_count, sent_html, audience, audience_rule) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'customers', 'default')",
                (
                    CONNECTOR,
                    page["external_id"],
                    page["version"],
                    page["content_hash"],
                    page["intercom_id"],
                    page["title"],
                    page["url"],
                    now,
                    zlib.compress(str(page["sent_html"]).encode(), 6),
                ),
            )
            conn.commit()


def write_v7(path: Path, pages: list[dict[str, object]]) -> None:
    engine = create_state_engine(path)
    with engine.begin() as conn:
        migrate(conn, where=str(path), migrations=MIGRATIONS[:7])
    engine.dispose()
    now = "2026-12-05T12:00:00.000000+00:00"
    with sqlite3.connect(path) as conn:
        for page in pages:  # one transaction per page, as the v7 store wrote them
            conn.execute(
                "INSERT INTO pages (connector, external_id, version, content_hash, intercom_id, "
                "title, url, last_synced_at, error_count, audience, audience_rule) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'customers', 'default')",
                (
                    CONNECTOR,
                    page["external_id"],
                    page["version"],
                    page["content_hash"],
                    page["intercom_id"],
                    page["title"],
                    page["url"],
                    now,
                ),
            )
            conn.execute(
                "INSERT INTO sent_html (connector, external_id, html) VALUES (?, ?, ?)",
                (
                    CONNECTOR,
                    page["external_id"],
                    zlib.compress(str(page["sent_html"]).encode(), 6),
                ),
            )
            conn.commit()


WRITERS = {"v8": write_current, "v7": write_v7, "v6": write_v6}


def report_file(path: Path, count: int, label: str) -> None:
    """The file's bytes per page, its SQLite pages, and each table's and index's share."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        page_count = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        try:
            tables = conn.execute(
                "SELECT name, sum(pgsize), sum(payload), sum(ncell) FROM dbstat "
                "GROUP BY name ORDER BY sum(pgsize) DESC"
            ).fetchall()
        except sqlite3.OperationalError:  # an SQLite built without the dbstat table
            tables = []
    size = path.stat().st_size
    print(
        f"{label}: file {size / 1e6:.1f} MB = {size / count:,.0f} B per page; "
        f"{page_count:,} SQLite pages of {page_size} B ({free:,} free)"
    )
    for name, pgsize, payload, cells in tables:
        if pgsize >= page_size * 4:
            print(
                f"  {name}: {pgsize / count:,.0f} B per page "
                f"({payload / count:,.0f} B payload, {cells:,} cells)"
            )


def full_index(store: Store) -> dict[str, SyncEntry]:
    """The sync index as schema v6 loaded it (version, hash, id, parent, hidden time per page),
    to compare."""
    engine = store._live_engine()  # a benchmark may look inside
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT external_id, version, content_hash, intercom_id, parent, hidden_at FROM pages "
            "WHERE connector = ?",
            (CONNECTOR,),
        )
        return {row[0]: SyncEntry(row[1], row[2], row[3], row[4], epoch(row[5])) for row in rows}


def measure(name: str, load: Callable[[], Sized]) -> None:
    load()  # warm the page cache: the figure is the load, not the disk
    times = []
    for _ in range(3):
        start = time.perf_counter()
        index = load()
        times.append(time.perf_counter() - start)
        del index
    gc.collect()
    tracemalloc.start()
    index = load()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{name}: {len(index):,} entries loaded in {min(times):.3f}s (best of 3); "
        f"holds {held / 1e6:.1f} MB = {held / len(index):.0f} B per page"
    )


def measure_index(path: Path) -> None:
    with Store.open(path) as store:
        measure("sync index (what the version gate reads)", lambda: store.sync_index(CONNECTOR))
        measure("full index (v6: version, hash, id, parent, hidden)", lambda: full_index(store))


def main() -> None:
    warnings.simplefilter("ignore")  # deprecated modules imported for their docstrings
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--html-bytes", type=int, default=2_000)
    parser.add_argument("--layout", choices=list(WRITERS), default="v8")
    parser.add_argument(
        "--migrate", action="store_true", help="then migrate the file to the current schema"
    )
    parser.add_argument(
        "--text",
        choices=["prose", "vocabulary"],
        default="prose",
        help="English prose, or sync_bench.py's 24-word vocabulary (compresses more)",
    )
    args = parser.parse_args()
    pages = rows(args.pages, args.html_bytes, args.text)
    html = sum(len(str(p["sent_html"])) for p in pages) / len(pages)
    packed = sum(len(zlib.compress(str(p["sent_html"]).encode(), 6)) for p in pages) / len(pages)
    print(f"{len(pages):,} pages: HTML {html:.0f} B on average, {packed:.0f} B compressed")
    with tempfile.TemporaryDirectory(prefix="fin-state-") as work:
        path = Path(work) / "state.db"
        start = time.perf_counter()
        WRITERS[args.layout](path, pages)
        took = time.perf_counter() - start
        print(f"layout {args.layout}: written in {took:.1f}s ({len(pages) / took:,.0f} pages/s)")
        report_file(path, len(pages), f"layout {args.layout}")
        if args.layout != "v8" and not args.migrate:
            return  # the current store cannot open an older file without migrating it
        if args.migrate:
            start = time.perf_counter()
            Store.open(path).close()
            took = time.perf_counter() - start
            print(f"migrated to the current schema in {took:.1f}s")
            report_file(path, len(pages), "migrated, before VACUUM")
            start = time.perf_counter()
            with sqlite3.connect(path) as conn:
                conn.execute("VACUUM")
            print(f"VACUUM in {time.perf_counter() - start:.1f}s")
            report_file(path, len(pages), "migrated, after VACUUM")
        measure_index(path)


if __name__ == "__main__":
    main()
