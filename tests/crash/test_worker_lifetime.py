"""A conversion worker lives as long as its pool, whichever thread happened to start it.

Found by the crash trials (a clean reference sync of 79 pages hung for good in
``ConversionPool.close``): ``ProcessPoolExecutor`` (spawn) starts its workers in the thread that
calls ``submit``, here a sync upload thread, and ``prctl(PR_SET_PDEATHSIG)`` fires when the
*thread* that created a process ends, not its process (prctl(2): "the 'parent' in this case is
considered to be the thread that created this process"). When the upload threads end, the
kernel SIGKILLs the workers; one killed while idle holds the call queue's read lock, the other
then never reads its stop sentinel, and ``shutdown(wait=True)`` waits forever.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from ingestor.workers import ConversionPool


def test_a_worker_started_from_a_thread_outlives_that_thread() -> None:
    with ConversionPool(expected_pages=100, workers=2) as pool:
        executor = pool._executor
        if executor is None:
            pytest.skip("no process pool on this machine")
        worker_pid: list[int] = []
        thread = threading.Thread(
            target=lambda: worker_pid.append(executor.submit(os.getpid).result())
        )
        thread.start()
        thread.join()
        deadline = time.monotonic() + 3  # the kernel's signal is immediate; allow for load
        while time.monotonic() < deadline:
            processes = list(executor._processes.values())
            assert processes, "the pool has no worker"
            assert all(p.is_alive() for p in processes), [(p.pid, p.exitcode) for p in processes]
            time.sleep(0.2)
