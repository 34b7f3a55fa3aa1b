"""Sweeps on real Dask clusters: a two-worker LocalCluster and external scheduler/worker processes.

Both must give exactly the rows of a serial run with the same seeds, and a task made to fail
once must be retried and reported.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from crowdguard.scenario.load import demo_scenario
from crowdguard.scenario.schema import ThreatLevel
from crowdguard.sweep import DaskBackend, SerialBackend, SweepOptions, run_sweep, simulate_seed
from crowdguard.sweep.testing import FailOnce

OPTIONS = SweepOptions(days=2, mode="free", expected_incidents=100.0)
GRID = {"teams": [2, 3, 5], "threats": [ThreatLevel.SUBSTANTIAL, ThreatLevel.SEVERE]}
SEEDS = range(5)
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def serial_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "sweep"
    run_sweep(demo_scenario(), **GRID, seeds=SEEDS, options=OPTIONS, out=out,
              backend=SerialBackend(), resamples=100)  # fmt: skip
    return out / "results.parquet"


def test_two_worker_local_cluster_matches_serial_and_retries(
    serial_results: Path, tmp_path: Path
) -> None:
    flaky = FailOnce(simulate_seed, tmp_path / "marker")
    with DaskBackend(workers=2) as backend:
        assert backend.workers == 2
        outcome = run_sweep(demo_scenario(), **GRID, seeds=SEEDS, options=OPTIONS,
                            out=tmp_path / "s", backend=backend, resamples=100,
                            simulate=flaky)  # fmt: skip
    assert outcome.complete and outcome.run.backend == "dask" and outcome.run.workers == 2
    (retry,) = outcome.run.retried
    assert "InjectedFailure" in retry.error and retry.attempt == 1
    assert pq.read_table(tmp_path / "s" / "results.parquet").equals(pq.read_table(serial_results))


@pytest.fixture
def external_cluster(tmp_path: Path) -> Iterator[str]:
    """A real ``dask scheduler`` and one ``dask worker`` process on loopback."""
    scheduler_file = tmp_path / "scheduler.json"
    log = (tmp_path / "dask.log").open("w")
    common = {"stdout": log, "stderr": subprocess.STDOUT, "cwd": tmp_path}
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(scheduler_file)],
        **common,  # type: ignore[call-overload]
    )  # fmt: skip
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        worker = subprocess.Popen(
            [str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1"],
            **common,  # type: ignore[call-overload]
        )  # fmt: skip
        yield address
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.send_signal(signal.SIGINT)
        for process in (worker, scheduler):
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        log.close()


def test_external_scheduler_from_the_cli_matches_serial(
    external_cluster: str, serial_results: Path, tmp_path: Path
) -> None:
    out = tmp_path / "s"
    env = {**os.environ, "COLUMNS": "160"}
    result = subprocess.run(
        [sys.executable, "-m", "crowdguard", "sweep", "demo", "--teams", "2,3,5",
         "--threat", "SUBSTANTIAL,SEVERE", "--seeds", "5", "--days", "2", "--mode", "free",
         "--incidents", "100", "--scheduler", external_cluster, "--out", str(out)],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "30 rows (30 computed, 0 reused" in result.stdout
    assert "on dask with 1 worker(s)" in result.stdout
    assert "Proportionality points" in result.stdout
    ours = pq.read_table(out / "results.parquet").drop_columns(["code_version"])
    theirs = pq.read_table(serial_results).drop_columns(["code_version"])
    assert ours.equals(theirs)
    # the cluster is somebody else's: it is still up after the sweep
    from distributed import Client

    with Client(external_cluster, timeout="10s") as client:
        assert len(client.scheduler_info()["workers"]) == 1
