"""Solver worker processes that die with the process that started them.

The season's days are solved in a :class:`~concurrent.futures.ProcessPoolExecutor`. Two
things let such workers outlive ``crowdguard serve`` (issue 12, item 12: workers of 175-250
MB each, with the SQLite store open, still alive 22 minutes after SIGTERM):

- a forked worker inherits the server's signal handlers, which only set a flag in the
  server's event loop, so SIGTERM to a worker does nothing;
- when the server exits, nothing stops a worker in the middle of a solve, and it is
  re-parented to PID 1.

:func:`worker_pool` gives pools whose workers restore the default SIGTERM/SIGINT handling
and watch their parent (a daemon thread polling ``os.getppid()``, the portable form of
Linux's ``PR_SET_PDEATHSIG``): when the parent is gone they exit at once. The pools are
registered so that :func:`terminate_workers` (called by the server on shutdown) can stop
every worker of every live pool. Python 3.14 adds ``ProcessPoolExecutor.terminate_workers``;
until then the executor's process table is read directly.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

__all__ = ["PARENT_POLL_SECONDS", "terminate_workers", "worker_pool"]

PARENT_POLL_SECONDS = 0.5
"""How often a worker checks that its parent is still alive."""

_live: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()
_lock = threading.Lock()


def _exit_when_orphaned(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)  # the parent is gone: no cleanup can matter, nothing is written


def _init_worker(parent: int) -> None:
    """In each worker: default signal handling, and a watch on the parent."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


@contextmanager
def worker_pool(max_workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers die with this process (see the module docstring).

    Used like ``with ProcessPoolExecutor(...) as pool``; leaving the block waits for the
    workers as the executor does.
    """
    pool = ProcessPoolExecutor(
        max_workers=max_workers, initializer=_init_worker, initargs=(os.getpid(),)
    )
    with _lock:
        _live.add(pool)
    try:
        with pool:
            yield pool
    finally:
        with _lock:
            _live.discard(pool)


def terminate_workers(timeout: float = 5.0) -> int:
    """Stop every worker of every live :func:`worker_pool` (SIGTERM, then SIGKILL after
    ``timeout`` seconds); their pending work fails with ``BrokenProcessPool``. Returns how
    many workers were stopped."""
    with _lock:
        pools = list(_live)
    processes: list[Any] = []
    for pool in pools:
        table = getattr(pool, "_processes", None) or {}  # before shutdown() forgets it
        processes.extend(p for p in list(table.values()) if p.is_alive())
        pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)
    return len(processes)
