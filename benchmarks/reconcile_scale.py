"""Reconcile at scale (run by hand, not a test): what listing Intercom's copy costs.

    .venv/bin/python benchmarks/reconcile_scale.py --pages 100000
    .venv/bin/python benchmarks/reconcile_scale.py --pages 30000 --cap

The emulator's SQLite store is seeded with ``--pages`` External Pages of one ``api`` source (as
many as a connector of that size leaves in Intercom), then served with Intercom's limits
(1,666 calls per 10-second window, 50 ms latency by default) in a separate process, and
reconcile's remote view (:class:`ingestor.reconcile._remote.RemoteView`) lists every source and
page once, exactly as ``ingestor reconcile`` does before it compares. Reported: calls, seconds,
pages per second, and the share of the rate ceiling used.

``--cap`` switches on the deep-paging cap of Intercom's newer references (no more than 10,000
results through page numbers): the walk stops there, and the pages state knows past the cap are
read one by one, in parallel, paced by the rate budget; this is the worst case.
"""

from __future__ import annotations

import argparse
import math
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingestor.emulator.sqlite_store import SqliteStore  # noqa: E402
from ingestor.emulator.store import NewPage  # noqa: E402
from ingestor.intercom import IntercomClient  # noqa: E402
from ingestor.reconcile._remote import RemoteView  # noqa: E402

TOKEN = "bench-token"
SOURCE_URL = "https://help.example.com/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(db: Path, count: int) -> list[str]:
    """``count`` pages of one api source, as a sync would leave them; their Intercom ids."""
    store = SqliteStore(db)
    now = int(time.time())
    source = store.add_source(url=SOURCE_URL, status="active", sync_behavior="api", now=now)
    ids = []
    for n in range(count):
        page = store.add_page(
            NewPage(
                source_id=source.id,
                external_id=f"section-{n // 1000:03}/article-{n:06}.md",
                title=f"Article {n}",
                html=f"<h1>Article {n}</h1><p>{'How to reset a password. ' * 20}</p>",
                url=f"https://help.example.com/article-{n:06}",
                ai_agent_availability=True,
                ai_copilot_availability=True,
                ai_sales_agent_availability=False,
                created_at=now,
                updated_at=now,
                last_ingested_at=now,
            )
        )
        ids.append(str(page.id))
    store.close()
    return ids


def serve(db: Path, port: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "ingestor", "emulator", "--port", str(port), "--db", str(db),
        "--token", TOKEN, "--latency-ms", str(args.latency_ms),
        "--rate-limit", str(args.rate_limit),
    ]  # fmt: skip
    if args.cap:
        command += ["--set", "deep_paging_cap=true"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the emulator did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rate-limit", type=int, default=1666, help="calls per 10-s window")
    parser.add_argument("--cap", action="store_true", help="enforce the deep-paging cap")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reconcile-scale-") as scratch:
        db = Path(scratch) / "emulator.db"
        started = time.perf_counter()
        known_ids = seed(db, args.pages)
        print(f"seeded {args.pages:,} pages in {time.perf_counter() - started:.1f}s")
        port = free_port()
        emulator = serve(db, port, args)
        try:
            with IntercomClient(TOKEN, base_url=f"http://127.0.0.1:{port}") as client:
                started = time.perf_counter()
                remote = RemoteView.load(client)
                listed = len(remote.pages)
                list_seconds = time.perf_counter() - started
                reads = remote.confirm(client, known_ids)
                seconds = time.perf_counter() - started
                stats = client.stats()
                calls = stats.budget.calls
                limited = stats.budget.rate_limited
        finally:
            emulator.terminate()
            emulator.wait(30)
    ceiling = args.rate_limit / 10
    walked = min(args.pages, 9_900) if args.cap else args.pages  # the cap stops at page 66 x 150
    list_calls = math.ceil(walked / 150) + 1 + (1 if args.cap else 0)  # + sources (+ the 400)
    print(
        f"pages in Intercom       {args.pages:,}\n"
        f"deep-paging cap         {'on' if args.cap else 'off'}\n"
        f"listed by the walk      {listed:,} in {list_seconds:.1f}s "
        f"(list calls for that: {list_calls})\n"
        f"read one by one         {reads:,}\n"
        f"seen in all             {len(remote.pages):,}\n"
        f"calls                   {calls:,} ({limited} answered 429)\n"
        f"seconds                 {seconds:.1f}\n"
        f"pages per second        {len(remote.pages) / seconds:,.0f}\n"
        f"calls per second        {calls / seconds:.1f} of a {ceiling:.0f}/s ceiling "
        f"({calls / seconds / ceiling:.0%})"
    )


if __name__ == "__main__":
    main()
