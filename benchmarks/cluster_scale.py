"""Several daemons sharing PostgreSQL state (run by hand, not a test): how the first sync of
several workspaces scales with 1, 2 and 3 instances.

    .venv/bin/python benchmarks/cluster_scale.py --pages 150
    .venv/bin/python benchmarks/cluster_scale.py --pages 150 --unthrottled

Set-up, fresh for each instance count: one throw-away PostgreSQL server (``tests/pg_server.py``,
fsync off) with one database per workspace, and one emulator per workspace with Intercom's
limits (1,666 calls per 10-s window per token, 50 ms latency; ``--unthrottled`` lifts both).
A config is one workspace (one ``intercom`` block), so each workspace has its own config with
its own connectors (file shares of generated ~20 KB Markdown pages, whole pages:
``section_bytes: 0``, one call each) and its own state database; an *instance* is what a
machine or pod runs: one ``ingestor daemon`` per workspace. ``k`` instances are ``k x W`` daemon
processes, the ``k`` daemons of a workspace sharing its state through leases
(docs/daemon-cluster.md), all started at once.

Measured: wall time from starting the daemons until every page has arrived at its emulator;
pages/s over all workspaces; pages synced by each instance (the ``pages`` counters in each
daemon's ``/status``) and who owned which connector (``daemon.instance.owns``, polled every
second); calls and 429s per emulator; and pages sent twice: each emulator runs behind a counter
of 2xx ``POST /ai/external_pages`` per (source, external id), so any count above one is a
duplicate. The wall time includes the daemons' start-up (imports, migrations, leases) and the
polling; the emulators and PostgreSQL run on the same machine and take CPU from the daemons.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from pg_server import PostgresServer, postgres_missing_reason  # noqa: E402
from sync_bench import TOKEN, free_port, generate, wait_for_emulator  # noqa: E402

INTERCOM_RATE_LIMIT = 1666  # calls per 10-second window per workspace (docs/emulator.md)
INTERCOM_LATENCY_MS = 50
CREATE_PATH = "/ai/external_pages"


# -- the emulator, behind a counter of creates per external id -------------------------------


def serve_counted_emulator(port: int, rate_limit: int | None, latency_ms: float) -> None:
    """``--serve-emulator``: the bundled emulator, plus ``GET /_bench/creates``."""
    import uvicorn

    from ingestor.emulator import EmulatorSettings
    from ingestor.emulator.app import create_app

    settings = EmulatorSettings(
        tokens=frozenset({TOKEN}), rate_limit=rate_limit, latency_ms=latency_ms
    )
    app = CreateCounter(create_app(settings))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


class CreateCounter:
    """ASGI wrapper counting 2xx ``POST /ai/external_pages`` per (source_id, external_id)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.creates: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/_bench/creates":
            body = json.dumps(dict(self.creates)).encode()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["method"] != "POST" or scope["path"] != CREATE_PATH:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}

        status = 0

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, replay, watch)
        if 200 <= status < 300:
            page = json.loads(raw)
            self.creates[f"{page.get('source_id')}/{page.get('external_id')}"] += 1


def start_emulator(port: int, unthrottled: bool) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, __file__, "--serve-emulator", str(port)]
    if unthrottled:
        cmd.append("--unthrottled")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return wait_for_emulator(proc, port, seconds=15)


# -- configs and daemons ---------------------------------------------------------------------


