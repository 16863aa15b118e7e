"""Several daemon instances against one workspace: each has its own rate budget, paced only by
the workspace-wide ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` every answer carries.

Three engines (separate budgets, clients and state files, as on three machines) sync their own
connectors at once against one emulator over real sockets, with a low limit so that the
window is the bottleneck throughout. The emulator counts every call, rejected ones included,
as Intercom does, so a 429 wastes budget: the instances must meet few of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.engine.report import SyncReport
from ingestor.engine.sync import PagePolicy, SyncEngine, SyncOptions
from ingestor.http import RateBudget
from ingestor.intercom import IntercomClient
from ingestor.state import Store

PAGES = 40
LIMIT = 30  # calls per 1 s window, for the whole workspace


def _instance(
    server: EmulatorServer, tmp_path: Path, name: str, state: Path | str
) -> tuple[SyncReport, RateBudget]:
    root = tmp_path / name
    root.mkdir()
    for n in range(PAGES):
        (root / f"p{n}.md").write_text(f"# {name} {n}\n\nText of page {n}.\n", encoding="utf-8")
    settings = FilesystemSettings.model_validate(
        {"name": name, "url": f"https://{name}.example.com/", "root": root}
    )
    budget = RateBudget(window_seconds=1)  # its own: another machine's is out of reach
    with (
        Store.open(state) as store,
        IntercomClient(server.token, base_url=server.url, budget=budget) as client,
    ):
        engine = SyncEngine(client, store)
        report = engine.sync(FilesystemConnector(settings), PagePolicy(), SyncOptions())
    return report, budget


@pytest.mark.timeout(180)
@pytest.mark.parametrize("instances", [1, 2, 3])
def test_instances_with_their_own_budgets_keep_to_the_shared_window(
    start_emulator: Callable[[EmulatorSettings], EmulatorServer],
    tmp_path: Path,
    another_state: Callable[[str], Path | str],
    instances: int,
) -> None:
    server = start_emulator(EmulatorSettings(rate_limit=LIMIT, window_seconds=1, latency_ms=20))
    results: dict[str, tuple[SyncReport, RateBudget]] = {}

    states = {f"kb{k}": another_state(f"kb{k}") for k in range(instances)}

    def run(name: str) -> None:
        results[name] = _instance(server, tmp_path, name, states[name])

    threads = [threading.Thread(target=run, args=(f"kb{k}",)) for k in range(instances)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = server.stats()
    assert sorted(results) == [f"kb{k}" for k in range(instances)]
    for report, _ in results.values():
        assert (report.status, report.created, report.failed) == ("ok", PAGES, 0)
    assert len(server.pages()) == instances * PAGES  # each page once
    calls, refused = stats["total"], stats["rate_limited"]
    seen = sum(budget.rate_limited for _, budget in results.values())
    assert seen == refused
    print(f"{instances} instances: {calls} calls, {refused} answered 429")
    # Measured (2 cores): before each budget estimated the others' share, 3 instances met
    # 11-14 429s in ~145 calls (the window spent in bursts, then stale "Remaining" views); with
    # it, 0-5 in ~137, mostly in the first window, before any header was seen.
    assert refused <= max(3, 0.06 * calls), (calls, refused)
