"""``crowdguard scenario generate``: a valid synthetic county, labelled, written atomically."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crowdguard.scenario import load_scenario


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", "scenario", "generate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_generate_writes_a_scenario_that_loads(tmp_path: Path) -> None:
    out = tmp_path / "county.yaml"
    done = _run("--out", str(out), "--venues", "12", "--teams", "5", "--shifts", "staggered",
                "--hours", "equal", "--seed", "9", "--island", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    scenario = load_scenario(out)
    assert len(scenario.venues) == 12 and len(scenario.teams) == 5
    assert "[SYNTHETIC]" in scenario.name and out.read_text().startswith("# [SYNTHETIC]")
    assert any(v.island for v in scenario.venues)
    again = tmp_path / "again.yaml"
    _run("--out", str(again), "--venues", "12", "--teams", "5", "--shifts", "staggered",
         "--hours", "equal", "--seed", "9", "--island", cwd=tmp_path)  # fmt: skip
    assert again.read_text() == out.read_text()  # the same seed, the same county


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--venues", "0"], "--venues 0"),
        (["--shifts", "nights"], "--shifts 'nights'"),
        (["--hours", "odd"], "--hours 'odd'"),
        (["--days", "100000"], "--days 100000"),
    ],
)
def test_bad_options_are_named_and_nothing_is_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "county.yaml"
    done = _run("--out", str(out), *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_folder_or_an_existing_file_is_refused(tmp_path: Path) -> None:
    assert "is a folder" in _run("--out", str(tmp_path), cwd=tmp_path).stderr
    existing = tmp_path / "county.yaml"
    existing.write_text("keep me")
    done = _run("--out", str(existing), cwd=tmp_path)
    assert done.returncode == 2 and "--force" in done.stderr
    assert existing.read_text() == "keep me"
