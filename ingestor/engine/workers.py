"""Runs conversion on every core this process may use (a container's CPU quota counts).

Conversion is pure CPU work (lxml, nh3, hashing) and the engine's upload threads share one GIL,
so big batches go to a process pool. Small batches convert inline: starting worker processes
costs more than converting a few dozen pages.

Workers also cost memory (each a Python with lxml, nh3 and pyromark: ~31 MB RSS), so when the
engine tells the pool the rate limit (``ceiling``), the pool starts them only once they pay:
it converts inline, measuring each page's conversion CPU time, and starts the workers when
conversion at the rate ceiling's pace would take more than :data:`INLINE_SHARE` of a core,
judged on the median page of each :data:`SAMPLE_PAGES` (a run's first pages also pay one-time
costs). The share is small because conversion competes for the GIL with everything else a page
costs this process (reading, hashing, uploading, recording: about 2-5 ms a page), which it
cannot hand off. Measured in a sync (more than alone: the threads share caches and the GIL):
20 KB Markdown pages take ~1.6 ms (0.26 of a core at Intercom's 166 pages/s) and reached 91 %
of the ceiling inline, 96-103 % with workers, so they get them; 3 KB pages take ~0.5 ms (0.08)
and reached 99.8 % inline, so they stay inline, as do the small pages of a 1 % change. With no
limit known (no ``X-RateLimit-*`` header seen yet) the workers start as before.

And only as many as pay (:func:`workers_needed`): each keeps at most :data:`WORKER_SHARE` of
its core busy at the ceiling's pace, so the 20 KB pages above (0.26 of a core) get one worker,
not one per core, and a sync of a million pages carries one ~45 MB process, not two.
"""

from __future__ import annotations

import gc
import logging
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from ingestor.connectors.document import Document
from ingestor.convert import ConvertedPage, convert_document
from ingestor.engine.cores import usable_cores

__all__ = ["ConversionPool", "release_memory", "spawn_workers", "workers_needed", "workers_pay"]

log = logging.getLogger("ingestor.sync")

#: Below this many pages to convert, a process pool is not worth its start-up time.
POOL_THRESHOLD = 64
#: How often a worker checks that its parent still lives: the longest it can outlive it.
PARENT_POLL_SECONDS = 0.25
#: Share of a core conversion may take at the rate ceiling before workers start.
INLINE_SHARE = 0.15
#: Share of its core one worker may be kept busy at the rate ceiling: a second worker starts
#: only beyond it (headroom for bursts: uploads come in waves as rate-limit windows open).
WORKER_SHARE = 0.5
#: Pages converted inline between two looks at whether workers would pay.
SAMPLE_PAGES = 16

#: Pages per second the upload side can take at most (the rate limit); None: not known.
Ceiling = Callable[[], float | None]


class ConversionPool:
    """``convert(doc)`` inline or in worker processes; safe to call from many threads.

    ``ceiling`` (see the module docstring): start the workers only once conversion at that
    page rate would need more than :data:`INLINE_SHARE` of a core; without it they start at
    once when ``expected_pages`` reaches :data:`POOL_THRESHOLD`.
    """

    def __init__(
        self, expected_pages: int, workers: int | None = None, *, ceiling: Ceiling | None = None
    ) -> None:
        self.workers = workers if workers is not None else usable_cores()
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._ceiling = ceiling
        #: Workers would be worth starting, and have not been tried yet.
        self._pending = self.workers > 1 and expected_pages >= POOL_THRESHOLD
        self._samples: list[float] = []  # CPU seconds of pages converted inline, in a row
        if self._pending and ceiling is None:
            self._start(self.workers)

    def _start(self, workers: int) -> None:
        self._pending = False
        self.workers = workers
        try:
            self._executor = spawn_workers(workers)
        except (OSError, ImportError) as exc:  # no /dev/shm for its locks, no _multiprocessing
            log.warning("conversion workers cannot start (%s); converting in-process", exc)

    @property
    def parallel(self) -> bool:
        return self._executor is not None

    def convert(self, document: Document) -> ConvertedPage:
        executor = self._executor
        if executor is None:
            return self._convert_inline(document) if self._pending else convert_document(document)
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

    def _convert_inline(self, document: Document) -> ConvertedPage:
        """Convert here, and start the workers once the pages sampled show they would pay."""
        started = time.thread_time()  # this thread's CPU: a busy machine does not inflate it
        try:
            return convert_document(document)
        finally:
            self._sample(time.thread_time() - started)

    def _sample(self, cpu_seconds: float) -> None:
        with self._lock:
            self._samples.append(cpu_seconds)
            if not self._pending or len(self._samples) < SAMPLE_PAGES:
                return
            import statistics  # here: the workers import this module and never sample

            # the median: a run's first pages also pay one-time costs (imports, compiled
            # patterns, the renderer's set-up) that say nothing about the pages to come
            per_page = statistics.median(self._samples)
            self._samples.clear()
            ceiling = self._ceiling() if self._ceiling is not None else None
            if workers_pay(per_page, ceiling):
                workers = workers_needed(per_page, ceiling, self.workers)
                log.debug("conversion: %.1f ms a page; %d worker(s)", per_page * 1000, workers)
                self._start(workers)

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


def spawn_workers(count: int) -> ProcessPoolExecutor:
    """A pool of ``count`` conversion worker processes, each set up by :func:`_worker_setup`.

    Spawned, not forked: the engine is multi-threaded and forking threads is unsafe. A spawned
    worker imports only what it unpickles (this module, :func:`convert_document`, the
    :class:`Document` of :mod:`ingestor.connectors.document` and its link resolver) and the
    main script: the settings models, pydantic and the CLI stay in the parent
    (tests/test_engine_footprint.py checks it).
    """
    return ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_setup,
        initargs=(os.getpid(),),
    )


def workers_pay(cpu_per_page: float, pages_per_second: float | None) -> bool:
    """Whether conversion at ``pages_per_second`` (None: no limit known, as fast as can be)
    would keep more than :data:`INLINE_SHARE` of a core busy."""
    return pages_per_second is None or cpu_per_page * pages_per_second > INLINE_SHARE


def workers_needed(cpu_per_page: float, pages_per_second: float | None, cores: int) -> int:
    """Workers for conversion at ``pages_per_second`` (None: as fast as can be, every core),
    each kept at most :data:`WORKER_SHARE` busy; at least one, at most ``cores``."""
    if pages_per_second is None:
        return cores
    return max(1, min(cores, math.ceil(cpu_per_page * pages_per_second / WORKER_SHARE)))


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
    import ctypes  # here: the workers import this module and never call it

    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to do
        return
    libc.malloc_trim(0)