def write_config(
    work: Path, workspace: int, emulator: str, state_url: str, shares: list[Path]
) -> Path:
    """One workspace's config; ``daemon.listen`` comes from ``$BENCH_LISTEN`` per process."""
    lines = [
        "intercom:",
        "  token: ${FIN_BENCH_TOKEN}",
        f"  base_url: {emulator}",
        "state:",
        f"  url: {state_url}",
        "defaults:",
        "  section_bytes: 0",
        "daemon:",
        "  listen: ${BENCH_LISTEN}",
        "  log_format: json",
        "  run_on_start: true",
        "  schedule: {every: 12h}",
        "  reconcile_schedule: off",
        "  lease_period: 6s",
        "  max_parallel: ${BENCH_MAX_PARALLEL}",
        "connectors:",
    ]
    for i, share in enumerate(shares):
        lines += [
            f"  - name: w{workspace}-share{i}",
            "    type: filesystem",
            f"    url: https://w{workspace}-share{i}.example.com/",
            f"    root: {share}",
        ]
    path = work / f"workspace-{workspace}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_daemon(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``ingestor daemon``; a data folder of its own keeps its control socket apart."""
    data = log.with_suffix(".data")
    data.mkdir()
    env = {
        **os.environ,
        "FIN_BENCH_TOKEN": TOKEN,
        "BENCH_LISTEN": f"127.0.0.1:{port}",
        "FIN_INGESTOR_DATA_DIR": str(data),
    }
    cmd = [sys.executable, "-m", "ingestor", "daemon", "-c", str(config)]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)


def daemon_status(port: int) -> dict[str, Any] | None:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/status", timeout=5)
    except httpx.HTTPError:
        return None
    return answer.json() if answer.status_code == 200 else None


# -- one instance count ----------------------------------------------------------------------


class Daemon:
    """One daemon process: instance ``instance`` serving workspace ``workspace``."""

    def __init__(self, instance: int, workspace: int, config: Path, log: Path) -> None:
        self.instance, self.workspace = instance, workspace
        self.port = free_port()
        self.log = log
        self.proc = start_daemon(config, self.port, log)
        self.owned: set[str] = set()  # every connector seen in its ``owns``
        self.pages: Counter[str] = Counter()

    def poll(self) -> None:
        status = daemon_status(self.port)
        if status is None:
            return
        instance = (status.get("daemon") or {}).get("instance") or {}
        self.owned.update(instance.get("owns", []))
        pages: Counter[str] = Counter()
        for entry in status.get("connectors", []):
            pages.update((entry.get("daemon") or {}).get("pages", {}))
        self.pages = pages

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def arrived(emulators: list[str]) -> list[dict[str, int]]:
    return [httpx.get(f"{url}/_bench/creates", timeout=30).json() for url in emulators]


