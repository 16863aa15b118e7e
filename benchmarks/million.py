"""A million files (run by hand, not a test): issue 16 point 3's figures side by side, one run.

    .venv/bin/python benchmarks/million.py --files 1000000
    .venv/bin/python benchmarks/million.py --files 100000
    .venv/bin/python benchmarks/million.py --files 1000000 --first-sync  (measured, not seeded)

A first sync of a million files takes about 50 minutes here, so the state it would leave is
**seeded**, and only what the targets are about is **measured**:

Seeded (prepared, not measured):
1. ``--files`` small Markdown files (``--page-bytes``) under ``section-NNN/`` folders.
2. A **real first sync** of the first ``--sample`` files through the real CLI
   (``ingestor sync``) against the emulator with its SQLite store: it creates the Content Import
   Source, and its rows in the emulator and in the state database are the templates.
3. The other files are added to both databases in bulk, each a copy of a template row:
   the emulator's ``pages`` table (its own schema, explicit ids) and the state database's
   ``pages`` table (SQLAlchemy Core, the current schema), with the file's own version as a sync
   writes it (``<mtime_ns>:<size>`` of ``os.stat`` plus the run's settings fingerprint, read
   from the template), the Intercom id the emulator row got, a title and url of the file's
   own, and a per-file placeholder content hash (no conversion ran for them). The HTML last
   sent (``sent_html``) is not seeded: no sync reads it unless it hides a page.

Measured (each sync a fresh ``ingestor sync`` process, the real CLI and engine, against the
emulator at Intercom's limits by default: 50 ms latency, 1,666 calls per 10-s window):
A. no-op resync of the whole tree: seconds, calls counted at the emulator per operation.
B. a 1 % change: every 100th file rewritten (new size and mtime), then a sync: seconds and
   calls per operation (target: exactly one upsert per changed file).
Memory of every process of a sync (the CLI process and every process under it: conversion
workers, multiprocessing's helper), sampled every 50 ms from ``/proc``: the highest RSS total
seen at one instant, the sum of each process's own peak (``VmHWM``, an upper bound), the
engine process alone, and PSS (``/proc/PID/smaps_rollup``: pages shared between processes
counted once, split between them) at its highest total. The emulator is not counted: it
stands in for Intercom.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync_bench import TOKEN, _descendants, free_port, wait_for_emulator, write_config  # noqa: E402

from ingestor.state._tables import pages_table  # noqa: E402

INGESTOR = Path(sys.executable).with_name("ingestor")
CONNECTOR = "bench"
PARAGRAPH = (
    "To reset a seat, open the workspace admin page, pick the account and choose the plan. "
    "Billing exports and invoices follow the same window; a refund takes one retry. "
)


def rel_path(n: int) -> str:
    return f"section-{n // 1000:04}/article-{n:07}.md"


def page_text(n: int, page_bytes: int, edit: str = "") -> str:
    body = PARAGRAPH * max(1, page_bytes // len(PARAGRAPH))
    return f"# Article {n}\n\n{body}\n{edit}"


def generate(root: Path, start: int, stop: int, page_bytes: int) -> None:
    for n in range(start, stop):
        if n % 1000 == 0 or n == start:
            (root / f"section-{n // 1000:04}").mkdir(parents=True, exist_ok=True)
        with open(root / rel_path(n), "w", encoding="utf-8") as f:
            f.write(page_text(n, page_bytes))


# -- the emulator ----------------------------------------------------------------------------


def start_emulator(
    db: Path, port: int, latency_ms: float = 0, rate_limit: int = 0
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "ingestor", "emulator", "--port", str(port), "--token", TOKEN]
    if latency_ms:
        cmd += ["--latency-ms", str(latency_ms)]
    if rate_limit:
        cmd += ["--rate-limit", str(rate_limit)]
    proc = subprocess.Popen(
        [*cmd, "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return wait_for_emulator(proc, port, seconds=30)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=60)


def calls(url: str) -> dict[str, int]:
    """Calls served so far, per operation (admin calls are not counted)."""
    got = httpx.get(f"{url}/_emulator/stats", timeout=60).json()
    return {op: n for op, n in got["by_operation"].items() if n} | {"total": got["total"]}


def seed_emulator(db: Path, start: int, stop_at: int) -> dict[str, int]:
    """Copies of the first template page for files ``start``..; their ids by external id."""
    con = sqlite3.connect(db)
    columns = [row[1] for row in con.execute("PRAGMA table_info(pages)")]
    template = dict(
        zip(columns, con.execute("SELECT * FROM pages ORDER BY id LIMIT 1").fetchone(), strict=True)
    )
    first_id = int(con.execute("SELECT MAX(id) FROM pages").fetchone()[0]) + 1
    rel0, title0 = template["external_id"], template["title"]

    def rows() -> Any:
        for n in range(start, stop_at):
            rel = rel_path(n)
            row = template | {
                "id": first_id + n - start,
                "external_id": rel,
                "title": title0.replace("0", str(n)) if title0 == "Article 0" else f"Article {n}",
                "url": (template["url"] or "").replace(rel0, rel),
                "html": template["html"].replace("Article 0", f"Article {n}"),
            }
            yield tuple(row[c] for c in columns)

    marks = ", ".join("?" * len(columns))
    with con:
        con.executemany(f"INSERT INTO pages ({', '.join(columns)}) VALUES ({marks})", rows())
    ids = dict(con.execute("SELECT external_id, id FROM pages"))
    con.close()
    return ids


# -- the state database --------------------------------------------------------------------


def seed_state(state_db: Path, root: Path, start: int, stop_at: int, ids: dict[str, int]) -> str:
    """Copies of the first template row for files ``start``..; returns the settings suffix."""
    engine = create_engine(f"sqlite:///{state_db}")
    with engine.begin() as conn:
        template = dict(
            conn.execute(
                select(pages_table).where(pages_table.c.connector == CONNECTOR).limit(1)
            ).mappings().one()
        )  # fmt: skip
        rel0 = template["external_id"]
        suffix = template["version"].partition("|")[2]
        batch: list[dict[str, Any]] = []
        for n in range(start, stop_at):
            rel = rel_path(n)
            info = os.stat(root / rel)
            batch.append(
                template
                | {
                    "external_id": rel,
                    "version": f"{info.st_mtime_ns}:{info.st_size}|{suffix}",
                    "content_hash": hashlib.sha256(rel.encode()).hexdigest(),
                    "intercom_id": str(ids[rel]),
                    "title": f"Article {n}",
                    "url": (template["url"] or "").replace(rel0, rel),
                }
            )
            if len(batch) == 20_000:
                conn.execute(insert(pages_table), batch)
                batch = []
        if batch:
            conn.execute(insert(pages_table), batch)
    engine.dispose()
    return suffix


# -- one measured sync -----------------------------------------------------------------------


def _kb(pid: int, name: str, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Measured:
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    rss_total_mb: float = 0.0
    rss_peak_sum_mb: float = 0.0
    main_rss_mb: float = 0.0
    pss_total_mb: float = 0.0
    processes: int = 0


def measured_sync(config: Path, url: str) -> Measured:
    """One ``ingestor sync`` process, its memory sampled with every process under it."""
    before = calls(url)
    env = {**os.environ, "FIN_BENCH_TOKEN": TOKEN}
    cmd = [str(INGESTOR), "sync", "-c", str(config), "--json", "--no-progress"]
    started, cpu_before = time.perf_counter(), _children_cpu()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    got, peaks = Measured(), {}
    while child.poll() is None:
        pids = _descendants(child.pid)
        got.processes = max(got.processes, len(pids))
        rss = pss = 0
        for pid in pids:
            peaks[pid] = max(peaks.get(pid, 0), _kb(pid, "status", "VmHWM"))
            rss += _kb(pid, "status", "VmRSS")
            pss += _kb(pid, "smaps_rollup", "Pss")
        got.rss_total_mb = max(got.rss_total_mb, rss / 1024)
        got.pss_total_mb = max(got.pss_total_mb, pss / 1024)
        time.sleep(0.05)
    got.seconds = time.perf_counter() - started
    got.cpu_seconds = _children_cpu() - cpu_before  # the sync and its workers, once reaped
    out = child.stdout.read() if child.stdout else b""
    if child.returncode not in (0,):
        raise SystemExit(f"ingestor sync exited {child.returncode}: {out[-2000:]!r}")
    got.rss_peak_sum_mb = sum(peaks.values()) / 1024
    got.main_rss_mb = peaks.get(child.pid, 0) / 1024
    got.summary = json.loads(out)
    after = calls(url)
    got.calls = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    got.calls = {k: v for k, v in got.calls.items() if v}
    return got


def counts(m: Measured) -> str:
    [run] = m.summary["connectors"]
    keys = ("listed", "created", "updated", "unchanged", "deleted", "failed")
    shown = ", ".join(f"{k} {run['counts'][k]:,}" for k in keys if run["counts"][k])
    return f"{run['status']}: {shown}"


def machine() -> str:
    load = os.getloadavg()
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    return (
        f"{os.cpu_count()} cores, {int(mem) / 2**20:.0f} GiB, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )


def report(name: str, m: Measured, target: str) -> None:
    print(f"{name}: {m.seconds:.2f} s ({m.cpu_seconds:.2f} s of CPU); {counts(m)}")
    print(f"    calls at the emulator: {m.calls or 0}")
    print(
        f"    memory, all {m.processes} processes: RSS {m.rss_total_mb:.0f} MB at one time "
        f"({m.rss_peak_sum_mb:.0f} MB summing each one's peak), PSS {m.pss_total_mb:.0f} MB; "
        f"engine process alone RSS {m.main_rss_mb:.0f} MB"
    )
    print(f"    target: {target}")


# -- the run -----------------------------------------------------------------------------------


def prepare(args: argparse.Namespace, work: Path, url: str, port: int) -> Path:
    root, emulator_db = work / "share", work / "emulator.db"
    sample = min(args.sample, args.files)
    generate(root, 0, sample, args.page_bytes)
    config = write_config(work, url, root)
    emulator = start_emulator(emulator_db, port)
    try:
        first = measured_sync(config, url)
    finally:
        stop(emulator)
    print(f"seed: real first sync of {sample:,} files: {counts(first)} in {first.seconds:.1f} s")
    t0 = time.perf_counter()
    generate(root, sample, args.files, args.page_bytes)
    t1 = time.perf_counter()
    ids = seed_emulator(emulator_db, sample, args.files)
    t2 = time.perf_counter()
    suffix = seed_state(work / "state.db", root, sample, args.files, ids)
    t3 = time.perf_counter()
    print(
        f"seed: {args.files - sample:,} more files written in {t1 - t0:.0f} s, emulator rows in "
        f"{t2 - t1:.0f} s, state rows in {t3 - t2:.0f} s (settings fingerprint {suffix})"
    )
    return config


def first_sync(args: argparse.Namespace, work: Path, url: str, port: int) -> tuple[Path, Measured]:
    """``--first-sync``: every file written, then one real measured first sync of them all
    against the emulator with no latency and no rate limit (what is measured is memory and
    the engine's own speed; at Intercom's limits it would take files / 166 seconds)."""
    root = work / "share"
    t0 = time.perf_counter()
    generate(root, 0, args.files, args.page_bytes)
    print(f"first sync: {args.files:,} files written in {time.perf_counter() - t0:.0f} s")
    config = write_config(work, url, root)
    os.sync()
    emulator = start_emulator(work / "emulator.db", port)
    try:
        measured = measured_sync(config, url)
    finally:
        stop(emulator)
    return config, measured


def change_one_percent(root: Path, files: int, page_bytes: int) -> int:
    changed = 0
    for n in range(0, files, 100):
        with open(root / rel_path(n), "w", encoding="utf-8") as f:
            f.write(page_text(n, page_bytes, edit=f"Edited at {time.time()}.\n"))
        changed += 1
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--page-bytes", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=200, help="files of the real first sync")
    parser.add_argument(
        "--latency-ms", type=float, default=50, help="emulator latency of the measured syncs"
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=1666,
        help="calls per 10-s window of the measured syncs (Intercom's; 0: none)",
    )
    parser.add_argument(
        "--first-sync",
        action="store_true",
        help="a real, measured first sync of every file (no latency, no rate limit) instead "
        "of seeding the state",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fin-million-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"machine: {machine()}")
    first: Measured | None = None
    try:
        if args.first_sync:
            config, first = first_sync(args, work, url, port)
        else:
            config = prepare(args, work, url, port)
        os.sync()
        emulator = start_emulator(work / "emulator.db", port, args.latency_ms, args.rate_limit)
        try:
            noop = measured_sync(config, url)
            changed = change_one_percent(work / "share", args.files, args.page_bytes)
            one_percent = measured_sync(config, url)
        finally:
            stop(emulator)
        print(f"machine after: {machine()}")
        limits = f"{args.latency_ms:g} ms latency, {args.rate_limit or 'no'} calls per 10 s"
        print(f"\n{args.files:,} files, each sync a fresh `ingestor sync` process ({limits}):")
        if first is not None:
            report(
                "first sync (no latency, no rate limit)",
                first,
                f"{args.files:,} creates; all processes <= 300 MB at 1,000,000 pages, "
                "<= 200 MB at 100,000",
            )
        report("no-op resync", noop, "<= 10 s at 1,000,000 files, 0 calls")
        report(
            f"1 % change ({changed:,} files rewritten)",
            one_percent,
            f"exactly {changed:,} upserts; all processes <= 300 MB at 1,000,000 pages, "
            "<= 200 MB at 100,000",
        )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
