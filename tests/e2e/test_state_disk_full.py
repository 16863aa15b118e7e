"""A state database that cannot be written (a full disk) stops the run with one clear message
and exit code 4, instead of uploading every page it cannot remember while each record's failure
scrolls past as a traceback; once there is room again, the next run completes and Intercom holds
each page once.

The fault is real: the kernel's file size limit (RLIMIT_FSIZE, SIGXFSZ ignored) makes SQLite's
writes fail the way a full disk does, in the `ingestor sync` process only (the emulator runs
apart)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import Site, calls

PAGES = 300

FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
sys.argv = ["ingestor", *sys.argv[2:]]
from ingestor.__main__ import main
main()
"""


@pytest.mark.sqlite_only("the file size limit applies to files this process writes")
def test_a_state_database_that_cannot_grow_stops_the_run_and_loses_nothing(site: Site) -> None:
    for n in range(PAGES):
        site.write(f"p{n:03}.md", f"# Page {n}\n\n" + "Words about the product. " * 40 + "\n")
    env = {**os.environ, **site.env, "COLUMNS": "200", "PYTHONDONTWRITEBYTECODE": "1"}
    limit = "200000"  # bytes: the empty database and a few dozen pages' rows
    full = subprocess.run(
        [sys.executable, "-c", FULL_DISK, limit, "sync", "-c", str(site.config_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    output = full.stdout + full.stderr
    assert full.returncode == 4, output  # the state database is unusable
    assert "Traceback" not in output
    assert f"state database {site.state}" in output and "disk I/O error" in output
    assert "run stopped" in output
    sent = calls(site.server.stats(), "createExternalPage")
    assert 0 < sent < PAGES  # it stopped taking pages: most were never sent

    again = site.cli("sync", "--no-progress")  # room again
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(site.intercom_pages()) == [f"p{n:03}.md" for n in range(PAGES)]
    [[status]] = site.sql("SELECT status FROM runs ORDER BY id DESC LIMIT 1")
    assert status == "ok"
