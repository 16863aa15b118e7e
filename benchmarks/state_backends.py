"""State on SQLite vs PostgreSQL (run by hand, not a test): the first sync and the no-op resync
of one generated file share, once per backend, side by side in one run.

    .venv/bin/python benchmarks/state_backends.py --files 100000

Each backend gets an emulator of its own with no latency and no rate limit (so that the state
database, not Intercom's budget, is what differs) and a fresh state: an SQLite file in a
temporary folder, or an empty database on a throw-away PostgreSQL cluster started the way the
tests start one (``tests/pg_server.py``: ``initdb`` + ``pg_ctl`` on a free port, fsync off:
**its commit cost is lower than a production server's**, where each commit waits for the WAL
flush). Every sync runs in a child process (``sync_bench.timed_sync``), which also measures
its memory. The share is generated once and read by both.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from pg_server import PostgresServer, postgres_missing_reason  # noqa: E402
from sync_bench import (  # noqa: E402
    free_port,
    generate,
    start_emulator,
    timed_sync,
    total_calls,
)


def write_config(work: Path, url: str, root: Path, state: str) -> Path:
    """The bench config with ``state`` as the state line (``path: ...`` or ``url: ...``)."""
    path = work / "config.yaml"
    path.write_text(
        "intercom:\n  token: ${FIN_BENCH_TOKEN}\n"
        f"  base_url: {url}\n"
        f"state:\n  {state}\n"
        "connectors:\n  - name: bench\n    type: filesystem\n"
        f"    url: https://bench.example.com/\n    root: {root}\n",
        encoding="utf-8",
    )
    return path


def run_backend(name: str, state: str, work: Path, root: Path) -> dict[str, Any]:
    """First sync and no-op resync against a fresh unthrottled emulator."""
    folder = work / name
    folder.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    emulator = start_emulator(port, 0, None)
    try:
        config = write_config(folder, url, root, state)
        first_s, first, before, after = timed_sync(config, url)
        first_calls = total_calls(after) - total_calls(before)
        noop_s, noop, before, after = timed_sync(config, url)
        noop_calls = total_calls(after) - total_calls(before)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    return {
        "first_s": first_s,
        "created": first["created"],
        "failed": first["failed"],
        "first_calls": first_calls,
        "first_mb": first["highest_total_mb"],
        "noop_s": noop_s,
        "unchanged": noop["unchanged"],
        "noop_calls": noop_calls,
        "noop_mb": noop["main_peak_mb"],
    }


def print_table(results: dict[str, dict[str, Any]]) -> None:
    rows = [
        ("first sync: created (failed)", lambda r: f"{r['created']:,} ({r['failed']})"),
        ("first sync: seconds", lambda r: f"{r['first_s']:.1f}"),
        ("first sync: pages/s", lambda r: f"{r['created'] / r['first_s']:.1f}"),
        ("first sync: API calls", lambda r: f"{r['first_calls']:,}"),
        ("first sync: peak RSS, all processes (MB)", lambda r: f"{r['first_mb']:.0f}"),
        ("no-op resync: unchanged", lambda r: f"{r['unchanged']:,}"),
        ("no-op resync: seconds", lambda r: f"{r['noop_s']:.2f}"),
        ("no-op resync: API calls", lambda r: f"{r['noop_calls']}"),
        ("no-op resync: engine peak RSS (MB)", lambda r: f"{r['noop_mb']:.0f}"),
    ]
    names = list(results)
    print(f"| | {' | '.join(names)} |")
    print(f"|---|{'---|' * len(names)}")
    for label, cell in rows:
        print(f"| {label} | {' | '.join(cell(results[n]) for n in names)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--page-bytes", type=int, default=3_000)
    args = parser.parse_args()
    missing = postgres_missing_reason()
    if missing:
        raise SystemExit(missing)
    work = Path(tempfile.mkdtemp(prefix="fin-state-bench-"))
    try:
        root = work / "share"
        t0 = time.perf_counter()
        corpus = generate(root, args.files, args.page_bytes)
        print(f"generated {args.files:,} files ({corpus / 1e6:.1f} MB) in "
              f"{time.perf_counter() - t0:.1f}s")  # fmt: skip
        results: dict[str, dict[str, Any]] = {}
        results["SQLite"] = run_backend("sqlite", f"path: {work / 'state.db'}", work, root)
        with PostgresServer() as server:
            url = server.fresh_database("bench")
            results["PostgreSQL 15"] = run_backend("postgres", f"url: {url}", work, root)
        print_table(results)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
