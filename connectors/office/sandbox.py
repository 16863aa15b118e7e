"""Run a converter of untrusted bytes in a child process bounded in time and memory.

Office parsers are large C and Python code paths fed with whatever lies on a share: a
crafted or merely broken file can loop, balloon or crash. Each conversion therefore runs in
its own child process, so the parent can always take control back:

* **time**: the parent waits ``timeout`` seconds for the answer, then kills the child
  (SIGKILL works whatever the child is doing, even inside C code holding the GIL);
* **memory**: the child caps its own address space (``RLIMIT_AS``) at what it already uses
  plus ``memory_bytes``, so an allocation beyond it fails with MemoryError in the child, not
  by the kernel's OOM killer choosing a victim; core dumps are disabled;
* **crashes**: a child that dies (segfault, abort) is reported with its signal.

Children come from a ``forkserver`` that imported the converters once, so starting one costs
a fork, not an interpreter start; it is also safe from the engine's threads (the server is
single-threaded). Where forkserver does not exist (Windows) ``spawn`` is used; where
``resource`` does not exist only the time bound holds.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from ingestor.errors import ConnectorError

__all__ = ["ConversionLimits", "run_bounded"]

T = TypeVar("T")

_context_lock = threading.Lock()
_context_made: list[BaseContext] = []  # at most one: a process has one forkserver


@dataclass(frozen=True, slots=True)
class ConversionLimits:
    """How long and how much memory one conversion may take.

    Attributes:
        timeout: Seconds of wall time before the child is killed.
        memory_bytes: Address space the child may add to what it uses when it starts;
            None for no memory bound.
    """

    timeout: float
    memory_bytes: int | None


def run_bounded(
    convert: Callable[[bytes], T],
    data: bytes,
    limits: ConversionLimits,
    *,
    preload: Sequence[str] = (),
) -> T:
    """``convert(data)`` in a child process, within ``limits``.

    Args:
        convert: A module-level function (it is pickled by reference).
        data: Its input.
        limits: The time and memory bounds.
        preload: Modules the forkserver imports once for every child (the converters').

    Returns:
        What ``convert`` returned.

    Raises:
        ConnectorError: ``convert`` raised an :class:`~ingestor.errors.IngestorError` (re-raised
            as is, e.g. PageSkipped), or any other exception, ran out of time or memory, or the
            child died. Messages name no file; the caller adds it.
    """
    context = _context(tuple(preload))
    receiver, sender = context.Pipe(duplex=False)
    process: Any = context.Process(  # type: ignore[attr-defined]  # contexts are untyped
        target=_child_main,
        args=(sender, convert, data, limits.memory_bytes),
        name="office-converter",
        daemon=True,
    )
    try:
        try:
            process.start()
        except OSError as exc:  # no more processes or file descriptors
            raise ConnectorError(f"cannot start a converter process: {exc}") from exc
        finally:
            sender.close()  # the child holds the only writer: EOF now means it is gone
        status, payload = _answer(process, receiver, limits)
    finally:
        receiver.close()
        _reap(process)
    return _outcome(status, payload, limits)  # type: ignore[no-any-return]


def _answer(process: Any, receiver: Connection, limits: ConversionLimits) -> tuple[str, Any]:
    """The child's ``(status, payload)``, once it sent it within the time limit."""
    if not receiver.poll(limits.timeout):
        process.kill()
        raise ConnectorError(
            f"conversion took longer than {limits.timeout:g}s and was stopped "
            "(a pathological or very large file?)"
        )
    try:
        status, payload = receiver.recv()
    except (EOFError, OSError):
        process.join(5)
        raise ConnectorError(_death_message(process.exitcode)) from None
    return status, payload


def _reap(process: Any) -> None:
    if process.is_alive():
        process.kill()
    if process.pid is not None:
        process.join(5)
        if process.exitcode is not None:  # reaped; a zombie would make close() raise
            process.close()


def _outcome(status: str, payload: Any, limits: ConversionLimits) -> Any:
    """What the child converted, or the exception its status stands for."""
    if status == "ok":
        return payload
    if status == "error":
        raise payload
    if status == "memory":
        limit = f"{limits.memory_bytes / 2**20:,.0f} MiB" if limits.memory_bytes else "memory"
        raise ConnectorError(f"conversion needed more than its {limit} limit and was stopped")
    raise ConnectorError(f"conversion failed unexpectedly ({payload})")


def _context(preload: tuple[str, ...]) -> BaseContext:
    """The process-wide context; the forkserver preloads the modules of the first caller."""
    with _context_lock:
        if not _context_made:
            context: BaseContext
            if "forkserver" in multiprocessing.get_all_start_methods():
                forkserver = multiprocessing.get_context("forkserver")
                forkserver.set_forkserver_preload(list(preload))
                context = forkserver
            else:
                context = multiprocessing.get_context("spawn")
            _context_made.append(context)
        return _context_made[0]


def _death_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the converter crashed ({name}) on this file"
    return f"the converter exited without an answer (exit code {exitcode})"


def _child_main(
    conn: Connection, convert: Callable[[bytes], object], data: bytes, memory: int | None
) -> None:
    """Entry point of the child: bound itself, convert, send one answer."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which drains
    logging.disable(logging.CRITICAL)  # libraries' log noise; problems travel in the answer
    _limit_resources(memory)
    answer: tuple[str, object]
    try:
        answer = ("ok", convert(data))
    except MemoryError:
        data = b""
        answer = ("memory", None)
    except ConnectorError as exc:
        answer = ("error", exc)
    except Exception as exc:  # a converter bug or a library error nobody translated
        answer = ("crash", f"{type(exc).__name__}: {exc}"[:500])
    try:
        conn.send(answer)
    except MemoryError:
        conn.send(("memory", None))
    finally:
        conn.close()


def _limit_resources(memory: int | None) -> None:
    try:
        import resource
    except ImportError:  # Windows: only the time bound applies
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory is None:
        return
    limit = _address_space() + memory
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int:
    """Bytes of address space this process uses now (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")
