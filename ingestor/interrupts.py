"""Ctrl-C and SIGTERM during a one-shot ``ingestor sync``: stop like the daemon does.

The first signal stops starting pages; uploads in flight finish, the run is recorded as
interrupted with what it did, and the summary is printed (exit 130). A second signal, or the
grace period running out, aborts at once: the engine still records the run as interrupted
(state is written only after Intercom confirmed, so the next run converges), and the process
exits even if upload threads are still inside a retry (:func:`exit_now_if_stuck`).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["exit_now_if_stuck", "stop_on_signals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_on_signals(
    stop: threading.Event, grace: float, say: Callable[[str], None]
) -> Iterator[None]:
    """Within the block, SIGINT/SIGTERM set ``stop``; a second one (or ``grace`` seconds
    later) raises KeyboardInterrupt in the main thread. Outside the main thread: no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    timer: threading.Timer | None = None

    def handle(signum: int, _frame: FrameType | None) -> None:
        nonlocal timer
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        say(
            f"{signal.Signals(signum).name}: stopping; uploads in flight get up to {grace:.0f}s "
            "(again to abort at once)"
        )
        timer = threading.Timer(grace, _interrupt_main_thread)
        timer.daemon = True
        timer.start()

    previous = {sig: signal.signal(sig, handle) for sig in _SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if timer is not None:
            timer.cancel()


def _interrupt_main_thread() -> None:
    """A real SIGINT to the main thread: unlike ``_thread.interrupt_main``, it also wakes a
    main thread blocked joining upload threads, which then gets KeyboardInterrupt."""
    ident = threading.main_thread().ident
    if ident is not None:
        signal.pthread_kill(ident, signal.SIGINT)


def exit_now_if_stuck(code: int) -> None:
    """After an interrupted run was recorded and reported: exit with ``code`` now if threads
    that Python would wait for at exit are still running (an upload inside a retry or a 429
    pause); they hold nothing that state needs."""
    stuck = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
    ]
    if not stuck:
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
