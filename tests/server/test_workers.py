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
