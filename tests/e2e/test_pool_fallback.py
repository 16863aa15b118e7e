"""A conversion pool that cannot start (a read-only /dev/shm, where multiprocessing keeps its
semaphores) converts in-process instead: one warning, and the run completes normally.

The test runs the real ``ingestor sync`` in a private mount namespace whose /dev/shm is a
read-only tmpfs (``unshare --user --map-root-user --mount``): the failure is the real one, from
the real multiprocessing. Where user namespaces are not allowed the test is skipped.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

import pytest

from .conftest import Site

PAGES = 100  # over the pool threshold: this run would convert in worker processes
READ_ONLY_SHM = "mount -t tmpfs -o ro tmpfs /dev/shm && exec "


def _in_read_only_shm(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = READ_ONLY_SHM + shlex.join(command)
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _read_only_shm_possible() -> bool:
    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        return False
    probe = _in_read_only_shm(["sh", "-c", "! touch /dev/shm/probe"], dict(os.environ))
    return probe.returncode == 0


@pytest.mark.skipif(not _read_only_shm_possible(), reason="no user+mount namespaces here")
def test_sync_converts_in_process_when_the_pool_cannot_start(site: Site) -> None:
    for i in range(PAGES):
        site.write(f"kb/article-{i:03}.md", f"# Article {i}\n\nText {i}.\n")
    command = [sys.executable, "-m", "ingestor", "sync", "--no-progress"]
    done = _in_read_only_shm([*command, "-c", str(site.config_path)], {**os.environ, **site.env})

    assert done.returncode == 0, done.stdout + done.stderr
    warnings = [line for line in done.stderr.splitlines() if "cannot start" in line]
    assert len(warnings) == 1 and "converting in-process" in warnings[0], done.stderr
    assert "Read-only file system" in warnings[0]
    assert "Traceback" not in done.stderr
    assert "ok" in done.stdout and str(PAGES) in done.stdout  # the summary was printed
    assert len(site.intercom_pages()) == PAGES
