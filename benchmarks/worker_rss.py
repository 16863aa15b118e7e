"""Memory of the conversion worker processes: each one's RSS right after it starts and after
converting pages of Markdown, read from ``/proc/<pid>/status`` (VmRSS now, VmHWM its peak; Pss
from ``smaps_rollup``), and of multiprocessing's resource tracker, the pool's other child.

The workers are the engine's own (:class:`ingestor.engine.workers.ConversionPool`, spawned), fed
from two threads as the engine's upload threads do. A spawned worker re-imports the main script,
so this script imports at its top only what a worker needs anyway; the page generator (which
pulls BeautifulSoup and markdownify in for its naive baseline) is imported inside :func:`main`.

Run: ``.venv/bin/python benchmarks/worker_rss.py [--pages 1000] [--kb 20] [--workers 2]``.
Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingestor.engine.workers import ConversionPool


def memory_kb(pid: int) -> tuple[int, int]:
    """``(VmRSS, VmHWM)`` of a process, in KB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def pss_kb(pid: int) -> int:
    """Proportional set size in KB: shared pages (lxml's library, Python's) split among the
    processes that map them, so the workers' PSS add up to what they really cost together."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def children() -> list[int]:
    """This process's child processes: the workers and multiprocessing's resource tracker."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        found.update(int(pid) for pid in (task / "children").read_text().split())
    return sorted(found)


def role(pid: int, workers: set[int]) -> str:
    if pid in workers:
        return "worker"
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return "tracker" if "resource_tracker" in cmdline else "other"


def settle(pids: Sequence[int], timeout: float = 30.0) -> None:
    """Wait until no process's RSS moved for half a second: every worker has done its imports
    (a worker that got none of the tiny pages may still be importing)."""
    last: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = [memory_kb(pid)[0] for pid in pids]
        if now == last:
            return
        last = now
        time.sleep(0.5)


def report(label: str, pids: Sequence[int], workers: set[int]) -> None:
    for pid in pids:
        rss, hwm = memory_kb(pid)
        name = f"{role(pid, workers)} {pid}"
        pss = pss_kb(pid) / 1024
        sizes = f"VmRSS {rss / 1024:5.1f} MB  VmHWM {hwm / 1024:5.1f} MB  Pss {pss:5.1f} MB"
        print(f"{label:<28} {name:<14}: {sizes}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--kb", type=int, default=20, help="size of each Markdown page")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    import random

    from benchmarks.convert_bench import markdown_page  # parent only: see the docstring
    from ingestor.connectors.document import Document

    rng = random.Random(args.seed)
    docs = [
        Document(
            external_id=f"page-{i}.md",
            body=markdown_page(rng, args.kb * 1000),
            body_format="markdown",
            url=f"https://docs.example.com/page-{i}",
        )
        for i in range(args.pages)
    ]
    with ConversionPool(expected_pages=len(docs), workers=args.workers) as pool:
        if not pool.parallel:
            print("conversion workers did not start", file=sys.stderr)
            return 1
        tiny = Document(external_id="tiny.md", body="# Tiny\n\nText.\n", body_format="markdown")
        with ThreadPoolExecutor(args.workers) as threads:  # one small page each: all started
            list(threads.map(pool.convert, [tiny] * (4 * args.workers)))
        workers = {p.pid for p in multiprocessing.active_children() if p.pid is not None}
        pids = children()
        settle(pids)
        report("started", pids, workers)
        with ThreadPoolExecutor(args.workers) as threads:
            converted = list(threads.map(pool.convert, docs))
        report(f"after {len(converted)} x {args.kb} KB Markdown", pids, workers)
        total = sum(memory_kb(pid)[1] for pid in pids)
        pss = sum(pss_kb(pid) for pid in pids)
        print(f"child processes added up: VmHWM {total / 1024:.1f} MB, Pss {pss / 1024:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
