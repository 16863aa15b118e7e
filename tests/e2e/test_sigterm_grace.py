"""A SIGTERMed `ingestor sync` ends within its grace period even while its uploads are stuck in
a 429 storm (found by the crash trials: upload threads inside a retry kept the process alive
long after the grace period, and the run ended with "state database ... is closed")."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

from ingestor.emulator import EmulatorServer, EmulatorSettings
from state import Store

from .conftest import Site, calls
from .test_crash_recovery import start_sync, wait_for

GRACE_SECONDS = 2


def test_sigterm_during_a_429_storm_exits_after_the_grace_period(
    make_site: Callable[[EmulatorServer], Site],
) -> None:
    with EmulatorServer(EmulatorSettings(latency_ms=30)) as server:
        site = make_site(server)
        with site.config_path.open("a", encoding="utf-8") as config:
            config.write(f"daemon: {{grace_period: {GRACE_SECONDS}s}}\n")
        for i in range(120):
            site.write(f"kb/article-{i:03}.md", f"# Article {i}\n\nText {i}.\n")
        proc = start_sync(site)
        wait_for(lambda: calls(server.stats(), "createExternalPage") >= 5)
        server.storm(seconds=120)  # every call from now on: 429 with a reset 10 s away
        time.sleep(0.5)  # the uploads in flight are inside their retry pauses
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        _, stderr = proc.communicate(timeout=60)
        waited = time.monotonic() - signalled
        server.end_storm()

        assert proc.returncode == 130, stderr
        # the grace period, then the abort; never the minutes a storm can last
        assert waited < GRACE_SECONDS + 8, f"exited {waited:.1f}s after SIGTERM"
        assert "is closed" not in stderr, stderr
        with Store.open(site.state, read_only=True) as store:
            (run,) = store.recent_runs("docs", limit=1)
        assert run.status == "interrupted"
        assert site.cli("sync", "--no-progress").returncode == 0  # the next run converges
        assert len(site.intercom_pages()) == 120
