"""Sync benchmark (run by hand, not a test): a generated file share against the emulator.

    .venv/bin/python benchmarks/sync_bench.py --files 10000
    .venv/bin/python benchmarks/sync_bench.py --files 100000 --populate-unthrottled

Phases:
1. first sync of N generated pages against an emulator with Intercom's limits (50 ms latency,
   1,666 calls per 10-s window by default), in a separate process so both do not share a GIL;
   reports pages/s, calls, 429s and the share of the rate ceiling reached.
   ``--populate-unthrottled`` runs this phase without latency or rate limit (to fill state fast
   for the large no-op measurement) and reports no ceiling figure.
2. no-op resync of the unchanged tree: duration and API calls (target: 0 calls).
Peak RSS of this process (the engine; conversion workers are separate processes) is printed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingestor.config import load_config  # noqa: E402
from ingestor.engine.runner import sync_connectors  # noqa: E402

TOKEN = "bench-token"
WORDS = """account billing invoice refund seat workspace admin owner token api limit window
retry password login sso domain export import report dashboard webhook plan""".split()  # noqa: SIM905


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def generate(root: Path, count: int, page_bytes: int, seed: int = 1) -> int:
    """Write ``count`` Markdown pages of about ``page_bytes`` each; return total bytes."""
    rng = random.Random(seed)
    total = 0
    for i in range(count):
        folder = root / f"section-{i // 1000:03}"
        if i % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        parts = [f"# Article {i}\n\n"]
        size = 0
        while size < page_bytes:
            para = " ".join(rng.choice(WORDS) for _ in range(60)) + ".\n\n"
            if rng.random() < 0.15:
                para = f"## Section {size}\n\n" + para
            if rng.random() < 0.1:
                para += "| key | value |\n|---|---|\n| a | b |\n\n"
            parts.append(para)
            size += len(para)
        text = "".join(parts)
        (folder / f"article-{i:06}.md").write_text(text, encoding="utf-8")
        total += len(text)
    return total


def start_emulator(port: int, latency_ms: float, rate_limit: int | None) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "ingestor", "emulator", "--port", str(port), "--token", TOKEN]
    if latency_ms:
        cmd += ["--latency-ms", str(latency_ms)]
    if rate_limit:
        cmd += ["--rate-limit", str(rate_limit)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{url}/_emulator/health", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("emulator did not start")


def stats(url: str) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(f"{url}/_emulator/stats", timeout=30).json()
    return result


def total_calls(s: dict[str, Any]) -> int:
    return int(s["total"])


def write_config(work: Path, url: str, root: Path) -> Path:
    path = work / "config.yaml"
    path.write_text(
        "intercom:\n  token: ${FIN_BENCH_TOKEN}\n"
        f"  base_url: {url}\n"
        f"state:\n  path: {work / 'state.db'}\n"
        "connectors:\n  - name: bench\n    type: filesystem\n"
        f"    url: https://bench.example.com/\n    root: {root}\n",
        encoding="utf-8",
    )
    return path


def timed_sync(config_path: Path, url: str) -> tuple[float, Any, dict[str, Any], dict[str, Any]]:
    config = load_config(config_path, environ={"FIN_BENCH_TOKEN": TOKEN})
    before = stats(url)
    start = time.perf_counter()
    [report] = sync_connectors(config)
    elapsed = time.perf_counter() - start
    return elapsed, report, before, stats(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--page-bytes", type=int, default=3_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--rate-limit", type=int, default=1666, help="calls per 10-s window")
    parser.add_argument("--populate-unthrottled", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="fin-bench-"))
    root = work / "share"
    t0 = time.perf_counter()
    corpus = generate(root, args.files, args.page_bytes)
    took = time.perf_counter() - t0
    print(f"generated {args.files:,} files ({corpus / 1e6:.1f} MB) in {took:.1f}s")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    throttled = not args.populate_unthrottled
    emulator = start_emulator(
        port, args.latency_ms if throttled else 0, args.rate_limit if throttled else None
    )
    try:
        config_path = write_config(work, url, root)
        elapsed, report, before, after = timed_sync(config_path, url)
        calls = total_calls(after) - total_calls(before)
        limited = int(after["rate_limited"]) - int(before["rate_limited"])
        print(
            f"first sync: {report.created:,} created, {report.failed} failed in {elapsed:.1f}s "
            f"= {report.created / elapsed:.1f} pages/s; {calls:,} calls, {limited} answered 429 "
            f"({limited / max(calls, 1):.2%})"
        )
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  peak RSS so far (engine process): {rss_mb:.0f} MB")
        if throttled:
            ceiling = args.rate_limit / 10 * elapsed
            print(f"  rate ceiling reached: {calls / ceiling:.1%} of {args.rate_limit}/10 s")

        elapsed, report, before, after = timed_sync(config_path, url)
        calls = total_calls(after) - total_calls(before)
        print(f"no-op resync: {report.unchanged:,} unchanged in {elapsed:.2f}s, {calls} API calls")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS (engine process): {rss_mb:.0f} MB")
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
