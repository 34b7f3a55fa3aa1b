"""Solver worker processes that die with the process that started them.

The season's days are solved in a :class:`~concurrent.futures.ProcessPoolExecutor`. Two
things let such workers outlive ``crowdguard serve`` (issue 12, item 12: workers of 175-250
MB each, with the SQLite store open, still alive 22 minutes after SIGTERM):

- a forked worker inherits the server's signal handlers, which only set a flag in the
  server's event loop, so SIGTERM to a worker does nothing;
- when the server exits, nothing stops a worker in the middle of a solve, and it is
  re-parented to PID 1.

:func:`worker_pool` gives pools whose workers restore the default SIGTERM/SIGINT handling
and watch the process that made them (a daemon thread waiting on the pipe from it, the
portable form of Linux's ``PR_SET_PDEATHSIG``): when it is gone they exit at once. The pools are
registered so that :func:`terminate_workers` (called by the server on shutdown) can stop
every worker of every live pool. Python 3.14 adds ``ProcessPoolExecutor.terminate_workers``;
until then the executor's process table is read directly.

Workers are started by a *forkserver*, never forked from the caller. HiGHS keeps one task
scheduler per process, with its own threads; a MIP solved in the caller (a robust tie, a
joint-roster pricing problem) starts it, and a child forked afterwards inherits the
scheduler's bookkeeping without its threads, so the child's first MIP waits for ever in
``TaskGroup::~TaskGroup`` (found by CI: the season's parallel days hung after a serial
plan in the same process). The forkserver is a fresh interpreter that has never solved
anything; it preloads the solver modules once, so each worker still starts in
milliseconds. (A script that makes a pool needs the usual ``if __name__ == "__main__":``
guard, as with any non-fork start method.)
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

__all__ = ["terminate_workers", "worker_pool"]

_live: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()
_lock = threading.Lock()


_PRELOAD = ["crowdguard.patrols.season_routes", "crowdguard.patrols.visibility"]
"""Imported once by the forkserver (importing starts no solver threads)."""


def _exit_when_orphaned(caller: Any) -> None:
    caller.join()  # returns when the caller's end of its pipe closes: it has exited
    os._exit(1)  # the caller is gone: no cleanup can matter, nothing is written


def _init_worker() -> None:
    """In each worker: default signal handling, and a watch on the process that made the
    pool (``multiprocessing.parent_process()``: a pipe that reaches end-of-file when that
    process dies, even while it is an unreaped zombie, whichever process forked us)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    caller = multiprocessing.parent_process()
    if caller is None:  # pragma: no cover - only a forkserver or spawn child runs this
        return
    if not caller.is_alive():
        os._exit(1)
    threading.Thread(target=_exit_when_orphaned, args=(caller,), daemon=True).start()


def _context() -> Any:
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


@contextmanager
def worker_pool(max_workers: int, *, fork_now: bool = False) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers die with this process (see the module docstring).

    Used like ``with ProcessPoolExecutor(...) as pool``; leaving the block waits for the
    workers as the executor does. ``fork_now``: fork all the workers from this process at
    once, instead of starting them from the forkserver as work arrives: they start in
    milliseconds with everything this process has imported, and no forkserver has to start
    and import the solver first (one to two seconds of a one-day plan, issue 10 section 4).
    HiGHS's task scheduler is shut down first (``Highs.resetGlobalScheduler``; this process
    starts a new one when it next solves), so the children inherit none of it and their
    MIPs do not hang as described above (checked: a child forked after a MIP hangs without
    the reset, solves with it). Only while no other thread of this process runs (a thread
    in a HiGHS call, or holding a lock the children would need); the pool then never forks
    again (a lost worker breaks it, ``BrokenProcessPool``).
    """
    if fork_now and "highspy" in sys.modules:
        sys.modules["highspy"].Highs.resetGlobalScheduler(True)
    pool = ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=multiprocessing.get_context("fork") if fork_now else _context(),
        initializer=_init_worker,
    )
    if fork_now:  # the first submit forks every worker (ProcessPoolExecutor, "fork")
        pool.submit(os.getpid)
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
