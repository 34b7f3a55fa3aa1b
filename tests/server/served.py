"""Run ``crowdguard serve`` as a real subprocess on a free loopback port (tests and bench)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

__all__ = ["ServedProcess", "add_admin", "children_of", "free_port", "process_alive"]


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children_of(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent counts as gone)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _env(database_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CROWDGUARD_DATABASE_URL", None)
    env["PYTHONUNBUFFERED"] = "1"
    if database_url:
        env["CROWDGUARD_DATABASE_URL"] = database_url
    return env


def _store_args(data_dir: Path, database_url: str | None) -> list[str]:
    return [] if database_url else ["--data-dir", str(data_dir)]


def add_admin(data_dir: Path, database_url: str | None, name: str, password: str) -> None:
    """``crowdguard user add NAME --role admin --password-stdin``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "crowdguard",
            "user",
            "add",
            name,
            "--role",
            "admin",
            "--password-stdin",
            *_store_args(data_dir, database_url),
        ],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=True,
        env=_env(database_url),
    )


class ServedProcess:
    """``crowdguard serve`` on 127.0.0.1:PORT; ``start()`` waits until /health answers."""

    def __init__(self, data_dir: Path, database_url: str | None = None) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self.log = data_dir.parent / f"serve-{self.port}.log"
        self._handle: IO[str] | None = None

    def start(self, timeout: float = 90) -> ServedProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._handle = handle = self.log.open("a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crowdguard",
                "serve",
                "--port",
                str(self.port),
                *_store_args(self.data_dir, self.database_url),
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
            env=_env(self.database_url),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/api/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"server did not answer in {timeout} s:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def stop(self) -> None:
        """SIGTERM and wait (uvicorn shuts down gracefully)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()

    def token(self, username: str, password: str) -> dict[str, str]:
        response = httpx.post(
            f"{self.base_url}/api/v1/auth/token",
            data={"username": username, "password": password},
            timeout=30,
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}
