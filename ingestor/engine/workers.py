"""Runs conversion on every core this process may use (a container's CPU quota counts).

Conversion is pure CPU work (lxml, nh3, hashing) and the engine's upload threads share one GIL,
so big batches go to a process pool. Small batches convert inline: starting worker processes
costs more than converting a few dozen pages.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from ingestor.connectors.base import Document
from ingestor.convert import ConvertedPage, convert_document
from ingestor.engine.cores import usable_cores

__all__ = ["ConversionPool", "release_memory"]

log = logging.getLogger("ingestor.sync")

#: Below this many pages to convert, a process pool is not worth its start-up time.
POOL_THRESHOLD = 64
#: How often a worker checks that its parent still lives: the longest it can outlive it.
PARENT_POLL_SECONDS = 0.25


class ConversionPool:
    """``convert(doc)`` inline or in worker processes; safe to call from many threads."""

    def __init__(self, expected_pages: int, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else usable_cores()
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        if self.workers > 1 and expected_pages >= POOL_THRESHOLD:
            try:
                # spawn, not fork: the engine is multi-threaded and forking threads is unsafe.
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_setup,
                    initargs=(os.getpid(),),
                )
            except (OSError, ImportError) as exc:  # no /dev/shm for its locks, no _multiprocessing
                log.warning("conversion workers cannot start (%s); converting in-process", exc)

    @property
    def parallel(self) -> bool:
        return self._executor is not None

    def convert(self, document: Document) -> ConvertedPage:
        executor = self._executor
        if executor is None:
            return convert_document(document)
        try:
            return executor.submit(convert_document, document).result()
        except (BrokenProcessPool, OSError) as exc:
            # A worker died (OOM killer, a main module spawn cannot re-import...): finish
            # the run in this process rather than failing every remaining page.
            with self._lock:
                if self._executor is executor:
                    log.warning("conversion workers failed (%s); converting in-process", exc)
                    self._executor = None
                    executor.shutdown(wait=False, cancel_futures=True)
            return convert_document(document)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> ConversionPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _worker_setup(parent: int) -> None:
    """In each worker: leave Ctrl-C to the parent (it stops taking pages and drains them),
    and never outlive it, however it ends (a SIGKILL gives it no chance to clean up).

    The worker watches its parent process itself. ``prctl(PR_SET_PDEATHSIG)`` cannot be used:
    it fires when the *thread* that created the process ends (prctl(2)), and the pool starts
    workers from whichever upload thread submits first, so they were killed mid-run when that
    thread ended, and a worker killed holding the call queue's lock hung the pool's shutdown
    (found by the crash trials, tests/crash/test_worker_lifetime.py)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    """Poll for the parent process, and leave once it is gone (reparented: a new ppid)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def release_memory() -> None:
    """Hand freed heap back to the OS after a run (glibc keeps it otherwise), so a daemon that
    syncs 100,000 pages again and again does not carry the first run's peak into the next."""
    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to do
        return
    libc.malloc_trim(0)
