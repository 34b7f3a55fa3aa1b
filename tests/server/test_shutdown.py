"""The real server's edges (issue 12): a clean, bounded SIGTERM that leaves no solver worker
behind, ``X-Forwarded-For`` believed from nobody by default, a port clash that is an error
before anything says the server is up, and an owner-only store."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from served import ServedProcess, add_admin, children_of, free_port, process_alive

from crowdguard.errors import InputError
from crowdguard.store.settings import parse_trusted_proxies

pytestmark = pytest.mark.slow
PASSWORD = "a long enough password"
SIGTERM_LIMIT_SECONDS = 10.0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a plan uses worker processes from 2 cores")
def test_sigterm_during_a_plan_job_exits_promptly_and_leaves_no_worker(tmp_path: Path) -> None:
    """Issue 12, item 12: workers used to outlive the server (parent PID 1, ignoring
    SIGTERM, the store open) for up to 22 minutes."""
    data_dir = tmp_path / "data"
    server = ServedProcess(data_dir).start()
    assert server.process is not None
    try:
        add_admin(data_dir, None, "admin", PASSWORD)
        headers = server.token("admin", PASSWORD)
        started = httpx.post(
            f"{server.base_url}/api/v1/plans",
            json={"scenario_id": "hampshire-iow-christmas-2026"},
            headers=headers,
            timeout=30,
        )
        assert started.status_code == 202, started.text
        workers: set[int] = set()
        deadline = time.monotonic() + 240
        while not workers and time.monotonic() < deadline:
            workers = children_of(server.process.pid)
            time.sleep(0.2)
        assert workers, "the season's solve started no worker process"
        began = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)
        took = time.monotonic() - began
    finally:
        server.kill()
    assert took < SIGTERM_LIMIT_SECONDS, f"SIGTERM to exit took {took:.1f} s"
    deadline = time.monotonic() + 3
    while any(process_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if process_alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "solver workers outlived the server"
    mode = stat.S_IMODE((data_dir / "crowdguard.sqlite3").stat().st_mode)
    assert mode == 0o600, oct(mode)  # item 10: rosters, seeds, contacts


def test_x_forwarded_for_cannot_rotate_past_the_report_limit(tmp_path: Path) -> None:
    """Issue 12, item 11: uvicorn believed ``X-Forwarded-For`` from loopback, so each
    report could claim a new address and the per-address limit (10 a minute) never bit."""
    server = ServedProcess(tmp_path / "data").start()
    try:
        statuses = []
        for i in range(12):
            response = httpx.post(
                f"{server.base_url}/api/v1/reports",
                json={"category": "other", "description": f"rotating {i}", "venue_id": "x"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
                timeout=30,
            )
            statuses.append(response.status_code)
        assert 429 in statuses, statuses
        assert "X-Forwarded-For ignored" in server.log.read_text()
    finally:
        server.stop()


def test_a_port_clash_is_exit_2_before_any_url_is_printed(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "crowdguard",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "d"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "http://" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"--port {port}" in lines[0] and "in use" in lines[0], lines


def test_trusted_proxies_are_addresses_never_everyone() -> None:
    assert parse_trusted_proxies(["10.0.0.5, 10.1.0.0/24", "::1"], "--trusted-proxy") == (
        "10.0.0.5",
        "10.1.0.0/24",
        "::1",
    )
    for bad in ("*", "0.0.0.0/0", "proxy.example"):
        with pytest.raises(InputError, match="--trusted-proxy"):
            parse_trusted_proxies([bad], "--trusted-proxy")
