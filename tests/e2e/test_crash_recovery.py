"""A process killed mid-sync, and two processes on one state database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.state import Store

from .conftest import Site, calls

PAGES = 120


def start_sync(site: Site) -> subprocess.Popen[str]:
    env = {**os.environ, **site.env}
    return subprocess.Popen(
        [sys.executable, "-m", "ingestor", "sync", "--no-progress", "-c", str(site.config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_sigkill_mid_sync_then_rerun_converges_without_duplicates(
    make_site: Callable[[EmulatorServer], Site],
) -> None:
    with EmulatorServer(EmulatorSettings(latency_ms=40)) as server:
        site = make_site(server)
        for i in range(PAGES):
            site.write(f"kb/article-{i:03}.md", f"# Article {i}\n\nText {i}.\n")
        proc = start_sync(site)
        wait_for(lambda: calls(server.stats(), "createExternalPage") >= 25)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        partial = len(server.pages())
        assert 0 < partial < PAGES

        result = site.cli("sync", "--no-progress")
        assert result.returncode == 0, result.stdout + result.stderr

        pages = site.intercom_pages()  # asserts no duplicate external_id
        assert set(pages) == {f"kb/article-{i:03}.md" for i in range(PAGES)}
        with Store.open(site.state, read_only=True) as store:
            index = store.page_index("docs")
            assert {eid: rec.intercom_id for eid, rec in index.items()} == {
                eid: page["id"] for eid, page in pages.items()
            }
            statuses = [run.status for run in store.recent_runs("docs")]
        assert statuses[0] == "ok" and "died" in statuses


def test_second_process_on_same_state_fails_clearly(
    make_site: Callable[[EmulatorServer], Site],
) -> None:
    # 40 calls per 1-s window: the first sync takes several seconds, long enough to collide.
    with EmulatorServer(EmulatorSettings(rate_limit=40, window_seconds=1)) as server:
        site = make_site(server)
        for i in range(200):
            site.write(f"kb/{i}.md", f"# {i}\n\nText {i}.\n")
        first = start_sync(site)
        try:
            wait_for(lambda: calls(server.stats(), "createExternalPage") >= 2)
            second = site.cli("sync", "--no-progress")
            assert second.returncode == 4, second.stdout + second.stderr
            assert "in use" in second.stderr and str(first.pid) in second.stderr
        finally:
            first.wait(timeout=120)
        assert first.returncode == 0
