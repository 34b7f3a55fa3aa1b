"""Solver worker processes die with the process that started them (issue 12, item 12)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from served import process_alive

from crowdguard.workers import terminate_workers, worker_pool


def test_terminate_workers_stops_a_busy_pool_at_once() -> None:
    began = time.monotonic()
    with pytest.raises(BrokenProcessPool), worker_pool(1) as pool:
        pool.submit(os.getpid).result(timeout=30)  # the worker is up
        future = pool.submit(time.sleep, 60)
        time.sleep(0.5)  # and has started the sleep
        assert terminate_workers() == 1
        future.result(timeout=30)
    assert time.monotonic() - began < 20


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_worker_whose_parent_dies_exits_by_itself(tmp_path: Path) -> None:
    """The parent is SIGKILLed mid-solve (no shutdown code runs): its worker notices within
    a second and exits instead of solving on for minutes under PID 1."""
    script = (
        "import os, sys, time\n"
        "from crowdguard.workers import worker_pool\n"
        "with worker_pool(1) as pool:\n"
        "    pid = pool.submit(os.getpid).result(timeout=60)\n"
        "    pool.submit(time.sleep, 120)\n"
        "    print(pid, flush=True)\n"
        "    time.sleep(0.3)\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    worker = int(result.stdout.split()[0])
    deadline = time.monotonic() + 5
    while process_alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = process_alive(worker)
    if alive:
        os.kill(worker, 9)
    assert not alive, "the worker outlived its parent"


def _solves_mips_after_a_mip_here(pool: str) -> None:
    """In a fresh interpreter: a MIP solved here, then two in ``pool``'s workers and one
    here again, all with the same answer (a hung worker fails the 60 s wait)."""
    script = (
        "import numpy as np\n"
        "from crowdguard.games.eraser import eraser_coverage\n"
        "from crowdguard.workers import worker_pool\n"
        "rng = np.random.default_rng(3)\n"
        "n = 40\n"
        "args = (rng.uniform(0, 1, n), rng.uniform(-9, -1, n), rng.uniform(-9, -1, n),\n"
        "        rng.uniform(1, 9, n), 7.0)\n"
        "here = eraser_coverage(*args)\n"
        f"with {pool} as pool:\n"
        "    there = [pool.submit(eraser_coverage, *args) for _ in range(2)]\n"
        "    results = [f.result(timeout=60) for f in there]\n"
        "again = eraser_coverage(*args)\n"
        "assert all(np.allclose(r[0], here[0], atol=1e-6) for r in [*results, again])\n"
        "print('solved', len(results))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "solved 2"


def test_a_pool_made_after_a_mip_in_the_caller_still_solves_mips() -> None:
    """HiGHS's task scheduler is per process; a worker forked after the caller solved a MIP
    inherited it without its threads and hung for ever in its first MIP (CI found it: the
    season's parallel days after a serial plan). Workers now come from a clean forkserver."""
    _solves_mips_after_a_mip_here("worker_pool(2)")


def test_a_pool_forked_now_after_a_mip_in_the_caller_still_solves_mips() -> None:
    """``worker_pool(fork_now=True)`` forks its workers from the caller (the plan's
    renderer, issue 10 section 4), which may have solved a MIP already: HiGHS's scheduler is
    shut down before the fork, so the children's MIPs solve (without it they hang, as the
    test above describes), and the caller still solves after."""
    _solves_mips_after_a_mip_here("worker_pool(2, fork_now=True)")
