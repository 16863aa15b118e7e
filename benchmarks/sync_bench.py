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

Each sync runs in a fresh child process (``--child``), so each phase's memory is its own.
Memory covers **all processes** of the sync: the engine and every process under it (the
conversion workers, multiprocessing's helper), sampled every 50 ms from ``/proc``: the sum of
each process's peak (``VmHWM``, an upper bound) and the highest total RSS seen at one instant.
The emulator is not counted (it stands in for Intercom).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# No ingestor module, pydantic or httpx at the top: the conversion workers of a ``--child``
# sync are spawned processes that re-import this script (as the ``ingestor`` command's workers
# re-import its script, which imports only ingestor.__main__), so what is imported here would
# be in every worker and inflate the all-processes figures.

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
    return wait_for_emulator(proc, port, seconds=10)


def wait_for_emulator(
    proc: subprocess.Popen[bytes], port: int, *, seconds: float
) -> subprocess.Popen[bytes]:
    """``proc`` once the emulator it runs answers on ``port``; it is killed if it never does."""
    import httpx  # not at the top: see the imports

    for _ in range(int(seconds / 0.05)):
        try:
            httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("emulator did not start")


def stats(url: str) -> dict[str, Any]:
    import httpx  # not at the top: see the imports

    result: dict[str, Any] = httpx.get(f"{url}/_emulator/stats", timeout=30).json()
    return result


def total_calls(s: dict[str, Any]) -> int:
    return int(s["total"])


def write_config(work: Path, url: str, root: Path, section_bytes: int | None = None) -> Path:
    """The bench config; ``section_bytes`` None keeps the product's default."""
    path = work / "config.yaml"
    defaults = "" if section_bytes is None else f"defaults:\n  section_bytes: {section_bytes}\n"
    path.write_text(
        "intercom:\n  token: ${FIN_BENCH_TOKEN}\n"
        f"  base_url: {url}\n"
        f"state:\n  path: {work / 'state.db'}\n"
        + defaults
        + "connectors:\n  - name: bench\n    type: filesystem\n"
        f"    url: https://bench.example.com/\n    root: {root}\n",
        encoding="utf-8",
    )
    return path


def child_sync(config_path: Path) -> None:
    """``--child``: one sync, its figures as one JSON line on stdout."""
    from ingestor.config import load_config  # not at the top: see the imports
    from ingestor.engine.runner import sync_connectors

    config = load_config(config_path, environ={"FIN_BENCH_TOKEN": TOKEN})
    start = time.perf_counter()
    [report] = sync_connectors(config)
    elapsed = time.perf_counter() - start
    figures = {"elapsed": elapsed, "created": report.created, "failed": report.failed}
    print(json.dumps({**figures, "unchanged": report.unchanged}), flush=True)


def _descendants(root: int) -> list[int]:
    """``root`` and every process under it, from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed_sync(config_path: Path, url: str) -> tuple[float, Any, dict[str, Any], dict[str, Any]]:
    """One sync in a child process: (seconds, figures, stats before, stats after), with the
    memory of the child and its descendants in ``figures``."""
    before = stats(url)
    cmd = [sys.executable, __file__, "--child", str(config_path)]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peaks: dict[int, int] = {}
    highest_total = processes = 0
    while child.poll() is None:
        pids = _descendants(child.pid)
        processes = max(processes, len(pids))
        total = 0
        for pid in pids:
            peaks[pid] = max(peaks.get(pid, 0), _status_kb(pid, "VmHWM"))
            total += _status_kb(pid, "VmRSS")
        highest_total = max(highest_total, total)
        time.sleep(0.05)
    out, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"the sync process failed (exit {child.returncode})")
    figures = json.loads(out.strip().splitlines()[-1])
    figures.update(
        peak_sum_mb=sum(peaks.values()) / 1024,
        main_peak_mb=peaks.get(child.pid, 0) / 1024,
        highest_total_mb=highest_total / 1024,
        processes=processes,
    )
    return figures["elapsed"], figures, before, stats(url)


def memory_line(figures: dict[str, Any]) -> str:
    return (
        f"peak RSS, all processes ({figures['processes']} at most): "
        f"{figures['highest_total_mb']:.0f} MB at one time, "
        f"{figures['peak_sum_mb']:.0f} MB summing each one's peak; "
        f"engine process alone {figures['main_peak_mb']:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--page-bytes", type=int, default=3_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--rate-limit", type=int, default=1666, help="calls per 10-s window")
    parser.add_argument("--populate-unthrottled", action="store_true")
    parser.add_argument(
        "--section-bytes",
        type=int,
        default=None,
        help="defaults.section_bytes (0: pages are not split for answers; default: the product's)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated folder")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # one sync, see child_sync
    args = parser.parse_args()
    if args.child is not None:
        child_sync(args.child)
        return

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
        config_path = write_config(work, url, root, args.section_bytes)
        elapsed, report, before, after = timed_sync(config_path, url)
        calls = total_calls(after) - total_calls(before)
        limited = int(after["rate_limited"]) - int(before["rate_limited"])
        created = report["created"]
        print(
            f"first sync: {created:,} created, {report['failed']} failed in {elapsed:.1f}s "
            f"= {created / elapsed:.1f} pages/s; {calls:,} calls, {limited} answered 429 "
            f"({limited / max(calls, 1):.2%})"
        )
        print(f"  {memory_line(report)}")
        if throttled:
            ceiling = args.rate_limit / 10 * elapsed
            print(f"  rate ceiling reached: {calls / ceiling:.1%} of {args.rate_limit}/10 s")

        elapsed, report, before, after = timed_sync(config_path, url)
        calls = total_calls(after) - total_calls(before)
        print(
            f"no-op resync: {report['unchanged']:,} unchanged in {elapsed:.2f}s, {calls} API calls"
        )
        print(f"  {memory_line(report)}")
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
