"""docs/howto/plan-patrols.md: every command on the page runs and prints what the page shows.

The page's YAML block is the scenario; each ``$ crowdguard ...`` line in a ``console`` block is
run in a fresh process, in a folder standing for the page's ``/home/planner``. The output shown
must appear in order (whitespace and line wrapping aside; ``...`` skips lines; run times "in
N s" are not compared). A command whose shown output is an error must exit 2 and leave no
output folder; the others exit 0.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "howto" / "plan-patrols.md"
HOME = "/home/planner"


def _page() -> str:
    return DOC.read_text(encoding="utf-8")


def _commands() -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for every ``$`` line of the console blocks."""
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", _page(), re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found:
                found[-1][1].append(line)
    return found


def _normal(text: str) -> str:
    text = re.sub(r"in \d+(\.\d+)? s\.", "in N s.", text)
    return " ".join(text.split())


def test_the_page_shows_every_option_and_its_scenario_loads() -> None:
    from crowdguard.scenario import parse_scenario

    (block,) = re.findall(r"```yaml\n(.*?)```", _page(), re.S)
    scenario = parse_scenario(block, source="county.yaml")
    assert len(scenario.teams) == 4
    shown = " ".join(command for command, _ in _commands())
    for option in ("--pin", "--forbid", "--max-variants", "--response-floor",
                   "--response-min-crowd", "--visibility-floor"):  # fmt: skip
        assert option in shown, option


@pytest.mark.parametrize("index", range(len(_commands())))
def test_each_command_prints_what_the_page_shows(tmp_path: Path, index: int) -> None:
    (block,) = re.findall(r"```yaml\n(.*?)```", _page(), re.S)
    (tmp_path / "county.yaml").write_text(block, encoding="utf-8")
    command, shown = _commands()[index]
    args = command.split()
    assert args[0] == "crowdguard"
    done = subprocess.run(
        [sys.executable, "-m", "crowdguard", *args[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    output = _normal((done.stdout + done.stderr).replace(str(tmp_path), HOME))
    fails = any(line.startswith("crowdguard: error:") for line in shown)
    assert done.returncode == (2 if fails else 0), done.stderr
    if fails:
        assert "Traceback" not in done.stderr
        assert not (tmp_path / "county-plan").exists()
    chunks, current = [], []
    for line in shown:
        if line.strip() == "...":
            chunks.append(current)
            current = []
        else:
            current.append(line)
    chunks.append(current)
    position = 0
    for chunk in chunks:
        expected = _normal("\n".join(chunk))
        if not expected:
            continue
        found = output.find(expected, position)
        assert found >= 0, f"{command}\nexpected: {expected}\n\nactual: {output}"
        position = found + len(expected)
    shutil.rmtree(tmp_path / "county-plan", ignore_errors=True)
