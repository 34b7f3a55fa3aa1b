"""``crowdguard game solve`` and ``crowdguard game generate`` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crowdguard.games import SecurityGame, solve


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", "game", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


TARGETS = [
    {
        "id": "winchester-market@2026-12-05T14:00",
        "defender_covered": 0.0,
        "defender_uncovered": -120.0,
        "attacker_covered": -10.0,
        "attacker_uncovered": 95.0,
    },
    {
        "id": "southampton-high-street@2026-12-05T14:00",
        "defender_covered": 0.0,
        "defender_uncovered": -60.0,
        "attacker_covered": -10.0,
        "attacker_uncovered": 50.0,
    },
    {
        "id": "portsmouth-gunwharf@2026-12-05T14:00",
        "defender_covered": 0.0,
        "defender_uncovered": -30.0,
        "attacker_covered": -5.0,
        "attacker_uncovered": 20.0,
    },
]


def write(tmp_path: Path, obj: Any, name: str = "game.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return path


@pytest.mark.parametrize("method", ["auto", "origami", "eraser", "multiple-lps"])
def test_solve_json_is_one_object_matching_the_python_api(tmp_path: Path, method: str) -> None:
    path = write(tmp_path, {"resources": 1, "targets": TARGETS})
    result = run("solve", path, "--method", method, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)  # the whole of stdout is exactly one JSON object
    assert set(out) == {
        "method",
        "coverage",
        "defender_utility",
        "attacker_utility",
        "attacked_target",
        "seconds",
        "certificate",
    }
    expected = solve(SecurityGame.from_json(path), method)
    assert out["method"] == expected.method
    assert list(out["coverage"]) == [t["id"] for t in TARGETS]
    assert out["coverage"]["winchester-market@2026-12-05T14:00"] == pytest.approx(
        expected.coverage[0], abs=1e-6
    )
    assert out["defender_utility"] == pytest.approx(expected.defender_utility, abs=1e-6)
    assert out["attacked_target"] in out["coverage"]
    assert out["certificate"]["ok"] is True
    assert sum(out["coverage"].values()) <= 1 + 1e-9


def test_solve_table_shows_verdict_and_utilities(tmp_path: Path) -> None:
    path = write(tmp_path, {"resources": 1, "targets": TARGETS})
    result = run("solve", path)
    assert result.returncode == 0, result.stderr
    assert "winchester-market" in result.stdout
    assert "certificate passed" in result.stdout
    assert "defender utility" in result.stdout


def test_generate_then_solve_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "g.json"
    made = run("generate", "--targets", "12", "--resources", "4", "--seed", "5", "--out", out)
    assert made.returncode == 0, made.stderr
    assert made.stdout == ""
    game = json.loads(out.read_text())
    assert game["resources"] == 4 and len(game["targets"]) == 12
    stdout = run("generate", "--targets", "12", "--resources", "4", "--seed", "5").stdout
    assert json.loads(stdout) == game  # same seed, same game, on stdout without --out
    solved = run("solve", out, "--json")
    assert solved.returncode == 0
    assert json.loads(solved.stdout)["method"] == "origami"
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_generate_zero_sum_correlation(tmp_path: Path) -> None:
    result = run(
        "generate", "--targets", "5", "--resources", "2", "--seed", "1", "--correlation", "-1"
    )
    assert result.returncode == 0
    for target in json.loads(result.stdout)["targets"]:
        assert target["defender_uncovered"] == pytest.approx(-target["attacker_uncovered"])


BAD_GAMES = [
    (
        "unknown-field",
        {"resources": 1, "targets": [{**TARGETS[0], "colour": "red"}]},
        "targets[0].colour",
    ),
    ("negative", {"resources": -1, "targets": TARGETS}, "resources is -1"),
    ("duplicate", {"resources": 1, "targets": [TARGETS[0], TARGETS[0]]}, "targets[1].id"),
    ("empty", {"resources": 1, "targets": []}, "targets is empty"),
    (
        "string-payoff",
        {"resources": 1, "targets": [{**TARGETS[0], "attacker_covered": "x"}]},
        "targets[0].attacker_covered",
    ),
]


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize(("name", "obj", "fragment"), BAD_GAMES, ids=[b[0] for b in BAD_GAMES])
def test_bad_game_exits_2_naming_the_field(
    tmp_path: Path, name: str, obj: Any, fragment: str
) -> None:
    path = write(tmp_path, obj, f"{name}.json")
    assert_one_line_error(run("solve", path, "--json"), f"{name}.json", fragment)


def test_nan_payoff_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "nan.json"
    text = json.dumps({"resources": 1, "targets": TARGETS}).replace("-10.0", "NaN", 1)
    path.write_text(text)
    assert_one_line_error(
        run("solve", path), "nan.json", "targets[0].attacker_covered: NaN is not a finite number"
    )


def test_malformed_json_exits_2_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"resources": 1,\n"targets": [\n{"id": "a" "x": 1}\n]}')
    assert_one_line_error(run("solve", path), "broken.json", "line 3")


def test_malformed_yaml_exits_2_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("resources: 1\ntargets: [\n  {id: a\n")
    assert_one_line_error(run("solve", path), "broken.yaml", "malformed YAML at line")


def test_missing_file_exits_2(tmp_path: Path) -> None:
    assert_one_line_error(run("solve", tmp_path / "absent.json"), "absent.json", "no such file")


def test_unknown_method_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, {"resources": 1, "targets": TARGETS})
    assert_one_line_error(run("solve", path, "--method", "simplex"), "--method", "simplex")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--targets", "0", "--resources", "1", "--seed", "1"], "--targets"),
        (["--targets", "3", "--resources", "-1", "--seed", "1"], "--resources"),
        (["--targets", "3", "--resources", "1", "--seed", "-1"], "--seed"),
        (
            ["--targets", "3", "--resources", "1", "--seed", "1", "--correlation", "0.5"],
            "--correlation",
        ),
    ],
)
def test_generate_bad_options_exit_2(args: list[str], fragment: str) -> None:
    assert_one_line_error(run("generate", *args), fragment)


def test_generate_into_a_missing_directory_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "g.json"
    assert_one_line_error(
        run("generate", "--targets", "3", "--resources", "1", "--seed", "1", "--out", target),
        "--out",
    )
    assert not target.exists()


def test_generate_onto_a_directory_exits_2(tmp_path: Path) -> None:
    result = run("generate", "--targets", "3", "--resources", "1", "--seed", "1", "--out", tmp_path)
    assert_one_line_error(result, "--out", "is a directory")
    assert list(tmp_path.iterdir()) == []
