"""``crowdguard simulate``: writes its files, exits 2 with one line on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SMALL = ["--days", "10", "--window", "7", "--replicates", "2", "--incidents", "20"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", "simulate", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_writes_comparison_and_figures(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = run("demo", "--seed", "3", *SMALL, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads((out / "comparison.json").read_text())
    assert [p["plan"] for p in doc["plans"]] == ["optimal", "uniform", "footfall", "rota"]
    assert doc["seed"] == 3 and doc["window_days"] == 7 and doc["days"] == 10
    assert doc["optimal_mode"] == "routes"  # the plan `crowdguard plan` gives, by default
    assert "the routes plan" in result.stdout.replace("\n", " ")
    for name in ("response_times.png", "harm.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(out) in result.stdout.replace("\n", "")
    for plan in ("optimal", "uniform", "footfall", "rota"):
        assert plan in result.stdout
    # Nothing left behind but the folder itself.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim"]


def test_plans_option_limits_the_rows_and_rerun_replaces_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    result = run(
        "demo", "--plans", "rota,optimal", "--seed", "1", "--mode", "free", *SMALL,
        "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = json.loads((out / "comparison.json").read_text())
    assert [p["plan"] for p in doc["plans"]] == ["rota", "optimal"]
    assert doc["optimal_mode"] == "free-placement"
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["demo", "--plans", "optimal,bogus"], "--plans"),
        (["demo", "--window", "0"], "--window"),
        (["missing.yaml"], "SCENARIO missing.yaml"),
        (["demo", "--days", "5"], "--days 5"),
        (["demo", "--mode", "fastest"], "--mode 'fastest'"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    out = tmp_path / "sim"
    result = run(*args, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_out_that_is_a_file_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.write_text("not a folder")
    result = run("demo", "--seed", "1", *SMALL, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert "--out" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert out.read_text() == "not a folder"
