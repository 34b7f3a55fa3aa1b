"""Figure (issue 4): API latency and throughput at 50 concurrent clients.

Starts ``crowdguard serve`` as a real uvicorn subprocess on loopback (embedded SQLite, and
PostgreSQL when ``CROWDGUARD_TEST_DATABASE_URL`` is set or a private cluster can be started
as root), loads the demo scenario, runs one real plan (one day), then drives
``GET /api/v1/rosters/{date}`` (every read is audited: one hash-chained write per read) and
``GET /api/v1/plans`` from 50 concurrent users for a fixed duration, over the lean keep-alive
client of ``bench/rawhttp.py`` (httpx's own CPU, 3-5 ms a request, would otherwise be most of
what is measured on these 2 cores).
The baseline, measured in the same run, is ``GET /api/v1/health`` (no auth, no database).
Each figure is the median over RUNS runs of that run's p50/p95/p99 and requests per second.
Prints Markdown rows for docs/benchmarks/server.md. Target: p95 under 50 ms for reads.
``--think S`` makes each client wait S seconds between requests (50 people using the system,
rather than 50 programs firing back to back, which measures saturation).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server"))
from served import ServedProcess, add_admin

from rawhttp import KeepAliveClient

PASSWORD = "bench password 123"


async def _drive(
    base_url: str,
    path: str,
    headers: dict[str, str],
    clients: int,
    seconds: float,
    think: float = 0.0,
) -> tuple[list[float], float]:
    """``clients`` users on keep-alive connections for ``seconds``: (latencies, requests/s).

    With ``think`` each user waits an exponentially distributed time of mean ``think`` s
    between requests and starts at a random moment of the first ``think`` s (users arriving
    independently, not 50 synchronised bursts); seeded per user, so runs are comparable.
    """
    latencies: list[float] = []
    errors = 0
    port = int(base_url.rsplit(":", 1)[1])
    client = KeepAliveClient(port, clients, method="GET", path=path, headers=headers)
    end = time.perf_counter() + seconds

    async def worker(user: int) -> None:
        nonlocal errors
        pause = random.Random(user)
        if think:
            await asyncio.sleep(pause.uniform(0, think))
        while time.perf_counter() < end:
            began = time.perf_counter()
            status, _ = await client.request()
            latencies.append(time.perf_counter() - began)
            if status != 200:
                errors += 1
            if think:  # never past the end: the rate is over ``seconds``, not a long tail
                wait = pause.expovariate(1 / think)
                await asyncio.sleep(max(0.0, min(wait, end - time.perf_counter())))

    began = time.perf_counter()
    await asyncio.gather(*(worker(user) for user in range(clients)))
    elapsed = time.perf_counter() - began
    client.close()
    if errors:
        raise RuntimeError(f"{errors} non-200 answers from {path}")
    return latencies, len(latencies) / elapsed


def _quantiles(latencies: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


@contextmanager
def _private_postgres() -> Iterator[str | None]:
    url = os.environ.get("CROWDGUARD_TEST_DATABASE_URL")
    if url:
        yield url
        return
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if os.geteuid() != 0 or not bins or shutil.which("runuser") is None:
        yield None
        return
    pgbin = bins[-1]
    folder = Path(tempfile.mkdtemp(prefix="crowdguard-bench-pg."))
    shutil.chown(folder, "postgres")
    from served import free_port

    port = free_port()
    as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *as_pg,
            str(pgbin / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_pg,
            str(pgbin / "pg_ctl"),
            "-D",
            str(folder / "data"),
            "-l",
            str(folder / "log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=on",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_pg, str(pgbin / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _fresh_database(base_url: str) -> str:
    import uuid

    from sqlalchemy import create_engine, text

    name = f"cg_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base_url.rsplit("/", 1)[0] + f"/{name}"


def _prepare(server: ServedProcess) -> tuple[dict[str, str], str]:
    from crowdguard.scenario.load import demo_scenario

    headers = server.token("admin", PASSWORD)
    demo = demo_scenario()
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as client:
        if client.get(f"/api/v1/scenarios/{demo.id}").status_code == 404:
            client.post("/api/v1/scenarios", json=demo.model_dump(mode="json")).raise_for_status()
        plan = client.post(
            "/api/v1/plans", json={"scenario_id": demo.id, "seed": 1, "days": 1}
        ).json()
        while (status := client.get(f"/api/v1/plans/{plan['id']}").json())["status"] not in (
            "done",
            "failed",
        ):
            time.sleep(0.5)
        if status["status"] != "done":
            raise RuntimeError(f"plan failed: {status['error']}")
    return headers, demo.days[0].isoformat()


def _measure(
    label: str,
    store_url: str | None,
    runs: int,
    clients: int,
    seconds: float,
    think: float = 0.0,
) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        add_admin(data, store_url, "admin", PASSWORD)
        server = ServedProcess(data, store_url).start()
        try:
            headers, day = _prepare(server)
            targets = {
                "health (baseline)": ("/api/v1/health", {}),
                "roster read (audited)": (f"/api/v1/rosters/{day}", headers),
                "plan listing (50/page)": ("/api/v1/plans?limit=50", headers),
            }
            results: dict[str, list[tuple[float, float, float, float]]] = {k: [] for k in targets}
            for _ in range(runs):
                for name, (path, auth) in targets.items():
                    latencies, rate = asyncio.run(
                        _drive(server.base_url, path, auth, clients, seconds, think)
                    )
                    results[name].append((*_quantiles(latencies), rate))
        finally:
            server.stop()
    base_p95 = statistics.median(r[1] for r in results["health (baseline)"])
    command = (f" --clients {clients}" if clients != 50 else "") + (
        f" --think {think:g}" if think else ""
    )
    pacing = f", {think:g} s think time" if think else ", no think time"
    machine = (
        f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores (shared)"
    )
    for name, samples in results.items():
        p50, p95, p99, rate = (statistics.median(s[i] for s in samples) for i in range(4))
        rows.append(
            f"| {name} | {label} | {machine} | `python bench/api_load.py{command}` | "
            f"{clients}{pacing} | "
            f"{p50:.1f} | {p95:.1f} | {p99:.1f} | {rate:.0f} | {p95 / base_p95:.2f} | "
            f"{'p95 < 50 ms' if name != 'health (baseline)' else 'baseline'} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=4.0, help="per endpoint per run")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds each client waits between requests (0: back to back, the saturation test)",
    )
    args = parser.parse_args()
    print(
        "| endpoint | store | machine | command | clients | p50 ms | p95 ms | p99 ms | req/s | p95 / baseline p95 | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    if args.backend in ("sqlite", "both"):
        for row in _measure(
            "SQLite (WAL)", None, args.runs, args.clients, args.seconds, args.think
        ):
            print(row, flush=True)
    if args.backend in ("postgres", "both"):
        with _private_postgres() as base:
            if base is None:
                print("| (PostgreSQL skipped: no cluster and not root) |", flush=True)
                return
            for row in _measure(
                "PostgreSQL 15",
                _fresh_database(base),
                args.runs,
                args.clients,
                args.seconds,
                args.think,
            ):
                print(row, flush=True)


if __name__ == "__main__":
    main()
