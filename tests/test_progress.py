"""Long commands say what they are doing (days solved, time left) and stop cleanly on Ctrl-C
(issue 11, section 5)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _ctrl_c_reaches_it() -> None:
    """In the child before exec: Ctrl-C delivered and handled as in a fresh terminal.

    A signal ignored or blocked in the test process is inherited across exec; something
    earlier in a full test session left SIGINT so (the child then ran to the end, exit 0,
    or only its workers died, exit 1), which is not what a user at a terminal has."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(
    tmp_path: Path, *args: str
) -> tuple[subprocess.Popen[bytes], list[str], threading.Thread]:
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "150"}  # a terminal, as a user has
    proc = subprocess.Popen(
        [sys.executable, "-m", "crowdguard", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # Ctrl-C reaches the whole process group, as in a terminal
        preexec_fn=_ctrl_c_reaches_it,
    )
    lines: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for raw in iter(lambda: proc.stderr.read1(4096), b""):  # type: ignore[union-attr]
            text = ANSI.sub("", raw.decode("utf-8", "replace"))
            lines.extend(p for p in re.split(r"[\r\n]", text) if p.strip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return proc, lines, reader


def _wait_for(lines: list[str], pattern: str, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        for line in list(lines):
            if re.search(pattern, line):
                return line
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"no {pattern!r} in {lines[-5:]}")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_plan_shows_days_solved_and_time_left_and_ctrl_c_leaves_nothing(
    tmp_path: Path, workers: str
) -> None:
    out = tmp_path / "season"
    proc, lines, reader = _start(
        tmp_path, "demo", "--days", "8", "--workers", workers, "--out", str(out)
    )
    line = _wait_for(lines, r"solving .* [1-7]/8 days .* left \d+:\d\d:\d\d", proc)
    assert re.search(r"\d+:\d\d:\d\d left", line)  # time spent, then time left
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("Ctrl-C did not stop the plan within 60 s")
    reader.join(timeout=10)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == 130
    assert any("crowdguard: interrupted; nothing was written" in x for x in lines), lines[-6:]
    assert not any("Traceback" in x for x in lines)
    # No partial output: neither the folder nor a staging folder beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == []
