"""``crowdguard sweep``: bad input is one line and exit 2; Ctrl-C keeps finished rows; resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crowdguard.cli.main import main


def _ctrl_c_reaches_it() -> None:
    """In the child before exec: Ctrl-C delivered and handled as in a fresh terminal.

    A signal ignored or blocked in the test process is inherited across exec; something
    earlier in a full test session left SIGINT so (the child then ran to the end, exit 0,
    or only its workers died, exit 1), which is not what a user at a terminal has."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_in_process(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["crowdguard", "sweep", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return int(exited.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--teams", "2-4"], "--teams '2-4': expected A:B"),
        (["--threat", "SEVERE,HIGH"], "'HIGH' is not a threat level"),
        (["--serial", "--workers", "2"], "--serial: runs without Dask"),
        (["--scheduler", "localhost"], "expected an address such as tcp://"),
        (["--mode", "walk"], "--mode 'walk'"),
        (["--threshold", "0"], "--threshold '0'"),
        (["--metric", "harm"], "--metric 'harm'"),
        (["--incidents", "nan"], "--incidents nan"),
        (["--response-min-crowd", "10"], "needs --response-floor"),
        (["--mode", "free", "--max-variants", "2"], "need --mode routes"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = run_in_process(
        ["demo", "--out", str(tmp_path / "s"), "--days", "1", "--serial", *args]
        if "--serial" not in args and "--scheduler" not in args
        else ["demo", "--out", str(tmp_path / "s"), "--days", "1", *args],
        monkeypatch,
        capsys,
    )
    assert code == 2, err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "s").exists()  # nothing half-written


def test_missing_scenario_and_a_file_for_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_in_process(
        [str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "s")], monkeypatch, capsys
    )
    assert code == 2 and "no such file" in err
    (tmp_path / "taken").write_text("mine")
    code, err = run_in_process(
        ["demo", "--days", "1", "--mode", "free", "--serial", "--teams", "1:2", "--seeds", "1",
         "--out", str(tmp_path / "taken")],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 2 and "not a folder" in err
    assert (tmp_path / "taken").read_text() == "mine"


def test_ctrl_c_keeps_finished_rows_and_the_rerun_resumes(tmp_path: Path) -> None:
    out = tmp_path / "s"
    command = [sys.executable, "-m", "crowdguard", "sweep", "demo", "--serial", "--mode", "free",
               "--days", "3", "--teams", "2:4", "--seeds", "40", "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ,
        preexec_fn=_ctrl_c_reaches_it,
    )
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) >= 5:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted;" in err and "rerun the same command to resume" in err
    kept = len([line for line in journal.read_text().splitlines() if line.strip()])
    assert 5 <= kept < 120
    assert not (out / "results.parquet").exists()

    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert f"120 rows ({120 - kept} computed, {kept} reused from the journal)" in result.stdout
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["last_run"]["rows_reused"] == kept


def test_an_unreachable_scheduler_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_in_process(
        ["demo", "--days", "1", "--mode", "free", "--teams", "1:2", "--seeds", "1", "-q",
         "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "s")],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 2, err
    assert "--scheduler tcp://127.0.0.1:9: cannot connect" in err
    assert "is `dask scheduler` running there" in err and "Traceback" not in err
    assert not (tmp_path / "s").exists()
