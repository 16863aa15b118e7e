"""Audience benchmark (run by hand, not a test): what a rule change costs on a large share.

    .venv/bin/python benchmarks/audience_bench.py --files 5000

1. first sync of N generated pages (a tenth under internal/, excluded by a rule) into an
   in-process emulator without latency or rate limit;
2. a rule change that moves one folder (a tenth of the pages) from customers to team: every
   page is read and checked again, and only that folder is re-sent (target: exactly N/10
   upserts, no other write);
3. a no-op resync (target: 0 calls);
4. the gate alone: microseconds per page for ``PageGate.check`` (rules + secrets scan).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingestor.config import load_config  # noqa: E402
from ingestor.connectors.base import ConnectorSettings, Document  # noqa: E402
from ingestor.convert import convert_document  # noqa: E402
from ingestor.emulator import EmulatorServer  # noqa: E402
from ingestor.engine.runner import sync_connectors  # noqa: E402
from ingestor.gate import Availability, PageGate  # noqa: E402

RULES = """\
    audiences:
      - match: {path: "internal/"}
        audience: exclude
      - match: {path: "%s"}
        audience: team
"""
FOLDERS = [f"f{i}" for i in range(9)] + ["internal"]


def write_share(root: Path, files: int) -> None:
    for i in range(files):
        folder = root / FOLDERS[i % len(FOLDERS)]
        folder.mkdir(parents=True, exist_ok=True)
        body = f"# Page {i}\n\n" + f"Refunds take {i % 30} days. " * 40 + "\n"
        (folder / f"page-{i}.md").write_text(body, encoding="utf-8")


def run(config_path: Path, server: EmulatorServer) -> tuple[float, dict[str, int]]:
    before = server.stats()["by_operation"]
    start = time.perf_counter()
    [report] = sync_connectors(load_config(config_path, environ={"T": server.token}))
    elapsed = time.perf_counter() - start
    after = server.stats()["by_operation"]
    calls = {op: int(after[op]) - int(before.get(op, 0)) for op in after}
    assert report.status == "ok", report.status
    return elapsed, {op: n for op, n in calls.items() if n}


def report(phase: str, result: tuple[float, dict[str, int]]) -> None:
    elapsed, calls = result
    print(f"{phase}: {elapsed:.1f}s {calls}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer() as server:
        root = Path(tmp) / "share"
        write_share(root, args.files)
        config = Path(tmp) / "config.yaml"
        base = (
            f"intercom: {{token: '${{T}}', base_url: '{server.url}'}}\n"
            f"state: {{path: {tmp}/state.db}}\n"
            "connectors:\n  - name: bench\n    type: filesystem\n"
            f"    url: https://bench.example.com/\n    root: {root}\n"
        )
        config.write_text(base + RULES % "nothing/", encoding="utf-8")
        report("first sync", run(config, server))
        config.write_text(base + RULES % "f0/", encoding="utf-8")
        report("rule change (f0 -> team)", run(config, server))
        report("no-op resync", run(config, server))
        measure_gate(root, load_config(config, environ={"T": "x"}).connectors[0])


def measure_gate(root: Path, settings: ConnectorSettings) -> None:
    gate = PageGate(settings, Availability(True, True))
    pages = []
    for path in sorted(root.rglob("*.md"))[:2000]:
        rel = path.relative_to(root).as_posix()
        document = Document(rel, path.read_text(), "markdown", facts={"path": (rel,)})
        pages.append((document, convert_document(document)))
    start = time.perf_counter()
    for document, page in pages:
        gate.check(document, page)
    per_page = (time.perf_counter() - start) / len(pages) * 1e6
    print(f"gate: {per_page:.0f} µs per page over {len(pages)} pages")


if __name__ == "__main__":
    main()