def run_count(
    k: int, shares: list[list[Path]], work: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Fresh databases and emulators; ``k`` instances until every page arrived."""
    folder = work / f"instances-{k}"
    folder.mkdir()
    expected = sum(len(s) for s in shares) * args.pages
    emulator_procs, urls, daemons = [], [], []
    with PostgresServer() as server:
        try:
            configs = []
            for w, workspace_shares in enumerate(shares):
                port = free_port()
                emulator_procs.append(start_emulator(port, args.unthrottled))
                urls.append(f"http://127.0.0.1:{port}")
                state = server.fresh_database(f"w{w}").replace("postgresql+psycopg", "postgresql")
                configs.append(write_config(folder, w, urls[-1], state, workspace_shares))
            started = time.perf_counter()
            for i in range(k):
                for w, config in enumerate(configs):
                    daemons.append(Daemon(i, w, config, folder / f"daemon-{i}-{w}.log"))
            done = 0
            while time.perf_counter() - started < args.timeout:
                time.sleep(1)
                for d in daemons:
                    d.poll()
                done = sum(len(c) for c in arrived(urls))
                if done >= expected or all(d.proc.poll() is not None for d in daemons):
                    break
            elapsed = time.perf_counter() - started
            for d in daemons:
                d.poll()
            creates = arrived(urls)
            stats = [httpx.get(f"{u}/_emulator/stats", timeout=30).json() for u in urls]
        finally:
            for d in daemons:
                d.stop()
            for proc in emulator_procs:
                proc.terminate()
                proc.wait(timeout=10)
    return summarise(k, daemons, creates, stats, elapsed, expected)


def summarise(
    k: int,
    daemons: list[Daemon],
    creates: list[dict[str, int]],
    stats: list[dict[str, Any]],
    elapsed: float,
    expected: int,
) -> dict[str, Any]:
    arrived_pages = sum(len(c) for c in creates)
    per_instance: dict[int, int] = Counter()
    owners: dict[int, list[str]] = {}
    for d in daemons:
        per_instance[d.instance] += d.pages.get("created", 0)
        owners.setdefault(d.instance, []).extend(sorted(d.owned))
    return {
        "instances": k,
        "elapsed": elapsed,
        "expected": expected,
        "arrived": arrived_pages,
        "twice": sum(sum(n - 1 for n in c.values() if n > 1) for c in creates),
        "per_instance": [per_instance[i] for i in range(k)],
        "owners": [owners[i] for i in range(k)],
        "calls": [s["total"] for s in stats],
        "rate_limited": [s["rate_limited"] for s in stats],
        "exit_codes": [d.proc.returncode for d in daemons],
    }


# -- the table -------------------------------------------------------------------------------


def print_table(results: list[dict[str, Any]], machine: str, args: argparse.Namespace) -> None:
    def per_emulator(values: list[int]) -> str:
        return " / ".join(f"{v:,}" for v in values)

    rows = [
        ("pages arrived / expected", lambda r: f"{r['arrived']:,} / {r['expected']:,}"),
        ("wall time (s)", lambda r: f"{r['elapsed']:.1f}"),
        ("pages/s, all workspaces", lambda r: f"{r['arrived'] / r['elapsed']:.1f}"),
        ("pages created by each instance", lambda r: per_emulator(r["per_instance"])),
        ("connectors each instance owned", lambda r: " / ".join(
            ",".join(o) or "none" for o in r["owners"])),
        ("calls per emulator", lambda r: per_emulator(r["calls"])),
        ("429s per emulator", lambda r: per_emulator(r["rate_limited"])),
        ("pages sent twice", lambda r: str(r["twice"])),
    ]  # fmt: skip
    limits = (
        "no rate limit, no latency"
        if args.unthrottled
        else (f"{INTERCOM_RATE_LIMIT} calls / 10 s and {INTERCOM_LATENCY_MS} ms latency each")
    )
    print(f"\nmachine: {machine}")
    print(f"{args.workspaces} workspaces x {args.connectors} connectors x {args.pages} pages of "
          f"~{args.page_bytes // 1000} KB; emulators: {limits}")  # fmt: skip
    heads = [f"{r['instances']} instance(s)" for r in results]
    print(f"| | {' | '.join(heads)} |")
    print(f"|---|{'---|' * len(results)}")
    for label, cell in rows:
        print(f"| {label} | {' | '.join(cell(r) for r in results)} |")


def machine_line() -> str:
    load = os.getloadavg()
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "?")  # fmt: skip
    averages = " / ".join(f"{x:.1f}" for x in load)
    return f"{os.cpu_count()} cores ({model}), load average {averages} (1 / 5 / 15 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=2)
    parser.add_argument("--connectors", type=int, default=3, help="per workspace")
    parser.add_argument("--pages", type=int, default=150, help="per connector")
    parser.add_argument("--page-bytes", type=int, default=20_000)
    parser.add_argument("--instances", default="1,2,3")
    parser.add_argument("--unthrottled", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--max-parallel", default="4", help="daemon.max_parallel")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (daemon logs)")
    args = parser.parse_args()
    missing = postgres_missing_reason()
    if missing:
        raise SystemExit(missing)
    os.environ["BENCH_MAX_PARALLEL"] = args.max_parallel
    work = Path(tempfile.mkdtemp(prefix="fin-cluster-bench-"))
    try:
        shares = [
            [work / f"share-{w}-{c}" for c in range(args.connectors)]
            for w in range(args.workspaces)
        ]
        for n, share in enumerate(s for ws in shares for s in ws):
            generate(share, args.pages, args.page_bytes, seed=n + 1)
        before = machine_line()
        results = []
        for k in (int(x) for x in args.instances.split(",")):
            results.append(run_count(k, shares, work, args))
            print(json.dumps(results[-1]), flush=True)
        print(f"\nbefore: {before}")
        print_table(results, machine_line(), args)
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-emulator":
        unthrottled = "--unthrottled" in sys.argv
        serve_counted_emulator(
            int(sys.argv[2]),
            None if unthrottled else INTERCOM_RATE_LIMIT,
            0 if unthrottled else INTERCOM_LATENCY_MS,
        )
    else:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # clean up children on kill
        main()
