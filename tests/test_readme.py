"""The README is a newcomer's first page: its quick start, snippets and links must hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_quick_start_is_exactly_the_two_commands_and_both_exist() -> None:
    (block,) = re.findall(r"```\n(.*?)```", _section("Quick start"), re.S)
    assert block.split() == ["scripts/demo", "scripts/test"]
    for script in ("scripts/demo", "scripts/test"):
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} is not executable"
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_python_snippets_run() -> None:
    snippets = re.findall(r"```python\n(.*?)```", README, re.S)
    assert snippets
    for code in snippets:
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr


def test_every_relative_link_points_at_a_file_in_the_repository() -> None:
    links = re.findall(r"\]\(((?!https?:)[^)#]+)(?:#[^)]*)?\)", README)
    assert links
    missing = [link for link in links if not (ROOT / link).exists()]
    assert missing == []


def test_every_command_in_the_table_is_a_real_command() -> None:
    table = _section("Main commands")
    commands = set(re.findall(r"^\| `crowdguard (\w+)", table, re.M))
    assert {"demo", "plan", "serve", "simulate", "review", "audit", "game"} <= commands
    for command in sorted(commands):
        result = subprocess.run(
            [sys.executable, "-m", "crowdguard", command, "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"crowdguard {command}: {result.stderr}"


@pytest.mark.slow
def test_scripts_demo_passes_its_options_to_the_demo(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = subprocess.run(
        [str(ROOT / "scripts" / "demo"), "--days", "1", "--seed", "3", "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in (out / "rosters").iterdir()) == ["2026-11-27.json"]
    assert (out / "report.html").is_file()
