"""No conversion worker outlives `ingestor sync`, however the sync ends: the workers ask the
kernel to kill them with their parent (Linux) or watch for it elsewhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.state import Store

from .conftest import Site, calls
from .test_crash_recovery import start_sync, wait_for

PAGES = 150  # over the pool threshold: conversion goes to worker processes
#: An emulator that tells no rate limit: with one told, pages this small convert inline (workers
#: start only when conversion at the limit's pace needs them), and these tests kill workers.
#: The latency keeps the sync running well past the pool's start.
WORKER_EMULATOR = EmulatorSettings(latency_ms=200, rate_limit=None)


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def write_pages(site: Site) -> None:
    for i in range(PAGES):
        site.write(f"kb/article-{i:03}.md", f"# Article {i}\n\nText {i}.\n")


def kill_sync_mid_run(site: Site, server: EmulatorServer) -> tuple[subprocess.Popen[str], set[int]]:
    """Start `ingestor sync`, SIGKILL it once it created 10 pages; it and its workers' pids."""
    proc = start_sync(site)
    wait_for(lambda: calls(server.stats(), "createExternalPage") >= 10)
    # the pool starts after sampling its first pages inline, and spawns a worker per submit
    wait_for(lambda: bool(children_of(proc.pid)) or proc.poll() is not None)
    workers = children_of(proc.pid)
    assert workers, "the sync should convert in worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    return proc, workers


def test_sigkill_of_sync_leaves_no_worker_behind(
    make_site: Callable[[EmulatorServer], Site],
) -> None:
    with EmulatorServer(WORKER_EMULATOR) as server:
        site = make_site(server)
        write_pages(site)
        _, workers = kill_sync_mid_run(site, server)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, f"workers outlived the sync: {workers}"
            time.sleep(0.1)


def test_sigint_and_sigterm_stop_sync_promptly_and_record_the_run_interrupted(
    make_site: Callable[[EmulatorServer], Site],
) -> None:
    with EmulatorServer(EmulatorSettings(latency_ms=60)) as server:
        site = make_site(server)
        write_pages(site)
        for sig in (signal.SIGINT, signal.SIGTERM):
            proc = start_sync(site)
            goal = calls(server.stats(), "createExternalPage") + 10
            wait_for(lambda goal=goal: calls(server.stats(), "createExternalPage") >= goal)
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == 130, out + err
            assert "stopping" in err and "interrupted" in out
        status = site.cli("status")
        assert "interrupted" in status.stdout, status.stdout
        done = site.cli("sync", "--no-progress")  # the next run converges
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(server.pages()) == PAGES


def test_a_killed_sync_shows_as_died_and_the_next_sync_records_it_so(
    make_site: Callable[[EmulatorServer], Site],
) -> None:
    with EmulatorServer(WORKER_EMULATOR) as server:
        site = make_site(server)
        write_pages(site)
        proc, workers = kill_sync_mid_run(site, server)

        status = site.cli("status")  # nobody holds the state now: the run is not running
        assert f"died (pid {proc.pid})" in status.stdout, status.stdout
        assert "running" not in status.stdout
        with Store.open(site.state, read_only=True) as store:
            assert store.recent_runs("docs", limit=1)[0].status == "running"  # not yet marked

        done = site.cli("sync", "--no-progress")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "recorded as died" in done.stderr
        with Store.open(site.state, read_only=True) as store:
            latest, killed = store.recent_runs("docs", limit=2)
        assert (latest.status, killed.status, killed.pid) == ("ok", "died", proc.pid)
        assert f"process {proc.pid} ended" in str(killed.error)
        assert len(site.intercom_pages()) == PAGES
        assert not [pid for pid in workers if alive(pid)], "workers outlived the killed sync"


# Each conversion worker watches its parent process (PR_SET_PDEATHSIG follows a thread).
WATCHER = (
    "import sys\n"
    "from ingestor.engine.workers import _watch_parent\n"
    "print('watching', flush=True)\n"
    "_watch_parent(int(sys.argv[1]))\n"
)
PARENT = (
    "import os, subprocess, sys, time\n"
    f"child = subprocess.Popen([sys.executable, '-c', {WATCHER!r}, str(os.getpid())])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(120)\n"
)


def test_a_worker_leaves_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    watcher = int(parent.stdout.readline())
    try:
        assert parent.stdout.readline().strip() == "watching"
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 15
        while alive(watcher):
            assert time.monotonic() < deadline, "the watcher outlived its parent"
            time.sleep(0.1)
    finally:
        parent.stdout.close()
        if alive(watcher):
            os.kill(watcher, signal.SIGKILL)
